import { hashToken } from '../chat/sessions.ts';
import { refuse } from '../sentences.ts';
import { addressOf, signedIn } from './reg.ts';
import type { CommandHandler } from './types.ts';

/**
 * RESUME @handle <token>: sign in with a session token from TOKEN instead of the password
 * (chat/sessions.ts). The reply is REG's: OK, the channels, kept mail.
 */
export const resume: CommandHandler<'RESUME'> = {
  needsUser: false,
  run(ctx, conn, { handle, token }) {
    if (conn.user !== null) return ctx.reply(conn, refuse.alreadyRegistered(conn.user.handle));
    return ctx.chat.resume({ conn: conn.session.id, address: addressOf(conn), handle, token }).then((r) => {
      if (!('type' in r)) conn.tokenHash = hashToken(token);
      signedIn(ctx, conn, r);
    });
  },
};
