import { nameKey } from '../store/keys.ts';
import type { ChannelRole, StoredModeration } from '../store/store.ts';

/** Who banned a user, when and why (null when the log has no entry for it): what BANS lists. */
export type BanInfo = { by: string | null; ts: string | null; reason: string | null };
const UNKNOWN: BanInfo = { by: null, ts: null, reason: null };

/**
 * Who may moderate where, and who is kept out (spec: OP, KICK, BAN, SUSPEND): each channel's
 * owner and ops, its bans, the suspended users, and the server admins named by `--admins`.
 * Part of every node's directory (directory.ts): loaded from the store with it, and kept by
 * committed events from every node, so each check is a Map lookup, no store read.
 */
export class Roles {
  /** channel key -> user key -> role, in the order first granted: the longest-standing op first. */
  private readonly roles = new Map<string, Map<string, ChannelRole>>();
  /** channel key -> user key -> the ban's maker, time and reason. */
  private readonly bans = new Map<string, Map<string, BanInfo>>();
  private readonly suspended = new Set<string>();
  /** Keys of the handles `--admins` lists: an admin only once claimed (isAdmin asks). */
  private admins = new Set<string>();

  setAdmins(handles: readonly string[]): void {
    this.admins = new Set(handles.map(nameKey));
  }

  /** Listed by `--admins`; the caller checks the handle is claimed (`Directory.isAdmin`). */
  listedAdmin(userKey: string): boolean {
    return this.admins.has(userKey);
  }

  load(m: StoredModeration): void {
    this.roles.clear();
    this.bans.clear();
    this.suspended.clear();
    for (const r of m.roles) this.setRole(r.channel, r.user, r.role);
    for (const b of m.bans) this.setBan(b.channel, b.user, true, { by: b.by, ts: b.ts, reason: b.reason });
    for (const u of m.suspended) this.suspended.add(u);
  }

  roleOf(channelKey: string, userKey: string): ChannelRole | null {
    return this.roles.get(channelKey)?.get(userKey) ?? null;
  }

  ownerOf(channelKey: string): string | null {
    for (const [user, role] of this.roles.get(channelKey) ?? []) if (role === 'owner') return user;
    return null;
  }

  /** The op who has been one longest: who owns the channel once its owner has gone. */
  longestOp(channelKey: string): string | null {
    for (const [user, role] of this.roles.get(channelKey) ?? []) if (role === 'op') return user;
    return null;
  }

  /** As the stores do (StoreWrite setRole): a new owner makes the one before an op. */
  setRole(channelKey: string, userKey: string, role: ChannelRole | null, ifNoOwner = false): void {
    let m = this.roles.get(channelKey);
    if (role === null) {
      m?.delete(userKey);
      if (m?.size === 0) this.roles.delete(channelKey);
      return;
    }
    if (m === undefined) this.roles.set(channelKey, (m = new Map()));
    if (role === 'op') {
      if (m.get(userKey) !== 'owner') m.set(userKey, 'op');
      return;
    }
    const owner = this.ownerOf(channelKey);
    if (owner !== null && ifNoOwner) return;
    if (owner !== null && owner !== userKey) m.set(owner, 'op');
    m.set(userKey, 'owner');
  }

  isBanned(channelKey: string, userKey: string): boolean {
    return this.bans.get(channelKey)?.has(userKey) ?? false;
  }

  setBan(channelKey: string, userKey: string, on: boolean, info: BanInfo = UNKNOWN): void {
    let s = this.bans.get(channelKey);
    if (on) {
      if (s === undefined) this.bans.set(channelKey, (s = new Map()));
      s.set(userKey, info);
    } else if (s !== undefined) {
      s.delete(userKey);
      if (s.size === 0) this.bans.delete(channelKey);
    }
  }

  /**
   * The channel's bans, newest first (a ban whose time is not known last), by user key; at
   * most `limit`. Sorted on each call: BANS is rare, and a channel's bans are few.
   */
  bansIn(channelKey: string, limit: number): Array<{ user: string } & BanInfo> {
    const all = [...(this.bans.get(channelKey) ?? [])].map(([user, info]) => ({ user, ...info }));
    all.sort((a, b) => (a.ts === b.ts ? (a.user < b.user ? -1 : 1) : a.ts === null ? 1 : b.ts === null ? -1 : a.ts < b.ts ? 1 : -1));
    return all.slice(0, limit);
  }

  isSuspended(userKey: string): boolean {
    return this.suspended.has(userKey);
  }

  setSuspended(userKey: string, on: boolean): void {
    if (on) this.suspended.add(userKey);
    else this.suspended.delete(userKey);
  }

  /** The channel's owner (first) and ops (in the order first granted), by key. */
  rolesIn(channelKey: string): Array<{ user: string; role: ChannelRole }> {
    const all = [...(this.roles.get(channelKey) ?? [])].map(([user, role]) => ({ user, role }));
    return [...all.filter((r) => r.role === 'owner'), ...all.filter((r) => r.role === 'op')];
  }

  /** The keys of the channels where the user is the owner or an op. */
  channelsModeratedBy(userKey: string): string[] {
    const out: string[] = [];
    for (const [ch, m] of this.roles) if (m.has(userKey)) out.push(ch);
    return out;
  }
}
