import { nameKey } from './keys.ts';
import type { LogEntry, StoredMessage, ThreadState } from './store.ts';

/**
 * What the three stores share about a message's state (issue 17), so that memory, SQLite and
 * PostgreSQL build the same objects: which fields are present, in which order reactions and
 * repliers come, and how a log page is merged from messages and changes.
 */

/** A thread summary names at most this many repliers, most recent first. */
export const THREAD_REPLIERS = 5;

/** A message's state as its row keeps it; null/false where it does not apply. */
export type RowState = { root: number | null; also: boolean; edited: string | null; deleted: boolean };

/** The message with the state fields that apply, and only those (so the stores compare equal). */
export function withState<M extends StoredMessage>(m: M, s: RowState): M {
  if (s.root !== null) {
    m.root = s.root;
    m.also = s.also;
  }
  if (s.edited !== null) m.edited = s.edited;
  if (s.deleted) m.deleted = true;
  return m;
}

export type Reactions = NonNullable<StoredMessage['reactions']>;

/**
 * A message's reactions after one user adds or takes back one (the caller knows it changes
 * something): a new reaction goes last, a user last among its users; a reaction nobody has
 * any more goes. The order a live client keeps from the frames it gets. The SQL stores keep
 * this list on the message row, so a page of history reads no reaction rows.
 */
export function reactionsAfter(list: Reactions, kind: 'react' | 'unreact', reaction: string, user: string): Reactions {
  const out = list.map((r) => ({ reaction: r.reaction, by: [...r.by] }));
  const entry = out.find((r) => r.reaction === reaction);
  if (kind === 'react') {
    if (entry === undefined) out.push({ reaction, by: [user] });
    else entry.by.push(user);
    return out;
  }
  if (entry === undefined) return out;
  entry.by = entry.by.filter((u) => nameKey(u) !== nameKey(user));
  return out.filter((r) => r.by.length > 0);
}

export type ThreadSummary = NonNullable<StoredMessage['thread']>;

/** The summary after one more reply: its id and time, its author the most recent replier. */
export function afterReply(t: ThreadSummary | undefined, id: number, ts: string, from: string): ThreadSummary {
  const others = (t?.by ?? []).filter((h) => nameKey(h) !== nameKey(from));
  return { count: (t?.count ?? 0) + 1, lastId: id, lastTs: ts, by: [from, ...others].slice(0, THREAD_REPLIERS) };
}

/** Reactions and thread summaries onto messages (history, `message`, `thread`). */
export function withExtras<M extends StoredMessage>(
  messages: M[],
  reactions: Map<number, Array<{ reaction: string; by: string[] }>>,
  threads: Map<number, ThreadSummary>,
): M[] {
  for (const m of messages) {
    const r = reactions.get(m.id);
    if (r !== undefined && r.length > 0) m.reactions = r;
    const t = threads.get(m.id);
    if (t !== undefined && t.count > 0) m.thread = t;
  }
  return messages;
}

/** Who follows a thread after a reply: its author, the root's author, the users it names. */
export function followersOf(replyFrom: string, rootFrom: string | undefined, mentions: string[] | undefined): string[] {
  const keys = new Set<string>([nameKey(replyFrom)]);
  if (rootFrom !== undefined) keys.add(nameKey(rootFrom));
  for (const m of mentions ?? []) if (m !== '*') keys.add(nameKey(m));
  return [...keys];
}

/** Two pages of one log, each in id order, as one: the first `limit` entries by id. */
export function mergeLog(messages: LogEntry[], changes: LogEntry[], limit: number): LogEntry[] {
  const out: LogEntry[] = [];
  let i = 0;
  let j = 0;
  while (out.length < limit && (i < messages.length || j < changes.length)) {
    if (j >= changes.length || (i < messages.length && messages[i].id < changes[j].id)) out.push(messages[i++]);
    else out.push(changes[j++]);
  }
  return out;
}

/** A change entry as `log` gives it: an edit carries the message's current text. */
export function changeEntry(
  c: { id: number; kind: string; of: number; target: string; from: string; ts: string; reaction: string | null },
  currentBody: Uint8Array | undefined,
): LogEntry {
  const kind = c.kind as 'edit' | 'delete' | 'react' | 'unreact';
  const entry: LogEntry = { kind, id: c.id, target: c.target, from: c.from, ts: c.ts, of: c.of };
  if (kind === 'edit') entry.body = currentBody ?? new Uint8Array(0);
  if (c.reaction !== null && (kind === 'react' || kind === 'unreact')) entry.reaction = c.reaction;
  return entry;
}

/** Whether a message shows in the main flow: not in a thread, or a reply also sent there. */
export const inMainFlow = (m: { root?: number | null; also?: boolean }): boolean => m.root == null || m.also === true;

/** Unread first, then by the newest reply, most recent first. */
export function byThreadNews(a: ThreadState, b: ThreadState): number {
  if ((a.unread > 0) !== (b.unread > 0)) return a.unread > 0 ? -1 : 1;
  if (a.lastTs !== b.lastTs) return a.lastTs < b.lastTs ? 1 : -1;
  return a.conversation < b.conversation ? -1 : a.conversation > b.conversation ? 1 : b.root - a.root;
}
