import type Database from 'better-sqlite3';
import { nameKey } from './keys.ts';
import { BLOCKS_PER_USER, type StoredBlock } from './store.ts';

/**
 * Who blocks whom on SQLite (migration 7). A new block is added only while the user blocks
 * fewer than BLOCKS_PER_USER, so the bound holds whatever the chat rules checked before; the
 * foreign keys refuse a block naming a user the store does not know.
 */
export function prepareBlocks(db: Database.Database) {
  const sql = {
    add: db.prepare(
      'INSERT OR IGNORE INTO blocks (user_key, blocked_key) SELECT ?, ? ' +
        `WHERE (SELECT count(*) FROM blocks WHERE user_key = ?) < ${BLOCKS_PER_USER}`,
    ),
    remove: db.prepare('DELETE FROM blocks WHERE user_key = ? AND blocked_key = ?'),
    hasUser: db.prepare('SELECT 1 FROM users WHERE key = ?'),
    of: db.prepare('SELECT u.handle FROM blocks b JOIN users u ON u.key = b.blocked_key WHERE b.user_key = ? ORDER BY b.blocked_key'),
    all: db.prepare('SELECT user_key AS "by", blocked_key AS blocked FROM blocks ORDER BY user_key, blocked_key'),
  };
  return {
    set(handle: string, blocked: string, on: boolean): void {
      const user = nameKey(handle);
      const other = nameKey(blocked);
      // Checked for a clear message (and for an unblock, which the foreign keys never see).
      if (sql.hasUser.get(user) === undefined || sql.hasUser.get(other) === undefined) throw new Error(`block: no user ${handle} or ${blocked}`);
      if (on) sql.add.run(user, other, user);
      else sql.remove.run(user, other);
    },
    of(handle: string): string[] {
      return sql.of.pluck().all(nameKey(handle)) as string[];
    },
    all(): StoredBlock[] {
      return sql.all.all() as StoredBlock[];
    },
  };
}
