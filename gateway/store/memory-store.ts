import { BLOCKS_PER_USER, PREFS_PER_USER, SESSIONS_PER_USER, type StoredBlock, type ModEntry, type StoredModeration, type LogEntry, type ThreadState, type StoredPref, type ChannelTopic, type CommitResult, type StoredSession, type ConversationState, type HistoryQuery, type KeptMessage, type Store, type StoreSearch, type StoreWrite, type StoredChannel, type StoredMessage, type StoredUser } from './store.ts';
import { byRecent, dmPairKey, isDirectTarget, nameKey } from './keys.ts';
import { applyWrites, type WriteHandlers } from './writes.ts';
import { MemoryLog, type Undo } from './memory-log.ts';
import { MemoryModeration } from './memory-moderation.ts';
import { bySearchOrder, matchesSearch, searchLimit } from './search-index.ts';

type Channel = { name: string; memberKeys: Set<string>; topic: ChannelTopic | null; private?: true };
type Append = Extract<StoreWrite, { op: 'append' }>;

/**
 * The store in memory, for `--memory`: the same contract as SqliteStore, nothing survives the
 * process, and `commit()` always succeeds (no disk to fill). Each conversation keeps its
 * messages in id order, so history is a binary search and a slice.
 *
 * A batch that throws (a caller's bug: a member of an unknown channel, say) is undone from a
 * log of inverse steps and rejects, so it is all or nothing here too.
 */
export class MemoryStore implements Store {
  readonly description = 'memory (nothing is kept after the server stops)';
  /** A new one each process: nothing a node remembers from before applies. */
  readonly epoch = globalThis.crypto.randomUUID();
  lastFailure: Error | null = null;

  private readonly users = new Map<string, StoredUser>();
  private readonly channels = new Map<string, Channel>();
  /** The conversations' logs, by key: a channel key, or a direct pair from `dmPairKey`. */
  private readonly logs = new MemoryLog((conversation, id, undo) => this.dropOffline(conversation, id, undo));
  /** By user key, in the order queued. */
  private readonly offline = new Map<string, KeptMessage[]>();
  /** user key -> conversation -> read up to this id. */
  private readonly reads = new Map<string, Map<string, number>>();
  /** token hash -> session, in the order issued. */
  private readonly sessions = new Map<string, StoredSession & { user: string }>();
  /** user key -> the users they have direct conversations with: key -> display handle. */
  private readonly partners = new Map<string, Map<string, string>>();
  /** user key -> setting key -> value. */
  private readonly settings = new Map<string, Map<string, string>>();
  /** user key -> the keys of the users they block. */
  private readonly blocks = new Map<string, Set<string>>();
  private readonly moderation = new MemoryModeration();

  async getUser(handle: string): Promise<StoredUser | undefined> {
    const user = this.users.get(nameKey(handle));
    return user && { ...user };
  }

  async listUsers(): Promise<string[]> {
    return sortedByKey(this.users).map((u) => u.handle);
  }

  async listClaimed(): Promise<string[]> {
    return [...this.users].filter(([, u]) => u.passwordHash !== null).map(([key]) => key).sort();
  }

  async listChannels(): Promise<StoredChannel[]> {
    return sortedByKey(this.channels).map((c) => ({
      name: c.name,
      topic: c.topic && { ...c.topic },
      members: [...c.memberKeys].map((k) => this.users.get(k)?.handle ?? k),
      ...(c.private ? { private: true as const } : {}),
    }));
  }

  async commit(writes: StoreWrite[]): Promise<CommitResult | null> {
    const undo: Undo = [];
    try {
      const ids = this.runBatch(writes, undo);
      this.lastFailure = null;
      return { ids };
    } catch (err) {
      for (const step of undo.reverse()) step();
      this.lastFailure = err instanceof Error ? err : new Error(String(err));
      throw err;
    }
  }

  async channelHistory(channel: string, q: HistoryQuery): Promise<StoredMessage[]> {
    return this.logs.history(nameKey(channel), q);
  }

  async directHistory(a: string, b: string, q: HistoryQuery): Promise<StoredMessage[]> {
    return this.logs.history(dmPairKey(a, b), q);
  }

  async log(conversation: string, after: number, limit: number): Promise<LogEntry[]> {
    return this.logs.log(conversation, after, limit);
  }

  async message(conversation: string, id: number): Promise<KeptMessage | undefined> {
    return this.logs.message(conversation, id);
  }

  async thread(conversation: string, root: number, limit: number): Promise<StoredMessage[]> {
    return this.logs.thread(conversation, root, limit);
  }

  /** A scan of the conversations' messages and replies with `searchWords` (search-index.ts). */
  async search(q: StoreSearch): Promise<KeptMessage[]> {
    const found: KeptMessage[] = [];
    for (const key of new Set(q.conversations)) {
      for (const m of this.logs.conversations.get(key)?.messages ?? []) if (matchesSearch(q, m)) found.push(m);
    }
    return found.sort(bySearchOrder).slice(0, searchLimit(q)).map((m) => ({ ...m }));
  }

  async threadsOf(handle: string): Promise<ThreadState[]> {
    return this.logs.threadsOf(nameKey(handle), (conversation) => {
      const [a, b] = conversation.split(' ');
      if (b === undefined) return this.channels.get(a)?.name;
      const other = a === nameKey(handle) ? b : a;
      return this.users.get(other)?.handle ?? other;
    });
  }

  /** Ordered as the SQL stores order them (ts, then conversation and id), so all three agree. */
  async offlineFor(handle: string): Promise<KeptMessage[]> {
    const queued = this.offline.get(nameKey(handle)) ?? [];
    return queued.map((m): KeptMessage => ({ ...m })).sort((x, y) =>
      compare(x.ts, y.ts) || compare(x.conversation, y.conversation) || x.id - y.id);
  }

  async lastIds(conversations: string[]): Promise<Map<string, number>> {
    return new Map(conversations.map((c) => [c, this.logs.conversations.get(c)?.lastId ?? 0]));
  }

  async conversationsOf(handle: string, channels: string[]): Promise<ConversationState[]> {
    const me = nameKey(handle);
    const reads = this.reads.get(me);
    const out: ConversationState[] = [];
    const add = (conversation: string, target: string) => {
      const conv = this.logs.conversations.get(conversation);
      const readId = reads?.get(conversation) ?? 0;
      const { unread, mentions } = this.logs.unread(conversation, readId, me);
      out.push({ conversation, target, lastId: conv?.lastId ?? 0, lastTs: conv?.lastTs ?? null, readId, unread, mentions });
    };
    for (const key of channels) {
      const c = this.channels.get(key);
      if (c !== undefined) add(key, c.name);
    }
    for (const [partner, display] of this.partners.get(me) ?? []) add(dmPairKey(me, partner), display);
    return out.sort(byRecent);
  }

  async session(tokenHash: string): Promise<StoredSession | undefined> {
    const s = this.sessions.get(tokenHash);
    return s && { handle: this.users.get(s.user)?.handle ?? s.handle, expires: s.expires };
  }

  async prefs(handle: string): Promise<StoredPref[]> {
    const mine = this.settings.get(nameKey(handle)) ?? new Map<string, string>();
    return [...mine.keys()].sort(compare).map((key) => ({ key, value: mine.get(key)! }));
  }

  async blocksOf(handle: string): Promise<string[]> {
    return [...(this.blocks.get(nameKey(handle)) ?? [])].sort(compare).map((k) => this.users.get(k)?.handle ?? k);
  }

  async listBlocks(): Promise<StoredBlock[]> {
    return [...this.blocks.keys()].sort(compare).flatMap((by) => [...this.blocks.get(by)!].sort(compare).map((blocked) => ({ by, blocked })));
  }

  async listModeration(): Promise<StoredModeration> {
    return this.moderation.list();
  }

  async modlog(channels: string[] | null, limit: number): Promise<ModEntry[]> {
    return this.moderation.entries(channels, limit);
  }

  async close(): Promise<void> {}

  /** State writes in order, then the messages: the order the SQL stores apply a batch in. */
  private runBatch(writes: StoreWrite[], undo: Undo): number[] {
    return applyWrites(this.handlers, writes, undo).map((w) => (w.op === 'append' ? this.append(w, undo) : this.logs.change(w.change, undo)));
  }

  /** Each state write, with the steps that undo it (writes.ts). */
  private readonly handlers: WriteHandlers<Undo, void> = {
    addUser: (w, undo) => this.setUser(nameKey(w.handle), { handle: w.handle, passwordHash: null }, false, undo),
    setPassword: (w, undo) => {
      const user = this.users.get(nameKey(w.handle));
      this.setUser(nameKey(w.handle), { handle: user?.handle ?? w.handle, passwordHash: w.passwordHash }, true, undo);
    },
    addChannel: (w, undo) => {
      const key = nameKey(w.name);
      const known = this.channels.get(key);
      if (known !== undefined) {
        if (w.private && !known.private) {
          known.private = true;
          undo.push(() => delete known.private);
        }
        return;
      }
      this.channels.set(key, w.private ? { name: w.name, memberKeys: new Set(), topic: null, private: true } : { name: w.name, memberKeys: new Set(), topic: null });
      undo.push(() => this.channels.delete(key));
    },
    addMember: (w, undo) => {
      const c = this.channels.get(nameKey(w.channel));
      const user = nameKey(w.handle);
      if (c === undefined) throw new Error(`addMember: no channel ${w.channel}`);
      if (!this.users.has(user)) throw new Error(`addMember: no user ${w.handle}`);
      if (c.memberKeys.has(user)) return;
      c.memberKeys.add(user);
      undo.push(() => c.memberKeys.delete(user));
      // What the channel said before they joined is history, not news.
      this.markRead(user, nameKey(w.channel), this.logs.conversations.get(nameKey(w.channel))?.lastId ?? 0, undo);
    },
    removeMember: (w, undo) => {
      const c = this.channels.get(nameKey(w.channel));
      const user = nameKey(w.handle);
      if (c === undefined || !c.memberKeys.has(user)) return;
      // Set order is join order; putting the member back must restore its place.
      const before = [...c.memberKeys];
      c.memberKeys.delete(user);
      undo.push(() => {
        c.memberKeys.clear();
        for (const k of before) c.memberKeys.add(k);
      });
    },
    delivered: (w, undo) => {
      const key = nameKey(w.handle);
      const queued = this.offline.get(key);
      if (queued === undefined) return;
      const gone = new Set(w.messages.map((m) => `${m.conversation} ${m.id}`));
      this.offline.set(key, queued.filter((m) => !gone.has(`${m.conversation} ${m.id}`)));
      undo.push(() => this.offline.set(key, queued));
    },
    markRead: (w, undo) => this.markRead(nameKey(w.handle), w.conversation, w.id, undo),
    markThreadRead: (w, undo) => this.logs.markThreadRead(nameKey(w.handle), w.conversation, w.root, w.id, undo),
    setPref: (w, undo) => this.setPref(nameKey(w.handle), w.key, w.value, undo),
    block: (w, undo) => this.setBlock(nameKey(w.handle), nameKey(w.blocked), true, undo),
    unblock: (w, undo) => this.setBlock(nameKey(w.handle), nameKey(w.blocked), false, undo),
    setRole: (w, undo) => this.moderation.setRole(w, undo),
    setBan: (w, undo) => this.moderation.setBan(w, undo),
    setSuspended: (w, undo) => this.moderation.setSuspended(w, undo),
    logModeration: (w, undo) => this.moderation.append(w, undo),
    setTopic: (w, undo) => {
      const c = this.channels.get(nameKey(w.channel));
      if (c === undefined) throw new Error(`setTopic: no channel ${w.channel}`);
      const old = c.topic;
      c.topic = w.topic && { ...w.topic };
      undo.push(() => (c.topic = old));
    },
    addSession: (w, undo) => {
      const user = nameKey(w.handle);
      const now = new Date().toISOString();
      const mine = [...this.sessions].filter(([, s]) => s.user === user);
      // Expired ones go, and the oldest past the limit, to make room for this one.
      const gone = mine.filter(([, s]) => s.expires <= now).concat(mine.filter(([, s]) => s.expires > now).slice(0, -(SESSIONS_PER_USER - 1)));
      for (const [hash, s] of gone) {
        this.sessions.delete(hash);
        undo.push(() => this.sessions.set(hash, s));
      }
      this.sessions.set(w.tokenHash, { user, handle: w.handle, expires: w.expires });
      undo.push(() => this.sessions.delete(w.tokenHash));
    },
    revokeSession: (w, undo) => {
      const s = this.sessions.get(w.tokenHash);
      if (s === undefined) return;
      this.sessions.delete(w.tokenHash);
      undo.push(() => this.sessions.set(w.tokenHash, s));
    },
    revokeSessions: (w, undo) => {
      const user = nameKey(w.handle);
      for (const [hash, s] of [...this.sessions]) {
        if (s.user !== user || hash === w.except) continue;
        this.sessions.delete(hash);
        undo.push(() => this.sessions.set(hash, s));
      }
    },
  };

  private markRead(user: string, conversation: string, id: number, undo: Undo): void {
    let marks = this.reads.get(user);
    if (marks === undefined) this.reads.set(user, (marks = new Map()));
    const old = marks.get(conversation);
    if (old !== undefined && old >= id) return;
    const m = marks;
    m.set(conversation, id);
    undo.push(() => (old === undefined ? m.delete(conversation) : m.set(conversation, old)));
  }

  private setPref(user: string, key: string, value: string | null, undo: Undo): void {
    if (!this.users.has(user)) throw new Error(`setPref: no user ${user}`);
    let mine = this.settings.get(user);
    if (mine === undefined) this.settings.set(user, (mine = new Map()));
    const m = mine;
    const old = m.get(key);
    if (value === null) m.delete(key);
    else if (old !== undefined || m.size < PREFS_PER_USER) m.set(key, value);
    undo.push(() => (old === undefined ? m.delete(key) : m.set(key, old)));
  }

  private setBlock(user: string, blocked: string, on: boolean, undo: Undo): void {
    if (!this.users.has(user) || !this.users.has(blocked)) throw new Error(`block: no user ${user} or ${blocked}`);
    let mine = this.blocks.get(user);
    if (mine === undefined) this.blocks.set(user, (mine = new Set()));
    const m = mine;
    if (m.has(blocked) === on || (on && m.size >= BLOCKS_PER_USER)) return;
    if (on) m.add(blocked);
    else m.delete(blocked);
    undo.push(() => (on ? m.delete(blocked) : m.add(blocked)));
  }

  private notePartners(a: string, b: string, undo: Undo): void {
    for (const [x, y] of [[a, b], [b, a]]) {
      let map = this.partners.get(nameKey(x));
      if (map === undefined) this.partners.set(nameKey(x), (map = new Map()));
      if (map.has(nameKey(y))) continue;
      const m = map;
      m.set(nameKey(y), y);
      undo.push(() => m.delete(nameKey(y)));
    }
  }


  private setUser(key: string, user: StoredUser, replace: boolean, undo: Undo): void {
    const old = this.users.get(key);
    if (old !== undefined && !replace) return;
    this.users.set(key, user);
    undo.push(() => (old === undefined ? this.users.delete(key) : this.users.set(key, old)));
  }

  private append(a: Append, undo: Undo): number {
    const queueKey = a.offlineFor === undefined ? undefined : nameKey(a.offlineFor);
    if (queueKey !== undefined && !this.users.has(queueKey)) {
      throw new Error(`append: cannot queue for unknown user ${a.offlineFor}`);
    }
    const stored = this.logs.append(a, undo);
    if (isDirectTarget(a.message.target)) this.notePartners(a.message.from, a.message.target, undo);
    if (queueKey !== undefined) {
      const queue = this.offline.get(queueKey) ?? [];
      this.offline.set(queueKey, [...queue, stored]);
      undo.push(() => this.offline.set(queueKey, queue));
    }
    return stored.id;
  }

  /** A deleted message leaves every queue it is in. */
  private dropOffline(conversation: string, id: number, undo: Undo): void {
    for (const [user, queue] of this.offline) {
      if (!queue.some((m) => m.conversation === conversation && m.id === id)) continue;
      this.offline.set(user, queue.filter((m) => !(m.conversation === conversation && m.id === id)));
      undo.push(() => this.offline.set(user, queue));
    }
  }
}

function sortedByKey<T>(map: Map<string, T>): T[] {
  return [...map.keys()].sort().map((k) => map.get(k) as T);
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
