import type Database from 'better-sqlite3';
import { nameKey } from './keys.ts';
import { SESSIONS_PER_USER, type StoredSession } from './store.ts';

/** Sign-in sessions on SQLite (migration 3): only a token's hash is kept. */
export function prepareSessions(db: Database.Database) {
  const sql = {
    // Expired ones go, and the oldest past the limit, to make room for the new one.
    prune: db.prepare(
      'DELETE FROM sessions WHERE user_key = ? AND (expires <= ? OR token_hash NOT IN ' +
        `(SELECT token_hash FROM sessions WHERE user_key = ? AND expires > ? ORDER BY created DESC, rowid DESC LIMIT ${SESSIONS_PER_USER - 1}))`,
    ),
    add: db.prepare('INSERT INTO sessions (token_hash, user_key, created, expires) VALUES (?, ?, ?, ?)'),
    revoke: db.prepare('DELETE FROM sessions WHERE token_hash = ?'),
    revokeAll: db.prepare("DELETE FROM sessions WHERE user_key = ? AND token_hash <> coalesce(?, '')"),
    get: db.prepare('SELECT u.handle, s.expires FROM sessions s JOIN users u ON u.key = s.user_key WHERE s.token_hash = ?'),
  };
  return {
    add(handle: string, tokenHash: string, expires: string): void {
      const user = nameKey(handle);
      const now = new Date().toISOString();
      sql.prune.run(user, now, user, now);
      sql.add.run(tokenHash, user, now, expires);
    },
    revoke(tokenHash: string): void {
      sql.revoke.run(tokenHash);
    },
    revokeAll(handle: string, except?: string): void {
      sql.revokeAll.run(nameKey(handle), except ?? null);
    },
    get(tokenHash: string): StoredSession | undefined {
      return sql.get.get(tokenHash) as StoredSession | undefined;
    },
  };
}
