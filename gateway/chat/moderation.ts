import { LIMITS, type CommandOf } from '../../core/index.ts';
import { refuse, type Refusal } from '../sentences.ts';
import { nameKey } from '../store/keys.ts';
import type { ModEntry, StoreWrite } from '../store/store.ts';
import { moderatedChannel, RANK, rankIn } from './access.ts';
import type { Caller } from './chat.ts';
import type { ChannelEntry, UserEntry } from './directory.ts';
import type { ChatEvent } from './events.ts';
import type { ChatService } from './service.ts';

/**
 * Roles and moderation (issue 18 rules 2, 3, 4, 7; spec: OP, KICK, BAN, SUSPEND, MODLOG).
 *
 * A channel's creator owns it (a claimed handle: a guest's channel has no owner), and makes
 * ops (OP, DEOP). The owner, ops and server admins (`--admins`, once claimed) remove members
 * (KICK), keep them out (BAN, UNBAN) and delete their messages (log-rules.ts), each only
 * against someone of a lower rank (access.ts `rankIn`). Admins give a channel an owner
 * (OWNER: channels from before roles have none) and suspend users (SUSPEND, UNSUSPEND).
 * A role is held by a member: leaving or being removed ends it, and when the owner goes, the
 * longest-standing op owns the channel (none: no owner). Each action is stored first, with its
 * moderation-log entry in the same commit, then told as a committed event to every node's
 * directory and hub.
 */
export type ModerationCommand = CommandOf<'OP' | 'DEOP' | 'OWNER' | 'KICK' | 'BAN' | 'UNBAN' | 'SUSPEND' | 'UNSUSPEND'>;

export async function moderate(chat: ChatService, user: Caller, cmd: ModerationCommand): Promise<Refusal | null> {
  if (cmd.type === 'SUSPEND' || cmd.type === 'UNSUSPEND') return suspend(chat, user, cmd.handle, cmd.type === 'SUSPEND', cmd.type === 'SUSPEND' ? cmd.reason : undefined);
  const ch = moderatedChannel(chat.directory, user.key, cmd.channel);
  if (ch === undefined) return refuse.noSuchChannel(cmd.channel);
  const whom = await userNamed(chat, cmd.handle);
  if (whom === undefined) return refuse.noSuchUser(cmd.handle);
  switch (cmd.type) {
    case 'OP':
    case 'DEOP':
    case 'OWNER':
      return setRole(chat, user, ch, whom, cmd.type);
    default:
      return remove(chat, user, ch, whom, cmd.type, cmd.type === 'UNBAN' ? undefined : cmd.reason);
  }
}

async function userNamed(chat: ChatService, handle: string): Promise<UserEntry | undefined> {
  const found = chat.directory.user(handle)?.handle ?? (await chat.refreshUser(handle));
  return found === undefined ? undefined : chat.directory.user(found);
}

async function commit(chat: ChatService, writes: StoreWrite[], events: ChatEvent[], failed: string): Promise<Refusal | null> {
  if ((await chat.commits.stage(writes)) === null) return refuse.notStored(failed);
  for (const e of events) chat.emit(e);
  return null;
}

/** OP and DEOP by the owner (or an admin); OWNER by an admin: the owner before stays an op. */
async function setRole(chat: ChatService, user: Caller, ch: ChannelEntry, whom: UserEntry, verb: 'OP' | 'DEOP' | 'OWNER'): Promise<Refusal | null> {
  const rank = rankIn(chat.directory, ch.key, user.key);
  if (verb === 'OWNER' && rank < RANK.admin) return refuse.notAdmin('give a channel its owner');
  if (rank < RANK.owner) return refuse.notOwner(ch.name, verb === 'OP' ? 'make ops' : 'take an op\'s role away');
  const now = chat.directory.roles.roleOf(ch.key, whom.key);
  if (verb === 'DEOP') {
    if (now === 'owner') return refuse.ownerNotDeopped(whom.handle, ch.name);
    if (now === null) return null;
    return commit(chat, [{ op: 'setRole', channel: ch.name, handle: whom.handle, role: null }],
      [{ t: 'role', channel: ch.name, user: whom.handle, role: null, by: user.handle }], `Could not change ${whom.handle}'s role`);
  }
  if (!ch.members.has(whom.key)) return refuse.notMemberToModerate(whom.handle, ch.name);
  if (!whom.claimed) return refuse.roleNotClaimed(whom.handle);
  if (now === 'owner' || (now === 'op' && verb === 'OP')) return null;
  const role = verb === 'OP' ? 'op' : 'owner';
  const events: ChatEvent[] = [];
  const owner = chat.directory.roles.ownerOf(ch.key);
  if (role === 'owner' && owner !== null) events.push({ t: 'role', channel: ch.name, user: chat.directory.users.get(owner)?.handle ?? owner, role: 'op', by: user.handle });
  events.push({ t: 'role', channel: ch.name, user: whom.handle, role, by: user.handle });
  return commit(chat, [{ op: 'setRole', channel: ch.name, handle: whom.handle, role }], events, `Could not change ${whom.handle}'s role`);
}

const RANK_WORDS = { [RANK.op]: 'an op of it', [RANK.owner]: 'its owner', [RANK.admin]: 'a server admin' } as const;

/** KICK, BAN and UNBAN: by someone who outranks the one removed; logged. */
async function remove(chat: ChatService, user: Caller, ch: ChannelEntry, whom: UserEntry, verb: 'KICK' | 'BAN' | 'UNBAN', reason: string | undefined): Promise<Refusal | null> {
  const what = verb === 'KICK' ? 'remove members' : verb === 'BAN' ? 'ban users' : 'lift bans';
  const rank = rankIn(chat.directory, ch.key, user.key);
  if (rank < RANK.op) return refuse.notOp(ch.name, what);
  if (whom.key === user.key) return refuse.moderateSelf(verb.toLowerCase());
  const theirs = rankIn(chat.directory, ch.key, whom.key);
  if (verb !== 'UNBAN' && theirs >= rank) return refuse.outranked(whom.handle, ch.name, RANK_WORDS[theirs as 1 | 2 | 3]);
  const member = ch.members.has(whom.key);
  const banned = chat.directory.roles.isBanned(ch.key, whom.key);
  if (verb === 'KICK' && !member) return refuse.notMemberToModerate(whom.handle, ch.name);
  if (verb === 'UNBAN' && !banned) return null;
  const action = verb === 'KICK' ? 'kick' : verb === 'BAN' ? 'ban' : 'unban';
  const entry: ModEntry = { ts: new Date().toISOString(), action, by: user.handle, whom: whom.handle, channel: ch.name, id: null, reason: reason || null };
  const writes: StoreWrite[] = [];
  const events: ChatEvent[] = [{ t: 'moderated', action, channel: ch.name, user: whom.handle, by: user.handle, reason: entry.reason, ts: entry.ts }];
  if (verb !== 'UNBAN') {
    if (verb === 'BAN') writes.push({ op: 'setBan', channel: ch.name, handle: whom.handle, on: true });
    if (member) writes.push({ op: 'removeMember', channel: ch.name, handle: whom.handle });
    departure(chat, ch, whom, writes, events);
  } else writes.push({ op: 'setBan', channel: ch.name, handle: whom.handle, on: false });
  writes.push({ op: 'logModeration', entry });
  return commit(chat, writes, events, `Could not ${verb.toLowerCase()} ${whom.handle}`);
}

/**
 * A member is leaving `ch` (LEAVE, KICK, BAN): their role goes, and the owner's passes to the
 * longest-standing op. Adds the writes and the events that follow their departure's.
 */
export function departure(chat: ChatService, ch: ChannelEntry, whom: { key: string; handle: string }, writes: StoreWrite[], events: ChatEvent[]): void {
  const role = chat.directory.roles.roleOf(ch.key, whom.key);
  if (role === null) return;
  writes.push({ op: 'setRole', channel: ch.name, handle: whom.handle, role: null });
  if (role !== 'owner') return;
  const heir = chat.directory.roles.longestOp(ch.key);
  if (heir === null) return;
  const handle = chat.directory.users.get(heir)?.handle ?? heir;
  writes.push({ op: 'setRole', channel: ch.name, handle, role: 'owner' });
  events.push({ t: 'role', channel: ch.name, user: handle, role: 'owner', by: null });
}

/** A new channel's first owner: its creator, when claimed (a guest's handle passes to anyone). */
export function creatorRole(chat: ChatService, user: Caller, channel: string): { writes: StoreWrite[]; event: ChatEvent | null } {
  if (!(chat.directory.users.get(user.key)?.claimed ?? false)) return { writes: [], event: null };
  return {
    writes: [{ op: 'setRole', channel, handle: user.handle, role: 'owner', ifNoOwner: true }],
    event: { t: 'role', channel, user: user.handle, role: 'owner', by: null, ifNoOwner: true },
  };
}

/** SUSPEND and UNSUSPEND, by admins: the user's connections end on every node; logged. */
async function suspend(chat: ChatService, user: Caller, handle: string, on: boolean, reason: string | undefined): Promise<Refusal | null> {
  if (!chat.directory.isAdmin(user.key)) return refuse.notAdmin(on ? 'suspend users' : 'lift a suspension');
  const whom = await userNamed(chat, handle);
  if (whom === undefined) return refuse.noSuchUser(handle);
  if (whom.key === user.key) return refuse.moderateSelf(on ? 'suspend' : 'unsuspend');
  if (on && chat.directory.isAdmin(whom.key)) return refuse.adminNotSuspended(whom.handle);
  if (chat.directory.roles.isSuspended(whom.key) === on) return null;
  const entry: ModEntry = { ts: new Date().toISOString(), action: on ? 'suspend' : 'unsuspend', by: user.handle, whom: whom.handle, channel: null, id: null, reason: reason || null };
  return commit(chat, [{ op: 'setSuspended', handle: whom.handle, on }, { op: 'logModeration', entry }],
    [{ t: 'suspended', user: whom.handle, by: user.handle, reason: entry.reason, on }], `Could not ${on ? 'suspend' : 'unsuspend'} ${whom.handle}`);
}

export type RoleLine = { channel: string; handle: string; role: 'owner' | 'op' | 'admin' };

/**
 * ROLES #channel: its owner and ops, to whoever may see the channel (a private one: its
 * members). A bare ROLES: the caller's own roles, `admin` (channel `-`) first for a server
 * admin, then each channel they own or op, by name: how an app learns what to offer.
 */
export function roles(chat: ChatService, user: Caller, channel: string | undefined): Refusal | RoleLine[] {
  const handle = (key: string) => chat.directory.users.get(key)?.handle ?? key;
  if (channel === undefined) {
    const mine: RoleLine[] = chat.directory.isAdmin(user.key) ? [{ channel: '-', handle: user.handle, role: 'admin' }] : [];
    const where = chat.directory.roles.channelsModeratedBy(user.key).sort();
    for (const key of where) {
      const role = chat.directory.roles.roleOf(key, user.key);
      const ch = chat.directory.channels.get(key);
      if (role !== null && ch !== undefined) mine.push({ channel: ch.name, handle: user.handle, role });
    }
    return mine;
  }
  const ch = chat.directory.visibleChannel(channel, user.key);
  if (ch === undefined) return refuse.noSuchChannel(channel);
  return chat.directory.roles.rolesIn(ch.key).map((r) => ({ channel: ch.name, handle: handle(r.user), role: r.role }));
}

export type BanLine = { handle: string; by: string | null; ts: string | null; reason: string | null };

/**
 * BANS #channel: who is banned from it, newest first, at most LIMITS.maxBans; to those who
 * may UNBAN (its owner and ops, server admins: others NOT_OP). Read from this node's
 * directory, which JOIN's ban check reads too, so the list and the refusals agree.
 */
export function bans(chat: ChatService, user: Caller, channel: string): Refusal | { channel: string; bans: BanLine[] } {
  const ch = moderatedChannel(chat.directory, user.key, channel);
  if (ch === undefined) return refuse.noSuchChannel(channel);
  if (rankIn(chat.directory, ch.key, user.key) < RANK.op) return refuse.notOp(ch.name, 'see who is banned');
  const list = chat.directory.roles.bansIn(ch.key, LIMITS.maxBans);
  return { channel: ch.name, bans: list.map((b) => ({ handle: chat.directory.users.get(b.user)?.handle ?? b.user, by: b.by, ts: b.ts, reason: b.reason })) };
}

/** MODLOG: admins read all of it; owners and ops, their channels'; newest first. */
export async function modlog(chat: ChatService, user: Caller, limit: number): Promise<Refusal | ModEntry[]> {
  await chat.commits.settled();
  if (chat.directory.isAdmin(user.key)) return chat.store.modlog(null, limit);
  const mine = chat.directory.roles.channelsModeratedBy(user.key);
  if (mine.length === 0) return refuse.modlogNotAllowed();
  return chat.store.modlog(mine.map((k) => nameKey(k)), limit);
}
