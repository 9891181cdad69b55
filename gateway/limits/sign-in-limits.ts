import { RateLimiter, type Counted } from './rate-limit.ts';

/** Failures on one handle from one address, or from one address on any handle, before waits begin. */
const LOCAL_FREE_FAILURES = 3;
/** Failures on one account, from addresses it has never signed in from, before waits begin. */
const ACCOUNT_FREE_FAILURES = 10;
/** Addresses remembered per account as ones it has signed in from. */
export const TRUSTED_PER_ACCOUNT = 8;
/** Accounts whose trusted addresses are remembered in memory (the oldest are forgotten first). */
const TRUSTED_ACCOUNTS = 100_000;
const HOUR_MS = 3_600_000;
/** While the shared storage is unreachable, how often it is tried again (real time, not the clock given). */
const RETRY_MS = 1_000;

/**
 * Where the counts live: this process's memory (one node), or Redis shared by several
 * (sign-in-limits-redis.ts). The rules are SignInLimits'; a storage keeps records, each
 * change to one atomic, and is given the time so that tests can move a clock.
 */
export interface LimitStorage {
  /** The longest wait any of `records` imposes at `now`, or 0. */
  wait(records: Counted[], now: number): Promise<number>;
  /** In one step: the wait if there is one (nothing counted), else a failure on each record and 0. */
  begin(records: Counted[], now: number): Promise<number>;
  /** A begun attempt was right: `clear` records are dropped, `others` lose one failure. */
  takeBack(clear: string[], others: string[], now: number): Promise<void>;
  isTrusted(account: string, address: string): Promise<boolean>;
  /** `address` is the account's most recent; at most TRUSTED_PER_ACCOUNT are kept. */
  trust(account: string, address: string): Promise<void>;
  /** Times of the address's claims after `since`, oldest first. */
  claims(address: string, since: number): Promise<number[]>;
  /** A claim at `now`; those up to `since` are dropped, and at most `keep` kept. */
  claim(address: string, now: number, since: number, keep: number): Promise<void>;
  close(): Promise<void>;
}

/** Bounded: records are swept once forgotten, and the oldest accounts and addresses dropped. */
export class MemoryLimitStorage implements LimitStorage {
  private readonly records = new RateLimiter();
  /** handle key -> addresses it signed in from, most recent last. */
  private readonly trusted = new Map<string, string[]>();
  /** address -> times of its recent claims. */
  private readonly claimTimes = new Map<string, number[]>();

  async wait(records: Counted[], now: number): Promise<number> {
    return this.records.wait(records, now);
  }

  async begin(records: Counted[], now: number): Promise<number> {
    return this.records.begin(records, now);
  }

  async takeBack(clear: string[], others: string[], now: number): Promise<void> {
    this.records.takeBack(clear, others, now);
  }

  async isTrusted(account: string, address: string): Promise<boolean> {
    return this.trusted.get(account)?.includes(address) ?? false;
  }

  async trust(account: string, address: string): Promise<void> {
    const list = (this.trusted.get(account) ?? []).filter((a) => a !== address);
    list.push(address);
    if (list.length > TRUSTED_PER_ACCOUNT) list.shift();
    // Re-inserted, so the map's order is least recently used first.
    this.trusted.delete(account);
    this.trusted.set(account, list);
    if (this.trusted.size > TRUSTED_ACCOUNTS) this.trusted.delete(this.trusted.keys().next().value!);
  }

  async claims(address: string, since: number): Promise<number[]> {
    return (this.claimTimes.get(address) ?? []).filter((t) => t > since);
  }

  async claim(address: string, now: number, since: number, keep: number): Promise<void> {
    const recent = await this.claims(address, since);
    recent.push(now);
    this.claimTimes.set(address, recent.slice(-keep));
    if (this.claimTimes.size > TRUSTED_ACCOUNTS) this.claimTimes.delete(this.claimTimes.keys().next().value!);
  }

  async close(): Promise<void> {}
}

/** What SignInLimits says about its storage: pino's logger will do. */
export type SignInLog = { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };

export type SignInLimitsOptions = {
  claimsPerHour: number;
  now?: () => number;
  /** Shared by several nodes (Redis); without it, this process's memory. */
  storage?: LimitStorage;
  log?: SignInLog;
};

/**
 * What slows password guessing and handle hoarding, in one place:
 *
 * - per handle from one address, and per address for any handle: a few free failures, then
 *   each attempt waits, doubling up to a minute;
 * - per account across every address, so a thousand addresses get no more guesses than ten
 *   failures and the same doubling waits. An address the account has signed in from before
 *   is exempt from the account-wide and address-wide counts: the owner at home is not locked
 *   out by a botnet, nor by a stranger behind the same NAT guessing other accounts;
 * - new claims (a password set on a new or guest handle) per address, per hour.
 *
 * An attempt counts as a failure from the moment it begins, checked and counted in one step,
 * so attempts sent at once (to one node or to several) are limited as if sent one after
 * another; a right password takes it back.
 *
 * With shared storage, when it cannot be reached (or does not answer in time) calls fall
 * back to this node's memory, for a second at a time before it is tried again, and a warning
 * is logged once per outage. Refusing every sign-in would lock everyone out for as long as
 * Redis is away; letting them through would leave passwords unguarded. So guessing stays
 * limited, per node as it was before the limits were shared, and nobody is locked out. The
 * addresses each account signed in from through this node are kept in memory too, so an
 * owner stays exempt while Redis is away. Counts made meanwhile are this node's alone, and
 * are not carried over when Redis is back.
 */
export class SignInLimits {
  private readonly local = new MemoryLimitStorage();
  private readonly shared: LimitStorage | null;
  private readonly now: () => number;
  private readonly claimsPerHour: number;
  private readonly log: SignInLog | undefined;
  /** The shared storage failed last time: warned once, and told again when it is back. */
  private down = false;
  /** While down, when to ask the shared storage again: a stalled Redis costs one timeout, not one per call. */
  private retryAt = 0;

  constructor(opts: SignInLimitsOptions) {
    this.now = opts.now ?? Date.now;
    this.claimsPerHour = opts.claimsPerHour;
    this.shared = opts.storage ?? null;
    this.log = opts.log;
  }

  /** True while the shared storage is unreachable and this node's memory stands in. */
  get degraded(): boolean {
    return this.down;
  }

  /** Milliseconds before `address` may try a password for `handleKey`, or 0. */
  wait(handleKey: string, address: string): Promise<number> {
    return this.use(async (s) => s.wait(this.records(handleKey, address, await s.isTrusted(handleKey, address)), this.now()));
  }

  /**
   * An attempt begins: 0, and it counts as a failure until `succeed` takes it back; or the
   * milliseconds to wait, and it may not begin (nothing is counted).
   */
  attempt(handleKey: string, address: string): Promise<number> {
    return this.use(async (s) => s.begin(this.records(handleKey, address, await s.isTrusted(handleKey, address)), this.now()));
  }

  /** The password was right: take the attempt back, and trust the address for this account. */
  async succeed(handleKey: string, address: string): Promise<void> {
    await this.use(async (s) => {
      const [own, ...rest] = this.records(handleKey, address, await s.isTrusted(handleKey, address));
      await s.takeBack([own.key], rest.map((r) => r.key), this.now());
      await s.trust(handleKey, address);
    });
    if (this.shared !== null) await this.local.trust(handleKey, address);
  }

  /** Milliseconds before `address` may claim another handle, or 0. */
  async claimWait(address: string): Promise<number> {
    if (this.claimsPerHour === 0) return 0;
    const now = this.now();
    const recent = await this.use((s) => s.claims(address, now - HOUR_MS));
    // Once the oldest of the last `claimsPerHour` is an hour old, there is room for one more.
    return recent.length < this.claimsPerHour ? 0 : recent[recent.length - this.claimsPerHour] + HOUR_MS - now;
  }

  /** A claim was made (checked with `claimWait` first). */
  async claimed(address: string, handleKey: string): Promise<void> {
    const now = this.now();
    await this.use(async (s) => {
      await s.trust(handleKey, address);
      if (this.claimsPerHour > 0) await s.claim(address, now, now - HOUR_MS, this.claimsPerHour);
    });
    if (this.shared !== null) await this.local.trust(handleKey, address);
  }

  async close(): Promise<void> {
    await this.shared?.close();
  }

  /**
   * The records an attempt counts on. The per handle and address one also keeps a trusted
   * address's own guesses slow; the address-wide and account-wide ones skip it.
   */
  private records(handleKey: string, address: string, trusted: boolean): Counted[] {
    const own = { key: `user:${handleKey}@${address}`, free: LOCAL_FREE_FAILURES };
    if (trusted) return [own];
    return [own, { key: `addr:${address}`, free: LOCAL_FREE_FAILURES }, { key: `acct:${handleKey}`, free: ACCOUNT_FREE_FAILURES }];
  }

  /** Run on the shared storage, or on this node's memory when that fails (see the class). */
  private async use<T>(op: (s: LimitStorage) => Promise<T>): Promise<T> {
    if (this.shared === null || (this.down && Date.now() < this.retryAt)) return op(this.local);
    try {
      const result = await op(this.shared);
      if (this.down) {
        this.down = false;
        this.log?.info({}, 'sign-in limits: shared storage is back; limits are shared by every node again');
      }
      return result;
    } catch (err) {
      this.retryAt = Date.now() + RETRY_MS;
      if (!this.down) {
        this.down = true;
        this.log?.warn({ err }, 'sign-in limits: shared storage unreachable; this node limits sign-in on its own until it is back');
      }
      return op(this.local);
    }
  }
}
