/**
 * Keyboard navigation between conversations: the quick switcher's matching, and the step to
 * the next or previous conversation in sidebar order. Pure functions over what Conversations lists.
 */

type Named = { key: string; name: string };

/**
 * Conversations whose name contains `query` (ignoring case), those starting with it first,
 * each group in the order given (the sidebar's). A query starting with # or @ matches the
 * whole name, so "#de" finds channels only; otherwise the sigil is ignored ("de" finds
 * #design and @devi alike).
 */
export function matchConversations<T extends Named>(all: readonly T[], query: string): T[] {
  const q = query.trim().toLowerCase();
  if (q === '') return [...all];
  const withSigil = q.startsWith('#') || q.startsWith('@');
  const prefix: T[] = [];
  const inside: T[] = [];
  for (const conv of all) {
    const name = conv.name.toLowerCase();
    const at = (withSigil ? name : name.slice(1)).indexOf(q);
    if (at === 0) prefix.push(conv);
    else if (at > 0) inside.push(conv);
  }
  return [...prefix, ...inside];
}

/**
 * The conversation one step up or down from `current` in `order`; at either end it stays put
 * (wrapping round would jump from the last direct message to the first channel unasked).
 * With nothing open (the channel browser, say), down starts at the top and up at the bottom.
 */
export function stepConversation<T extends Named>(order: readonly T[], current: string | null, step: 1 | -1): T | undefined {
  if (order.length === 0) return undefined;
  const at = current === null ? -1 : order.findIndex((c) => c.key === current);
  if (at === -1) return step === 1 ? order[0] : order.at(-1);
  return order[Math.min(order.length - 1, Math.max(0, at + step))];
}

/** Ctrl+K, or ⌘K on a Mac: open the quick switcher. */
export const isSwitcherKey = (e: KeyboardEvent): boolean =>
  (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k';

/** Alt+↑ / Alt+↓ (Option on a Mac): the step it asks for, or 0. */
export function conversationStep(e: KeyboardEvent): 1 | -1 | 0 {
  if (!e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return 0;
  if (e.key === 'ArrowDown') return 1;
  if (e.key === 'ArrowUp') return -1;
  return 0;
}
