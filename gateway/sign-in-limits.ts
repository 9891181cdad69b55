import { RateLimiter } from './rate-limit.ts';

/** Failures on one account, from addresses it has never signed in from, before waits begin. */
const ACCOUNT_FREE_FAILURES = 10;
/** Addresses remembered per account as ones it has signed in from. */
const TRUSTED_PER_ACCOUNT = 8;
/** Accounts whose trusted addresses are remembered (the oldest are forgotten first). */
const TRUSTED_ACCOUNTS = 100_000;
const HOUR_MS = 3_600_000;

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
 * Kept in this process's memory: a restart forgets it, which costs an attacker a restart.
 */
export class SignInLimits {
  private readonly local: RateLimiter;
  private readonly account: RateLimiter;
  /** handle key -> addresses it signed in from, most recent last. */
  private readonly trusted = new Map<string, string[]>();
  /** address -> times of its recent claims. */
  private readonly claims = new Map<string, number[]>();
  private readonly now: () => number;
  private readonly claimsPerHour: number;

  constructor(opts: { claimsPerHour: number; now?: () => number }) {
    this.now = opts.now ?? Date.now;
    this.claimsPerHour = opts.claimsPerHour;
    this.local = new RateLimiter(this.now);
    this.account = new RateLimiter(this.now, ACCOUNT_FREE_FAILURES);
  }

  /** Milliseconds before `address` may try a password for `handleKey`, or 0. */
  wait(handleKey: string, address: string): number {
    const keys = this.localKeys(handleKey, address);
    const local = this.local.wait(keys);
    return this.isTrusted(handleKey, address) ? local : Math.max(local, this.account.wait([handleKey]));
  }

  /** An attempt begins: it counts as a failure until `succeed` takes it back. */
  attempt(handleKey: string, address: string): void {
    this.local.fail(this.localKeys(handleKey, address));
    if (!this.isTrusted(handleKey, address)) this.account.fail([handleKey]);
  }

  /** The password was right: take the attempt back, and trust the address for this account. */
  succeed(handleKey: string, address: string): void {
    const [own, ...rest] = this.localKeys(handleKey, address);
    this.local.succeed(own, rest);
    if (!this.isTrusted(handleKey, address)) this.account.succeed('', [handleKey]);
    this.trust(handleKey, address);
  }

  /** Milliseconds before `address` may claim another handle, or 0. */
  claimWait(address: string): number {
    if (this.claimsPerHour === 0) return 0;
    const recent = this.recentClaims(address);
    return recent.length < this.claimsPerHour ? 0 : recent[0] + HOUR_MS - this.now();
  }

  /** A claim was made (checked with `claimWait` first). */
  claimed(address: string, handleKey: string): void {
    this.trust(handleKey, address);
    if (this.claimsPerHour === 0) return;
    const recent = this.recentClaims(address);
    recent.push(this.now());
    this.claims.set(address, recent);
    if (this.claims.size > TRUSTED_ACCOUNTS) this.claims.delete(this.claims.keys().next().value!);
  }

  /** The per-address records also keep a trusted address's own guesses slow. */
  private localKeys(handleKey: string, address: string): string[] {
    return this.isTrusted(handleKey, address) ? [`user:${handleKey}@${address}`] : [`user:${handleKey}@${address}`, `addr:${address}`];
  }

  private isTrusted(handleKey: string, address: string): boolean {
    return this.trusted.get(handleKey)?.includes(address) ?? false;
  }

  private trust(handleKey: string, address: string): void {
    const list = (this.trusted.get(handleKey) ?? []).filter((a) => a !== address);
    list.push(address);
    if (list.length > TRUSTED_PER_ACCOUNT) list.shift();
    // Re-inserted, so the map's order is least recently used first.
    this.trusted.delete(handleKey);
    this.trusted.set(handleKey, list);
    if (this.trusted.size > TRUSTED_ACCOUNTS) this.trusted.delete(this.trusted.keys().next().value!);
  }

  private recentClaims(address: string): number[] {
    const since = this.now() - HOUR_MS;
    return (this.claims.get(address) ?? []).filter((t) => t > since);
  }
}
