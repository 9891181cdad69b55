import type Database from 'better-sqlite3';
import { nameKey } from './keys.ts';
import { PREFS_PER_USER, type StoredPref } from './store.ts';

/**
 * Users' settings on SQLite (migration 4). A new key is added only while the user has fewer
 * than PREFS_PER_USER, so the bound holds whatever the chat rules checked before.
 */
export function preparePrefs(db: Database.Database) {
  const sql = {
    update: db.prepare('UPDATE prefs SET value = ? WHERE user_key = ? AND key = ?'),
    add: db.prepare(
      'INSERT INTO prefs (user_key, key, value) SELECT ?, ?, ? ' +
        `WHERE (SELECT count(*) FROM prefs WHERE user_key = ?) < ${PREFS_PER_USER}`,
    ),
    clear: db.prepare('DELETE FROM prefs WHERE user_key = ? AND key = ?'),
    list: db.prepare('SELECT key, value FROM prefs WHERE user_key = ? ORDER BY key'),
  };
  return {
    set(handle: string, key: string, value: string | null): void {
      const user = nameKey(handle);
      if (value === null) sql.clear.run(user, key);
      else if (sql.update.run(value, user, key).changes === 0) sql.add.run(user, key, value, user);
    },
    list(handle: string): StoredPref[] {
      return sql.list.all(nameKey(handle)) as StoredPref[];
    },
  };
}
