import type pg from 'pg';

/**
 * The tables of the PostgreSQL file store (postgres-file-store.ts), migrated on their own: a
 * version in `files_schema_version` and a lock of their own, so the main store's migrations
 * (store/postgres-schema.ts) are neither renumbered nor waited on. Nodes starting at once
 * take the lock in turn; one applies what is pending, the others find it done. Append new
 * migrations at the end; never edit one that has shipped.
 */
export const FILE_MIGRATIONS: readonly string[] = [
  // 1: files, the messages that carry them, and their bytes.
  `
  CREATE TABLE files (
    id text PRIMARY KEY,
    name text NOT NULL,
    type text NOT NULL,
    size bigint NOT NULL,
    uploader text NOT NULL,
    created timestamptz NOT NULL,
    width integer,
    height integer,
    thumb boolean NOT NULL DEFAULT false,
    -- The conversation of the first share (it decides who may read the file); null until then.
    conv text,
    -- Shared by more than MAX_REFERENCES messages: no delete removes it.
    pinned boolean NOT NULL DEFAULT false
  );
  CREATE INDEX files_by_uploader ON files (uploader);
  CREATE INDEX files_unshared ON files (created) WHERE conv IS NULL;
  CREATE TABLE file_refs (
    id text NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    conv text NOT NULL,
    message bigint NOT NULL,
    n bigserial,
    PRIMARY KEY (id, message)
  );
  CREATE INDEX file_refs_by_message ON file_refs (conv, message);
  -- variant 0: the bytes served; 1: the thumbnail.
  CREATE TABLE file_chunks (
    id text NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    variant smallint NOT NULL,
    seq integer NOT NULL,
    bytes bytea NOT NULL,
    PRIMARY KEY (id, variant, seq)
  );
  -- Out of line and uncompressed: most files are compressed already (images, archives), and
  -- trying again costs CPU on every write for nothing.
  ALTER TABLE file_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;
  `,
];

/** Any constant all nodes agree on, other than the main store's (0x51c4). */
const FILES_MIGRATION_LOCK = 0x51c5;

export async function migrateFileTables(client: pg.PoolClient): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [FILES_MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS files_schema_version (version int NOT NULL)');
    const row = (await client.query<{ version: number }>('SELECT version FROM files_schema_version')).rows[0];
    const current = row?.version ?? 0;
    if (current > FILE_MIGRATIONS.length) {
      throw new Error(`its files schema version is ${current}, but this server knows only up to ${FILE_MIGRATIONS.length}`);
    }
    for (let v = current; v < FILE_MIGRATIONS.length; v++) await client.query(FILE_MIGRATIONS[v]);
    if (row === undefined) await client.query('INSERT INTO files_schema_version (version) VALUES ($1)', [FILE_MIGRATIONS.length]);
    else await client.query('UPDATE files_schema_version SET version = $1', [FILE_MIGRATIONS.length]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
