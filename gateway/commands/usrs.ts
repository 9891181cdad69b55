import { nameKey } from '../../core/index.ts';
import type { CommandHandler } from './types.ts';
import { byName, list } from './listing.ts';
import { refuse } from '../sentences.ts';

/** USRS [#channel]: every known user, or a channel's members; online first (seed 004). */
export const usrs: CommandHandler<'USRS'> = {
  needsUser: false,
  run(hub, conn, { channel }) {
    let keys: Iterable<string> = hub.known.keys();
    if (channel !== undefined) {
      const ch = hub.channels.get(nameKey(channel));
      if (ch === undefined) return hub.reply(conn, refuse.noSuchChannel(channel));
      keys = ch.members;
    }
    const users = [...keys].map((k) => ({ handle: hub.known.get(k) ?? k, online: hub.users.has(k) }));
    users.sort((a, b) => (a.online === b.online ? byName(a.handle, b.handle) : a.online ? -1 : 1));
    list(hub, conn, 'USRS', users.map((u) => ({ type: 'USR', user: u.handle, online: u.online })));
  },
};
