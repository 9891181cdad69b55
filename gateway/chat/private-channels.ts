import { refuse, type Refusal } from '../sentences.ts';
import { nameKey } from '../store/keys.ts';
import type { Caller } from './chat.ts';
import type { ChatService } from './service.ts';
import { creatorRole } from './moderation.ts';

/**
 * CREATE #name [private] and INVITE #name @handle (issue 18 rule 1; spec: CREATE and INVITE).
 * A private channel is, to anyone not in it, a channel that does not exist: every command
 * that names it asks the directory's `visibleChannel` (access.ts). Only claimed handles may
 * be in one, since whoever takes a guest's handle next would read it.
 */

/**
 * Names being created on this node, until their commit settles: a JOIN or CREATE of one
 * waits, then sees the channel, so two commands a moment apart cannot both create it (the
 * second would otherwise add itself to the first's private channel: the store keeps the
 * first channel and adds the member).
 */
const creating = new WeakMap<ChatService, Map<string, Promise<unknown>>>();

/** Resolves once no creation of `name` is under way on this node. */
export async function afterCreation(chat: ChatService, name: string): Promise<void> {
  const key = nameKey(name);
  for (let p = creating.get(chat)?.get(key); p !== undefined; p = creating.get(chat)?.get(key)) await p.catch(() => {});
}

/** Runs `make` as the one creation of `name` on this node. */
export function asCreation<T>(chat: ChatService, name: string, make: () => Promise<T>): Promise<T> {
  let pending = creating.get(chat);
  if (pending === undefined) creating.set(chat, (pending = new Map()));
  const key = nameKey(name);
  const p = make();
  pending.set(key, p);
  const done = () => {
    if (pending.get(key) === p) pending.delete(key);
  };
  p.then(done, done);
  return p;
}

/** A new channel's name must not pass for another's; a private one the caller is not in is not named. */
export function lookalikeRefusal(chat: ChatService, user: Caller, name: string): Refusal | null {
  const lookalike = chat.directory.channelLookalikes.lookalikeOf(name);
  if (lookalike === null) return null;
  if (chat.directory.visibleChannel(lookalike, user.key) === undefined) return refuse.channelConfusableHidden(name);
  return refuse.channelConfusable(name, lookalike);
}

export async function create(chat: ChatService, user: Caller, channel: string, isPrivate: boolean): Promise<Refusal | { channel: string; lastId: number }> {
  await afterCreation(chat, channel);
  const known = chat.directory.channel(channel);
  if (known !== undefined) {
    return chat.directory.visibleChannel(channel, user.key) === undefined ? refuse.channelUnavailable(channel) : refuse.channelExists(known.name);
  }
  if (isPrivate && !(chat.directory.users.get(user.key)?.claimed ?? false)) return refuse.privateNotClaimed(user.handle);
  const lookalike = lookalikeRefusal(chat, user, channel);
  if (lookalike !== null) return lookalike;
  const refused = chat.flood.joinRefusal(user.key, chat.directory.channelsOf(user.key).length, false, chat.isExempt(user.key));
  if (refused !== null) return refused;
  return asCreation(chat, channel, async () => {
    // Its creator owns it (moderation.ts).
    const owner = creatorRole(chat, user, channel);
    const staged = await chat.commits.stage([{ op: 'addChannel', name: channel, private: isPrivate }, { op: 'addMember', channel, handle: user.handle }, ...owner.writes]);
    if (staged === null) return refuse.notStored(`Could not create ${channel}`);
    chat.emit(isPrivate ? { t: 'joined', channel, user: user.handle, private: true } : { t: 'joined', channel, user: user.handle });
    if (owner.event !== null) chat.emit(owner.event);
    const lastId = await chat.lastId(nameKey(channel));
    chat.inbound.watch(nameKey(channel), lastId);
    return { channel, lastId };
  });
}

/**
 * INVITE: a member adds someone. To a public channel too (as Slack's "add people"): anyone
 * may JOIN it anyway, and only a member may add others, so nobody is put in a channel by a
 * stranger. Inviting a member is OK and changes nothing.
 */
export async function invite(chat: ChatService, user: Caller, channel: string, handle: string): Promise<Refusal | null> {
  const ch = chat.directory.visibleChannel(channel, user.key);
  if (ch === undefined) return refuse.noSuchChannel(channel);
  if (!ch.members.has(user.key)) return refuse.notMemberToInvite(ch.name);
  const found = chat.directory.user(handle)?.handle ?? (await chat.refreshUser(handle));
  if (found === undefined) return refuse.noSuchUser(handle);
  const invitee = chat.directory.user(found);
  if (invitee === undefined) return refuse.noSuchUser(handle);
  if (ch.members.has(invitee.key)) return null;
  if (chat.directory.roles.isBanned(ch.key, invitee.key)) return refuse.inviteeBanned(invitee.handle, ch.name);
  if (ch.private && !invitee.claimed) return refuse.inviteeNotClaimed(invitee.handle);
  const count = chat.directory.channelsOf(invitee.key).length;
  if (chat.flood.joinRefusal(invitee.key, count, true, chat.isExempt(invitee.key)) !== null) return refuse.inviteeTooManyChannels(invitee.handle, count);
  if ((await chat.commits.stage([{ op: 'addMember', channel: ch.name, handle: invitee.handle }])) === null) {
    return refuse.notStored(`Could not add ${invitee.handle} to ${ch.name}`);
  }
  // Told as a JOIN is: the members, the invitee's connections on every node (who then get the channel's messages).
  if (!ch.members.has(invitee.key)) {
    chat.emit(ch.private
      ? { t: 'joined', channel: ch.name, user: invitee.handle, private: true, by: user.handle }
      : { t: 'joined', channel: ch.name, user: invitee.handle, by: user.handle });
  }
  return null;
}
