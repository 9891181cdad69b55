import { refuse } from '../sentences.ts';
import type { CommandHandler } from './types.ts';

/**
 * THREADS: the threads the user follows (they started, replied in, or were mentioned in),
 * unread first, as `FOLLOWING <target> <root-id> <replies> <unread> <mentions> <last-id> <last-ts>`.
 */
/** THREADS lists at most this many: anyone can make a user follow a thread by naming them in a reply. */
export const MAX_THREADS = 200;

export const threads: CommandHandler<'THREADS'> = {
  needsUser: true,
  run(ctx, conn) {
    return ctx.chat.threads(ctx.caller(conn)).then((all) => {
      const list = all.slice(0, MAX_THREADS);
      for (const t of list) {
        ctx.reply(conn, { type: 'FOLLOWING', target: t.target, root: t.root, replies: t.replies, unread: t.unread, mentions: t.mentions, lastId: t.lastId, lastTs: t.lastTs });
      }
      ctx.reply(conn, { type: 'END', of: 'THREADS', count: list.length });
    }, () => ctx.reply(conn, refuse.storeUnreachable('Could not read your threads')));
  },
};
