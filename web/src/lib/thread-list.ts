import { nameKey } from '../../../core/names.ts';
import { listNames } from './message-state.ts';

/** A thread I follow (THREADS' FOLLOWING lines), as the Threads view lists it. */
export type FollowedThread = {
  /** The conversation as I name it (`#dev`, `@bob`) and its key. */
  target: string;
  key: string;
  root: number;
  replies: number;
  unread: number;
  mentions: number;
  lastId: number;
  lastTs: string;
};

export const threadKey = (key: string, root: number): string => `${key}/${root}`;

/** Unread first, then the most recent reply first (as the server lists them). */
export function sortThreads(list: readonly FollowedThread[]): FollowedThread[] {
  return [...list].sort(
    (a, b) =>
      Number(b.unread > 0) - Number(a.unread > 0) ||
      (b.lastTs < a.lastTs ? -1 : b.lastTs > a.lastTs ? 1 : 0) ||
      // Two replies of one millisecond: in one conversation the later has the higher id.
      (a.key === b.key ? b.lastId - a.lastId : 0),
  );
}

/**
 * A reply `id` came in a thread I follow: one more reply, one more unread (unless I read it
 * as it came, or wrote it), and to the top. A reply the entry counts already is no news.
 * Returns undefined when I do not follow that thread.
 */
export function withReply(
  list: readonly FollowedThread[],
  key: string,
  root: number,
  reply: { id: number; ts: string; unread: boolean; mentionsMe: boolean },
): FollowedThread[] | undefined {
  const found = list.find((t) => t.key === key && t.root === root);
  if (!found) return undefined;
  if (reply.id <= found.lastId) return [...list];
  const next: FollowedThread = {
    ...found,
    replies: found.replies + 1,
    lastId: reply.id,
    lastTs: reply.ts,
    unread: found.unread + (reply.unread ? 1 : 0),
    mentions: found.mentions + (reply.unread && reply.mentionsMe ? 1 : 0),
  };
  return sortThreads(list.map((t) => (t === found ? next : t)));
}

/** The entry read: no unread replies left. */
export function withRead(list: readonly FollowedThread[], key: string, root: number): FollowedThread[] {
  return list.map((t) => (t.key === key && t.root === root && (t.unread > 0 || t.mentions > 0) ? { ...t, unread: 0, mentions: 0 } : t));
}

/** A FOLLOWING line as the list holds it. */
export function followed(f: { target: string; root: number; replies: number; unread: number; mentions: number; lastId: number; lastTs: string }): FollowedThread {
  return { target: f.target, key: nameKey(f.target), root: f.root, replies: f.replies, unread: f.unread, mentions: f.mentions, lastId: f.lastId, lastTs: f.lastTs };
}

/** Who is typing, in words: "@alice is typing…", "@alice and @bob are typing…", "Several people are typing…". */
export function typingLine(names: readonly string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${listNames(names)} are typing…`;
  return 'Several people are typing…';
}
