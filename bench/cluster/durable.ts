/**
 * (1) Durable throughput: one node, 10 TCP clients each keeping 16 MSGs in flight, each to a
 * channel of its own (no fan-out: the durable path alone), 64-byte bodies. Messages/s
 * acknowledged (`OK` = committed) and MSG -> OK latency, on PostgreSQL (a cluster node: with
 * Redis, so each commit is also published) and, as the reference row, on the default SQLite
 * store (`--data-dir`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nowUs } from '../load/body.ts';
import { Histogram } from '../load/histogram.ts';
import {
  Child, METRIC, cpuUse, delta, describeCpu, fix, readCpu, scrape, sleep, thousands, type Context, type CpuUse, type Row,
} from './common.ts';
import type { FromDurableWorker, ToDurableWorker } from './durable-worker.ts';
import { startNode } from './nodes.ts';
import { freshDatabase, fsType, startRedis } from './services.ts';

export const CLIENTS = 10;
export const WINDOW = 16;
const BODY = 64;

export type DurableResult = {
  store: 'postgres' | 'sqlite';
  msgsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  firstError?: string;
  unanswered: number;
  commitsPerSec: number;
  msgsPerCommit: number;
  meanCommitMs: number;
  cpu: CpuUse;
  serverErrors: string;
};

export async function runDurable(ctx: Context, store: 'postgres' | 'sqlite'): Promise<DurableResult> {
  const redis = store === 'postgres' ? await startRedis() : null;
  const dataDir = store === 'sqlite' ? mkdtempSync(join(tmpdir(), 'slck-bench-cluster-')) : null;
  if (dataDir) ctx.log(`(1) SQLite data directory on ${fsType(dataDir)}`);
  const node = await startNode({
    id: 'n1',
    store: redis ? { databaseUrl: await freshDatabase(ctx.pg, ctx.dbName('durable')), redisUrl: redis.url } : { dataDir: dataDir! },
    cpuProfDir: ctx.cpuProfDir,
  });
  const gen = new Child<ToDurableWorker, FromDurableWorker>(join(import.meta.dirname, 'durable-worker.ts'));
  try {
    gen.send({ type: 'connect', port: node.tcpPort, clients: CLIENTS, prefix: 'd', bodyBytes: BODY });
    await gen.next('connected');
    const measureFromUs = nowUs() + ctx.warmupMs * 1000;
    const measureToUs = measureFromUs + ctx.durationMs * 1000;
    ctx.log(`(1) ${store}: ${CLIENTS} clients x ${WINDOW} in flight for ${(ctx.warmupMs + ctx.durationMs) / 1000} s (${ctx.warmupMs / 1000} s warm-up)`);
    gen.send({ type: 'go', window: WINDOW, measureFromUs, measureToUs });
    await sleep((measureFromUs - nowUs()) / 1000);
    const [m0, c0] = [await scrape(node), readCpu([node], ctx.pg.port, redis?.port ?? null, [gen.proc.pid!])];
    await sleep((measureToUs - nowUs()) / 1000);
    const [m1, c1] = [await scrape(node), readCpu([node], ctx.pg.port, redis?.port ?? null, [gen.proc.pid!])];
    const report = await gen.next('report', 60_000);
    const h = new Histogram();
    h.add(report.latency);
    const seconds = (measureToUs - measureFromUs) / 1e6;
    const commits = delta(m0, m1, METRIC.commits);
    return {
      store,
      msgsPerSec: report.oks / seconds,
      p50Ms: h.percentile(50) / 1000,
      p99Ms: h.percentile(99) / 1000,
      maxMs: h.max / 1000,
      errors: report.errors,
      firstError: report.firstError,
      unanswered: report.unanswered,
      commitsPerSec: commits / ((c1.at - c0.at) / 1000),
      msgsPerCommit: delta(m0, m1, METRIC.msgOk) / commits,
      meanCommitMs: (delta(m0, m1, METRIC.commitSeconds) / commits) * 1000,
      cpu: cpuUse(c0, c1),
      serverErrors: node.stderr().slice(0, 2000),
    };
  } finally {
    await gen.close();
    await node.stop();
    await redis?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

/** One row per store: the mean over rounds (run alternately with the other store), each round in the notes. */
export function durableRows(all: DurableResult[]): Row[] {
  const rows: Row[] = [];
  for (const store of ['postgres', 'sqlite'] as const) {
    const rs = all.filter((r) => r.store === store);
    if (rs.length === 0) continue;
    const pg = store === 'postgres';
    const rate = rs.reduce((a, r) => a + r.msgsPerSec, 0) / rs.length;
    const worstP99 = Math.max(...rs.map((r) => r.p99Ms));
    const met = rate >= 20_000 && worstP99 <= 20;
    const notes = rs.map((r, i) => {
      const n = [
        `round ${i + 1}: ${thousands(r.msgsPerSec)}/s, ${fix(r.commitsPerSec)} commits/s, ${fix(r.msgsPerCommit, 1)} msgs per commit, commit ${fix(r.meanCommitMs, 2)} ms mean`,
        describeCpu(r.cpu),
      ];
      if (r.errors) n.push(`${r.errors} errors (${r.firstError})`);
      if (r.unanswered) n.push(`${r.unanswered} MSGs never answered`);
      return n.join('; ');
    });
    const unanswered = rs.reduce((a, r) => a + r.unanswered, 0);
    const errors = rs.reduce((a, r) => a + r.errors, 0);
    rows.push({
      name: (pg ? '(1) durable, PostgreSQL + Redis, 1 node' : '(1r) durable, SQLite (reference)') + (rs.length > 1 ? ` (${rs.length} rounds)` : ''),
      figure: `${thousands(rate)} msgs/s`,
      p50: rs.map((r) => fix(r.p50Ms, 1)).join(' / '), p99: rs.map((r) => fix(r.p99Ms, 1)).join(' / '), max: rs.map((r) => fix(r.maxMs, 0)).join(' / '),
      lostDup: unanswered || errors ? `${unanswered} unanswered, ${errors} ERR` : '0 unanswered',
      target: pg ? '>= 20,000/s, p99 <= 20 ms' : '(reference)',
      verdict: pg ? (met ? 'met' : 'MISSED') : '-',
      notes: notes.join(' | '),
    });
  }
  return rows;
}
