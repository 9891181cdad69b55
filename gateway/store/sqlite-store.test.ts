import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewMessage } from './store.ts';
import { openSqliteStore, type SqliteStore } from './sqlite-store.ts';
import { SCHEMA_VERSION } from './sqlite-schema.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const read = (b: Uint8Array): string => new TextDecoder().decode(b);
const msg = (target: string, from: string, body: string | Uint8Array): NewMessage => ({
  target,
  from,
  ts: new Date().toISOString(),
  body: typeof body === 'string' ? text(body) : body,
});

describe('SqliteStore on a real file', () => {
  let dir: string;
  const open: SqliteStore[] = [];
  const openStore = (dataDir = dir, busyTimeoutMs?: number): SqliteStore => {
    const store = openSqliteStore(dataDir, { busyTimeoutMs });
    open.push(store);
    return store;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slck-sqlite-'));
  });
  afterEach(() => {
    for (const store of open.splice(0)) store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the data directory and names the file in its description', () => {
    const dataDir = path.join(dir, 'nested', 'data');
    const store = openStore(dataDir);
    expect(fs.statSync(path.join(dataDir, 'slck.db')).isFile()).toBe(true);
    expect(store.description).toBe(`sqlite ${path.join(dataDir, 'slck.db')}`);
  });

  it('keeps users, channels, members, messages and the offline queue across a reopen', () => {
    const first = openStore();
    first.addUser('@Jane');
    first.setPassword('@jane', 'scrypt$16384$8$1$c2FsdA==$aGFzaA==');
    first.addUser('@john');
    first.addChannel('#General');
    first.addMember('#general', '@jane');
    first.addMember('#general', '@john');
    const hello = first.append(msg('#general', '@Jane', 'hello'));
    const dm = first.append(msg('@john', '@Jane', 'psst'), '@john');
    expect(first.commit()).toBe(true);
    first.close();

    const again = openStore();
    expect(again.getUser('@JANE')).toEqual({
      handle: '@Jane',
      passwordHash: 'scrypt$16384$8$1$c2FsdA==$aGFzaA==',
    });
    expect(again.listUsers()).toEqual(['@Jane', '@john']);
    expect(again.listChannels()).toEqual([{ name: '#General', members: ['@Jane', '@john'] }]);
    expect(again.channelHistory('#general', { limit: 10 }).map((m) => [m.id, read(m.body)])).toEqual([
      [hello, 'hello'],
    ]);
    expect(again.takeOffline('@john').map((m) => [m.id, m.target, m.from, read(m.body)])).toEqual([
      [dm, '@john', '@Jane', 'psst'],
    ]);
    expect(again.append(msg('#general', '@john', 'later'))).toBeGreaterThan(dm);
    expect(again.commit()).toBe(true);
  });

  it('loses a batch that was never committed, as a crash would', () => {
    const first = openStore();
    first.append(msg('#general', '@jane', 'kept'));
    first.commit();
    first.append(msg('#general', '@jane', 'not committed'));
    first.addUser('@ghost');
    first.close();

    const again = openStore();
    expect(again.channelHistory('#general', { limit: 10 }).map((m) => read(m.body))).toEqual(['kept']);
    expect(again.getUser('@ghost')).toBeUndefined();
  });

  it('keeps every committed message when the process is killed with SIGKILL', async () => {
    // A separate process commits, reports each committed id, stages one more, then waits.
    const storeModule = fileURLToPath(new URL('./sqlite-store.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', `
        const { openSqliteStore } = await import(${JSON.stringify(storeModule)});
        const store = openSqliteStore(${JSON.stringify(dir)});
        const m = (body) => ({ target: '#general', from: '@jane', ts: new Date().toISOString(),
          body: new TextEncoder().encode(body) });
        for (let batch = 0; batch < 5; batch++) {
          const ids = [1, 2, 3].map((n) => store.append(m('batch ' + batch + ' #' + n)));
          if (store.commit()) console.log('committed ' + ids.join(' '));
        }
        store.append(m('staged, never committed'));
        console.log('staged');
        setInterval(() => {}, 1000);
      `],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('staged')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${out}`)));
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    const acknowledged = [...out.matchAll(/committed ([\d ]+)/g)].flatMap((m) => m[1].split(' ').map(Number));
    expect(acknowledged).toHaveLength(15);
    const store = openStore();
    const kept = store.channelHistory('#general', { limit: 100 });
    expect(kept.map((m) => m.id)).toEqual(acknowledged);
    expect(kept.map((m) => read(m.body))).not.toContain('staged, never committed');
  });

  it('records the schema version in the file', () => {
    openStore().close();
    const db = new Database(path.join(dir, 'slck.db'), { readonly: true });
    try {
      expect(SCHEMA_VERSION).toBeGreaterThan(0);
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
      expect(tables).toEqual(['channels', 'members', 'messages', 'offline', 'users']);
    } finally {
      db.close();
    }
  });

  it('refuses a database written by a newer version, naming the file', () => {
    openStore().close();
    const file = path.join(dir, 'slck.db');
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openStore()).toThrow(file);
    expect(() => openStore()).toThrow(/newer/);
  });

  it('refuses a corrupt database file, naming it and what to do', () => {
    const file = path.join(dir, 'slck.db');
    const junk = new Uint8Array(8192).map((_, i) => (i * 7919 + 13) % 251);
    fs.writeFileSync(file, junk);
    expect(() => openStore()).toThrow(file);
    expect(() => openStore()).toThrow(/file is not a database.*Move it aside/);
    // The bad file is left as it was, for the operator to inspect.
    expect(new Uint8Array(fs.readFileSync(file))).toEqual(junk);
  });

  it('refuses a database whose header is fine but a page is damaged, naming it', () => {
    const store = openStore();
    for (let i = 0; i < 50; i++) store.addUser(`@user${i}`);
    store.append(msg('#general', '@user1', 'x'.repeat(20000)));
    expect(store.commit()).toBe(true);
    store.close();
    const file = path.join(dir, 'slck.db');
    const bytes = fs.readFileSync(file);
    const pageSize = bytes.readUInt16BE(16);
    // Page 2 onwards: table pages. Scribble over the second one.
    bytes.fill(0x5a, pageSize, pageSize * 2);
    fs.writeFileSync(file, bytes);
    expect(() => openStore()).toThrow(file);
    expect(() => openStore()).toThrow(/damaged|not a usable/);
  });

  it('refuses a data directory that cannot be created, naming it', () => {
    const blocker = path.join(dir, 'a-file');
    fs.writeFileSync(blocker, 'not a directory');
    const under = path.join(blocker, 'data');
    expect(() => openStore(under)).toThrow(under);
    expect(() => openStore(under)).toThrow(/Cannot create the data directory/);
    expect(() => openStore(blocker)).toThrow(blocker);
  });

  it('refuses a file that cannot be opened as a database, naming it', () => {
    fs.mkdirSync(path.join(dir, 'slck.db'));
    expect(() => openStore()).toThrow(path.join(dir, 'slck.db'));
  });

  it('refuses a second store on a data directory already in use', () => {
    openStore();
    expect(() => openStore(dir, 50)).toThrow(/in use by another process/);
    expect(() => openStore(dir, 50)).toThrow(path.join(dir, 'slck.db'));
  });

  it('reports a disk-full batch as failed, loses all of it, and works for the next batch', () => {
    const store = openStore();
    store.addUser('@jane');
    store.addUser('@john');
    const queued = store.append(msg('@john', '@jane', 'queued'), '@john');
    store.append(msg('#general', '@jane', 'kept'));
    expect(store.commit()).toBe(true);

    // Cap the file at its current size: the next page it needs fails with SQLITE_FULL.
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages}`);
    const small = store.append(msg('#general', '@jane', 'small, fits in a page'));
    store.addChannel('#lost');
    expect(store.takeOffline('@john').map((m) => m.id)).toEqual([queued]);
    const big = store.append(msg('#general', '@jane', new Uint8Array(65536)));
    const afterBig = store.append(msg('#general', '@jane', 'after the failure'));
    expect(big).toBeGreaterThan(small);
    expect(afterBig).toBeGreaterThan(big);
    expect(store.dirty).toBe(true);
    expect(store.commit()).toBe(false);
    expect(store.lastFailure?.message).toMatch(/full/);
    expect(store.dirty).toBe(false);

    // Nothing of the failed batch remains, the offline queue included.
    const history = () => store.channelHistory('#general', { limit: 10 }).map((m) => read(m.body));
    expect(history()).toEqual(['kept']);
    expect(store.listChannels()).toEqual([]);

    store.db.pragma('max_page_count = 1073741823');
    const next = store.append(msg('#general', '@jane', 'next batch'));
    expect(store.commit()).toBe(true);
    expect(store.lastFailure).toBeNull();
    expect(history()).toEqual(['kept', 'next batch']);
    // The failed batch's state writes were undone with it: none of them was acknowledged.
    expect(store.listChannels()).toEqual([]);
    store.close();

    const again = openStore();
    expect(again.channelHistory('#general', { limit: 10 }).map((m) => [m.id, read(m.body)])).toEqual([
      [queued + 1, 'kept'],
      [next, 'next batch'],
    ]);
    // The hand-over was undone too: the queued message is handed over again.
    expect(again.takeOffline('@john').map((m) => m.id)).toEqual([queued]);
    expect(again.listChannels()).toEqual([]);
  });

  it('undoes a join and a password of a failed batch, and keeps what the next batch commits', () => {
    const store = openStore();
    store.addUser('@jane');
    expect(store.commit()).toBe(true);
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages}`);
    store.addChannel('#ops');
    store.addMember('#ops', '@jane');
    store.setPassword('@jane', 'scrypt$hash');
    store.append(msg('#ops', '@jane', new Uint8Array(65536)));
    expect(store.commit()).toBe(false);
    expect(store.listChannels()).toEqual([]);
    expect(store.getUser('@jane')?.passwordHash).toBeNull();
    store.db.pragma('max_page_count = 1073741823');
    // The hub answered ERR, so the client asks again: this batch commits.
    store.addChannel('#ops');
    store.addMember('#ops', '@jane');
    store.setPassword('@jane', 'scrypt$hash');
    expect(store.commit()).toBe(true);
    store.close();

    const again = openStore();
    expect(again.listChannels()).toEqual([{ name: '#ops', members: ['@jane'] }]);
    expect(again.getUser('@jane')?.passwordHash).toBe('scrypt$hash');
    expect(again.channelHistory('#ops', { limit: 10 })).toEqual([]);
    again.close();
  });
});
