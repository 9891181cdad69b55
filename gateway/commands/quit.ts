import type { CommandHandler } from './types.ts';

export const quit: CommandHandler<'QUIT'> = {
  needsUser: false,
  run(hub, conn) {
    hub.end(conn, 'quit', { type: 'BYE', reason: 'QUIT', text: conn.user ? `Goodbye ${conn.user.handle}` : 'Goodbye' });
  },
};
