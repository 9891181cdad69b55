import { LIMITS, nameKey } from '../../core/index.ts';
import type { Channel } from '../conn.ts';
import type { Hub } from '../hub.ts';
import type { CommandHandler } from './types.ts';

/**
 * CHNS [limit] [after #channel]: a page of the channel list with member counts, sorted by
 * name without regard to case (seed 003). A server with 50,000 channels once answered a bare
 * CHNS with 889 KB, so the list comes a page at a time: `limit` channels (100 by default, at
 * most 500) whose names sort after `after`.
 *
 * A paged request (a limit or `after` given) ends `END CHNS <n> MORE <#last>` when channels
 * follow, and the client asks `CHNS after <#last>` next. A bare `CHNS` is answered as before
 * paging, the first page and a plain `END CHNS <n>`: a client from before paging reads it
 * unchanged (its decoder takes no more words after the count) and gets the first page.
 */
export const chns: CommandHandler<'CHNS'> = {
  needsUser: false,
  run(hub, conn, { limit, after }) {
    const sorted = sortedChannels(hub);
    const from = after === undefined ? 0 : firstAfter(sorted, nameKey(after));
    const page = sorted.slice(from, from + Math.min(limit ?? LIMITS.defaultChannelsPage, LIMITS.maxChannelsPage));
    for (const ch of page) hub.reply(conn, { type: 'CHN', channel: ch.name, members: ch.members.size });
    const paged = limit !== undefined || after !== undefined;
    const more = paged && from + page.length < sorted.length ? page[page.length - 1].name : undefined;
    hub.reply(conn, more === undefined ? { type: 'END', of: 'CHNS', count: page.length } : { type: 'END', of: 'CHNS', count: page.length, more });
  },
};

/**
 * The channels sorted by key, kept between requests: paging through 50,000 channels would
 * sort them once per page otherwise. Channels are never removed (one stays listed when its
 * last member leaves), so the list is stale exactly when the count has changed.
 */
const cache = new WeakMap<Hub, Channel[]>();

function sortedChannels(hub: Hub): Channel[] {
  let sorted = cache.get(hub);
  if (sorted === undefined || sorted.length !== hub.channels.size) {
    sorted = [...hub.channels.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    cache.set(hub, sorted);
  }
  return sorted;
}

/** Index of the first channel whose key sorts after `key` (binary search). */
function firstAfter(sorted: Channel[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid].key <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
