import type { CommandHandler } from './types.ts';

/**
 * TOKEN: a session token for this claimed user, `OK <token> <expires>`, for signing in again
 * with RESUME without the password. It is shown once: the server keeps only its hash.
 */
export const token: CommandHandler<'TOKEN'> = {
  needsUser: true,
  run(ctx, conn) {
    ctx.later(conn, ctx.chat.issueToken(ctx.caller(conn)).then((r) => {
      if ('type' in r) return r;
      conn.tokenHash = r.tokenHash;
      return { type: 'OK', args: [r.token, r.expires] };
    }));
  },
};
