import type { CommandHandler } from './types.ts';

/**
 * PREFS: the claimed user's settings, `PREF <key> <value>` each, then `END PREFS <n>`. A new
 * browser reads them at sign-in, so a mute set elsewhere holds there too.
 */
export const prefs: CommandHandler<'PREFS'> = {
  needsUser: true,
  run(ctx, conn) {
    return ctx.chat.prefs(ctx.caller(conn)).then((r) => {
      if (!Array.isArray(r)) return ctx.reply(conn, r);
      for (const p of r) ctx.reply(conn, { type: 'PREF', key: p.key, value: p.value });
      ctx.reply(conn, { type: 'END', of: 'PREFS', count: r.length });
    });
  },
};
