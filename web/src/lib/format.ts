import type { Item } from './conversation.svelte.ts';

/** Messages closer than this from one sender share one header, as in Slack. */
const GROUP_GAP_MS = 5 * 60_000;

export function timeOfDay(ts: string): string {
  return new Date(ts).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

export function fullTime(ts: string): string {
  return new Date(ts).toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'medium' });
}

const dayKey = (ts: string): string => new Date(ts).toDateString();

export function dayLabel(ts: string, now: Date = new Date()): string {
  const d = new Date(ts);
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (d.toDateString() === now.toDateString()) return 'Today';
  if (d.toDateString() === yesterday.toDateString()) return 'Yesterday';
  return d.toLocaleDateString(undefined, { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' });
}

export type Row = {
  item: Item;
  /** First message of a run from one sender: show name and time. */
  head: boolean;
  /** First item of a new day: show a divider above it. */
  day: string | null;
};

/** Decide headers and day dividers for a list of items, oldest first. */
export function layoutRows(items: readonly Item[]): Row[] {
  const rows: Row[] = [];
  let prev: Item | undefined;
  for (const item of items) {
    const newDay = !prev || dayKey(prev.ts) !== dayKey(item.ts);
    const head =
      item.kind !== 'msg' ||
      newDay ||
      prev?.kind !== 'msg' ||
      prev.from.toLowerCase() !== item.from.toLowerCase() ||
      Date.parse(item.ts) - Date.parse(prev.ts) > GROUP_GAP_MS;
    rows.push({ item, head, day: newDay ? dayLabel(item.ts) : null });
    prev = item;
  }
  return rows;
}

export const initial = (name: string): string => (name.replace(/^[@#]/, '')[0] ?? '?').toUpperCase();

/** A stable hue per name for avatars: CSS classes, since inline styles break the CSP. */
export function avatarTone(name: string): string {
  let h = 0;
  for (const ch of name.toLowerCase()) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `tone-${h % 8}`;
}
