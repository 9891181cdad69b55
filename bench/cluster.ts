/**
 * SLCK on several nodes: `npm run bench:cluster -- [options]`.
 *
 * Real PostgreSQL (fsync on) and Redis on free ports of 127.0.0.1 (gateway/test/support/services.ts),
 * real nodes (`gateway/main.ts --database-url … --redis-url … --node-id nX`) as child
 * processes, load generators in other child processes. Scenarios (docs/PERFORMANCE.md,
 * "Several nodes"):
 *
 *   1   durable throughput: 1 node on PostgreSQL, 10 clients x 16 MSGs in flight, each to a
 *       channel of its own; and the same on SQLite (`--data-dir`) as the reference
 *   2   fan-out to 1,000 members of one channel: 1 node, then 500 + 500 on 2 nodes
 *   3   cross-node delivery latency: n1 -> 100 receivers on n2 at 100 msgs/s (and on n1)
 *   4   a 5 s Redis stall (SIGSTOP) under a 50 msgs/s n1 -> n2 stream
 *   5   failover: kill -9 a node holding 100 clients; they come back on the other
 *   6   presence after Redis restarts empty, and after FLUSHALL: 201 users on 3 nodes, how
 *       soon USRS on another node shows them all online again
 *   7   a browser (Chromium, the built web app, through a balancer) whose node is killed:
 *       how soon it is online elsewhere and caught up; needs `npm run build` first
 *
 * `--only 4,5,6,7` runs the outage and failover parts alone.
 *
 * Options: --only 1,3,...      scenarios to run (default all)
 *          --rounds N          rounds of (1)+(1r) and of (2a)+(2b), each pair run alternately (2)
 *          --duration S        measured seconds of each run of (1) (10), after --warmup S (2)
 *          --fanout-duration S measured seconds of each run of (2) (8)
 *          --window N          (2): MSGs the sender keeps awaiting OK (16)
 *          --max-lag N         (2): the sender waits while a receiver in its process is this far behind (64)
 *          --cpu-prof DIR      run the nodes under node --cpu-prof, a directory per node under DIR
 *          --json FILE         every figure as JSON
 *
 * `SLCK_ROOT=<checkout>` runs the server of another checkout (bench/cluster/nodes.ts).
 * Prints one table at the end, with the machine it ran on.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Context, Row } from './cluster/common.ts';
import { durableRows, runDurable, type DurableResult } from './cluster/durable.ts';
import { fanoutRows, latencyRows, runFanout, runLatency, type FanoutRun } from './cluster/fanout.ts';
import { SLCK_ROOT } from './cluster/nodes.ts';
import { failoverRows, runFailover, runStall, stallRows, type FailoverResult, type StallResult } from './cluster/outages.ts';
import { presenceRows, runPresence, type PresenceResult } from './cluster/presence.ts';
import { browserRows, runBrowser, type BrowserResult } from './cluster/browser.ts';
import { fsType, startPostgres, stopAllServices } from './cluster/services.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    window: { type: 'string', default: '16' },
    'max-lag': { type: 'string', default: '64' },
    rounds: { type: 'string', default: '2' },
    'fanout-duration': { type: 'string', default: '8' },
    'cpu-prof': { type: 'string' },
    json: { type: 'string' },
  },
  strict: true,
});

const only = values.only?.split(',').map((s) => s.trim());
const wanted = (id: string) => !only || only.includes(id);
const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

process.once('SIGINT', () => {
  log('interrupted: stopping PostgreSQL and Redis');
  void stopAllServices().finally(() => process.exit(130));
});

function version(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '?';
  }
}

const started = Date.now();
const machine = {
  cpus: cpus().length,
  model: cpus()[0]?.model ?? '?',
  node: process.version,
  kernel: release(),
  memGiB: Math.round(totalmem() / 2 ** 30),
  loadAtStart: loadavg()[0],
  postgres: version('/usr/lib/postgresql/15/bin/postgres', ['--version']),
  redis: version('redis-server', ['--version']).split(' ').find((w) => w.startsWith('v='))?.slice(2) ?? '?',
  tmpFs: fsType(tmpdir()),
  root: SLCK_ROOT,
  /** The server's commit, when SLCK_ROOT is a git checkout, and whether its server files differ from it. */
  commit: version('git', ['-C', SLCK_ROOT, 'rev-parse', '--short', 'HEAD']),
  modified: version('git', ['-C', SLCK_ROOT, 'status', '--porcelain', '--untracked-files=no', '--', 'gateway', 'core']).split('\n').filter(Boolean).length,
};
log(`machine: ${machine.cpus} CPUs (${machine.model}), node ${machine.node}, Linux ${machine.kernel}, ${machine.postgres}, Redis ${machine.redis}`);

const pg = await startPostgres();
let db = 0;
const ctx: Context = {
  pg,
  log,
  durationMs: Number(values.duration) * 1000,
  fanoutDurationMs: Number(values['fanout-duration']) * 1000,
  warmupMs: Number(values.warmup) * 1000,
  cpuProfDir: values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined,
  fanoutWindow: Number(values.window),
  fanoutMaxLag: Number(values['max-lag']),
  dbName: (tag) => `bench_${tag}_${++db}`,
};

const rows: Row[] = [];
const results: {
  durable: DurableResult[];
  fanout: FanoutRun[];
  latency?: { cross: FanoutRun; same: FanoutRun };
  stall?: StallResult;
  failover?: FailoverResult;
  presence?: PresenceResult;
  browser?: BrowserResult;
} = { durable: [], fanout: [] };
const failures: string[] = [];

async function attempt(name: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    log(`${name}: FAILED: ${(e as Error).stack}`);
    failures.push(name);
    process.exitCode = 1;
  }
}

const show = (r: Row[]) => log(`done\n${table(r)}`);

try {
  if (wanted('1')) {
    for (let round = 1; round <= Number(values.rounds); round++) {
      for (const store of ['postgres', 'sqlite'] as const) {
        await attempt(`(1) ${store} round ${round}`, async () => {
          const r = await runDurable(ctx, store);
          results.durable.push(r);
          show(durableRows([r]));
        });
      }
    }
    rows.push(...durableRows(results.durable));
  }
  if (wanted('2')) {
    const ones: FanoutRun[] = [];
    const twos: FanoutRun[] = [];
    for (let round = 1; round <= Number(values.rounds); round++) {
      await attempt(`(2a) round ${round}`, async () => {
        const r = await runFanout(ctx, false);
        ones.push(r);
        results.fanout.push(r);
        show(fanoutRows([r], []));
      });
      await attempt(`(2b) round ${round}`, async () => {
        const r = await runFanout(ctx, true);
        twos.push(r);
        results.fanout.push(r);
        show(fanoutRows(ones.slice(-1), [r]).slice(-1));
      });
    }
    rows.push(...fanoutRows(ones, twos));
  }
  if (wanted('3')) {
    await attempt('(3)', async () => {
      const l = await runLatency(ctx);
      results.latency = l;
      rows.push(...latencyRows(l));
      show(latencyRows(l));
    });
  }
  if (wanted('4')) {
    await attempt('(4)', async () => {
      const s = await runStall(ctx);
      results.stall = s;
      rows.push(...stallRows(s));
      show(stallRows(s));
      if (s.check.text) log(`(4) checker:\n${s.check.text}`);
    });
  }
  if (wanted('5')) {
    await attempt('(5)', async () => {
      const f = await runFailover(ctx);
      results.failover = f;
      rows.push(...failoverRows(f));
      show(failoverRows(f));
      if (f.check.text) log(`(5) checker:\n${f.check.text}`);
    });
  }
  if (wanted('6')) {
    await attempt('(6)', async () => {
      const p = await runPresence(ctx);
      results.presence = p;
      rows.push(...presenceRows(p));
      show(presenceRows(p));
    });
  }
  if (wanted('7')) {
    await attempt('(7)', async () => {
      const b = await runBrowser(ctx);
      results.browser = b;
      rows.push(...browserRows(b));
      show(browserRows(b));
    });
  }
} finally {
  await stopAllServices();
}

function table(rs: Row[]): string {
  const head = ['scenario', 'figure', 'p50 ms', 'p99 ms', 'max ms', 'lost/dup', 'target', 'result', 'notes'];
  const cells = rs.map((r) => [r.name, r.figure, r.p50, r.p99, r.max, r.lostDup, r.target, r.verdict, r.notes]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

console.log(
  `\nSLCK cluster bench, ${Math.round((Date.now() - started) / 1000)} s: ${machine.cpus} CPUs (${machine.model}), ` +
    `${machine.memGiB} GiB, Linux ${machine.kernel}, node ${machine.node}, ${machine.postgres} (fsync on, data on ${machine.tmpFs}), ` +
    `Redis ${machine.redis}; load average ${machine.loadAtStart.toFixed(2)} at start` +
    `\nserver: ${machine.root}` + (machine.commit !== '?' ? ` (git ${machine.commit}${machine.modified ? `, ${machine.modified} files of gateway/ and core/ modified` : ''})` : '') +
    `\n(1): MSG -> OK latency; (2), (3): delivery latency (send -> receive); (4)-(7): ms; lost/dup: lost/duplicated[/damaged]\n`,
);
console.log(table(rows));
if (failures.length) console.log(`\nFailed: ${failures.join(', ')}`);
if (values.json) writeFileSync(values.json, JSON.stringify({ machine, results }, null, 2));
