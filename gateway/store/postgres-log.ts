import type pg from 'pg';
import { UNREAD_CAP, aroundBefore, type HistoryQuery, type KeptMessage, type LogEntry, type NewChange, type StoreWrite, type StoredMessage, type ThreadState } from './store.ts';
import { nameKey } from './keys.ts';
import { afterReply, byThreadNews, changeEntry, followersOf, mergeLog, reactionsAfter, withState, type Reactions, type ThreadSummary } from './log-state.ts';
import { applyChange, type ChangeHandlers } from './writes.ts';
import { pgVector } from './search-index.ts';

type Append = Extract<StoreWrite, { op: 'append' }>;
type Queryable = pg.Pool | pg.PoolClient;

export const COLUMNS = 'conversation, id, target, sender, ts, body, root, also, edited, deleted, reactions';
export type MessageRow = {
  conversation: string; id: string; target: string; sender: string; ts: string; body: Buffer;
  root: string | null; also: boolean; edited: string | null; deleted: boolean; reactions: string | null;
};
/** A message row with its thread summary, when it is a root. */
type FullRow = MessageRow & { replies: number | null; last_id: string | null; last_ts: string | null; repliers: string[] | null };

/** The main flow, as the partial index messages_main_flow says it (migration 4). */
const MAIN_FLOW = '(root IS NULL OR also)';
const NO_UPPER_BOUND = Number.MAX_SAFE_INTEGER;

/**
 * The log on PostgreSQL (migration 4): the writes of a batch's messages, replies and changes
 * inside its transaction, and the reads. Writes to one conversation run one batch at a time:
 * each batch holds its conversation counters' row locks (postgres-store.ts) until COMMIT, so
 * a thread summary read and rewritten here cannot lose another node's reply.
 */

/** A batch's thread replies, after its messages are in: summaries, and who follows now. */
export async function replied(client: pg.PoolClient, appends: Append[], convs: string[], ids: number[]): Promise<void> {
  for (let i = 0; i < appends.length; i++) {
    const a = appends[i];
    if (a.root === undefined) continue;
    const { rows } = await client.query<{ replies: number; last_id: string; last_ts: string; repliers: string[]; sender: string | null }>(
      'SELECT t.replies, t.last_id, t.last_ts, t.repliers, m.sender FROM (SELECT 1) one ' +
        'LEFT JOIN threads t ON t.conversation = $1 AND t.root = $2 LEFT JOIN messages m ON m.conversation = $1 AND m.id = $2',
      [convs[i], a.root],
    );
    const old = rows[0]?.replies == null ? undefined : toSummary(rows[0]);
    const t = afterReply(old, ids[i], a.message.ts, a.message.from);
    const followers = followersOf(a.message.from, rows[0]?.sender ?? undefined, a.mentions).sort();
    await client.query(
      'WITH t AS (INSERT INTO threads (conversation, root, replies, last_id, last_ts, repliers) VALUES ($1, $2, $3, $4, $5, $6) ' +
        'ON CONFLICT (conversation, root) DO UPDATE SET replies = EXCLUDED.replies, last_id = EXCLUDED.last_id, ' +
        'last_ts = EXCLUDED.last_ts, repliers = EXCLUDED.repliers) ' +
        'INSERT INTO thread_marks (user_key, conversation, root, read_id, following) SELECT u, $1, $2, 0, true FROM unnest($7::text[]) u ' +
        'ON CONFLICT (user_key, conversation, root) DO UPDATE SET following = true',
      [convs[i], a.root, t.count, t.lastId, t.lastTs, t.by, followers],
    );
  }
}

type Ctx = { client: pg.PoolClient; conversation: string; id: number };
const changes: ChangeHandlers<Ctx, Promise<void>> = {
  edit: async (c, { client, conversation }) => {
    await client.query(
      'UPDATE messages SET body = $1, edited = $2, search = $5::tsvector WHERE conversation = $3 AND id = $4 AND NOT deleted',
      [buffer(c.body), c.ts, conversation, c.of, pgVector(c.body)],
    );
  },
  delete: async (c, { client, conversation }) => {
    const r = await client.query("UPDATE messages SET body = '\\x', deleted = true, reactions = NULL, search = NULL WHERE conversation = $1 AND id = $2 AND NOT deleted", [conversation, c.of]);
    if (r.rowCount === 0) return;
    for (const table of ['reactions', 'mentions', 'offline']) await client.query(`DELETE FROM ${table} WHERE conversation = $1 AND id = $2`, [conversation, c.of]);
  },
  react: async (c, { client, conversation, id }) => {
    const r = await client.query(
      'INSERT INTO reactions (conversation, id, reaction, user_key, "user", added) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING',
      [conversation, c.of, c.reaction, nameKey(c.from), c.from, id],
    );
    if (r.rowCount !== 0) await shown(client, conversation, c);
  },
  unreact: async (c, { client, conversation }) => {
    const r = await client.query('DELETE FROM reactions WHERE conversation = $1 AND id = $2 AND reaction = $3 AND user_key = $4', [conversation, c.of, c.reaction, nameKey(c.from)]);
    if (r.rowCount !== 0) await shown(client, conversation, c);
  },
};

/** The message's reactions column after a change of its set (migration 4). */
async function shown(client: pg.PoolClient, conversation: string, c: NewChange & { kind: 'react' | 'unreact' }): Promise<void> {
  const { rows } = await client.query<{ reactions: string | null }>('SELECT reactions FROM messages WHERE conversation = $1 AND id = $2', [conversation, c.of]);
  const json = rows[0]?.reactions;
  const list = reactionsAfter(json == null ? [] : (JSON.parse(json) as Reactions), c.kind, c.reaction, c.from);
  await client.query('UPDATE messages SET reactions = $1 WHERE conversation = $2 AND id = $3', [list.length === 0 ? null : JSON.stringify(list), conversation, c.of]);
}

export async function change(client: pg.PoolClient, conversation: string, id: number, c: NewChange): Promise<void> {
  await client.query(
    'INSERT INTO changes (conversation, id, kind, of, target, sender, ts, reaction) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
    [conversation, id, c.kind, c.of, c.target, c.from, c.ts, 'reaction' in c ? c.reaction : null],
  );
  await applyChange(changes, c, { client, conversation, id });
}

export async function markThreadRead(client: pg.PoolClient, handle: string, conversation: string, root: number, id: number): Promise<void> {
  await client.query(
    'INSERT INTO thread_marks (user_key, conversation, root, read_id, following) VALUES ($1, $2, $3, $4, false) ' +
      'ON CONFLICT (user_key, conversation, root) DO UPDATE SET read_id = GREATEST(thread_marks.read_id, EXCLUDED.read_id)',
    [nameKey(handle), conversation, root, id],
  );
}

/**
 * Messages chosen by `page` (a SELECT of COLUMNS from messages), each with its reactions and
 * thread summary, in id order: one round trip.
 */
async function fullMessages<M extends StoredMessage>(
  db: Queryable, name: string, page: string, params: unknown[], build: (row: MessageRow) => M,
): Promise<M[]> {
  // Named: each pooled connection parses and plans it once (planning costs about as much as
  // running a page of 200).
  const { rows } = await db.query<FullRow>({
    name: `slck-${name}`,
    text: `WITH page AS (${page}) SELECT p.*, t.replies, t.last_id, t.last_ts, t.repliers ` +
      'FROM page p LEFT JOIN threads t ON t.conversation = p.conversation AND t.root = p.id ORDER BY p.id',
    values: params,
  });
  // One object per message, built once: a page of 200 is HISTORY's hot path.
  return rows.map((r) => {
    const m = build(r);
    if (r.reactions !== null) m.reactions = JSON.parse(r.reactions) as Reactions;
    if (r.replies !== null && r.replies > 0) m.thread = toSummary(r as Parameters<typeof toSummary>[0]);
    return m;
  });
}

export async function history(pool: pg.Pool, conversation: string, q: HistoryQuery): Promise<StoredMessage[]> {
  const limit = Math.floor(q.limit);
  if (!(limit > 0)) return [];
  let found: StoredMessage[];
  if (q.around !== undefined) {
    // The older side newest first, then the id and what follows: at most `limit` in all.
    found = (await fullMessages(pool, 'history-around',
      `(SELECT ${COLUMNS} FROM messages WHERE conversation = $1 AND ${MAIN_FLOW} AND id < $2 ORDER BY id DESC LIMIT $3) ` +
        `UNION ALL (SELECT ${COLUMNS} FROM messages WHERE conversation = $1 AND ${MAIN_FLOW} AND id >= $2 ORDER BY id LIMIT $4)`,
      [conversation, q.around, aroundBefore(limit), limit], toMessage)).slice(0, limit);
  } else if (q.after !== undefined) {
    found = await fullMessages(pool, 'history-after',
      `SELECT ${COLUMNS} FROM messages WHERE conversation = $1 AND ${MAIN_FLOW} AND id > $2 AND id < $3 ORDER BY id LIMIT $4`,
      [conversation, q.after, q.before ?? NO_UPPER_BOUND, limit], toMessage);
  } else {
    found = await fullMessages(pool, 'history-latest',
      `SELECT ${COLUMNS} FROM messages WHERE conversation = $1 AND ${MAIN_FLOW} AND id < $2 ORDER BY id DESC LIMIT $3`,
      [conversation, q.before ?? NO_UPPER_BOUND, limit], toMessage);
  }
  return found;
}

export async function message(pool: pg.Pool, conversation: string, id: number): Promise<KeptMessage | undefined> {
  const [m] = await fullMessages(pool, 'message', `SELECT ${COLUMNS} FROM messages WHERE conversation = $1 AND id = $2`, [conversation, id], toKept);
  return m;
}

export async function thread(pool: pg.Pool, conversation: string, root: number, limit: number): Promise<StoredMessage[]> {
  let head = await message(pool, conversation, root);
  if (head?.root !== undefined) head = await message(pool, conversation, head.root);
  if (head === undefined) return [];
  const n = Math.max(0, Math.floor(limit));
  const replies = n === 0 ? [] : await fullMessages(pool, 'thread',
    `SELECT ${COLUMNS} FROM messages WHERE conversation = $1 AND root = $2 ORDER BY id DESC LIMIT $3`, [conversation, head.id, n], toMessage);
  const { conversation: _, ...rootMessage } = head;
  return [rootMessage, ...replies];
}

export async function log(pool: pg.Pool, conversation: string, after: number, limit: number): Promise<LogEntry[]> {
  const n = Math.floor(limit);
  if (!(n > 0)) return [];
  const messages = await pool.query<MessageRow>(
    `SELECT ${COLUMNS} FROM messages WHERE conversation = $1 AND id > $2 ORDER BY id LIMIT $3`, [conversation, after, n],
  );
  type ChangeRow = { id: string; kind: string; of: string; target: string; sender: string; ts: string; reaction: string | null; body: Buffer | null };
  const changed = await pool.query<ChangeRow>(
    "SELECT ch.id, ch.kind, ch.of, ch.target, ch.sender, ch.ts, ch.reaction, CASE WHEN ch.kind = 'edit' THEN m.body END AS body " +
      'FROM changes ch LEFT JOIN messages m ON m.conversation = ch.conversation AND m.id = ch.of ' +
      'WHERE ch.conversation = $1 AND ch.id > $2 ORDER BY ch.id LIMIT $3',
    [conversation, after, n],
  );
  return mergeLog(
    messages.rows.map((r): LogEntry => ({ kind: 'msg', ...toMessage(r) })),
    changed.rows.map((r) => changeEntry({ ...r, id: Number(r.id), of: Number(r.of), from: r.sender }, r.body === null ? undefined : bytes(r.body))),
    n,
  );
}

export async function threadsOf(pool: pg.Pool, handle: string): Promise<ThreadState[]> {
  const me = nameKey(handle);
  type Row = { conversation: string; target: string | null; root: string; read_id: string; replies: number; last_id: string; last_ts: string; unread: string; mentions: string };
  const { rows } = await pool.query<Row>(
    'SELECT tm.conversation, tm.root, tm.read_id, t.replies, t.last_id, t.last_ts, ' +
      "CASE WHEN position(' ' in tm.conversation) = 0 THEN (SELECT name FROM channels WHERE key = tm.conversation) " +
      "ELSE coalesce((SELECT handle FROM users WHERE key = x.other), x.other) END AS target, " +
      '(SELECT count(*) FROM (SELECT 1 FROM messages m WHERE m.conversation = tm.conversation AND m.root = tm.root AND m.id > tm.read_id ' +
      `  AND NOT m.deleted AND lower(m.sender) <> $1 LIMIT ${UNREAD_CAP}) u) AS unread, ` +
      '(SELECT count(*) FROM (SELECT DISTINCT mn.id FROM mentions mn JOIN messages m ON m.conversation = mn.conversation AND m.id = mn.id ' +
      "  WHERE mn.conversation = tm.conversation AND mn.id > tm.read_id AND mn.user_key IN ($1, '*') AND m.root = tm.root " +
      `  AND NOT m.deleted AND lower(m.sender) <> $1 LIMIT ${UNREAD_CAP}) n) AS mentions ` +
      'FROM thread_marks tm JOIN threads t ON t.conversation = tm.conversation AND t.root = tm.root ' +
      "CROSS JOIN LATERAL (SELECT CASE WHEN split_part(tm.conversation, ' ', 1) = $1 THEN split_part(tm.conversation, ' ', 2) " +
      "  ELSE split_part(tm.conversation, ' ', 1) END AS other) x " +
      'WHERE tm.user_key = $1 AND tm.following',
    [me],
  );
  return rows.filter((r) => r.target !== null).map((r) => ({
    conversation: r.conversation, target: r.target!, root: Number(r.root), replies: r.replies, lastId: Number(r.last_id), lastTs: r.last_ts,
    readId: Number(r.read_id), unread: Number(r.unread), mentions: Number(r.mentions),
  })).sort(byThreadNews);
}

const buffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

const toSummary = (t: { replies: number; last_id: string; last_ts: string; repliers: string[] }): ThreadSummary =>
  ({ count: t.replies, lastId: Number(t.last_id), lastTs: t.last_ts, by: t.repliers });

export function toMessage(r: MessageRow): StoredMessage {
  const m: StoredMessage = { id: Number(r.id), target: r.target, from: r.sender, ts: r.ts, body: bytes(r.body) };
  return withState(m, { root: r.root === null ? null : Number(r.root), also: r.also, edited: r.edited, deleted: r.deleted });
}

export function toKept(r: MessageRow): KeptMessage {
  return { ...toMessage(r), conversation: r.conversation };
}

