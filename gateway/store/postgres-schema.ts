import type pg from 'pg';

/**
 * The PostgreSQL schema as an ordered list of migrations, applied at start-up. Several nodes
 * may start at once: each takes the same advisory lock first, so exactly one applies what
 * is pending and the others find it done. Append new migrations at the end; never edit one
 * that has shipped.
 *
 * Keys are lower-cased names with their sigil (`@jane`, `#general`); a direct conversation's
 * key is both handle keys, sorted and joined by a space. Display columns keep the case a
 * name was first written in.
 */
export const PG_MIGRATIONS: readonly string[] = [
  // 1: users, channels, membership, conversations with their counters, messages, offline queue.
  `
  CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
  INSERT INTO meta (key, value) VALUES ('epoch', md5(random()::text || clock_timestamp()::text));
  CREATE TABLE users (
    key text PRIMARY KEY,
    handle text NOT NULL,
    password_hash text,
    created timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE channels (
    key text PRIMARY KEY,
    name text NOT NULL,
    created timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE members (
    channel_key text NOT NULL REFERENCES channels (key),
    user_key text NOT NULL REFERENCES users (key),
    joined bigserial,
    PRIMARY KEY (channel_key, user_key)
  );
  -- last_id is bumped in the transaction that inserts the messages: its row lock makes ids
  -- gapless and commit order equal id order within a conversation (a sequence would not).
  CREATE TABLE conversations (
    key text PRIMARY KEY,
    last_id bigint NOT NULL
  );
  CREATE TABLE messages (
    conversation text NOT NULL,
    id bigint NOT NULL,
    target text NOT NULL,
    sender text NOT NULL,
    ts text NOT NULL,
    body bytea NOT NULL,
    PRIMARY KEY (conversation, id)
  );
  CREATE TABLE offline (
    user_key text NOT NULL REFERENCES users (key),
    conversation text NOT NULL,
    id bigint NOT NULL,
    PRIMARY KEY (user_key, conversation, id),
    FOREIGN KEY (conversation, id) REFERENCES messages (conversation, id)
  );
  `,
  // 2: what each user has read, whom messages mention, who has direct conversations with
  // whom, sign-in session tokens (their hashes), and channel topics.
  `
  CREATE TABLE read_marks (
    user_key text NOT NULL REFERENCES users (key),
    conversation text NOT NULL,
    read_id bigint NOT NULL,
    PRIMARY KEY (user_key, conversation)
  );
  -- user_key '*' is everyone in the channel (@channel, @here).
  CREATE TABLE mentions (
    conversation text NOT NULL,
    id bigint NOT NULL,
    user_key text NOT NULL,
    PRIMARY KEY (conversation, id, user_key)
  );
  -- partner: the other user's handle in display case.
  CREATE TABLE direct_partners (
    user_key text NOT NULL,
    partner_key text NOT NULL,
    partner text NOT NULL,
    PRIMARY KEY (user_key, partner_key)
  );
  CREATE TABLE sessions (
    token_hash text PRIMARY KEY,
    user_key text NOT NULL REFERENCES users (key),
    created timestamptz NOT NULL DEFAULT now(),
    expires timestamptz NOT NULL
  );
  CREATE INDEX sessions_by_user ON sessions (user_key);
  ALTER TABLE channels ADD COLUMN topic text NOT NULL DEFAULT '', ADD COLUMN topic_by text, ADD COLUMN topic_ts text;

  -- Who has talked to whom, from the direct conversations so far (keys 'a b').
  INSERT INTO direct_partners (user_key, partner_key, partner)
    SELECT p.a, p.b, coalesce(u.handle, p.b) FROM (
      SELECT split_part(key, ' ', 1) AS a, split_part(key, ' ', 2) AS b FROM conversations WHERE position(' ' in key) > 0
      UNION SELECT split_part(key, ' ', 2), split_part(key, ' ', 1) FROM conversations WHERE position(' ' in key) > 0
    ) p LEFT JOIN users u ON u.key = p.b
    ON CONFLICT DO NOTHING;
  -- Everything before the upgrade counts as read: it should not light up every badge.
  INSERT INTO read_marks (user_key, conversation, read_id)
    SELECT m.user_key, m.channel_key, coalesce(c.last_id, 0) FROM members m LEFT JOIN conversations c ON c.key = m.channel_key;
  INSERT INTO read_marks (user_key, conversation, read_id)
    SELECT dp.user_key, c.key, c.last_id FROM direct_partners dp JOIN conversations c
      ON c.key IN (dp.user_key || ' ' || dp.partner_key, dp.partner_key || ' ' || dp.user_key)
    ON CONFLICT DO NOTHING;
  `,
  // 3: each claimed user's settings (PREF): a key and a line of text.
  `
  CREATE TABLE prefs (
    user_key text NOT NULL REFERENCES users (key),
    key text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (user_key, key)
  );
  `,
  // 4: the log (issue 17), as SQLite's migration 5: replies and message state in messages,
  // edits, deletes and reactions in changes, the current reactions, thread summaries and
  // thread marks. The main flow's partial index keeps a history page off thread replies; a
  // message's reactions column is its reaction set as HISTORY shows it (JSON), so a page
  // reads no reaction rows.
  `
  ALTER TABLE messages ADD COLUMN root bigint, ADD COLUMN also boolean NOT NULL DEFAULT false,
    ADD COLUMN edited text, ADD COLUMN deleted boolean NOT NULL DEFAULT false, ADD COLUMN reactions text;
  -- Edits and reactions rewrite message rows: room on each new page lets PostgreSQL keep the
  -- new version there (a HOT update, no new index entries), so history's index does not
  -- fill with dead entries between vacuums.
  ALTER TABLE messages SET (fillfactor = 85);
  CREATE INDEX messages_main_flow ON messages (conversation, id) WHERE root IS NULL OR also;
  CREATE INDEX messages_by_root ON messages (conversation, root, id) WHERE root IS NOT NULL;
  CREATE TABLE changes (
    conversation text NOT NULL,
    id bigint NOT NULL,
    kind text NOT NULL CHECK (kind IN ('edit', 'delete', 'react', 'unreact')),
    of bigint NOT NULL,
    target text NOT NULL,
    sender text NOT NULL,
    ts text NOT NULL,
    reaction text,
    PRIMARY KEY (conversation, id)
  );
  CREATE TABLE reactions (
    conversation text NOT NULL,
    id bigint NOT NULL,
    reaction text NOT NULL,
    user_key text NOT NULL,
    "user" text NOT NULL,
    added bigint NOT NULL,
    PRIMARY KEY (conversation, id, reaction, user_key)
  );
  CREATE TABLE threads (
    conversation text NOT NULL,
    root bigint NOT NULL,
    replies integer NOT NULL,
    last_id bigint NOT NULL,
    last_ts text NOT NULL,
    repliers text[] NOT NULL,
    PRIMARY KEY (conversation, root)
  );
  CREATE TABLE thread_marks (
    user_key text NOT NULL,
    conversation text NOT NULL,
    root bigint NOT NULL,
    read_id bigint NOT NULL,
    following boolean NOT NULL,
    PRIMARY KEY (user_key, conversation, root)
  );
  CREATE INDEX offline_by_message ON offline (conversation, id);
  `,
  // 5: SEARCH (postgres-search.ts): each message's words as a tsvector, computed in JS, and
  // a GIN index on it; NULL for a deleted message, and until the history before this
  // migration is indexed by indexHistory, in batches, when a node opens the store. The
  // index on ts lets a search of common words read the newest messages first and stop at
  // its limit, where the GIN index would hand over every match.
  `
  ALTER TABLE messages ADD COLUMN search tsvector;
  CREATE INDEX messages_search ON messages USING gin (search);
  CREATE INDEX messages_by_ts ON messages (ts);
  `,
  // 6: who blocks whom (BLOCK): the chat rules refuse a blocked user's direct messages.
  `
  CREATE TABLE blocks (
    user_key text NOT NULL REFERENCES users (key),
    blocked_key text NOT NULL REFERENCES users (key),
    PRIMARY KEY (user_key, blocked_key)
  );
  `,
  // 7: private channels (CREATE #name private): listed and readable only by their members.
  // Channels from before are public.
  `
  ALTER TABLE channels ADD COLUMN private boolean NOT NULL DEFAULT false;
  `,
  // 8: roles, bans, suspensions and the moderation log (OP, KICK, BAN, SUSPEND, MODLOG).
  // Channels from before have no owner until an admin gives them one (OWNER). A role's seq
  // is the order it was first granted: the longest-standing op owns a channel its owner leaves.
  `
  CREATE TABLE channel_roles (
    seq bigserial PRIMARY KEY,
    channel_key text NOT NULL,
    user_key text NOT NULL,
    role text NOT NULL CHECK (role IN ('owner', 'op')),
    UNIQUE (channel_key, user_key)
  );
  CREATE UNIQUE INDEX channel_roles_one_owner ON channel_roles (channel_key) WHERE role = 'owner';
  CREATE TABLE channel_bans (
    channel_key text NOT NULL,
    user_key text NOT NULL,
    PRIMARY KEY (channel_key, user_key)
  );
  CREATE TABLE suspensions (user_key text PRIMARY KEY);
  CREATE TABLE modlog (
    seq bigserial PRIMARY KEY,
    ts text NOT NULL,
    action text NOT NULL,
    by_handle text NOT NULL,
    whom text NOT NULL,
    channel text,
    channel_key text,
    msg_id integer,
    reason text
  );
  CREATE INDEX modlog_by_channel ON modlog (channel_key, seq);
  `,
];

/** Any constant both nodes agree on: the key of the migration lock. */
const MIGRATION_LOCK = 0x51c4;

export class NewerPgSchemaError extends Error {}

export async function migratePostgres(client: pg.PoolClient): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version int NOT NULL)');
    const row = (await client.query<{ version: number }>('SELECT version FROM schema_version')).rows[0];
    const current = row?.version ?? 0;
    if (current > PG_MIGRATIONS.length) {
      throw new NewerPgSchemaError(`its schema version is ${current}, but this server knows only up to ${PG_MIGRATIONS.length}`);
    }
    for (let v = current; v < PG_MIGRATIONS.length; v++) await client.query(PG_MIGRATIONS[v]);
    if (row === undefined) await client.query('INSERT INTO schema_version (version) VALUES ($1)', [PG_MIGRATIONS.length]);
    else await client.query('UPDATE schema_version SET version = $1', [PG_MIGRATIONS.length]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
