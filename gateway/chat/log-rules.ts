import { normalizeReaction } from '../../core/reactions.ts';
import { refuse, type Refusal } from '../sentences.ts';
import { nameKey } from '../store/keys.ts';
import { deletePlace, isRefusal, placeOf, RANK, rankIn, type Place } from './access.ts';
import type { LogEntry, ModEntry, NewChange, Store, StoredMessage, ThreadState } from '../store/store.ts';
import type { Caller, Posted } from './chat.ts';
import type { Directory } from './directory.ts';
import type { ChatEvent } from './events.ts';
import type { GroupCommit } from './group-commit.ts';
import { mentionsIn } from './mentions.ts';

/**
 * The rules for what changes a conversation after a message is posted: thread replies,
 * edits, deletes and reactions (spec: REPLY, EDIT, DELETE, REACT). Each is one entry of the
 * conversation's log, committed before anyone is told, so it takes the conversation's next
 * id and reaches every node in order with the messages, repaired like them when the bus
 * drops it (inbound.ts). Typing is not logged: it is a hint that a lost one costs nothing.
 */
export type LogRulesDeps = {
  readonly store: Store;
  readonly directory: Directory;
  readonly commits: GroupCommit;
  emit(event: ChatEvent): void;
  via(user: Caller): string;
  isHere(userKey: string): boolean;
  refreshUser(handle: string): Promise<string | undefined>;
};

/** At most this many distinct reactions on one message. */
export const MAX_REACTIONS = 50;

export type Change =
  | { kind: 'edit'; id: number; body: Uint8Array }
  /** `reason`: a moderator's, for deleting another's message (kept in the moderation log). */
  | { kind: 'delete'; id: number; reason?: string }
  | { kind: 'react' | 'unreact'; id: number; reaction: string };

/** Changed: the entry's id and time; null: nothing to change (a reaction already there, or not there). */
export type Changed = { id: number; ts: string } | null;

/** A message of the conversation that can still be replied to, edited or reacted to. */
async function live(chat: LogRulesDeps, place: Place, id: number): Promise<StoredMessage | Refusal> {
  const m = await chat.store.message(place.conv, id);
  if (m === undefined || m.deleted) return refuse.noSuchMessage(place.to, id);
  return m;
}

/**
 * A write that reads before it stages, in two steps: `staged` settles once it has taken its
 * place in the group commit (or was refused before), `result` once it has committed. The hub
 * runs a connection's next command only after `staged`, so one connection's writes take ids
 * in the order it sent them, and each reads what the ones before it wrote (a FIX right
 * behind its MSG finds the message; a second REACT finds the first).
 */
export type Staged<T> = { staged: Promise<unknown>; result: Promise<T> };

function staging<T>(run: (staged: () => void) => Promise<T>): Staged<T> {
  let done!: () => void;
  const staged = new Promise<void>((resolve) => (done = resolve));
  const result = run(done).finally(done);
  return { staged, result };
}

/** REPLY: a reply in the thread of `rootId` (a reply's own thread when it is one). */
export function reply(chat: LogRulesDeps, user: Caller, target: string, rootId: number, body: Uint8Array, also: boolean): Staged<Posted | Refusal> {
  return staging((staged) => replyNow(chat, user, target, rootId, body, also, staged));
}

async function replyNow(chat: LogRulesDeps, user: Caller, target: string, rootId: number, body: Uint8Array, also: boolean, staged: () => void): Promise<Posted | Refusal> {
  const place = await placeOf(chat, user, target, 'write');
  if (isRefusal(place)) return place;
  // What was staged before (this connection's own MSG, say) is committed first, so it is read.
  await chat.commits.settled();
  const root = await live(chat, place, rootId);
  if (isRefusal(root)) return root;
  const threadOf = root.root ?? root.id;
  const ts = new Date().toISOString();
  const message = { target: place.to, from: user.handle, ts, body };
  const offlineFor = !place.channel && place.recipientKey !== undefined && !chat.isHere(place.recipientKey) ? place.recipientKey : undefined;
  const mentions = mentionsIn(body, place.channel, (name) => chat.directory.user(name)?.key);
  const committed = chat.commits.stage([{ op: 'append', message, offlineFor, mentions, root: threadOf, also: also || undefined }]);
  staged();
  const ids = await committed;
  if (ids === null) return refuse.messageNotStored(place.to);
  const id = ids[0];
  chat.emit({ t: 'msg', conv: place.conv, id, ...message, root: threadOf, also: also || undefined, queued: offlineFor !== undefined, via: chat.via(user) });
  return { id, ts, target: place.to };
}

/** EDIT, DELETE, REACT, UNREACT: one logged change to a message of the conversation. */
export function change(chat: LogRulesDeps, user: Caller, target: string, c: Change): Staged<Changed | Refusal> {
  return staging((staged) => changeNow(chat, user, target, c, staged));
}

async function changeNow(chat: LogRulesDeps, user: Caller, target: string, c: Change, staged: () => void): Promise<Changed | Refusal> {
  const place = await (c.kind === 'delete' ? deletePlace(chat, user, target) : placeOf(chat, user, target, 'write'));
  if (isRefusal(place)) return place;
  await chat.commits.settled();
  const m = await live(chat, place, c.id);
  if (isRefusal(m)) return m;
  let reaction: string | undefined;
  let moderated: ModEntry | undefined;
  if (c.kind === 'edit' || c.kind === 'delete') {
    if (nameKey(m.from) !== user.key) {
      // The owner and ops of a channel, and server admins, delete others' messages there: logged.
      if (c.kind === 'edit' || !place.channel || rankIn(chat.directory, place.conv, user.key) < RANK.op) return refuse.notAuthor(m.from, c.kind, c.id);
      moderated = { ts: new Date().toISOString(), action: 'delete', by: user.handle, whom: m.from, channel: place.to, id: m.id, reason: c.reason ?? null };
    }
  } else {
    const r = normalizeReaction(c.reaction);
    if (r === null) return refuse.badReaction();
    reaction = r;
    const present = m.reactions?.find((x) => x.reaction === r);
    const mine = present?.by.some((h) => nameKey(h) === user.key) ?? false;
    if (c.kind === 'react' ? mine : !mine) return null;
    if (c.kind === 'react' && present === undefined && (m.reactions?.length ?? 0) >= MAX_REACTIONS) return refuse.tooManyReactions(c.id, MAX_REACTIONS);
  }
  const ts = new Date().toISOString();
  const base = { target: place.to, from: user.handle, ts, of: m.id };
  const entry: NewChange = c.kind === 'edit' ? { kind: 'edit', ...base, body: c.body }
    : c.kind === 'delete' ? { kind: 'delete', ...base }
      : { kind: c.kind, ...base, reaction: reaction! };
  const committed = chat.commits.stage(moderated === undefined ? [{ op: 'change', change: entry }] : [{ op: 'change', change: entry }, { op: 'logModeration', entry: moderated }]);
  staged();
  const ids = await committed;
  if (ids === null) return refuse.changeNotStored(place.to, c.id);
  const id = ids[0];
  const body = c.kind === 'edit' ? c.body : EMPTY;
  chat.emit({ t: 'msg', kind: c.kind, conv: place.conv, id, target: place.to, from: user.handle, ts, of: m.id, reaction, body, via: chat.via(user) });
  return { id, ts };
}

const EMPTY = new Uint8Array(0);

/** THREAD: the root and its latest replies, oldest first; `id` may name a reply, for its root's thread. */
export async function thread(chat: LogRulesDeps, user: Caller, target: string, id: number, limit: number): Promise<StoredMessage[] | Refusal> {
  const place = await placeOf(chat, user, target, 'read');
  if (isRefusal(place)) return place;
  await chat.commits.settled();
  const m = await chat.store.message(place.conv, id);
  if (m === undefined) return refuse.noSuchMessage(place.to, id);
  return chat.store.thread(place.conv, m.root ?? m.id, limit);
}

/** HISTORY after: the log from `after` on, what a reconnecting client missed. */
export async function log(chat: LogRulesDeps, user: Caller, target: string, after: number, limit: number): Promise<LogEntry[] | Refusal> {
  const place = await placeOf(chat, user, target, 'read');
  if (isRefusal(place)) return place;
  await chat.commits.settled();
  return chat.store.log(place.conv, after, limit);
}

/** THREADS: the threads the user follows. */
export async function threads(chat: LogRulesDeps, user: Caller): Promise<ThreadState[]> {
  await chat.commits.settled();
  return chat.store.threadsOf(user.handle);
}

/** READ … THREAD: the user has read the thread of `root` up to reply `id`. */
export async function readThread(chat: LogRulesDeps, user: Caller, target: string, root: number, id: number): Promise<Refusal | null> {
  const place = await placeOf(chat, user, target, 'read');
  if (isRefusal(place)) return place;
  const ok = await chat.commits.stage([{ op: 'markThreadRead', handle: user.handle, conversation: place.conv, root, id }]);
  return ok === null ? refuse.notStored(`Could not mark the thread of ${root} read`) : null;
}

/**
 * A typing hint for the conversation's other members (not stored). Checked every time; passed
 * on only when `passOn` (at most one per 3 s per connection, counted by the command).
 */
export async function typing(chat: LogRulesDeps, user: Caller, target: string, passOn: boolean): Promise<Refusal | null> {
  const place = await placeOf(chat, user, target, 'write');
  if (isRefusal(place)) return place;
  if (passOn) chat.emit({ t: 'typing', conv: place.conv, target: place.to, from: user.handle, via: chat.via(user) });
  return null;
}

