import type pg from 'pg';
import { nameKey } from './keys.ts';
import { BLOCKS_PER_USER, type StoredBlock } from './store.ts';

/**
 * Who blocks whom on PostgreSQL (migration 6), inside a batch's transaction. The blocker's row
 * is locked first, so two nodes adding blocks at once count one after the other and the bound
 * of BLOCKS_PER_USER holds whatever the chat rules checked before.
 */
export async function setBlock(client: pg.PoolClient, handle: string, blocked: string, on: boolean): Promise<void> {
  const user = nameKey(handle);
  const other = nameKey(blocked);
  // Users are never removed: only the blocker's row is locked, for the count.
  const mine = await client.query('SELECT 1 FROM users WHERE key = $1 FOR UPDATE', [user]);
  const theirs = await client.query('SELECT 1 FROM users WHERE key = $1', [other]);
  if (mine.rowCount === 0 || theirs.rowCount === 0) throw new Error(`block: no user ${handle} or ${blocked}`);
  if (!on) {
    await client.query('DELETE FROM blocks WHERE user_key = $1 AND blocked_key = $2', [user, other]);
    return;
  }
  await client.query(
    'INSERT INTO blocks (user_key, blocked_key) SELECT $1, $2 ' +
      `WHERE (SELECT count(*) FROM blocks WHERE user_key = $1) < ${BLOCKS_PER_USER} ON CONFLICT DO NOTHING`,
    [user, other],
  );
}

/** Ordered by key's bytes (COLLATE "C"), as the other stores order them. */
export async function blocksOf(pool: pg.Pool, handle: string): Promise<string[]> {
  const { rows } = await pool.query<{ handle: string }>(
    'SELECT u.handle FROM blocks b JOIN users u ON u.key = b.blocked_key WHERE b.user_key = $1 ORDER BY b.blocked_key COLLATE "C"',
    [nameKey(handle)],
  );
  return rows.map((r) => r.handle);
}

export async function listBlocks(pool: pg.Pool): Promise<StoredBlock[]> {
  const { rows } = await pool.query<StoredBlock>('SELECT user_key AS "by", blocked_key AS blocked FROM blocks ORDER BY user_key COLLATE "C", blocked_key COLLATE "C"');
  return rows;
}
