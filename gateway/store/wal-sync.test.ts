import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../chat/group-commit.ts';
import { openSqliteStore, type SqliteStore } from './sqlite-store.ts';
import type { StoreWrite } from './store.ts';

const enc = new TextEncoder();
const append = (target: string, body: string): StoreWrite => ({
  op: 'append',
  message: { target, from: '@ann', ts: new Date().toISOString(), body: enc.encode(body) },
});

describe('the WAL sync off the event loop', () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slck-walsync-'));
    store = openSqliteStore(dir);
    await store.commit([{ op: 'addUser', handle: '@ann' }, { op: 'addChannel', name: '#general' }, { op: 'addMember', channel: '#general', handle: '@ann' }]);
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('acknowledges a batch only after an fdatasync of the WAL that began after its COMMIT', async () => {
    // SQLite itself does not sync at COMMIT: the store does, once per batch or per group.
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
    const before = store.wal.completed;
    const result = await store.commit([append('#general', 'hello')]);
    expect(result).toEqual({ ids: [1] });
    expect(store.wal.completed).toBe(before + 1);
  });

  it('gives commits made while a sync runs one later sync between them, in order', async () => {
    const before = store.wal.completed;
    const settled: number[] = [];
    const all = [1, 2, 3, 4].map((n) => store.commit([append('#general', `m${n}`)]).then((r) => settled.push(...(r?.ids ?? []))));
    await Promise.all(all);
    expect(settled).toEqual([1, 2, 3, 4]);
    // The first began a sync; the three made while it ran shared the next one.
    expect(store.wal.completed).toBe(before + 2);
    expect((await store.channelHistory('#general', { limit: 10 })).map((m) => new TextDecoder().decode(m.body))).toEqual(['m1', 'm2', 'm3', 'm4']);
  });

  it('through group commit, two batches in flight still hand out ids in staging order', async () => {
    const group = new GroupCommit(store);
    const order: number[] = [];
    const staged: Promise<void>[] = [];
    for (let turn = 0; turn < 20; turn++) {
      for (let i = 0; i < 5; i++) staged.push(group.stage([append('#general', `t${turn}.${i}`)]).then((ids) => void order.push(...(ids ?? [-1]))));
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(staged);
    expect(order).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    await group.settled();
  });

  it('refuses this and every later batch once a sync fails, saying why', async () => {
    // A real failure of fdatasync: its descriptor closed under it (EBADF).
    fs.closeSync((store.wal as unknown as { fd: number }).fd);
    expect(await store.commit([append('#general', 'lost?')])).toBeNull();
    expect(store.lastFailure?.message).toMatch(/^the disk failed to save the store \(EBADF.*\); restart the server$/);
    expect(await store.commit([append('#general', 'after')])).toBeNull();
    (store.wal as unknown as { fd: number | null }).fd = null;
  });
});
