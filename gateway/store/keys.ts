import { nameKey } from '../../core/names.ts';

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
