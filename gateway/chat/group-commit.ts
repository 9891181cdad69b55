import type { Store, StoreWrite } from '../store/store.ts';

type Waiter = { from: number; count: number; done: (ids: number[] | null) => void };

/**
 * Group commit: the writes staged during one event-loop turn, by every connection, go to the
 * store as one transaction at the end of the turn. One commit is in flight at a time; what
 * is staged meanwhile waits and goes in the next, so under load a batch grows to cover the
 * commit's latency (tens of messages per fsync) instead of queueing transactions.
 *
 * A store that pipelines its commits (SQLite: statements at once, then the WAL's fsync off
 * the event loop) gets two in flight: the next batch's statements run while the previous
 * one's fsync does, and the two share the disk's next sync. Outcomes are always handed out in
 * batch order, so a connection's acknowledgements keep its command order.
 */
export class GroupCommit {
  private open: StoreWrite[] = [];
  private openAppends = 0;
  private waiters: Waiter[] = [];
  private scheduled = false;
  /** Batches handed to the store and not yet settled. */
  private inFlight = 0;
  /** Settles when the last batch's waiters have been told: each batch tells after the one before. */
  private told: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    /** Told of each commit's duration (seconds) and outcome, for /metrics. */
    private readonly onCommit: (seconds: number, ok: boolean, writes: number) => void = () => {},
  ) {}

  /** Staged writes not yet committed (bounded by the hub's per-connection limits). */
  get pending(): number {
    return this.open.length;
  }

  /**
   * Stage writes for the next commit. Resolves with the ids of their appends once it has
   * committed, or null when it failed and none of it was kept.
   */
  stage(writes: StoreWrite[]): Promise<number[] | null> {
    return new Promise((done) => {
      let count = 0;
      for (const w of writes) if (w.op === 'append' || w.op === 'change') count++;
      this.waiters.push({ from: this.openAppends, count, done });
      this.openAppends += count;
      for (const w of writes) this.open.push(w);
      this.schedule();
    });
  }

  /** Resolves once everything staged so far has committed or failed. */
  settled(): Promise<void> {
    if (this.open.length === 0 && this.inFlight === 0) return Promise.resolve();
    return this.stage([]).then(() => {});
  }

  private schedule(): void {
    const most = this.store.pipelinesCommits === true ? 2 : 1;
    if (this.scheduled || this.inFlight >= most) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.inFlight++;
      void this.run().finally(() => {
        this.inFlight--;
        if (this.waiters.length > 0) this.schedule();
      });
      // A pipelining store has run the batch's statements by now: the next may start.
      if (this.waiters.length > 0) this.schedule();
    });
  }

  private async commitOnce(writes: StoreWrite[]): Promise<{ ids: number[] } | null> {
    try {
      return writes.length === 0 ? { ids: [] } : await this.store.commit(writes);
    } catch {
      // A store that throws (a bug) fails the batch like a storage failure: nothing is acked.
      return null;
    }
  }

  private async run(): Promise<void> {
    const writes = this.open;
    const waiters = this.waiters;
    this.open = [];
    this.waiters = [];
    this.openAppends = 0;
    const before = this.told;
    let told!: () => void;
    this.told = new Promise((resolve) => (told = resolve));
    const started = performance.now();
    let result: { ids: number[] } | null;
    result = await this.commitOnce(writes);
    // PostgreSQL picks a deadlock's loser (two nodes' batches locking a conversation's counter
    // and a queue row in opposite orders): nothing of the loser was kept, so it goes again
    // whole, rather than refusing every write in it.
    for (let again = 0; result === null && again < RETRIES && isRetryable(this.store.lastFailure); again++) {
      result = await this.commitOnce(writes);
    }
    if (writes.length > 0) this.onCommit((performance.now() - started) / 1000, result !== null, writes.length);
    await before;
    for (const w of waiters) w.done(result === null ? null : result.ids.slice(w.from, w.from + w.count));
    told();
  }
}

/** How many times a batch that lost a deadlock or a serialization conflict is tried again. */
const RETRIES = 3;

/** PostgreSQL's deadlock_detected (40P01) and serialization_failure (40001): try again, and it may commit. */
function isRetryable(err: Error | null): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}
