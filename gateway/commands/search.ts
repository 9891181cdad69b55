import { refuse } from '../sentences.ts';
import type { CommandHandler } from './types.ts';

/**
 * SEARCH <query>: `FOUND` frames, newest first, then `END SEARCH <n>`, with `MORE <ts>` when
 * there may be more (the same query with `before:<ts>` pages on). Each found message is sent
 * as this connection reads messages: exact for a program, rendered for a person.
 */
export const search: CommandHandler<'SEARCH'> = {
  needsUser: true,
  run(ctx, conn, { query }) {
    return ctx.chat.search(ctx.caller(conn), query).then((r) => {
      if (conn.closed) return;
      if ('type' in r) return ctx.reply(conn, r);
      for (const m of r.found) ctx.reply(conn, { type: 'FOUND', target: m.target, from: m.from, id: m.id, ts: m.ts, body: m.deleted ? new Uint8Array(0) : m.body });
      ctx.reply(conn, { type: 'END', of: 'SEARCH', count: r.found.length, more: r.more });
    }, () => ctx.reply(conn, refuse.storeUnreachable('Could not search')));
  },
};
