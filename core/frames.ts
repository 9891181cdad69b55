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
  /** The conversation has been read up to and including message `id` (spec: READ). */
  | { type: 'READ'; target: string; id: number }
  /** Every conversation of the user with what is unread in it (spec: UNREAD). */
  | { type: 'UNREAD' }
  /** The claimed user's settings kept on the server (spec: PREFS and PREF). */
  | { type: 'PREFS' }
  /** Set a setting (`value` given), or clear it. */
  | { type: 'PREF'; key: string; value?: string }
  | { type: 'MUTE' }
  | { type: 'UNMUTE' }
  /**
   * How this connection is written to: `text` renders for a person at a terminal, `exact`
   * is the wire byte for byte, for a program; without either, which it is (spec: MODE).
   */
  | { type: 'MODE'; mode?: 'text' | 'exact' }
  | { type: 'HELP' }
  | { type: 'TIME' }
  | { type: 'PING'; token?: string }
  | { type: 'QUIT' };

export type CommandType = Command['type'];
export type CommandOf<T extends CommandType> = Extract<Command, { type: T }>;

export const COMMAND_TYPES: readonly CommandType[] = [
  'REG', 'RESUME', 'TOKEN', 'SIGNOUT', 'PASSWORD', 'JOIN', 'LEAVE', 'TOPIC', 'MSG', 'CHNS', 'USRS', 'HISTORY', 'READ', 'UNREAD', 'PREFS', 'PREF', 'MUTE', 'UNMUTE', 'HELP', 'TIME', 'PING', 'QUIT',
  'MODE',
];

// ---------------------------------------------------------------- server -> client

/** Why the server closes a connection. */
export type ByeReason = 'QUIT' | 'SHUTDOWN' | 'SLOW_CONSUMER' | 'TIMEOUT' | 'ELSEWHERE' | 'SIGNED_OUT' | 'PROTOCOL';

export type ServerFrame =
  /** First frame on every connection. */
  | { type: 'HELLO'; server: string; version: string; clientId: string; text: string }
  /** Success. `args` are the reply's tokens: `OK 42 2026-…Z` after a MSG, empty for most. */
  | { type: 'OK'; args: string[] }
  | { type: 'ERR'; code: string; text: string }
  /** A message: delivered live, or replayed by HISTORY or offline delivery. */
  | { type: 'MSG'; target: string; from: string; id: number; ts: string; body: Uint8Array }
  | { type: 'JOINED'; channel: string; user: string }
  | { type: 'LEFT'; channel: string; user: string }
  | { type: 'ONLINE'; user: string }
  | { type: 'OFFLINE'; user: string }
  /** One channel in a CHNS reply. */
  | { type: 'CHN'; channel: string; members: number }
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
  /** One line of HELP text. */
  | { type: 'INFO'; text: string }
  | { type: 'TIME'; time: string }
  | { type: 'PONG'; token?: string }
  /**
   * Ends a multi-line reply: `END CHNS 2`. `more`: a paged CHNS has more channels after
   * this one (`END CHNS 100 MORE #last`); ask `CHNS after #last` for them.
   */
  | { type: 'END'; of: string; count: number; more?: string }
  | { type: 'NOTICE'; text: string }
  /** Last frame before the server closes the connection. */
  | { type: 'BYE'; reason: ByeReason; text: string };

export type ServerFrameType = ServerFrame['type'];
export type ServerFrameOf<T extends ServerFrameType> = Extract<ServerFrame, { type: T }>;
