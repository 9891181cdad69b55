/**
 * Slows password guessing: after a few failures for one handle, or from one address, each
 * further attempt must wait, doubling up to a minute. A success clears the handle's record.
 */
type Record = { failures: number; until: number; last: number };

const MAX_WAIT_MS = 60_000;
const FORGET_AFTER_MS = 15 * 60_000;

export class RateLimiter {
  private readonly records = new Map<string, Record>();
  private readonly now: () => number;
  /** Failures allowed before each further attempt must wait. */
  private readonly free: number;

  constructor(now: () => number = Date.now, freeFailures = 3) {
    this.now = now;
    this.free = freeFailures;
  }

  /** Milliseconds to wait before another attempt on any of `keys`, or 0. */
  wait(keys: string[]): number {
    const t = this.now();
    let wait = 0;
    for (const k of keys) {
      const r = this.records.get(k);
      if (r !== undefined && r.until > t) wait = Math.max(wait, r.until - t);
    }
    return wait;
  }

  fail(keys: string[]): void {
    const t = this.now();
    this.sweep(t);
    for (const k of keys) {
      const r = this.records.get(k) ?? { failures: 0, until: 0, last: t };
      r.failures++;
      r.last = t;
      if (r.failures >= this.free) r.until = t + Math.min(1000 * 2 ** (r.failures - this.free), MAX_WAIT_MS);
      this.records.set(k, r);
    }
  }

  /**
   * An attempt that turned out right: it was counted as a failure when it began (so that
   * attempts running at the same time cannot slip past the limit), which is taken back.
   * `clear` loses its whole record; `others` lose this one count.
   */
  succeed(clear: string, others: string[] = []): void {
    this.records.delete(clear);
    for (const k of others) {
      const r = this.records.get(k);
      if (r === undefined) continue;
      r.failures--;
      if (r.failures <= 0) this.records.delete(k);
      else r.until = r.failures >= this.free ? r.last + Math.min(1000 * 2 ** (r.failures - this.free), MAX_WAIT_MS) : 0;
    }
  }

  private sweep(t: number): void {
    if (this.records.size < 10_000) return;
    for (const [k, r] of this.records) if (t - r.last > FORGET_AFTER_MS) this.records.delete(k);
  }
}
