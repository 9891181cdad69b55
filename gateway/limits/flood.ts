import { nameKey } from '../../core/index.ts';
import { refuse, type Refusal } from '../sentences.ts';

/**
 * Flood control (spec section 7). One client once had 82,000 messages a second accepted and
 * stored, and a bystander's PING went from 1 ms to 120 ms. So each connection's MSGs draw
 * from a token bucket; when it is empty the MSG is not refused but delayed, as Ergo's
 * fakelag does: it and every command after it wait, in order, and the connection is not
 * read from until a token is due. Nothing is lost and replies keep their order; a person
 * never notices, a flood is spread out to the rate. Expensive reads (EXPENSIVE_READS: HISTORY,
 * USRS, CHNS, UNREAD, SEARCH, ...) draw on a second bucket the same way: a pipeline of a hundred HISTORY once kept a
 * bystander's PING waiting 300 ms.
 *
 * Channels are capped as well: how many one user may be in, and how many new ones one user
 * may create an hour (each channel is kept for good, and listed by CHNS).
 */

export type GuardOptions = {
  /** MSGs per second one connection may send once its burst is spent; 0: no limit. */
  msgRate: number;
  /** MSGs one connection may send at once (the bucket's size); 0: no limit. */
  msgBurst: number;
  /**
   * Expensive reads (EXPENSIVE_READS) per second one connection may ask once its
   * burst is spent; 0: no limit. Like MSG, one past the burst is delayed, never refused.
   */
  readRate: number;
  /** Expensive reads one connection may ask at once (the read bucket's size); 0: no limit. */
  readBurst: number;
  /** Claimed handles (with a password) whose connections have no message, read or creation rate. */
  rateExempt: readonly string[];
  /** Channels one user may belong to; 0: no limit. */
  maxChannelsPerUser: number;
  /** New channels one user may create per hour; 0: no limit. */
  channelCreateRate: number;
  /** Server-wide bytes of replies held unread, past which HISTORY waits (reply-budget.ts); 0: no limit. */
  maxReplyMemory: number;
  /**
   * How long HISTORY may wait on a full reply budget before the connection holding the most
   * unread reply bytes is cut off as a slow consumer (so a few clients that never read cannot
   * stall everyone's history).
   */
  replyStallMs: number;
};

export const GUARD_DEFAULTS: GuardOptions = {
  msgRate: 10,
  msgBurst: 50,
  // A web app catching up on every conversation at sign-in fits in the burst.
  readRate: 20,
  readBurst: 100,
  rateExempt: [],
  maxChannelsPerUser: 200,
  channelCreateRate: 10,
  maxReplyMemory: 128 * 1024 * 1024,
  replyStallMs: 10_000,
};

const HOUR_MS = 3_600_000;
/** Creation buckets kept before the refilled ones (which say nothing) are swept out. */
const SWEEP_AT = 10_000;

/**
 * `rate` tokens a second up to `burst`. Time is passed in (milliseconds), so the arithmetic
 * can be tested without waiting.
 */
export class TokenBucket {
  readonly rate: number;
  readonly burst: number;
  private tokens: number;
  private at: number;

  constructor(rate: number, burst: number, now: number) {
    this.rate = rate;
    this.burst = Math.max(1, burst);
    this.tokens = this.burst;
    this.at = now;
  }

  /** Take a token: 0 when one was there, else the milliseconds until one is due (none taken). */
  take(now: number): number {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.rate));
  }

  /** Whether the bucket is full again, so forgetting it changes nothing. */
  full(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }

  private refill(now: number): void {
    if (now > this.at) this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.rate) / 1000);
    this.at = now;
  }
}

/**
 * A connection's message and read buckets (each made on first use), and whether its user is
 * exempt (decided once per user).
 */
export type ConnFlood = { bucket: TokenBucket | null; reads: TokenBucket | null; user: object | null; exempt: boolean };

/** The commands that cost the server a read of many rows (a store query, a list of everyone). */
export const EXPENSIVE_READS: ReadonlySet<string> = new Set(['HISTORY', 'USRS', 'CHNS', 'UNREAD', 'THREAD', 'THREADS', 'SEARCH', 'MODLOG', 'BANS']);

/** What flood control reads and keeps on a connection (conn.ts's Conn has both). */
export type FloodedConn = { flood: ConnFlood | null; user: { key: string } | null };

export class FloodControl {
  readonly options: GuardOptions;
  private readonly exempt: Set<string>;
  /** user key -> their channel-creation bucket (per user, whichever connection they use). */
  private readonly creations = new Map<string, TokenBucket>();
  private readonly now: () => number;

  constructor(options: Partial<GuardOptions> = {}, now: () => number = () => performance.now()) {
    this.options = { ...GUARD_DEFAULTS, ...options };
    this.exempt = new Set(this.options.rateExempt.map(nameKey));
    this.now = now;
  }

  /**
   * Before a MSG runs: 0 if it may run now (a token was taken), else the milliseconds to
   * hold it and everything after it.
   */
  msgWait(conn: FloodedConn, isExempt: (userKey: string) => boolean): number {
    const { msgRate, msgBurst } = this.options;
    if (msgRate === 0 || msgBurst === 0) return 0;
    const f = this.connFlood(conn, isExempt);
    if (f === null) return 0;
    f.bucket ??= new TokenBucket(msgRate, msgBurst, this.now());
    return f.bucket.take(this.now());
  }

  /**
   * Before an expensive read (EXPENSIVE_READS) runs: 0 if it may run now, else the
   * milliseconds to hold it and everything after it, as for a MSG.
   */
  readWait(conn: FloodedConn, isExempt: (userKey: string) => boolean): number {
    const { readRate, readBurst } = this.options;
    if (readRate === 0 || readBurst === 0) return 0;
    const f = this.connFlood(conn, isExempt);
    if (f === null) return 0;
    f.reads ??= new TokenBucket(readRate, readBurst, this.now());
    return f.reads.take(this.now());
  }

  /** The connection's buckets, or null when its user is exempt from rates. */
  private connFlood(conn: FloodedConn, isExempt: (userKey: string) => boolean): ConnFlood | null {
    let f = conn.flood;
    if (f === null) conn.flood = f = { bucket: null, reads: null, user: null, exempt: false };
    if (this.exempt.size > 0 && conn.user !== null && f.user !== conn.user) {
      f.user = conn.user;
      f.exempt = isExempt(conn.user.key);
    }
    return f.exempt && f.user === conn.user ? null : f;
  }

  /**
   * Whether the handle is on the --rate-exempt list. Only a claimed handle can be exempt (the
   * caller checks that): a guest handle is anyone's who asks for it, so listing one would let
   * anyone flood.
   */
  isListedExempt(userKey: string): boolean {
    return this.exempt.has(userKey);
  }

  /**
   * The refusal for a JOIN of a channel the user is not in yet that would pass a channel
   * cap, or null. A refused JOIN takes no token.
   */
  joinRefusal(userKey: string, channelCount: number, exists: boolean, exempt: boolean): Refusal | null {
    const { maxChannelsPerUser, channelCreateRate } = this.options;
    if (maxChannelsPerUser > 0 && channelCount >= maxChannelsPerUser) {
      return refuse.tooManyChannels(channelCount);
    }
    if (exists || channelCreateRate === 0 || exempt) return null;
    const now = this.now();
    let bucket = this.creations.get(userKey);
    if (bucket === undefined) {
      if (this.creations.size >= SWEEP_AT) this.sweep(now);
      this.creations.set(userKey, (bucket = new TokenBucket(channelCreateRate / (HOUR_MS / 1000), channelCreateRate, now)));
    }
    const wait = bucket.take(now);
    if (wait === 0) return null;
    return refuse.tooManyNewChannels(channelCreateRate, wait);
  }

  private sweep(now: number): void {
    for (const [key, b] of this.creations) if (b.full(now)) this.creations.delete(key);
  }
}
