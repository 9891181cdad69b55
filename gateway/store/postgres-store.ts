import pg from 'pg';
import { redactUrl } from './redact-url.ts';
import { countByConversation, dmPairKey, idsFrom, nameKey } from './keys.ts';
import type { CommitResult, ConversationState, StoredBlock, ModEntry, StoredModeration, StoredPref, StoredSession, HistoryQuery, KeptMessage, LogEntry, Store, StoreSearch, StoreWrite, StoredChannel, StoredMessage, StoredUser, ThreadState } from './store.ts';
import { migratePostgres } from './postgres-schema.ts';
import * as reads from './postgres-read-state.ts';
import * as sessions from './postgres-sessions.ts';
import * as settings from './postgres-prefs.ts';
import * as blocks from './postgres-blocks.ts';
import * as moderation from './postgres-moderation.ts';
import { applyWritesInOrder, logHead, type WriteHandlers } from './writes.ts';
import * as entries from './postgres-log.ts';
import { COLUMNS, toKept, type MessageRow } from './postgres-log.ts';
import { indexHistory, search } from './postgres-search.ts';
import { pgVector } from './search-index.ts';


/**
 * The store on PostgreSQL, the source of truth when several nodes share it. Each `commit` is
 * one transaction on one pooled connection; PostgreSQL's own `synchronous_commit` (on by
 * default) means COMMIT returns only once the WAL is flushed, so an OK after it is durable.
 * A failure of any kind (the server gone, a failover, a constraint) rolls the batch back and
 * is reported as null, never thrown: the node answers ERR STORE_FAILED and stays up, and the
 * pool reconnects by itself when the database returns.
 */
export class PostgresStore implements Store {
  readonly description: string;
  lastFailure: Error | null = null;

  constructor(
    private readonly pool: pg.Pool,
    readonly epoch: string,
    where: string,
  ) {
    this.description = `postgres ${where}`;
  }

  async getUser(handle: string): Promise<StoredUser | undefined> {
    const { rows } = await this.pool.query<{ handle: string; password_hash: string | null }>(
      'SELECT handle, password_hash FROM users WHERE key = $1', [nameKey(handle)],
    );
    return rows[0] && { handle: rows[0].handle, passwordHash: rows[0].password_hash };
  }

  async listUsers(): Promise<string[]> {
    const { rows } = await this.pool.query<{ handle: string }>('SELECT handle FROM users ORDER BY key');
    return rows.map((r) => r.handle);
  }

  async listClaimed(): Promise<string[]> {
    const { rows } = await this.pool.query<{ key: string }>('SELECT key FROM users WHERE password_hash IS NOT NULL ORDER BY key');
    return rows.map((r) => r.key);
  }

  async listChannels(): Promise<StoredChannel[]> {
    const channels = new Map<string, StoredChannel>();
    type Row = { key: string; name: string; topic: string; topic_by: string | null; topic_ts: string | null; private: boolean };
    const list = await this.pool.query<Row>('SELECT key, name, topic, topic_by, topic_ts, private FROM channels ORDER BY key');
    for (const r of list.rows) {
      const topic = r.topic_by === null ? null : { text: r.topic, by: r.topic_by, ts: r.topic_ts ?? '' };
      channels.set(r.key, r.private ? { name: r.name, topic, members: [], private: true } : { name: r.name, topic, members: [] });
    }
    const members = await this.pool.query<{ channel_key: string; handle: string }>(
      'SELECT m.channel_key, u.handle FROM members m JOIN users u ON u.key = m.user_key ORDER BY m.joined',
    );
    for (const r of members.rows) channels.get(r.channel_key)?.members.push(r.handle);
    return [...channels.values()];
  }

  async commit(writes: StoreWrite[]): Promise<CommitResult | null> {
    if (writes.length === 0) return { ids: [] };
    let client: pg.PoolClient | undefined;
    try {
      client = await this.pool.connect();
      // A checked-out client whose server goes away emits 'error'; unheard, it would end the
      // process. The query in flight fails as well, and that is what the batch reports.
      client.on('error', ignore);
      await client.query('BEGIN');
      const ids = await runBatch(client, writes);
      await client.query('COMMIT');
      this.lastFailure = null;
      return { ids };
    } catch (err) {
      this.lastFailure = err instanceof Error ? err : new Error(String(err));
      // A connection that failed mid-transaction is not given back to the pool for reuse.
      await client?.query('ROLLBACK').catch(() => {});
      client?.release(true);
      client = undefined;
      return null;
    } finally {
      client?.removeListener('error', ignore);
      client?.release();
    }
  }

  channelHistory(channel: string, q: HistoryQuery): Promise<StoredMessage[]> {
    return entries.history(this.pool, nameKey(channel), q);
  }

  directHistory(a: string, b: string, q: HistoryQuery): Promise<StoredMessage[]> {
    return entries.history(this.pool, dmPairKey(a, b), q);
  }

  log(conversation: string, after: number, limit: number): Promise<LogEntry[]> {
    return entries.log(this.pool, conversation, after, limit);
  }

  message(conversation: string, id: number): Promise<KeptMessage | undefined> {
    return entries.message(this.pool, conversation, id);
  }

  thread(conversation: string, root: number, limit: number): Promise<StoredMessage[]> {
    return entries.thread(this.pool, conversation, root, limit);
  }

  search(q: StoreSearch): Promise<KeptMessage[]> {
    return search(this.pool, q);
  }

  threadsOf(handle: string): Promise<ThreadState[]> {
    return entries.threadsOf(this.pool, handle);
  }

  async offlineFor(handle: string): Promise<KeptMessage[]> {
    const { rows } = await this.pool.query<MessageRow>(
      `SELECT m.${COLUMNS.split(', ').join(', m.')} FROM offline o JOIN messages m USING (conversation, id) ` +
        'WHERE o.user_key = $1 ORDER BY m.ts, m.conversation, m.id', [nameKey(handle)],
    );
    return rows.map(toKept);
  }

  async lastIds(conversations: string[]): Promise<Map<string, number>> {
    const out = new Map(conversations.map((c) => [c, 0]));
    if (conversations.length === 0) return out;
    const { rows } = await this.pool.query<{ key: string; last_id: string }>(
      'SELECT key, last_id FROM conversations WHERE key = ANY($1)', [conversations],
    );
    for (const r of rows) out.set(r.key, Number(r.last_id));
    return out;
  }

  conversationsOf(handle: string, channels: string[]): Promise<ConversationState[]> {
    return reads.conversationsOf(this.pool, handle, channels);
  }

  session(tokenHash: string): Promise<StoredSession | undefined> {
    return sessions.session(this.pool, tokenHash);
  }

  prefs(handle: string): Promise<StoredPref[]> {
    return settings.prefs(this.pool, handle);
  }

  blocksOf(handle: string): Promise<string[]> {
    return blocks.blocksOf(this.pool, handle);
  }

  listBlocks(): Promise<StoredBlock[]> {
    return blocks.listBlocks(this.pool);
  }

  listModeration(): Promise<StoredModeration> {
    return moderation.list(this.pool);
  }

  modlog(channels: string[] | null, limit: number): Promise<ModEntry[]> {
    return moderation.entries(this.pool, channels, limit);
  }

  async probe(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Each state write as statements on the batch's connection, inside its transaction (writes.ts). */
const handlers: WriteHandlers<pg.PoolClient, Promise<void>> = {
  addUser: async (w, client) => {
    await client.query('INSERT INTO users (key, handle) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [nameKey(w.handle), w.handle]);
  },
  setPassword: async (w, client) => {
    await client.query(
      'INSERT INTO users (key, handle, password_hash) VALUES ($1, $2, $3) ' +
        'ON CONFLICT (key) DO UPDATE SET password_hash = EXCLUDED.password_hash',
      [nameKey(w.handle), w.handle, w.passwordHash],
    );
  },
  addChannel: async (w, client) => {
    await client.query('INSERT INTO channels (key, name, private) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET private = true WHERE EXCLUDED.private', [nameKey(w.name), w.name, w.private === true]);
  },
  addMember: (w, client) => reads.addMember(client, w.channel, w.handle),
  markRead: (w, client) => reads.markRead(client, w.handle, w.conversation, w.id),
  markThreadRead: (w, client) => entries.markThreadRead(client, w.handle, w.conversation, w.root, w.id),
  setPref: (w, client) => settings.setPref(client, w.handle, w.key, w.value),
  block: (w, client) => blocks.setBlock(client, w.handle, w.blocked, true),
  unblock: (w, client) => blocks.setBlock(client, w.handle, w.blocked, false),
  setRole: (w, client) => moderation.setRole(client, w),
  setBan: (w, client) => moderation.setBan(client, w),
  setSuspended: (w, client) => moderation.setSuspended(client, w),
  logModeration: (w, client) => moderation.append(client, w),
  setTopic: async (w, client) => {
    const r = await client.query('UPDATE channels SET topic = $1, topic_by = $2, topic_ts = $3 WHERE key = $4',
      [w.topic?.text ?? '', w.topic?.by ?? null, w.topic?.ts ?? null, nameKey(w.channel)]);
    if (r.rowCount === 0) throw new Error(`setTopic: no channel ${w.channel}`);
  },
  addSession: (w, client) => sessions.addSession(client, w.handle, w.tokenHash, w.expires),
  revokeSession: (w, client) => sessions.revokeSession(client, w.tokenHash),
  revokeSessions: (w, client) => sessions.revokeSessions(client, w.handle, w.except),
  removeMember: async (w, client) => {
    await client.query('DELETE FROM members WHERE channel_key = $1 AND user_key = $2', [nameKey(w.channel), nameKey(w.handle)]);
  },
  delivered: async (w, client) => {
    await client.query(
      'DELETE FROM offline WHERE user_key = $1 AND (conversation, id) IN (SELECT * FROM unnest($2::text[], $3::bigint[]))',
      [nameKey(w.handle), w.messages.map((m) => m.conversation), w.messages.map((m) => m.id)],
    );
  },
};

/**
 * The batch's state writes in order; then its log writes (messages, replies, changes). Each
 * conversation's counter is bumped once for all of its entries, in key order (so two nodes'
 * batches cannot deadlock), and the row lock it takes holds until COMMIT: ids within a
 * conversation are gapless and in commit order, and one batch at a time writes its log.
 * The messages go in first, together; then the replies' threads, then the changes in order
 * (a change names a message committed before: its id came back in an OK).
 */
async function runBatch(client: pg.PoolClient, writes: StoreWrite[]): Promise<number[]> {
  const log = await applyWritesInOrder(handlers, writes, client);
  if (log.length === 0) return [];
  const { conversations: all, counts } = countByConversation(log.map(logHead));
  const keys = [...counts.keys()].sort();
  const bumped = await client.query<{ key: string; last_id: string }>(
    'INSERT INTO conversations (key, last_id) SELECT * FROM unnest($1::text[], $2::bigint[]) ORDER BY 1 ' +
      'ON CONFLICT (key) DO UPDATE SET last_id = conversations.last_id + EXCLUDED.last_id RETURNING key, last_id',
    [keys, keys.map((k) => counts.get(k)!)],
  );
  const allIds = idsFrom(all, counts, new Map(bumped.rows.map((r) => [r.key, Number(r.last_id)])));
  const appends: Extract<StoreWrite, { op: 'append' }>[] = [];
  const convs: string[] = [];
  const ids: number[] = [];
  log.forEach((w, i) => {
    if (w.op !== 'append') return;
    appends.push(w);
    convs.push(all[i]);
    ids.push(allIds[i]);
  });
  if (appends.length > 0) await appendAll(client, appends, convs, ids);
  for (let i = 0; i < log.length; i++) {
    const w = log[i];
    if (w.op === 'change') await entries.change(client, all[i], allIds[i], w.change);
  }
  return allIds;
}

async function appendAll(client: pg.PoolClient, appends: Extract<StoreWrite, { op: 'append' }>[], convs: string[], ids: number[]): Promise<void> {
  await client.query(
    'INSERT INTO messages (conversation, id, target, sender, ts, body, root, also, search) ' +
      'SELECT c, i, t, s, ts, b, r, a, v::tsvector FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bytea[], ' +
      '$7::bigint[], $8::boolean[], $9::text[]) u (c, i, t, s, ts, b, r, a, v)',
    [convs, ids, appends.map((a) => a.message.target), appends.map((a) => a.message.from),
      appends.map((a) => a.message.ts), appends.map((a) => Buffer.from(a.message.body.buffer, a.message.body.byteOffset, a.message.body.byteLength)),
      appends.map((a) => a.root ?? null), appends.map((a) => a.also === true), appends.map((a) => pgVector(a.message.body))],
  );
  await reads.appended(client, appends, convs, ids);
  await entries.replied(client, appends, convs, ids);
  const offline = appends.flatMap((a, i) => (a.offlineFor === undefined ? [] : [{ user: nameKey(a.offlineFor), conv: convs[i], id: ids[i] }]));
  if (offline.length > 0) {
    await client.query(
      'INSERT INTO offline (user_key, conversation, id) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])',
      [offline.map((o) => o.user), offline.map((o) => o.conv), offline.map((o) => o.id)],
    );
  }
}

const ignore = (): void => {};


/**
 * Connects, brings the schema up to date (one node at a time) and reads the epoch. Throws an
 * Error naming the database (never its password) when it cannot.
 */
export async function openPostgresStore(url: string, opts: { poolSize?: number } = {}): Promise<PostgresStore> {
  const where = redactUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 8,
    // A database that stops answering (a stalled machine, a network partition) must turn into
    // ERR STORE_FAILED within seconds, not hold every MSG for ever.
    connectionTimeoutMillis: 3_000,
    query_timeout: 10_000,
  });
  // An idle connection that the server drops (a restart, a failover) must not crash the node.
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    client.on('error', ignore);
    try {
      await migratePostgres(client);
      await indexHistory(client);
      const { rows } = await client.query<{ value: string }>("SELECT value FROM meta WHERE key = 'epoch'");
      return new PostgresStore(pool, rows[0].value, where);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => {});
    throw new Error(`Cannot use the PostgreSQL database ${where} (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
}
