import { UNREAD_CAP, aroundBefore, type HistoryQuery, type KeptMessage, type LogEntry, type NewChange, type StoreWrite, type StoredMessage, type ThreadState } from './store.ts';
import { conversationOf, nameKey } from './keys.ts';
import { afterReply, byThreadNews, changeEntry, followersOf, inMainFlow, mergeLog, reactionsAfter, withExtras, type Reactions, type ThreadSummary } from './log-state.ts';
import { applyChange, type ChangeHandlers } from './writes.ts';

type Append = Extract<StoreWrite, { op: 'append' }>;
export type Undo = Array<() => void>;
type Change = { id: number; kind: NewChange['kind']; of: number; target: string; from: string; ts: string; reaction: string | null };
type ThreadMark = { conversation: string; root: number; readId: number; following: boolean };

/**
 * One conversation's log in memory. `messages` holds every message and reply in id order (the
 * objects change in place: an edit replaces the body); `main` the main flow, `replies` each
 * thread's, `changes` the other log entries, all in id order, so a page is a binary search.
 */
export type Conversation = {
  lastId: number;
  lastTs: string | null;
  messages: KeptMessage[];
  main: KeptMessage[];
  byId: Map<number, KeptMessage>;
  replies: Map<number, KeptMessage[]>;
  changes: Change[];
  /** By message id, the user keys it names (`*`: everyone). */
  mentions: Map<number, string[]>;
  /** By message id, its reactions as history shows them (log-state.ts, reactionsAfter). */
  reactions: Map<number, Reactions>;
  threads: Map<number, ThreadSummary>;
};

const EMPTY = new Uint8Array(0);

/**
 * MemoryStore's conversations: messages, replies, changes, reactions, thread summaries and
 * thread marks, each write with the steps that undo it. `dropOffline` takes a deleted
 * message out of every offline queue (the store keeps those).
 */
export class MemoryLog {
  readonly conversations = new Map<string, Conversation>();
  /** user key -> `conversation root` -> the thread's mark and whether they follow it. */
  private readonly threadMarks = new Map<string, Map<string, ThreadMark>>();

  constructor(private readonly dropOffline: (conversation: string, id: number, undo: Undo) => void) {}

  /** Stores the message with the next id of its conversation; the caller queues it. */
  append({ message, mentions, root, also }: Append, undo: Undo): KeptMessage {
    const key = conversationOf(message.target, message.from);
    const c = this.conversation(key);
    const id = this.next(c, message.ts, undo);
    // Copy the body: the caller may reuse its buffer once commit returns (SQLite copies too).
    const { target, from, ts } = message;
    const stored: KeptMessage = { id, target, from, ts, body: message.body.slice(), conversation: key };
    if (root !== undefined) {
      stored.root = root;
      stored.also = also === true;
    }
    c.messages.push(stored);
    c.byId.set(id, stored);
    if (inMainFlow(stored)) c.main.push(stored);
    undo.push(() => {
      c.messages.pop();
      c.byId.delete(id);
      if (c.main[c.main.length - 1] === stored) c.main.pop();
      c.mentions.delete(id);
    });
    if (mentions !== undefined && mentions.length > 0) c.mentions.set(id, mentions);
    if (root !== undefined) this.replied(c, key, stored, root, mentions, undo);
    return stored;
  }

  change(change: NewChange, undo: Undo): number {
    const key = conversationOf(change.target, change.from);
    const c = this.conversation(key);
    const id = this.next(c, change.ts, undo);
    const entry: Change = { id, kind: change.kind, of: change.of, target: change.target, from: change.from, ts: change.ts, reaction: null };
    if (change.kind === 'react' || change.kind === 'unreact') entry.reaction = change.reaction;
    c.changes.push(entry);
    undo.push(() => c.changes.pop());
    applyChange(this.changes, change, { c, key, id, undo });
    return id;
  }

  markThreadRead(user: string, conversation: string, root: number, id: number, undo: Undo): void {
    const mark = this.mark(user, conversation, root, undo);
    if (mark.readId >= id) return;
    const old = mark.readId;
    mark.readId = id;
    undo.push(() => (mark.readId = old));
  }

  history(conversation: string, q: HistoryQuery): StoredMessage[] {
    const c = this.conversations.get(conversation);
    const limit = Math.floor(q.limit);
    if (c === undefined || !(limit > 0)) return [];
    const main = c.main;
    let page: KeptMessage[];
    if (q.around !== undefined) {
      const at = firstIndexAbove(main, q.around - 1);
      const start = Math.max(0, at - aroundBefore(limit));
      page = main.slice(start, start + limit);
    } else {
      const end = q.before === undefined ? main.length : firstIndexAbove(main, q.before - 1);
      if (q.after !== undefined) {
        const start = firstIndexAbove(main, q.after);
        page = main.slice(start, Math.max(start, Math.min(end, start + limit)));
      } else {
        page = main.slice(Math.max(0, end - limit), end);
      }
    }
    return this.full(c, page).map(plain);
  }

  log(conversation: string, after: number, limit: number): LogEntry[] {
    const c = this.conversations.get(conversation);
    const n = Math.floor(limit);
    if (c === undefined || !(n > 0)) return [];
    const messages = c.messages.slice(firstIndexAbove(c.messages, after)).slice(0, n)
      .map((m): LogEntry => ({ kind: 'msg', ...plain(copy(m)) }));
    const changes = c.changes.slice(firstIndexAbove(c.changes, after)).slice(0, n)
      .map((ch) => changeEntry(ch, c.byId.get(ch.of)?.body));
    return mergeLog(messages, changes, n);
  }

  message(conversation: string, id: number): KeptMessage | undefined {
    const c = this.conversations.get(conversation);
    const m = c?.byId.get(id);
    return c && m && this.full(c, [m])[0];
  }

  thread(conversation: string, root: number, limit: number): StoredMessage[] {
    const c = this.conversations.get(conversation);
    let head = c?.byId.get(root);
    if (c === undefined || head === undefined) return [];
    if (head.root !== undefined) head = c.byId.get(head.root);
    if (head === undefined) return [];
    const replies = c.replies.get(head.id) ?? [];
    const n = Math.max(0, Math.floor(limit));
    return this.full(c, [head, ...(n > 0 ? replies.slice(-n) : [])]).map(plain);
  }

  threadsOf(user: string, targetOf: (conversation: string) => string | undefined): ThreadState[] {
    const out: ThreadState[] = [];
    for (const mark of this.threadMarks.get(user)?.values() ?? []) {
      const c = this.conversations.get(mark.conversation);
      const t = c?.threads.get(mark.root);
      const target = targetOf(mark.conversation);
      if (!mark.following || c === undefined || t === undefined || target === undefined) continue;
      const replies = c.replies.get(mark.root) ?? [];
      let unread = 0;
      let mentions = 0;
      for (let i = firstIndexAbove(replies, mark.readId); i < replies.length && unread < UNREAD_CAP; i++) {
        const r = replies[i];
        if (r.deleted || nameKey(r.from) === user) continue;
        unread++;
        const named = c.mentions.get(r.id);
        if (named !== undefined && (named.includes(user) || named.includes('*'))) mentions++;
      }
      out.push({ conversation: mark.conversation, target, root: mark.root, replies: t.count, lastId: t.lastId, lastTs: t.lastTs, readId: mark.readId, unread, mentions });
    }
    return out.sort(byThreadNews);
  }

  /** Main-flow messages from others after `readId`, not deleted, and those that name the user. */
  unread(conversation: string, readId: number, user: string): { unread: number; mentions: number } {
    const c = this.conversations.get(conversation);
    let unread = 0;
    let mentions = 0;
    if (c === undefined) return { unread, mentions };
    for (let i = firstIndexAbove(c.main, readId); i < c.main.length && unread < UNREAD_CAP; i++) {
      const m = c.main[i];
      if (m.deleted || nameKey(m.from) === user) continue;
      unread++;
      const named = c.mentions.get(m.id);
      if (named !== undefined && (named.includes(user) || named.includes('*'))) mentions++;
    }
    return { unread, mentions };
  }

  private readonly changes: ChangeHandlers<{ c: Conversation; key: string; id: number; undo: Undo }, void> = {
    edit: (ch, { c, undo }) => {
      const m = c.byId.get(ch.of);
      if (m === undefined || m.deleted) return;
      const { body, edited } = m;
      m.body = ch.body.slice();
      m.edited = ch.ts;
      undo.push(() => {
        m.body = body;
        if (edited === undefined) delete m.edited;
        else m.edited = edited;
      });
    },
    delete: (ch, { c, key, undo }) => {
      const m = c.byId.get(ch.of);
      if (m === undefined || m.deleted) return;
      const { body } = m;
      const reactions = c.reactions.get(ch.of);
      const mentions = c.mentions.get(ch.of);
      m.body = EMPTY;
      m.deleted = true;
      c.reactions.delete(ch.of);
      c.mentions.delete(ch.of);
      undo.push(() => {
        m.body = body;
        delete m.deleted;
        if (reactions !== undefined) c.reactions.set(ch.of, reactions);
        if (mentions !== undefined) c.mentions.set(ch.of, mentions);
      });
      this.dropOffline(key, ch.of, undo);
    },
    react: (ch, { c, undo }) => this.react(c, ch, undo),
    unreact: (ch, { c, undo }) => this.react(c, ch, undo),
  };

  /** A reaction added or taken back; one the user already has (or has not) changes nothing. */
  private react(c: Conversation, ch: NewChange & { kind: 'react' | 'unreact' }, undo: Undo): void {
    const list = c.reactions.get(ch.of) ?? [];
    const has = list.some((r) => r.reaction === ch.reaction && r.by.some((u) => nameKey(u) === nameKey(ch.from)));
    if (has === (ch.kind === 'react')) return;
    c.reactions.set(ch.of, reactionsAfter(list, ch.kind, ch.reaction, ch.from));
    undo.push(() => c.reactions.set(ch.of, list));
  }

  /** A reply: its thread's summary, its list of replies, and who follows it now. */
  private replied(c: Conversation, key: string, reply: KeptMessage, root: number, mentions: string[] | undefined, undo: Undo): void {
    const old = c.threads.get(root);
    c.threads.set(root, afterReply(old, reply.id, reply.ts, reply.from));
    const replies = c.replies.get(root) ?? [];
    c.replies.set(root, [...replies, reply]);
    undo.push(() => {
      if (old === undefined) c.threads.delete(root);
      else c.threads.set(root, old);
      c.replies.set(root, replies);
    });
    for (const user of followersOf(reply.from, c.byId.get(root)?.from, mentions)) {
      const mark = this.mark(user, key, root, undo);
      if (mark.following) continue;
      mark.following = true;
      undo.push(() => (mark.following = false));
    }
  }

  private mark(user: string, conversation: string, root: number, undo: Undo): ThreadMark {
    let marks = this.threadMarks.get(user);
    if (marks === undefined) this.threadMarks.set(user, (marks = new Map()));
    const k = `${conversation} ${root}`;
    let mark = marks.get(k);
    if (mark === undefined) {
      const m = marks;
      marks.set(k, (mark = { conversation, root, readId: 0, following: false }));
      undo.push(() => m.delete(k));
    }
    return mark;
  }

  private conversation(key: string): Conversation {
    let c = this.conversations.get(key);
    if (c === undefined) {
      c = { lastId: 0, lastTs: null, messages: [], main: [], byId: new Map(), replies: new Map(), changes: [], mentions: new Map(), reactions: new Map(), threads: new Map() };
      this.conversations.set(key, c);
    }
    return c;
  }

  private next(c: Conversation, ts: string, undo: Undo): number {
    const lastTs = c.lastTs;
    c.lastTs = ts;
    undo.push(() => {
      c.lastId--;
      c.lastTs = lastTs;
    });
    return ++c.lastId;
  }

  /** Copies of messages with their reactions and thread summaries. */
  private full(c: Conversation, messages: KeptMessage[]): KeptMessage[] {
    const threads = new Map<number, ThreadSummary>();
    for (const m of messages) {
      const t = c.threads.get(m.id);
      if (t !== undefined) threads.set(m.id, { ...t, by: [...t.by] });
    }
    const reactions = new Map<number, Reactions>();
    for (const m of messages) {
      const r = c.reactions.get(m.id);
      if (r !== undefined) reactions.set(m.id, r.map((x) => ({ reaction: x.reaction, by: [...x.by] })));
    }
    return withExtras(messages.map(copy), reactions, threads);
  }
}

/** Index of the first entry whose id is greater than `id` (entries are in id order). */
export function firstIndexAbove(entries: ReadonlyArray<{ id: number }>, id: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid].id > id) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A copy that later edits of the stored one do not reach. */
const copy = (m: KeptMessage): KeptMessage => ({ ...m });

/** History is StoredMessage: the conversation key stays inside, as the SQL stores keep it. */
const plain = ({ conversation: _, ...m }: KeptMessage): StoredMessage => m;
