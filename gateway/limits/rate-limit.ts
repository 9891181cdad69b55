/**
 * Slows password guessing: after a few failures on a record (a handle from one address, an
 * address, an account), each further attempt must wait, doubling up to a minute. A record is
 * forgotten 15 minutes after its last failure.
 *
 * This is the in-memory arithmetic; sign-in-limits-redis.ts does the same in Lua for several
 * nodes, from the same constants and `delayMs`, and one contract suite holds both to it.
 */
export type FailureRecord = { failures: number; last: number };
/** A record to count on, and how many failures it allows before waits begin. */
export type Counted = { key: string; free: number };

export const MAX_WAIT_MS = 60_000;
export const FORGET_AFTER_MS = 15 * 60_000;
/** Past this many records, those forgotten are swept out on the next failure. */
const SWEEP_AT = 10_000;

/**
 * How long after its last failure a record makes the next attempt wait. Derived from the
 * count rather than stored, so taking a failure back shortens the wait by itself.
 */
export function delayMs(failures: number, free: number): number {
  return failures >= free ? Math.min(1000 * 2 ** (failures - free), MAX_WAIT_MS) : 0;
}

export class RateLimiter {
  private readonly records = new Map<string, FailureRecord>();

  /** Milliseconds to wait before another attempt on any of `keys`, or 0. */
  wait(records: Counted[], now: number): number {
    let wait = 0;
    for (const { key, free } of records) {
      const r = this.get(key, now);
      if (r !== undefined) wait = Math.max(wait, r.last + delayMs(r.failures, free) - now);
    }
    return wait;
  }

  /**
   * An attempt begins: unless one of `records` makes it wait (then that wait is returned and
   * nothing is counted), it counts as a failure on each, and 0 is returned. Checking and
   * counting in one step is what keeps attempts made at the same time from slipping past.
   */
  begin(records: Counted[], now: number): number {
    const wait = this.wait(records, now);
    if (wait > 0) return wait;
    this.sweep(now);
    for (const { key } of records) {
      const r = this.get(key, now) ?? { failures: 0, last: now };
      r.failures++;
      r.last = now;
      this.records.set(key, r);
    }
    return 0;
  }

  /**
   * An attempt that turned out right: it was counted as a failure when it began, which is
   * taken back. `clear` lose their whole record; `others` lose this one count.
   */
  takeBack(clear: string[], others: string[], now: number): void {
    for (const k of clear) this.records.delete(k);
    for (const k of others) {
      const r = this.get(k, now);
      if (r !== undefined && --r.failures <= 0) this.records.delete(k);
    }
  }

  private get(key: string, now: number): FailureRecord | undefined {
    const r = this.records.get(key);
    if (r === undefined || now - r.last <= FORGET_AFTER_MS) return r;
    this.records.delete(key);
    return undefined;
  }

  private sweep(now: number): void {
    if (this.records.size < SWEEP_AT) return;
    for (const [k, r] of this.records) if (now - r.last > FORGET_AFTER_MS) this.records.delete(k);
  }
}
