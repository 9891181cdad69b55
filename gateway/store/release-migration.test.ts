import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store, StoreWrite } from './store.ts';
import { openSqliteStore } from './sqlite-store.ts';
import { openPostgresStore } from './postgres-store.ts';
import { SCHEMA_VERSION } from './sqlite-schema.ts';
import { PG_MIGRATIONS } from './postgres-schema.ts';
import { startPostgres, type TestPostgres } from '../test/support/services.ts';
import { bodies, nextTime, read, text } from './contract-backends.ts';

/**
 * Upgrading a database the previous release (e1186d4) wrote: fixtures/release-0.x.db (SQLite,
 * schema 4) and fixtures/release-0.x.pg.sql (pg_dump, schema 3), both written through that
 * release's own store code by fixtures/write-release-fixtures.ts. Opened by this store, every
 * user, channel, message, read mark, session and setting is still there, and the log's new
 * writes (edit, react, reply) work on the old messages, and SEARCH finds the old history.
 */
const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const PG_BIN = '/usr/lib/postgresql/15/bin';

async function expectReleaseDataIntact(store: Store): Promise<void> {
  expect(await store.listUsers()).toEqual(['@Alice', '@bob', '@carol', '@Guest7']);
  expect(await store.listClaimed()).toEqual(['@alice', '@bob']);
  expect(await store.getUser('@guest7')).toEqual({ handle: '@Guest7', passwordHash: null });
  expect((await store.getUser('@ALICE'))?.passwordHash).toBe('scrypt$16384$8$1$c2FsdA==$YWxpY2U=');
  expect(await store.listChannels()).toEqual([
    { name: '#General', topic: { text: 'Everything, welcome', by: '@Alice', ts: '2026-10-01T08:59:00.000Z' }, members: ['@Alice', '@bob', '@Guest7'] },
    { name: '#random', topic: null, members: ['@bob', '@carol'] },
  ]);
  const general = await store.channelHistory('#general', { limit: 50 });
  expect(general.map((m) => [m.id, m.target, m.from, m.ts, read(m.body)])).toEqual([
    [1, '#General', '@Alice', '2026-10-01T09:01:00.000Z', 'hello'],
    [2, '#general', '@bob', '2026-10-01T09:02:00.000Z', 'hi @alice'],
    [3, '#general', '@Guest7', '2026-10-01T09:03:00.000Z', 'hey all'],
    [4, '#general', '@Alice', '2026-10-01T09:04:00.000Z', '@channel standup at ten'],
    [5, '#general', '@bob', '2026-10-01T09:10:00.000Z', 'bye'],
  ]);
  // Old messages have no state: no root, no edit, no reactions, no thread.
  expect(general.every((m) => Object.keys(m).sort().join() === 'body,from,id,target,ts')).toBe(true);
  expect(bodies(await store.channelHistory('#random', { limit: 50 }))).toEqual(['random one', 'random two']);
  expect(bodies(await store.directHistory('@bob', '@alice', { limit: 50 }))).toEqual(['psst', 'yes?']);
  expect((await store.offlineFor('@carol')).map((m) => [m.conversation, m.id, read(m.body)])).toEqual([['@alice @carol', 1, 'for when you are back']]);
  expect(await store.lastIds(['#general', '#random', '@alice @bob', '@alice @carol'])).toEqual(
    new Map([['#general', 5], ['#random', 2], ['@alice @bob', 2], ['@alice @carol', 1]]),
  );
  const state = async (handle: string, channels: string[]) =>
    (await store.conversationsOf(handle, channels)).map((c) => `${c.target} read ${c.readId} of ${c.lastId}: ${c.unread}/${c.mentions}`);
  expect(await state('@bob', ['#general', '#random'])).toEqual(['#General read 3 of 5: 1/1', '@Alice read 0 of 2: 1/0', '#random read 0 of 2: 1/0']);
  expect(await state('@alice', ['#general'])).toEqual(['#General read 0 of 5: 3/1', '@carol read 0 of 1: 0/0', '@bob read 2 of 2: 0/0']);
  expect(await store.session('c2Vzc2lvbi1vZi1hbGljZQ')).toEqual({ handle: '@Alice', expires: '2099-01-01T00:00:00.000Z' });
  expect(await store.prefs('@alice')).toEqual([{ key: 'theme', value: 'dark' }]);
  expect(await store.threadsOf('@alice')).toEqual([]);
}

/** Migration 6 (SQLite) and 5 (PostgreSQL) indexed the old history: SEARCH finds it. */
async function expectHistorySearchable(store: Store): Promise<void> {
  const find = async (words: string[], conversations = ['#general', '#random', '@alice @bob', '@alice @carol']) =>
    (await store.search({ conversations, words, phrases: [], excluded: [], limit: 20 })).map((m) => `${m.conversation} ${m.id} ${read(m.body)}`);
  expect(await find(['standup', 'ten'])).toEqual(['#general 4 @channel standup at ten']);
  expect(await find(['random'])).toEqual(['#random 2 random two', '#random 1 random one']);
  expect(await find(['psst'])).toEqual(['@alice @bob 1 psst']);
  expect(await find(['back'])).toEqual(['@alice @carol 1 for when you are back']);
  expect(await find(['hello'], ['#random'])).toEqual([]);
  // Filters alone: the newest of the conversations asked for.
  expect((await store.search({ conversations: ['#general'], words: [], phrases: [], excluded: [], from: '@bob', limit: 20 })).map((m) => m.id)).toEqual([5, 2]);
}

/** After the log's writes: the edit is found by its new text, the deleted DM no more. */
async function expectSearchAfterLog(store: Store): Promise<void> {
  const find = async (word: string) =>
    (await store.search({ conversations: ['#general', '@alice @carol'], words: [word], phrases: [], excluded: [], limit: 20 })).map((m) => `${m.conversation} ${m.id}`);
  expect(await find('everyone')).toEqual(['#general 1']);
  expect(await find('bob')).toEqual(['#general 8']);
  expect(await find('alice')).toEqual(['#general 2']);
  expect(await find('back')).toEqual([]);
}

async function expectLogOnOldMessages(store: Store): Promise<void> {
  const commit = async (writes: StoreWrite[]) => {
    const r = await store.commit(writes);
    expect(r, String(store.lastFailure)).not.toBeNull();
    return r!.ids;
  };
  expect(await commit([
    { op: 'change', change: { kind: 'edit', target: '#general', from: '@Alice', ts: nextTime(), of: 1, body: text('hello, everyone') } },
    { op: 'change', change: { kind: 'react', target: '#general', from: '@bob', ts: nextTime(), of: 1, reaction: '👋' } },
    { op: 'append', message: { target: '#general', from: '@Guest7', ts: nextTime(), body: text('hi! @bob') }, root: 1, mentions: ['@bob'] },
    { op: 'change', change: { kind: 'delete', target: '@alice', from: '@carol', ts: nextTime(), of: 1 } },
  ])).toEqual([6, 7, 8, 2]);
  const [hello] = await store.channelHistory('#general', { limit: 1, around: 1 });
  expect(read(hello.body)).toBe('hello, everyone');
  expect(hello).toMatchObject({ edited: expect.any(String), reactions: [{ reaction: '👋', by: ['@bob'] }], thread: { count: 1, lastId: 8, by: ['@Guest7'] } });
  expect((await store.thread('#general', 1, 10)).map((m) => m.id)).toEqual([1, 8]);
  expect((await store.log('#general', 5, 10)).map((e) => `${e.kind} ${e.id}`)).toEqual(['edit 6', 'react 7', 'msg 8']);
  // The deleted DM left carol's offline queue; bob follows the thread he was named in.
  expect(await store.offlineFor('@carol')).toEqual([]);
  expect((await store.threadsOf('@bob')).map((t) => `${t.target} ${t.root} ${t.unread}/${t.mentions}`)).toEqual(['#General 1 1/1']);
  // Channels from before roles have no owner (until an admin's OWNER), and nobody is banned or suspended.
  expect(await store.listModeration()).toEqual({ roles: [], bans: [], suspended: [] });
  expect(await store.modlog(null, 50)).toEqual([]);
}

describe('A SQLite file the previous release wrote', () => {
  it('opens with everything intact, on the latest schema, searchable, and takes the log\'s new writes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slck-release-'));
    try {
      fs.copyFileSync(path.join(FIXTURES, 'release-0.x.db'), path.join(dir, 'slck.db'));
      let store = openSqliteStore(dir);
      expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      await expectReleaseDataIntact(store);
      await expectHistorySearchable(store);
      await expectLogOnOldMessages(store);
      await expectSearchAfterLog(store);
      await store.close();
      store = openSqliteStore(dir);
      expect(bodies(await store.channelHistory('#general', { limit: 1, around: 1 }))).toEqual(['hello, everyone']);
      await store.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('A PostgreSQL database the previous release wrote', () => {
  let postgres: TestPostgres;
  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(async () => {
    await postgres?.stop();
  });

  it('opens with everything intact, on the latest schema, searchable, and takes the log\'s new writes', async () => {
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('CREATE DATABASE release');
    await admin.end();
    execFileSync(path.join(PG_BIN, 'psql'), [
      '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(postgres.port), '-U', 'slck', '-d', 'release',
      '-f', path.join(FIXTURES, 'release-0.x.pg.sql'),
    ], { stdio: 'pipe' });
    const url = postgres.url.replace(/\/postgres$/, '/release');
    const check = new pg.Client({ connectionString: url });
    await check.connect();
    expect((await check.query('SELECT version FROM schema_version')).rows).toEqual([{ version: 3 }]);
    const store = await openPostgresStore(url);
    try {
      expect((await check.query('SELECT version FROM schema_version')).rows).toEqual([{ version: PG_MIGRATIONS.length }]);
      expect((await check.query('SELECT count(*)::int AS n FROM messages WHERE search IS NULL')).rows).toEqual([{ n: 0 }]);
      await expectReleaseDataIntact(store);
      await expectHistorySearchable(store);
      await expectLogOnOldMessages(store);
      await expectSearchAfterLog(store);
    } finally {
      await check.end();
      await store.close();
    }
  });
});
