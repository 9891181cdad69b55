import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startPostgres, type TestPostgres } from '../test-services.ts';
import { openPostgresStore, type PostgresStore } from './postgres-store.ts';
import type { StoreWrite } from './async-store.ts';
import type { NewMessage } from './store.ts';

// The PostgreSQL store on a real PostgreSQL (initdb into a temporary directory, fsync on),
// one fresh database per test.

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
  it('keeps users, channels and members, case-insensitively, in the case first written', async () => {
    expect(await store.commit([
      ...users('@Jane', '@JANE', '@bob'),
      { op: 'setPassword', handle: '@jane', passwordHash: 'scrypt$x' },
      { op: 'addChannel', name: '#General' },
      { op: 'addChannel', name: '#general' },
      { op: 'addMember', channel: '#general', handle: '@bob' },
      { op: 'addMember', channel: '#GENERAL', handle: '@jane' },
    ])).toEqual({ ids: [] });
    expect(await store.getUser('@JANE')).toEqual({ handle: '@Jane', passwordHash: 'scrypt$x' });
    expect(await store.listUsers()).toEqual(['@bob', '@Jane']);
    expect(await store.listChannels()).toEqual([{ name: '#General', members: ['@bob', '@Jane'] }]);
    await store.commit([{ op: 'removeMember', channel: '#general', handle: '@BOB' }]);
    expect(await store.listChannels()).toEqual([{ name: '#General', members: ['@Jane'] }]);
  });

  it('numbers messages per conversation, gapless, and pages history before and after an id', async () => {
    await store.commit([...users('@jane', '@john'), { op: 'addChannel', name: '#a' }]);
    const first = await store.commit([append('#a', '@jane', 'a1'), append('@john', '@jane', 'd1'), append('#a', '@john', 'a2')]);
    expect(first).toEqual({ ids: [1, 1, 2] });
    const second = await store.commit([append('@jane', '@john', 'd2'), append('#a', '@jane', 'a3')]);
    expect(second).toEqual({ ids: [2, 3] });
    const bodies = (ms: { body: Uint8Array }[]) => ms.map((m) => read(m.body));
    expect(bodies(await store.channelHistory('#A', { limit: 10 }))).toEqual(['a1', 'a2', 'a3']);
    expect(bodies(await store.channelHistory('#a', { limit: 2 }))).toEqual(['a2', 'a3']);
    expect(bodies(await store.channelHistory('#a', { limit: 10, before: 3 }))).toEqual(['a1', 'a2']);
    expect(bodies(await store.channelHistory('#a', { limit: 1, after: 1 }))).toEqual(['a2']);
    // Both directions of a direct conversation are one conversation.
    expect((await store.directHistory('@John', '@jane', { limit: 10 })).map((m) => [m.id, m.from, read(m.body)])).toEqual([
      [1, '@jane', 'd1'], [2, '@john', 'd2'],
    ]);
    expect(await store.lastIds(['#a', '@jane @john', '#none'])).toEqual(new Map([['#a', 3], ['@jane @john', 2], ['#none', 0]]));
  });

  it('keeps any byte of a body', async () => {
    const body = new Uint8Array(65536).map((_, i) => i % 256);
    await store.commit([...users('@jane'), { op: 'addChannel', name: '#bin' }]);
    await store.commit([{ op: 'append', message: { target: '#bin', from: '@jane', ts: 't', body } }]);
    const [m] = await store.channelHistory('#bin', { limit: 1 });
    expect(Buffer.from(m.body).equals(Buffer.from(body))).toBe(true);
  });

  it('queues direct messages for an offline user, and hands over exactly those delivered', async () => {
    await store.commit(users('@jane', '@john'));
    await store.commit([append('@john', '@jane', 'one', '@john'), append('@john', '@jane', 'two', '@john')]);
    const queued = await store.offlineFor('@JOHN');
    expect(queued.map((m) => [m.conversation, m.id, read(m.body)])).toEqual([['@jane @john', 1, 'one'], ['@jane @john', 2, 'two']]);
    // A third arrives (from another node, say) between the read and the hand-over: it stays.
    await store.commit([append('@john', '@jane', 'three', '@john')]);
    await store.commit([{ op: 'delivered', handle: '@john', messages: queued.map((m) => ({ conversation: m.conversation, id: m.id })) }]);
    expect((await store.offlineFor('@john')).map((m) => read(m.body))).toEqual(['three']);
  });

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
