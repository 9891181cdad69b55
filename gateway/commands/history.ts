import { LIMITS, encodeFrameFor } from '../../core/index.ts';
import type { Conn } from '../hub/conn.ts';
import type { HistoryQuery, StoredMessage } from '../store/store.ts';
import type { CommandContext, CommandHandler } from './types.ts';

/**
 * HISTORY <#channel|@user> [limit] [before|after|around <id>]: MSG frames oldest first, then END.
 * A reply is bounded in messages (`limit`, at most 500) and in bytes (reply-budget.ts): it
 * stops before passing the byte budget, keeping the messages nearest the cursor, so a client
 * pages on from the last one it got, whatever the count. Past the server-wide reply memory
 * it waits (the hub holds the connection's later commands meanwhile).
 */
export const history: CommandHandler<'HISTORY'> = {
  needsUser: true,
  run(ctx, conn, { target, limit, before, after, around }) {
    const q: HistoryQuery = { limit: Math.min(limit ?? LIMITS.defaultHistory, LIMITS.maxHistory), before, after, around };
    const answer = () => {
      if (conn.closed) return;
      const read = ctx.chat.history(ctx.caller(conn), target, q);
      if (!(read instanceof Promise)) return ctx.reply(conn, read);
      return read.then((r) => {
        if (conn.closed) return;
        if (!Array.isArray(r)) return ctx.reply(conn, r);
        send(ctx, conn, r, around !== undefined ? centre(r, around) : after !== undefined ? 0 : r.length - 1);
      });
    };
    const admitted = ctx.replies.admit(conn);
    if (admitted === null) return answer();
    return admitted.then(answer);
  },
};

/**
 * The reply: as many of `messages` as fit the byte budget (at least one), taken outward from
 * the cursor's side, the message at index `from`: the oldest for `after` (the client goes on
 * after the newest it got), the newest for the latest or `before` (it goes on before the
 * oldest it got), and for `around` the asked-for message, then one newer and one older in
 * turn, so the far ends are what is left out. Written oldest first either way.
 */
function send(ctx: CommandContext, conn: Conn, messages: StoredMessage[], from: number): void {
  const budget = ctx.replies.perReply;
  const frames = messages.map(() => null as Uint8Array | null);
  let bytes = 0;
  let lo = from;
  let hi = from;
  const take = (i: number): boolean => {
    const m = messages[i];
    // As live messages read on this connection: for a person, rendered for reading.
    const frame = encodeFrameFor(conn.kind, { type: 'MSG', target: m.target, from: m.from, id: m.id, ts: m.ts, body: m.body }, conn.user?.handle);
    if (bytes > 0 && bytes + frame.length > budget) return false;
    frames[i] = frame;
    bytes += frame.length;
    return true;
  };
  if (messages.length > 0) take(from);
  let newer = true;
  let older = true;
  while (newer || older) {
    // Alternate sides, newer first; a side that is used up or would pass the budget stops.
    if (newer) {
      newer = hi + 1 < messages.length && take(hi + 1);
      if (newer) hi++;
    }
    if (older) {
      older = lo > 0 && take(lo - 1);
      if (older) lo--;
    }
  }
  const kept = messages.length === 0 ? [] : (frames.slice(lo, hi + 1) as Uint8Array[]);
  // Counted before it is queued, so what is already queued is not counted twice.
  ctx.replies.note(conn, bytes);
  for (const f of kept) ctx.sendOwn(conn, f);
  ctx.reply(conn, { type: 'END', of: 'HISTORY', count: kept.length });
}

/** Where an `around` reply is centred: the asked-for message, or the first after it, or the newest. */
function centre(messages: StoredMessage[], around: number): number {
  const i = messages.findIndex((m) => m.id >= around);
  return i < 0 ? messages.length - 1 : i;
}
