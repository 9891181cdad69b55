import { LIMITS, encodeFrameFor, type ServerFrame } from '../../core/index.ts';
import type { Conn } from '../hub/conn.ts';
import { frameOfEntry, messageFrame, stateLines } from '../hub/log-frames.ts';
import type { HistoryQuery, LogEntry, StoredMessage } from '../store/store.ts';
import type { Refusal } from '../sentences.ts';
import type { CommandContext, CommandHandler } from './types.ts';

/**
 * HISTORY <#channel|@user> [limit] [before|after|around <id>]: frames oldest first, then END.
 * The latest, `before` and `around` are a page of the main flow, each message in its current
 * state followed by its state lines (EDITED, DELETED, REACTION, REPLIES); `after` replays the
 * log from an id on, every entry as the live frame it was (what a reconnecting client missed).
 * A reply is bounded in messages (`limit`, at most 500) and in bytes (reply-budget.ts): it
 * stops before passing the byte budget, keeping the messages nearest the cursor, so a client
 * pages on from the last one it got, whatever the count. Past the server-wide reply memory
 * it waits (the hub holds the connection's later commands meanwhile).
 */
export const history: CommandHandler<'HISTORY'> = {
  needsUser: true,
  run(ctx, conn, { target, limit, before, after, around }) {
    const n = Math.min(limit ?? LIMITS.defaultHistory, LIMITS.maxHistory);
    const answer = (): void | Promise<void> => {
      if (conn.closed) return;
      if (after !== undefined) {
        return ctx.chat.replay(ctx.caller(conn), target, after, n).then((r) => {
          if (conn.closed) return;
          if (!Array.isArray(r)) return ctx.reply(conn, r);
          sendItems(ctx, conn, 'HISTORY', r.map(entryItem), 0);
        });
      }
      const q: HistoryQuery = { limit: n, before, around };
      const read = ctx.chat.history(ctx.caller(conn), target, q);
      if (!(read instanceof Promise)) return ctx.reply(conn, read);
      return read.then((r) => {
        if (conn.closed) return;
        if (!Array.isArray(r)) return ctx.reply(conn, r);
        const items = r.map(messageItem);
        sendItems(ctx, conn, 'HISTORY', items, around !== undefined ? centre(items, around) : items.length - 1);
      });
    };
    const admitted = ctx.replies.admit(conn);
    if (admitted === null) return answer();
    return admitted.then(answer);
  },
};

/** One message of a reply: its frame and its state lines, kept or left out together. */
export type Item = { id: number; frames: ServerFrame[] };

export const messageItem = (m: StoredMessage): Item => ({ id: m.id, frames: [messageFrame(m), ...stateLines(m)] });
const entryItem = (e: LogEntry): Item => ({ id: e.id, frames: [frameOfEntry(e)] });

/**
 * The reply: as many of `items` as fit the byte budget (at least one), taken outward from
 * the cursor's side, the item at index `from`: the oldest for `after` (the client goes on
 * after the newest it got), the newest for the latest or `before` (it goes on before the
 * oldest it got), and for `around` the asked-for message, then one newer and one older in
 * turn, so the far ends are what is left out. Written oldest first either way; END counts
 * the messages, not their state lines.
 */
export function sendItems(ctx: CommandContext, conn: Conn, verb: 'HISTORY' | 'THREAD', items: Item[], from: number): void {
  const budget = ctx.replies.perReply;
  const bytesOf = items.map(() => null as Uint8Array[] | null);
  let bytes = 0;
  let lo = from;
  let hi = from;
  const take = (i: number): boolean => {
    // As live messages read on this connection: for a person, rendered for reading.
    const frames = items[i].frames.map((f) => encodeFrameFor(conn.kind, f, conn.user?.handle));
    let size = 0;
    for (const f of frames) size += f.length;
    if (bytes > 0 && bytes + size > budget) return false;
    bytesOf[i] = frames;
    bytes += size;
    return true;
  };
  if (items.length > 0) take(from);
  let newer = true;
  let older = true;
  while (newer || older) {
    // Alternate sides, newer first; a side that is used up or would pass the budget stops.
    if (newer) {
      newer = hi + 1 < items.length && take(hi + 1);
      if (newer) hi++;
    }
    if (older) {
      older = lo > 0 && take(lo - 1);
      if (older) lo--;
    }
  }
  const kept = items.length === 0 ? [] : (bytesOf.slice(lo, hi + 1) as Uint8Array[][]);
  // Counted before it is queued, so what is already queued is not counted twice.
  ctx.replies.note(conn, bytes);
  for (const frames of kept) for (const f of frames) ctx.sendOwn(conn, f);
  ctx.reply(conn, { type: 'END', of: verb, count: kept.length });
}

/** Where an `around` reply is centred: the asked-for message, or the first after it, or the newest. */
function centre(items: Item[], around: number): number {
  const i = items.findIndex((m) => m.id >= around);
  return i < 0 ? items.length - 1 : i;
}

export const isRefusal = (x: unknown): x is Refusal => typeof x === 'object' && x !== null && !Array.isArray(x) && 'type' in x;
