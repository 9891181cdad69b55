import type Database from 'better-sqlite3';
import { indexText } from './search-index.ts';

/**
 * SEARCH's index on SQLite, written behind the messages (migration 10). A message's
 * transaction no longer writes its FTS5 row: FTS5 in each group-commit batch of tens of
 * messages costs some 2.5-3.5 us a message and ~540 WAL bytes, in slices of a thousand or
 * more ~1.5-2.2 us and ~230 bytes. So a message's words are computed as it is appended
 * (the body is at hand) and queued in memory; a slice, in its own transaction, puts many
 * into the index, and a SEARCH first indexes whatever is still queued: a user who searches
 * right after their OK finds their message.
 *
 * What is pending, as the file says it: every message whose rowid is above the watermark
 * `search_indexed_to` (meta), and the rowids in search_pending (a message whose rowid came
 * out at or below the watermark: its ts earlier than one indexed, a clock stepped back). A
 * slice moves the watermark in its own transaction, so after a crash the tail not yet
 * indexed is still above it, and is read back from the messages at start. An edit or a
 * delete of a message not yet indexed changes its queued words; of one indexed, it rewrites
 * or removes the index row in the batch's transaction, as before.
 *
 * A slice is not synced: a crash that loses it loses its watermark too, and the next message
 * batch's fsync carries it to disk anyway (the WAL is in order).
 */
/**
 * A slice indexes at most this many messages (2-4 ms here), or as many as were committed
 * since the last one if that is more: a batch that large held the event loop longer still,
 * and a slice that took less than what arrives would let the index fall behind for good
 * (seen: bench:search's batches of 2,000, the index half a million messages behind).
 * Rows, not time: on a loaded machine a deadline is cut short by the scheduler.
 */
const SLICE_ROWS = 2000;
/** The rows a slice reads from the file at once. */
const READ_ROWS = 256;
/** A slice runs this long after the first message it would index, or at once past EAGER_ROWS. */
const IDLE_MS = 50;
const EAGER_ROWS = 2000;
/** Words kept in memory for the index at most: past this, slices read the messages back. */
const MAX_QUEUED = 20_000;
/** After a failed slice (disk full, read-only file), the next try waits this long. */
const RETRY_MS = 1000;

export const WATERMARK_KEY = 'search_indexed_to';

type Row = { rowid: number; body: Buffer | null; deleted: number | null };
/** A message's words waiting for the index; `early`: its rowid is in search_pending. '' is none. */
type Queued = { words: string; early: boolean };

export function prepareSearchQueue(db: Database.Database) {
  const sql = {
    watermark: db.prepare(`SELECT value FROM meta WHERE key = '${WATERMARK_KEY}'`),
    setWatermark: db.prepare(`UPDATE meta SET value = ? WHERE key = '${WATERMARK_KEY}'`),
    tail: db.prepare('SELECT rowid, body, deleted FROM messages WHERE rowid > ? ORDER BY rowid LIMIT ?'),
    early: db.prepare('SELECT p.message AS rowid, m.body, m.deleted FROM search_pending p LEFT JOIN messages m ON m.rowid = p.message ORDER BY p.message LIMIT ?'),
    addEarly: db.prepare('INSERT OR IGNORE INTO search_pending (message) VALUES (?)'),
    dropEarly: db.prepare('DELETE FROM search_pending WHERE message = ?'),
    isEarly: db.prepare('SELECT 1 FROM search_pending WHERE message = ?'),
    anyEarly: db.prepare('SELECT 1 FROM search_pending LIMIT 1'),
    anyTail: db.prepare('SELECT 1 FROM messages WHERE rowid > ? LIMIT 1'),
    insert: db.prepare('INSERT INTO messages_search (rowid, words) VALUES (?, ?)'),
    remove: db.prepare('DELETE FROM messages_search WHERE rowid = ?'),
  };
  /** The watermark as committed: every rowid at or below it is indexed, but search_pending's. */
  let watermark = Number(sql.watermark.pluck().get());
  /**
   * Where a slice finds the words. In memory (the usual): each message committed since the
   * file was caught up has its words queued here, computed as it was appended (reading the
   * rows back would cost as much as FTS5 saves in larger batches). From the file: at start
   * when a crash left a tail, and when the queue grew past MAX_QUEUED; until caught up.
   */
  let fromFile = sql.anyEarly.get() !== undefined || sql.anyTail.get(watermark) !== undefined;
  let queued = new Map<number, Queued>();
  /** The open batch's changes to `queued`, kept only if it commits. */
  let staged = new Map<number, Queued | null>();
  const pending = (rowid: number): Queued | undefined => {
    const s = staged.get(rowid);
    return s === null ? undefined : (s ?? queued.get(rowid));
  };

  function put(rowid: number | bigint, words: string): void {
    if (words !== '') sql.insert.run(rowid, words);
  }

  /** Whether a message's row is in the index now (else a slice will take its words). */
  function isIndexed(rowid: number): boolean {
    if (rowid > watermark) return false;
    return fromFile ? sql.isEarly.get(rowid) === undefined : pending(rowid) === undefined;
  }

  /** From memory, in rowid order (the watermark passes only rows indexed or wordless). */
  function sliceQueued(maxRows: number): boolean {
    const rowids = [...queued.keys()];
    // Mostly in order already (rowids follow time): sort only when not.
    if (rowids.some((r, i) => i > 0 && r < rowids[i - 1])) rowids.sort((a, b) => a - b);
    let done = 0;
    let mark = watermark;
    db.transaction(() => {
      for (const rowid of rowids) {
        const q = queued.get(rowid)!;
        put(rowid, q.words);
        if (q.early) sql.dropEarly.run(rowid);
        else if (rowid > mark) mark = rowid;
        if (++done >= maxRows) break;
      }
      if (mark !== watermark) sql.setWatermark.run(String(mark));
    }).immediate();
    if (done === rowids.length) queued.clear();
    else for (let i = 0; i < done; i++) queued.delete(rowids[i]);
    watermark = mark;
    return queued.size > 0;
  }

  /** From the file: the rows above the watermark and search_pending's, as they are now. */
  function sliceFile(maxRows: number): boolean {
    let done = 0;
    let mark = watermark;
    let more = true;
    db.transaction(() => {
      for (;;) {
        const early = sql.early.all(Math.min(READ_ROWS, maxRows - done)) as Row[];
        for (const r of early) {
          if (r.deleted === 0 && r.body !== null) put(r.rowid, indexText(r.body));
          sql.dropEarly.run(r.rowid);
        }
        done += early.length;
        const left = Math.min(READ_ROWS, maxRows - done);
        const rows = left > 0 ? (sql.tail.all(mark, left) as Row[]) : [];
        for (const r of rows) if (r.deleted === 0 && r.body !== null) put(r.rowid, indexText(r.body));
        if (rows.length > 0) mark = rows[rows.length - 1].rowid;
        done += rows.length;
        if (early.length + rows.length === 0) {
          more = false;
          break;
        }
        if (done >= maxRows) break;
      }
      if (mark !== watermark) sql.setWatermark.run(String(mark));
    }).immediate();
    watermark = mark;
    // Caught up: from here on every new message's words are queued as it is appended.
    if (!more) fromFile = false;
    return more;
  }

  const slice = (maxRows: number): boolean => (fromFile ? sliceFile(maxRows) : queued.size > 0 && sliceQueued(maxRows));
  /** Messages appended in batches committed since the last slice. */
  let arrived = 0;
  let arriving = 0;

  return {
    /** A new message, in its batch's transaction: its words queued for the index. */
    appended(rowid: number, body: Uint8Array): void {
      arriving++;
      const early = rowid <= watermark;
      if (fromFile) {
        if (early) sql.addEarly.run(rowid);
        return;
      }
      const words = indexText(body);
      if (words === '') return; // nothing to index; the watermark may pass it
      if (early) sql.addEarly.run(rowid);
      staged.set(rowid, { words, early });
    },
    /** An edited message, in its batch's transaction: its row rewritten, or its queued words. */
    edited(rowid: number, body: Uint8Array): void {
      if (isIndexed(rowid)) {
        sql.remove.run(rowid);
        put(rowid, indexText(body));
      } else if (!fromFile) {
        staged.set(rowid, { words: indexText(body), early: pending(rowid)?.early ?? false });
      }
    },
    /** A deleted message, in its batch's transaction: never found again. */
    erased(rowid: number): void {
      if (isIndexed(rowid)) sql.remove.run(rowid);
      else if (!fromFile) {
        const early = pending(rowid)?.early ?? false;
        staged.set(rowid, early ? { words: '', early } : null);
      }
    },
    /** The batch committed: its queued words are kept. */
    committed(): void {
      if (queued.size === 0 && ![...staged.values()].includes(null)) {
        // The usual case (a slice took the rest): the batch's map becomes the queue.
        [queued, staged] = [staged as Map<number, Queued>, queued];
      } else {
        for (const [rowid, q] of staged) {
          if (q === null) queued.delete(rowid);
          else queued.set(rowid, q);
        }
        staged.clear();
      }
      arrived += arriving;
      arriving = 0;
      if (queued.size > MAX_QUEUED) {
        // Slices fall behind (they fail?): read the rest back from the file, memory bounded.
        queued.clear();
        fromFile = true;
      }
    },
    rolledBack(): void {
      staged.clear();
      arriving = 0;
    },
    /** Messages queued in memory (a guide for when to run a slice). */
    get backlog(): number {
      return fromFile ? Math.max(arrived, EAGER_ROWS) : queued.size;
    },
    /** Whether any message waits for the index. */
    behind(): boolean {
      return fromFile || queued.size > 0;
    },
    /** One slice: SLICE_ROWS, or what arrived since the last one. True when some are left. */
    slice(): boolean {
      const rows = Math.max(SLICE_ROWS, arrived);
      arrived = 0;
      return slice(rows);
    },
    /** Everything pending, now (a search reads the index next). */
    catchUp(): void {
      arrived = 0;
      while (slice(Number.MAX_SAFE_INTEGER));
    },
  };
}

export type SearchQueue = ReturnType<typeof prepareSearchQueue>;

/**
 * When slices run: IDLE_MS after a batch adds the first message to index (so a slice takes
 * in what arrives meanwhile: at 40,000 messages/s some 2,000), at once when EAGER_ROWS are
 * waiting, and again at once while a slice leaves some. Never inside a transaction, never
 * after close. A slice that fails (the disk) is tried again RETRY_MS later; SEARCH meanwhile
 * catches up itself or reads the index as it is.
 */
export class SearchIndexer {
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    private readonly queue: SearchQueue,
  ) {
    // The tail a crash (or a close) left behind.
    if (queue.behind()) this.later(IDLE_MS);
  }

  /** After a batch's COMMIT. */
  committed(): void {
    this.queue.committed();
    if (this.closed || !this.queue.behind()) return;
    if (this.queue.backlog >= EAGER_ROWS) this.soon();
    else this.later(IDLE_MS);
  }

  /** After a batch's ROLLBACK. */
  rolledBack(): void {
    this.queue.rolledBack();
  }

  /** SEARCH is about to read the index: every message committed so far goes in first. */
  catchUp(): boolean {
    if (this.closed || this.db.inTransaction) return false;
    try {
      this.queue.catchUp();
      return true;
    } catch {
      return false; // the disk refuses writes: search what is indexed; a slice tries later
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = this.immediate = null;
  }

  private soon(): void {
    if (this.immediate !== null || this.closed) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.immediate = setImmediate(() => {
      this.immediate = null;
      this.run();
    });
  }

  private later(ms: number): void {
    if (this.immediate !== null || this.timer !== null || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.run();
    }, ms);
    this.timer.unref();
  }

  private run(): void {
    if (this.closed || !this.db.open) return;
    if (this.db.inTransaction) return this.later(IDLE_MS);
    let more: boolean;
    try {
      more = this.queue.slice();
    } catch {
      return this.later(RETRY_MS);
    }
    if (more) this.soon();
  }
}
