import type pg from 'pg';
import { nameKey } from './keys.ts';
import { PREFS_PER_USER, type StoredPref } from './store.ts';

/**
 * Users' settings on PostgreSQL (migration 3), inside a batch's transaction. The user's row is
 * locked first, so two nodes adding keys at once count one after the other and the bound of
 * PREFS_PER_USER holds whatever the chat rules checked before.
 */
export async function setPref(client: pg.PoolClient, handle: string, key: string, value: string | null): Promise<void> {
  const user = nameKey(handle);
  if (value === null) {
    await client.query('DELETE FROM prefs WHERE user_key = $1 AND key = $2', [user, key]);
    return;
  }
  await client.query('SELECT 1 FROM users WHERE key = $1 FOR UPDATE', [user]);
  const updated = await client.query('UPDATE prefs SET value = $3 WHERE user_key = $1 AND key = $2', [user, key, value]);
  if (updated.rowCount !== 0) return;
  await client.query(
    'INSERT INTO prefs (user_key, key, value) SELECT $1, $2, $3 ' +
      `WHERE (SELECT count(*) FROM prefs WHERE user_key = $1) < ${PREFS_PER_USER}`,
    [user, key, value],
  );
}

/** Ordered by the key's bytes (COLLATE "C"), as the other stores order them. */
export async function prefs(pool: pg.Pool, handle: string): Promise<StoredPref[]> {
  const { rows } = await pool.query<StoredPref>('SELECT key, value FROM prefs WHERE user_key = $1 ORDER BY key COLLATE "C"', [nameKey(handle)]);
  return rows;
}
