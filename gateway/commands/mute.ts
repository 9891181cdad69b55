import type { CommandHandler } from './types.ts';

/** MUTE: seed 002's self-mute. Messages are counted and held back, never delivered. */
export const mute: CommandHandler<'MUTE'> = {
  needsUser: true,
  run(ctx, conn) {
    if (!conn.muted) {
      conn.muted = true;
      conn.heldBack = 0;
    }
    ctx.reply(conn, { type: 'OK', args: [] });
  },
};
