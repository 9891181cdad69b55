/**
 * What the cluster bench's scenarios share: forked generator processes with a typed inbox,
 * CPU readings of everything taking part (nodes, PostgreSQL, Redis, generators, the
 * machine), and the shape of a result row.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { cpuSeconds, machineCpu } from '../load/server.ts';
import type { SlckNode } from './nodes.ts';
import { serviceCpu, type TestPostgres } from './services.ts';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

export type Log = (line: string) => void;

export type Context = {
  pg: TestPostgres;
  log: Log;
  /** Measured milliseconds of (1), and of each run of (2), after `warmupMs`. */
  durationMs: number;
  fanoutDurationMs: number;
  warmupMs: number;
  cpuProfDir?: string;
  /** (2): MSGs the sender keeps awaiting OK, and how far behind (messages) a receiver in its process may fall before it waits. */
  fanoutWindow: number;
  fanoutMaxLag: number;
  /** A fresh database name per scenario. */
  dbName(tag: string): string;
};

/** One line of the summary table. */
export type Row = {
  name: string;
  /** The headline figure: messages/s, deliveries/s, or a time. */
  figure: string;
  p50: string;
  p99: string;
  max: string;
  lostDup: string;
  target: string;
  verdict: string;
  notes: string;
};

export const fix = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '-');
export const thousands = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '-');
export const ms = (us: number, d = 2) => fix(us / 1000, d);

/** A forked generator process and a way to await its next message of a type. */
export class Child<In extends { type: string }, Out extends { type: string }> {
  readonly proc: ChildProcess;
  private readonly inbox: Out[] = [];
  private wake: (() => void) | null = null;
  private dead: Error | null = null;

  constructor(script: string, cpuProfDir?: string) {
    const execArgv = ['--import', 'tsx'];
    if (cpuProfDir) execArgv.push('--cpu-prof', '--cpu-prof-dir', cpuProfDir);
    this.proc = fork(script, [], { execArgv, stdio: 'inherit' });
    this.proc.on('message', (m: Out) => {
      this.inbox.push(m);
      this.wake?.();
    });
    this.proc.on('exit', (code) => {
      this.dead = new Error(`${script} exited (${code})`);
      this.wake?.();
    });
  }

  send(m: In): void {
    this.proc.send(m);
  }

  async next<T extends Out['type']>(type: T, timeoutMs = 120_000): Promise<Extract<Out, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.type === type || m.type === 'fatal');
      if (i >= 0) {
        const m = this.inbox.splice(i, 1)[0];
        if (m.type === 'fatal') throw new Error(`generator failed: ${(m as unknown as { message: string }).message}`);
        return m as Extract<Out, { type: T }>;
      }
      if (this.dead) throw this.dead;
      if (Date.now() >= deadline) throw new Error(`generator sent no '${type}' within ${timeoutMs / 1000} s`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, deadline - Date.now()).unref();
      });
      this.wake = null;
    }
  }

  async close(): Promise<void> {
    if (this.proc.exitCode !== null || !this.proc.connected) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.send({ type: 'close' } as unknown as In);
    await Promise.race([exited, sleep(5_000)]);
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

/** CPU seconds so far of everything in a scenario. */
export type CpuReading = { at: number; nodes: number[]; pg: Map<number, number>; redis: number; gen: number; busy: number; softirq: number };

export function readCpu(nodes: SlckNode[], pgPort: number, redisPort: number | null, genPids: number[]): CpuReading {
  const s = serviceCpu(pgPort, redisPort);
  const m = machineCpu();
  return {
    at: performance.now(),
    nodes: nodes.map((n) => n.cpu()),
    pg: s.pg,
    redis: s.redis,
    gen: genPids.reduce((n, pid) => n + (cpuSeconds(pid) || 0), 0),
    busy: m.busy,
    softirq: m.softirq,
  };
}

/** Cores used between two readings (1 = one core busy the whole time). */
export type CpuUse = { nodes: number[]; pg: number; redis: number; gen: number; machine: number; softirq: number; other: number };

export function cpuUse(a: CpuReading, b: CpuReading): CpuUse {
  const s = (b.at - a.at) / 1000;
  const nodes = b.nodes.map((x, i) => (x - a.nodes[i]) / s);
  // A backend that started in between counts whole; one that ended in between is missed.
  let pgSeconds = 0;
  for (const [pid, c] of b.pg) pgSeconds += c - (a.pg.get(pid) ?? 0);
  const pg = pgSeconds / s;
  const redis = (b.redis - a.redis) / s;
  const gen = (b.gen - a.gen) / s;
  const machine = (b.busy - a.busy) / s;
  const softirq = (b.softirq - a.softirq) / s;
  const ours = nodes.reduce((x, y) => x + y, 0) + pg + redis + gen + softirq;
  return { nodes, pg, redis, gen, machine, softirq, other: Math.max(0, machine - ours) };
}

export function describeCpu(u: CpuUse): string {
  const nodes = u.nodes.length === 1 ? `node ${fix(u.nodes[0], 2)}` : `nodes ${u.nodes.map((x) => fix(x, 2)).join(' + ')}`;
  return `cores: ${nodes}, PG ${fix(u.pg, 2)}, Redis ${fix(u.redis, 2)}, generator ${fix(u.gen, 2)}, ` +
    `softirq ${fix(u.softirq, 2)}, machine ${fix(u.machine, 2)} of ${cpus().length} (other work ~${fix(u.other, 2)})`;
}

/** A node's /metrics as `name{labels}` -> value (Prometheus text format, comments skipped). */
export async function scrape(node: SlckNode): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    const text = await (await fetch(`http://127.0.0.1:${node.httpPort}/metrics`)).text();
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const sp = line.lastIndexOf(' ');
      out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
    }
  } catch {
    // the node is gone or busy: no figures
  }
  return out;
}

/** b - a for one series (0 when missing). */
export const delta = (a: Map<string, number>, b: Map<string, number>, key: string): number => (b.get(key) ?? 0) - (a.get(key) ?? 0);

export const METRIC = {
  commits: 'slck_store_commit_seconds_count{result="ok"}',
  commitSeconds: 'slck_store_commit_seconds_sum{result="ok"}',
  commitsFailed: 'slck_store_commit_seconds_count{result="failed"}',
  msgOk: 'slck_commands_total{command="MSG",result="ok"}',
  msgErr: 'slck_commands_total{command="MSG",result="err"}',
  deliveries: 'slck_deliveries_total',
  repairsGap: 'slck_gap_repairs_total{source="gap"}',
  repairsPoll: 'slck_gap_repairs_total{source="poll"}',
  busLagCount: 'slck_bus_lag_seconds_count',
  busLagSum: 'slck_bus_lag_seconds_sum',
  cuts: 'slck_slow_consumer_cuts_total',
} as const;
