import type pg from 'pg';
import { nameKey } from './keys.ts';
import { SESSIONS_PER_USER, type StoredSession } from './store.ts';

/** Sign-in sessions on PostgreSQL (migration 2): only a token's hash is kept. */

/** A new session; the user's expired ones go, and the oldest past the limit. */
export async function addSession(client: pg.PoolClient, handle: string, tokenHash: string, expires: string): Promise<void> {
  const user = nameKey(handle);
  await client.query(
    'DELETE FROM sessions WHERE user_key = $1 AND (expires <= now() OR token_hash NOT IN ' +
      `(SELECT token_hash FROM sessions WHERE user_key = $1 AND expires > now() ORDER BY created DESC LIMIT ${SESSIONS_PER_USER - 1}))`,
    [user],
  );
  await client.query('INSERT INTO sessions (token_hash, user_key, expires) VALUES ($1, $2, $3)', [tokenHash, user, expires]);
}

export async function revokeSession(client: pg.PoolClient, tokenHash: string): Promise<void> {
  await client.query('DELETE FROM sessions WHERE token_hash = $1', [tokenHash]);
}

export async function revokeSessions(client: pg.PoolClient, handle: string, except?: string): Promise<void> {
  await client.query("DELETE FROM sessions WHERE user_key = $1 AND token_hash <> coalesce($2, '')", [nameKey(handle), except ?? null]);
}

export async function session(pool: pg.Pool, tokenHash: string): Promise<StoredSession | undefined> {
  const { rows } = await pool.query<{ handle: string; expires: Date }>(
    'SELECT u.handle, s.expires FROM sessions s JOIN users u ON u.key = s.user_key WHERE s.token_hash = $1', [tokenHash],
  );
  return rows[0] && { handle: rows[0].handle, expires: rows[0].expires.toISOString() };
}
