import type { CommandHandler } from './types.ts';
import { byName, list } from './listing.ts';

/** USRS [#channel]: every known user, or a channel's members; online first (seed 004). */
export const usrs: CommandHandler<'USRS'> = {
  needsUser: false,
  run(ctx, conn, { channel }) {
    const users = ctx.chat.users(conn.user?.key ?? null, channel);
    if (!(users instanceof Promise)) return ctx.reply(conn, users);
    return users.then((all) => {
      all.sort((a, b) => (a.online === b.online ? byName(a.handle, b.handle) : a.online ? -1 : 1));
      list(ctx, conn, 'USRS', all.map((u) => (u.guest ? { type: 'USR', user: u.handle, online: u.online, guest: true } : { type: 'USR', user: u.handle, online: u.online })));
    });
  },
};
