import { nameKey } from '../store/keys.ts';
import type { ChannelTopic, Store } from '../store/store.ts';
import type { ChatEvent } from './events.ts';
import { LookalikeIndex } from './confusable.ts';
import { Roles } from './roles.ts';

export type UserEntry = { key: string; handle: string; claimed: boolean };
/** `private`: listed and readable only by its members (CREATE #name private); never becomes public. */
export type ChannelEntry = { key: string; name: string; members: Set<string>; topic: ChannelTopic | null; private: boolean };

/**
 * Who exists and who belongs where, across the cluster: a cache of the store, kept current
 * by the committed events of every node (chat/events.ts) and reloaded whole when the bus may
 * have lost some. Commands read it synchronously, so a MSG's checks cost no round trip.
 */
export class Directory {
  readonly users = new Map<string, UserEntry>();
  readonly channels = new Map<string, ChannelEntry>();
  /** user key -> the keys of their channels, online or not, in the order they joined. */
  private readonly memberships = new Map<string, Set<string>>();
  private sortedCache: ChannelEntry[] | null = null;
  /** Every handle and channel by its confusable skeleton: a new name may not pass for one (confusable.ts). */
  readonly handleLookalikes = new LookalikeIndex();
  readonly channelLookalikes = new LookalikeIndex();

  /** user key -> the keys of the users they block (BLOCK): a blocked user's DMs to them are refused. */
  private readonly blocked = new Map<string, Set<string>>();
  /** Channel owners and ops, bans, suspensions and the server admins (roles.ts). */
  readonly roles = new Roles();
  /**
   * The events applied while a reload reads the store: its snapshot may have been read before
   * they committed, so they are applied again on top of it (each is idempotent). Without this, a
   * JOIN made during a resync vanished from the cache until the next one (CI, multi-node.test.ts).
   */
  private duringLoad: ChatEvent[][] = [];

  async load(store: Store): Promise<void> {
    const since: ChatEvent[] = [];
    this.duringLoad.push(since);
    let snapshot;
    try {
      snapshot = await Promise.all([
        store.listUsers(), store.listChannels(), store.listClaimed(), store.listBlocks(), store.listModeration(),
      ]);
    } finally {
      this.duringLoad.splice(this.duringLoad.indexOf(since), 1);
    }
    const [users, channels, claimedKeys, blocks, moderation] = snapshot;
    this.roles.load(moderation);
    const claimed = new Set(claimedKeys);
    this.users.clear();
    this.channels.clear();
    this.memberships.clear();
    this.handleLookalikes.clear();
    this.channelLookalikes.clear();
    this.sortedCache = null;
    for (const handle of users) this.addUser(handle, claimed.has(nameKey(handle)));
    for (const ch of channels) {
      this.addChannel(ch.name, ch.private === true).topic = ch.topic;
      for (const m of ch.members) this.addMember(ch.name, m);
    }
    this.blocked.clear();
    for (const b of blocks) this.setBlock(b.by, b.blocked, true);
    for (const e of since) this.applyOne(e);
  }

  apply(e: ChatEvent): void {
    if (e.t !== 'msg') for (const pending of this.duringLoad) pending.push(e);
    this.applyOne(e);
  }

  private applyOne(e: ChatEvent): void {
    switch (e.t) {
      case 'user':
        this.addUser(e.handle, e.claimed);
        break;
      case 'joined':
        this.addChannel(e.channel, e.private === true);
        this.addMember(e.channel, e.user);
        break;
      case 'left':
        this.removeMember(e.channel, e.user);
        // A role is held by a member: one who leaves loses it (the owner's passes: moderation.ts).
        this.roles.setRole(nameKey(e.channel), nameKey(e.user), null);
        break;
      case 'role':
        this.roles.setRole(nameKey(e.channel), nameKey(e.user), e.role, e.ifNoOwner === true);
        break;
      case 'moderated':
        if (e.action !== 'unban') {
          this.removeMember(e.channel, e.user);
          this.roles.setRole(nameKey(e.channel), nameKey(e.user), null);
        }
        if (e.action !== 'kick') this.roles.setBan(nameKey(e.channel), nameKey(e.user), e.action === 'ban', { by: e.by, ts: e.ts ?? null, reason: e.reason });
        break;
      case 'suspended':
        this.roles.setSuspended(nameKey(e.user), e.on);
        break;
      case 'block':
        this.setBlock(nameKey(e.user), nameKey(e.blocked), e.on);
        break;
      case 'topic': {
        const ch = this.channel(e.channel);
        if (ch !== undefined) ch.topic = e.topic;
        break;
      }
      default:
        break;
    }
  }

  user(handle: string): UserEntry | undefined {
    return this.users.get(nameKey(handle));
  }

  channel(name: string): ChannelEntry | undefined {
    return this.channels.get(nameKey(name));
  }

  /**
   * The channel as `userKey` may know it: a private channel they are not in is, to them, a
   * channel that does not exist (access.ts). Every command that names a channel asks this.
   */
  visibleChannel(name: string, userKey: string | null): ChannelEntry | undefined {
    const ch = this.channels.get(nameKey(name));
    if (ch === undefined || !ch.private) return ch;
    return userKey !== null && ch.members.has(userKey) ? ch : undefined;
  }

  /** The channels a user belongs to, in the order they joined. */
  channelsOf(userKey: string): ChannelEntry[] {
    const keys = this.memberships.get(userKey);
    if (keys === undefined) return [];
    const out: ChannelEntry[] = [];
    for (const k of keys) {
      const ch = this.channels.get(k);
      if (ch !== undefined) out.push(ch);
    }
    return out;
  }

  /** Whether the user `by` blocks the user `userKey` (keys). */
  blocks(by: string, userKey: string): boolean {
    return this.blocked.get(by)?.has(userKey) ?? false;
  }

  /** A server admin: listed by `--admins` and claimed (a listed handle nobody has claimed is no admin). */
  isAdmin(userKey: string): boolean {
    return this.roles.listedAdmin(userKey) && (this.users.get(userKey)?.claimed ?? false);
  }

  isMember(channelKey: string, userKey: string): boolean {
    return this.channels.get(channelKey)?.members.has(userKey) ?? false;
  }

  /** Every channel, sorted by key; kept between calls (CHNS pages through it). */
  sorted(): ChannelEntry[] {
    if (this.sortedCache === null) {
      this.sortedCache = [...this.channels.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    }
    return this.sortedCache;
  }

  addUser(handle: string, claimed: boolean): UserEntry {
    const key = nameKey(handle);
    let u = this.users.get(key);
    if (u === undefined) {
      this.users.set(key, (u = { key, handle, claimed }));
      this.handleLookalikes.add(handle);
    } else if (claimed) u.claimed = true;
    return u;
  }

  /**
   * `isPrivate` marks a channel private, also one already known: every event of a private
   * channel says so, and a channel never becomes public, so whichever event comes first, the
   * channel ends private.
   */
  addChannel(name: string, isPrivate = false): ChannelEntry {
    const key = nameKey(name);
    let ch = this.channels.get(key);
    if (ch === undefined) {
      this.channels.set(key, (ch = { key, name, members: new Set(), topic: null, private: isPrivate }));
      this.channelLookalikes.add(name);
      this.sortedCache = null;
    } else if (isPrivate) ch.private = true;
    return ch;
  }

  private addMember(channel: string, handle: string): void {
    const ch = this.addChannel(channel);
    const userKey = nameKey(handle);
    ch.members.add(userKey);
    let of = this.memberships.get(userKey);
    if (of === undefined) this.memberships.set(userKey, (of = new Set()));
    of.add(ch.key);
  }

  private setBlock(by: string, userKey: string, on: boolean): void {
    let mine = this.blocked.get(by);
    if (on) {
      if (mine === undefined) this.blocked.set(by, (mine = new Set()));
      mine.add(userKey);
    } else if (mine !== undefined) {
      mine.delete(userKey);
      if (mine.size === 0) this.blocked.delete(by);
    }
  }

  private removeMember(channel: string, handle: string): void {
    const key = nameKey(channel);
    const userKey = nameKey(handle);
    this.channels.get(key)?.members.delete(userKey);
    this.memberships.get(userKey)?.delete(key);
  }
}
