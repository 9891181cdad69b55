import fs from 'node:fs';
import path from 'node:path';

/**
 * The WAL's fsync, off the event loop. The connection runs with `synchronous = NORMAL`, so
 * SQLite's COMMIT writes the transaction's frames to the WAL (the page cache) without
 * syncing them; `sync()` then runs `fdatasync` on the WAL file in libuv's thread pool, and a
 * batch is acknowledged only once that has returned. That is what `synchronous = FULL` would
 * have done inside COMMIT, except that the event loop goes on parsing, fanning out and
 * answering reads meanwhile, and what arrives gathers into the next batch.
 *
 * Checkpoints stay SQLite's: with NORMAL it syncs the WAL before each checkpoint, the database
 * after it, and the WAL header when the file is reused, so nothing here needs to know of them.
 * fdatasync on our own descriptor is enough on Linux: it flushes the file, whoever wrote it.
 */
export class WalSync {
  /** fdatasync calls that returned (for tests and diagnostics). */
  completed = 0;
  private fd: number | null;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  /** `dbFile`'s WAL (`<dbFile>-wal`) must exist: SQLite makes it when it opens in WAL mode. */
  constructor(dbFile: string) {
    this.fd = fs.openSync(`${dbFile}-wal`, 'r');
    // SQLite syncs a new WAL's directory entry with the file's first sync, which under NORMAL
    // comes only at a checkpoint: sync the directory once here, so the file itself survives.
    const dir = fs.openSync(path.dirname(dbFile), 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  }

  /**
   * Resolves once everything written to the WAL before the call is on disk. A call made while
   * a sync runs waits for the next one (the running one may have started before its write);
   * all such calls share it: group commit at the disk.
   */
  sync(): Promise<void> {
    if (this.running === null) return this.flush();
    this.queued ??= this.running
      .catch(() => {})
      .then(() => {
        this.queued = null;
        return this.flush();
      });
    return this.queued;
  }

  /** A sync is under way or waiting: close() must wait for idle() (its descriptor must not be reused under it). */
  get busy(): boolean {
    return this.running !== null || this.queued !== null;
  }

  async idle(): Promise<void> {
    while (this.busy) await (this.queued ?? this.running)?.catch(() => {});
  }

  close(): void {
    if (this.busy) throw new Error('WalSync.close: a sync is under way (await idle() first)');
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
  }

  private flush(): Promise<void> {
    const fd = this.fd;
    const done: Promise<void> = new Promise<void>((resolve, reject) => {
      if (fd === null) return reject(new Error('the store is closed'));
      fs.fdatasync(fd, (err) => {
        if (err) return reject(err);
        this.completed++;
        resolve();
      });
    }).finally(() => {
      if (this.running === done) this.running = null;
    });
    this.running = done;
    return done;
  }
}
