import type { CommandHandler } from './types.ts';

export const time: CommandHandler<'TIME'> = {
  needsUser: false,
  run(ctx, conn) {
    ctx.reply(conn, { type: 'TIME', time: new Date().toISOString() });
  },
};
