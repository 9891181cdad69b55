import type { ServerFrame } from '../../core/index.ts';
import type { CommandHandler } from './types.ts';

/**
 * REPLY <target> <root-id> <len> [ALSO] + body, or RE <target> <root-id> <text> (a person's
 * one-line form): a reply in the thread of a message. As MSG, the OK waits for the commit
 * that gives the reply its id, holding only its own place; everyone in the conversation gets
 * it once it has committed (spec: REPLY). The next command of the connection runs once this
 * one is staged, so its writes take ids in the order sent.
 */
export const reply: CommandHandler<'REPLY'> = {
  needsUser: true,
  run(ctx, conn, { target, root, body, also, said }) {
    if (said) conn.looksLike('person');
    const { staged, result } = ctx.chat.reply(ctx.caller(conn), target, root, body, also === true);
    ctx.later(conn, result.then((r): ServerFrame => {
      if ('type' in r) return r;
      conn.sent++;
      return { type: 'OK', args: [String(r.id), r.ts] };
    }));
    // The connection's next command waits until this one has its place in the log.
    return staged.then(() => {});
  },
};
