import { refuse, type Refusal } from '../sentences.ts';
import { nameKey } from '../store/keys.ts';
import type { ChannelTopic, StoreWrite } from '../store/store.ts';
import type { Caller } from './chat.ts';
import { isRefusal, placeOf, type Place } from './access.ts';
import type { ChatService } from './service.ts';
import { afterCreation, asCreation, lookalikeRefusal } from './private-channels.ts';
import { creatorRole, departure } from './moderation.ts';
import type { ChatEvent } from './events.ts';

/**
 * Who is in which channel, what it is about, and how far each member has read: JOIN, LEAVE,
 * TOPIC and READ. Each is stored first (`OK` means committed), then told to those it
 * concerns, on this node and, through the bus, on the others.
 */

export function topic(chat: ChatService, user: Caller, channel: string, text?: string): Refusal | Promise<Refusal | { channel: string; topic: ChannelTopic | null }> {
  const ch = chat.directory.visibleChannel(channel, user.key);
  if (ch === undefined) return refuse.noSuchChannel(channel);
  if (text === undefined) return Promise.resolve({ channel: ch.name, topic: ch.topic });
  if (!ch.members.has(user.key)) return refuse.notMemberToSetTopic(ch.name);
  const topic = text === '' || text === '-' ? null : { text, by: user.handle, ts: new Date().toISOString() };
  return chat.commits.stage([{ op: 'setTopic', channel: ch.name, topic }]).then((ids) => {
    if (ids === null) return refuse.notStored(`Could not set the topic of ${ch.name}`);
    chat.emit({ t: 'topic', channel: ch.name, topic });
    return { channel: ch.name, topic };
  });
}

export async function join(chat: ChatService, user: Caller, channel: string): Promise<Refusal | { channel: string; lastId: number }> {
  // A CREATE of this name under way here decides first: else both would create it.
  await afterCreation(chat, channel);
  const known = chat.directory.channel(channel);
  const name = known?.name ?? channel;
  if (known?.members.has(user.key)) return { channel: name, lastId: await chat.lastId(nameKey(name)) };
  // A private channel is joined by INVITE only; to others its name is just taken (spec: CREATE).
  if (known?.private) return refuse.channelUnavailable(channel);
  if (known !== undefined && chat.directory.roles.isBanned(known.key, user.key)) return refuse.banned(known.name);
  if (known === undefined) {
    // This JOIN would create the channel: not under a name that passes for another's.
    const lookalike = lookalikeRefusal(chat, user, name);
    if (lookalike !== null) return lookalike;
  }
  const refused = chat.flood.joinRefusal(user.key, chat.directory.channelsOf(user.key).length, known !== undefined, chat.isExempt(user.key));
  if (refused !== null) return refused;
  const commit = async (): Promise<Refusal | { channel: string; lastId: number }> => {
    // The JOIN that creates a channel makes its creator the owner (moderation.ts).
    const owner = known === undefined ? creatorRole(chat, user, name) : { writes: [], event: null };
    const writes: StoreWrite[] = [{ op: 'addChannel', name }, { op: 'addMember', channel: name, handle: user.handle }, ...owner.writes];
    if ((await chat.commits.stage(writes)) === null) return refuse.notStored(`Could not join ${name}`);
    // Stored: the membership holds whether or not the connection is still here.
    chat.emit({ t: 'joined', channel: name, user: user.handle });
    if (owner.event !== null) chat.emit(owner.event);
    const lastId = await chat.lastId(nameKey(name));
    chat.inbound.watch(nameKey(name), lastId);
    return { channel: name, lastId };
  };
  // Creating it: a CREATE of the same name meanwhile waits, then finds it taken.
  return known === undefined ? asCreation(chat, name, commit) : commit();
}

export async function leave(chat: ChatService, user: Caller, channel: string): Promise<Refusal | { channel: string }> {
  const ch = chat.directory.visibleChannel(channel, user.key);
  if (ch === undefined) return refuse.noSuchChannel(channel);
  if (!ch.members.has(user.key)) return refuse.notMemberToLeave(ch.name);
  // A role goes with the member; the owner's passes to the longest-standing op.
  const writes: StoreWrite[] = [{ op: 'removeMember', channel: ch.name, handle: user.handle }];
  const after: ChatEvent[] = [];
  departure(chat, ch, user, writes, after);
  if ((await chat.commits.stage(writes)) === null) {
    return refuse.notStored(`Could not leave ${ch.name}`);
  }
  if (ch.members.has(user.key)) {
    chat.emit({ t: 'left', channel: ch.name, user: user.handle });
    for (const e of after) chat.emit(e);
  }
  return { channel: ch.name };
}

export function read(chat: ChatService, user: Caller, target: string, id: number): Refusal | Promise<Refusal | { target: string; id: number }> {
  const place = placeOf(chat, user, target, 'read');
  if (place instanceof Promise) return place.then((p) => (isRefusal(p) ? p : readAt(chat, user, p, id)));
  return isRefusal(place) ? place : readAt(chat, user, place, id);
}

function readAt(chat: ChatService, user: Caller, place: Place, id: number): Promise<Refusal | { target: string; id: number }> {
  const { conv: conversation, to: name } = place;
  // Nobody has read what is not written yet: a mark past the newest message stops there.
  return chat.lastId(conversation).then(async (last) => {
    const upTo = Math.min(id, last);
    if ((await chat.commits.stage([{ op: 'markRead', handle: user.handle, conversation, id: upTo }])) === null) {
      return refuse.notStored(`Could not mark ${name} read`);
    }
    chat.emit({ t: 'read', user: user.handle, target: name, id: upTo, via: chat.via(user) });
    return { target: name, id: upTo };
  });
}
