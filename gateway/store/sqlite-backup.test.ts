import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreWrite } from './store.ts';
import { DB_FILE_NAME, openSqliteStore, type SqliteStore } from './sqlite-store.ts';
import { ABANDONED, BackupError } from './sqlite-backup.ts';

// SqliteStore.backup on real files: commits go on while it copies, and the copy appears
// under its name whole or not at all. The command and the socket are gateway/test/backup.test.ts.

const append = (body: string): StoreWrite => ({
  op: 'append',
  message: { target: '#general', from: '@jane', ts: new Date().toISOString(), body: new TextEncoder().encode(body) },
});
const bodies = async (store: SqliteStore): Promise<string[]> =>
  (await store.channelHistory('#general', { limit: 100_000 })).map((m) => new TextDecoder().decode(m.body));

describe('SqliteStore.backup', () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slck-sqlite-backup-'));
    store = openSqliteStore(path.join(dir, 'data'));
    await store.commit([{ op: 'addUser', handle: '@jane' }, { op: 'addChannel', name: '#general' }]);
    // Some megabytes: the copy takes many turns of the event loop.
    await store.commit(Array.from({ length: 5000 }, (_, i) => append(`${i} ${'x'.repeat(500)}`)));
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('copies the store while commits go on between its steps; the copy opens as a store with all of them', async () => {
    const dest = path.join(dir, 'copy.db');
    let done = false;
    const copying = store.backup(dest).finally(() => (done = true));
    let during = 0;
    while (!done) {
      await store.commit([append(`during ${during++}`)]);
      await new Promise((ok) => setImmediate(ok));
    }
    const bytes = await copying;
    expect(during).toBeGreaterThan(1); // the copy did not hold the event loop from start to end
    expect(fs.statSync(dest).size).toBe(bytes);
    expect(fs.readdirSync(dir).sort()).toEqual(['copy.db', 'data']);

    const restored = path.join(dir, 'restored');
    fs.mkdirSync(restored);
    fs.copyFileSync(dest, path.join(restored, DB_FILE_NAME));
    const copy = openSqliteStore(restored);
    try {
      // Commits through the same connection while it copies are in the copy too (the first
      // is made before its first step), those after its last step (during the fsync) not:
      // the copy is the store as it was at one moment.
      const copied = await bodies(copy);
      expect(copied.length).toBeGreaterThan(5000);
      expect(copied).toEqual((await bodies(store)).slice(0, copied.length));
    } finally {
      await copy.close();
    }
  });

  it('abandoned (the server stopping), it leaves an older backup as it was and no partial file', async () => {
    const dest = path.join(dir, 'copy.db');
    fs.writeFileSync(dest, 'yesterday');
    const stopping = new AbortController();
    stopping.abort();
    await expect(store.backup(dest, stopping.signal)).rejects.toEqual(new BackupError(ABANDONED));
    expect(fs.readFileSync(dest, 'utf8')).toBe('yesterday');
    expect(fs.readdirSync(dir).sort()).toEqual(['copy.db', 'data']);
  });
});
