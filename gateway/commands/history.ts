import { LIMITS, encodeDelivery } from '../../core/index.ts';
import type { Conn } from '../hub/conn.ts';
import type { HistoryQuery, StoredMessage } from '../store/store.ts';
import type { CommandContext, CommandHandler } from './types.ts';

/**
 * HISTORY <#channel|@user> [limit] [before|after <id>]: MSG frames oldest first, then END.
 * A reply is bounded in messages (`limit`, at most 500) and in bytes (reply-budget.ts): it
 * stops before passing the byte budget, keeping the messages nearest the cursor, so a client
 * pages on from the last one it got, whatever the count. Past the server-wide reply memory
 * it waits (the hub holds the connection's later commands meanwhile).
 */
export const history: CommandHandler<'HISTORY'> = {
  needsUser: true,
  run(ctx, conn, { target, limit, before, after }) {
    const q: HistoryQuery = { limit: Math.min(limit ?? LIMITS.defaultHistory, LIMITS.maxHistory), before, after };
    const answer = () => {
      if (conn.closed) return;
      const read = ctx.chat.history(ctx.caller(conn), target, q);
      if (!(read instanceof Promise)) return ctx.reply(conn, read);
      return read.then((r) => {
        if (conn.closed) return;
        if (!Array.isArray(r)) return ctx.reply(conn, r);
        send(ctx, conn, r, after !== undefined);
      });
    };
    const admitted = ctx.replies.admit(conn);
    if (admitted === null) return answer();
    return admitted.then(answer);
  },
};

/**
 * The reply: as many of `messages` as fit the byte budget (at least one), taken from the
 * cursor's side: the oldest for `after` (the client goes on after the newest it got), else
 * the newest (it goes on before the oldest it got). Written oldest first either way.
 */
function send(ctx: CommandContext, conn: Conn, messages: StoredMessage[], forward: boolean): void {
  const budget = ctx.replies.perReply;
  const frames: Uint8Array[] = [];
  let bytes = 0;
  const n = messages.length;
  for (let k = 0; k < n; k++) {
    const m = messages[forward ? k : n - 1 - k];
    const frame = encodeDelivery(m.target, m.from, m.id, m.ts, m.body);
    if (frames.length > 0 && bytes + frame.length > budget) break;
    frames.push(frame);
    bytes += frame.length;
  }
  if (!forward) frames.reverse();
  // Counted before it is queued, so what is already queued is not counted twice.
  ctx.replies.note(conn, bytes);
  for (const f of frames) ctx.sendOwn(conn, f);
  ctx.reply(conn, { type: 'END', of: 'HISTORY', count: frames.length });
}
