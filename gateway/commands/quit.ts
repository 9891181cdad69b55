import type { CommandHandler } from './types.ts';
import { farewell } from '../sentences.ts';

export const quit: CommandHandler<'QUIT'> = {
  needsUser: false,
  run(ctx, conn) {
    ctx.end(conn, 'quit', farewell.quit(conn.user?.handle ?? null));
  },
};
