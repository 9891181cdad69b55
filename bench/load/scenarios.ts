import type { FanoutSpec, IdleSpec } from './run.ts';

/**
 * The scenarios of docs/PERFORMANCE.md. `short` is what `npm run bench` runs (each one well
 * under a minute); `full` holds the idle connections for five minutes and measures longer.
 */
export type Mode = 'short' | 'full';

export type Scenario = { id: string; spec: FanoutSpec | IdleSpec };

/** (a): 1,000 members in one channel, 50 of them sending 64-byte bodies as fast as OKs come back. */
function fanout(mode: Mode, over: Partial<FanoutSpec>): FanoutSpec {
  const full = mode === 'full';
  return {
    kind: 'fanout',
    name: 'fan-out',
    channels: 1,
    membersPerChannel: 1000,
    sendersPerChannel: 50,
    transport: 'tcp',
    persist: false,
    mode: 'window',
    window: 8,
    msgsPerSec: 0,
    maxLag: 64,
    warmupMs: full ? 5_000 : 2_000,
    durationMs: full ? 30_000 : 8_000,
    drainMs: 20_000,
    workers: 2,
    ...over,
  };
}

export function scenarios(mode: Mode): Scenario[] {
  const full = mode === 'full';
  return [
    { id: 'a', spec: fanout(mode, { name: '(a) fan-out 1000, TCP' }) },
    {
      id: 'b',
      spec: fanout(mode, {
        name: '(b) fixed rate',
        mode: 'rate',
        msgsPerSec: 100,
        maxLag: 0,
        durationMs: full ? 60_000 : 10_000,
        // Four readers rather than two: each delivery is a read of its own here, and one
        // process reading 500 sockets in turn adds its own queueing to the tail.
        workers: 4,
      }),
    },
    {
      id: 'c',
      spec: fanout(mode, {
        name: '(c) 500 channels x 20',
        channels: 500,
        membersPerChannel: 20,
        sendersPerChannel: 1,
        window: 4,
        maxLag: 64,
        workers: 3,
      }),
    },
    {
      id: 'd',
      spec: {
        kind: 'idle',
        name: '(d) 19k idle, TCP + WS',
        tcp: 9_500,
        ws: 9_500,
        holdMs: full ? 300_000 : 20_000,
        heartbeatMs: full ? 30_000 : 2_000,
        workers: 4,
      } satisfies IdleSpec,
    },
    { id: 'e', spec: fanout(mode, { name: '(e) fan-out 1000, WS', transport: 'ws' }) },
    { id: 'f', spec: fanout(mode, { name: '(f) fan-out 1000, SQLite', persist: true }) },
    // (s) saturation, side by side in one run: 1,000 members, 50 senders, each waiting for
    // its OK (SLCK) or its own message back (NATS) before the next, and no lag limit in the
    // generator, so whatever queues up is the server's to bound.
    // The SLCK rows run the built server as `npm start` does (dist/server, plain node); the
    // last one is the memory row again from the sources through tsx, for comparison.
    ...(['memory', 'sqlite', 'sources', 'nats'] as const).map((row) => ({
      id: 's',
      spec: fanout(mode, {
        name: `(s) saturation, ${{ memory: 'SLCK memory', sqlite: 'SLCK SQLite', sources: 'SLCK memory, sources (tsx)', nats: 'nats-server' }[row]}`,
        window: 1,
        maxLag: 0,
        persist: row === 'sqlite',
        sources: row === 'sources',
        server: row === 'nats' ? 'nats' : 'slck',
      }),
    })),
  ];
}
