import { COMMAND_LIMITS, CommandDecoder, Parser } from '../../core/index.ts';
import type { Hub } from '../hub/hub.ts';
import type { Conn, Departure } from '../hub/conn.ts';
import { ConnectionClock, type Timeouts } from '../limits/admission.ts';
import type { Session } from './session.ts';

/**
 * One connection as every transport sets it up: a session handed to the hub, an SLCK parser
 * feeding the hub's commands, and the clocks that end a connection left half-way. A
 * transport only moves bytes: it calls `feed` with what arrived and `closed` when its
 * socket is gone. (The TCP port puts its telnet filter in front of `feed`.)
 */
export type Connection = {
  readonly conn: Conn;
  /** Bytes from the peer, in order. */
  feed(chunk: Uint8Array): void;
  /** The parser holds the start of a line or body: a telnet Ctrl-C drops it. */
  discardPartial(): void;
  /** How many of the bytes to come are the rest of a body (the telnet filter leaves a 0xFF in one alone). */
  readonly bodyAhead: number;
  /** The transport's socket has gone; `how` says why, for the summary. */
  closed(how?: Departure): void;
};

/**
 * `reading` says whether the transport is reading now: while the hub holds a connection's
 * commands (a password check), the rest of its input may sit in our buffers, and that is no
 * reason to time it out.
 */
export function openConnection(hub: Hub, session: Session, timeouts: Timeouts, reading: () => boolean): Connection {
  const conn = hub.connect(session);
  const parser = new Parser(new CommandDecoder(), COMMAND_LIMITS, (r) => hub.receive(conn, r));
  const clock = new ConnectionClock(hub, conn, parser, timeouts, reading);
  return {
    conn,
    feed(chunk) {
      parser.push(chunk);
      clock.fed();
    },
    discardPartial() {
      parser.reset();
      clock.fed();
    },
    get bodyAhead() {
      return parser.bodyAhead;
    },
    closed(how = 'closed') {
      clock.stop();
      hub.disconnect(conn, how);
    },
  };
}
