import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { HistoryQuery, NewMessage, Store, StoredChannel, StoredMessage, StoredUser } from './store.ts';
import { dmPairKey, isDirectTarget, nameKey } from './keys.ts';
import { migrate, NewerSchemaError } from './sqlite-schema.ts';

export const DB_FILE_NAME = 'slck.db';

export type SqliteStoreOptions = {
  /** How long opening waits for another process holding the file. */
  busyTimeoutMs?: number;
};

type MessageRow = { id: number; target: string; sender: string; ts: string; body: Buffer };
type UserRow = { handle: string; password_hash: string | null };
type Statement = Database.Statement<unknown[], unknown>;

/** Largest id SQLite can hand out; the open upper bound when a query has no `before`. */
const NO_UPPER_BOUND = Number.MAX_SAFE_INTEGER;
const MESSAGE_COLUMNS = 'm.id, m.target, m.sender, m.ts, m.body';

/**
 * SQLite failures that are about the disk or the file rather than the caller: a write that
 * hits one of these fails the whole batch (reported by `commit()`), it does not throw.
 * Anything else, e.g. a constraint error, is a bug in the caller and is thrown.
 */
const STORAGE_FAILURE = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|NOMEM|READONLY|CORRUPT|CANTOPEN|NOTADB|PROTOCOL)/;
const isStorageFailure = (err: unknown): err is Error =>
  err instanceof Database.SqliteError && STORAGE_FAILURE.test(err.code);

/** The open transaction vanished (SQLite rolled it back after an error we rethrew). */
class BatchLostError extends Error {}

/**
 * The store on one SQLite file, `<dataDir>/slck.db`, in WAL mode with `synchronous = FULL`:
 * once `commit()` returns true the batch is in the fsynced WAL and survives `kill -9` and
 * power loss. The connection holds an exclusive lock for its lifetime, so a second server on
 * the same data directory is refused at start-up (and the `sqlite3` shell cannot open the
 * file while the server runs).
 */
export class SqliteStore implements Store {
  readonly description: string;
  /** Why the last failed `commit()` failed, for the log; null after a successful one. */
  lastFailure: Error | null = null;

  private batchOpen = false;
  private batchFailure: Error | null = null;
  /** Handed out by `append` once the batch has failed, so ids still increase. */
  private provisionalId = 0;
  private readonly sql: ReturnType<typeof prepareStatements>;

  /** Use `openSqliteStore`. `db` is exposed for diagnostics and tests; the hub uses `Store`. */
  constructor(
    readonly db: Database.Database,
    readonly file: string,
  ) {
    this.description = `sqlite ${file}`;
    this.sql = prepareStatements(db);
    this.provisionalId = this.lastId();
  }

  get dirty(): boolean {
    return this.batchOpen;
  }

  getUser(handle: string): StoredUser | undefined {
    const row = this.sql.getUser.get(nameKey(handle)) as UserRow | undefined;
    return row && { handle: row.handle, passwordHash: row.password_hash };
  }

  addUser(handle: string): void {
    this.write(() => this.sql.addUser.run(nameKey(handle), handle, now()));
  }

  setPassword(handle: string, passwordHash: string): void {
    this.write(() => this.sql.setPassword.run(nameKey(handle), handle, passwordHash, now()));
  }

  listUsers(): string[] {
    return this.sql.listUsers.pluck().all() as string[];
  }

  listChannels(): StoredChannel[] {
    const channels = new Map<string, StoredChannel>();
    for (const row of this.sql.listChannels.all() as { key: string; name: string }[]) {
      channels.set(row.key, { name: row.name, members: [] });
    }
    for (const row of this.sql.listMembers.all() as { channel_key: string; handle: string }[]) {
      channels.get(row.channel_key)?.members.push(row.handle);
    }
    return [...channels.values()];
  }

  addChannel(name: string): void {
    this.write(() => this.sql.addChannel.run(nameKey(name), name, now()));
  }

  addMember(channel: string, handle: string): void {
    this.write(() => {
      // Checked inside the batch for a clear message; the foreign keys are the backstop.
      if (this.sql.hasChannel.get(nameKey(channel)) === undefined) {
        throw new Error(`addMember: no channel ${channel}`);
      }
      if (this.getUser(handle) === undefined) throw new Error(`addMember: no user ${handle}`);
      this.sql.addMember.run(nameKey(channel), nameKey(handle));
    });
  }

  removeMember(channel: string, handle: string): void {
    this.write(() => this.sql.removeMember.run(nameKey(channel), nameKey(handle)));
  }

  append(message: NewMessage, offlineFor?: string): number {
    let id = 0;
    const staged = this.write(() => {
      if (offlineFor !== undefined && this.getUser(offlineFor) === undefined) {
        throw new Error(`append: cannot queue for unknown user ${offlineFor}`);
      }
      const { target, from, ts, body } = message;
      const pair = isDirectTarget(target) ? dmPairKey(target, from) : null;
      const info = this.sql.append.run(nameKey(target), target, nameKey(from), from, pair, ts, body);
      id = Number(info.lastInsertRowid);
      if (offlineFor !== undefined) this.sql.queueOffline.run(nameKey(offlineFor), id);
    });
    if (staged) {
      this.provisionalId = id;
      return id;
    }
    return ++this.provisionalId;
  }

  commit(): boolean {
    if (!this.batchOpen) return true;
    const failure = this.batchFailure;
    this.batchOpen = false;
    this.batchFailure = null;
    if (failure === null) {
      try {
        this.sql.commit.run();
        this.lastFailure = null;
        return true;
      } catch (err) {
        this.lastFailure = err instanceof Error ? err : new Error(String(err));
      }
    } else {
      this.lastFailure = failure;
    }
    // All of the batch is undone: the hub answered none of it yet, and answers ERR for each.
    this.rollbackQuietly();
    // Rolled-back ids are free again: SQLite reuses them, so provisional ids must too.
    this.provisionalId = this.lastId();
    return false;
  }

  channelHistory(channel: string, q: HistoryQuery): StoredMessage[] {
    return this.history(this.sql.channelLatest, this.sql.channelAfter, nameKey(channel), q);
  }

  directHistory(a: string, b: string, q: HistoryQuery): StoredMessage[] {
    return this.history(this.sql.directLatest, this.sql.directAfter, dmPairKey(a, b), q);
  }

  /** The removal is part of the batch: if that batch fails, they are handed over again later. */
  takeOffline(handle: string): StoredMessage[] {
    const key = nameKey(handle);
    const rows = this.sql.offlineFor.all(key) as MessageRow[];
    if (rows.length > 0) this.write(() => this.sql.clearOffline.run(key));
    return rows.map(toMessage);
  }

  /** Closes the file. A batch not yet committed is discarded, as it would be by a crash. */
  close(): void {
    if (!this.db.open) return;
    this.rollbackQuietly();
    this.batchOpen = false;
    this.batchFailure = null;
    this.db.close();
  }

  private history(latest: Statement, after: Statement, key: string, q: HistoryQuery): StoredMessage[] {
    const limit = Math.floor(q.limit);
    if (!(limit > 0)) return []; // SQLite reads LIMIT -1 as "no limit"
    const before = q.before ?? NO_UPPER_BOUND;
    if (q.after !== undefined) {
      return (after.all(key, q.after, before, limit) as MessageRow[]).map(toMessage);
    }
    return (latest.all(key, before, limit) as MessageRow[]).map(toMessage).reverse();
  }

  /**
   * Runs one write inside the current batch, opening it first if needed. Returns false when
   * the batch has failed (now or earlier): its writes are skipped from then on, because SQLite
   * may already have rolled the transaction back and later writes would autocommit alone.
   */
  private write(run: () => void): boolean {
    if (this.batchFailure !== null) return false;
    try {
      if (this.batchOpen && !this.db.inTransaction) {
        throw new BatchLostError('SQLite rolled back the open batch');
      }
      if (!this.db.inTransaction) this.sql.begin.run();
      this.batchOpen = true;
      run();
      return true;
    } catch (err) {
      if (!(err instanceof BatchLostError) && !isStorageFailure(err)) throw err;
      this.batchOpen = true;
      this.batchFailure = err;
      return false;
    }
  }

  private lastId(): number {
    try {
      return this.sql.lastId.pluck().get() as number;
    } catch {
      return this.provisionalId; // the file is failing; commit() must still not throw
    }
  }

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
    db.pragma('synchronous = FULL');
    // A checkpoint rewinds the WAL but leaves the file at its high-water mark; cap that.
    db.pragma('journal_size_limit = 67108864');
    db.pragma('foreign_keys = ON');
    migrate(db);
    // A damaged page would otherwise show up later, as errors on whoever reads it.
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new DamagedFileError(String(check));
    return new SqliteStore(db, file);
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
  const history = (where: string, order: 'ASC' | 'DESC', after: boolean) =>
    db.prepare(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE ${where} ` +
        `${after ? 'AND m.id > ? ' : ''}AND m.id < ? ORDER BY m.id ${order} LIMIT ?`,
    );
  const channel = 'm.target_key = ? AND m.dm_pair IS NULL';
  const direct = 'm.dm_pair = ?';
  return {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    getUser: db.prepare('SELECT handle, password_hash FROM users WHERE key = ?'),
    addUser: db.prepare('INSERT OR IGNORE INTO users (key, handle, created) VALUES (?, ?, ?)'),
    setPassword: db.prepare(
      'INSERT INTO users (key, handle, password_hash, created) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (key) DO UPDATE SET password_hash = excluded.password_hash',
    ),
    listUsers: db.prepare('SELECT handle FROM users ORDER BY key'),
    hasChannel: db.prepare('SELECT 1 FROM channels WHERE key = ?'),
    addChannel: db.prepare('INSERT OR IGNORE INTO channels (key, name, created) VALUES (?, ?, ?)'),
    listChannels: db.prepare('SELECT key, name FROM channels ORDER BY key'),
    listMembers: db.prepare(
      'SELECT mb.channel_key, u.handle FROM members mb JOIN users u ON u.key = mb.user_key ' +
        'ORDER BY mb.rowid',
    ),
    addMember: db.prepare('INSERT OR IGNORE INTO members (channel_key, user_key) VALUES (?, ?)'),
    removeMember: db.prepare('DELETE FROM members WHERE channel_key = ? AND user_key = ?'),
    append: db.prepare(
      'INSERT INTO messages (target_key, target, sender_key, sender, dm_pair, ts, body) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    lastId: db.prepare('SELECT coalesce(max(id), 0) FROM messages'),
    queueOffline: db.prepare('INSERT OR IGNORE INTO offline (user_key, message_id) VALUES (?, ?)'),
    offlineFor: db.prepare(
      `SELECT ${MESSAGE_COLUMNS} FROM offline o JOIN messages m ON m.id = o.message_id ` +
        'WHERE o.user_key = ? ORDER BY o.message_id',
    ),
    clearOffline: db.prepare('DELETE FROM offline WHERE user_key = ?'),
    channelLatest: history(channel, 'DESC', false),
    channelAfter: history(channel, 'ASC', true),
    directLatest: history(direct, 'DESC', false),
    directAfter: history(direct, 'ASC', true),
  };
}

const now = (): string => new Date().toISOString();

function toMessage(row: MessageRow): StoredMessage {
  const body = new Uint8Array(row.body.buffer, row.body.byteOffset, row.body.byteLength);
  return { id: row.id, target: row.target, from: row.sender, ts: row.ts, body };
}
