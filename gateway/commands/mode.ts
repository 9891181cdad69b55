import type { CommandHandler } from './types.ts';

/**
 * MODE [text|exact]: how this connection is written to. `text` renders what others write for
 * a person at a terminal, `exact` sends the wire byte for byte, for a program; both are
 * answered OK. Bare, it says which holds: `OK text` or `OK exact`. Allowed before REG, so
 * even the mail kept for you at sign-in comes the way you asked.
 */
export const mode: CommandHandler<'MODE'> = {
  needsUser: false,
  run(ctx, conn, { mode }) {
    if (mode === undefined) return ctx.reply(conn, { type: 'OK', args: [conn.kind === 'person' ? 'text' : 'exact'] });
    conn.choose(mode === 'text' ? 'person' : 'program');
    ctx.reply(conn, { type: 'OK', args: [] });
  },
};
