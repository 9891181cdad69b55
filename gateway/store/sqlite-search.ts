import type Database from 'better-sqlite3';
import type { KeptMessage, StoreSearch } from './store.ts';
import { bySearchOrder, ftsQuery, hasTerms, indexText, searchLimit } from './search-index.ts';
import { MESSAGE_COLUMNS, toKept, type MessageRow } from './sqlite-log.ts';
import { prepareSearchQueue } from './sqlite-search-queue.ts';

/**
 * SEARCH on SQLite (migration 6): messages_search, an FTS5 table without content of its own
 * (contentless, with deletes), one row per message that is not deleted, keyed by the message
 * row's rowid. It indexes `searchWords` of the body joined by spaces (search-index.ts), so
 * unicode61 only splits at those spaces: its categories are set to letters, numbers, marks
 * and private use, the very classes searchWords keeps inside a word, and the text is already
 * folded (remove_diacritics 2 and its case folding find nothing left to do). A message's row
 * is written behind it, in slices over many messages (migration 10, sqlite-search-queue.ts),
 * and SEARCH first indexes what is pending; an edit or a delete of a message already indexed
 * rewrites or removes its row in the transaction that changes it.
 *
 * The rowid: messages has no INTEGER PRIMARY KEY, so a VACUUM could renumber its rows. The
 * server never runs one (its backups copy pages, sqlite-backup.ts); an operator who does must
 * rebuild the index: `DROP TABLE messages_search; PRAGMA user_version = 5`, and open it.
 */

/** The FTS5 table (migration 6). */
export const SEARCH_TABLE_SQL =
  "CREATE VIRTUAL TABLE messages_search USING fts5(words, content = '', contentless_delete = 1, " +
  `tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'");`;

/**
 * A message row's rowid is its time: ms since 1970 times PER_MS, plus its place among the
 * messages of that millisecond (migration 6). So the index's rowid order is ts order, and a
 * search reads its matches newest first and stops at its limit, however common the words:
 * FTS5 hands them over in rowid order. Past PER_MS messages in one millisecond, the rest go
 * after every row there is (unique still, but out of ts order: a search may miss them).
 * Below 2^53 until the year 2248, so a JS number holds it exactly.
 */
const PER_MS = 1024;
const rowidOf = (ms: number): number => (Number.isFinite(ms) && ms > 0 ? ms * PER_MS : 0);

const BATCH = 5000;

/**
 * Migration 6's step in JS, in its transaction: gives every message its time's rowid (in ts,
 * conversation, id order, each one after the last), then indexes those not deleted, a batch
 * of rows at a time (better-sqlite3 cannot write while it reads a cursor).
 */
export function indexHistory(db: Database.Database): void {
  db.exec('UPDATE messages SET rowid = -rowid');
  const old: Array<{ rowid: number; ts: string }> = db.prepare('SELECT rowid, ts FROM messages ORDER BY ts, conversation, id').all() as never;
  const renumber = db.prepare('UPDATE messages SET rowid = ? WHERE rowid = ?');
  let last = 0;
  for (const r of old) renumber.run((last = Math.max(rowidOf(Date.parse(r.ts)), last + 1)), r.rowid);
  const next = db.prepare('SELECT rowid, body FROM messages WHERE rowid > ? AND deleted = 0 ORDER BY rowid LIMIT ?');
  const insert = db.prepare('INSERT INTO messages_search (rowid, words) VALUES (?, ?)');
  let after = -1;
  for (;;) {
    const rows = next.all(after, BATCH) as Array<{ rowid: number; body: Buffer }>;
    for (const r of rows) {
      const words = indexText(r.body);
      if (words !== '') insert.run(r.rowid, words);
    }
    if (rows.length < BATCH) return;
    after = rows[rows.length - 1].rowid;
  }
}

/**
 * Conversations of fewer log entries than this in all (in:, a new user's few) are read whole
 * by key, each row looked up in the index (some 10 us each): a word common elsewhere but rare
 * there would otherwise make the index hand over every other conversation's matches first.
 */
const BY_KEY_BELOW = 2000;

export function prepareSearch(db: Database.Database, byKeyBelow = BY_KEY_BELOW) {
  const inIndex = 'EXISTS (SELECT 1 FROM messages_search s WHERE messages_search MATCH @match AND s.rowid = m.rowid)';
  /** With words, the index has them; with filters alone, it has none of the excluded terms (if any). */
  const terms = { words: inIndex, filters: `(@match IS NULL OR NOT ${inIndex})` };
  type Kind = keyof typeof terms;
  const filters = (conversation: string) =>
    `${conversation} IN (SELECT value FROM json_each(@conversations)) AND m.deleted = 0 ` +
    'AND (@from IS NULL OR lower(m.sender) = @from) AND (@before IS NULL OR m.ts < @before) AND (@after IS NULL OR m.ts > @after)';
  const columns = `m.rowid AS rowid, ${MESSAGE_COLUMNS}`;
  const both = (build: (kind: Kind) => string) => ({ words: db.prepare(build('words')), filters: db.prepare(build('filters')) });
  const sql = {
    lastInMs: db.prepare('SELECT max(rowid) FROM messages WHERE rowid >= ? AND rowid < ?'),
    last: db.prepare('SELECT coalesce(max(rowid), 0) FROM messages'),
    entries: db.prepare('SELECT coalesce(sum(last_id), 0) FROM conversations WHERE key IN (SELECT value FROM json_each(?))'),
    newest: {
      // The index first, newest first (rowid order is ts order), each match's row by rowid,
      // until the limit: a common word costs no more than a rare one. The time bounds are
      // rowid bounds too, so a page `before:` starts where the last one ended.
      words: db.prepare(
        `SELECT ${columns} FROM messages_search s CROSS JOIN messages m ON m.rowid = s.rowid WHERE messages_search MATCH @match ` +
          `AND s.rowid >= @low AND s.rowid < @high AND ${filters('m.conversation')} ORDER BY s.rowid DESC LIMIT @limit`,
      ),
      // No word to look up: the messages newest first, by rowid (the + keeps SQLite from
      // reading the conversations' rows by key and sorting them all).
      filters: db.prepare(
        `SELECT ${columns} FROM messages m WHERE m.rowid >= @low AND m.rowid < @high AND ${filters('+m.conversation')} ` +
          `AND ${terms.filters} ORDER BY m.rowid DESC LIMIT @limit`,
      ),
    },
    // The rows of one millisecond (a range of rowids), each looked up in the index: FTS5
    // seeks a rowid well, but reads a rowid range of common words from one end.
    tied: both((kind) => `SELECT ${columns} FROM messages m WHERE m.rowid >= @low AND m.rowid < @high AND ${filters('+m.conversation')} AND ${terms[kind]}`),
    // Small conversations: their rows by key, each looked up in the index by rowid.
    few: both((kind) => `SELECT ${columns} FROM messages m WHERE ${filters('m.conversation')} AND ${terms[kind]} ORDER BY m.ts DESC, m.conversation, m.id DESC LIMIT @limit`),
  };

  type Found = MessageRow & { rowid: number };
  const queue = prepareSearchQueue(db);
  /** rowidFor's last answer: its millisecond's first rowid, and the rowid (capped to that millisecond). */
  const lastGiven = { low: -1, rowid: 0 };
  return {
    /** The messages waiting for the index (SqliteStore runs its slices, and catches up before a search). */
    queue,
    /** The rowid of a new message at `ts`: after every other message of its millisecond. */
    rowidFor(ts: string): number {
      const low = rowidOf(Date.parse(ts));
      // The last one given, when it was in the same millisecond (a busy one has dozens): no
      // query. A batch rolled back leaves a gap, which is harmless: rowids need only be unique.
      const last = low === lastGiven.low ? lastGiven.rowid : (sql.lastInMs.pluck().get(low, low + PER_MS) as number | null);
      // A full millisecond: after every row there is (the next one's range may have begun).
      const rowid = last === null ? low : last + 1 < low + PER_MS ? last + 1 : (sql.last.pluck().get() as number) + 1;
      lastGiven.low = low;
      lastGiven.rowid = Math.min(rowid, low + PER_MS - 1);
      return rowid;
    },
    /** A new message (its row is `rowid`): its words queued for the index. */
    indexed(rowid: number, body: Uint8Array): void {
      queue.appended(rowid, body);
    },
    /** An edited message's words: the old text is gone from the index (or from the queue). */
    reindexed(rowid: number, body: Uint8Array): void {
      queue.edited(rowid, body);
    },
    /** A deleted message: never found again. */
    unindexed(rowid: number): void {
      queue.erased(rowid);
    },
    search(q: StoreSearch): KeptMessage[] {
      const limit = searchLimit(q);
      if (limit === 0 || q.conversations.length === 0) return [];
      const { match, excluded } = ftsQuery(q);
      const kind: Kind = hasTerms(q) ? 'words' : 'filters';
      const low = q.after === undefined ? Number.MIN_SAFE_INTEGER : rowidOf(Date.parse(q.after));
      const high = q.before === undefined ? Number.MAX_SAFE_INTEGER : rowidOf(Date.parse(q.before)) + PER_MS;
      const params = {
        conversations: JSON.stringify(q.conversations), from: q.from ?? null, before: q.before ?? null, after: q.after ?? null,
        match: match ?? excluded, limit, low, high,
      };
      if ((sql.entries.pluck().get(params.conversations) as number) < byKeyBelow) {
        return (sql.few[kind].all(params) as Found[]).map(toKept).sort(bySearchOrder);
      }
      const rows = sql.newest[kind].all(params) as Found[];
      if (rows.length === limit) {
        // The last one's millisecond may hold more matches, which come first by conversation
        // and id: read all of that millisecond and keep the first of the lot.
        const ms = rows[rows.length - 1].rowid - (rows[rows.length - 1].rowid % PER_MS);
        const seen = new Set(rows.map((r) => r.rowid));
        for (const r of sql.tied[kind].all({ ...params, low: ms, high: Math.min(high, ms + PER_MS) }) as Found[]) if (!seen.has(r.rowid)) rows.push(r);
      }
      return rows.map(toKept).sort(bySearchOrder).slice(0, limit);
    },
  };
}
