import { nameKey } from '../../core/names.ts';
import type { ConversationState } from './store.ts';

export { nameKey };

/** The key of a direct conversation: both handle keys, sorted, joined by a space. */
export function dmPairKey(a: string, b: string): string {
  const x = nameKey(a);
  const y = nameKey(b);
  return x < y ? `${x} ${y}` : `${y} ${x}`;
}

/** A direct message is addressed to a handle; anything else goes to a channel. */
export const isDirectTarget = (target: string): boolean => target.startsWith('@');

/** The conversation a message belongs to: its channel, or the pair of users of a DM. */
export const conversationOf = (target: string, from: string): string =>
  isDirectTarget(target) ? dmPairKey(target, from) : nameKey(target);

/** A batch's messages by conversation: each one's key, and how many each conversation has. */
export function countByConversation(messages: ReadonlyArray<{ target: string; from: string }>): {
  conversations: string[];
  counts: Map<string, number>;
} {
  const conversations = messages.map((m) => conversationOf(m.target, m.from));
  const counts = new Map<string, number>();
  for (const c of conversations) counts.set(c, (counts.get(c) ?? 0) + 1);
  return { conversations, counts };
}

/**
 * The ids of a batch's messages, shared by the stores: each conversation's counter was
 * bumped once by its count (`last`: its new value), and its messages take the ids up to it,
 * in order.
 */
export function idsFrom(conversations: string[], counts: Map<string, number>, last: Map<string, number>): number[] {
  const next = new Map<string, number>();
  for (const [c, n] of counts) next.set(c, last.get(c)! - n + 1);
  return conversations.map((c) => {
    const id = next.get(c)!;
    next.set(c, id + 1);
    return id;
  });
}

/** Most recent first by the newest message's time; conversations with none last, by key. */
export function byRecent(a: ConversationState, b: ConversationState): number {
  if (a.lastTs !== b.lastTs) {
    if (a.lastTs === null) return 1;
    if (b.lastTs === null) return -1;
    return a.lastTs < b.lastTs ? 1 : -1;
  }
  return a.conversation < b.conversation ? -1 : a.conversation > b.conversation ? 1 : 0;
}
