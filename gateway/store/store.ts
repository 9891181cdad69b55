import { LIMITS } from '../../core/index.ts';

/**
 * What the server remembers: the source of truth behind every node. Every call is
 * asynchronous (PostgreSQL is a network away; SQLite and memory answer at once behind the
 * same promises). A turn's writes go to `commit` together, as one transaction that either
 * commits whole or changes nothing: the node's group commit. Nothing a node acknowledges, a
 * message or any change of state, reaches a socket before its commit has resolved.
 *
 * Ids are per conversation: a channel, or the direct conversation of two users. Within one,
 * ids increase in commit order and, on a fresh database, without gaps, so a node that sees
 * id n+2 after n knows it missed one. Together with `epoch` (fixed when the database is
 * created), a (conversation, id) pair is a resume point no node has to remember.
 *
 * Every change to a conversation is an entry of its log and takes its next id (issue 17): a
 * message, a thread reply, an edit, a delete, a reaction added or taken back. The stores keep
 * each message in its current state (the last edit's text, an empty tombstone once deleted,
 * its reactions, its thread's summary); the log's other entries only name what they changed.
 *
 * Implementations: memory-store.ts, sqlite-store.ts (the single-process default) and
 * postgres-store.ts (several nodes); commit's shape is writes.ts. The contract suites
 * (store-contract, read-state-contract, log-contract, search-contract, sessions-contract, prefs-contract,
 * blocks-contract, moderation-contract)
 * run against all three.
 */

export type StoredMessage = {
  /** Within its conversation. */
  id: number;
  /** `#channel`, or for a direct message the recipient's `@handle` (display case). */
  target: string;
  /** Sender's `@handle` (display case). */
  from: string;
  /** ISO 8601 UTC with milliseconds. */
  ts: string;
  body: Uint8Array;
  /**
   * The current state (issue 17), each field present only when it applies. `root`: a thread
   * reply's root id; `also`: a reply also shown in the main flow (set on every reply). `edited`:
   * when it was last edited; `deleted`: a tombstone (its body is empty). `reactions`: one per
   * distinct reaction, in the order first added, users (display case) in the order they
   * reacted; `thread`: a root's replies, their newest, and the repliers, most recent first (5
   * at most). History, `message` and `thread` fill them all; `log` and `offlineFor` leave out
   * `reactions` and `thread` (a replay carries no state lines).
   */
  root?: number;
  also?: boolean;
  edited?: string;
  deleted?: boolean;
  reactions?: Array<{ reaction: string; by: string[] }>;
  thread?: { count: number; lastId: number; lastTs: string; by: string[] };
};

/** A new message: what `append` writes (its state fields other than root and also are ignored). */
export type NewMessage = Omit<StoredMessage, 'id'>;

/** A change to a message of the conversation `conversationOf(target, from)`: the log's other entries. */
export type NewChange =
  | { kind: 'edit'; target: string; from: string; ts: string; of: number; body: Uint8Array }
  | { kind: 'delete'; target: string; from: string; ts: string; of: number }
  | { kind: 'react' | 'unreact'; target: string; from: string; ts: string; of: number; reaction: string };

/**
 * One entry of a conversation's log, as of now: a message (or thread reply) in its current
 * state, or a change that names the message it changed (`of`). An edit's `body` is the
 * message's current text (empty once deleted); a reaction entry has its `reaction`.
 */
export type LogEntry =
  | ({ kind: 'msg' } & StoredMessage)
  | { kind: 'edit' | 'delete' | 'react' | 'unreact'; id: number; target: string; from: string; ts: string; of: number; body?: Uint8Array; reaction?: string };

/** A thread the user follows (its root's author, a replier, or named in a reply). */
export type ThreadState = {
  /** Its conversation's key (keys.ts). */
  conversation: string;
  /** As the user names the conversation: `#channel`, or the other user's `@handle`. */
  target: string;
  /** The root's id. */
  root: number;
  /** How many replies it has, the newest one's id and time. */
  replies: number;
  lastId: number;
  lastTs: string;
  /** The user's thread read mark (0: none). */
  readId: number;
  /** Replies from others after `readId` (deleted ones not counted), at most UNREAD_CAP. */
  unread: number;
  /** Of those, the ones that name the user or everyone, at most UNREAD_CAP. */
  mentions: number;
};

/** A message as stored, with the key of its conversation (keys.ts, `conversationOf`). */
export type KeptMessage = StoredMessage & { conversation: string };

export type StoredUser = {
  /** Display case, as first registered. */
  handle: string;
  /** scrypt hash in the form `scrypt$N$r$p$salt$hash` (base64), or null for a guest handle. */
  passwordHash: string | null;
};

/** A channel's topic: its text, who set it (display case) and when (ISO 8601). */
export type ChannelTopic = { text: string; by: string; ts: string };

export type StoredChannel = {
  /** Display case. */
  name: string;
  /** Null until someone sets one (or after it was cleared). */
  topic: ChannelTopic | null;
  /** Member handles, display case, in join order. */
  members: string[];
  /** A private channel (CREATE #name private): present, and true, only then; a public one omits it. */
  private?: true;
};

export type HistoryQuery = {
  limit: number;
  /** Only messages with id < before. */
  before?: number;
  /** Only messages with id > after (oldest first from there). */
  after?: number;
  /**
   * The messages nearest this id (before and after are then unset): up to
   * `aroundBefore(limit)` with a smaller id, then from this id on (the message itself first,
   * when it exists) the rest of the limit.
   */
  around?: number;
};

/** How many of an `around` page come before its id: the rest is the id and what follows. */
export const aroundBefore = (limit: number): number => Math.floor((limit - 1) / 2);

/**
 * SEARCH (spec): the newest messages of these conversations that match, in their current state.
 * Messages and thread replies alike; never a deleted message, never an edited one's old text.
 * The words are `searchWords` of the body (core/search-query.ts) in every store (search-index.ts).
 */
export type StoreSearch = {
  /** The keys of the conversations searched (the caller's channels and direct conversations, or the one of in:). */
  conversations: string[];
  /** Folded index words (core/search-query.ts): each must be in the text. */
  words: string[];
  /** Each: index words joined by one space, in that order, adjacent. */
  phrases: string[];
  /** Words or phrases that must not be in it. */
  excluded: string[];
  /** The sender's user key. */
  from?: string;
  /** ISO times, exclusive. */
  before?: string;
  after?: string;
  /** At most this many, newest first: by ts descending, then conversation, then id descending. */
  limit: number;
};

export type StoreWrite =
  | { op: 'addUser'; handle: string }
  | { op: 'setPassword'; handle: string; passwordHash: string }
  /**
   * A new channel; a name already stored keeps its case. `private` makes it private, stored
   * or not, and nothing makes a channel public again: two nodes creating one name at a time
   * (a JOIN, a CREATE private) end with one private channel and both as members, never with
   * a public channel its creator believes private (spec: CREATE).
   */
  | { op: 'addChannel'; name: string; private?: boolean }
  | { op: 'addMember'; channel: string; handle: string }
  | { op: 'removeMember'; channel: string; handle: string }
  /** A channel's topic; null clears it. */
  | { op: 'setTopic'; channel: string; topic: ChannelTopic | null }
  /**
   * A message; with `offlineFor`, also queued for that user's next sign-in; `mentions`: the
   * user keys it names, `*` for @channel/@here (everyone in the channel).
   */
  | { op: 'append'; message: NewMessage; offlineFor?: string; mentions?: string[]; root?: number; also?: boolean }
  /**
   * An edit, delete, reaction or its removal: the next id of the message's conversation. A
   * reaction the user already has (or removes without having) changes nothing and fails nothing.
   */
  | { op: 'change'; change: NewChange }
  /** The user has read the thread of `root` up to reply `id`: only ever moves forward. */
  | { op: 'markThreadRead'; handle: string; conversation: string; root: number; id: number }
  /**
   * A sign-in session: its token's hash (the token itself is never stored) and when it
   * expires (ISO 8601). The user's expired sessions go, and past SESSIONS_PER_USER the oldest.
   */
  | { op: 'addSession'; handle: string; tokenHash: string; expires: string }
  /** Signed out: one session, or every one of the user's. */
  | { op: 'revokeSession'; tokenHash: string }
  /** `except`: the one session to keep (a password change keeps the changer's). */
  | { op: 'revokeSessions'; handle: string; except?: string }
  /**
   * One of a user's settings (spec: PREF); null clears it. A new key past PREFS_PER_USER is
   * not kept (the chat rules refuse it first; this is the bound when two devices race).
   */
  | { op: 'setPref'; handle: string; key: string; value: string | null }
  /**
   * `handle` blocks `blocked` (spec: BLOCK), or (unblock) no longer does; both users exist. A
   * block already kept changes nothing; a new one past BLOCKS_PER_USER is not kept (the chat
   * rules refuse it first; this is the bound when two devices race).
   */
  | { op: 'block'; handle: string; blocked: string }
  | { op: 'unblock'; handle: string; blocked: string }
  /**
   * A channel role (spec: OP): `owner` makes `handle` the owner, the owner before (if any)
   * staying an op; with `ifNoOwner`, only when the channel has none (a creation: two nodes
   * creating one name never both own it). `op` makes an op (an owner stays owner: DEOP first);
   * null takes the role away. Roles keep the order they were first granted: the longest-standing
   * op is the first listed.
   */
  | { op: 'setRole'; channel: string; handle: string; role: ChannelRole | null; ifNoOwner?: true }
  /** BAN (on) or UNBAN of `handle` in a channel: a banned user may not join or be invited. */
  | { op: 'setBan'; channel: string; handle: string; on: boolean }
  /** SUSPEND (on) or UNSUSPEND: a suspended user may not sign in. */
  | { op: 'setSuspended'; handle: string; on: boolean }
  /** One entry of the moderation log (spec: MODLOG). */
  | { op: 'logModeration'; entry: ModEntry }
  /** The user has read the conversation up to `id`: a mark only ever moves forward. */
  | { op: 'markRead'; handle: string; conversation: string; id: number }
  /** Offline messages handed over: exactly these leave the user's queue (not any queued since). */
  | { op: 'delivered'; handle: string; messages: Array<{ conversation: string; id: number }> };

/** A user keeps at most this many sign-in sessions: a new one past it ends the oldest. */
export const SESSIONS_PER_USER = 20;

/** A user keeps at most this many settings (LIMITS.maxPrefs). */
export const PREFS_PER_USER = LIMITS.maxPrefs;

/** A user blocks at most this many users (LIMITS.maxBlocks). */
export const BLOCKS_PER_USER = LIMITS.maxBlocks;

/** A channel role (spec: OP): the owner, or an op. */
export type ChannelRole = 'owner' | 'op';

/** What the moderation log records (spec: MODLOG). */
export type ModAction = 'kick' | 'ban' | 'unban' | 'delete' | 'suspend' | 'unsuspend';

/**
 * One moderation action: when, what, who (`by`) to whom (handles, display case), where (a
 * channel's name, null for a suspension), the message deleted (`id`, for `delete`) and why.
 */
export type ModEntry = { ts: string; action: ModAction; by: string; whom: string; channel: string | null; id: number | null; reason: string | null };

/**
 * Every role, ban and suspension, by key (lower case): the directory's cache loads it. Roles
 * in the order first granted (the longest-standing op first).
 */
export type StoredModeration = {
  roles: Array<{ channel: string; user: string; role: ChannelRole }>;
  /** Each ban with who made it, when and why: its newest `ban` entry in the log (null when none is). */
  bans: Array<{ channel: string; user: string; by: string | null; ts: string | null; reason: string | null }>;
  suspended: string[];
};

/** One block: user keys (lower case). */
export type StoredBlock = { by: string; blocked: string };

/** One of a user's settings. */
export type StoredPref = { key: string; value: string };

/** A stored session, found by its token's hash. */
export type StoredSession = { handle: string; expires: string };

/** Unread and mention counts stop here: "1000" reads "1000 or more". */
export const UNREAD_CAP = 1000;

/** One conversation of a user, with what they have not read of it. */
export type ConversationState = {
  /** Its key (keys.ts). */
  conversation: string;
  /** As the user names it: `#channel`, or the other user's `@handle` (display case). */
  target: string;
  /** The newest id, 0 when it has no message yet; and that message's time. */
  lastId: number;
  lastTs: string | null;
  /**
   * Read up to here. Joining a channel reads it up to then (its past is history, not news);
   * a direct conversation starts unread.
   */
  readId: number;
  /** Messages after `readId` from others, at most UNREAD_CAP. */
  unread: number;
  /** Of those, the ones that name the user or everyone (@channel, @here), at most UNREAD_CAP. */
  mentions: number;
};

export type CommitResult = {
  /** The id of each `append` and `change` in the batch, in order. */
  ids: number[];
};

export interface Store {
  /** A short description for the start-up log, e.g. `sqlite ./data/slck.db`. */
  readonly description: string;
  /** Random, fixed when the database was created: a changed epoch means "reload". */
  readonly epoch: string;

  // Users. Keys are lower-cased names; values keep display case.
  getUser(handle: string): Promise<StoredUser | undefined>;
  listUsers(): Promise<string[]>;
  /** The keys of the users with a password (claimed handles). */
  listClaimed(): Promise<string[]>;
  /** Every channel with its members, in join order. */
  listChannels(): Promise<StoredChannel[]>;

  /**
   * All or nothing, in order. Null: the batch failed (a full disk, the database gone) and
   * nothing of it was kept; `lastFailure` says why. Never rejects for a storage failure.
   */
  commit(writes: StoreWrite[]): Promise<CommitResult | null>;
  /** Why the last failed `commit` failed, for the log and /healthz; null after a good one. */
  readonly lastFailure: Error | null;
  /**
   * True when `commit` has written its batch by the time it returns its promise and only
   * waits for the disk after: a next commit may then start before it resolves, takes ids after
   * it, and resolves after it (SQLite, whose WAL sync runs off the event loop). Group commit
   * then overlaps one batch's statements with the previous one's fsync.
   */
  readonly pipelinesCommits?: boolean;

  /**
   * Channel history, oldest first: the main flow (messages, and replies sent `also`), each in
   * its current state with its reactions and thread summary; deleted ones as tombstones.
   */
  channelHistory(channel: string, q: HistoryQuery): Promise<StoredMessage[]>;
  /** Direct messages between two users (both directions), oldest first. */
  directHistory(a: string, b: string, q: HistoryQuery): Promise<StoredMessage[]>;
  /**
   * Messages queued for a user while offline, oldest first within each conversation. They
   * stay queued until a `delivered` write removes them.
   */
  offlineFor(handle: string): Promise<KeptMessage[]>;
  /** The newest log id of each conversation asked for (0 for one with no entry yet). */
  lastIds(conversations: string[]): Promise<Map<string, number>>;

  /**
   * The user's conversations: the channels given (keys; the directory knows membership) and
   * every direct conversation they have had, most recent first (by the newest message; one
   * with none last).
   */
  conversationsOf(handle: string, channels: string[]): Promise<ConversationState[]>;

  /** The log after id `after`, oldest first, at most `limit` entries, each from the current state. */
  log(conversation: string, after: number, limit: number): Promise<LogEntry[]>;
  /** A message or reply in its current state, tombstones included; undefined for an id that is no message. */
  message(conversation: string, id: number): Promise<KeptMessage | undefined>;
  /**
   * A thread in its current state: its root first, then its latest `limit` replies, oldest
   * first. `root` may be one of its replies. Empty when it names no message.
   */
  thread(conversation: string, root: number, limit: number): Promise<StoredMessage[]>;
  /** The threads the user follows: those with unread replies first, then most recent first. */
  threadsOf(handle: string): Promise<ThreadState[]>;

  /**
   * SEARCH: the newest matching messages and replies of `q.conversations`, at most `q.limit`,
   * each in its current state without `reactions` and `thread` (a result shows a body). A
   * query with no word or phrase returns the newest messages its filters allow.
   */
  search(q: StoreSearch): Promise<KeptMessage[]>;

  /** The user's settings, by key (ordered by its bytes). */
  prefs(handle: string): Promise<StoredPref[]>;

  /** The handles (display case) the user blocks, ordered by key. */
  blocksOf(handle: string): Promise<string[]>;
  /** Every block of every user, ordered by blocker then blocked: the directory's cache loads it. */
  listBlocks(): Promise<StoredBlock[]>;

  /** Every channel role, ban and suspension (StoredModeration). */
  listModeration(): Promise<StoredModeration>;
  /**
   * MODLOG: the newest `limit` entries, newest first; `channels` (keys) keeps those of these
   * channels only, null keeps all (suspensions included).
   */
  modlog(channels: string[] | null, limit: number): Promise<ModEntry[]>;

  /** The session of a token hash, expired or not (the caller compares `expires`). */
  session(tokenHash: string): Promise<StoredSession | undefined>;

  /** For a store across a network: rejects while it cannot be reached (/healthz asks). */
  probe?(): Promise<void>;

  close(): Promise<void>;
}
