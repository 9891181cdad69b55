import { DEFAULT_CHANNEL } from '../../core/index.ts';
import type { Bus } from '../bus/bus.ts';
import type { Presence } from '../presence/presence.ts';
import type { Logger } from '../logger.ts';
import type { FloodControl } from '../limits/flood.ts';
import type { SignInLimits } from '../limits/sign-in-limits.ts';
import { refuse, type Refusal } from '../sentences.ts';
import { nameKey } from '../store/keys.ts';
import type { ChannelTopic, ModEntry, ConversationState, HistoryQuery, LogEntry, StoredMessage, StoredPref, Store, ThreadState } from '../store/store.ts';
import { mentionsIn } from './mentions.ts';
import type { Caller, ChannelPage, Chat, ChatHost, Posted, Registered } from './chat.ts';
import { Directory } from './directory.ts';
import { decodeBatch, encodeBatch, originPrefix, type ChatEvent } from './events.ts';
import { GroupCommit } from './group-commit.ts';
import { Inbound, type RepairSource } from './inbound.ts';
import { register } from './register.ts';
import { issueToken, resume, signOut } from './sessions.ts';
import { changePassword } from './password.ts';
import { listPrefs, setPref } from './prefs.ts';
import { blockAwareDelivery, listBlocks, setBlock } from './blocks.ts';
import * as membership from './membership.ts';
import * as privateChannels from './private-channels.ts';
import * as moderation from './moderation.ts';
import * as logRules from './log-rules.ts';
import { isRefusal, placeOf, type Place } from './access.ts';
import { search, type Found } from './search.ts';
import type { SearchQuery } from '../../core/index.ts';

/** What the service reports for /metrics (metrics.ts implements it). */
export type ChatMetrics = {
  commitTook(seconds: number, ok: boolean): void;
  busLag(seconds: number): void;
  gapRepaired(n: number, source: RepairSource): void;
};

export type ChatOptions = {
  store: Store;
  presence: Presence;
  /** Null for one node alone: nothing to publish to, nothing to miss. */
  bus: Bus | null;
  nodeId: string;
  host: ChatHost;
  log: Logger;
  signIn: SignInLimits;
  flood: FloodControl;
  metrics?: ChatMetrics;
  /** --require-passwords: no guest handles. */
  requirePasswords?: boolean;
  /** How often a node compares its conversations with the store while the bus is healthy, and while it is not. */
  pollMs?: number;
  unhealthyPollMs?: number;
  /** --admins: the handles that are server admins once claimed (chat/moderation.ts). */
  admins?: readonly string[];
  /** Told of each event this node emits, once committed and before anyone else (files record their shares). */
  committed?: (event: ChatEvent) => void;
};

/** The one bus topic: every node gets every event and keeps what its users follow. */
export const EVENTS_TOPIC = 'slck:events';

/**
 * The chat rules for this node: checks against the directory (a cache of who exists and
 * belongs where), writes staged into the group commit, and once a batch has committed,
 * its events applied here at once and published for the other nodes. Nothing is told to
 * anyone, here or elsewhere, before the store has committed it.
 */
export class ChatService implements Chat {
  readonly directory = new Directory();
  readonly commits: GroupCommit;
  readonly inbound: Inbound;
  readonly store: Store;
  readonly presence: Presence;
  readonly signIn: SignInLimits;
  readonly log: Logger;
  private readonly bus: Bus | null;
  private readonly nodeId: string;
  private readonly host: ChatHost;
  readonly flood: FloodControl;
  private readonly metrics: ChatMetrics | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  readonly requirePasswords: boolean;
  private polling = false;
  /** Events committed this turn, published together. */
  private outgoing: ChatEvent[] = [];
  private readonly ownPrefix: Uint8Array;

  constructor(private readonly opts: ChatOptions) {
    this.store = opts.store;
    this.presence = opts.presence;
    this.bus = opts.bus;
    this.nodeId = opts.nodeId;
    this.host = opts.host;
    this.log = opts.log;
    this.signIn = opts.signIn;
    this.flood = opts.flood;
    this.metrics = opts.metrics;
    this.requirePasswords = opts.requirePasswords ?? false;
    this.ownPrefix = new TextEncoder().encode(originPrefix(opts.nodeId));
    this.directory.roles.setAdmins(opts.admins ?? []);
    this.commits = new GroupCommit(this.store, (s, ok) => this.metrics?.commitTook(s, ok));
    this.inbound = new Inbound(this.store, blockAwareDelivery(this.host, this.directory), (n, source) => {
      this.metrics?.gapRepaired(n, source);
      this.log.warn({ messages: n, source }, 'read back messages the bus missed');
    }, (err) => this.log.warn({ err }, 'gap repair: the store is unreachable; trying again'));
  }

  /** Load the directory, make sure the default channel exists, and follow the bus. */
  async start(): Promise<void> {
    this.presence.onLost = (user, conn) => {
      this.log.warn({ user, client: conn }, 'handle taken over by another node while this one was out of touch');
      this.host.lost(user, conn);
    };
    await this.directory.load(this.store);
    if (this.directory.channel(DEFAULT_CHANNEL) === undefined) {
      if ((await this.commits.stage([{ op: 'addChannel', name: DEFAULT_CHANNEL }])) === null) {
        throw new Error(`cannot create ${DEFAULT_CHANNEL}: ${this.store.lastFailure?.message ?? 'the store failed'}`);
      }
      this.directory.addChannel(DEFAULT_CHANNEL);
    }
    const every = (ms: number, run: () => void) => this.timers.push(setInterval(run, ms).unref());
    // A dead node's users go offline once their presence expires: one node announces each.
    every(5_000, () => void this.sweep());
    every(10_000, () => this.inbound.prune());
    const bus = this.bus;
    if (bus === null) return;
    bus.onMessage = (_topic, payload) => this.fromBus(payload);
    bus.onResync = () => void this.resync();
    bus.subscribe(EVENTS_TOPIC);
    const pollMs = this.opts.pollMs ?? 1_000;
    const unhealthyMs = this.opts.unhealthyPollMs ?? 250;
    let since = 0;
    every(unhealthyMs, () => {
      since += unhealthyMs;
      if (bus.healthy && since < pollMs) return;
      since = 0;
      void this.poll(!bus.healthy);
    });
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
  }

  // ------------------------------------------------------------ the rules

  register(req: { conn: string; address: string; handle: string; password?: string }): Promise<Registered | Refusal> {
    return register(this, req);
  }

  resume(req: { conn: string; address: string; handle: string; token: string }): Promise<Registered | Refusal> {
    return resume(this, req);
  }

  issueToken(user: Caller): Promise<Refusal | { token: string; tokenHash: string; expires: string }> {
    return issueToken(this, user);
  }

  async signOut(user: Caller, tokenHash: string | null, all: boolean): Promise<Refusal | null> {
    const refused = await signOut(this, user, tokenHash, all);
    if (refused === null && all) this.emit({ t: 'signedOut', user: user.handle, via: this.via(user) });
    return refused;
  }

  changePassword(user: Caller, address: string, current: string | undefined, next: string, keepToken: string | null): Promise<Refusal | null> {
    return changePassword(this, user, address, current, next, keepToken);
  }

  online(user: Caller, registered: Registered): void {
    // Suspended while this sign-in was under way (after its check in register.ts): out again.
    if (this.directory.roles.isSuspended(user.key)) {
      this.host.apply({ t: 'suspended', user: user.handle, by: 'a server admin', reason: null, on: true });
      return;
    }
    // Messages from here on reach them live; what came before they read with HISTORY.
    for (const c of registered.channels) this.inbound.watch(nameKey(c.name), c.lastId);
    if (registered.direct !== undefined) {
      for (const c of registered.direct) this.inbound.watch(c.conversation, c.lastId);
      this.inbound.trackDirect(user.key);
    }
    this.presence.add(user.key, user.conn).then((first) => {
      if (first) this.emit({ t: 'online', user: user.handle, channels: this.channelKeys(user.key) });
    }, (err) => this.log.warn({ err, user: user.handle }, 'presence: could not record a sign-in'));
  }

  signOff(user: Caller): void {
    this.presence.remove(user.key, user.conn).then((last) => {
      if (last) this.emit({ t: 'offline', user: user.handle, channels: this.channelKeys(user.key) });
    }, (err) => this.log.warn({ err, user: user.handle }, 'presence: could not record a sign-off'));
    this.presence.release(user.key, user.conn).catch(() => {});
  }

  abandon(user: Caller): void {
    this.presence.release(user.key, user.conn).catch(() => {});
  }

  topic(user: Caller, channel: string, text?: string): Refusal | Promise<Refusal | { channel: string; topic: ChannelTopic | null }> {
    return membership.topic(this, user, channel, text);
  }

  join(user: Caller, channel: string): Promise<Refusal | { channel: string; lastId: number }> {
    return membership.join(this, user, channel);
  }

  create(user: Caller, channel: string, isPrivate: boolean): Promise<Refusal | { channel: string; lastId: number }> {
    return privateChannels.create(this, user, channel, isPrivate);
  }

  invite(user: Caller, channel: string, handle: string): Promise<Refusal | null> {
    return privateChannels.invite(this, user, channel, handle);
  }

  leave(user: Caller, channel: string): Promise<Refusal | { channel: string }> {
    return membership.leave(this, user, channel);
  }

  read(user: Caller, target: string, id: number): Refusal | Promise<Refusal | { target: string; id: number }> {
    return membership.read(this, user, target, id);
  }

  post(user: Caller, target: string, body: Uint8Array): Refusal | Promise<Posted | Refusal> {
    const place = placeOf(this, user, target, 'write');
    if (place instanceof Promise) return place.then((p) => (isRefusal(p) ? p : this.postAt(user, p, body)));
    return isRefusal(place) ? place : this.postAt(user, place, body);
  }

  private postAt(user: Caller, place: Place, body: Uint8Array): Promise<Posted | Refusal> {
    const to = place.to;
    // A direct message is kept for the recipient's next sign-in unless they are here to take
    // it now; a node that hands it over takes it out of the queue (`delivered`).
    const offlineFor = place.recipientKey !== undefined && !this.host.isHere(place.recipientKey) ? place.recipientKey : undefined;
    const ts = new Date().toISOString();
    const message = { target: to, from: user.handle, ts, body };
    const mentions = mentionsIn(body, place.channel, (name) => this.directory.user(name)?.key);
    return this.commits.stage([{ op: 'append', message, offlineFor, mentions }]).then((ids) => {
      if (ids === null) return refuse.messageNotStored(to);
      const id = ids[0];
      this.emit({ t: 'msg', conv: place.conv, id, ...message, queued: offlineFor !== undefined, via: this.via(user) });
      return { id, ts, target: to };
    });
  }

  history(user: Caller, target: string, q: HistoryQuery): Refusal | Promise<StoredMessage[] | Refusal> {
    // What this connection has just sent is committed first, so history shows it.
    const read = (p: Place) => this.commits.settled().then(() =>
      p.channel ? this.store.channelHistory(p.to, q) : this.store.directHistory(user.handle, p.to, q));
    const place = placeOf(this, user, target, 'read');
    if (place instanceof Promise) return place.then<StoredMessage[] | Refusal>((p) => (isRefusal(p) ? p : read(p)));
    return isRefusal(place) ? place : read(place);
  }

  replay(user: Caller, target: string, after: number, limit: number): Promise<LogEntry[] | Refusal> {
    return logRules.log(this, user, target, after, limit);
  }

  reply(user: Caller, target: string, root: number, body: Uint8Array, also: boolean): logRules.Staged<Posted | Refusal> {
    return logRules.reply(this, user, target, root, body, also);
  }

  change(user: Caller, target: string, change: logRules.Change): logRules.Staged<logRules.Changed | Refusal> {
    return logRules.change(this, user, target, change);
  }

  thread(user: Caller, target: string, id: number, limit: number): Promise<StoredMessage[] | Refusal> {
    return logRules.thread(this, user, target, id, limit);
  }

  async threads(user: Caller): Promise<ThreadState[]> {
    // A private channel's threads are for its members: one who left it no longer sees them.
    return (await logRules.threads(this, user)).filter((t) => !this.directory.channel(t.conversation)?.private || this.directory.isMember(nameKey(t.conversation), user.key));
  }

  readThread(user: Caller, target: string, root: number, id: number): Promise<Refusal | null> {
    return logRules.readThread(this, user, target, root, id);
  }

  typing(user: Caller, target: string, passOn: boolean): Promise<Refusal | null> {
    return logRules.typing(this, user, target, passOn);
  }

  search(user: Caller, query: SearchQuery): Promise<Found | Refusal> {
    return search(this, user, query);
  }

  isHere(userKey: string): boolean {
    return this.host.isHere(userKey);
  }

  users(viewer: string | null, channel?: string): Refusal | Promise<Array<{ handle: string; online: boolean; guest: boolean }>> {
    let keys: Iterable<string> = this.directory.users.keys();
    if (channel !== undefined) {
      const ch = this.directory.visibleChannel(channel, viewer);
      if (ch === undefined) return refuse.noSuchChannel(channel);
      keys = ch.members;
    }
    const list = [...keys];
    return this.presence.everyone().then((online) => {
      const here = new Set(online);
      return list.map((k) => {
        const u = this.directory.users.get(k);
        return { handle: u?.handle ?? k, online: here.has(k), guest: !(u?.claimed ?? false) };
      });
    });
  }

  async unread(user: Caller): Promise<ConversationState[]> {
    await this.commits.settled();
    return this.store.conversationsOf(user.handle, this.channelKeys(user.key));
  }

  prefs(user: Caller): Promise<Refusal | StoredPref[]> {
    return listPrefs(this, user).catch(() => refuse.storeUnreachable('Could not read your settings'));
  }

  setPref(user: Caller, key: string, value: string | null): Promise<Refusal | null> {
    return setPref(this, user, this.via(user), key, value).catch(() => refuse.storeUnreachable(`Could not keep the setting ${key}`));
  }

  block(user: Caller, target: string, on: boolean): Promise<Refusal | null> {
    return setBlock(this, user, this.via(user), target, on).catch(() => refuse.storeUnreachable(`Could not ${on ? 'block' : 'unblock'} ${target}`));
  }

  blocks(user: Caller): Promise<Refusal | string[]> {
    return listBlocks(this, user).catch(() => refuse.storeUnreachable('Could not read whom you block'));
  }

  moderate(user: Caller, cmd: moderation.ModerationCommand): Promise<Refusal | null> {
    return moderation.moderate(this, user, cmd);
  }

  roles(user: Caller, channel: string | undefined): ReturnType<typeof moderation.roles> {
    return moderation.roles(this, user, channel);
  }

  bans(user: Caller, channel: string): ReturnType<typeof moderation.bans> {
    return moderation.bans(this, user, channel);
  }

  modlog(user: Caller, limit: number): Promise<Refusal | ModEntry[]> {
    return moderation.modlog(this, user, limit).catch(() => refuse.storeUnreachable('Could not read the moderation log'));
  }

  channels(viewer: string | null, limit: number, after?: string): ChannelPage {
    const sorted = this.directory.sorted();
    // Private channels are listed to their members only (and marked for them).
    const seen = (c: (typeof sorted)[number]) => !c.private || (viewer !== null && c.members.has(viewer));
    const page: typeof sorted = [];
    let i = after === undefined ? 0 : firstAfter(sorted, nameKey(after));
    for (; i < sorted.length && page.length < limit; i++) if (seen(sorted[i])) page.push(sorted[i]);
    while (i < sorted.length && !seen(sorted[i])) i++;
    const more = i < sorted.length && page.length > 0 ? page[page.length - 1].name : undefined;
    return { page: page.map((c) => (c.private ? { name: c.name, members: c.members.size, private: true } : { name: c.name, members: c.members.size })), more };
  }

  probeHolder(userKey: string): void {
    if (this.host.isHere(userKey)) this.host.probe(userKey);
  }

  delivered(handle: string, messages: Array<{ conversation: string; id: number }>): Promise<boolean> {
    if (messages.length === 0) return Promise.resolve(true);
    // If this commit fails the messages stay queued and come again at the next sign-in.
    return this.commits.stage([{ op: 'delivered', handle, messages }]).then((ids) => ids !== null);
  }

  isExempt(userKey: string): boolean {
    return this.flood.isListedExempt(userKey) && (this.directory.users.get(userKey)?.claimed ?? false);
  }

  settled(): Promise<void> {
    return this.commits.settled();
  }

  // ------------------------------------------------------------ events

  /** A committed event: applied here at once, and published for the other nodes. */
  emit(event: ChatEvent): void {
    this.opts.committed?.(event);
    this.apply(event);
    if (this.bus === null) return;
    // A turn's events go out as one payload: one publish per commit, not per message.
    if (this.outgoing.push(event) === 1) {
      queueMicrotask(() => {
        const events = this.outgoing;
        this.outgoing = [];
        this.bus?.publish(EVENTS_TOPIC, encodeBatch(this.nodeId, Date.now(), events));
      });
    }
  }

  private apply(event: ChatEvent): void {
    this.directory.apply(event);
    if (event.t === 'msg') this.inbound.accept(event);
    else this.host.apply(event);
  }

  private fromBus(payload: Uint8Array): void {
    // Our own events were applied when they committed: their echo is dropped unparsed.
    if (startsWith(payload, this.ownPrefix)) return;
    const batch = decodeBatch(payload);
    if (batch === null || batch.origin === this.nodeId) return;
    this.metrics?.busLag(Math.max(0, Date.now() - batch.at) / 1000);
    for (const e of batch.events) this.apply(e);
  }

  /** The bus may have lost events: reload the directory, and read back missed messages. */
  private async resync(): Promise<void> {
    try {
      await this.directory.load(this.store);
    } catch (err) {
      this.log.warn({ err }, 'resync: could not reload the directory');
    }
    await this.poll(true);
  }

  private async poll(eager: boolean): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      await this.inbound.poll(eager);
    } catch (err) {
      this.log.warn({ err }, 'poll: the store is unreachable');
    } finally {
      this.polling = false;
    }
  }

  private async sweep(): Promise<void> {
    try {
      for (const handle of await this.presence.sweep()) {
        const u = this.directory.users.get(handle);
        this.emit({ t: 'offline', user: u?.handle ?? handle, channels: this.channelKeys(handle) });
      }
    } catch (err) {
      this.log.warn({ err }, 'presence sweep failed');
    }
  }

  /** How events name the caller's connection: see MessageEvent.via. */
  via(user: Caller): string {
    return `${this.nodeId}/${user.conn}`;
  }

  channelKeys(userKey: string): string[] {
    return this.directory.channelsOf(userKey).map((c) => c.key);
  }

  async lastId(conversation: string): Promise<number> {
    return (await this.store.lastIds([conversation])).get(conversation) ?? 0;
  }

  /** A handle this node has not heard of may have registered on another node just now. */
  async refreshUser(handle: string): Promise<string | undefined> {
    const stored = await this.store.getUser(handle);
    if (stored === undefined) return undefined;
    this.directory.addUser(stored.handle, stored.passwordHash !== null);
    return stored.handle;
  }
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** Index of the first channel whose key sorts after `key` (binary search). */
function firstAfter(sorted: Array<{ key: string }>, key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid].key <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
