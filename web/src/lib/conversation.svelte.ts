import { SvelteMap } from 'svelte/reactivity';
import { nameKey } from '../../../core/names.ts';
import { fromUtf8 } from '../../../core/bytes.ts';
import type { MessageItem } from './message-state.ts';

export type { MessageItem } from './message-state.ts';

/** A line the app writes itself: joins, leaves, connection notes. */
export type SystemItem = {
  kind: 'system';
  /** Unique within the conversation, for keyed rendering. */
  key: string;
  text: string;
  ts: string;
  /** Id of the newest message when this line was written: it stays after that message. */
  after: number;
};

export type Item = MessageItem | SystemItem;

/**
 * Where the message list was left: at the newest message, or reading older ones, with the
 * top-most row in view (its key and its distance from the list's top edge, in pixels), the
 * newest row's key then, and whether "new messages" was already showing.
 */
export type ScrollPlace = 'bottom' | { key: string; offset: number; last: string; newBelow: boolean };

/**
 * Where the message list should take the reader next, once the messages it needs are in:
 * the first unread message (the one after `after`), one message (a link to it), or the
 * newest. MessageList carries it out and clears it.
 */
export type Jump = { to: 'unread'; after: number } | { to: 'message'; id: number } | { to: 'latest' };

let systemSeq = 0;

const anchorOf = (item: Item): number => (item.kind === 'msg' ? item.id : item.after);

/** Messages in id order; a system line goes after the message it followed when written. */
function compareItems(a: Item, b: Item): number {
  const d = anchorOf(a) - anchorOf(b);
  if (d !== 0) return d;
  if (a.kind !== b.kind) return a.kind === 'msg' ? -1 : 1;
  return 0;
}

/**
 * One channel or direct conversation as this browser has seen it: its messages (deduplicated
 * by server id, whichever way they arrived) and how much history is loaded. What is unread
 * in it is the read state's (read-state.svelte.ts).
 */
export class Conversation {
  readonly kind: 'channel' | 'dm';
  /** `#general` or `@john`, in the case the server first wrote it. */
  name = $state('');
  items = $state.raw<Item[]>([]);
  /** How recently something happened here, for the order of direct conversations (larger is newer). */
  activity = $state(0);
  /** The latest page has been fetched since the conversation was created or reset. */
  loaded = $state(false);
  loading = $state(false);
  /** Older messages may exist on the server. */
  hasOlder = $state(true);
  loadingOlder = $state(false);
  /**
   * The messages held stop short of the newest (opened at the first unread, or at a linked
   * message): newer ones are fetched as the reader scrolls down, and a live message that
   * does not follow on from the newest held is counted but not held (it would leave a gap).
   */
  hasNewer = $state(false);
  loadingNewer = $state(false);
  /** A place to take the reader to, for MessageList (see Jump). */
  jump = $state.raw<Jump | null>(null);
  /** The message a link points at: highlighted while the address names it. */
  highlight = $state<number | null>(null);
  loadError = $state('');
  /** Counts the times what is held was replaced: a page asked for before then no longer fits. */
  epoch = 0;
  /** Kept by MessageList so coming back opens where the reader left (not reactive). */
  scrollPlace: ScrollPlace = 'bottom';
  /** Channel members: key -> display name. Presence comes from the people directory. */
  readonly members = new SvelteMap<string, string>();

  private ids = new Set<number>();
  private newest = 0;
  private oldest = 0;
  /** The newest id known to exist, held or not (deliveries, history, the server's UNREAD). */
  private latest = 0;
  /**
   * The log (issue 17): every change takes the conversation's next id, so this is the id up
   * to which everything has been applied here (messages, replies, edits, deletes, reactions).
   * A replay of the log (HISTORY after) starts from it.
   */
  private logThrough = 0;

  constructor(kind: 'channel' | 'dm', name: string) {
    this.kind = kind;
    this.name = name;
  }

  get key(): string {
    return nameKey(this.name);
  }

  /** Id of the newest message held, 0 when none. */
  get lastId(): number {
    return this.newest;
  }

  /** Id of the oldest message held, 0 when none. */
  get firstId(): number {
    return this.oldest;
  }

  /** The newest id known to exist, whether held or not. */
  get latestId(): number {
    return Math.max(this.latest, this.newest);
  }

  /** Up to this id every logged change of the conversation has been applied here. */
  get through(): number {
    return Math.max(this.logThrough, this.newest);
  }

  /**
   * A logged change with this id was applied (or was not about anything held). While the
   * messages held stop short of the newest, only one that follows on counts (ids have no
   * gaps): a later one leaves the ones between to be fetched. Returns whether it followed on.
   */
  noteLogged(id: number): boolean {
    if (id > 0 && !this.ids.has(id)) this.noteChange(id);
    this.latest = Math.max(this.latest, id);
    if (this.hasNewer && id > this.through + 1) return false;
    this.logThrough = Math.max(this.logThrough, id);
    return true;
  }

  /**
   * Ids of the log this page saw that are not main-flow messages (an edit, a reaction, a
   * thread reply), so that counting what is unread after a mark from what is held need not
   * ask the server when the ids between are all accounted for (read-state.svelte.ts).
   */
  private readonly changes = new Set<number>();

  private noteChange(id: number): void {
    this.changes.add(id);
    // Bounded: the oldest are forgotten (then the server counts, as before).
    if (this.changes.size > 5000) this.changes.delete(Math.min(...this.changes));
  }

  /** How many ids after `from`, up to `to`, this page knows are not main-flow messages. */
  changesBetween(from: number, to: number): number {
    let n = 0;
    for (const id of this.changes) if (id > from && id <= to) n++;
    return n;
  }

  /** The message held with this id. */
  find(id: number): MessageItem | undefined {
    if (!this.ids.has(id)) return undefined;
    const item = this.items.find((i) => i.kind === 'msg' && i.id === id);
    return item?.kind === 'msg' ? item : undefined;
  }

  /** Change the message held with this id (an edit, a reaction…); nothing if not held. */
  patch(id: number, change: (m: MessageItem) => MessageItem): void {
    const at = this.ids.has(id) ? this.items.findIndex((i) => i.kind === 'msg' && i.id === id) : -1;
    if (at < 0) return;
    const before = this.items[at] as MessageItem;
    const after = change(before);
    if (after === before) return;
    const items = [...this.items];
    items[at] = after;
    this.items = items;
  }

  get messageCount(): number {
    return this.ids.size;
  }

  has(id: number): boolean {
    return this.ids.has(id);
  }

  /**
   * Whether the page can show message `id` without fetching: it is held, or it would be
   * and is not (a message that does not exist, past the start or the end).
   */
  holds(id: number): boolean {
    if (!this.loaded) return false;
    if (this.ids.has(id)) return true;
    const beforeStart = id < this.oldest && !this.hasOlder;
    const pastEnd = id > this.newest && !this.hasNewer;
    return this.ids.size === 0 ? !this.hasOlder && !this.hasNewer : beforeStart || pastEnd;
  }

  /** The server says `id` is the newest message (UNREAD). */
  noteLatest(id: number): void {
    this.latest = Math.max(this.latest, id);
  }

  /**
   * Add messages; returns those new to this page. While the held messages stop short of the
   * newest (`hasNewer`), a message after them joins only if it follows on from the newest
   * held (ids in a conversation have no gaps, spec §6); later ones are returned (they are
   * news) but not held.
   */
  addMessages(messages: readonly MessageItem[]): MessageItem[] {
    const fresh = messages.filter((m) => !this.ids.has(m.id));
    if (fresh.length === 0) return fresh;
    const latestBefore = this.latestId;
    this.latest = Math.max(latestBefore, ...fresh.map((m) => m.id));
    if (this.hasNewer) {
      const held = new Set<MessageItem>();
      let next = this.through + 1;
      for (const m of [...fresh].sort((a, b) => a.id - b.id)) {
        if (m.id > next) continue;
        held.add(m);
        if (m.id === next) next++;
      }
      if (held.size < fresh.length) {
        this.take([...held]);
        return fresh.filter((m) => held.has(m) || m.id > latestBefore);
      }
    }
    this.take(fresh);
    return fresh;
  }

  private take(fresh: readonly MessageItem[]): void {
    if (fresh.length === 0) return;
    for (const m of fresh) this.ids.add(m.id);
    const inOrder = fresh.every((m, i) => m.id > (i === 0 ? this.newest : fresh[i - 1].id));
    const lastSystem = this.items.at(-1);
    if (inOrder && !(lastSystem && lastSystem.kind === 'system' && lastSystem.after >= fresh[0].id)) {
      this.items = [...this.items, ...fresh];
    } else {
      this.items = [...this.items, ...fresh].sort(compareItems);
    }
    this.newest = Math.max(this.newest, ...fresh.map((m) => m.id));
    if (!this.hasNewer) this.logThrough = Math.max(this.logThrough, this.newest);
    else for (const m of [...fresh].sort((a, b) => a.id - b.id)) if (m.id === this.logThrough + 1) this.logThrough = m.id;
    const low = Math.min(...fresh.map((m) => m.id));
    this.oldest = this.oldest === 0 ? low : Math.min(this.oldest, low);
  }

  /**
   * Hold `page` instead of whatever was held (a place apart from it: the first unread, a
   * linked message, or the newest after those). Lines the app wrote go with the messages.
   */
  replaceWith(page: readonly MessageItem[], hasOlder: boolean, hasNewer: boolean): void {
    this.epoch++;
    this.items = [];
    this.ids.clear();
    this.newest = 0;
    this.oldest = 0;
    this.logThrough = 0;
    this.hasNewer = false;
    this.take(page);
    this.latest = Math.max(this.latest, this.newest);
    this.hasOlder = hasOlder;
    this.hasNewer = hasNewer;
    this.loaded = true;
  }

  /**
   * Forget the messages older than `id` (the start of a freshly fetched latest page that may
   * not join up with them): scrolling back fetches them again, in one piece.
   */
  dropBefore(id: number): void {
    if (this.oldest === 0 || this.oldest >= id) return;
    this.epoch++;
    this.items = this.items.filter((i) => i.kind !== 'msg' || i.id >= id);
    for (const held of [...this.ids]) if (held < id) this.ids.delete(held);
    this.oldest = this.ids.size === 0 ? 0 : Math.min(...this.ids);
    if (this.ids.size === 0) this.newest = 0;
  }

  addSystem(text: string, ts: string = new Date().toISOString()): void {
    const item: SystemItem = { kind: 'system', key: `s${++systemSeq}`, text, ts, after: this.newest };
    this.items = [...this.items, item];
  }

  /** Forget everything held: the server's history no longer matches ours (it was reset). */
  clear(): void {
    this.epoch++;
    this.items = [];
    this.ids.clear();
    this.newest = 0;
    this.oldest = 0;
    this.latest = 0;
    this.logThrough = 0;
    this.changes.clear();
    this.loaded = false;
    this.hasOlder = true;
    this.hasNewer = false;
  }
}

/** A message or thread reply frame (MSG, REPLY), as the app holds it. */
export type MessageFrame = { id: number; from: string; ts: string; body: Uint8Array; root?: number; also?: boolean };

export function toItem(d: MessageFrame, mine: boolean): MessageItem {
  const item: MessageItem = { kind: 'msg', id: d.id, from: d.from, ts: d.ts, body: fromUtf8(d.body), mine, reactions: [] };
  if (d.root !== undefined) {
    item.root = d.root;
    if (d.also) item.also = true;
  }
  return item;
}
