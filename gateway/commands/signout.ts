import type { CommandHandler } from './types.ts';

/**
 * SIGNOUT [ALL]: the session token this connection signed in with (or was issued) stops
 * working; with ALL every one of the user's does, and their other connections, on every
 * node, end with `BYE SIGNED_OUT`. This connection stays, answered OK: QUIT ends it.
 */
export const signout: CommandHandler<'SIGNOUT'> = {
  needsUser: true,
  run(ctx, conn, { all }) {
    ctx.later(conn, ctx.chat.signOut(ctx.caller(conn), conn.tokenHash, all).then((refused) => {
      if (refused !== null) return refused;
      conn.tokenHash = null;
      return { type: 'OK', args: [] };
    }));
  },
};
