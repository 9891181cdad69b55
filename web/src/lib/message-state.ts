import { nameKey } from '../../../core/names.ts';

/**
 * A message as a living thing (issue 17): what the log's later entries did to it. Every
 * function here is pure and idempotent, because the same change may reach the page twice:
 * live, and again in a replay of the log after a reconnect (HISTORY after), or in a page
 * fetched after it happened (the page shows the current state already).
 */

/** One distinct reaction on a message: who reacted with it, in the order they did. */
export type Reaction = { reaction: string; by: string[] };

/** A thread root's summary: reply count, the last reply, who replied (most recent first, at most 5). */
export type ThreadSummary = { count: number; lastId: number; lastTs: string; by: string[] };

export type MessageItem = {
  kind: 'msg';
  id: number;
  from: string;
  ts: string;
  body: string;
  mine: boolean;
  /** A thread reply: its root's id. */
  root?: number;
  /** A thread reply also sent to the main flow. */
  also?: boolean;
  /** Edited, last at this time. */
  edited?: string;
  /** A tombstone: the body is gone, the id stays (a deleted root keeps its replies). */
  deleted?: boolean;
  reactions: Reaction[];
  /** A thread root. */
  thread?: ThreadSummary;
};

/** The repliers a root's summary names at most (spec: REPLIES). */
export const SUMMARY_REPLIERS = 5;

const same = (a: string, b: string): boolean => nameKey(a) === nameKey(b);

/** The message with its text replaced (an EDIT, live or replayed). */
export function edited(m: MessageItem, body: string, ts: string): MessageItem {
  if (m.deleted) return m;
  if (m.body === body && m.edited !== undefined && m.edited >= ts) return m;
  return { ...m, body, edited: m.edited !== undefined && m.edited > ts ? m.edited : ts };
}

/** The message as a tombstone: no text, no reactions; a root keeps its thread. */
export function deleted(m: MessageItem): MessageItem {
  if (m.deleted) return m;
  const { edited: _edited, ...rest } = m;
  return { ...rest, body: '', deleted: true, reactions: [] };
}

/** `user` reacted with `reaction` (nothing changes if they had already). */
export function reacted(m: MessageItem, reaction: string, user: string): MessageItem {
  if (m.deleted) return m;
  const found = m.reactions.find((r) => r.reaction === reaction);
  if (found?.by.some((u) => same(u, user))) return m;
  const reactions = found
    ? m.reactions.map((r) => (r === found ? { reaction, by: [...r.by, user] } : r))
    : [...m.reactions, { reaction, by: [user] }];
  return { ...m, reactions };
}

/** `user` took back `reaction` (nothing changes if they had not reacted with it). */
export function unreacted(m: MessageItem, reaction: string, user: string): MessageItem {
  const found = m.reactions.find((r) => r.reaction === reaction);
  if (!found?.by.some((u) => same(u, user))) return m;
  const by = found.by.filter((u) => !same(u, user));
  const reactions = by.length === 0 ? m.reactions.filter((r) => r !== found) : m.reactions.map((r) => (r === found ? { reaction, by } : r));
  return { ...m, reactions };
}

/**
 * A reply `id` by `from` at `ts` joined the thread of root `m`. A replayed reply that the
 * summary counts already (its id is not past the summary's last reply) changes nothing.
 */
export function replied(m: MessageItem, id: number, from: string, ts: string): MessageItem {
  const t = m.thread;
  if (t && id <= t.lastId) return m;
  const by = [from, ...(t?.by ?? []).filter((u) => !same(u, from))].slice(0, SUMMARY_REPLIERS);
  return { ...m, thread: { count: (t?.count ?? 0) + 1, lastId: id, lastTs: ts, by } };
}

/** Did I react with this? */
export const reactedBy = (r: Reaction, user: string): boolean => r.by.some((u) => same(u, user));

/** State lines of a page (HISTORY, THREAD), as the app reads them. */
export type StateLine =
  | { type: 'EDITED'; id: number; ts: string }
  | { type: 'DELETED'; id: number }
  | { type: 'REACTION'; id: number; reaction: string; by: string[] }
  | { type: 'REPLIES'; id: number; count: number; lastId: number; lastTs: string; by: string[] };

/**
 * A page's messages in their current state: each message's state lines applied. The lines
 * give the whole state, so reactions come from them alone.
 */
export function withStates(items: readonly MessageItem[], states: readonly StateLine[]): MessageItem[] {
  const byId = new Map<number, StateLine[]>();
  for (const s of states) {
    const list = byId.get(s.id);
    if (list) list.push(s);
    else byId.set(s.id, [s]);
  }
  return items.map((m) => {
    const lines = byId.get(m.id);
    if (!lines) return m;
    let next: MessageItem = { ...m, reactions: [] };
    for (const s of lines) {
      if (s.type === 'EDITED') next.edited = s.ts;
      else if (s.type === 'DELETED') next = { ...next, deleted: true, body: '' };
      else if (s.type === 'REACTION') next.reactions = [...next.reactions, { reaction: s.reaction, by: [...s.by] }];
      else next.thread = { count: s.count, lastId: s.lastId, lastTs: s.lastTs, by: [...s.by] };
    }
    return next;
  });
}

/** A logged change to a message, as the app applies it (EDIT, DELETE, REACT, UNREACT frames). */
export type Change =
  | { type: 'EDIT'; from: string; of: number; ts: string; body: string }
  | { type: 'DELETE'; from: string; of: number }
  | { type: 'REACT' | 'UNREACT'; from: string; of: number; reaction: string };

/** `m` after `change` (which must be about it). */
export function applyChange(m: MessageItem, change: Change): MessageItem {
  switch (change.type) {
    case 'EDIT':
      return edited(m, change.body, change.ts);
    case 'DELETE':
      return deleted(m);
    case 'REACT':
      return reacted(m, change.reaction, change.from);
    case 'UNREACT':
      return unreacted(m, change.reaction, change.from);
  }
}

/** What "@a, @b and @c" reacted with, for a reaction pill's tooltip. */
export function whoReacted(r: Reaction, isMe: (u: string) => boolean): string {
  const names = r.by.map((u) => (isMe(u) ? 'you' : u));
  return `${listNames(names)} reacted with ${r.reaction}`;
}

/** "a", "a and b", "a, b and c". */
export function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
