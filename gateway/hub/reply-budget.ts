import type { Conn } from './conn.ts';

/**
 * What a HISTORY reply may make the server hold. 54 bytes of commands (pipelined
 * `HISTORY #c 500` over 64 KiB messages) used to pin 33 MB for a connection that did not
 * read, and 60 such connections 2 GB. Two bounds keep it near `--max-outbound`:
 *
 * - per reply: a reply stops adding messages before it passes `perReply` bytes (it holds
 *   at least one), and the count in `END HISTORY <n>` tells the client where to page from.
 *   With the hub's backpressure (a connection owed more than `--max-outbound` of its own
 *   answers is not read from), one connection holds at most `--max-outbound` + one reply.
 * - server-wide: once the replies held unread for all connections pass `total` bytes
 *   (`--max-reply-memory`), a HISTORY waits, in arrival order, until readers have taken
 *   enough. A HISTORY always runs when nothing is held, so one always makes progress; and
 *   when the waiting has lasted `stallMs`, the connection holding the most is cut off as a
 *   slow consumer, so clients that never read cannot stall everyone else's history.
 *
 * Bytes held are not tracked through every write: a connection's reply bytes still held are
 * at most what it was given and at most what it has not yet sent (queued, or in the
 * transport's buffer), so that minimum is a safe overestimate that shrinks as it reads.
 */
export class ReplyBudget {
  /** Largest reply, in bytes (a single larger message is still sent whole). */
  readonly perReply: number;
  /** Server-wide bytes of replies held unread past which HISTORY waits; 0: no limit. */
  readonly total: number;
  private readonly holders = new Set<Conn>();
  private readonly waiters: Array<{ conn: Conn; go: () => void }> = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  /**
   * `held()` of this event-loop turn, or -1: summing every holder on each HISTORY would cost
   * O(holders) per command in a reconnect storm, so the sum is taken once a turn and what is
   * noted meanwhile is added to it (readers only take bytes between turns).
   */
  private sum = -1;

  /** Since when waiters have found no room (0: they have not). */
  private stalledSince = 0;

  /**
   * `evict` cuts off a connection that holds replies unread while others have waited
   * `stallMs` for room: without it, a few clients that never read would stall every HISTORY.
   */
  constructor(
    maxOutbound: number,
    maxReplyMemory: number,
    private readonly stallMs = 10_000,
    private readonly evict: (conn: Conn) => void = () => {},
  ) {
    // A quarter of the outbound bound, so a reader with a few replies in flight stays under it.
    this.perReply = Math.max(1, Math.min(1024 * 1024, Math.floor(maxOutbound / 4)));
    this.total = maxReplyMemory;
  }

  /** Reply bytes that may still be held for `conn`. */
  heldBy(conn: Conn): number {
    const held = conn.closed ? 0 : Math.min(conn.replyHeld, conn.session.backlog + conn.queued);
    conn.replyHeld = held;
    if (held === 0) this.holders.delete(conn);
    return held;
  }

  /** Reply bytes that may still be held for every connection. */
  held(): number {
    if (this.sum >= 0) return this.sum;
    let sum = 0;
    for (const c of this.holders) sum += this.heldBy(c);
    this.sum = sum;
    setImmediate(() => (this.sum = -1));
    return sum;
  }

  /** A reply of `bytes` is about to be queued for `conn`. */
  note(conn: Conn, bytes: number): void {
    conn.replyHeld = this.heldBy(conn) + bytes;
    if (conn.replyHeld > 0) this.holders.add(conn);
    if (this.sum >= 0) this.sum += bytes;
  }

  /**
   * Null when a reply may be built now; else a promise that resolves when it may (the hub
   * holds the connection's later commands meanwhile). Earlier waiters go first.
   */
  admit(conn: Conn): Promise<void> | null {
    if (this.total === 0 || (this.waiters.length === 0 && this.held() < this.total)) return null;
    return new Promise((go) => {
      this.waiters.push({ conn, go });
      this.schedule(20);
    });
  }

  /** How many HISTORY commands are waiting for room. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Whether a HISTORY of this connection's is waiting for room. */
  isWaiting(conn: Conn): boolean {
    return this.waiters.some((w) => w.conn === conn);
  }

  /**
   * Let one waiter through when there is room. Then look again on the next turn, once the
   * reply it builds has been counted; while there is no room, look every `ms`.
   */
  private schedule(ms: number): void {
    if (this.timer !== null) return;
    const check = () => {
      this.timer = null;
      while (this.waiters.length > 0 && this.waiters[0].conn.closed) this.waiters.shift()!.go();
      if (this.waiters.length === 0) return;
      if (this.held() < this.total) {
        this.stalledSince = 0;
        this.waiters.shift()!.go();
        if (this.waiters.length > 0) this.schedule(0);
        return;
      }
      const now = Date.now();
      if (this.stalledSince === 0) this.stalledSince = now;
      else if (now - this.stalledSince >= this.stallMs) {
        // One cut per stall period: the biggest holder, which frees the most.
        this.stalledSince = now;
        let worst: Conn | null = null;
        for (const c of this.holders) if (worst === null || this.heldBy(c) > this.heldBy(worst)) worst = c;
        if (worst !== null) this.evict(worst);
        this.sum = -1;
      }
      this.schedule(20);
    };
    // A timer, not the next turn: the reply the last waiter builds runs first, as a microtask.
    this.timer = setTimeout(check, ms);
    this.timer.unref();
  }
}
