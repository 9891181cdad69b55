import type { HistoryQuery, NewMessage, Store, StoredChannel, StoredMessage, StoredUser } from './store.ts';
import { dmPairKey, isDirectTarget, nameKey } from './keys.ts';

type Channel = { name: string; memberKeys: Set<string> };

/**
 * The store in memory, for `--memory`: the same contract as SqliteStore, nothing survives the
 * process, and `commit()` always succeeds. Each conversation keeps its messages in id order,
 * so history is a binary search and a slice.
 */
export class MemoryStore implements Store {
  readonly description = 'memory (nothing is kept after the server stops)';

  private readonly users = new Map<string, StoredUser>();
  private readonly channels = new Map<string, Channel>();
  /** Messages by conversation key: a channel key, or a direct pair from `dmPairKey`. */
  private readonly conversations = new Map<string, StoredMessage[]>();
  private readonly offline = new Map<string, StoredMessage[]>();
  private lastId = 0;
  private batchOpen = false;

  get dirty(): boolean {
    return this.batchOpen;
  }

  getUser(handle: string): StoredUser | undefined {
    const user = this.users.get(nameKey(handle));
    return user && { ...user };
  }

  addUser(handle: string): void {
    const key = nameKey(handle);
    if (!this.users.has(key)) this.users.set(key, { handle, passwordHash: null });
    this.batchOpen = true;
  }

  setPassword(handle: string, passwordHash: string): void {
    const key = nameKey(handle);
    const user = this.users.get(key);
    this.users.set(key, { handle: user?.handle ?? handle, passwordHash });
    this.batchOpen = true;
  }

  listUsers(): string[] {
    return sortedByKey(this.users).map((u) => u.handle);
  }

  listChannels(): StoredChannel[] {
    return sortedByKey(this.channels).map((c) => ({
      name: c.name,
      members: [...c.memberKeys].map((k) => this.users.get(k)?.handle ?? k),
    }));
  }

  addChannel(name: string): void {
    const key = nameKey(name);
    if (!this.channels.has(key)) this.channels.set(key, { name, memberKeys: new Set() });
    this.batchOpen = true;
  }

  addMember(channel: string, handle: string): void {
    const c = this.channels.get(nameKey(channel));
    if (c === undefined) throw new Error(`addMember: no channel ${channel}`);
    if (!this.users.has(nameKey(handle))) throw new Error(`addMember: no user ${handle}`);
    c.memberKeys.add(nameKey(handle));
    this.batchOpen = true;
  }

  removeMember(channel: string, handle: string): void {
    this.channels.get(nameKey(channel))?.memberKeys.delete(nameKey(handle));
    this.batchOpen = true;
  }

  append(message: NewMessage, offlineFor?: string): number {
    if (offlineFor !== undefined && !this.users.has(nameKey(offlineFor))) {
      throw new Error(`append: cannot queue for unknown user ${offlineFor}`);
    }
    // Copy the body: the caller may reuse its buffer once append returns (SQLite copies too).
    const stored: StoredMessage = { ...message, id: ++this.lastId, body: message.body.slice() };
    const key = isDirectTarget(message.target)
      ? dmPairKey(message.target, message.from)
      : nameKey(message.target);
    pushTo(this.conversations, key, stored);
    if (offlineFor !== undefined) pushTo(this.offline, nameKey(offlineFor), stored);
    this.batchOpen = true;
    return stored.id;
  }

  commit(): boolean {
    this.batchOpen = false;
    return true;
  }

  channelHistory(channel: string, q: HistoryQuery): StoredMessage[] {
    return history(this.conversations.get(nameKey(channel)), q);
  }

  directHistory(a: string, b: string, q: HistoryQuery): StoredMessage[] {
    return history(this.conversations.get(dmPairKey(a, b)), q);
  }

  takeOffline(handle: string): StoredMessage[] {
    const key = nameKey(handle);
    const queued = this.offline.get(key) ?? [];
    if (queued.length > 0) {
      this.offline.delete(key);
      this.batchOpen = true;
    }
    return queued.map(copy);
  }

  close(): void {
    this.batchOpen = false;
  }
}

function history(messages: StoredMessage[] | undefined, q: HistoryQuery): StoredMessage[] {
  const limit = Math.floor(q.limit);
  if (messages === undefined || !(limit > 0)) return [];
  const end = q.before === undefined ? messages.length : firstIndexAbove(messages, q.before - 1);
  if (q.after !== undefined) {
    const start = firstIndexAbove(messages, q.after);
    return messages.slice(start, Math.max(start, Math.min(end, start + limit))).map(copy);
  }
  return messages.slice(Math.max(0, end - limit), end).map(copy);
}

/** Index of the first message whose id is greater than `id` (messages are in id order). */
function firstIndexAbove(messages: StoredMessage[], id: number): number {
  let lo = 0;
  let hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (messages[mid].id > id) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function pushTo(map: Map<string, StoredMessage[]>, key: string, message: StoredMessage): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [message]);
  else list.push(message);
}

function sortedByKey<T>(map: Map<string, T>): T[] {
  return [...map.keys()].sort().map((k) => map.get(k) as T);
}

const copy = (m: StoredMessage): StoredMessage => ({ ...m });
