import { refuse } from '../sentences.ts';
import type { CommandHandler } from './types.ts';

/**
 * THREADS: the threads the user follows (they started, replied in, or were mentioned in),
 * unread first, as `FOLLOWING <target> <root-id> <replies> <unread> <mentions> <last-id> <last-ts>`.
 */
export const threads: CommandHandler<'THREADS'> = {
  needsUser: true,
  run(ctx, conn) {
    return ctx.chat.threads(ctx.caller(conn)).then((list) => {
      for (const t of list) {
        ctx.reply(conn, { type: 'FOLLOWING', target: t.target, root: t.root, replies: t.replies, unread: t.unread, mentions: t.mentions, lastId: t.lastId, lastTs: t.lastTs });
      }
      ctx.reply(conn, { type: 'END', of: 'THREADS', count: list.length });
    }, () => ctx.reply(conn, refuse.storeUnreachable('Could not read your threads')));
  },
};
