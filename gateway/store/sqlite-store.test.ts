import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreWrite } from './store.ts';
import { openSqliteStore, type SqliteStore } from './sqlite-store.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './sqlite-schema.ts';

// What only the SQLite store does: the file, its crashes and failures, its migrations. The
// contract all stores share is in store-contract.test.ts.

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const read = (b: Uint8Array): string => new TextDecoder().decode(b);
const append = (target: string, from: string, body: string | Uint8Array, offlineFor?: string): StoreWrite => ({
  op: 'append',
  message: { target, from, ts: new Date().toISOString(), body: typeof body === 'string' ? text(body) : body },
  offlineFor,
});
const users = (...handles: string[]): StoreWrite[] => handles.map((handle) => ({ op: 'addUser', handle }));
const idsAndBodies = (messages: { id: number; body: Uint8Array }[]) => messages.map((m) => [m.id, read(m.body)]);

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
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the data directory and names the file in its description', () => {
    const dataDir = path.join(dir, 'nested', 'data');
    const store = openStore(dataDir);
    expect(fs.statSync(path.join(dataDir, 'slck.db')).isFile()).toBe(true);
    expect(store.description).toBe(`sqlite ${path.join(dataDir, 'slck.db')}`);
  });

  it('keeps users, channels, members, messages and the offline queue across a reopen', async () => {
    const first = openStore();
    expect(await first.commit([
      ...users('@Jane', '@john'),
      { op: 'setPassword', handle: '@jane', passwordHash: 'scrypt$16384$8$1$c2FsdA==$aGFzaA==' },
      { op: 'addChannel', name: '#General' },
      { op: 'addMember', channel: '#general', handle: '@jane' },
      { op: 'addMember', channel: '#general', handle: '@john' },
      append('#general', '@Jane', 'hello'),
      append('@john', '@Jane', 'psst', '@john'),
    ])).toEqual({ ids: [1, 1] });
    const epoch = first.epoch;
    await first.close();

    const again = openStore();
    expect(again.epoch).toBe(epoch);
    expect(await again.getUser('@JANE')).toEqual({ handle: '@Jane', passwordHash: 'scrypt$16384$8$1$c2FsdA==$aGFzaA==' });
    expect(await again.listUsers()).toEqual(['@Jane', '@john']);
    expect(await again.listChannels()).toEqual([{ name: '#General', topic: null, members: ['@Jane', '@john'] }]);
    expect(idsAndBodies(await again.channelHistory('#general', { limit: 10 }))).toEqual([[1, 'hello']]);
    expect((await again.offlineFor('@john')).map((m) => [m.conversation, m.id, m.target, m.from, read(m.body)])).toEqual([
      ['@jane @john', 1, '@john', '@Jane', 'psst'],
    ]);
    expect(await again.commit([append('#general', '@john', 'later'), append('@jane', '@john', 'back')])).toEqual({ ids: [2, 2] });
  });

  it('discards a transaction left open on close, as a crash would', async () => {
    const first = openStore();
    await first.commit([append('#general', '@jane', 'kept')]);
    // What commit() leaves if the process dies between BEGIN and COMMIT.
    first.db.exec('BEGIN IMMEDIATE');
    first.db.prepare("INSERT INTO users (key, handle, created) VALUES ('@ghost', '@ghost', 'now')").run();
    first.db.prepare("UPDATE conversations SET last_id = 2 WHERE key = '#general'").run();
    await first.close();

    const again = openStore();
    expect((await again.channelHistory('#general', { limit: 10 })).map((m) => read(m.body))).toEqual(['kept']);
    expect(await again.getUser('@ghost')).toBeUndefined();
    expect(await again.commit([append('#general', '@jane', 'next')])).toEqual({ ids: [2] });
  });

  it('keeps every committed message when the process is killed with SIGKILL', async () => {
    // A separate process commits five batches, reports each batch's ids once it resolved,
    // then dies inside a sixth: its COMMIT statement is swapped for a report and a busy loop,
    // so the kill lands after the batch's writes and before COMMIT.
    const storeModule = fileURLToPath(new URL('./sqlite-store.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', `
        const { openSqliteStore } = await import(${JSON.stringify(storeModule)});
        const store = openSqliteStore(${JSON.stringify(dir)});
        const m = (body) => ({ op: 'append', message: { target: '#general', from: '@jane',
          ts: new Date().toISOString(), body: new TextEncoder().encode(body) } });
        for (let batch = 0; batch < 5; batch++) {
          const done = await store.commit([1, 2, 3].map((n) => m('batch ' + batch + ' #' + n)));
          if (done) console.log('committed ' + done.ids.join(' '));
        }
        store.sql.commit = { run() { console.log('staged'); for (;;); } };
        await store.commit([m('staged, never committed')]);
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
    expect(acknowledged).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    const store = openStore();
    const kept = await store.channelHistory('#general', { limit: 100 });
    expect(kept.map((m) => m.id)).toEqual(acknowledged);
    expect(kept.map((m) => read(m.body))).not.toContain('staged, never committed');
    // The dead batch's counter bump went with it: ids go on without a gap.
    expect(await store.commit([append('#general', '@jane', 'after')])).toEqual({ ids: [16] });
  });

  it('records the schema version in the file, and reads history through the index', async () => {
    await openStore().close();
    const db = new Database(path.join(dir, 'slck.db'), { readonly: true });
    try {
      expect(SCHEMA_VERSION).toBe(11);
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
      expect(tables).toEqual([
        'blocks', 'changes', 'channel_bans', 'channel_roles', 'channels', 'conversations', 'direct_partners', 'members', 'mentions', 'messages',
        // SEARCH's FTS5 table and its shadow tables (migration 6).
        'messages_search', 'messages_search_config', 'messages_search_data', 'messages_search_docsize', 'messages_search_idx',
        'meta', 'modlog', 'offline', 'prefs', 'reactions', 'read_marks',
        // The runs of thread replies a page of the main flow jumps over (migration 11).
        'reply_runs',
        // The messages SEARCH's index has yet to take that are not above its watermark (migration 10).
        'search_pending', 'sessions', 'suspensions', 'thread_marks', 'threads', 'users',
      ]);
      // A search reads the index's matches, then each one's row by rowid (migration 6).
      expect(plan(db, 'SELECT m.* FROM messages_search s CROSS JOIN messages m ON m.rowid = s.rowid WHERE messages_search MATCH ?')).toMatch(
        /SCAN s VIRTUAL TABLE INDEX \d+:M[\s\S]*SEARCH m USING INTEGER PRIMARY KEY \(rowid=\?\)/,
      );
      // A page of the main flow jumps over a run of thread replies by one seek (migration 11).
      expect(plan(db, 'SELECT first, last FROM reply_runs WHERE conversation = ? AND last >= ? ORDER BY last LIMIT 1')).toMatch(
        /SEARCH reply_runs USING PRIMARY KEY \(conversation=\? AND last>\?\)/,
      );
      expect(plan(db, 'SELECT * FROM reactions WHERE conversation = ? AND id >= ? AND id <= ?')).toMatch(
        /SEARCH reactions USING PRIMARY KEY \(conversation=\? AND id>\? AND id<\?\)/,
      );
      expect(plan(db, 'SELECT * FROM messages WHERE conversation = ? AND root = ? ORDER BY id DESC LIMIT ?')).toMatch(/USING INDEX messages_by_root/);
      expect(plan(db, 'DELETE FROM offline WHERE conversation = ? AND id = ?')).toMatch(/USING (COVERING )?INDEX offline_by_message/);
      expect(plan(db, 'SELECT * FROM messages WHERE conversation = ? AND id < ? ORDER BY id DESC LIMIT ?')).toMatch(
        /SEARCH messages USING INDEX \S+ \(conversation=\? AND id<\?\)/,
      );
      expect(plan(db, 'SELECT * FROM offline o JOIN messages m USING (conversation, id) WHERE o.user_key = ?')).not.toMatch(/SCAN/);
    } finally {
      db.close();
    }
  });

  it('pages the main flow over long runs of thread replies, and migration 11 finds the runs a file already has', async () => {
    const reply = (root: number, n: number, also = false): StoreWrite[] =>
      Array.from({ length: n }, () => ({ ...append('#general', '@ann', 'in thread'), root, also }));
    let store = openStore();
    await store.commit([...users('@ann', '@bob'), { op: 'addChannel', name: '#general' }, { op: 'addMember', channel: '#general', handle: '@bob' }]);
    await store.commit([append('#general', '@ann', 'one'), append('#general', '@ann', 'two'), append('#general', '@ann', 'three')]);
    await store.commit(reply(2, 1500));
    await store.commit([...reply(2, 1500), ...reply(2, 1, true), ...reply(1, 2000)]); // ids 1504..5004
    await store.commit([append('#general', '@ann', 'four')]);
    const mainFlow = [[1, 'one'], [2, 'two'], [3, 'three'], [3004, 'in thread'], [5005, 'four']];
    const pages = async (s: SqliteStore) => [
      (await s.conversationsOf('@bob', ['#general'])).map((c) => c.unread),
      idsAndBodies(await s.channelHistory('#general', { limit: 10 })),
      idsAndBodies(await s.channelHistory('#general', { limit: 2, before: 5005 })),
      idsAndBodies(await s.channelHistory('#general', { limit: 3, after: 2 })),
      idsAndBodies(await s.channelHistory('#general', { limit: 3, around: 3004 })),
    ];
    const expected = [[5], mainFlow, mainFlow.slice(2, 4), mainFlow.slice(2, 5), mainFlow.slice(2, 5)];
    expect(await pages(store)).toEqual(expected);
    // Two runs (3,000 and 2,000 replies), so a page costs a seek per run, not a step per reply.
    expect(store.db.prepare('SELECT first, last FROM reply_runs ORDER BY last').raw().all()).toEqual([[4, 3003], [3005, 5004]]);
    await store.close();

    // The same file as release 10 left it: no runs, the main flow's own index.
    const db = new Database(path.join(dir, 'slck.db'));
    db.exec('DROP TABLE reply_runs; CREATE INDEX messages_main_flow ON messages (conversation, id) WHERE root IS NULL OR also = 1');
    db.pragma('user_version = 10');
    db.close();
    store = openStore();
    expect(store.db.prepare('SELECT first, last FROM reply_runs ORDER BY last').raw().all()).toEqual([[4, 3003], [3005, 5004]]);
    expect(await pages(store)).toEqual(expected);
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

  it('upgrades a database written by migration 1, keeping its ids, history and offline queue', async () => {
    // Migration 1's ids were global rowids: conversations interleave in one sequence.
    const file = path.join(dir, 'slck.db');
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    old.exec(MIGRATIONS[0]);
    old.pragma('user_version = 1');
    old.exec(`
      INSERT INTO users (key, handle, password_hash, created) VALUES
        ('@jane', '@Jane', 'scrypt$j', 't'), ('@john', '@John', NULL, 't'), ('@bob', '@bob', NULL, 't');
      INSERT INTO channels (key, name, created) VALUES ('#general', '#General', 't');
      INSERT INTO members (channel_key, user_key) VALUES ('#general', '@john'), ('#general', '@jane');
    `);
    const insert = old.prepare('INSERT INTO messages (id, target_key, target, sender_key, sender, dm_pair, ts, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const rows: Array<[number, string, string, string | null, string]> = [
      [1, '#General', '@Jane', null, 'g1'],
      [2, '@John', '@Jane', '@jane @john', 'd1'],
      [3, '#general', '@bob', null, 'g2'],
      [4, '#random', '@Jane', null, 'r1'],
      [5, '@Jane', '@John', '@jane @john', 'd2'],
      [6, '#GENERAL', '@John', null, 'g3'],
    ];
    for (const [id, target, sender, pair, body] of rows) {
      insert.run(id, target.toLowerCase(), target, sender.toLowerCase(), sender, pair, `2026-01-01T00:00:0${id}.000Z`, Buffer.from(body));
    }
    old.exec("INSERT INTO offline (user_key, message_id) VALUES ('@john', 2), ('@jane', 4)");
    old.close();

    const store = openStore();
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(store.db.pragma('foreign_key_check')).toEqual([]);
    expect(await store.getUser('@jane')).toEqual({ handle: '@Jane', passwordHash: 'scrypt$j' });
    expect(await store.listChannels()).toEqual([{ name: '#General', topic: null, members: ['@John', '@Jane'] }]);
    // Migration 8: a channel from before is public.
    expect((await store.listChannels())[0].private).toBeUndefined();
    expect(idsAndBodies(await store.channelHistory('#general', { limit: 10 }))).toEqual([[1, 'g1'], [3, 'g2'], [6, 'g3']]);
    expect(idsAndBodies(await store.channelHistory('#general', { limit: 10, before: 6 }))).toEqual([[1, 'g1'], [3, 'g2']]);
    expect(idsAndBodies(await store.channelHistory('#general', { limit: 1, after: 1 }))).toEqual([[3, 'g2']]);
    expect(idsAndBodies(await store.channelHistory('#random', { limit: 10 }))).toEqual([[4, 'r1']]);
    const dms = await store.directHistory('@john', '@jane', { limit: 10 });
    expect(dms.map((m) => [m.id, m.target, m.from, read(m.body)])).toEqual([[2, '@John', '@Jane', 'd1'], [5, '@Jane', '@John', 'd2']]);
    const queued = await store.offlineFor('@john');
    expect(queued.map((m) => [m.conversation, m.id, read(m.body)])).toEqual([['@jane @john', 2, 'd1']]);
    expect((await store.offlineFor('@jane')).map((m) => [m.conversation, m.id])).toEqual([['#random', 4]]);
    expect(await store.lastIds(['#general', '@jane @john', '#random', '#new'])).toEqual(new Map([
      ['#general', 6], ['@jane @john', 5], ['#random', 4], ['#new', 0],
    ]));
    // Migration 3: what was there before the upgrade counts as read, and each user's direct
    // conversations are known, most recent first.
    expect((await store.conversationsOf('@jane', ['#general'])).map((c) => [c.target, c.lastId, c.readId, c.unread])).toEqual([
      ['#General', 6, 6, 0], ['@John', 5, 5, 0],
    ]);
    // New messages go on above the old ids of their own conversation.
    expect(await store.commit([
      append('#general', '@jane', 'g4'),
      append('@john', '@jane', 'd3', '@john'),
      append('#random', '@bob', 'r2'),
      append('#new', '@bob', 'n1'),
      { op: 'delivered', handle: '@john', messages: [{ conversation: '@jane @john', id: 2 }] },
    ])).toEqual({ ids: [7, 6, 5, 1] });
    expect((await store.offlineFor('@john')).map((m) => [m.id, read(m.body)])).toEqual([[6, 'd3']]);
    const john = await store.conversationsOf('@john', ['#general']);
    expect(john.map((c) => [c.target, c.unread]).sort()).toEqual([['#General', 1], ['@Jane', 1]]);
    const epoch = store.epoch;
    expect(epoch).toMatch(/^[0-9a-f]{32}$/);
    await store.close();

    // The epoch was created once, by the migration; reopening does not change it.
    const again = openStore();
    expect(again.epoch).toBe(epoch);
    expect(idsAndBodies(await again.channelHistory('#general', { limit: 2 }))).toEqual([[6, 'g3'], [7, 'g4']]);
  });

  it('refuses a database whose header is fine but a page is damaged, naming it', async () => {
    const store = openStore();
    expect(await store.commit([...users(...Array.from({ length: 50 }, (_, i) => `@user${i}`)), append('#general', '@user1', 'x'.repeat(20000))])).not.toBeNull();
    await store.close();
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

  it('reports a disk-full batch as failed, loses all of it, and works for the next batch', async () => {
    const store = openStore();
    expect(await store.commit([...users('@jane', '@john'), append('@john', '@jane', 'queued', '@john'), append('#general', '@jane', 'kept')]))
      .toEqual({ ids: [1, 1] });

    // Cap the file at its current size: the next page it needs fails with SQLITE_FULL.
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages}`);
    const queued = (await store.offlineFor('@john')).map(({ conversation, id }) => ({ conversation, id }));
    expect(await store.commit([
      append('#general', '@jane', 'small, fits in a page'),
      { op: 'addChannel', name: '#lost' },
      { op: 'delivered', handle: '@john', messages: queued },
      append('#general', '@jane', new Uint8Array(65536)),
      append('#general', '@jane', 'after the failure'),
    ])).toBeNull();
    expect(store.lastFailure?.message).toMatch(/full/);

    // Nothing of the failed batch remains, the hand-over of the offline queue included.
    const history = async () => (await store.channelHistory('#general', { limit: 10 })).map((m) => read(m.body));
    expect(await history()).toEqual(['kept']);
    expect(await store.listChannels()).toEqual([]);
    expect(await store.lastIds(['#general'])).toEqual(new Map([['#general', 1]]));

    store.db.pragma('max_page_count = 1073741823');
    expect(await store.commit([append('#general', '@jane', 'next batch')])).toEqual({ ids: [2] });
    expect(store.lastFailure).toBeNull();
    expect(await history()).toEqual(['kept', 'next batch']);
    await store.close();

    const again = openStore();
    expect(idsAndBodies(await again.channelHistory('#general', { limit: 10 }))).toEqual([[1, 'kept'], [2, 'next batch']]);
    // The hand-over was undone too: the queued message is handed over again.
    expect(await again.offlineFor('@john')).toMatchObject([{ conversation: '@jane @john', id: 1 }]);
    expect(await again.listChannels()).toEqual([]);
  });

  it('undoes a join and a password of a failed batch, and keeps what the next batch commits', async () => {
    const store = openStore();
    expect(await store.commit(users('@jane'))).not.toBeNull();
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages}`);
    const join: StoreWrite[] = [
      { op: 'addChannel', name: '#ops' },
      { op: 'addMember', channel: '#ops', handle: '@jane' },
      { op: 'setPassword', handle: '@jane', passwordHash: 'scrypt$hash' },
    ];
    expect(await store.commit([...join, append('#ops', '@jane', new Uint8Array(65536))])).toBeNull();
    expect(await store.listChannels()).toEqual([]);
    expect((await store.getUser('@jane'))?.passwordHash).toBeNull();
    store.db.pragma('max_page_count = 1073741823');
    // The hub answered ERR, so the client asks again: this batch commits.
    expect(await store.commit(join)).toEqual({ ids: [] });
    await store.close();

    const again = openStore();
    expect(await again.listChannels()).toEqual([{ name: '#ops', topic: null, members: ['@jane'] }]);
    expect((await again.getUser('@jane'))?.passwordHash).toBe('scrypt$hash');
    expect(await again.channelHistory('#ops', { limit: 10 })).toEqual([]);
  });

  it('rejects, and rolls back, a batch with a bug in it', async () => {
    const store = openStore();
    await expect(store.commit([...users('@jane'), { op: 'addMember', channel: '#nowhere', handle: '@jane' }])).rejects.toThrow(/#nowhere/);
    expect(store.db.inTransaction).toBe(false);
    expect(await store.getUser('@jane')).toBeUndefined();
    expect(await store.commit(users('@jane'))).toEqual({ ids: [] });
  });
});

function plan(db: Database.Database, query: string): string {
  const params = query.split('?').slice(1).map(() => 'x');
  return (db.prepare(`EXPLAIN QUERY PLAN ${query}`).all(...params) as { detail: string }[]).map((r) => r.detail).join('\n');
}
