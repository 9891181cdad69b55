import type pg from 'pg';
import { nameKey } from './keys.ts';
import type { ModAction, ModEntry, StoredModeration, StoreWrite } from './store.ts';

type Write<K extends 'setRole' | 'setBan' | 'setSuspended' | 'logModeration'> = Extract<StoreWrite, { op: K }>;
type ModRow = { ts: string; action: ModAction; by_handle: string; whom: string; channel: string | null; msg_id: number | null; reason: string | null };

/**
 * Roles, bans, suspensions and the moderation log on PostgreSQL (migration 8), inside a
 * batch's transaction. A new owner takes the channel's owner row lock first (the partial
 * unique index allows one owner), so two nodes creating one name never both own it.
 */
export async function setRole(client: pg.PoolClient, w: Write<'setRole'>): Promise<void> {
  const ch = nameKey(w.channel);
  const user = nameKey(w.handle);
  if (w.role === null) {
    await client.query('DELETE FROM channel_roles WHERE channel_key = $1 AND user_key = $2', [ch, user]);
    return;
  }
  if (w.role === 'op') {
    await client.query("INSERT INTO channel_roles (channel_key, user_key, role) VALUES ($1, $2, 'op') ON CONFLICT (channel_key, user_key) DO NOTHING", [ch, user]);
    return;
  }
  const owner = await client.query("SELECT user_key FROM channel_roles WHERE channel_key = $1 AND role = 'owner' FOR UPDATE", [ch]);
  if (owner.rowCount !== 0 && w.ifNoOwner) return;
  await client.query("UPDATE channel_roles SET role = 'op' WHERE channel_key = $1 AND role = 'owner' AND user_key <> $2", [ch, user]);
  // An upsert keeps the row, so its seq: the order the role was first granted.
  await client.query("INSERT INTO channel_roles (channel_key, user_key, role) VALUES ($1, $2, 'owner') ON CONFLICT (channel_key, user_key) DO UPDATE SET role = 'owner'", [ch, user]);
}

export async function setBan(client: pg.PoolClient, w: Write<'setBan'>): Promise<void> {
  const args = [nameKey(w.channel), nameKey(w.handle)];
  if (w.on) await client.query('INSERT INTO channel_bans (channel_key, user_key) VALUES ($1, $2) ON CONFLICT DO NOTHING', args);
  else await client.query('DELETE FROM channel_bans WHERE channel_key = $1 AND user_key = $2', args);
}

export async function setSuspended(client: pg.PoolClient, w: Write<'setSuspended'>): Promise<void> {
  if (w.on) await client.query('INSERT INTO suspensions (user_key) VALUES ($1) ON CONFLICT DO NOTHING', [nameKey(w.handle)]);
  else await client.query('DELETE FROM suspensions WHERE user_key = $1', [nameKey(w.handle)]);
}

export async function append(client: pg.PoolClient, { entry: e }: Write<'logModeration'>): Promise<void> {
  await client.query(
    'INSERT INTO modlog (ts, action, by_handle, whom, channel, channel_key, msg_id, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
    [e.ts, e.action, e.by, e.whom, e.channel, e.channel === null ? null : nameKey(e.channel), e.id, e.reason],
  );
}

export async function list(pool: pg.Pool): Promise<StoredModeration> {
  const [roles, bans, suspended] = await Promise.all([
    pool.query<StoredModeration['roles'][number]>('SELECT channel_key AS channel, user_key AS "user", role FROM channel_roles ORDER BY seq'),
    // Who banned, when and why: the ban's newest entry in the log (the same commit wrote both).
    pool.query<StoredModeration['bans'][number]>(`SELECT b.channel_key AS channel, b.user_key AS "user", m.by_handle AS "by", m.ts, m.reason FROM channel_bans b
      LEFT JOIN modlog m ON m.seq = (SELECT max(seq) FROM modlog WHERE channel_key = b.channel_key AND action = 'ban' AND lower(whom) = b.user_key)
      ORDER BY b.channel_key COLLATE "C", b.user_key COLLATE "C"`),
    pool.query<{ user_key: string }>('SELECT user_key FROM suspensions ORDER BY user_key COLLATE "C"'),
  ]);
  return { roles: roles.rows, bans: bans.rows, suspended: suspended.rows.map((r) => r.user_key) };
}

export async function entries(pool: pg.Pool, channels: string[] | null, limit: number): Promise<ModEntry[]> {
  const cols = 'SELECT ts, action, by_handle, whom, channel, msg_id, reason FROM modlog';
  const { rows } = channels === null
    ? await pool.query<ModRow>(`${cols} ORDER BY seq DESC LIMIT $1`, [limit])
    : await pool.query<ModRow>(`${cols} WHERE channel_key = ANY($1) ORDER BY seq DESC LIMIT $2`, [channels, limit]);
  return rows.map((r) => ({ ts: r.ts, action: r.action, by: r.by_handle, whom: r.whom, channel: r.channel, id: r.msg_id, reason: r.reason }));
}
