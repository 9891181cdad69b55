import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { CommitResult, ConversationState, StoredBlock, ModEntry, StoredModeration, StoredPref, StoredSession, HistoryQuery, KeptMessage, LogEntry, Store, StoreSearch, StoreWrite, StoredChannel, StoredMessage, StoredUser, ThreadState } from './store.ts';
import { countByConversation, dmPairKey, idsFrom, nameKey } from './keys.ts';
import { MESSAGE_COLUMNS, prepareLog, toKept, type MessageRow } from './sqlite-log.ts';
import { migrate, NewerSchemaError } from './sqlite-schema.ts';
import { prepareReadState } from './sqlite-read-state.ts';
import { prepareSessions } from './sqlite-sessions.ts';
import { backupDatabase } from './sqlite-backup.ts';
import { preparePrefs } from './sqlite-prefs.ts';
import { prepareBlocks } from './sqlite-blocks.ts';
import { prepareModeration } from './sqlite-moderation.ts';
import { prepareSearch } from './sqlite-search.ts';
import { SearchIndexer } from './sqlite-search-queue.ts';
import { applyWrites, logHead, type WriteHandlers } from './writes.ts';
import { WalSync } from './wal-sync.ts';

export const DB_FILE_NAME = 'slck.db';

export type SqliteStoreOptions = {
  /** How long opening waits for another process holding the file. */
  busyTimeoutMs?: number;
  /**
   * SEARCH reads conversations holding fewer log entries than this by key, row by row, and
   * larger ones from the index, newest first (sqlite-search.ts); tests set 0 to test the latter.
   */
  searchByKeyBelow?: number;
};

type UserRow = { handle: string; password_hash: string | null };


/**
 * SQLite failures that are about the disk or the file rather than the caller: a batch that
 * hits one of these resolves null (the hub answers ERR and stays up). Anything else, e.g. a
 * constraint error, is a bug in the caller: the batch is rolled back all the same, and the
 * promise rejects.
 */
const STORAGE_FAILURE = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|NOMEM|READONLY|CORRUPT|CANTOPEN|NOTADB|PROTOCOL)/;
const isStorageFailure = (err: unknown): err is Error =>
  err instanceof Database.SqliteError && STORAGE_FAILURE.test(err.code);

/**
 * The store on one SQLite file, `<dataDir>/slck.db`, in WAL mode: once `commit()` has
 * resolved with ids the batch is in the fsynced WAL and survives `kill -9` and power loss.
 * The fsync runs off the event loop (wal-sync.ts), so SQLite itself is at `synchronous =
 * NORMAL`; a batch is visible to reads from its COMMIT, a few milliseconds before that. The connection holds an exclusive lock for its lifetime, so a
 * second server on the same data directory is refused at start-up (and the `sqlite3` shell
 * cannot open the file while the server runs).
 *
 * better-sqlite3 is synchronous: each call runs to completion before it returns, so batches
 * never interleave. Only the WAL's fsync is awaited, and group commit (chat/group-commit.ts)
 * gathers what arrives meanwhile into the next batch.
 */
export class SqliteStore implements Store {
  readonly description: string;
  readonly epoch: string;
  lastFailure: Error | null = null;
  /** commit() runs its statements before its first await; only the WAL sync is waited for. */
  readonly pipelinesCommits = true;

  private readonly sql: ReturnType<typeof prepareStatements>;
  private readonly reads: ReturnType<typeof prepareReadState>;
  private readonly sessions: ReturnType<typeof prepareSessions>;
  private readonly settings: ReturnType<typeof preparePrefs>;
  private readonly blocks: ReturnType<typeof prepareBlocks>;
  private readonly moderation: ReturnType<typeof prepareModeration>;
  private readonly entries: ReturnType<typeof prepareLog>;
  private readonly index: ReturnType<typeof prepareSearch>;
  /** Writes SEARCH's index behind the messages, in slices (sqlite-search-queue.ts). */
  private readonly indexer: SearchIndexer;
  /** Exposed for tests: how many WAL syncs have completed. */
  readonly wal: WalSync;
  /** A failed fsync: the page cache may have dropped the batch, so no later commit is trusted. */
  private syncFailure: Error | null = null;

  /** Use `openSqliteStore`. `db` is exposed for diagnostics and tests; the hub uses `Store`. */
  constructor(
    readonly db: Database.Database,
    readonly file: string,
    options: SqliteStoreOptions = {},
  ) {
    this.description = `sqlite ${file}`;
    this.sql = prepareStatements(db);
    this.reads = prepareReadState(db);
    this.sessions = prepareSessions(db);
    this.settings = preparePrefs(db);
    this.blocks = prepareBlocks(db);
    this.moderation = prepareModeration(db);
    this.index = prepareSearch(db, options.searchByKeyBelow);
    this.entries = prepareLog(db, this.index);
    this.indexer = new SearchIndexer(db, this.index.queue);
    this.epoch = this.sql.epoch.pluck().get() as string;
    this.wal = new WalSync(file);
  }

  async getUser(handle: string): Promise<StoredUser | undefined> {
    const row = this.sql.getUser.get(nameKey(handle)) as UserRow | undefined;
    return row && { handle: row.handle, passwordHash: row.password_hash };
  }

  async listUsers(): Promise<string[]> {
    return this.sql.listUsers.pluck().all() as string[];
  }

  async listClaimed(): Promise<string[]> {
    return this.sql.listClaimed.pluck().all() as string[];
  }

  async listChannels(): Promise<StoredChannel[]> {
    const channels = new Map<string, StoredChannel>();
    type Row = { key: string; name: string; topic: string; topic_by: string | null; topic_ts: string | null; private: number };
    for (const row of this.sql.listChannels.all() as Row[]) {
      const topic = row.topic_by === null ? null : { text: row.topic, by: row.topic_by, ts: row.topic_ts ?? '' };
      channels.set(row.key, row.private ? { name: row.name, topic, members: [], private: true } : { name: row.name, topic, members: [] });
    }
    for (const row of this.sql.listMembers.all() as { channel_key: string; handle: string }[]) {
      channels.get(row.channel_key)?.members.push(row.handle);
    }
    return [...channels.values()];
  }

  /**
   * One `BEGIN IMMEDIATE … COMMIT`. Any error rolls all of it back; a storage failure then
   * resolves null, anything else (a bug in the caller) rejects.
   */
  async commit(writes: StoreWrite[]): Promise<CommitResult | null> {
    if (writes.length === 0) return { ids: [] };
    if (this.syncFailure !== null) {
      this.lastFailure = this.syncFailure;
      return null;
    }
    let ids: number[];
    try {
      this.sql.begin.run();
      ids = this.runBatch(writes);
      this.sql.commit.run();
      this.reads.committed();
      this.indexer.committed();
    } catch (err) {
      this.lastFailure = err instanceof Error ? err : new Error(String(err));
      this.reads.rolledBack();
      this.indexer.rolledBack();
      this.rollbackQuietly();
      if (isStorageFailure(err)) return null;
      throw err;
    }
    try {
      await this.wal.sync();
      // An earlier batch's sync failed while this one waited: this one's sync proves nothing.
      if (this.syncFailure !== null) throw this.syncFailure;
    } catch (err) {
      if (err === this.syncFailure) {
        this.lastFailure = this.syncFailure;
        return null;
      }
      // After a failed fsync Linux may drop the dirty pages and report success next time
      // (PostgreSQL's "fsyncgate"): refuse every later write, as PostgreSQL stops, until an
      // operator restarts on a checked disk. This batch is refused too: it may not be kept.
      this.syncFailure = new Error(`the disk failed to save the store (${err instanceof Error ? err.message : String(err)}); restart the server`);
      this.lastFailure = this.syncFailure;
      return null;
    }
    this.lastFailure = null;
    return { ids };
  }

  async channelHistory(channel: string, q: HistoryQuery): Promise<StoredMessage[]> {
    return this.entries.history(nameKey(channel), q);
  }

  async directHistory(a: string, b: string, q: HistoryQuery): Promise<StoredMessage[]> {
    return this.entries.history(dmPairKey(a, b), q);
  }

  async log(conversation: string, after: number, limit: number): Promise<LogEntry[]> {
    return this.entries.log(conversation, after, limit);
  }

  async message(conversation: string, id: number): Promise<KeptMessage | undefined> {
    return this.entries.message(conversation, id);
  }

  async thread(conversation: string, root: number, limit: number): Promise<StoredMessage[]> {
    return this.entries.thread(conversation, root, limit);
  }

  async search(q: StoreSearch): Promise<KeptMessage[]> {
    this.indexer.catchUp();
    return this.index.search(q);
  }

  async threadsOf(handle: string): Promise<ThreadState[]> {
    return this.entries.threadsOf(handle);
  }

  async offlineFor(handle: string): Promise<KeptMessage[]> {
    return (this.sql.offlineFor.all(nameKey(handle)) as MessageRow[]).map(toKept);
  }

  async lastIds(conversations: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const c of conversations) out.set(c, (this.sql.lastId.pluck().get(c) as number | undefined) ?? 0);
    return out;
  }

  async conversationsOf(handle: string, channels: string[]): Promise<ConversationState[]> {
    return this.reads.conversationsOf(handle, channels);
  }

  async session(tokenHash: string): Promise<StoredSession | undefined> {
    return this.sessions.get(tokenHash);
  }

  async prefs(handle: string): Promise<StoredPref[]> {
    return this.settings.list(handle);
  }

  async blocksOf(handle: string): Promise<string[]> {
    return this.blocks.of(handle);
  }

  async listBlocks(): Promise<StoredBlock[]> {
    return this.blocks.all();
  }

  async listModeration(): Promise<StoredModeration> {
    return this.moderation.list();
  }

  async modlog(channels: string[] | null, limit: number): Promise<ModEntry[]> {
    return this.moderation.entries(channels, limit);
  }

  /** Diagnostics and tests: one PRAGMA (e.g. `max_page_count = 10`), its simple value. */
  async pragma(source: string): Promise<unknown> {
    return this.db.pragma(source, { simple: true });
  }

  /**
   * A whole copy of the store at `file` (absolute), taken while it serves: resolves with its
   * size in bytes, or rejects with a BackupError sentence (sqlite-backup.ts).
   */
  backup(file: string, signal?: AbortSignal): Promise<number> {
    return backupDatabase(this.db, this.file, file, signal);
  }

  /** Closes the file. A transaction left open on `db` is discarded, as a crash would. */
  async close(): Promise<void> {
    if (!this.db.open) return;
    // Synchronous when no sync is under way, as before: a caller may reopen the file at once.
    if (this.wal.busy) await this.wal.idle();
    if (!this.db.open) return;
    // What the search index has yet to take, so a restart need not read it back (a crash does).
    this.indexer.catchUp();
    this.rollbackQuietly();
    this.indexer.close();
    this.wal.close();
    this.db.close();
  }

  /**
   * The batch's state writes in order; then its log writes (messages, replies, changes) in
   * order, as PostgresStore does (so a batch may queue for a user it adds). Each
   * conversation's counter is bumped once for all of its entries in the batch, inside the
   * transaction: a rollback returns the ids, so they stay gapless.
   */
  private runBatch(writes: StoreWrite[]): number[] {
    const sql = this.sql;
    const log = applyWrites(this.handlers, writes, undefined);
    if (log.length === 0) return [];
    const { conversations: convs, counts } = countByConversation(log.map(logHead));
    const last = new Map<string, number>();
    for (const [c, count] of counts) last.set(c, sql.bump.pluck().get(c, count) as number);
    const ids = idsFrom(convs, counts, last);
    log.forEach((w, i) => {
      if (w.op === 'change') return this.entries.change(convs[i], ids[i], w.change);
      const { target, from } = w.message;
      this.entries.append(convs[i], ids[i], w);
      this.reads.appended(convs[i], ids[i], from, target, w.mentions);
      if (w.offlineFor !== undefined) {
        if (sql.getUser.get(nameKey(w.offlineFor)) === undefined) {
          throw new Error(`append: cannot queue for unknown user ${w.offlineFor}`);
        }
        sql.queueOffline.run(nameKey(w.offlineFor), convs[i], ids[i]);
      }
    });
    return ids;
  }

  /** Each state write as statements inside the batch's transaction (writes.ts). */
  private readonly handlers: WriteHandlers<void, void> = {
    addUser: (w) => void this.sql.addUser.run(nameKey(w.handle), w.handle, now()),
    setPassword: (w) => void this.sql.setPassword.run(nameKey(w.handle), w.handle, w.passwordHash, now()),
    addChannel: (w) => void this.sql.addChannel.run(nameKey(w.name), w.name, now(), w.private ? 1 : 0),
    addMember: (w) => {
      // Checked for a clear message; the foreign keys are the backstop.
      if (this.sql.hasChannel.get(nameKey(w.channel)) === undefined) throw new Error(`addMember: no channel ${w.channel}`);
      if (this.sql.getUser.get(nameKey(w.handle)) === undefined) throw new Error(`addMember: no user ${w.handle}`);
      if (this.sql.addMember.run(nameKey(w.channel), nameKey(w.handle)).changes > 0) this.reads.markJoined(w.handle, w.channel);
    },
    markRead: (w) => this.reads.markRead(w.handle, w.conversation, w.id),
    markThreadRead: (w) => this.entries.markThreadRead(w.handle, w.conversation, w.root, w.id),
    setPref: (w) => this.settings.set(w.handle, w.key, w.value),
    block: (w) => this.blocks.set(w.handle, w.blocked, true),
    unblock: (w) => this.blocks.set(w.handle, w.blocked, false),
    setRole: (w) => this.moderation.setRole(w),
    setBan: (w) => this.moderation.setBan(w),
    setSuspended: (w) => this.moderation.setSuspended(w),
    logModeration: (w) => this.moderation.append(w),
    setTopic: (w) => {
      if (this.sql.setTopic.run(w.topic?.text ?? '', w.topic?.by ?? null, w.topic?.ts ?? null, nameKey(w.channel)).changes === 0) {
        throw new Error(`setTopic: no channel ${w.channel}`);
      }
    },
    addSession: (w) => this.sessions.add(w.handle, w.tokenHash, w.expires),
    revokeSession: (w) => this.sessions.revoke(w.tokenHash),
    revokeSessions: (w) => this.sessions.revokeAll(w.handle, w.except),
    removeMember: (w) => void this.sql.removeMember.run(nameKey(w.channel), nameKey(w.handle)),
    delivered: (w) => {
      for (const m of w.messages) this.sql.delivered.run(nameKey(w.handle), m.conversation, m.id);
    },
  };

  private rollbackQuietly(): void {
    if (!this.db.inTransaction) return;
    try {
      this.sql.rollback.run();
    } catch {
      // Nothing more to undo: SQLite rolls back by itself when ROLLBACK cannot run.
    }
  }
}

/**
 * Opens (creating when missing) `<dataDir>/slck.db` and brings its schema up to date.
 * Throws an Error naming the path and what to do when the directory or file is unusable.
 */
export function openSqliteStore(dataDir: string, options: SqliteStoreOptions = {}): SqliteStore {
  const dir = path.resolve(dataDir);
  const file = path.join(dir, DB_FILE_NAME);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new Error(
      `Cannot create the data directory ${dir} (${describe(err)}). ` +
        'Choose a directory this user can create and write to (--data-dir), or run with --memory.',
      { cause: err },
    );
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    // EXCLUSIVE before the first WAL access: no shared-memory file, and the lock is held.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 2000}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`the file system does not support WAL mode (got ${String(mode)})`);
    // NORMAL: COMMIT does not fsync; commit() syncs the WAL itself, off the event loop.
    db.pragma('synchronous = NORMAL');
    // A checkpoint rewinds the WAL but leaves the file at its high-water mark; cap that.
    db.pragma('journal_size_limit = 67108864');
    db.pragma('foreign_keys = ON');
    migrate(db);
    // A damaged page would otherwise show up later, as errors on whoever reads it.
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new DamagedFileError(String(check));
    return new SqliteStore(db, file, options);
  } catch (err) {
    db?.close();
    throw openError(file, err);
  }
}

/** quick_check found damage the header did not show. */
class DamagedFileError extends Error {}

function openError(file: string, err: unknown): Error {
  const code = err instanceof Database.SqliteError ? err.code : '';
  const why = describe(err);
  let advice: string;
  if (err instanceof DamagedFileError) {
    advice = `${file} is damaged (${why}). Move it aside to start with an empty store, or restore it from a backup.`;
  } else if (err instanceof NewerSchemaError) {
    advice = `${file} was written by a newer SLCK (${why}). Run that version, or restore a backup.`;
  } else if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
    advice =
      `${file} is not a usable SLCK database (${why}). Move it aside to start with an empty ` +
      'store, or restore it from a backup.';
  } else if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    advice =
      `${file} is in use by another process (${why}); is another SLCK server using this data ` +
      'directory? Stop it, or choose another --data-dir.';
  } else if (/^SQLITE_(CANTOPEN|READONLY|PERM|IOERR)/.test(code)) {
    advice =
      `Cannot open ${file} for writing (${why}). Check that its directory is writable by this ` +
      'user, or choose another --data-dir, or run with --memory.';
  } else {
    advice = `Cannot open ${file} (${why}).`;
  }
  return new Error(advice, { cause: err });
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && !err.message.includes(code) ? `${err.message}, ${code}` : err.message;
}

function prepareStatements(db: Database.Database) {
  return {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    epoch: db.prepare("SELECT value FROM meta WHERE key = 'epoch'"),
    getUser: db.prepare('SELECT handle, password_hash FROM users WHERE key = ?'),
    addUser: db.prepare('INSERT OR IGNORE INTO users (key, handle, created) VALUES (?, ?, ?)'),
    setPassword: db.prepare(
      'INSERT INTO users (key, handle, password_hash, created) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (key) DO UPDATE SET password_hash = excluded.password_hash',
    ),
    listUsers: db.prepare('SELECT handle FROM users ORDER BY key'),
    listClaimed: db.prepare('SELECT key FROM users WHERE password_hash IS NOT NULL ORDER BY key'),
    hasChannel: db.prepare('SELECT 1 FROM channels WHERE key = ?'),
    // A private one makes a stored name private too (store.ts, addChannel); never public again.
    addChannel: db.prepare('INSERT INTO channels (key, name, created, private) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET private = 1 WHERE excluded.private = 1'),
    listChannels: db.prepare('SELECT key, name, topic, topic_by, topic_ts, private FROM channels ORDER BY key'),
    setTopic: db.prepare('UPDATE channels SET topic = ?, topic_by = ?, topic_ts = ? WHERE key = ?'),
    listMembers: db.prepare(
      'SELECT mb.channel_key, u.handle FROM members mb JOIN users u ON u.key = mb.user_key ' +
        'ORDER BY mb.rowid',
    ),
    addMember: db.prepare('INSERT OR IGNORE INTO members (channel_key, user_key) VALUES (?, ?)'),
    removeMember: db.prepare('DELETE FROM members WHERE channel_key = ? AND user_key = ?'),
    bump: db.prepare(
      'INSERT INTO conversations (key, last_id) VALUES (?, ?) ' +
        'ON CONFLICT (key) DO UPDATE SET last_id = last_id + excluded.last_id RETURNING last_id',
    ),
    lastId: db.prepare('SELECT last_id FROM conversations WHERE key = ?'),
    queueOffline: db.prepare('INSERT OR IGNORE INTO offline (user_key, conversation, id) VALUES (?, ?, ?)'),
    delivered: db.prepare('DELETE FROM offline WHERE user_key = ? AND conversation = ? AND id = ?'),
    // Oldest first, as PostgresStore orders them; the offline key finds the user's rows.
    offlineFor: db.prepare(
      `SELECT ${MESSAGE_COLUMNS} FROM offline o JOIN messages m ON m.conversation = o.conversation AND m.id = o.id ` +
        'WHERE o.user_key = ? ORDER BY m.ts, m.conversation, m.id',
    ),
  };
}

const now = (): string => new Date().toISOString();
