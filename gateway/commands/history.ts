import { LIMITS, encodeDelivery, nameKey, type ServerFrame } from '../../core/index.ts';
import type { Conn } from '../conn.ts';
import type { Hub } from '../hub.ts';
import type { HistoryQuery, StoredMessage } from '../store/store.ts';
import type { CommandHandler } from './types.ts';
import { refuse } from '../sentences.ts';

/**
 * HISTORY <#channel|@user> [limit] [before|after <id>]: MSG frames oldest first, then END.
 * A reply is bounded in messages (`limit`, at most 500) and in bytes (reply-budget.ts): it
 * stops before passing the byte budget, keeping the messages nearest the cursor, so a client
 * pages on from the last one it got, whatever the count. Past the server-wide reply memory
 * it waits (the hub holds the connection's later commands meanwhile).
 */
export const history: CommandHandler<'HISTORY'> = {
  needsUser: true,
  run(hub, conn, { target, limit, before, after }) {
    const read = source(hub, conn, target);
    if (typeof read !== 'function') return hub.reply(conn, read);
    const q: HistoryQuery = { limit: Math.min(limit ?? LIMITS.defaultHistory, LIMITS.maxHistory), before, after };
    const answer = () => {
      if (conn.closed) return;
      // Messages staged this turn are not stored until the batch commits, and a failed commit
      // takes them back: commit (and write out what waits on it) first, so history shows only
      // what is kept.
      if (hub.store.dirty) hub.flush();
      send(hub, conn, read(q), after !== undefined);
    };
    const admitted = hub.replies.admit(conn);
    if (admitted === null) return answer();
    return admitted.then(answer);
  },
};

/** Where the history comes from, or the refusal. */
function source(hub: Hub, conn: Conn, target: string): ((q: HistoryQuery) => StoredMessage[]) | ServerFrame {
  const user = conn.user!;
  const key = nameKey(target);
  if (target[0] === '#') {
    const ch = hub.channels.get(key);
    if (ch === undefined) return refuse.noSuchChannel(target);
    if (!ch.members.has(user.key)) return refuse.notMemberToRead(ch.name);
    return (q) => hub.store.channelHistory(ch.name, q);
  }
  if (!hub.known.has(key)) return refuse.noSuchUser(target);
  return (q) => hub.store.directHistory(user.handle, hub.known.get(key)!, q);
}

/**
 * The reply: as many of `messages` as fit the byte budget (at least one), taken from the
 * cursor's side: the oldest for `after` (the client goes on after the newest it got), else
 * the newest (it goes on before the oldest it got). Written oldest first either way.
 */
function send(hub: Hub, conn: Conn, messages: StoredMessage[], forward: boolean): void {
  const budget = hub.replies.perReply;
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
  hub.replies.note(conn, bytes);
  // Marked as this connection's own answer: after a wait it is queued outside the hub's
  // command run, which would otherwise count it as deliveries left unread.
  for (const f of frames) hub.send(conn, f, true);
  hub.reply(conn, { type: 'END', of: 'HISTORY', count: frames.length });
}
