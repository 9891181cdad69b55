import type { ScrollPlace } from './conversation.svelte.ts';

/**
 * The reader's place in a message list, saved as they scroll and put back when they return
 * to the conversation (the list is rebuilt then). A list's rows are its children with a
 * `data-key` (the item's key); day dividers and notes at the edge have none.
 */

/** Within this many pixels of the end counts as "at the bottom". */
export const NEAR_BOTTOM = 60;

export const atBottom = (el: HTMLElement): boolean => el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM;

/**
 * Where the reader is in `el`: the bottom, or the top-most row in view and how far its top
 * is from the list's top edge. `last` is the newest row's key and `newBelow` whether "new
 * messages" shows. Undefined when the list is hidden (not laid out): there is no place then.
 * A binary search over the rows keeps it cheap enough for every scroll event.
 */
export function placeOf(el: HTMLElement, last: string, newBelow: boolean): ScrollPlace | undefined {
  if (el.clientHeight === 0) return undefined;
  if (atBottom(el)) return 'bottom';
  const top = el.getBoundingClientRect().top;
  const children = el.children;
  let lo = 0;
  let hi = children.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (children[mid].getBoundingClientRect().bottom > top) hi = mid;
    else lo = mid + 1;
  }
  while (lo < children.length && !children[lo].hasAttribute('data-key')) lo++;
  const key = children[lo]?.getAttribute('data-key');
  if (!key) return 'bottom';
  return { key, offset: children[lo].getBoundingClientRect().top - top, last, newBelow };
}

/**
 * Scroll `el` back to `place`: the same row at the same height, or the bottom when that is
 * where the reader was or the row is no longer held. Returns whether "new messages" should
 * show: it showed then, or rows arrived since (`last` is the newest row's key now), and the
 * view is not at the bottom anyway.
 */
export function restorePlace(el: HTMLElement, place: ScrollPlace, last: string): boolean {
  const row = place === 'bottom' ? null : el.querySelector(`:scope > [data-key="${CSS.escape(place.key)}"]`);
  if (place === 'bottom' || !row) {
    el.scrollTop = el.scrollHeight;
    return false;
  }
  el.scrollTop += row.getBoundingClientRect().top - el.getBoundingClientRect().top - place.offset;
  return !atBottom(el) && (place.newBelow || last !== place.last);
}
