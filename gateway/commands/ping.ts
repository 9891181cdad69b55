import type { CommandHandler } from './types.ts';

export const ping: CommandHandler<'PING'> = {
  needsUser: false,
  run(ctx, conn, { token }) {
    ctx.reply(conn, token === undefined ? { type: 'PONG' } : { type: 'PONG', token });
  },
};
