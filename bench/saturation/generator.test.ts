import { describe, expect, it } from 'vitest';
import { Generator, type LoadSpec } from './generator.ts';
import { startServerUnderTest, type Running, type Which } from './servers.ts';

/**
 * The saturation generator itself, run small against the real servers (SLCK built as served,
 * with --memory; nats-server): it must count every copy once, and see a server that stops
 * answering as a silence, and the copies that come after it gave up as late, not lost. The
 * servers are paused with SIGSTOP, so the silence is theirs, not made up. Never a speed.
 */
const small = (over: Partial<LoadSpec>): LoadSpec => ({
  members: 20, senders: 5, mode: 'window', msgsPerSec: 50, warmupMs: 200, durationMs: 800,
  silenceMs: 500, giveUpMs: 2000, lateMs: 3000, ...over,
});

async function withServer<T>(which: Which, body: (server: Running) => Promise<T>): Promise<T> {
  const server = await startServerUnderTest(which, 'memory');
  try {
    return await body(server);
  } finally {
    try {
      process.kill(server.pid, 'SIGCONT');
    } catch {
      // it has exited already
    }
    await server.stop();
  }
}

describe('saturation generator', () => {
  for (const which of ['slck', 'nats'] as const) {
    it(`counts every copy of every message once, window 1 and fixed rate (${which})`, async () => {
      for (const mode of ['window', 'rate'] as const) {
        await withServer(which, async (server) => {
          const gen = new Generator(which, small({ mode }));
          try {
            expect(await gen.connect(server.tcpPort)).toBe(20);
            const f = await gen.run(() => {});
            expect(f.sent).toBeGreaterThan(0);
            expect(f.measuredMsgs).toBeGreaterThan(0);
            expect({ lost: f.lost, late: f.late, gaveUpOwing: f.gaveUpOwing, duplicated: f.duplicated, corrupted: f.corrupted, dropped: f.dropped, sendErrors: f.sendErrors })
              .toEqual({ lost: 0, late: 0, gaveUpOwing: 0, duplicated: 0, corrupted: 0, dropped: 0, sendErrors: 0 });
            expect(Number.isFinite(f.firstP99Ms) && Number.isFinite(f.lastP99Ms)).toBe(true);
            expect(f.firstP50Ms).toBeLessThanOrEqual(f.lastP50Ms);
          } finally {
            gen.close();
          }
        });
      }
    }, 60_000);
  }

  it('reports a paused server as a silence, and what it sends after the harness gave up as late', async () => {
    await withServer('slck', async (server) => {
      // Fixed rate, so messages keep being sent while the server is stopped and copies are owed.
      const gen = new Generator('slck', small({ mode: 'rate', giveUpMs: 500, lateMs: 4000 }));
      try {
        await gen.connect(server.tcpPort);
        // Stopped from 0.7 s to 2.2 s of the run: sending ends at 1 s, the harness gives up
        // 0.5 s after the last copy, and the server answers again inside the late window.
        const stop = setTimeout(() => process.kill(server.pid, 'SIGSTOP'), 700);
        const resume = setTimeout(() => process.kill(server.pid, 'SIGCONT'), 2200);
        const f = await gen.run(() => {});
        clearTimeout(stop);
        clearTimeout(resume);
        expect(f.silences).toBeGreaterThanOrEqual(1);
        expect(f.longestSilenceMs).toBeGreaterThan(500);
        expect(f.gaveUpOwing).toBeGreaterThan(0);
        expect(f.late).toBe(f.gaveUpOwing);
        expect({ lost: f.lost, duplicated: f.duplicated, corrupted: f.corrupted }).toEqual({ lost: 0, duplicated: 0, corrupted: 0 });
      } finally {
        gen.close();
      }
    });
  }, 60_000);
});
