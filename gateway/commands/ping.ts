import type { CommandHandler } from './types.ts';

export const ping: CommandHandler<'PING'> = {
  needsUser: false,
  run(hub, conn, { token }) {
    hub.reply(conn, token === undefined ? { type: 'PONG' } : { type: 'PONG', token });
  },
};
