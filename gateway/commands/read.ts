import type { CommandHandler } from './types.ts';

/**
 * READ <#channel|@user> <id>: the user has read the conversation up to message `id`. The mark
 * is kept in the store (so unread counts survive sign-out and follow the user to another
 * device), only moves forward, and the user's other connections are sent `READ <target> <id>`
 * so a badge read away on one device clears on the others.
 */
export const read: CommandHandler<'READ'> = {
  needsUser: true,
  run(ctx, conn, { target, id, thread }) {
    if (thread !== undefined) {
      // READ <target> <id> THREAD <root>: the thread's own mark, for its unread count.
      return ctx.later(conn, ctx.chat.readThread(ctx.caller(conn), target, thread, id).then((r) => r ?? { type: 'OK', args: [] }));
    }
    const r = ctx.chat.read(ctx.caller(conn), target, id);
    ctx.later(conn, Promise.resolve(r).then((a) => ('type' in a ? a : { type: 'OK', args: [] })));
  },
};
