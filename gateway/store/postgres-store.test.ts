import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startPostgres, type TestPostgres } from '../test/support/services.ts';
import { openPostgresStore, type PostgresStore } from './postgres-store.ts';
import { PG_MIGRATIONS } from './postgres-schema.ts';
import { setPref } from './postgres-prefs.ts';
import { PREFS_PER_USER, type NewMessage, type StoreWrite } from './store.ts';

// What only the PostgreSQL store does, on a real PostgreSQL (initdb into a temporary
// directory, fsync on), one fresh database per test: several nodes on one database, and the
// server going away. The contract all stores share is in store-contract.test.ts.

let postgres: TestPostgres;
let admin: pg.Client;
let n = 0;
let url: string;
let store: PostgresStore;
const others: PostgresStore[] = [];

beforeAll(async () => {
  postgres = await startPostgres();
  admin = new pg.Client({ connectionString: postgres.url });
  admin.on('error', () => {}); // a test crashes the server under it
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  await postgres?.stop();
});
beforeEach(async () => {
  const db = `store_${++n}`;
  await admin.query(`CREATE DATABASE ${db}`);
  url = postgres.url.replace(/\/postgres$/, `/${db}`);
  store = await openPostgresStore(url);
});
afterEach(async () => {
  await store.close();
  for (const s of others.splice(0)) await s.close();
});

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const read = (b: Uint8Array): string => new TextDecoder().decode(b);
let clock = Date.UTC(2026, 11, 1, 10, 0, 0);
const msg = (target: string, from: string, body: string): NewMessage => ({ target, from, ts: new Date(clock++).toISOString(), body: text(body) });
const append = (target: string, from: string, body: string, offlineFor?: string): StoreWrite => ({ op: 'append', message: msg(target, from, body), offlineFor });
const users = (...handles: string[]): StoreWrite[] => handles.map((handle) => ({ op: 'addUser', handle }));

describe('PostgresStore', () => {
  it('two nodes adding settings at once, one short of the bound: the user\'s row lock counts them one after the other', async () => {
    await store.commit([...users('@jane'), ...Array.from({ length: PREFS_PER_USER - 1 }, (_, i): StoreWrite => ({ op: 'setPref', handle: '@jane', key: `k${i}`, value: '1' }))]);
    // Node A's transaction has added its key and not committed when node B's batch begins.
    const nodeA = new pg.Client({ connectionString: url });
    await nodeA.connect();
    await nodeA.query('BEGIN');
    await setPref(nodeA as unknown as pg.PoolClient, '@jane', 'from-a', '1');
    let settled = false;
    const nodeB = store.commit([{ op: 'setPref', handle: '@jane', key: 'from-b', value: '1' }]).finally(() => (settled = true));
    // Until node B is waiting on a lock (or, were there none to wait on, has finished).
    const db = url.slice(url.lastIndexOf('/') + 1);
    const waiting = async () => Number((await admin.query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", [db])).rows[0].n);
    while (!settled && (await waiting()) === 0) await new Promise((r) => setTimeout(r, 5));
    await nodeA.query('COMMIT');
    await nodeA.end();
    expect(await nodeB).not.toBeNull();
    const kept = await store.prefs('@jane');
    expect(kept).toHaveLength(PREFS_PER_USER);
    expect(kept.map((p) => p.key)).toContain('from-a');
  });

  // The contract (store-contract.test.ts) accepts a refused batch as null or a rejection;
  // PostgreSQL reports every failure, a constraint too, as null with the reason.
  it('a batch that fails changes nothing, and the next one works', async () => {
    await store.commit(users('@jane'));
    const failed = await store.commit([
      { op: 'addChannel', name: '#lost' },
      append('#lost', '@jane', 'lost'),
      { op: 'addMember', channel: '#lost', handle: '@nobody' }, // no such user: the batch fails
    ]);
    expect(failed).toBeNull();
    expect(store.lastFailure?.message).toMatch(/foreign key/);
    expect(await store.listChannels()).toEqual([]);
    expect(await store.lastIds(['#lost'])).toEqual(new Map([['#lost', 0]]));
    expect(await store.commit([{ op: 'addChannel', name: '#lost' }, append('#lost', '@jane', 'kept')])).toEqual({ ids: [1] });
  });

  it('two nodes posting to one conversation at once get distinct, gapless ids in commit order', async () => {
    const other = await openPostgresStore(url);
    others.push(other);
    expect(other.epoch).toBe(store.epoch);
    await store.commit([...users('@a', '@b'), { op: 'addChannel', name: '#hot' }]);
    const rounds = 20;
    // A node commits one batch at a time (the next waits for the last); the nodes race.
    const run = async (node: PostgresStore, batch: (i: number) => StoreWrite[]) => {
      const out = [];
      for (let i = 0; i < rounds; i++) out.push(await node.commit(batch(i)));
      return out;
    };
    const results = (await Promise.all([
      run(store, (i) => [append('#hot', '@a', `a${i}`), append('#hot', '@a', `a${i}'`)]),
      run(other, (i) => [append('#hot', '@b', `b${i}`)]),
    ])).flat();
    const ids = results.flatMap((r) => r!.ids).sort((x, y) => x - y);
    expect(ids).toEqual(Array.from({ length: rounds * 3 }, (_, i) => i + 1));
    const history = await store.channelHistory('#hot', { limit: 500 });
    expect(history.map((m) => m.id)).toEqual(ids);
    // Each node's own batches come out in the order it sent them.
    const mine = history.filter((m) => m.from === '@a').map((m) => read(m.body));
    expect(mine).toEqual(Array.from({ length: rounds }, (_, i) => [`a${i}`, `a${i}'`]).flat());
  });

  it('upgrades a database of migration 1: what was there counts as read, and direct partners are known', async () => {
    const db = `upgrade_${n}`;
    await admin.query(`CREATE DATABASE ${db}`);
    const old = new pg.Client({ connectionString: postgres.url.replace(/\/postgres$/, `/${db}`) });
    await old.connect();
    await old.query(PG_MIGRATIONS[0]);
    await old.query('CREATE TABLE schema_version (version int NOT NULL); INSERT INTO schema_version VALUES (1)');
    await old.query(`
      INSERT INTO users (key, handle) VALUES ('@jane', '@Jane'), ('@john', '@John');
      INSERT INTO channels (key, name) VALUES ('#general', '#General');
      INSERT INTO members (channel_key, user_key) VALUES ('#general', '@jane');
      INSERT INTO conversations (key, last_id) VALUES ('#general', 2), ('@jane @john', 1);
      INSERT INTO messages (conversation, id, target, sender, ts, body) VALUES
        ('#general', 1, '#General', '@John', '2026-01-01T00:00:01.000Z', 'a'),
        ('#general', 2, '#General', '@John', '2026-01-01T00:00:02.000Z', 'b'),
        ('@jane @john', 1, '@Jane', '@John', '2026-01-01T00:00:03.000Z', 'dm');
    `);
    await old.end();
    const upgraded = await openPostgresStore(postgres.url.replace(/\/postgres$/, `/${db}`));
    others.push(upgraded);
    const states = await upgraded.conversationsOf('@jane', ['#general']);
    expect(states.map((c) => [c.target, c.lastId, c.readId, c.unread])).toEqual([['@John', 1, 1, 0], ['#General', 2, 2, 0]]);
    expect((await upgraded.conversationsOf('@john', [])).map((c) => c.target)).toEqual(['@Jane']);
    expect((await upgraded.listChannels())[0].topic).toBeNull();
    // Migration 7: a channel from before is public.
    expect((await upgraded.listChannels())[0].private).toBeUndefined();
  });

  it('several nodes starting at once migrate once and share one epoch', async () => {
    const db = `store_race_${n}`;
    await admin.query(`CREATE DATABASE ${db}`);
    const raceUrl = postgres.url.replace(/\/postgres$/, `/${db}`);
    const nodes = await Promise.all([1, 2, 3].map(() => openPostgresStore(raceUrl)));
    others.push(...nodes);
    expect(new Set(nodes.map((s) => s.epoch)).size).toBe(1);
    expect(nodes[0].epoch).not.toBe(store.epoch);
  });

  it('fails a commit while PostgreSQL is down, without throwing, and works again once it is back', async () => {
    await store.commit([...users('@jane'), { op: 'addChannel', name: '#x' }]);
    await postgres.crash();
    expect(await store.commit([append('#x', '@jane', 'while down')])).toBeNull();
    await postgres.start();
    await admin.end().catch(() => {});
    admin = new pg.Client({ connectionString: postgres.url });
    admin.on('error', () => {});
    await admin.connect();
    expect(await store.commit([append('#x', '@jane', 'after')])).toEqual({ ids: [1] });
    expect((await store.channelHistory('#x', { limit: 10 })).map((m) => read(m.body))).toEqual(['after']);
  });
});
