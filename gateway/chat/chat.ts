import type { Refusal } from '../sentences.ts';
import type { ChannelTopic, ConversationState, HistoryQuery, KeptMessage, LogEntry, StoredMessage, StoredPref, ThreadState } from '../store/store.ts';
import type { Change, Changed, Staged } from './log-rules.ts';
import type { Found } from './search.ts';
import type { SearchQuery } from '../../core/index.ts';
import type { ChatEvent, MessageEvent } from './events.ts';
import type { BanLine, ModerationCommand, RoleLine } from './moderation.ts';
import type { ModEntry } from '../store/store.ts';

/** A signed-in user, as the chat rules know them: on this node, on one connection. */
export type Caller = { key: string; handle: string; conn: string };

export type Registered = {
  handle: string;
  /** The user's channels in the order they joined, each with its newest id. */
  channels: Array<{ name: string; lastId: number }>;
  /** Messages kept while they were offline, oldest first in each conversation. */
  offline: KeptMessage[];
  /** Their direct conversations, each with its newest id (what they have seen live starts after it). */
  direct?: Array<{ conversation: string; lastId: number }>;
};

export type Posted = { id: number; ts: string; target: string };

export type ChannelPage = { page: Array<{ name: string; members: number; private?: true }>; more?: string };

/**
 * The chat's rules, behind one asynchronous interface that the commands call: who may sign
 * in, join, post and read, what is stored first, and what everyone is told once it is. It
 * knows no transport and no wire bytes; its answers are typed results or a `Refusal` (a
 * sentence from sentences.ts). Implemented by ChatService (chat/service.ts) for one node
 * alone or for many sharing a store, bus and presence.
 */
export interface Chat {
  register(req: { conn: string; address: string; handle: string; password?: string }): Promise<Registered | Refusal>;
  /** RESUME: sign in with a session token instead of the password. */
  resume(req: { conn: string; address: string; handle: string; token: string }): Promise<Registered | Refusal>;
  /** TOKEN: a new session for a claimed user (its hash is what SIGNOUT names). */
  issueToken(user: Caller): Promise<Refusal | { token: string; tokenHash: string; expires: string }>;
  /** PASSWORD: a guest claims its handle, or a claimed user changes the password (chat/password.ts). */
  changePassword(user: Caller, address: string, current: string | undefined, next: string, keepToken: string | null): Promise<Refusal | null>;
  /** A channel's topic, or (with `text`; empty clears it) set it: members are told. */
  topic(user: Caller, channel: string, text?: string): Refusal | Promise<Refusal | { channel: string; topic: ChannelTopic | null }>;
  /** SIGNOUT [ALL]: end this connection's session, or all of them and the user's other connections. */
  signOut(user: Caller, tokenHash: string | null, all: boolean): Promise<Refusal | null>;
  /** The hub has signed the user in (OK and JOINED sent): they are online now. */
  online(user: Caller, registered: Registered): void;
  /** The connection went away before it was signed in: let the handle go. */
  abandon(user: Caller): void;
  /** Their connection has gone. */
  signOff(user: Caller): void;
  join(user: Caller, channel: string): Promise<Refusal | { channel: string; lastId: number }>;
  /** CREATE: a new channel with the caller in it; `isPrivate`: for its members only (chat/private-channels.ts). */
  create(user: Caller, channel: string, isPrivate: boolean): Promise<Refusal | { channel: string; lastId: number }>;
  /** INVITE: a member adds `handle` to the channel; they are told as after a JOIN. */
  invite(user: Caller, channel: string, handle: string): Promise<Refusal | null>;
  leave(user: Caller, channel: string): Promise<Refusal | { channel: string }>;
  /** Resolves once the message has committed: its OK. */
  post(user: Caller, target: string, body: Uint8Array): Refusal | Promise<Posted | Refusal>;
  /** A page of the main flow, each message in its current state. */
  history(user: Caller, target: string, q: HistoryQuery): Refusal | Promise<StoredMessage[] | Refusal>;
  /** The conversation's log after `after` (HISTORY after): what a reconnecting client missed. */
  replay(user: Caller, target: string, after: number, limit: number): Promise<LogEntry[] | Refusal>;
  /** REPLY: `result` once the reply has committed; the connection goes on once it is `staged`. */
  reply(user: Caller, target: string, root: number, body: Uint8Array, also: boolean): Staged<Posted | Refusal>;
  /** EDIT, DELETE, REACT, UNREACT: null when there was nothing to change. As REPLY, in two steps. */
  change(user: Caller, target: string, change: Change): Staged<Changed | Refusal>;
  /** THREAD: the root and its latest `limit` replies, oldest first. */
  thread(user: Caller, target: string, id: number, limit: number): Promise<StoredMessage[] | Refusal>;
  /** THREADS: the threads the user follows, unread first. */
  threads(user: Caller): Promise<ThreadState[]>;
  /** READ … THREAD. */
  readThread(user: Caller, target: string, root: number, id: number): Promise<Refusal | null>;
  /** SEARCH: a page of what the user may read that matches, newest first. */
  search(user: Caller, query: SearchQuery): Promise<Found | Refusal>;
  /** TYPING: the other members are told (not stored). */
  typing(user: Caller, target: string, passOn: boolean): Promise<Refusal | null>;
  /** `viewer`: the caller's key (null before REG): a private channel's members are theirs to list only. */
  users(viewer: string | null, channel?: string): Refusal | Promise<Array<{ handle: string; online: boolean; guest: boolean }>>;
  /** Read `target` up to `id` (at most its newest): the user's other connections are told. */
  read(user: Caller, target: string, id: number): Refusal | Promise<Refusal | { target: string; id: number }>;
  /** The user's conversations, most recent first, with what is unread in each. */
  unread(user: Caller): Promise<ConversationState[]>;
  /** PREFS: a claimed user's settings, by key. */
  prefs(user: Caller): Promise<Refusal | StoredPref[]>;
  /** PREF: keep (or, null, clear) a setting; the user's other connections are told. */
  setPref(user: Caller, key: string, value: string | null): Promise<Refusal | null>;
  /** BLOCK / UNBLOCK (`on` false): the user's other connections are told (chat/blocks.ts). */
  block(user: Caller, target: string, on: boolean): Promise<Refusal | null>;
  /** BLOCKS: the handles the user blocks. */
  blocks(user: Caller): Promise<Refusal | string[]>;
  /** OP, DEOP, OWNER, KICK, BAN, UNBAN, SUSPEND, UNSUSPEND (chat/moderation.ts): null once done. */
  moderate(user: Caller, cmd: ModerationCommand): Promise<Refusal | null>;
  /** ROLES: the channel's owner and ops; without a channel, the caller's own roles (admin first). */
  roles(user: Caller, channel: string | undefined): Refusal | RoleLine[];
  /** BANS: who is banned from the channel, newest first, to those who may UNBAN. */
  bans(user: Caller, channel: string): Refusal | { channel: string; bans: BanLine[] };
  /** MODLOG: the newest `limit` entries the user may read. */
  modlog(user: Caller, limit: number): Promise<Refusal | ModEntry[]>;
  /** `viewer`: the caller's key (null before REG): private channels are listed to their members only. */
  channels(viewer: string | null, limit: number, after?: string): ChannelPage;
  /** Offline messages about to be handed to the user's connection leave the queue: true once committed. */
  delivered(handle: string, messages: Array<{ conversation: string; id: number }>): Promise<boolean>;
  /** Whether flood control lets this user's messages through unthrottled (--rate-exempt). */
  isExempt(userKey: string): boolean;
  /** Resolves once every write staged so far has committed or failed. */
  settled(): Promise<void>;
}

/** What the chat rules need of this node's hub, the only part that knows connections. */
export interface ChatHost {
  /** Whether the user is signed in on this node. */
  isHere(userKey: string): boolean;
  /** Whether anyone on this node should get messages of the conversation. */
  interested(conversation: string): boolean;
  /** A committed event other than a message: membership and presence. */
  apply(event: Exclude<ChatEvent, MessageEvent>): void;
  /**
   * A committed message, in id order within its conversation, each exactly once;
   * `recipientBlocks` when it is a DM whose recipient blocks its sender (not for them).
   */
  deliver(message: MessageEvent, recipientBlocks?: boolean): void;
  /** The user's handle was taken over by a connection on another node: this one must go. */
  lost(userKey: string, conn: string): void;
  /**
   * Someone asked for the user's guest handle, held here: check that its connections are
   * still there (a link that died silently holds a handle until its heartbeat fails).
   */
  probe(userKey: string): void;
}
