import { refuse, type Refusal } from '../sentences.ts';
import { conversationOf, nameKey } from '../store/keys.ts';
import type { Caller } from './chat.ts';
import type { ChannelEntry, Directory } from './directory.ts';

/**
 * Who may see and do what, where: the one rule every command that names a conversation asks
 * (MSG, REPLY, EDIT, DELETE, REACT, TYPING, HISTORY, THREAD, READ; TOPIC, LEAVE, USRS, JOIN
 * and INVITE ask the directory's `visibleChannel`, its first half). A channel is for its
 * members, to read and to write; a private one, to anyone else, does not exist (spec: CREATE
 * and INVITE); a direct conversation is for its two users. An answer is
 * the conversation's key and its name as the user addresses it, or the refusal to give.
 *
 * It answers at once when this node's directory knows the target (the hot path of MSG
 * stays synchronous), and with a promise when a handle must be looked up in the store (it
 * may have registered on another node a moment ago).
 */
export type Place = {
  /** The conversation's key (keys.ts). */
  conv: string;
  /** `#channel` or the other user's `@handle`, display case. */
  to: string;
  channel: boolean;
  /** In a direct conversation, the other user's key. */
  recipientKey?: string;
};

export type Intent = 'write' | 'read';

export type AccessDeps = {
  readonly directory: Directory;
  refreshUser(handle: string): Promise<string | undefined>;
};

export function placeOf(chat: AccessDeps, user: Caller, target: string, intent: Intent): Refusal | Place | Promise<Refusal | Place> {
  if (target.charCodeAt(0) === 35) {
    // A private channel the user is not in is one that does not exist: the same line, byte
    // for byte, named as they wrote it (its display case would tell that it exists).
    const ch = chat.directory.visibleChannel(target, user.key);
    if (ch === undefined) return refuse.noSuchChannel(target);
    if (!ch.members.has(user.key)) return intent === 'write' ? refuse.notMemberToPost(ch.name) : refuse.notMemberToRead(ch.name);
    return { conv: ch.key, to: ch.name, channel: true };
  }
  const u = chat.directory.user(target);
  if (u !== undefined) return direct(chat, user, u.handle, u.key, intent);
  return chat.refreshUser(target).then((found) => {
    if (found === undefined) return refuse.noSuchUser(target);
    return direct(chat, user, found, chat.directory.user(found)?.key ?? nameKey(found), intent);
  });
}

/**
 * A direct conversation: to write in it (MSG, REPLY, EDIT, DELETE, REACT, TYPING) the other
 * user must not block the caller, nor be suspended. The refusal is the one every undeliverable DM gets, so a
 * block is not revealed; reading what was said before (HISTORY, THREAD, READ, SEARCH) stays.
 */
function direct(chat: AccessDeps, user: Caller, to: string, toKey: string, intent: Intent): Refusal | Place {
  // A suspended user is sent nothing either, with the same line, so neither is revealed.
  if (intent === 'write' && (chat.directory.blocks(toKey, user.key) || chat.directory.roles.isSuspended(toKey))) return refuse.undeliverable(to);
  return { conv: conversationOf(to, user.handle), to, channel: false, recipientKey: toKey };
}

export const isRefusal = (x: unknown): x is Refusal => typeof x === 'object' && x !== null && (x as { type?: unknown }).type === 'ERR';

/**
 * Moderation (spec: OP, KICK, BAN, SUSPEND): a member's rank in a channel. One may remove only
 * someone of a lower rank: ops members, the owner ops too, server admins anyone.
 */
export const RANK = { member: 0, op: 1, owner: 2, admin: 3 } as const;

export function rankIn(directory: Directory, channelKey: string, userKey: string): number {
  if (directory.isAdmin(userKey)) return RANK.admin;
  const role = directory.roles.roleOf(channelKey, userKey);
  return role === 'owner' ? RANK.owner : role === 'op' ? RANK.op : RANK.member;
}

/**
 * The channel as a moderator may act on it: a server admin, any channel, a private one they
 * are not in too (acting is not reading: they get OK, never its messages or members); anyone
 * else, as `visibleChannel` shows it to them.
 */
export function moderatedChannel(directory: Directory, userKey: string, name: string): ChannelEntry | undefined {
  return directory.isAdmin(userKey) ? directory.channel(name) : directory.visibleChannel(name, userKey);
}

/**
 * Where a DELETE may be made: as any write (placeOf), and for a server admin any channel, as
 * `moderatedChannel`; whose message it may delete, changeNow (log-rules.ts) asks `rankIn`.
 */
export function deletePlace(chat: AccessDeps, user: Caller, target: string): Refusal | Place | Promise<Refusal | Place> {
  if (target.charCodeAt(0) === 35 && chat.directory.isAdmin(user.key)) {
    const ch = chat.directory.channel(target);
    if (ch !== undefined) return { conv: ch.key, to: ch.name, channel: true };
  }
  return placeOf(chat, user, target, 'write');
}
