import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Presence } from './presence.ts';
import { MemoryPresence } from './memory-presence.ts';
import { RedisPresence } from './redis-presence.ts';
import { startRedis, type TestRedis } from '../test/support/services.ts';

// One contract for both, then what only several nodes on one Redis show: a dead node's users
// go offline by themselves, announced once, and a restarted Redis is refilled.

const TTL = 400;
let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});
const open: Presence[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});

let seq = 0;
async function redisNode(): Promise<RedisPresence> {
  const p = await RedisPresence.open(redis.url, { nodeId: `n${++seq}`, ttlMs: TTL, prefix: `t${seq}:` });
  open.push(p);
  return p;
}
/** Nodes sharing one Redis keyspace. */
async function redisNodes(n: number, nodeTtlMs?: number, opts: { ttlMs?: number; beatMs?: number } = {}): Promise<RedisPresence[]> {
  const prefix = `shared${++seq}:`;
  const nodes = await Promise.all(Array.from({ length: n }, (_, i) => RedisPresence.open(redis.url, { nodeId: `s${seq}-${i}`, ttlMs: TTL, nodeTtlMs, prefix, ...opts })));
  open.push(...nodes);
  return nodes;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Look every 20 ms until `ok` holds, for at most `ms`; whether it came to hold. */
async function within(ms: number, ok: () => Promise<boolean> | boolean): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await ok()) return true;
    if (Date.now() > until) return false;
    await sleep(20);
  }
}
/** A plain client on the test Redis, for what an operator (or a fault) does behind the nodes' backs. */
async function operator() {
  const { createClient } = await import('redis');
  const r = createClient({ url: redis.url });
  await r.connect();
  return r;
}
const internals = (p: RedisPresence) => p as unknown as { prefix: string; node: string };

const implementations: Array<{ name: string; make: () => Promise<Presence> }> = [
  { name: 'MemoryPresence', make: async () => { const p = new MemoryPresence(TTL); open.push(p); return p; } },
  { name: 'RedisPresence', make: redisNode },
];

for (const impl of implementations) {
  describe(`Presence contract: ${impl.name}`, () => {
    it('a user is online while any of their connections is, and the first and last are told apart', async () => {
      const p = await impl.make();
      expect(await p.add('@jane', 'c1')).toBe(true);
      expect(await p.add('@jane', 'c2')).toBe(false);
      expect(await p.add('@john', 'c3')).toBe(true);
      expect(await p.online(['@jane', '@john', '@nobody'])).toEqual(new Set(['@jane', '@john']));
      expect((await p.everyone()).sort()).toEqual(['@jane', '@john']);
      expect(await p.remove('@jane', 'c1')).toBe(false);
      expect(await p.remove('@jane', 'c2')).toBe(true);
      expect(await p.remove('@jane', 'c2')).toBe(false);
      expect(await p.everyone()).toEqual(['@john']);
    });

    it('entries stay alive past the TTL while their node refreshes them', async () => {
      const p = await impl.make();
      await p.add('@jane', 'c1');
      await sleep(TTL * 2.5);
      expect(await p.online(['@jane'])).toEqual(new Set(['@jane']));
      expect(await p.sweep()).toEqual([]);
    });

    it('holds a handle for one connection at a time', async () => {
      const p = await impl.make();
      expect(await p.hold('@jane', 'c1')).toBe(true);
      expect(await p.hold('@jane', 'c1')).toBe(true);
      expect(await p.hold('@jane', 'c2')).toBe(false);
      await sleep(TTL * 2);
      expect(await p.hold('@jane', 'c2')).toBe(false); // still refreshed by its holder
      await p.release('@jane', 'c2'); // not the holder: nothing happens
      expect(await p.hold('@jane', 'c2')).toBe(false);
      await p.release('@jane', 'c1');
      expect(await p.hold('@jane', 'c2')).toBe(true);
    });
  });
}

describe('RedisPresence across nodes', () => {
  it('every node sees the same users online; a user on two nodes stays online until both leave', async () => {
    const [a, b, c] = await redisNodes(3);
    expect(await a.add('@jane', 'x')).toBe(true);
    expect(await b.add('@jane', 'y')).toBe(false);
    expect(await c.online(['@jane'])).toEqual(new Set(['@jane']));
    expect(await a.remove('@jane', 'x')).toBe(false);
    expect(await c.everyone()).toEqual(['@jane']);
    expect(await b.remove('@jane', 'y')).toBe(true);
    expect(await c.everyone()).toEqual([]);
  });

  it("a dead node's users go offline within the TTL, and exactly one node is told to announce it", async () => {
    const [a, b, c] = await redisNodes(3);
    await a.add('@jane', 'x');
    expect(await a.hold('@jane', 'x')).toBe(true);
    await a.add('@john', 'x2');
    await b.add('@john', 'y');
    expect(await c.hold('@jane', 'z')).toBe(false);
    await a.close(); // as a kill -9 would: it stops refreshing and removes nothing
    await sleep(TTL * 1.5);
    expect(await c.online(['@jane', '@john'])).toEqual(new Set(['@john']));
    const [fromB, fromC] = await Promise.all([b.sweep(), c.sweep()]);
    expect([...fromB, ...fromC]).toEqual(['@jane']);
    expect(await c.hold('@jane', 'z')).toBe(true);
  });

  it('after Redis restarts empty, each node puts its users back by itself', async () => {
    const [a, b] = await redisNodes(2);
    await a.add('@jane', 'x');
    expect(await a.hold('@jane', 'x')).toBe(true);
    await redis.kill();
    await redis.start();
    await sleep(TTL * 2);
    expect(await b.online(['@jane'])).toEqual(new Set(['@jane']));
    expect(await b.hold('@jane', 'other')).toBe(false);
  });

  // The tests below give entries a long TTL, so the periodic refresh (every third of it)
  // cannot be what puts things right (or what keeps a node looking alive): only the
  // heartbeat, and reacting to Redis, can.
  const LONG = { ttlMs: 60_000 };

  it("a dead node's handles are free once its heartbeat has expired, sooner than its presence", async () => {
    const [a, c] = await redisNodes(2, 300, { ...LONG, beatMs: 50 });
    expect(await a.hold('@jane', 'x')).toBe(true);
    await a.add('@jane', 'x');
    expect(await c.hold('@jane', 'z')).toBe(false);
    await a.close(); // killed: no more heartbeats
    await sleep(400);
    expect(await c.online(['@jane'])).toEqual(new Set(['@jane'])); // presence lives on (a minute)
    expect(await c.hold('@jane', 'z')).toBe(true);
  });

  it('a node that looked dead and lost a handle is told, so that connection goes', async () => {
    // Beats far apart: the key deleted below stays gone until a refresh puts it back.
    const [a, c] = await redisNodes(2, 60_000, { ...LONG, beatMs: 20_000 });
    const lost: string[] = [];
    a.onLost = (user, conn) => lost.push(`${user} ${conn}`);
    expect(await a.hold('@jane', 'x')).toBe(true);
    // As a stall of Redis longer than the heartbeat would: a's heartbeat key is gone for a moment.
    const { prefix, node } = internals(a);
    const r = await operator();
    await r.del(`${prefix}n:${node}`);
    await r.quit();
    expect(await c.hold('@jane', 'z')).toBe(true);
    await a.refresh();
    expect(lost).toEqual(['@jane x']);
    expect(await a.hold('@jane', 'x2')).toBe(false);
  });

  it("a REG waits on a holder whose node went quiet, and gets the handle once that node's heartbeat expires", async () => {
    const [a, c] = await redisNodes(2, 600, { ...LONG, beatMs: 100 });
    expect(await a.hold('@jane', 'x')).toBe(true);
    await a.close(); // killed
    await sleep(250); // two beats missed: quiet, not yet dead
    // One call, no retry: it resolves once a's key has expired (600 ms after its last beat).
    expect(await c.hold('@jane', 'z')).toBe(true);
  });

  it('a holder whose node beats is refused at once, however long the REG would wait for a dead one', async () => {
    const [a, c] = await redisNodes(2, 2_000, { ...LONG, beatMs: 100 });
    expect(await a.hold('@jane', 'x')).toBe(true);
    for (let i = 0; i < 5; i++) {
      expect(await c.hold('@jane', 'z')).toBe(false);
      await sleep(70);
    }
  });

  it('after Redis restarts empty, each node puts its users and holds back as soon as it is connected again', async () => {
    const [a, b] = await redisNodes(2, 600, { ...LONG, beatMs: 100 });
    await a.add('@jane', 'x');
    expect(await a.hold('@jane', 'x')).toBe(true);
    await redis.kill();
    await redis.start();
    expect(await within(2_000, async () => (await b.online(['@jane']).catch(() => new Set())).has('@jane'))).toBe(true);
    expect(await b.hold('@jane', 'other')).toBe(false);
  });

  it('after Redis lost its keys behind a connected node (FLUSHALL), the node announces everything at its next heartbeat', async () => {
    const [a, b] = await redisNodes(2, 600, { ...LONG, beatMs: 100 });
    await a.add('@jane', 'x');
    expect(await a.hold('@jane', 'x')).toBe(true);
    const r = await operator();
    await r.flushAll();
    await r.quit();
    expect(await b.online(['@jane'])).toEqual(new Set());
    expect(await within(2_000, async () => (await b.online(['@jane'])).has('@jane'))).toBe(true);
    expect(await b.hold('@jane', 'other')).toBe(false);
  });

  it('a node silent past its timeout whose handle was taken meanwhile learns it at its next heartbeat', async () => {
    // A beat a second: the hold below is taken before a's next beat finds its key gone.
    const [a, c] = await redisNodes(2, 60_000, { ...LONG, beatMs: 1_000 });
    const lost: string[] = [];
    a.onLost = (user, conn) => lost.push(`${user} ${conn}`);
    expect(await a.hold('@jane', 'x')).toBe(true);
    const { prefix, node } = internals(a);
    const r = await operator();
    await r.del(`${prefix}n:${node}`); // as a stall longer than the timeout would leave it
    await r.quit();
    expect(await c.hold('@jane', 'z')).toBe(true);
    expect(await within(3_000, () => lost.length > 0)).toBe(true);
    expect(lost).toEqual(['@jane x']);
  });

  it("a node restarted under the same id does not keep its dead predecessor's holds alive", async () => {
    const prefix = `restart${++seq}:`;
    const opts = { ...LONG, nodeTtlMs: 600, beatMs: 100, prefix };
    const a = await RedisPresence.open(redis.url, { nodeId: 'web-1', ...opts });
    const c = await RedisPresence.open(redis.url, { nodeId: 'web-2', ...opts });
    open.push(a, c);
    expect(await a.hold('@jane', 'x')).toBe(true);
    await a.close(); // killed, and brought back at once by its supervisor
    const again = await RedisPresence.open(redis.url, { nodeId: 'web-1', ...opts });
    open.push(again);
    expect(await within(2_000, () => c.hold('@jane', 'z'))).toBe(true);
  });
});
