import { LIMITS } from '../../core/index.ts';
import type { ModerationCommand } from '../chat/moderation.ts';
import type { CommandHandler } from './types.ts';

/**
 * OP, DEOP, OWNER, KICK, BAN, UNBAN, SUSPEND, UNSUSPEND (spec: OP, KICK, BAN, SUSPEND):
 * answered OK once stored; the channel's members get ROLE, KICKED or BANNED lines, a
 * suspended user's connections BYE SUSPENDED (chat/moderation.ts has the rules).
 */
function moderation<K extends ModerationCommand['type']>(): CommandHandler<K> {
  return {
    needsUser: true,
    run(ctx, conn, cmd) {
      return ctx.chat.moderate(ctx.caller(conn), cmd as ModerationCommand).then((r) => ctx.reply(conn, r ?? { type: 'OK', args: [] }));
    },
  };
}

export const op = moderation<'OP'>();
export const deop = moderation<'DEOP'>();
export const owner = moderation<'OWNER'>();
export const kick = moderation<'KICK'>();
export const ban = moderation<'BAN'>();
export const unban = moderation<'UNBAN'>();
export const suspend = moderation<'SUSPEND'>();
export const unsuspend = moderation<'UNSUSPEND'>();

/**
 * ROLES #channel: `ROLE #channel @user owner|op -` for its owner, then its ops, then `END ROLES <n>`.
 * A bare ROLES: the asker's own, `ROLE - @me admin -` first for a server admin.
 */
export const roles: CommandHandler<'ROLES'> = {
  needsUser: true,
  run(ctx, conn, { channel }) {
    const r = ctx.chat.roles(ctx.caller(conn), channel);
    if (!Array.isArray(r)) return ctx.reply(conn, r);
    for (const { channel: ch, handle, role } of r) ctx.reply(conn, { type: 'ROLE', channel: ch, user: handle, role, by: '-' });
    ctx.reply(conn, { type: 'END', of: 'ROLES', count: r.length });
  },
};

/** BANS #channel: `BAN #channel @user @by <ts> [reason]` for each ban, newest first, then `END BANS <n>`. */
export const bans: CommandHandler<'BANS'> = {
  needsUser: true,
  run(ctx, conn, { channel }) {
    const r = ctx.chat.bans(ctx.caller(conn), channel);
    if ('type' in r) return ctx.reply(conn, r);
    for (const b of r.bans) ctx.reply(conn, { type: 'BAN', channel: r.channel, user: b.handle, by: b.by ?? '-', ts: b.ts ?? '-', reason: b.reason ?? '' });
    ctx.reply(conn, { type: 'END', of: 'BANS', count: r.bans.length });
  },
};

/** MODLOG [n]: `MOD …` for each entry the user may read, newest first, then `END MODLOG <n>`. */
export const modlog: CommandHandler<'MODLOG'> = {
  needsUser: true,
  run(ctx, conn, { limit }) {
    return ctx.chat.modlog(ctx.caller(conn), limit ?? LIMITS.defaultModlog).then((r) => {
      if (!Array.isArray(r)) return ctx.reply(conn, r);
      for (const e of r) {
        ctx.reply(conn, {
          type: 'MOD', ts: e.ts, action: e.action, by: e.by, whom: e.whom, channel: e.channel ?? '-', reason: e.reason ?? '', ...(e.id === null ? {} : { id: e.id }),
        });
      }
      ctx.reply(conn, { type: 'END', of: 'MODLOG', count: r.length });
    });
  },
};
