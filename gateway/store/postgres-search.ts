import type pg from 'pg';
import type { KeptMessage, StoreSearch } from './store.ts';
import { pgQuery, pgVector, searchLimit } from './search-index.ts';
import { COLUMNS, toKept, type MessageRow } from './postgres-log.ts';

/**
 * SEARCH on PostgreSQL (migration 5): messages.search, a tsvector of the message's words with
 * their positions, and a GIN index on it. The words are `searchWords` of the body, computed
 * in JS and handed over as a tsvector literal (search-index.ts, pgVector); a query is a
 * tsquery literal of the same words. So no text search configuration or parser reads the
 * text: to_tsvector('simple', …) would split it again by the parser's own rules (which
 * depend on the database's locale for letters outside ASCII), and the three stores could
 * disagree on a word. The column is written with the message's row, rewritten by an edit
 * and emptied (NULL) by a delete, in the same transaction.
 *
 * Why a tsvector and not pg_trgm: trigrams match substrings, not words (`deploy` would find
 * `deployed`, against the spec's whole words), cannot use the index for words under three
 * characters (most CJK words, `go`, `ok`), need the unaccent extension to fold accents and
 * know no phrase (words adjacent, in order); and their index is several times the size.
 */

const BACKFILL_BATCH = 2000;

/**
 * Migration 5's step in JS, when a node opens the store, until it is done once: indexes the
 * messages that have no tsvector yet (the history before the migration), a batch per
 * transaction, in key order. A message with no word gets the empty tsvector. Nodes starting
 * together share the work (SKIP LOCKED); one stopped part way is finished by the next open.
 * Then meta's search_indexed says so, and later opens skip it.
 */
export async function indexHistory(client: pg.PoolClient): Promise<void> {
  const done = await client.query("SELECT 1 FROM meta WHERE key = 'search_indexed'");
  if (done.rowCount !== 0) return;
  let after: [string, string] = ['', '0'];
  for (;;) {
    await client.query('BEGIN');
    try {
      const { rows } = await client.query<{ conversation: string; id: string; body: Buffer }>(
        'SELECT conversation, id, body FROM messages WHERE (conversation, id) > ($1, $2) AND search IS NULL AND NOT deleted ' +
          'ORDER BY conversation, id LIMIT $3 FOR UPDATE SKIP LOCKED',
        [after[0], after[1], BACKFILL_BATCH],
      );
      if (rows.length > 0) {
        await client.query(
          'UPDATE messages m SET search = v.search::tsvector FROM unnest($1::text[], $2::bigint[], $3::text[]) v (conversation, id, search) ' +
            'WHERE m.conversation = v.conversation AND m.id = v.id',
          [rows.map((r) => r.conversation), rows.map((r) => r.id), rows.map((r) => pgVector(r.body))],
        );
      }
      if (rows.length < BACKFILL_BATCH) {
        await client.query("INSERT INTO meta (key, value) VALUES ('search_indexed', now()::text) ON CONFLICT (key) DO NOTHING");
      }
      await client.query('COMMIT');
      if (rows.length < BACKFILL_BATCH) return;
      const last = rows[rows.length - 1];
      after = [last.conversation, last.id];
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }
}

/**
 * The newest matches, planned for this query's words each time (not a named statement): the
 * planner knows from the column's statistics how many rows a word is in. Rare words: the GIN
 * index finds them all, and the few are sorted. Common words (or none, only filters): the
 * ts index reads the newest messages first, and the first `limit` that match end the scan.
 */
export async function search(pool: pg.Pool, q: StoreSearch): Promise<KeptMessage[]> {
  const query = searchQuery(q);
  if (query === null) return [];
  const { rows } = await pool.query<MessageRow>(query.text, query.values);
  return rows.map(toKept);
}

/** The SELECT of a search and its values (null when it can find nothing); bench/search.ts explains it. */
export function searchQuery(q: StoreSearch): { text: string; values: unknown[] } | null {
  const limit = searchLimit(q);
  if (limit === 0 || q.conversations.length === 0) return null;
  const { match, excluded } = pgQuery(q);
  return {
    text:
      `SELECT ${COLUMNS} FROM messages WHERE conversation = ANY($1::text[]) AND NOT deleted ` +
      `${match !== null ? 'AND search @@ $2::tsquery' : excluded !== null ? 'AND NOT coalesce(search @@ $2::tsquery, false)' : 'AND $2::text IS NULL'} ` +
      'AND ($3::text IS NULL OR lower(sender) = $3) AND ($4::text IS NULL OR ts < $4) AND ($5::text IS NULL OR ts > $5) ' +
      'ORDER BY ts DESC, conversation COLLATE "C", id DESC LIMIT $6',
    values: [[...new Set(q.conversations)], match ?? excluded, q.from ?? null, q.before ?? null, q.after ?? null, limit],
  };
}
