import type Database from 'better-sqlite3';
import { SEARCH_TABLE_SQL, indexHistory } from './sqlite-search.ts';

/**
 * The SQLite schema as an ordered list of migrations. `PRAGMA user_version` records how many
 * have been applied; opening a database applies the rest in one transaction (a failure part
 * way leaves the file as it was). Append new migrations at the end; never edit one that has
 * shipped.
 *
 * Keys are lower-cased names with their sigil (`@jane`, `#general`); display columns keep the
 * case a name was first written in.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: users, channels, membership, messages, offline queue.
  `
  CREATE TABLE users (
    key TEXT PRIMARY KEY,
    handle TEXT NOT NULL,
    password_hash TEXT,
    created TEXT NOT NULL
  );
  CREATE TABLE channels (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created TEXT NOT NULL
  );
  -- A rowid table on purpose: rowid order is join order, which listChannels reports.
  CREATE TABLE members (
    channel_key TEXT NOT NULL REFERENCES channels(key),
    user_key TEXT NOT NULL REFERENCES users(key),
    PRIMARY KEY (channel_key, user_key)
  );
  -- id is the rowid, so ids increase and never repeat while no message is deleted.
  -- dm_pair is null for channel messages; for a direct message it is the two handle keys,
  -- sorted and joined by a space, so both directions of a conversation share one index range.
  CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    target_key TEXT NOT NULL,
    target TEXT NOT NULL,
    sender_key TEXT NOT NULL,
    sender TEXT NOT NULL,
    dm_pair TEXT,
    ts TEXT NOT NULL,
    body BLOB NOT NULL
  );
  CREATE INDEX messages_by_channel ON messages (target_key, id) WHERE dm_pair IS NULL;
  CREATE INDEX messages_by_dm_pair ON messages (dm_pair, id) WHERE dm_pair IS NOT NULL;
  CREATE TABLE offline (
    user_key TEXT NOT NULL REFERENCES users(key),
    message_id INTEGER NOT NULL REFERENCES messages(id),
    PRIMARY KEY (user_key, message_id)
  ) WITHOUT ROWID;
  `,
  // 2: ids per conversation (a channel, or the pair of a direct conversation), with a
  // counter per conversation, and the database's epoch. SQLite cannot change a primary key
  // in place, so messages and offline are rebuilt: create the new table, copy, drop, rename.
  // Old ids were global rowids; each message keeps its id within its conversation. They
  // still increase within each conversation, but have gaps (the other conversations' ids):
  // that is fine for old data, and ids from here on are gapless above them.
  `
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO meta (key, value) VALUES ('epoch', lower(hex(randomblob(16))));

  -- A channel key is the lower-cased name with its sigil; a direct conversation's key is
  -- both handle keys, sorted and space-joined (keys.ts): exactly migration 1's dm_pair.
  -- A rowid table with the key as a unique index, not WITHOUT ROWID: bodies can be large.
  CREATE TABLE messages_v2 (
    conversation TEXT NOT NULL,
    id INTEGER NOT NULL,
    target TEXT NOT NULL,
    sender TEXT NOT NULL,
    ts TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (conversation, id)
  );
  INSERT INTO messages_v2 (conversation, id, target, sender, ts, body)
    SELECT coalesce(dm_pair, target_key), id, target, sender, ts, body FROM messages ORDER BY id;

  -- last_id is bumped in the transaction that inserts the messages, as on PostgreSQL.
  CREATE TABLE conversations (
    key TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO conversations (key, last_id)
    SELECT conversation, max(id) FROM messages_v2 GROUP BY conversation;

  CREATE TABLE offline_v2 (
    user_key TEXT NOT NULL REFERENCES users(key),
    conversation TEXT NOT NULL,
    id INTEGER NOT NULL,
    PRIMARY KEY (user_key, conversation, id),
    FOREIGN KEY (conversation, id) REFERENCES messages_v2 (conversation, id)
  ) WITHOUT ROWID;
  INSERT INTO offline_v2 (user_key, conversation, id)
    SELECT o.user_key, coalesce(m.dm_pair, m.target_key), m.id
    FROM offline o JOIN messages m ON m.id = o.message_id;

  -- The old offline table first: it is the only one referencing the old messages table.
  DROP TABLE offline;
  DROP TABLE messages;
  -- Renaming also rewrites offline_v2's REFERENCES clause to the new name.
  ALTER TABLE messages_v2 RENAME TO messages;
  ALTER TABLE offline_v2 RENAME TO offline;
  `,
  // 3: what each user has read, whom messages mention, who has direct conversations with
  // whom, sign-in session tokens (their hashes), and channel topics.
  `
  CREATE TABLE read_marks (
    user_key TEXT NOT NULL REFERENCES users(key),
    conversation TEXT NOT NULL,
    read_id INTEGER NOT NULL,
    PRIMARY KEY (user_key, conversation)
  ) WITHOUT ROWID;
  -- user_key '*' is everyone in the channel (@channel, @here).
  CREATE TABLE mentions (
    conversation TEXT NOT NULL,
    id INTEGER NOT NULL,
    user_key TEXT NOT NULL,
    PRIMARY KEY (conversation, id, user_key)
  ) WITHOUT ROWID;
  -- partner: the other user's handle in display case.
  CREATE TABLE direct_partners (
    user_key TEXT NOT NULL,
    partner_key TEXT NOT NULL,
    partner TEXT NOT NULL,
    PRIMARY KEY (user_key, partner_key)
  ) WITHOUT ROWID;
  -- A rowid table on purpose: rowid order is the order sessions were issued in.
  CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_key TEXT NOT NULL REFERENCES users(key),
    created TEXT NOT NULL,
    expires TEXT NOT NULL
  );
  CREATE INDEX sessions_by_user ON sessions (user_key);
  ALTER TABLE channels ADD COLUMN topic TEXT NOT NULL DEFAULT '';
  ALTER TABLE channels ADD COLUMN topic_by TEXT;
  ALTER TABLE channels ADD COLUMN topic_ts TEXT;

  -- Who has talked to whom, from the direct conversations so far (keys 'a b').
  INSERT OR IGNORE INTO direct_partners (user_key, partner_key, partner)
    SELECT p.a, p.b, coalesce(u.handle, p.b) FROM (
      SELECT substr(key, 1, instr(key, ' ') - 1) AS a, substr(key, instr(key, ' ') + 1) AS b FROM conversations WHERE instr(key, ' ') > 0
      UNION SELECT substr(key, instr(key, ' ') + 1), substr(key, 1, instr(key, ' ') - 1) FROM conversations WHERE instr(key, ' ') > 0
    ) p LEFT JOIN users u ON u.key = p.b;
  -- Everything before the upgrade counts as read: it should not light up every badge.
  INSERT INTO read_marks (user_key, conversation, read_id)
    SELECT mb.user_key, mb.channel_key, coalesce(c.last_id, 0) FROM members mb LEFT JOIN conversations c ON c.key = mb.channel_key;
  INSERT OR IGNORE INTO read_marks (user_key, conversation, read_id)
    SELECT dp.user_key, c.key, c.last_id FROM direct_partners dp JOIN conversations c
      ON c.key IN (dp.user_key || ' ' || dp.partner_key, dp.partner_key || ' ' || dp.user_key);
  `,
  // 4: each claimed user's settings (PREF): a key and a line of text.
  `
  CREATE TABLE prefs (
    user_key TEXT NOT NULL REFERENCES users(key),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (user_key, key)
  ) WITHOUT ROWID;
  `,
  // 5: the log (issue 17). Every change to a conversation takes its next id: messages and
  // thread replies stay in messages (root: the reply's root id; also: shown in the main flow
  // too), edits, deletes and reactions go to changes. A message row is its current state: an
  // edit overwrites the body (edited: when), a delete empties it (deleted). The reactions
  // table is the current set, one row per (message, reaction, user) (added: the entry that
  // added it); the message row's reactions column is that set as HISTORY shows it (JSON, in
  // order), rewritten with each change, so a page of history reads no reaction rows.
  // threads is each root's summary (repliers: a JSON array of handles, most recent first);
  // thread_marks who follows which thread and how far they have read it.
  `
  ALTER TABLE messages ADD COLUMN root INTEGER;
  ALTER TABLE messages ADD COLUMN also INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE messages ADD COLUMN edited TEXT;
  ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE messages ADD COLUMN reactions TEXT;
  -- The main flow (history, unread counts): a page never steps over thread replies. Queries
  -- repeat this WHERE word for word, which is how SQLite knows the index applies.
  CREATE INDEX messages_main_flow ON messages (conversation, id) WHERE root IS NULL OR also = 1;
  CREATE INDEX messages_by_root ON messages (conversation, root, id) WHERE root IS NOT NULL;
  CREATE TABLE changes (
    conversation TEXT NOT NULL,
    id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('edit', 'delete', 'react', 'unreact')),
    of INTEGER NOT NULL,
    target TEXT NOT NULL,
    sender TEXT NOT NULL,
    ts TEXT NOT NULL,
    reaction TEXT,
    PRIMARY KEY (conversation, id)
  ) WITHOUT ROWID;
  CREATE TABLE reactions (
    conversation TEXT NOT NULL,
    id INTEGER NOT NULL,
    reaction TEXT NOT NULL,
    user_key TEXT NOT NULL,
    user TEXT NOT NULL,
    added INTEGER NOT NULL,
    PRIMARY KEY (conversation, id, reaction, user_key)
  ) WITHOUT ROWID;
  CREATE TABLE threads (
    conversation TEXT NOT NULL,
    root INTEGER NOT NULL,
    replies INTEGER NOT NULL,
    last_id INTEGER NOT NULL,
    last_ts TEXT NOT NULL,
    repliers TEXT NOT NULL,
    PRIMARY KEY (conversation, root)
  ) WITHOUT ROWID;
  CREATE TABLE thread_marks (
    user_key TEXT NOT NULL,
    conversation TEXT NOT NULL,
    root INTEGER NOT NULL,
    read_id INTEGER NOT NULL,
    following INTEGER NOT NULL,
    PRIMARY KEY (user_key, conversation, root)
  ) WITHOUT ROWID;
  -- A delete takes its message out of every offline queue.
  CREATE INDEX offline_by_message ON offline (conversation, id);
  `,
  // 6: SEARCH (sqlite-search.ts): an FTS5 index of every message that is not deleted, its
  // words computed in JS (core/search-query.ts), keyed by the message row's rowid, which is
  // from now on its time (ms * 1024 + its place in that ms), so the index reads newest first.
  // JS_STEPS[6], in this migration's transaction, renumbers the messages already there so
  // and indexes them.
  SEARCH_TABLE_SQL,
  // 7: who blocks whom (BLOCK): the chat rules refuse a blocked user's direct messages.
  `
  CREATE TABLE blocks (
    user_key TEXT NOT NULL REFERENCES users(key),
    blocked_key TEXT NOT NULL REFERENCES users(key),
    PRIMARY KEY (user_key, blocked_key)
  ) WITHOUT ROWID;
  `,
  // 8: private channels (CREATE #name private): listed and readable only by their members.
  // Channels from before are public.
  `
  ALTER TABLE channels ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
  `,
  // 9: roles, bans, suspensions and the moderation log (OP, KICK, BAN, SUSPEND, MODLOG).
  // Channels from before have no owner until an admin gives them one (OWNER). A role's seq
  // is the order it was first granted: the longest-standing op owns a channel its owner leaves.
  `
  CREATE TABLE channel_roles (
    seq INTEGER PRIMARY KEY,
    channel_key TEXT NOT NULL,
    user_key TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'op')),
    UNIQUE (channel_key, user_key)
  );
  CREATE UNIQUE INDEX channel_roles_one_owner ON channel_roles (channel_key) WHERE role = 'owner';
  CREATE TABLE channel_bans (
    channel_key TEXT NOT NULL,
    user_key TEXT NOT NULL,
    PRIMARY KEY (channel_key, user_key)
  ) WITHOUT ROWID;
  CREATE TABLE suspensions (user_key TEXT PRIMARY KEY) WITHOUT ROWID;
  CREATE TABLE modlog (
    seq INTEGER PRIMARY KEY,
    ts TEXT NOT NULL,
    action TEXT NOT NULL,
    by_handle TEXT NOT NULL,
    whom TEXT NOT NULL,
    channel TEXT,
    channel_key TEXT,
    msg_id INTEGER,
    reason TEXT
  );
  CREATE INDEX modlog_by_channel ON modlog (channel_key, seq);
  `,
  // 10: SEARCH's index written behind the messages, in slices of its own transaction
  // (sqlite-search-queue.ts). Messages whose rowid is above the watermark search_indexed_to
  // wait for the index, and so do those of search_pending (a rowid at or below the watermark:
  // a time earlier than one indexed). Everything before this migration is indexed.
  `
  CREATE TABLE search_pending (message INTEGER PRIMARY KEY);
  INSERT INTO meta (key, value) SELECT 'search_indexed_to', coalesce(max(rowid), 0) FROM messages;
  `,
  // 11: the main flow without its own index (issue 17: it cost ~1,650 WAL bytes a message,
  // more than the search index ever did). reply_runs holds each run of consecutive message
  // rows of a conversation (in id order) that are thread replies not shown in the main flow;
  // a page of the main flow reads the (conversation, id) key and jumps over a run at once
  // (sqlite-log.ts), so it costs at most one jump per message it returns. Only such a reply
  // writes a run row. The runs already there are found by gaps and islands.
  `
  DROP INDEX messages_main_flow;
  CREATE TABLE reply_runs (
    conversation TEXT NOT NULL,
    last INTEGER NOT NULL,
    first INTEGER NOT NULL,
    PRIMARY KEY (conversation, last)
  ) WITHOUT ROWID;
  INSERT INTO reply_runs (conversation, last, first)
    SELECT conversation, max(id), min(id) FROM (
      SELECT conversation, id, (root IS NOT NULL AND also = 0) AS hidden,
        row_number() OVER (PARTITION BY conversation ORDER BY id)
          - row_number() OVER (PARTITION BY conversation, (root IS NOT NULL AND also = 0) ORDER BY id) AS grp
      FROM messages)
    WHERE hidden GROUP BY conversation, grp;
  `,
];

/**
 * Steps of a migration that SQL cannot do, run after it in the same transaction: migration 6
 * indexes the history, whose words only JS computes.
 */
const JS_STEPS: Readonly<Record<number, (db: Database.Database) => void>> = { 6: indexHistory };

export const SCHEMA_VERSION = MIGRATIONS.length;

export class NewerSchemaError extends Error {}

/**
 * Brings the schema up to date in one immediate transaction. It always writes user_version,
 * even when nothing is pending: that first write takes the exclusive lock the store holds
 * for its lifetime, so a second server on the same file fails at start-up, not mid-run.
 */
export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new NewerSchemaError(
      `its schema version is ${current}, but this server knows only up to ${SCHEMA_VERSION}`,
    );
  }
  db.transaction(() => {
    for (let v = current; v < SCHEMA_VERSION; v++) {
      db.exec(MIGRATIONS[v]);
      JS_STEPS[v + 1]?.(db);
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
