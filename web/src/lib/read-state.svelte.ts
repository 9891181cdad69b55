import { SvelteMap } from 'svelte/reactivity';
import { ServerError } from '../../../core/client.ts';
import { isChannel, nameKey } from '../../../core/names.ts';
import type { Conversation, MessageItem } from './conversation.svelte.ts';
import type { Conversations } from './conversations.svelte.ts';
import { mentions } from './render.ts';
import type { Session } from './session.svelte.ts';
import type { Settings } from './settings.svelte.ts';

/** A READ waits this long, so reading through a burst of messages sends one mark, not many. */
const READ_DELAY_MS = 500;

/** What is read and unread in one conversation. */
export class ReadMark {
  /** The server's read mark: every message up to this id is read (spec: READ). */
  readId = $state(0);
  /** Messages from others after the mark (`base`), as far as this page knows. */
  unread = $state(0);
  /** Those of them that name me, @channel or @here. */
  mentions = $state(0);
  /** The "New" divider goes above the first message from others after this id; null: none. */
  divider = $state<number | null>(null);
  /** The conversation's newest id, as the server last said (UNREAD) or a delivery showed. */
  lastId = 0;
  /** The highest id a READ has been sent for. */
  sent = 0;
  /** The newest message of the conversation that has been on screen here: read up to it. */
  seen = 0;
  /** The counts could not be worked out from the messages held: ask UNREAD once the READ is in. */
  stale = false;

  /** Read up to here: the server's mark, or further where this page has shown more. */
  get base(): number {
    return Math.max(this.readId, this.seen);
  }
}

const NONE = new ReadMark();

/**
 * A conversation's badge: its unread count, how many of those call for me (a mention, or
 * any message of a direct conversation, as in Slack), and whether I muted it.
 */
export type Badge = { unread: number; calls: number; muted: boolean };

/**
 * Unread and mention counts, read marks and the "New" divider. The server keeps the marks
 * (UNREAD after signing in; READ from the user's other connections), so counts survive a
 * reload, a sign-out and another device. A message is read once it has been on screen: the
 * message list says which is the newest in view, and while the conversation is open in a
 * visible tab the page marks read up to it (a debounced READ), so the badge goes down as the
 * reader scrolls down, and never past what was shown.
 */
export class ReadState {
  private readonly marks = new SvelteMap<string, ReadMark>();
  /** The newest message in view in the message list, and its conversation (MessageList says). */
  private onScreen: { key: string; id: number } | null = null;
  private readTimer: ReturnType<typeof setTimeout> | undefined;
  private syncTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly session: Session;
  private readonly conversations: Conversations;
  private readonly settings: Settings;

  /** Over every conversation not muted: what the tab title, the ☰ button and the favicon show. */
  totals = $derived.by(() => {
    let unread = 0;
    let calls = 0;
    for (const conv of this.conversations.all.values()) {
      const b = this.badge(conv);
      if (b.muted) continue;
      unread += b.unread;
      calls += b.calls;
    }
    return { unread, calls };
  });

  constructor(session: Session, conversations: Conversations, settings: Settings) {
    this.session = session;
    this.conversations = conversations;
    this.settings = settings;
    session.client.on('read', (e) => this.onRead(e.target, e.id));
    session.onSync(() => this.sync());
    // Messages fetched while catching up may have reached the screen before the session was
    // ready to send anything.
    session.onReady(() => this.check());
    session.onReset(() => {
      clearTimeout(this.readTimer);
      clearTimeout(this.syncTimer);
      this.marks.clear();
      this.onScreen = null;
    });
    conversations.on('messages', (conv, fresh) => this.onMessages(conv, fresh));
    conversations.on('opened', (conv, again) => this.onOpened(conv, again));
    conversations.on('dropped', (key) => this.marks.delete(key));
    // A conversation opened before its history came in is readable only now.
    conversations.on('loaded', () => this.apply());
  }

  /** For reading (components): the mark of `key`, or an empty one. */
  of(key: string): ReadMark {
    return this.marks.get(key) ?? NONE;
  }

  badge(conv: Conversation): Badge {
    const mark = this.of(conv.key);
    const muted = this.settings.isMuted(this.session.me, conv.key);
    return { unread: mark.unread, calls: conv.kind === 'dm' ? mark.unread : mark.mentions, muted };
  }

  /**
   * The message the "New" divider sits above: the first from others after where the reader
   * left off, when that place is among the messages held (else it lies in history not
   * loaded yet, and the divider waits until it is). Null for none.
   */
  firstNew(conv: Conversation): number | null {
    const after = this.of(conv.key).divider;
    if (after === null || !(conv.firstId <= after || (conv.loaded && !conv.hasOlder))) return null;
    const first = conv.items.find((i) => i.kind === 'msg' && i.id > after && !i.mine);
    return first?.kind === 'msg' ? first.id : null;
  }

  private ensure(key: string): ReadMark {
    let mark = this.marks.get(key);
    if (!mark) this.marks.set(key, (mark = new ReadMark()));
    return mark;
  }

  private callsMe(conv: Conversation, m: MessageItem): boolean {
    return !m.mine && (conv.kind === 'dm' || mentions(m.body, this.session.me));
  }

  // ------------------------------------------------------------------ the server's marks

  /**
   * UNREAD, after each sign-in and catch-up: every conversation's counts and mark. It also
   * brings the direct conversations (the server lists everyone we have exchanged messages
   * with), in its order, most recent first.
   */
  async sync(): Promise<void> {
    const list = await this.session.client.unread();
    // Oldest first, so that each `touch` puts the next more recent one above it.
    for (const info of [...list].reverse()) {
      const key = nameKey(info.target);
      const conv = isChannel(info.target) ? this.conversations.get(key) : this.conversations.ensureDm(info.target);
      if (!conv) continue;
      if (conv.kind === 'dm') this.conversations.touch(conv);
      conv.noteLatest(info.lastId);
      const mark = this.ensure(key);
      mark.readId = Math.max(mark.readId, info.readId);
      mark.sent = Math.max(mark.sent, mark.readId);
      mark.lastId = info.lastId;
      mark.unread = info.unread;
      mark.mentions = info.mentions;
      // Shown here since the server's mark, its READ not stored yet: those are read.
      if (mark.seen > info.readId) this.discount(conv, mark, info.readId);
    }
    this.apply();
  }

  /** Ask UNREAD again soon: a READ from elsewhere left counts this page cannot work out. */
  private resync(): void {
    clearTimeout(this.syncTimer);
    this.syncTimer = setTimeout(() => {
      if (this.session.ready) this.sync().catch(() => {});
    }, 200);
  }

  /** Another connection of ours read `target` up to `id`. */
  private onRead(target: string, id: number): void {
    const key = nameKey(target);
    const mark = this.ensure(key);
    if (id <= mark.readId) return;
    const before = mark.base;
    mark.readId = id;
    mark.sent = Math.max(mark.sent, id);
    const conv = this.conversations.get(key);
    if (!conv || id <= before) return;
    if (!this.countHeld(conv, mark)) this.resync();
  }

  /**
   * Count what is unread after the mark from the messages held. Ids in a conversation
   * follow each other without a gap (spec §6: messages and every other logged change), so
   * accounting for `newest - base` of them after the mark means holding every message.
   * Returns false (counts unchanged) when some are not held.
   */
  private countHeld(conv: Conversation, mark: ReadMark): boolean {
    const newest = Math.max(conv.latestId, mark.lastId);
    const base = mark.base;
    if (base >= newest) {
      mark.unread = 0;
      mark.mentions = 0;
      return true;
    }
    const after = conv.items.filter((i): i is MessageItem => i.kind === 'msg' && i.id > base);
    // The ids between that are not messages (edits, reactions, thread replies) count as held.
    if (after.length + conv.changesBetween(base, newest) < newest - base) return false;
    const others = after.filter((m) => !m.mine);
    mark.unread = others.length;
    mark.mentions = others.filter((m) => this.callsMe(conv, m)).length;
    return true;
  }

  /**
   * The counts were of what follows `from`; the mark has moved on to `mark.base`. Count again
   * from the messages held, or take away those read in between; failing both (they are not
   * held), the server counts once it has the READ.
   */
  private discount(conv: Conversation, mark: ReadMark, from: number): void {
    if (this.countHeld(conv, mark)) return;
    const to = mark.base;
    const between = conv.items.filter((i): i is MessageItem => i.kind === 'msg' && i.id > from && i.id <= to);
    if (between.length + conv.changesBetween(from, to) < to - from) {
      // Once the server has the mark, its UNREAD counts from there.
      if (mark.readId >= to) this.resync();
      else mark.stale = true;
      return;
    }
    const others = between.filter((m) => !m.mine);
    mark.unread = Math.max(0, mark.unread - others.length);
    mark.mentions = Math.max(0, mark.mentions - others.filter((m) => this.callsMe(conv, m)).length);
  }

  // ------------------------------------------------------------------ this page

  private onMessages(conv: Conversation, fresh: MessageItem[]): void {
    const mark = this.ensure(conv.key);
    mark.lastId = Math.max(mark.lastId, ...fresh.map((m) => m.id));
    // Unread until it has been on screen, in the conversation open too: the list says so
    // at once when it shows it.
    const others = fresh.filter((m) => !m.mine && m.id > mark.base);
    mark.unread += others.length;
    mark.mentions += others.filter((m) => this.callsMe(conv, m)).length;
    this.apply();
  }

  /**
   * Opened: the "New" divider goes where the person left off; it stays while they look, and
   * moves on next time they open it. With something unread, and not left reading older
   * messages, the conversation opens at the first unread message rather than the newest.
   */
  private onOpened(conv: Conversation, again: boolean): void {
    const mark = this.ensure(conv.key);
    if (!again) {
      mark.divider = mark.unread > 0 ? mark.base : null;
      if (mark.divider !== null && conv.jump === null && conv.scrollPlace === 'bottom') {
        this.conversations.jumpTo(conv, { to: 'unread', after: mark.divider });
      }
    }
    this.apply();
  }

  /** The page became visible again: what is on screen has been seen. */
  pageShown(): void {
    const conv = this.conversations.active;
    if (!conv || !this.conversations.isViewing(conv)) return;
    const mark = this.ensure(conv.key);
    if (mark.unread > 0 && mark.divider === null) mark.divider = mark.base;
    this.apply();
  }

  /** MessageList: `id` is the newest message of `key` in view now (0: none). */
  showing(key: string, id: number): void {
    this.onScreen = { key, id };
    this.apply();
  }

  /** MessageList: the list of `key` is gone (another conversation opened, or none). */
  leaving(key: string): void {
    if (this.onScreen?.key === key) this.onScreen = null;
  }

  /** Esc: the conversation on screen is read, all of it, now. */
  markRead(conv: Conversation): void {
    const mark = this.ensure(conv.key);
    mark.seen = Math.max(mark.seen, conv.latestId, mark.lastId);
    mark.unread = 0;
    mark.mentions = 0;
    mark.divider = null;
    clearTimeout(this.readTimer);
    this.readTimer = undefined;
    void this.send(conv);
  }

  /** What is on screen in the conversation open, in a visible tab, has been read. */
  private apply(): void {
    const conv = this.conversations.active;
    const shown = this.onScreen;
    if (!conv || !shown || shown.key !== conv.key || !conv.loaded || !this.conversations.isViewing(conv)) return;
    const mark = this.ensure(conv.key);
    if (shown.id > mark.base) {
      const from = mark.base;
      mark.seen = shown.id;
      this.discount(conv, mark, from);
    }
    this.check();
  }

  /** Something shown is not marked read yet: mark it, soon. */
  private check(): void {
    const conv = this.conversations.active;
    if (!conv || !this.readable(conv)) return;
    if (this.readTimer !== undefined) return; // one is due: it sends the newest seen then
    this.readTimer = setTimeout(() => {
      this.readTimer = undefined;
      const now = this.conversations.active;
      if (now && this.readable(now)) void this.send(now);
    }, READ_DELAY_MS);
  }

  /** Is there something shown and not yet marked read to send for `conv`, while it is on screen? */
  private readable(conv: Conversation): boolean {
    const mark = this.of(conv.key);
    return this.session.ready && conv.loaded && this.conversations.isViewing(conv) && mark.seen > Math.max(mark.readId, mark.sent);
  }

  /** READ up to the newest message shown (or, after Esc, the newest there is). */
  private async send(conv: Conversation): Promise<void> {
    const mark = this.ensure(conv.key);
    const id = mark.seen;
    if (!this.session.ready || id <= Math.max(mark.readId, mark.sent)) return;
    mark.sent = id;
    try {
      await this.session.client.read(conv.name, id);
      mark.readId = Math.max(mark.readId, id);
      if (mark.stale) {
        mark.stale = false;
        this.resync();
      }
    } catch (e) {
      // Try again with the next message (a drop, or a server that did not store it).
      if (mark.sent === id) mark.sent = mark.readId;
      if (!(e instanceof ServerError)) console.error('READ failed', e);
    }
  }
}
