import { refuse } from '../sentences.ts';
import type { CommandHandler } from './types.ts';

/**
 * UNREAD: each of the user's conversations, most recent first, as
 * `UNREAD <target> <unread> <mentions> <read-id> <last-id>`, then `END UNREAD <n>`. The
 * channels they are in and everyone they have direct messages with: a new browser builds its
 * sidebar and badges from it, and a telnet user sees where there is something to read.
 */
export const unread: CommandHandler<'UNREAD'> = {
  needsUser: true,
  run(ctx, conn) {
    return ctx.chat.unread(ctx.caller(conn)).then((list) => {
      for (const c of list) {
        ctx.reply(conn, { type: 'UNREAD', target: c.target, unread: c.unread, mentions: c.mentions, readId: c.readId, lastId: c.lastId });
      }
      ctx.reply(conn, { type: 'END', of: 'UNREAD', count: list.length });
    }, () => ctx.reply(conn, refuse.storeUnreachable('Could not read your conversations')));
  },
};
