import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { DEFAULTS } from './config.ts';
import { DB_FILE_NAME } from './store/sqlite-store.ts';
import { BackupError, backupDatabase } from './store/sqlite-backup.ts';
import { askForBackup } from './control/control-client.ts';
import { checkPath } from './control/protocol.ts';
import { controlSocketPath } from './control/socket-path.ts';

/**
 * `npm run backup -- <file> [--data-dir DIR]`: a whole copy of the SQLite store at <file>.
 *
 * A running server holds its file locked, so it is asked to take the copy itself, through
 * its control socket in the data directory. With no server there (no socket, or nobody
 * answering on it), this opens the file and copies it the same way. Either way the copy
 * appears under its name only once it is whole and on disk.
 */

const USAGE = `Usage: npm run backup -- <file> [--data-dir DIR]

Writes a consistent copy of the SQLite store (<DIR>/${DB_FILE_NAME}) to <file>, replacing it
if it exists, while the server runs or not. DIR defaults to $SLCK_DATA_DIR, else ${DEFAULTS.dataDir}.
Restore: stop the server, put the copy in place as <DIR>/${DB_FILE_NAME} (with no ${DB_FILE_NAME}-wal
beside it), start the server. docs/DEPLOY.md has the details.`;

class Failure extends Error {}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      args: process.argv.slice(2),
      options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    return usageError((e as Error).message);
  }
  if (args.values.help) return void console.log(USAGE);
  if (args.positionals.length !== 1) return usageError('name one backup file.');
  const dataDir = path.resolve(args.values['data-dir'] ?? (process.env.SLCK_DATA_DIR || DEFAULTS.dataDir || './data'));
  const file = path.resolve(args.positionals[0]);
  const checked = checkPath(file);
  if ('error' in checked) throw new Failure(checked.error);
  if (!fs.statSync(dataDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Failure(`There is no data directory ${dataDir}; name the server's with --data-dir (or SLCK_DATA_DIR).`);
  }

  const started = Date.now();
  const reply = await askForBackup(controlSocketPath(dataDir), file).catch((e: Error) => {
    throw new Failure(e.message);
  });
  let by: string;
  let bytes: number;
  if ('answer' in reply) {
    if (!reply.answer.ok) throw new Failure(reply.answer.text);
    bytes = Number(reply.answer.text);
    by = 'the running server';
  } else {
    bytes = await backupStoppedStore(dataDir, file, reply.noServer);
    by = 'this command (no server was running)';
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`Backed up ${path.join(dataDir, DB_FILE_NAME)} to ${file}: ${bytes} bytes (${megabytes(bytes)}), by ${by}, in ${seconds} s.`);
}

/** No server answers: open the store here (locked, as the server would) and copy it. */
async function backupStoppedStore(dataDir: string, file: string, noServer: string): Promise<number> {
  const store = path.join(dataDir, DB_FILE_NAME);
  if (!fs.existsSync(store)) {
    throw new Failure(
      `There is no SLCK store in ${dataDir} (no ${DB_FILE_NAME}). A PostgreSQL store is backed up with pg_dump (docs/DEPLOY.md).`,
    );
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(store, { fileMustExist: true, timeout: 500 });
    // As the server does: no shared-memory file, and a server starting meanwhile is refused.
    db.pragma('locking_mode = EXCLUSIVE');
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return await backupDatabase(db, store, file);
  } catch (err) {
    if (err instanceof BackupError) throw new Failure(err.message);
    const code = String((err as { code?: unknown }).code ?? '');
    if (/^SQLITE_(BUSY|LOCKED)/.test(code)) {
      throw new Failure(`${store} is held by a running server, and it could not be asked for the backup: ${noServer.replace(/\.$/, '')}.`);
    }
    throw new Failure(`Cannot read ${store} (${(err as Error).message}).`);
  } finally {
    db?.close();
  }
}

const megabytes = (bytes: number): string => `${(bytes / 1_000_000).toFixed(1)} MB`;

function usageError(message: string): void {
  console.error(`slck backup: ${message}\n\n${USAGE}`);
  process.exitCode = 2;
}

main().catch((err: unknown) => {
  console.error(`slck backup: ${err instanceof Failure ? err.message : (err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
});
