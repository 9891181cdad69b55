import { nameKey } from './keys.ts';
import type { Undo } from './memory-log.ts';
import type { ChannelRole, ModEntry, StoredModeration, StoreWrite } from './store.ts';

type Write<K extends 'setRole' | 'setBan' | 'setSuspended' | 'logModeration'> = Extract<StoreWrite, { op: K }>;

/**
 * Roles, bans, suspensions and the moderation log in memory (spec: OP, KICK, SUSPEND,
 * MODLOG), each write with the step that undoes it, as the rest of MemoryStore.
 */
export class MemoryModeration {
  /** channel key -> user key -> role, in the order first granted (Map order). */
  private readonly roles = new Map<string, Map<string, ChannelRole>>();
  private readonly bans = new Map<string, Set<string>>();
  private readonly suspended = new Set<string>();
  /** Oldest first. */
  private readonly log: Array<ModEntry & { channelKey: string | null }> = [];

  setRole(w: Write<'setRole'>, undo: Undo): void {
    const ch = nameKey(w.channel);
    const user = nameKey(w.handle);
    let mine = this.roles.get(ch);
    if (mine === undefined) this.roles.set(ch, (mine = new Map()));
    const m = mine;
    const before = new Map(m);
    undo.push(() => {
      m.clear();
      for (const [k, v] of before) m.set(k, v);
    });
    if (w.role === null) {
      m.delete(user);
      return;
    }
    if (w.role === 'op') {
      if (m.get(user) !== 'owner') m.set(user, 'op');
      return;
    }
    const owner = [...m].find(([, r]) => r === 'owner')?.[0];
    if (owner !== undefined && w.ifNoOwner) return;
    if (owner !== undefined && owner !== user) m.set(owner, 'op');
    m.set(user, 'owner');
  }

  setBan(w: Write<'setBan'>, undo: Undo): void {
    const ch = nameKey(w.channel);
    const user = nameKey(w.handle);
    let mine = this.bans.get(ch);
    if (mine === undefined) this.bans.set(ch, (mine = new Set()));
    const m = mine;
    if (m.has(user) === w.on) return;
    if (w.on) m.add(user);
    else m.delete(user);
    undo.push(() => (w.on ? m.delete(user) : m.add(user)));
  }

  setSuspended(w: Write<'setSuspended'>, undo: Undo): void {
    const user = nameKey(w.handle);
    if (this.suspended.has(user) === w.on) return;
    if (w.on) this.suspended.add(user);
    else this.suspended.delete(user);
    undo.push(() => (w.on ? this.suspended.delete(user) : this.suspended.add(user)));
  }

  append(w: Write<'logModeration'>, undo: Undo): void {
    this.log.push({ ...w.entry, channelKey: w.entry.channel === null ? null : nameKey(w.entry.channel) });
    undo.push(() => this.log.pop());
  }

  list(): StoredModeration {
    const roles: StoredModeration['roles'] = [];
    for (const [channel, m] of this.roles) for (const [user, role] of m) roles.push({ channel, user, role });
    const bans: StoredModeration['bans'] = [];
    for (const [channel, s] of this.bans) for (const user of s) bans.push({ channel, user, ...this.banEntry(channel, user) });
    bans.sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
    return { roles, bans, suspended: [...this.suspended] };
  }

  /** Who banned `user`, when and why: the newest `ban` entry of the log for them there. */
  private banEntry(channel: string, user: string): { by: string | null; ts: string | null; reason: string | null } {
    for (let i = this.log.length - 1; i >= 0; i--) {
      const e = this.log[i];
      if (e.action === 'ban' && e.channelKey === channel && nameKey(e.whom) === user) return { by: e.by, ts: e.ts, reason: e.reason };
    }
    return { by: null, ts: null, reason: null };
  }

  entries(channels: string[] | null, limit: number): ModEntry[] {
    const keep = channels === null ? null : new Set(channels);
    const out: ModEntry[] = [];
    for (let i = this.log.length - 1; i >= 0 && out.length < limit; i--) {
      const { channelKey, ...e } = this.log[i];
      if (keep === null || (channelKey !== null && keep.has(channelKey))) out.push(e);
    }
    return out;
  }
}
