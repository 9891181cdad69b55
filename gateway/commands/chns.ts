import { LIMITS } from '../../core/index.ts';
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
  run(ctx, conn, { limit, after }) {
    // Private channels only to their members, marked `private` (spec: CREATE).
    const { page, more } = ctx.chat.channels(conn.user?.key ?? null, Math.min(limit ?? LIMITS.defaultChannelsPage, LIMITS.maxChannelsPage), after);
    for (const ch of page) ctx.reply(conn, ch.private ? { type: 'CHN', channel: ch.name, members: ch.members, private: true } : { type: 'CHN', channel: ch.name, members: ch.members });
    const paged = limit !== undefined || after !== undefined;
    ctx.reply(conn, paged && more !== undefined
      ? { type: 'END', of: 'CHNS', count: page.length, more }
      : { type: 'END', of: 'CHNS', count: page.length });
  },
};
