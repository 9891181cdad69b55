import type { ProtocolError } from './errors.ts';
import type { ServerFrameOf } from './frames.ts';

/** The types SlckClient's methods and events speak in (client.ts re-exports them). */

export type Delivery = ServerFrameOf<'MSG'>;
/** `private`: a private channel, listed only to its members (spec: CREATE). */
export type ChannelInfo = { channel: string; members: number; private?: true };
export type ChannelPage = { channels: ChannelInfo[]; more?: string };
/** `guest`: the handle has no password (anyone may take it while it is offline). */
export type UserInfo = { user: string; online: boolean; guest?: boolean };
export type TopicInfo = { channel: string; by: string; text: string };
export type Sent = { id: number; ts: string } | { muted: number };
export type HistoryOptions = { limit?: number; before?: number; after?: number; around?: number };
/**
 * A page of SEARCH results, newest first, each in its current text; `more`: there may be
 * more, older than this time (the oldest result's): ask again with `before` it.
 */
export type SearchPage = { found: ServerFrameOf<'FOUND'>[]; more?: string };
/** One conversation of an UNREAD reply (spec: UNREAD). */
export type UnreadInfo = Omit<ServerFrameOf<'UNREAD'>, 'type'>;

/** Frames that arrive unasked, and what the client reports about itself. */
export type ClientEvents = {
  hello: ServerFrameOf<'HELLO'>;
  message: Delivery;
  joined: ServerFrameOf<'JOINED'>;
  left: ServerFrameOf<'LEFT'>;
  online: ServerFrameOf<'ONLINE'>;
  offline: ServerFrameOf<'OFFLINE'>;
  notice: ServerFrameOf<'NOTICE'>;
  /** A channel's topic was set (by `by`; `-` and empty text: cleared). */
  topic: ServerFrameOf<'TOPIC'>;
  /** This user read a conversation on another connection. */
  read: ServerFrameOf<'READ'>;
  /** This user set (or, `value` empty, cleared) a setting on another connection. */
  pref: ServerFrameOf<'PREF'>;
  /** This user blocked (or unblocked) someone on another connection (spec: BLOCK). */
  blocked: ServerFrameOf<'BLOCKED'>;
  unblocked: ServerFrameOf<'UNBLOCKED'>;
  /** Someone was removed from a channel (this user too: the channel's messages stop) (spec: KICK, BAN). */
  kicked: ServerFrameOf<'KICKED'>;
  banned: ServerFrameOf<'BANNED'>;
  /** A member of a channel became its owner, an op, or lost their role (spec: OP). */
  role: ServerFrameOf<'ROLE'>;
  /** Logged changes, live (spec: REPLY, EDIT, DELETE, REACT), as `message` is for MSG. */
  reply: ServerFrameOf<'REPLY'>;
  edit: ServerFrameOf<'EDIT'>;
  delete: ServerFrameOf<'DELETE'>;
  react: ServerFrameOf<'REACT'>;
  unreact: ServerFrameOf<'UNREACT'>;
  /** Someone is typing: sent on a WebSocket by default, on the TCP port after `typingEvents(true)`. */
  typing: ServerFrameOf<'TYPING'>;
  bye: ServerFrameOf<'BYE'>;
  /** A frame the client could not read: the stream goes on. */
  error: ProtocolError;
};

/** An error the server answered with: `code` is the ERR code. */
export class ServerError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ServerError';
    this.code = code;
  }
}
