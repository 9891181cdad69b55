import type { CommandHandler } from './types.ts';

export const time: CommandHandler<'TIME'> = {
  needsUser: false,
  run(hub, conn) {
    hub.reply(conn, { type: 'TIME', time: new Date().toISOString() });
  },
};
