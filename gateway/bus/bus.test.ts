import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import type { Bus } from './bus.ts';
import { MemoryBusNetwork } from './memory-bus.ts';
import { RedisBus } from './redis-bus.ts';
import { startRedis, type TestRedis } from '../test/support/services.ts';

// One contract for both buses, then what only the Redis bus meets: a real redis-server that
// is killed, stalled and has its subscribers kicked, as happens in production.

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const open: Bus[] = [];
afterEach(async () => {
  for (const b of open.splice(0)) await b.close();
});

const BEAT_MS = 100;
const text = (s: string) => new TextEncoder().encode(s);
const read = (b: Uint8Array) => new TextDecoder().decode(b);

type Node = { bus: Bus; got: string[]; resyncs: number };

function watch(bus: Bus): Node {
  const node: Node = { bus, got: [], resyncs: 0 };
  bus.onMessage = (topic, payload) => node.got.push(`${topic}=${read(payload)}`);
  bus.onResync = () => node.resyncs++;
  open.push(bus);
  return node;
}

async function eventually(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let nodeSeq = 0;
const implementations: Array<{ name: string; pair: () => Promise<[Bus, Bus]> }> = [
  { name: 'MemoryBus', pair: async () => { const net = new MemoryBusNetwork(); return [net.bus(), net.bus()]; } },
  {
    name: 'RedisBus',
    pair: async () => {
      const open = () => RedisBus.open(redis.url, { nodeId: `n${++nodeSeq}`, beatMs: BEAT_MS });
      return Promise.all([open(), open()]);
    },
  },
];

/** Publish until `node` has heard one on `topic` (a Redis subscription takes a moment). */
async function ready(from: Bus, node: Node, topic: string): Promise<void> {
  await eventually('the bus to deliver', () => {
    if (node.got.some((g) => g.startsWith(`${topic}=ready`))) return true;
    from.publish(topic, text('ready'));
    return false;
  });
  await new Promise((r) => setTimeout(r, 50));
  node.got.length = 0;
}

for (const impl of implementations) {
  describe(`Bus contract: ${impl.name}`, () => {
    it('carries bytes to every subscriber of a topic, the publisher included, and stops on unsubscribe', async () => {
      const [x, y] = await impl.pair();
      const a = watch(x);
      const b = watch(y);
      a.bus.subscribe('conv:#general');
      b.bus.subscribe('conv:#general');
      b.bus.subscribe('conv:#other');
      await ready(a.bus, b, 'conv:#general');
      await ready(a.bus, a, 'conv:#general');
      a.bus.publish('conv:#general', text('héllo\r\n\0'));
      a.bus.publish('conv:#other', text('only b'));
      await eventually('both deliveries', () => a.got.length === 1 && b.got.length === 2);
      expect(a.got).toEqual(['conv:#general=héllo\r\n\0']);
      expect(b.got.sort()).toEqual(['conv:#general=héllo\r\n\0', 'conv:#other=only b']);
      b.bus.unsubscribe('conv:#general');
      await new Promise((r) => setTimeout(r, 100));
      a.bus.publish('conv:#general', text('after'));
      await eventually('a to hear it', () => a.got.length === 2);
      await new Promise((r) => setTimeout(r, 100));
      expect(b.got).toHaveLength(2);
    });

    it('keeps the order of one publisher on one topic', async () => {
      const [x, y] = await impl.pair();
      const b = watch(y);
      watch(x);
      b.bus.subscribe('t');
      await ready(x, b, 't');
      for (let i = 0; i < 500; i++) x.publish('t', text(String(i)));
      await eventually('500 payloads', () => b.got.length === 500);
      expect(b.got).toEqual(Array.from({ length: 500 }, (_, i) => `t=${i}`));
    });
  });
}

describe('RedisBus under faults', () => {
  async function pair(): Promise<[Node, Node]> {
    const [x, y] = await Promise.all([1, 2].map(() => RedisBus.open(redis.url, { nodeId: `f${++nodeSeq}`, beatMs: BEAT_MS })));
    const a = watch(x);
    const b = watch(y);
    b.bus.subscribe('t');
    await eventually('healthy', () => x.healthy && y.healthy);
    await ready(a.bus, b, 't');
    return [a, b];
  }

  it('a subscription killed by Redis (CLIENT KILL TYPE pubsub) is found, renewed and resynced', async () => {
    const [a, b] = await pair();
    const before = b.resyncs;
    const admin = createClient({ url: redis.url });
    await admin.connect();
    await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    admin.destroy();
    await eventually('a resync', () => b.resyncs > before);
    await ready(a.bus, b, 't');
    a.bus.publish('t', text('after the kill'));
    await eventually('delivery again', () => b.got.includes('t=after the kill'));
  });

  it('a stalled Redis (SIGSTOP) makes the bus unhealthy; once it resumes, it resyncs and delivers', async () => {
    const [a, b] = await pair();
    const before = b.resyncs;
    redis.pause();
    try {
      await eventually('unhealthy', () => !b.bus.healthy);
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      redis.resume();
    }
    await eventually('a resync', () => b.resyncs > before && b.bus.healthy);
    await ready(a.bus, b, 't');
    a.bus.publish('t', text('after the stall'));
    await eventually('delivery again', () => b.got.includes('t=after the stall'));
  });

  it('Redis killed and restarted: both nodes reconnect, resubscribe and resync by themselves', async () => {
    const [a, b] = await pair();
    const before = b.resyncs;
    await redis.kill();
    await eventually('unhealthy', () => !b.bus.healthy);
    await redis.start();
    await eventually('a resync', () => b.resyncs > before && b.bus.healthy && a.bus.healthy);
    await ready(a.bus, b, 't');
    a.bus.publish('t', text('after the restart'));
    await eventually('delivery again', () => b.got.includes('t=after the restart'));
  });
});
