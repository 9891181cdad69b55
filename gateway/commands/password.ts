import { addressOf } from './reg.ts';
import type { CommandHandler } from './types.ts';

/**
 * PASSWORD <new> (a guest claims its handle) or PASSWORD <current> <new> (a claimed user
 * changes it), without signing out: chat/password.ts. The password is in no reply or log.
 */
export const password: CommandHandler<'PASSWORD'> = {
  needsUser: true,
  run(ctx, conn, { current, next }) {
    return ctx.chat.changePassword(ctx.caller(conn), addressOf(conn), current, next, conn.tokenHash).then((refused) => {
      ctx.reply(conn, refused ?? { type: 'OK', args: [] });
    });
  },
};
