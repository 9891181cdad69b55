import { addressKey } from '../limits/admission.ts';
import type { Conn } from './conn.ts';

/**
 * What a HISTORY reply may make the server hold. 54 bytes of commands (pipelined
 * `HISTORY #c 500` over 64 KiB messages) used to pin 33 MB for a connection that did not
 * read, and 60 such connections 2 GB. Three bounds keep it small, and each falls on whoever
 * holds the memory, never on the people who read what they asked for:
 *
 * - per reply: a reply stops adding messages before it passes `perReply` bytes (it holds
 *   at least one), and the count in `END HISTORY <n>` tells the client where to page from.
 *   With the hub's backpressure (a connection owed more than `--max-outbound` of its own
 *   answers is not read from), one connection holds at most `--max-outbound` + one reply.
 * - per address: the connections of one peer address may hold `perAddress` (an eighth of
 *   `--max-reply-memory`). Past it, that address's HISTORYs wait, in arrival order, until it
 *   has read enough. Thirty guest connections from one address that pipelined HISTORY and
 *   never read once filled the whole server-wide budget, and everyone else's HISTORY waited
 *   8 s; now they fill their own share, and only their own HISTORYs wait.
 * - server-wide: once the replies held unread for all connections pass `total` bytes
 *   (`--max-reply-memory`), a HISTORY from an address that holds replies unread waits too;
 *   an address holding none still runs (it adds one reply at most, then holds, and waits).
 *
 * When a HISTORY has waited `stallMs`, the connection holding the most is cut off as a slow
 * consumer: of its own address when that address is past its share, else of the address
 * holding the most. So clients that never read cannot stall anyone's history for good, and
 * opening a new connection every stall period only keeps their own waiting.
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
  /** Bytes of replies the connections of one address may hold unread before their HISTORY waits. */
  readonly perAddress: number;
  private readonly holders = new Set<Conn>();
  /** The holders by peer address. */
  private readonly byAddress = new Map<string, Set<Conn>>();
  private readonly addresses = new WeakMap<Conn, string>();
  private readonly waiters: Array<{ conn: Conn; address: string; since: number; go: () => void }> = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  /**
   * `held()` of this event-loop turn, or -1, and the same per address: summing every holder on
   * each HISTORY would cost O(holders) per command in a reconnect storm, so sums are taken
   * once a turn and what is noted meanwhile is added (readers only take bytes between turns).
   */
  private sum = -1;
  private readonly addressSums = new Map<string, number>();
  private forgetArmed = false;

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
    this.perAddress = Math.max(1, Math.floor(maxReplyMemory / 8));
  }

  /** The peer address a connection counts under (its port left off; IPv4-mapped IPv6 as IPv4). */
  addressOf(conn: Conn): string {
    let a = this.addresses.get(conn);
    if (a === undefined) {
      const remote = conn.session.remote;
      const colon = remote.lastIndexOf(':');
      a = addressKey(colon > 0 ? remote.slice(0, colon) : remote);
      this.addresses.set(conn, a);
    }
    return a;
  }

  /** Reply bytes that may still be held for `conn`. */
  heldBy(conn: Conn): number {
    const held = conn.closed ? 0 : Math.min(conn.replyHeld, conn.session.backlog + conn.queued);
    conn.replyHeld = held;
    if (held === 0 && this.holders.delete(conn)) {
      const address = this.addressOf(conn);
      const set = this.byAddress.get(address);
      set?.delete(conn);
      if (set?.size === 0) this.byAddress.delete(address);
    }
    return held;
  }

  /** Reply bytes that may still be held for every connection. */
  held(): number {
    if (this.sum >= 0) return this.sum;
    let sum = 0;
    for (const c of [...this.holders]) sum += this.heldBy(c);
    this.sum = sum;
    this.forgetSums();
    return sum;
  }

  /** Reply bytes that may still be held for the connections of one address. */
  heldAt(address: string): number {
    const cached = this.addressSums.get(address);
    if (cached !== undefined) return cached;
    let sum = 0;
    const set = this.byAddress.get(address);
    if (set !== undefined) for (const c of [...set]) sum += this.heldBy(c);
    this.addressSums.set(address, sum);
    this.forgetSums();
    return sum;
  }

  private forgetSums(): void {
    if (this.forgetArmed) return;
    this.forgetArmed = true;
    setImmediate(() => {
      this.forgetArmed = false;
      this.sum = -1;
      this.addressSums.clear();
    });
  }

  /** A reply of `bytes` is about to be queued for `conn`. */
  note(conn: Conn, bytes: number): void {
    conn.replyHeld = this.heldBy(conn) + bytes;
    if (conn.replyHeld > 0 && !this.holders.has(conn)) {
      this.holders.add(conn);
      const address = this.addressOf(conn);
      let set = this.byAddress.get(address);
      if (set === undefined) this.byAddress.set(address, (set = new Set()));
      set.add(conn);
    }
    if (this.sum >= 0) this.sum += bytes;
    const address = this.addressOf(conn);
    const at = this.addressSums.get(address);
    if (at !== undefined) this.addressSums.set(address, at + bytes);
  }

  /**
   * Null when a reply may be built now; else a promise that resolves when it may (the hub
   * holds the connection's later commands meanwhile). Earlier waiters of its address go first.
   */
  admit(conn: Conn): Promise<void> | null {
    if (this.total === 0) return null;
    const address = this.addressOf(conn);
    if (!this.waiters.some((w) => w.address === address) && this.room(address)) return null;
    return new Promise((go) => {
      this.waiters.push({ conn, address, since: Date.now(), go });
      this.schedule(20);
    });
  }

  /** Whether an address may have a reply built: under its share, and under the total unless it holds none. */
  private room(address: string): boolean {
    const ours = this.heldAt(address);
    return ours < this.perAddress && (ours === 0 || this.held() < this.total);
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
   * Let one waiter through when its address has room (the first of each address in line).
   * Then look again on the next turn, once the reply it builds has been counted; while there
   * is no room, look every 20 ms, and cut a holder off when a waiter has waited `stallMs`.
   */
  private schedule(ms: number): void {
    if (this.timer !== null) return;
    const check = () => {
      this.timer = null;
      for (let i = 0; i < this.waiters.length; i++) {
        if (this.waiters[i].conn.closed) this.waiters.splice(i--, 1)[0].go();
      }
      if (this.waiters.length === 0) return;
      this.sum = -1;
      this.addressSums.clear();
      const now = Date.now();
      const looked = new Set<string>();
      for (let i = 0; i < this.waiters.length; i++) {
        const w = this.waiters[i];
        if (looked.has(w.address)) continue;
        looked.add(w.address);
        if (this.room(w.address)) {
          this.waiters.splice(i, 1);
          w.go();
          if (this.waiters.length > 0) this.schedule(0);
          return;
        }
        if (now - w.since >= this.stallMs) {
          // One cut per stall period: the biggest holder, of this address when it is past its
          // share (it holds what it waits for), else of the address holding the most.
          w.since = now;
          const worst = this.biggest(this.heldAt(w.address) >= this.perAddress ? w.address : this.fullest());
          if (worst !== null) this.evict(worst);
          this.sum = -1;
          this.addressSums.clear();
        }
      }
      this.schedule(20);
    };
    // A timer, not the next turn: the reply the last waiter builds runs first, as a microtask.
    this.timer = setTimeout(check, ms);
    this.timer.unref();
  }

  /** The address whose connections hold the most. */
  private fullest(): string | null {
    let best: string | null = null;
    let most = 0;
    for (const address of this.byAddress.keys()) {
      const held = this.heldAt(address);
      if (held > most) [best, most] = [address, held];
    }
    return best;
  }

  /** The connection of `address` holding the most, or null. */
  private biggest(address: string | null): Conn | null {
    const set = address === null ? undefined : this.byAddress.get(address);
    let worst: Conn | null = null;
    let most = 0;
    for (const c of set ?? []) {
      const held = this.heldBy(c);
      if (held > most) [worst, most] = [c, held];
    }
    return worst;
  }
}
