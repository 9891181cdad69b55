import { LIMITS } from '../../core/index.ts';
import { messageItem, sendItems } from './history.ts';
import type { CommandHandler } from './types.ts';

/**
 * THREAD <target> <id> [limit]: a thread's root and its latest replies, oldest first, each in
 * its current state with its state lines, then `END THREAD <n>`; bounded like HISTORY.
 */
export const thread: CommandHandler<'THREAD'> = {
  needsUser: true,
  run(ctx, conn, { target, root, limit }) {
    const n = Math.min(limit ?? LIMITS.defaultHistory, LIMITS.maxHistory);
    const answer = () => {
      if (conn.closed) return;
      return ctx.chat.thread(ctx.caller(conn), target, root, n).then((r) => {
        if (conn.closed) return;
        if (!Array.isArray(r)) return ctx.reply(conn, r);
        const items = r.map(messageItem);
        sendItems(ctx, conn, 'THREAD', items, items.length - 1);
      });
    };
    const admitted = ctx.replies.admit(conn);
    if (admitted === null) return answer();
    return admitted.then(answer);
  },
};
