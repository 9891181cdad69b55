import { describe, expect, it } from 'vitest';
import { natsServerPath } from './nats.ts';
import { runFanout, runIdle } from './run.ts';

/**
 * The load harness itself, run small: the real server as a child process, real sockets,
 * worker processes. It asserts what the harness exists to check (every delivery arrives
 * once and intact, idle connections stay up and answer), never a speed.
 */
describe('load harness', () => {
  it('delivers every message once and intact, over TCP and WebSocket', async () => {
    for (const transport of ['tcp', 'ws'] as const) {
      const r = await runFanout({
        kind: 'fanout', name: `smoke ${transport}`, channels: 2, membersPerChannel: 10, sendersPerChannel: 1,
        transport, persist: transport === 'tcp', mode: 'window', window: 4, msgsPerSec: 0, maxLag: 64,
        warmupMs: 300, durationMs: 1200, drainMs: 10_000, workers: 2, settleMs: 200,
      });
      expect(r.connectFailures).toBe(0);
      expect(r.sendErrors).toBe(0);
      expect(r.deliveries).toBeGreaterThan(0);
      expect({ lost: r.lost, duplicated: r.duplicated, corrupted: r.corrupted, dropped: r.dropped }).toEqual({
        lost: 0, duplicated: 0, corrupted: 0, dropped: 0,
      });
      expect(Number.isFinite(r.p99Ms)).toBe(true);
    }
  }, 90_000);

  // The reference row of the saturation scenario: the same workers and checks, NATS's dialect.
  it.skipIf(natsServerPath() === null)('drives nats-server with the same checks (window 1: own message back before the next)', async () => {
    const r = await runFanout({
      kind: 'fanout', name: 'smoke nats', channels: 2, membersPerChannel: 10, sendersPerChannel: 2, server: 'nats',
      transport: 'tcp', persist: false, mode: 'window', window: 1, msgsPerSec: 0, maxLag: 0,
      warmupMs: 300, durationMs: 1000, drainMs: 10_000, workers: 2, settleMs: 200,
    });
    expect(r.connectFailures).toBe(0);
    expect(r.sendErrors).toBe(0);
    expect(r.deliveries).toBeGreaterThan(0);
    expect({ lost: r.lost, duplicated: r.duplicated, corrupted: r.corrupted, dropped: r.dropped }).toEqual({
      lost: 0, duplicated: 0, corrupted: 0, dropped: 0,
    });
    expect(r.rssPeakMB).toBeGreaterThan(0);
  }, 60_000);

  it('holds idle connections with heartbeats and finds every one alive', async () => {
    const r = await runIdle({ kind: 'idle', name: 'smoke idle', tcp: 10, ws: 10, holdMs: 2500, heartbeatMs: 1000, workers: 2, settleMs: 200 });
    expect(r.connectFailures).toBe(0);
    expect(r.held).toBe(20);
    expect(r.dropped).toBe(0);
    // Every WebSocket saw the server's pings and, by answering them, was kept.
    expect(r.wsPinged).toBe(10);
    expect(r.rssRestMB).toBeGreaterThan(0);
  }, 60_000);
});
