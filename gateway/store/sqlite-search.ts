import type Database from 'better-sqlite3';
import type { KeptMessage, StoreSearch } from './store.ts';
import { ftsQuery, hasTerms, indexText, searchLimit } from './search-index.ts';
import { MESSAGE_COLUMNS, toKept, type MessageRow } from './sqlite-log.ts';

/**
 * SEARCH on SQLite (migration 6): messages_search, an FTS5 table without content of its own
 * (contentless, with deletes), one row per message that is not deleted, keyed by the message
 * row's rowid. It indexes `searchWords` of the body joined by spaces (search-index.ts), so
 * unicode61 only splits at those spaces: its categories are set to letters, numbers, marks
 * and private use, the very classes searchWords keeps inside a word, and the text is already
 * folded (remove_diacritics 2 and its case folding find nothing left to do). A message's row
 * is written, rewritten (edit) and removed (delete) in the transaction that changes it.
 *
 * The rowid: messages has no INTEGER PRIMARY KEY, so a VACUUM could renumber its rows. The
 * server never runs one (its backups copy pages, sqlite-backup.ts); an operator who does must
 * rebuild the index: `DELETE FROM messages_search`, then reopen with user_version 5.
 */

/** The FTS5 table (migration 6). */
export const SEARCH_TABLE_SQL =
  "CREATE VIRTUAL TABLE messages_search USING fts5(words, content = '', contentless_delete = 1, " +
  `tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'");`;

const BACKFILL_BATCH = 5000;

/**
 * Migration 6's step in JS, in its transaction: indexes every message already there that is
 * not deleted, a batch of rows at a time (better-sqlite3 cannot write while it reads a cursor).
 */
export function indexHistory(db: Database.Database): void {
  const next = db.prepare('SELECT rowid, body FROM messages WHERE rowid > ? AND deleted = 0 ORDER BY rowid LIMIT ?');
  const insert = db.prepare('INSERT INTO messages_search (rowid, words) VALUES (?, ?)');
  let after = 0;
  for (;;) {
    const rows = next.all(after, BACKFILL_BATCH) as Array<{ rowid: number; body: Buffer }>;
    for (const r of rows) insert.run(r.rowid, indexText(r.body));
    if (rows.length < BACKFILL_BATCH) return;
    after = rows[rows.length - 1].rowid;
  }
}

export function prepareSearch(db: Database.Database) {
  const filters =
    'm.conversation IN (SELECT value FROM json_each(@conversations)) AND m.deleted = 0 ' +
    'AND (@from IS NULL OR lower(m.sender) = @from) AND (@before IS NULL OR m.ts < @before) AND (@after IS NULL OR m.ts > @after)';
  const order = 'ORDER BY m.ts DESC, m.conversation, m.id DESC LIMIT @limit';
  const sql = {
    insert: db.prepare('INSERT INTO messages_search (rowid, words) VALUES (?, ?)'),
    remove: db.prepare('DELETE FROM messages_search WHERE rowid = ?'),
    // The index first (CROSS JOIN keeps that order): its matches, then their rows by rowid.
    matching: db.prepare(
      `SELECT ${MESSAGE_COLUMNS} FROM messages_search s CROSS JOIN messages m ON m.rowid = s.rowid ` +
        `WHERE messages_search MATCH @match AND ${filters} ${order}`,
    ),
    // No word to look up: the conversations' newest rows that pass the filters.
    filtered: db.prepare(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE ${filters} ` +
        `AND (@match IS NULL OR m.rowid NOT IN (SELECT rowid FROM messages_search WHERE messages_search MATCH @match)) ${order}`,
    ),
  };

  return {
    /** A new message's words (its row is `rowid`). */
    indexed(rowid: number | bigint, body: Uint8Array): void {
      const words = indexText(body);
      if (words !== '') sql.insert.run(rowid, words);
    },
    /** An edited message's words: the old text is gone from the index. */
    reindexed(rowid: number | bigint, body: Uint8Array): void {
      sql.remove.run(rowid);
      this.indexed(rowid, body);
    },
    /** A deleted message: never found again. */
    unindexed(rowid: number | bigint): void {
      sql.remove.run(rowid);
    },
    search(q: StoreSearch): KeptMessage[] {
      const limit = searchLimit(q);
      if (limit === 0 || q.conversations.length === 0) return [];
      const { match, excluded } = ftsQuery(q);
      const params = {
        conversations: JSON.stringify(q.conversations), from: q.from ?? null, before: q.before ?? null, after: q.after ?? null,
        match: hasTerms(q) ? match : excluded, limit,
      };
      const rows = (hasTerms(q) ? sql.matching : sql.filtered).all(params) as MessageRow[];
      return rows.map(toKept);
    },
  };
}
