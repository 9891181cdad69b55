import { SvelteMap } from 'svelte/reactivity';
import { LIMITS } from '../../../core/limits.ts';
import { textEncoder, utf8Length } from '../../../core/bytes.ts';
import { toItem, type Conversation, type MessageItem } from './conversation.svelte.ts';
import type { Conversations } from './conversations.svelte.ts';
import { applyLogged, changeOf, type LoggedFrame } from './live-log.ts';
import { applyChange, replied, withStates } from './message-state.ts';
import { mentions } from './render.ts';
import type { Session } from './session.svelte.ts';
import { followed, sortThreads, threadKey, withRead, withReply, type FollowedThread } from './thread-list.ts';

/** Replies a thread pane fetches (THREAD's limit; the server's most is 500). */
const THREAD_PAGE = 200;

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The thread on screen beside its conversation. */
export type OpenThread = {
  key: string;
  /** The conversation's name, the THREAD and REPLY target. */
  target: string;
  root: number;
  /** A reply a link pointed at: highlighted. */
  highlight: number | null;
};

/** A thread's root as the Threads view shows it. */
export type RootPreview = { from: string; body: string; deleted: boolean };

/**
 * Threads (issue 17): the one open in the pane beside its conversation (its root and
 * replies, live), sending replies, and the threads I follow (THREADS) with their unread
 * counts, cleared by READ … THREAD once read.
 */
export class Threads {
  open = $state.raw<OpenThread | null>(null);
  root = $state.raw<MessageItem | undefined>(undefined);
  replies = $state.raw<MessageItem[]>([]);
  loading = $state(false);
  error = $state('');
  /** The threads I follow, unread first. */
  following = $state.raw<FollowedThread[]>([]);
  /** Roots of the threads listed, for the Threads view. */
  readonly previews = new SvelteMap<string, RootPreview>();

  unread = $derived(this.following.reduce((n, t) => n + t.unread, 0));
  mentionCount = $derived(this.following.reduce((n, t) => n + t.mentions, 0));

  private readonly session: Session;
  private readonly conversations: Conversations;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private loadSeq = 0;

  constructor(session: Session, conversations: Conversations) {
    this.session = session;
    this.conversations = conversations;
    conversations.on('logged', (conv, f, live) => this.onLogged(conv, f, live));
    conversations.on('dropped', (key) => {
      if (this.open?.key === key) this.close();
      this.following = this.following.filter((t) => t.key !== key);
    });
    session.onReady(() => {
      void this.refresh();
      if (this.open) void this.load();
    });
    session.onReset(() => {
      clearTimeout(this.refreshTimer);
      this.close();
      this.following = [];
      this.previews.clear();
    });
  }

  /** Open the thread of `root` in `conv` beside it; `highlight` a reply a link named. */
  show(conv: Conversation, root: number, highlight: number | null = null): void {
    const same = this.open?.key === conv.key && this.open.root === root;
    this.open = { key: conv.key, target: conv.name, root, highlight };
    if (!same) {
      this.root = conv.find(root);
      this.replies = [];
      void this.load();
    }
  }

  close(): void {
    this.open = null;
    this.root = undefined;
    this.replies = [];
    this.error = '';
    this.loadSeq++;
  }

  /**
   * A link named message `id`, which the conversation's main flow does not have: if it is a
   * reply, open its thread there (THREAD of a reply is its root's thread).
   */
  async showLinked(conv: Conversation, id: number): Promise<void> {
    if (!this.session.ready) return;
    try {
      const page = await this.session.client.thread(conv.name, id, 1);
      const first = page.frames[0];
      if (!first || first.id === id) return;
      if (this.conversations.activeKey !== conv.key) return;
      this.show(conv, first.id, id);
    } catch {
      // Not a message of this conversation: the list says what it can.
    }
  }

  /** Fetch the open thread: its root and latest replies, each in its current state. */
  async load(): Promise<void> {
    const open = this.open;
    if (!open || !this.session.ready) return;
    const seq = ++this.loadSeq;
    this.loading = true;
    try {
      const page = await this.session.client.thread(open.target, open.root, THREAD_PAGE);
      if (seq !== this.loadSeq) return;
      const items = page.frames.flatMap((f) => (f.type === 'MSG' || f.type === 'REPLY' ? [toItem(f, this.session.isMe(f.from))] : []));
      const current = withStates(items, page.states);
      const [root, ...replies] = current;
      // Asked with a reply's id: the thread is its root's.
      if (root && root.id !== open.root) this.open = { ...open, root: root.id, highlight: open.highlight ?? open.root };
      this.root = root;
      this.replies = replies;
      this.error = '';
      this.markRead();
    } catch (e) {
      if (seq === this.loadSeq) this.error = errorText(e);
    } finally {
      if (seq === this.loadSeq) this.loading = false;
    }
  }

  /** Reply in the open thread (`also`: shown in the conversation too). Returns a problem sentence, or ''. */
  async reply(body: string, also: boolean): Promise<string> {
    const open = this.open;
    if (!open || body.trim() === '') return '';
    const size = utf8Length(body);
    if (size > LIMITS.maxBody) return `Reply is ${size.toLocaleString('en')} bytes; the limit is ${LIMITS.maxBody.toLocaleString('en')}`;
    if (!this.session.ready) return 'Not connected: try again once back';
    const conv = this.conversations.get(open.key);
    try {
      const sent = await this.session.client.reply(open.target, open.root, body, also);
      if ('muted' in sent) return `you are muted (${sent.muted} held back so far)`;
      if (!conv) return '';
      const frame: LoggedFrame = {
        type: 'REPLY', target: open.target, from: this.session.me, id: sent.id, ts: sent.ts, root: open.root, also, body: textEncoder.encode(body),
      };
      applyLogged(this.conversations, conv, frame, false);
      this.conversations.touch(conv);
      // I follow it now, if I did not: ask the list again.
      if (!this.following.some((t) => t.key === open.key && t.root === open.root)) this.scheduleRefresh();
      return '';
    } catch (e) {
      return errorText(e);
    }
  }

  /** The threads I follow, from the server. */
  async refresh(): Promise<void> {
    if (!this.session.ready) return;
    try {
      const lines = await this.session.client.threads();
      this.following = sortThreads(lines.map(followed));
      // The open one is read as it is shown.
      if (this.open) this.markRead();
    } catch {
      // Kept as it was; the next reply or sign-in asks again.
    }
  }

  /** The root of a listed thread, for the Threads view: held already, or fetched once. */
  async preview(t: FollowedThread): Promise<void> {
    const id = threadKey(t.key, t.root);
    if (this.previews.has(id)) return;
    const held = this.conversations.get(t.key)?.find(t.root);
    if (held) {
      this.previews.set(id, { from: held.from, body: held.body, deleted: held.deleted === true });
      return;
    }
    if (!this.session.ready) return;
    this.previews.set(id, { from: '', body: '', deleted: false });
    try {
      const page = await this.session.client.thread(t.target, t.root, 1);
      const first = page.frames.flatMap((f) => (f.type === 'MSG' ? [toItem(f, this.session.isMe(f.from))] : [])).slice(0, 1);
      const root = withStates(first, page.states)[0];
      if (root) this.previews.set(id, { from: root.from, body: root.body, deleted: root.deleted === true });
    } catch {
      this.previews.delete(id);
    }
  }

  /** The open thread has been on screen: its replies are read. */
  markRead(): void {
    const open = this.open;
    if (!open || !this.session.ready) return;
    if (typeof document !== 'undefined' && document.visibilityState !== 'visible') return;
    const entry = this.following.find((t) => t.key === open.key && t.root === open.root);
    const last = this.replies.at(-1)?.id ?? entry?.lastId ?? 0;
    if (!entry || last === 0 || entry.unread === 0) return;
    this.following = withRead(this.following, open.key, open.root);
    this.session.client.readThread(open.target, open.root, last).catch(() => {});
  }

  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), 300);
  }

  // ------------------------------------------------------------------ the log

  private onLogged(conv: Conversation, f: LoggedFrame, live: boolean): void {
    const open = this.open;
    const here = open !== null && open.key === conv.key;
    if (f.type === 'REPLY') {
      if (here && f.root === open.root) this.addReply(f);
      this.noteReply(conv, f, live);
      return;
    }
    if (!here || f.type === 'MSG') return;
    const change = changeOf(f)!;
    if (this.root?.id === change.of) this.root = applyChange(this.root, change);
    const at = this.replies.findIndex((r) => r.id === change.of);
    if (at >= 0) this.replies = this.replies.map((r, i) => (i === at ? applyChange(r, change) : r));
  }

  private addReply(f: LoggedFrame & { type: 'REPLY' }): void {
    if (this.root) this.root = replied(this.root, f.id, f.from, f.ts);
    if (this.replies.some((r) => r.id === f.id)) return;
    const item = toItem(f, this.session.isMe(f.from));
    this.replies = [...this.replies, item].sort((a, b) => a.id - b.id);
  }

  /** A reply in `conv`: the threads I follow count it; one I may have come to follow, ask. */
  private noteReply(conv: Conversation, f: LoggedFrame & { type: 'REPLY' }, live: boolean): void {
    const mine = this.session.isMe(f.from);
    const reading = this.open?.key === conv.key && this.open.root === f.root && this.conversations.isViewing(conv);
    const body = new TextDecoder().decode(f.body);
    const next = withReply(this.following, conv.key, f.root, {
      id: f.id, ts: f.ts, unread: !mine && !reading, mentionsMe: mentions(body, this.session.me),
    });
    if (next) {
      this.following = next;
      if (reading && live) this.markRead();
      return;
    }
    // Followers: the root's author, whoever replied, whoever a reply mentions.
    if (mine || conv.find(f.root)?.mine || mentions(body, this.session.me)) this.scheduleRefresh();
  }
}
