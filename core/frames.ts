import type { SearchQuery } from './search-query.ts';

/**
 * The frames of SLCK, in both directions. docs/PROTOCOL.md is the normative text;
 * these types mirror it one to one.
 */

// ---------------------------------------------------------------- client -> server

export type Command =
  | { type: 'REG'; handle: string; password?: string }
  /** Sign in with a session token from TOKEN instead of the password (spec: TOKEN). */
  | { type: 'RESUME'; handle: string; token: string }
  /**
   * A guest claims its handle (`PASSWORD <new>`), or a claimed user changes the password
   * (`PASSWORD <current> <new>`), without signing out (spec: PASSWORD).
   */
  | { type: 'PASSWORD'; current?: string; next: string }
  /** A channel's topic: ask it, or (with `text`) set it; `-` clears it (spec: TOPIC). */
  | { type: 'TOPIC'; channel: string; text?: string }
  /** A session token for this claimed user, for signing in again without the password. */
  | { type: 'TOKEN' }
  /** Revoke this connection's session token, or (`all`) every one of the user's, ending their other connections. */
  | { type: 'SIGNOUT'; all: boolean }
  | { type: 'JOIN'; channel: string }
  | { type: 'LEAVE'; channel: string }
  /** A new channel with you in it; `private`: listed and readable only by its members (spec: CREATE). */
  | { type: 'CREATE'; channel: string; private: boolean }
  /** Add `handle` to a channel you are in (spec: INVITE). */
  | { type: 'INVITE'; channel: string; handle: string }
  /** `said`: sent with SAY, the form a person types, which makes the connection a person's (spec: MODE). */
  | { type: 'MSG'; target: string; body: Uint8Array; said?: true }
  /** A page of the channel list: `limit` names after `after` (spec: CHNS). */
  | { type: 'CHNS'; limit?: number; after?: string }
  | { type: 'USRS'; channel?: string }
  /**
   * Stored messages: the latest, or those before or after an id, or (`around`) those nearest
   * an id, the message itself among them (spec: HISTORY).
   */
  | { type: 'HISTORY'; target: string; limit?: number; before?: number; after?: number; around?: number }
  /**
   * The conversation has been read up to and including message `id` (spec: READ); with
   * `thread`, the thread of root `thread` has been read up to reply `id` instead.
   */
  | { type: 'READ'; target: string; id: number; thread?: number }
  /**
   * A reply in the thread of message `root` (spec: REPLY). `also`: shown in the main flow
   * too. `said`: sent with RE, the one-line form a person types (as SAY is MSG's).
   */
  | { type: 'REPLY'; target: string; root: number; body: Uint8Array; also?: true; said?: true }
  /** New text for one's own message `id` (spec: EDIT). `said`: sent with FIX, the one-line form. */
  | { type: 'EDIT'; target: string; id: number; body: Uint8Array; said?: true }
  /** Delete one's own message `id`: its body and reactions are erased, a tombstone stays (spec: DELETE). */
  | { type: 'DELETE'; target: string; id: number; reason?: string }
  /** Add (REACT) or take back (UNREACT) a reaction, always the emoji itself once decoded (spec: REACT). */
  | { type: 'REACT'; target: string; id: number; reaction: string }
  | { type: 'UNREACT'; target: string; id: number; reaction: string }
  /** `TYPING <target>`: this user is typing there. Never stored (spec: TYPING). */
  | { type: 'TYPING'; target: string }
  /** `TYPING ON|OFF`: whether this connection is sent others' TYPING events. */
  | { type: 'TYPING'; watch: boolean }
  /** A thread: its root, then its latest `limit` replies, oldest first (spec: THREAD). */
  | { type: 'THREAD'; target: string; root: number; limit?: number }
  /** The threads this user follows, unread first (spec: THREADS). */
  | { type: 'THREADS' }
  /** Every conversation of the user with what is unread in it (spec: UNREAD). */
  | { type: 'UNREAD' }
  /** The claimed user's settings kept on the server (spec: PREFS and PREF). */
  | { type: 'PREFS' }
  /** Set a setting (`value` given), or clear it. */
  | { type: 'PREF'; key: string; value?: string }
  | { type: 'MUTE' }
  | { type: 'UNMUTE' }
  /** Refuse `handle`'s direct messages, or stop refusing them (spec: BLOCK). */
  | { type: 'BLOCK'; handle: string }
  | { type: 'UNBLOCK'; handle: string }
  /** The users this user blocks (spec: BLOCK). */
  | { type: 'BLOCKS' }
  /**
   * Moderation (spec: OP, KICK, BAN, SUSPEND, MODLOG): make or unmake an op, give a channel an
   * owner (admins), remove a member (`reason`: the rest of the line), keep them out, suspend a
   * user everywhere (admins), list the moderation log.
   */
  | { type: 'OP'; channel: string; handle: string }
  | { type: 'DEOP'; channel: string; handle: string }
  | { type: 'OWNER'; channel: string; handle: string }
  | { type: 'KICK'; channel: string; handle: string; reason?: string }
  | { type: 'BAN'; channel: string; handle: string; reason?: string }
  | { type: 'UNBAN'; channel: string; handle: string }
  | { type: 'SUSPEND'; handle: string; reason?: string }
  | { type: 'UNSUSPEND'; handle: string }
  | { type: 'MODLOG'; limit?: number }
  /** A channel's owner and ops, as ROLE lines (spec: OP); without a channel, the asker's own roles (a server admin's first). */
  | { type: 'ROLES'; channel?: string }
  /** Who is banned from a channel, as BAN lines, newest first (spec: BAN): for those who may UNBAN. */
  | { type: 'BANS'; channel: string }
  /**
   * How this connection is written to: `text` renders for a person at a terminal, `exact`
   * is the wire byte for byte, for a program; without either, which it is (spec: MODE).
   */
  | { type: 'MODE'; mode?: 'text' | 'exact' }
  /**
   * Messages this user may read that match `query`, newest first, a page at a time (spec:
   * SEARCH). `text`: the query as typed, trimmed; it is what goes on the wire.
   */
  | { type: 'SEARCH'; query: SearchQuery; text: string }
  | { type: 'HELP' }
  | { type: 'TIME' }
  | { type: 'PING'; token?: string }
  | { type: 'QUIT' };

export type CommandType = Command['type'];
export type CommandOf<T extends CommandType> = Extract<Command, { type: T }>;

export const COMMAND_TYPES: readonly CommandType[] = [
  'REG', 'RESUME', 'TOKEN', 'SIGNOUT', 'PASSWORD', 'JOIN', 'LEAVE', 'TOPIC', 'MSG', 'CHNS', 'USRS', 'HISTORY', 'READ', 'UNREAD', 'PREFS', 'PREF', 'MUTE', 'UNMUTE', 'HELP', 'TIME', 'PING', 'QUIT',
  'MODE', 'REPLY', 'EDIT', 'DELETE', 'REACT', 'UNREACT', 'TYPING', 'THREAD', 'THREADS', 'SEARCH',
  'BLOCK', 'UNBLOCK', 'BLOCKS', 'CREATE', 'INVITE',
  'OP', 'DEOP', 'OWNER', 'KICK', 'BAN', 'UNBAN', 'SUSPEND', 'UNSUSPEND', 'MODLOG', 'ROLES', 'BANS',
];

// ---------------------------------------------------------------- server -> client

/** Why the server closes a connection. */
export type ByeReason = 'QUIT' | 'SHUTDOWN' | 'SLOW_CONSUMER' | 'TIMEOUT' | 'ELSEWHERE' | 'SIGNED_OUT' | 'PROTOCOL' | 'SUSPENDED';

export type ServerFrame =
  /** First frame on every connection. */
  | { type: 'HELLO'; server: string; version: string; clientId: string; text: string }
  /** Success. `args` are the reply's tokens: `OK 42 2026-…Z` after a MSG, empty for most. */
  | { type: 'OK'; args: string[] }
  | { type: 'ERR'; code: string; text: string }
  /** A message: delivered live, or replayed by HISTORY or offline delivery. */
  | { type: 'MSG'; target: string; from: string; id: number; ts: string; body: Uint8Array }
  /**
   * The changes logged in a conversation beside messages (spec: REPLY, EDIT, DELETE, REACT):
   * each takes the conversation's next id, as a message does, and arrives as MSG does (live,
   * in HISTORY `after`, in THREAD, offline), always in the message's CURRENT state.
   * A thread reply to message `root`; `also`: shown in the main flow too.
   */
  | { type: 'REPLY'; target: string; from: string; id: number; ts: string; root: number; also: boolean; body: Uint8Array }
  /** Message `of` now reads `body` (its current text: empty when it was deleted since). */
  | { type: 'EDIT'; target: string; from: string; id: number; ts: string; of: number; body: Uint8Array }
  /** Message `of` was deleted: its body and reactions are gone, its id stays. */
  | { type: 'DELETE'; target: string; from: string; id: number; ts: string; of: number }
  /** `from` added (REACT) or took back (UNREACT) `reaction` (an emoji) on message `of`. */
  | { type: 'REACT'; target: string; from: string; id: number; ts: string; of: number; reaction: string }
  | { type: 'UNREACT'; target: string; from: string; id: number; ts: string; of: number; reaction: string }
  /** `from` is typing in `target` (to connections that asked: TYPING ON). Not logged, no id. */
  | { type: 'TYPING'; target: string; from: string }
  /**
   * State lines, right after a message's frame in HISTORY (but not `after`) and THREAD; never
   * counted by END. EDITED: the message was edited, last at `ts`.
   */
  | { type: 'EDITED'; target: string; id: number; ts: string }
  /** A tombstone: message `id` was deleted (its frame came with an empty body). */
  | { type: 'DELETED'; target: string; id: number }
  /** One distinct reaction on message `id`: who reacted with it, in the order they did. */
  | { type: 'REACTION'; target: string; id: number; reaction: string; by: string[] }
  /** Message `id` is a thread's root: `count` replies, the last `lastId` at `lastTs`; the latest repliers (at most 5), most recent first. */
  | { type: 'REPLIES'; target: string; id: number; count: number; lastId: number; lastTs: string; by: string[] }
  /**
   * One message a SEARCH found, in its current text (`target` and `from` as in MSG; a thread
   * reply is found as FOUND too). Only ever part of a SEARCH reply.
   */
  | { type: 'FOUND'; target: string; from: string; id: number; ts: string; body: Uint8Array }
  /** One thread in a THREADS reply: one this user follows, with what is unread in it. */
  | { type: 'FOLLOWING'; target: string; root: number; replies: number; unread: number; mentions: number; lastId: number; lastTs: string }
  | { type: 'JOINED'; channel: string; user: string }
  | { type: 'LEFT'; channel: string; user: string }
  | { type: 'ONLINE'; user: string }
  | { type: 'OFFLINE'; user: string }
  /** One channel in a CHNS reply; `private`: a private channel (listed only to its members). */
  | { type: 'CHN'; channel: string; members: number; private?: true }
  /** One user in a USRS reply; `guest`: the handle has no password (anyone may take it when offline). */
  | { type: 'USR'; user: string; online: boolean; guest?: boolean }
  /**
   * A channel's topic, as TOPIC's reply or, to its members, when someone sets it: who set it
   * (`-` when nobody has) and the text (empty when there is none).
   */
  | { type: 'TOPIC'; channel: string; by: string; text: string }
  /**
   * Unasked, to a user's other connections: they have read `target` up to `id` on one.
   * (`target` as the user names it: the channel, or the other user of a DM.)
   */
  | { type: 'READ'; target: string; id: number }
  /**
   * One conversation in an UNREAD reply: `unread` messages from others after `readId`
   * (at most UNREAD_CAP), `mentions` of them naming the user (or @channel/@here), and the
   * conversation's newest id.
   */
  | { type: 'UNREAD'; target: string; unread: number; mentions: number; readId: number; lastId: number }
  /**
   * One of the user's settings, in a PREFS reply; or unasked, to a user's other connections
   * when one of theirs set it (`value` empty: cleared).
   */
  | { type: 'PREF'; key: string; value: string }
  /**
   * A user this user blocks, in a BLOCKS reply; or unasked, to a user's other connections when
   * one of theirs blocked `user` (UNBLOCKED: stopped blocking them).
   */
  | { type: 'BLOCKED'; user: string }
  | { type: 'UNBLOCKED'; user: string }
  /**
   * To a channel's members, the removed user included: `by` removed `user` from the channel
   * (KICK), or removed and banned them (BAN); `reason` empty when none was given.
   */
  | { type: 'KICKED'; channel: string; user: string; by: string; reason: string }
  | { type: 'BANNED'; channel: string; user: string; by: string; reason: string }
  /**
   * To a channel's members: `user` is now its owner, an op, or a member without a role; `by` `-`
   * when it passed by itself (the owner left). Also a line of a ROLES reply (`by` `-`), where
   * a bare ROLES answers `ROLE - @you admin -` to a server admin (`channel` `-`: server-wide).
   */
  | { type: 'ROLE'; channel: string; user: string; role: 'owner' | 'op' | 'member' | 'admin'; by: string }
  /** One ban of a BANS reply: `by` banned `user` at `ts` (each `-` when not known); `reason` empty when none. */
  | { type: 'BAN'; channel: string; user: string; by: string; ts: string; reason: string }
  /** One MODLOG entry: `channel` `-` for a suspension, `id` the message of a `delete` (`-` on the wire for none), `reason` empty when none. */
  | { type: 'MOD'; ts: string; action: string; by: string; whom: string; channel: string; id?: number; reason: string }
  /** One line of HELP text. */
  | { type: 'INFO'; text: string }
  | { type: 'TIME'; time: string }
  | { type: 'PONG'; token?: string }
  /**
   * Ends a multi-line reply: `END CHNS 2` (also `END HISTORY`, `END THREAD`, `END THREADS`,
   * whose count is of frames: state lines are not counted). `more`: a paged CHNS has more channels after
   * this one (`END CHNS 100 MORE #last`); ask `CHNS after #last` for them. After SEARCH it is the
   * oldest result's time (`END SEARCH 20 MORE <ts>`): the same query with `before:<ts>` pages on.
   */
  | { type: 'END'; of: string; count: number; more?: string }
  | { type: 'NOTICE'; text: string }
  /** Last frame before the server closes the connection. */
  | { type: 'BYE'; reason: ByeReason; text: string };

export type ServerFrameType = ServerFrame['type'];
export type ServerFrameOf<T extends ServerFrameType> = Extract<ServerFrame, { type: T }>;
