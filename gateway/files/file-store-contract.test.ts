import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../test/support/services.ts';
import { DiskFileStore } from './disk-file-store.ts';
import { FileTooLarge, type FileStore } from './file-store.ts';
import { CHUNK_BYTES, PostgresFileStore } from './postgres-file-store.ts';

/**
 * What every FileStore does (file-store.ts), run against each implementation: local disk,
 * and PostgreSQL (a real server for this file, a fresh database per test). `reopen` opens the same storage
 * again, as a restarted server would.
 */
type Maker = () => Promise<{ store: FileStore; reopen(): Promise<FileStore> }>;

const bytes = (s: string) => Readable.from([Buffer.from(s)]);
const text = async (r: Readable | undefined) => {
  const parts: Buffer[] = [];
  for await (const c of r!) parts.push(c as Buffer);
  return Buffer.concat(parts).toString();
};
const file = (uploader = '@jane') => ({ name: 'a.txt', type: 'text/plain; charset=utf-8', uploader });
const FUTURE = new Date(Date.now() + 3_600_000);

export function fileStoreContract(name: string, make: Maker): void {
  describe(`FileStore contract: ${name}`, () => {
    const opened: FileStore[] = [];
    const open = async () => {
      const made = await make();
      opened.push(made.store);
      return { store: made.store, reopen: async () => { const s = await made.reopen(); opened.push(s); return s; } };
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    it('keeps the bytes and what is known of them', async () => {
      const { store } = await open();
      const chunks = Array.from({ length: 64 }, (_, i) => Buffer.alloc(16 * 1024, i));
      const m = await store.put(Readable.from(chunks), { ...file(), width: 3, height: 2 }, 1 << 20);
      expect(m).toEqual({ id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), name: 'a.txt', type: 'text/plain; charset=utf-8', uploader: '@jane', size: 1 << 20, width: 3, height: 2, created: expect.any(String) });
      expect(await store.meta(m.id)).toEqual(m);
      const parts: Buffer[] = [];
      for await (const c of (await store.read(m.id))!) parts.push(c as Buffer);
      expect(Buffer.concat(parts)).toEqual(Buffer.concat(chunks));
      expect(await store.meta('A'.repeat(22))).toBeUndefined();
      expect(await store.read('A'.repeat(22))).toBeUndefined();
      expect(await store.meta('../../etc/passwd')).toBeUndefined();
    });

    it('refuses past maxBytes and keeps nothing of it', async () => {
      const { store } = await open();
      await expect(store.put(bytes('x'.repeat(11)), file(), 10)).rejects.toBeInstanceOf(FileTooLarge);
      expect(await store.usage('@jane')).toBe(0);
      expect(await store.unsharedBefore(FUTURE)).toEqual([]);
      const exact = await store.put(bytes('x'.repeat(10)), file(), 10);
      expect(exact.size).toBe(10);
    });

    it('counts each uploader\'s bytes; a removal frees them', async () => {
      const { store } = await open();
      const a = await store.put(bytes('12345'), file(), 100);
      await store.put(bytes('123'), file(), 100);
      await store.put(bytes('1'), file('@kim'), 100);
      expect(await store.usage('@jane')).toBe(8);
      expect(await store.usage('@kim')).toBe(1);
      expect(await store.remove(a.id)).toBe(true);
      expect(await store.remove(a.id)).toBe(false);
      expect(await store.usage('@jane')).toBe(3);
      expect(await store.meta(a.id)).toBeUndefined();
    });

    it('is shared by its uploader only, in the conversation of the first share', async () => {
      const { store } = await open();
      const m = await store.put(bytes('x'), file(), 100);
      expect(await store.share(m.id, '@kim', '#dev', 1)).toBeUndefined();
      expect((await store.meta(m.id))!.shared).toBeUndefined();
      expect((await store.share(m.id, '@jane', '#dev', 1))!.shared).toEqual({ conv: '#dev', messages: [1] });
      expect(await store.share(m.id, '@jane', '#ops', 2)).toBeUndefined();
      expect((await store.share(m.id, '@jane', '#dev', 1))!.shared).toEqual({ conv: '#dev', messages: [1] });
      expect((await store.share(m.id, '@jane', '#dev', 5))!.shared).toEqual({ conv: '#dev', messages: [1, 5] });
      expect(await store.share('A'.repeat(22), '@jane', '#dev', 1)).toBeUndefined();
    });

    it('a deleted message takes the files only it shared', async () => {
      const { store } = await open();
      const only = await store.put(bytes('1'), file(), 100);
      const both = await store.put(bytes('2'), file(), 100);
      await store.share(only.id, '@jane', '#dev', 1);
      await store.share(both.id, '@jane', '#dev', 1);
      await store.share(both.id, '@jane', '#dev', 2);
      expect(await store.unshare('#ops', 1)).toEqual([]);
      expect(await store.unshare('#dev', 1)).toEqual([only.id]);
      expect(await store.meta(only.id)).toBeUndefined();
      expect((await store.meta(both.id))!.shared).toEqual({ conv: '#dev', messages: [2] });
      expect(await store.unshare('#dev', 2)).toEqual([both.id]);
      expect(await store.usage('@jane')).toBe(0);
    });

    it('lists the files never shared, made before a time', async () => {
      const { store } = await open();
      const a = await store.put(bytes('1'), file(), 100);
      const b = await store.put(bytes('2'), file(), 100);
      await store.share(b.id, '@jane', '#dev', 1);
      expect(await store.unsharedBefore(FUTURE)).toEqual([a.id]);
      expect(await store.unsharedBefore(new Date(Date.parse(a.created) - 1))).toEqual([]);
    });

    it('keeps files, shares and usage across a reopen', async () => {
      const { store, reopen } = await open();
      const a = await store.put(bytes('hello'), file(), 100);
      const b = await store.put(bytes('lonely'), file(), 100);
      await store.share(a.id, '@jane', '#dev', 7);
      await store.close();
      const again = await reopen();
      expect(await again.meta(a.id)).toEqual({ ...a, shared: { conv: '#dev', messages: [7] } });
      expect(await text(await again.read(a.id))).toBe('hello');
      expect(await again.usage('@jane')).toBe(11);
      expect(await again.unsharedBefore(FUTURE)).toEqual([b.id]);
      expect(await again.unshare('#dev', 7)).toEqual([a.id]);
    });
  });
}

// ---------------------------------------------------------------- local disk

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const diskDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'slck-filestore-'));
  dirs.push(d);
  return d;
};

fileStoreContract('local disk', async () => {
  const dir = diskDir();
  const store = new DiskFileStore(dir);
  await store.open();
  return {
    store,
    async reopen() {
      const s = new DiskFileStore(dir);
      await s.open();
      return s;
    },
  };
});

describe('DiskFileStore on disk', () => {
  it('writes under tmp/ and renames into place: what a crash leaves behind is removed at the next open', async () => {
    const dir = diskDir();
    const store = new DiskFileStore(dir);
    await store.open();
    const kept = await store.put(bytes('kept'), file(), 100);
    await store.close();
    // A kill -9 mid-upload leaves bytes in tmp/; one between the two renames, bytes without a sidecar.
    fs.writeFileSync(path.join(dir, 'tmp', 'deadbeef'), 'half an upload');
    fs.writeFileSync(path.join(dir, 'B'.repeat(22)), 'no sidecar');
    fs.writeFileSync(path.join(dir, `${'B'.repeat(22)}.thumb`), 'its thumbnail');
    fs.writeFileSync(path.join(dir, `${'C'.repeat(22)}.json`), '{}');
    const again = new DiskFileStore(dir);
    await again.open();
    expect(fs.readdirSync(path.join(dir, 'tmp'))).toEqual([]);
    expect(fs.readdirSync(dir).sort()).toEqual([kept.id, `${kept.id}.json`, 'tmp'].sort());
    expect(await again.meta('B'.repeat(22))).toBeUndefined();
    expect(await text(await again.read(kept.id))).toBe('kept');
    await again.close();
  });

  it('a refused upload leaves nothing in tmp/', async () => {
    const dir = diskDir();
    const store = new DiskFileStore(dir);
    await store.open();
    await expect(store.put(bytes('x'.repeat(20)), file(), 10)).rejects.toBeInstanceOf(FileTooLarge);
    expect(fs.readdirSync(dir)).toEqual(['tmp']);
    expect(fs.readdirSync(path.join(dir, 'tmp'))).toEqual([]);
    await store.close();
  });
});

// ---------------------------------------------------------------- PostgreSQL

let postgres: TestPostgres;
let admin: pg.Client;
let databases = 0;
beforeAll(async () => {
  postgres = await startPostgres();
  admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
}, 60_000);
afterAll(async () => {
  await admin?.end();
  await postgres?.stop();
});
const freshDatabase = async () => {
  const name = `files_${++databases}`;
  await admin.query(`CREATE DATABASE ${name}`);
  return postgres.url.replace(/\/postgres$/, `/${name}`);
};
const openPg = async (url: string) => {
  const s = new PostgresFileStore(url);
  await s.open();
  return s;
};

fileStoreContract('PostgreSQL', async () => {
  const url = await freshDatabase();
  return { store: await openPg(url), reopen: () => openPg(url) };
});

describe('PostgresFileStore', () => {
  const rows = async (url: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const q = async (sql: string) => Number((await c.query<{ n: string }>(sql)).rows[0].n);
      return { files: await q('SELECT count(*) AS n FROM files'), chunks: await q('SELECT count(*) AS n FROM file_chunks'), refs: await q('SELECT count(*) AS n FROM file_refs') };
    } finally {
      await c.end();
    }
  };

  it('keeps a file as rows of 256 KiB, visible to another node\'s store, and removes them with it', async () => {
    const url = await freshDatabase();
    const [one, two] = [await openPg(url), await openPg(url)];
    try {
      const data = Buffer.alloc(CHUNK_BYTES * 2 + 5, 7);
      const m = await one.put(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), file(), 1 << 20);
      expect(await rows(url)).toEqual({ files: 1, chunks: 3, refs: 0 });
      expect(await two.meta(m.id)).toEqual(m);
      const parts: Buffer[] = [];
      for await (const c of (await two.read(m.id))!) parts.push(c as Buffer);
      expect(Buffer.concat(parts)).toEqual(data);
      await two.share(m.id, '@jane', '#dev', 3);
      expect((await one.meta(m.id))!.shared).toEqual({ conv: '#dev', messages: [3] });
      expect(await one.usage('@jane')).toBe(data.length);
      expect(await two.unshare('#dev', 3)).toEqual([m.id]);
      expect(await rows(url)).toEqual({ files: 0, chunks: 0, refs: 0 });
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('an upload cut off midway (the client gone, or its connection to the database killed) leaves no row behind', async () => {
    const url = await freshDatabase();
    const store = await openPg(url);
    try {
      // The sender goes away after two chunks' worth.
      const cut = new Readable({ read() {} });
      const put = store.put(cut, file(), 1 << 30);
      cut.push(Buffer.alloc(CHUNK_BYTES * 2, 1));
      await new Promise((r) => setTimeout(r, 50));
      cut.destroy(new Error('client went away'));
      await expect(put).rejects.toThrow('client went away');
      expect(await rows(url)).toEqual({ files: 0, chunks: 0, refs: 0 });
      // The server process dies mid-upload (kill -9): its backend is gone, its transaction with it.
      const stalled = new Readable({ read() {} });
      const dying = store.put(stalled, file(), 1 << 30);
      dying.catch(() => {});
      stalled.push(Buffer.alloc(CHUNK_BYTES * 3, 2));
      const name = url.slice(url.lastIndexOf('/') + 1);
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      for (;;) {
        const { rows: busy } = await c.query("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND state = 'idle in transaction'", [name]);
        if (busy.length > 0) {
          await c.query('SELECT pg_terminate_backend($1)', [busy[0].pid]);
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      await c.end();
      stalled.push(Buffer.alloc(CHUNK_BYTES, 3));
      stalled.push(null);
      await expect(dying).rejects.toThrow();
      expect(await rows(url)).toEqual({ files: 0, chunks: 0, refs: 0 });
      expect(await store.usage('@jane')).toBe(0);
      expect(await store.unsharedBefore(FUTURE)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
