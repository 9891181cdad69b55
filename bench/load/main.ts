/**
 * The SLCK load harness: `npm run bench:load -- [options]`.
 *
 *   --full              long runs (idle hold 5 min, 30 s measurements); default is short
 *   --only a,b,...      run only these scenarios (a-f, s, g: see docs/PERFORMANCE.md)
 *   --window N          MSGs each sender keeps awaiting OK (window scenarios)
 *   --workers N         load-generator processes (fan-out scenarios)
 *   --duration S        measured seconds (fan-out scenarios)
 *   --rate N            messages per second offered in the fixed-rate scenario (b)
 *   --cpu-prof DIR      run the server under `node --cpu-prof`, profiles written to DIR
 *   --json FILE         also write every figure as JSON
 *   --heap              fan-out scenarios: sample the server's V8 heap (inspector) every 500 ms; peaks in the JSON
 *
 * Runs the server on 127.0.0.1 as a child process and prints one table at the end.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { saturationBench } from '../saturation/main.ts';
import { natsServerPath } from './nats.ts';
import { runFanout, runIdle, type FanoutResult, type IdleResult } from './run.ts';
import { scenarios, type Mode } from './scenarios.ts';

const { values } = parseArgs({
  options: {
    full: { type: 'boolean' },
    only: { type: 'string' },
    window: { type: 'string' },
    workers: { type: 'string' },
    duration: { type: 'string' },
    rate: { type: 'string' },
    'cpu-prof': { type: 'string' },
    json: { type: 'string' },
    heap: { type: 'boolean' },
  },
  strict: true,
});

const mode: Mode = values.full ? 'full' : 'short';
const only = values.only?.split(',').map((s) => s.trim().toLowerCase());
const chosen = scenarios(mode).filter((s) => !only || only.includes(s.id));
const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

const fix = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const thousands = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '-');

function row(r: FanoutResult | IdleResult): string[] {
  if (r.kind === 'idle') {
    return [
      r.name, thousands(r.connections), '-', '-', '-', '-', '-', '-', '-',
      fix(r.rssRestMB), fix(r.rssPeakMB),
      `held ${thousands(r.held)}/${thousands(r.connections)}, ${fix(r.kbPerTcp, 2)} KB/TCP, ${fix(r.kbPerWs, 2)} KB/WS ` +
        `(after GC; raw ${fix(r.kbPerTcpRaw, 1)} / ${fix(r.kbPerWsRaw, 1)}; ${fix(r.kbPerConnHeld, 2)} KB/conn after the hold), ` +
        `${thousands(r.wsPinged)} WS pinged (${thousands(r.wsPings)} pongs), dropped ${r.dropped}`,
    ];
  }
  const notes = [
    `${fix(r.kbPerConn, 1)} KB/conn`,
    `server ${fix(r.serverCores, 2)} cores = ${fix(r.serverUsPerDelivery, 2)} us/delivery, generator ${fix(r.generatorCores, 2)} cores, ` +
      `machine ${fix(r.machineBusyCores, 2)} cores busy (softirq ${fix(r.softirqCores, 2)}, ` +
      `other work ~${fix(Math.max(0, r.machineBusyCores - r.serverCores - r.generatorCores - r.softirqCores), 2)})`,
  ];
  if (Number.isFinite(r.firstCopyP50Ms)) {
    notes.push(`per message: first copy p50 ${fix(r.firstCopyP50Ms, 2)} ms, last copy p50 ${fix(r.lastCopyP50Ms, 2)} / p99 ${fix(r.lastCopyP99Ms, 2)} ms`);
  }
  if (r.dropped) notes.push(`${r.dropped} dropped`);
  if (r.sendErrors) notes.push(`${r.sendErrors} send errors (${r.firstError})`);
  if (r.connectFailures) notes.push(`${r.connectFailures} connects failed`);
  if (r.lagWaits) notes.push(`lag waits ${r.lagWaits}`);
  return [
    r.name, thousands(r.connections), thousands(r.deliveriesPerSec), thousands(r.msgsPerSec),
    fix(r.p50Ms, 2), fix(r.p99Ms, 2), fix(r.maxMs, 1),
    `${r.lost}/${r.duplicated}/${r.corrupted}`, thousands(r.deliveries),
    fix(r.rssRestMB), fix(r.rssPeakMB), notes.join(', '),
  ];
}

const HEAD = [
  'scenario', 'conns', 'deliveries/s', 'msgs/s', 'p50 ms', 'p99 ms', 'max ms',
  'lost/dup/bad', 'delivered', 'RSS rest MB', 'RSS peak MB', 'notes',
];

function table(rows: string[][]): string {
  const widths = HEAD.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(HEAD), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const results: (FanoutResult | IdleResult)[] = [];
const started = Date.now();
for (const { spec } of chosen) {
  if (spec.kind === 'fanout' && spec.mode === 'rate' && !values.rate) {
    spec.name = `(b) ${thousands(spec.msgsPerSec * spec.membersPerChannel)} deliveries/s fixed`;
  }
  const opts = { log, cpuProfDir: values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined };
  if (spec.kind === 'fanout' && spec.server === 'nats' && natsServerPath() === null) {
    log(`${spec.name}: skipped: nats-server is not installed (apt-get install nats-server)`);
    continue;
  }
  try {
    if (spec.kind === 'idle') results.push(await runIdle(spec, opts));
    else {
      if (values.heap) spec.sampleHeap = true;
      if (values.window) spec.window = Number(values.window);
      if (values.workers) spec.workers = Number(values.workers);
      if (values.duration) spec.durationMs = Number(values.duration) * 1000;
      if (values.rate && spec.mode === 'rate') {
        spec.msgsPerSec = Number(values.rate);
        spec.name = `(b) ${thousands(spec.msgsPerSec * spec.membersPerChannel)} deliveries/s fixed`;
      }
      results.push(await runFanout(spec, opts));
    }
    const last = results[results.length - 1];
    log(`${spec.name}: done\n${table([row(last)])}`);
    if (last.serverErrors) log(`server stderr:\n${last.serverErrors}`);
  } catch (e) {
    log(`${spec.name}: FAILED: ${(e as Error).stack}`);
    process.exitCode = 1;
  }
}

console.log(`\nSLCK load harness (${mode}), node ${process.version}, ${Math.round((Date.now() - started) / 1000)} s\n`);
console.log(table(results.map(row)));
if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 2));
const bad = results.some((r) => r.kind === 'fanout' && (r.lost || r.duplicated || r.corrupted));
if (bad) {
  console.log('\nSome messages were lost, duplicated or damaged.');
  process.exitCode = 1;
}
if (results.some((r) => r.kind === 'idle' && r.held < r.connections)) {
  console.log('\nSome idle connections were not held.');
  process.exitCode = 1;
}
// (g): issue 16's one-process saturation generator, SLCK as served beside nats-server
// (bench/saturation/; `npm run bench:saturation` for its own options).
if (!only || only.includes('g')) {
  if (!(await saturationBench({ full: values.full }))) process.exitCode = 1;
}
