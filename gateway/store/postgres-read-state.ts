import type pg from 'pg';
import { byRecent, dmPairKey, nameKey } from './keys.ts';
import { UNREAD_CAP, type ConversationState, type StoreWrite } from './store.ts';

type Append = Extract<StoreWrite, { op: 'append' }>;

/**
 * Read marks, mentions and direct partners on PostgreSQL (migration 2), inside a batch's
 * transaction and for UNREAD. A mark only moves forward (GREATEST), so two devices marking
 * at once leave the later mark whatever order they commit in.
 */
const UPSERT_MARK = 'ON CONFLICT (user_key, conversation) DO UPDATE SET read_id = GREATEST(read_marks.read_id, EXCLUDED.read_id)';

export async function markRead(client: pg.PoolClient, handle: string, conversation: string, id: number): Promise<void> {
  await client.query(`INSERT INTO read_marks (user_key, conversation, read_id) VALUES ($1, $2, $3) ${UPSERT_MARK}`, [nameKey(handle), conversation, id]);
}

/** A new member: in, and the channel read up to now (its past is history, not news). */
export async function addMember(client: pg.PoolClient, channel: string, handle: string): Promise<void> {
  await client.query(
    'WITH added AS (INSERT INTO members (channel_key, user_key) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1) ' +
      'INSERT INTO read_marks (user_key, conversation, read_id) ' +
      'SELECT $2, $1, coalesce((SELECT last_id FROM conversations WHERE key = $1), 0) WHERE EXISTS (SELECT 1 FROM added) ' +
      UPSERT_MARK,
    [nameKey(channel), nameKey(handle)],
  );
}

/** After a batch's messages are in: whom they mention, and who has now talked to whom. */
export async function appended(client: pg.PoolClient, appends: Append[], convs: string[], ids: number[]): Promise<void> {
  const mentions = appends.flatMap((a, i) => (a.mentions ?? []).map((user) => ({ conv: convs[i], id: ids[i], user })));
  if (mentions.length > 0) {
    await client.query(
      'INSERT INTO mentions (conversation, id, user_key) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[]) ON CONFLICT DO NOTHING',
      [mentions.map((m) => m.conv), mentions.map((m) => m.id), mentions.map((m) => m.user)],
    );
  }
  // user key -> partner key -> the partner's display handle; in key order, so two nodes'
  // batches take the rows' locks in the same order.
  const pairs = new Map<string, [string, string, string]>();
  for (const a of appends) {
    if (!a.message.target.startsWith('@')) continue;
    const { from, target } = a.message;
    pairs.set(`${nameKey(from)} ${nameKey(target)}`, [nameKey(from), nameKey(target), target]);
    pairs.set(`${nameKey(target)} ${nameKey(from)}`, [nameKey(target), nameKey(from), from]);
  }
  if (pairs.size > 0) {
    const rows = [...pairs.keys()].sort().map((k) => pairs.get(k)!);
    await client.query(
      'INSERT INTO direct_partners (user_key, partner_key, partner) SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING',
      [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
    );
  }
}

type StateRow = { conversation: string; target: string; last_id: string; ts: string | null; read_id: string; unread: string; mentions: string };

export async function conversationsOf(pool: pg.Pool, handle: string, channels: string[]): Promise<ConversationState[]> {
  const me = nameKey(handle);
  const partners = await pool.query<{ key: string; handle: string }>(
    'SELECT partner_key AS key, partner AS handle FROM direct_partners WHERE user_key = $1', [me],
  );
  const names = await pool.query<{ key: string; name: string }>('SELECT key, name FROM channels WHERE key = ANY($1)', [channels]);
  const byKey = new Map(names.rows.map((r) => [r.key, r.name]));
  const list = [
    ...channels.filter((k) => byKey.has(k)).map((k) => ({ conversation: k, target: byKey.get(k)! })),
    ...partners.rows.map((p) => ({ conversation: dmPairKey(me, p.key), target: p.handle })),
  ];
  if (list.length === 0) return [];
  const { rows } = await pool.query<StateRow>(
    // Unread: main-flow messages (the partial index's WHERE), not deleted, from others. The
    // newest entry is a message or a change (migration 4): its time either way.
    'SELECT v.conversation, v.target, coalesce(c.last_id, 0) AS last_id, coalesce(m.ts, ch.ts) AS ts, coalesce(r.read_id, 0) AS read_id, ' +
      '(SELECT count(*) FROM (SELECT 1 FROM messages x WHERE x.conversation = v.conversation AND (x.root IS NULL OR x.also) ' +
      `  AND x.id > coalesce(r.read_id, 0) AND NOT x.deleted AND lower(x.sender) <> $3 LIMIT ${UNREAD_CAP}) t) AS unread, ` +
      '(SELECT count(*) FROM (SELECT DISTINCT mn.id FROM mentions mn JOIN messages x ON x.conversation = mn.conversation AND x.id = mn.id ' +
      "  WHERE mn.conversation = v.conversation AND mn.id > coalesce(r.read_id, 0) AND mn.user_key IN ($3, '*') " +
      `  AND (x.root IS NULL OR x.also) AND NOT x.deleted AND lower(x.sender) <> $3 LIMIT ${UNREAD_CAP}) t) AS mentions ` +
      'FROM unnest($1::text[], $2::text[]) AS v (conversation, target) ' +
      'LEFT JOIN conversations c ON c.key = v.conversation ' +
      'LEFT JOIN messages m ON m.conversation = c.key AND m.id = c.last_id ' +
      'LEFT JOIN changes ch ON ch.conversation = c.key AND ch.id = c.last_id ' +
      'LEFT JOIN read_marks r ON r.user_key = $3 AND r.conversation = v.conversation',
    [list.map((c) => c.conversation), list.map((c) => c.target), me],
  );
  return rows.map((r) => ({
    conversation: r.conversation, target: r.target, lastId: Number(r.last_id), lastTs: r.ts, readId: Number(r.read_id),
    unread: Number(r.unread), mentions: Number(r.mentions),
  })).sort(byRecent);
}
