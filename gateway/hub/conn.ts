import type { Command, ProtocolError, ReaderKind } from '../../core/index.ts';
import type { Session } from '../transport/session.ts';
import type { ConnFlood } from '../limits/flood.ts';

/** How a connection ended, for the shutdown summary. */
export type Departure = 'quit' | 'closed' | 'shutdown' | 'slow consumer' | 'timeout' | 'connected';

/**
 * A user signed in on this node. A guest handle is held by one connection across every
 * node; a claimed one (with a password) may be signed in from several tabs, devices and
 * telnet at once, and all of them sit in the user's channels.
 */
export type User = {
  key: string;
  handle: string;
  /** This node's connections signed in as the user, in sign-in order; never empty. */
  conns: Conn[];
  channels: Set<Channel>;
};

/** A channel as this node's hub knows it: only who is online here (the directory has all members). */
export type Channel = {
  key: string;
  name: string;
  /** The online members on this node, dense, so fan-out is a plain loop over an array. */
  online: Conn[];
  slot: Map<Conn, number>;
};

/**
 * A reply whose bytes are not known yet: a MSG's `OK <id> <ts>` waits for the commit that
 * gives its id. The connection's output stops at the first slot not yet filled, so replies
 * leave in the order the commands came, while later commands already run.
 */
export type Slot = { bytes: Uint8Array | null };

/** The hub's state for one connection. */
export class Conn {
  user: User | null = null;
  /**
   * Who reads it, which decides the bytes it is sent (core/kinds.ts): a program until it
   * looks like a person or says which it is (spec: MODE).
   */
  kind: ReaderKind = 'program';
  /** Set once MODE has said which it is: a sign seen after (telnet, SAY) changes nothing. */
  kindChosen = false;
  muted = false;
  /** The hash of the session token this connection signed in with or was issued (SIGNOUT ends it). */
  tokenHash: string | null = null;
  /** MSGs held back since the last MUTE. */
  heldBack = 0;
  sent = 0;
  mutedTotal = 0;
  departure: Departure = 'connected';
  /** The handle this connection last held, for the summary after it leaves. */
  lastHandle: string | null = null;
  closed = false;
  /** Frames queued this turn, written together at its end (up to the first unfilled slot). */
  queue: Array<Uint8Array | Slot> = [];
  /** Bytes of the filled entries of `queue`. */
  queued = 0;
  /** Slots in `queue` not yet filled: MSGs awaiting their commit. */
  unfilled = 0;
  /** Set by `end` while slots are unfilled: the farewell waits for them. */
  ending: { how: Departure; bye: Uint8Array } | null = null;
  /** Set while reading waits for unfilled slots to drop (too many MSGs awaiting commits). */
  slotWaiter: (() => void) | null = null;
  /** Set by `afterAnswers`: called once the last unfilled slot is filled. */
  answered: (() => void) | null = null;
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
  /** The hub's turn these are of (hub.ts, fair service): when its first command ran, and bytes of their replies. */
  turnAt = -1;
  turnFrom = 0;
  turnBytes = 0;
  /**
   * Whether it is sent TYPING events (spec: TYPING): a WebSocket (the web app shows them) is
   * until it says TYPING OFF; a TCP connection, a terminal or a bot, only once it says TYPING ON.
   */
  typingEvents: boolean;
  /** Conversation key -> when this connection's last TYPING there was passed on (3 s apart at most). */
  typingPassed: Map<string, number> | null = null;
  readonly session: Session;
  constructor(session: Session) {
    this.session = session;
    this.typingEvents = session.transport === 'ws';
  }

  /**
   * A sign of who reads it: it spoke telnet, or used SAY (a person). Heeded unless MODE has
   * chosen; never a way back, since a person's signs do not come and go.
   */
  looksLike(kind: ReaderKind): void {
    if (!this.kindChosen) this.kind = kind;
  }

  /** MODE text / MODE exact: it says which it is, and that holds. */
  choose(kind: ReaderKind): void {
    this.kind = kind;
    this.kindChosen = true;
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
