import type { CommandHandler } from './types.ts';
import { byName, list } from './listing.ts';

/** CHNS: every channel with its member count (seed 003). */
export const chns: CommandHandler<'CHNS'> = {
  needsUser: false,
  run(hub, conn) {
    const channels = [...hub.channels.values()].sort((a, b) => byName(a.name, b.name));
    list(hub, conn, 'CHNS', channels.map((ch) => ({ type: 'CHN', channel: ch.name, members: ch.members.size })));
  },
};
