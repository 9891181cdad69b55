import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';

/**
 * An online copy of an open SQLite database, with SQLite's backup API (better-sqlite3's
 * `db.backup`): it copies a batch of pages per turn of the event loop, so commits go on
 * between batches, and a commit made through the same connection meanwhile is copied too.
 *
 * The copy is written under a temporary name beside the destination (`<file>.partial-<hex>`),
 * fsynced, and only then renamed onto the destination (and the directory fsynced): a crash
 * or an abort leaves a `.partial` file, never a half-written file under the name asked for.
 * The copy is mode 0600: it holds password and session-token hashes.
 */

/** A failure to report to whoever asked, as a sentence; anything else is a bug. */
export class BackupError extends Error {}

/** What `backupDatabase` says when `signal` aborts it (the server is stopping). */
export const ABANDONED = 'The server is shutting down; the backup was abandoned.';

/**
 * Pages copied per turn of the event loop: the longest the copy holds up the server at a
 * time (100 pages of 4 KiB take well under a millisecond from the page cache).
 */
const PAGES_PER_STEP = 100;

/** Journal files SQLite may keep beside a database (the store's, or the copy's while written). */
const SIDE_FILES = ['-journal', '-wal', '-shm'];

/**
 * Copies `db` (whose file is `storeFile`) to `dest`, an absolute path; resolves with the size
 * of the copy in bytes. Rejects with a BackupError saying what to do when `dest` cannot be
 * written; an existing file at `dest` is replaced only once the copy is whole.
 */
export async function backupDatabase(db: Database.Database, storeFile: string, dest: string, signal?: AbortSignal): Promise<number> {
  const temp = prepareDestination(storeFile, dest);
  try {
    await db.backup(temp, {
      progress: () => {
        // Throwing here is how better-sqlite3 stops a backup between two batches.
        if (signal?.aborted) throw new BackupError(ABANDONED);
        return PAGES_PER_STEP;
      },
    });
    if (signal?.aborted) throw new BackupError(ABANDONED);
    // Asynchronous from here: an fsync of megabytes would hold up the event loop.
    await fs.promises.chmod(temp, 0o600); // SQLite may have recreated it under the umask's mode
    await fsyncPath(temp, 'r+');
    await fs.promises.rename(temp, dest);
    await fsyncPath(path.dirname(dest), 'r');
    return (await fs.promises.stat(dest)).size;
  } catch (err) {
    for (const f of [temp, ...SIDE_FILES.map((s) => temp + s)]) fs.rmSync(f, { force: true });
    throw asBackupError(err, dest);
  }
}

/**
 * Checks `dest` and creates its temporary file (empty, mode 0600), so that a directory that
 * is missing or not writable is named before any page is copied. Returns the temporary path.
 */
function prepareDestination(storeFile: string, dest: string): string {
  if (!path.isAbsolute(dest)) throw new BackupError(`The backup file must be an absolute path, not ${dest}.`);
  const dir = path.dirname(dest);
  let realDir: string;
  try {
    realDir = fs.realpathSync(dir);
    if (!fs.statSync(realDir).isDirectory()) throw new BackupError(`${dir} is not a directory.`);
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`The directory ${dir} does not exist; create it first, or choose another.`);
  }
  const existing = fs.statSync(dest, { throwIfNoEntry: false });
  if (existing?.isDirectory()) throw new BackupError(`${dest} is a directory; give the backup a file name in it.`);
  if (existing !== undefined && !existing.isFile()) throw new BackupError(`${dest} exists and is not a regular file.`);
  // Writing over the live store, or its journal, would destroy what is being saved.
  const live = realpathOrSelf(storeFile);
  const target = path.join(realDir, path.basename(dest));
  if ([live, ...SIDE_FILES.map((s) => live + s)].includes(target)) {
    throw new BackupError(`${dest} is the live store itself; choose another file.`);
  }
  const temp = `${dest}.partial-${randomBytes(4).toString('hex')}`;
  try {
    fs.closeSync(fs.openSync(temp, 'wx', 0o600));
  } catch (err) {
    throw asBackupError(err, dest);
  }
  return temp;
}

function realpathOrSelf(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

async function fsyncPath(file: string, flags: 'r' | 'r+'): Promise<void> {
  const handle = await fs.promises.open(file, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Who writes the copy: the server's user, or the user running the backup command. */
function userName(): string {
  try {
    return `the user ${os.userInfo().username}`;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

/** The sentence for a file-system or SQLite failure while writing the copy. */
function asBackupError(err: unknown, dest: string): BackupError {
  if (err instanceof BackupError) return err;
  const code = String((err as { code?: unknown }).code ?? '');
  const dir = path.dirname(dest);
  if (/^(EACCES|EPERM|EROFS)$/.test(code) || /^SQLITE_(READONLY|CANTOPEN|PERM)/.test(code)) {
    return new BackupError(`Cannot write in ${dir} (${code}): choose a directory that ${userName()} may write to.`);
  }
  if (code === 'ENOSPC' || code === 'EDQUOT' || code.startsWith('SQLITE_FULL')) {
    return new BackupError(`The disk holding ${dir} is full (${code}); nothing was written to ${dest}.`);
  }
  const message = (err instanceof Error ? err.message : String(err)).replace(/\.$/, '');
  return new BackupError(`The backup to ${dest} failed: ${message}${code && !message.includes(code) ? ` (${code})` : ''}.`);
}
