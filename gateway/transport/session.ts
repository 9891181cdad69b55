/**
 * What the hub knows of a connection, whatever carries it (TCP or WebSocket).
 * Transports are thin: they feed parsed commands to the hub and write what it hands them.
 * The hub batches: it calls `send` at most once per connection per event-loop turn.
 */
export interface Session {
  /** Short id for logs and the HELLO banner, e.g. `c17`. */
  readonly id: string;
  /** Peer address (`ip:port`), for logs, the summary, and rate limiting by address. */
  readonly remote: string;
  readonly transport: 'tcp' | 'ws';
  /** Write bytes now. The same Uint8Array may go to many sessions: never modify it. */
  send(bytes: Uint8Array): void;
  /** Bytes written but not yet taken by the peer (socket.writableLength, ws.bufferedAmount). */
  readonly backlog: number;
  /** Stop and restart reading (while a slow command, such as a password check, runs). */
  pause(): void;
  resume(): void;
  /** Call `then` once, on a later turn, when everything written has been taken by the peer. */
  whenDrained(then: () => void): void;
  /**
   * Check that the peer is still there: one that does not answer within a few seconds is
   * closed (`timeout`). Optional: a transport with no way to ask (TCP) leaves it out.
   */
  probe?(): void;
  /** Write `last` (if given) and what is pending, then close. Gives up after a few seconds. */
  close(last?: Uint8Array): void;
}
