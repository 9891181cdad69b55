import type { Conn } from './conn.ts';

/**
 * The overload governor (the hardening issue's item 7): when many recipients have deep
 * fan-out queues, the hub reads less from publishers, so the bytes waiting in the server
 * stay bounded and a message's wait in them too, while throughput holds: the publishers are
 * slowed to what the readers take, nothing is refused, and their replies keep their order.
 *
 * What it watches is each connection's unsent output (`session.backlog`, less what it is
 * owed for its own commands, as the slow-consumer check counts it), reported by the hub
 * after each write and re-read every few milliseconds while it is non-zero. Each connection
 * counts for at most `perConnBytes`: one slow reader never holds the others back, many deep
 * ones do. Past `highBytes` in all, a MSG is held, with everything its connection sends
 * after it, and the connection is not read from; below `lowBytes` all held publishers go on.
 *
 * A recipient that stays backlogged for `stuckMs` stops counting: it is not reading, and
 * holding publishers for it would keep it from ever reaching --max-outbound, which is what
 * cuts slow consumers off. So a publisher is held for about `stuckMs` at most.
 */
export type OverloadOptions = {
  /** Counted unsent bytes, over all connections, past which publishers are held (0: never). */
  highBytes: number;
  /** ... and below which they are read from again. */
  lowBytes: number;
  /** The most one connection counts for. */
  perConnBytes: number;
  /** Unsent bytes at or below this are not a backlog (one socket buffer's worth). */
  floorBytes: number;
  /** A connection backlogged this long without once getting down to `floorBytes` stops counting. */
  stuckMs: number;
  /** How often backlogged connections are looked at again, in milliseconds. */
  checkMs: number;
};

export const OVERLOAD_DEFAULTS: OverloadOptions = {
  highBytes: 2 * 1024 * 1024,
  lowBytes: 512 * 1024,
  perConnBytes: 64 * 1024,
  floorBytes: 16 * 1024,
  stuckMs: 1_000,
  checkMs: 5,
};

type Entry = { unsent: number; counted: number; since: number; stuck: boolean };

export type OverloadStats = {
  /** Counted unsent bytes now. */
  counted: number;
  /** Connections with a backlog past the floor. */
  backlogged: number;
  /** Publishers held now. */
  held: number;
  /** Times publishers have been held since start. */
  episodes: number;
};

export class OverloadGovernor {
  readonly options: OverloadOptions;
  private readonly entries = new Map<Conn, Entry>();
  private total = 0;
  private on = false;
  private held: Array<() => void> = [];
  private timer: NodeJS.Timeout | null = null;
  private releaseScheduled = false;
  private episodes = 0;
  private readonly now: () => number;

  constructor(options: Partial<OverloadOptions> = {}, now: () => number = () => performance.now()) {
    this.options = { ...OVERLOAD_DEFAULTS, ...options };
    this.now = now;
  }

  /** Whether a MSG read now should wait. */
  get engaged(): boolean {
    return this.on;
  }

  /** The hub wrote to `conn`; `unsent` of its bytes (not owed for its own commands) are still waiting. */
  wrote(conn: Conn, unsent: number): void {
    if (unsent <= this.options.floorBytes) {
      if (this.entries.size !== 0) this.update(conn, 0);
      return;
    }
    if (this.options.highBytes > 0) this.update(conn, unsent);
  }

  /** Hold a publisher: `resume` runs, on a later turn, once publishers may be read from again. */
  hold(resume: () => void): void {
    this.held.push(resume);
    this.ensureTimer();
  }

  stats(): OverloadStats {
    return { counted: this.total, backlogged: this.entries.size, held: this.held.length, episodes: this.episodes };
  }

  /** Let every held publisher go and stop watching (shutdown). */
  close(): void {
    this.entries.clear();
    this.total = 0;
    this.on = false;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.release();
  }

  private update(conn: Conn, unsent: number): void {
    const o = this.options;
    let e = this.entries.get(conn);
    if (unsent <= o.floorBytes || conn.closed) {
      if (e === undefined) return;
      this.entries.delete(conn);
      this.total -= e.counted;
    } else {
      if (e === undefined) {
        e = { unsent: 0, counted: 0, since: this.now(), stuck: false };
        this.entries.set(conn, e);
        this.ensureTimer();
      }
      e.unsent = unsent;
      const counted = e.stuck ? 0 : Math.min(unsent, o.perConnBytes);
      this.total += counted - e.counted;
      e.counted = counted;
    }
    this.judge();
  }

  private judge(): void {
    if (!this.on && this.total > this.options.highBytes) {
      this.on = true;
      this.episodes++;
    } else if (this.on && this.total < this.options.lowBytes) {
      this.on = false;
    }
    if (!this.on && this.held.length > 0 && !this.releaseScheduled) {
      // Not from inside the hub's write loop: on the next turn.
      this.releaseScheduled = true;
      setImmediate(() => {
        this.releaseScheduled = false;
        if (!this.on) this.release();
      });
    }
  }

  private release(): void {
    const held = this.held;
    this.held = [];
    for (const resume of held) resume();
  }

  private ensureTimer(): void {
    if (this.timer === null) {
      this.timer = setInterval(() => this.check(), this.options.checkMs);
      this.timer.unref();
    }
  }

  /** Look at every backlogged connection again: what drained, what is stuck. */
  private check(): void {
    const o = this.options;
    const now = this.now();
    for (const [conn, e] of this.entries) {
      if (!e.stuck && now - e.since >= o.stuckMs) {
        e.stuck = true;
        this.total -= e.counted;
        e.counted = 0;
      }
      this.update(conn, conn.closed ? 0 : Math.max(0, conn.session.backlog - conn.owed));
    }
    this.judge();
    if (this.entries.size === 0 && this.held.length === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
