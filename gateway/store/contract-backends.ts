import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { CommitResult, NewMessage, Store, StoreWrite } from './store.ts';
import { MemoryStore } from './memory-store.ts';
import { openSqliteStore, type SqliteStore } from './sqlite-store.ts';
import { openPostgresStore } from './postgres-store.ts';
import { startPostgres, type TestPostgres } from '../test/support/services.ts';

/**
 * The three stores the contract suites run against (store-contract.test.ts,
 * read-state-contract.test.ts): memory, SQLite on a real file in a fresh temp directory, and
 * a real PostgreSQL (one server per test file, a fresh database per test), with helpers to
 * write batches. `useBackends()` starts and stops the PostgreSQL server around a file.
 */

/** One test's database: `open` twice reaches the same data, where anything persists. */
export type TestDb = { open(): Promise<Store>; cleanup(): Promise<void> };

export type Backend = {
  name: string;
  persistent: boolean;
  fresh(): Promise<TestDb>;
  /** Makes commits fail as the database would, until the returned function undoes it. */
  breakStorage?: (db: TestDb, store: Store) => Promise<() => Promise<void>>;
};

let postgres: TestPostgres;
let admin: pg.Client;
let databases = 0;

/** Call at the top of a test file: a real PostgreSQL for its PostgresStore backend. */
export function useBackends(): Backend[] {
  beforeAll(async () => {
    postgres = await startPostgres();
    admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await postgres?.stop();
  });
  return backends;
}

const urls = new WeakMap<TestDb, string>();

const backends: Backend[] = [
  {
    name: 'MemoryStore',
    persistent: false,
    fresh: async () => ({ open: async () => new MemoryStore(), cleanup: async () => {} }),
  },
  {
    name: 'SqliteStore',
    persistent: true,
    fresh: async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slck-contract-'));
      return { open: async () => openSqliteStore(dir), cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) };
    },
    // query_only: every write is refused with SQLITE_READONLY, as on a read-only file.
    breakStorage: async (_db, store) => {
      (store as SqliteStore).db.pragma('query_only = ON');
      return async () => void (store as SqliteStore).db.pragma('query_only = OFF');
    },
  },
  {
    name: 'PostgresStore',
    persistent: true,
    fresh: async () => {
      const name = `contract_${++databases}`;
      await admin.query(`CREATE DATABASE ${name}`);
      const url = postgres.url.replace(/\/postgres$/, `/${name}`);
      const db = { open: () => openPostgresStore(url), cleanup: async () => {} };
      urls.set(db, url);
      return db;
    },
    // The server refuses every new message (after the batch's other writes and the counter
    // bump): what any failure mid-transaction looks like. Its outages are in postgres-store.test.ts.
    breakStorage: async (db) => {
      const client = new pg.Client({ connectionString: urls.get(db) });
      await client.connect();
      await client.query('ALTER TABLE messages ADD CONSTRAINT contract_refuses CHECK (false) NOT VALID');
      return async () => {
        await client.query('ALTER TABLE messages DROP CONSTRAINT contract_refuses');
        await client.end();
      };
    },
  },
];

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const read = (b: Uint8Array): string => new TextDecoder().decode(b);
let clock = Date.UTC(2026, 10, 22, 10, 0, 0);
/** The next message time: each one a millisecond after the last. */
export const nextTime = (): string => new Date(clock++).toISOString();
export const msg = (target: string, from: string, body: string): NewMessage => ({
  target,
  from,
  ts: nextTime(),
  body: text(body),
});
export const append = (target: string, from: string, body: string, offlineFor?: string): StoreWrite =>
  ({ op: 'append', message: msg(target, from, body), offlineFor });
export const users = (...handles: string[]): StoreWrite[] => handles.map((handle) => ({ op: 'addUser', handle }));
export const bodies = (messages: { body: Uint8Array }[]): string[] => messages.map((m) => read(m.body));
/** A refused batch: null (a failure the store reports) or a rejection (a caller's bug). */
export const refused = (p: Promise<CommitResult | null>): Promise<CommitResult | null> => p.catch(() => null);

