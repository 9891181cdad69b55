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

/**
 * The id of the newest message that is on screen in `el` now: the lowest message row whose
 * bottom edge is in view, or that fills the view from top to bottom. 0 when none is (or the
 * list is hidden). Message rows are the children with a `data-id`.
 */
export function newestInView(el: HTMLElement): number {
  if (el.clientHeight === 0) return 0;
  const view = el.getBoundingClientRect();
  const rows = el.querySelectorAll<HTMLElement>(':scope > [data-id]');
  // The rows that start above the view's bottom edge: a binary search, cheap on every scroll.
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid].getBoundingClientRect().top < view.bottom) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo - 1; i >= 0; i--) {
    const r = rows[i].getBoundingClientRect();
    if (r.bottom <= view.top) return 0;
    if (r.bottom <= view.bottom + 1 || r.top <= view.top) return Number(rows[i].dataset.id);
  }
  return 0;
}

/** Scroll `el` so that `target`'s top is `offset` pixels below the list's top edge (as far as it goes). */
export function scrollToOffset(el: HTMLElement, target: Element, offset: number): void {
  el.scrollTop += target.getBoundingClientRect().top - el.getBoundingClientRect().top - offset;
}

/** Whether `target` is at least partly inside `el`'s visible area. */
export function partlyInView(el: HTMLElement, target: Element): boolean {
  const view = el.getBoundingClientRect();
  const r = target.getBoundingClientRect();
  return r.bottom > view.top && r.top < view.bottom;
}
