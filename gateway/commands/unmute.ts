import type { CommandHandler } from './types.ts';

export const unmute: CommandHandler<'UNMUTE'> = {
  needsUser: true,
  run(hub, conn) {
    conn.muted = false;
    hub.reply(conn, { type: 'OK', args: [] });
  },
};
