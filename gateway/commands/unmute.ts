import type { CommandHandler } from './types.ts';

export const unmute: CommandHandler<'UNMUTE'> = {
  needsUser: true,
  run(ctx, conn) {
    conn.muted = false;
    ctx.reply(conn, { type: 'OK', args: [] });
  },
};
