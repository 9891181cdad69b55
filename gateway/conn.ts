import type { Command, ProtocolError } from '../core/index.ts';
import type { Session } from './session.ts';
import type { ConnFlood } from './flood.ts';

/** How a connection ended, for the shutdown summary. */
export type Departure = 'quit' | 'closed' | 'shutdown' | 'slow consumer' | 'timeout' | 'connected';

/** A user who is online: one connection holds one handle. */
export type User = {
  key: string;
  handle: string;
  conn: Conn;
  channels: Set<Channel>;
};

export type Channel = {
  key: string;
  name: string;
  /** Every member's key, online or not. */
  members: Set<string>;
  /** The online members, dense, so fan-out is a plain loop over an array. */
  online: Conn[];
  slot: Map<Conn, number>;
};

/** The hub's state for one connection. */
export class Conn {
  user: User | null = null;
  muted = false;
  /** MSGs held back since the last MUTE. */
  heldBack = 0;
  sent = 0;
  mutedTotal = 0;
  departure: Departure = 'connected';
  /** The handle this connection last held, for the summary after it leaves. */
  lastHandle: string | null = null;
  closed = false;
  /** Frames queued this turn, written together at its end. */
  queue: Uint8Array[] = [];
  queued = 0;
  /** Bytes of `queue` that answer this connection's own commands (replies, HISTORY). */
  ownQueued = 0;
  /**
   * At most this many of the bytes still unsent answer the connection's own commands. A
   * client that asks for a large reply is owed it: only the rest counts as falling behind.
   */
  owed = 0;
  dirty = false;
  /** Commands waiting while an asynchronous one (a password check) runs. */
  inbox: (Command | ProtocolError)[] | null = null;
  /** Its MSG token bucket (flood.ts), made on its first MSG. */
  flood: ConnFlood | null = null;
  /** At most this many bytes of HISTORY replies are still unsent (reply-budget.ts). */
  replyHeld = 0;
  readonly session: Session;
  constructor(session: Session) {
    this.session = session;
  }
}

export function addOnline(ch: Channel, conn: Conn): void {
  if (ch.slot.has(conn)) return;
  ch.slot.set(conn, ch.online.length);
  ch.online.push(conn);
}

export function removeOnline(ch: Channel, conn: Conn): void {
  const i = ch.slot.get(conn);
  if (i === undefined) return;
  ch.slot.delete(conn);
  const last = ch.online.pop()!;
  if (last !== conn) {
    ch.online[i] = last;
    ch.slot.set(last, i);
  }
}
