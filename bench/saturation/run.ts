/**
 * Runs issue 16's saturation comparison: for each round, SLCK (as served) and nats-server
 * one after the other under the same load from the one-process generator (generator.ts),
 * in scenario (sat) (window 1, as fast as OKs come) and (b) (a fixed offered rate); then a
 * table of every leg and the issue's targets judged per round.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { machineCpu } from '../load/server.ts';
import { Generator, type LoadFigures, type LoadSpec } from './generator.ts';
import { cpuSeconds, kernelQueues, startServerUnderTest, type KernelQueues, type Store, type Which } from './servers.ts';

export type SaturationOptions = {
  /** Which scenarios: 'sat' (window 1) and/or 'b' (fixed rate). */
  scenarios: ('sat' | 'b')[];
  rounds: number;
  /** Which servers each round runs, in order (default SLCK, then nats-server). */
  servers?: Which[];
  full: boolean;
  store: Store;
  /** (b): messages per second into the 1,000-member channel. */
  rate: number;
  durationS?: number;
  /** Read the kernel's socket queues (`ss`) every 500 ms while sending. */
  queues: boolean;
  /** Extra node flags for the SLCK server (e.g. --cpu-prof --cpu-prof-dir DIR). */
  slckNodeArgs: string[];
  log: (line: string) => void;
};

export type Leg = LoadFigures & {
  scenario: 'sat' | 'b';
  round: number;
  server: Which;
  command: string;
  rssRestMB: number;
  rssConnectedMB: number;
  /** VmHWM at the end: the most the process ever had resident. */
  peakRssMB: number;
  /** VmHWM once every member had joined, before sending: the connection storm's share of the peak. */
  hwmConnectedMB: number;
  /** The largest VmRSS sampled every 100 ms while sending and draining, and what it was made of. */
  sendingPeakMB: number;
  /** Of that sample: anonymous (private: heaps, buffers) and file-backed (the executable and libraries, shared, clean). */
  sendingPeakAnonMB: number;
  sendingPeakFileMB: number;
  serverCores: number;
  serverUsPerCopy: number;
  machineBusyCores: number;
  loadavg1: number;
  /** Largest kernel queues seen while sending (with `queues`), in KB. */
  queuesKB?: { serverSendQ: number; serverRecvQ: number; clientRecvQ: number; clientMaxRecvQ: number };
  serverErrors: string;
  /**
   * SLCK with SQLite: its store commits while sending (from /metrics, slck_store_commit_seconds):
   * how many, their mean, and how many took over 50 / 250 ms. better-sqlite3 commits (and
   * fsyncs, `synchronous = FULL`) on the event loop, so a slow one stops every delivery.
   */
  commits?: { count: number; meanMs: number; over50ms: number; over250ms: number };
};

type CommitCounts = { count: number; sum: number; le: Map<string, number> };

/** slck_store_commit_seconds{result="ok"} from the server's /metrics, or null. */
async function commitCounts(httpPort: number): Promise<CommitCounts | null> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const le = new Map<string, number>();
    let count = 0;
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith('slck_store_commit_seconds') || !line.includes('result="ok"')) continue;
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      const bucket = /le="([^"]+)"/.exec(line);
      if (bucket) le.set(bucket[1], value);
      else if (line.startsWith('slck_store_commit_seconds_count')) count = value;
      else if (line.startsWith('slck_store_commit_seconds_sum')) sum = value;
    }
    return { count, sum, le };
  } catch {
    return null;
  }
}

function commitsBetween(a: CommitCounts | null, b: CommitCounts | null): Leg['commits'] {
  if (!a || !b || b.count === a.count) return undefined;
  const count = b.count - a.count;
  const upTo = (le: string) => (b.le.get(le) ?? 0) - (a.le.get(le) ?? 0);
  return { count, meanMs: ((b.sum - a.sum) * 1000) / count, over50ms: count - upTo('0.05'), over250ms: count - upTo('0.25') };
}

const MB = 1024 * 1024;

/** VmRSS and its anonymous and file-backed parts, in bytes, from /proc/<pid>/status. */
function memoryOf(pid: number): { rss: number; anon: number; file: number } {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
  } catch {
    return { rss: 0, anon: NaN, file: NaN };
  }
}
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function specOf(scenario: 'sat' | 'b', o: SaturationOptions): LoadSpec {
  const durationMs = (o.durationS ?? (o.full ? 30 : scenario === 'sat' ? 10 : 10)) * 1000;
  return {
    members: 1000,
    senders: 50,
    mode: scenario === 'sat' ? 'window' : 'rate',
    msgsPerSec: o.rate,
    warmupMs: o.full ? 5000 : 2000,
    durationMs,
    silenceMs: 500,
    giveUpMs: 2000,
    lateMs: 5000,
  };
}

async function runLeg(scenario: 'sat' | 'b', round: number, server: Which, o: SaturationOptions): Promise<Leg> {
  const name = `${scenario === 'sat' ? '(sat)' : '(b)'} round ${round} ${server}`;
  const proc = await startServerUnderTest(server, o.store, server === 'slck' ? o.slckNodeArgs : []);
  const gen = new Generator(server, specOf(scenario, o));
  try {
    await sleep(500);
    const rssRest = proc.rss();
    o.log(`${name}: connecting 1,000 members`);
    await gen.connect(proc.tcpPort);
    await sleep(1000);
    const rssConnected = proc.rss();
    const hwmConnected = proc.peakRss();
    let sendingPeak = { rss: rssConnected, anon: NaN, file: NaN };
    const rssTimer = setInterval(() => {
      const now = memoryOf(proc.pid);
      if (now.rss > sendingPeak.rss) sendingPeak = now;
    }, 100);
    const commits0 = server === 'slck' ? await commitCounts(proc.httpPort) : null;
    const cpu0 = cpuSeconds(proc.pid);
    const m0 = machineCpu();
    const t0 = Date.now();
    let queues: Leg['queuesKB'];
    let sampling = o.queues;
    const sampler = o.queues
      ? (async () => {
        const max: KernelQueues = { serverSendQ: 0, serverRecvQ: 0, clientRecvQ: 0, clientMaxRecvQ: 0 };
        while (sampling) {
          const q = await kernelQueues(proc.tcpPort);
          for (const k of Object.keys(max) as (keyof KernelQueues)[]) max[k] = Math.max(max[k], q[k]);
          await sleep(500);
        }
        queues = Object.fromEntries(Object.entries(max).map(([k, v]) => [k, Math.round(v / 1024)])) as Leg['queuesKB'];
      })()
      : null;
    o.log(`${name}: sending`);
    const figures = await gen.run((line) => o.log(`${name}: ${line}`));
    sampling = false;
    clearInterval(rssTimer);
    await sampler;
    const seconds = (Date.now() - t0) / 1000;
    const commits = server === 'slck' ? commitsBetween(commits0, await commitCounts(proc.httpPort)) : undefined;
    const serverCpu = cpuSeconds(proc.pid) - cpu0;
    const m1 = machineCpu();
    return {
      ...figures,
      scenario,
      round,
      server,
      command: proc.command,
      rssRestMB: rssRest / MB,
      rssConnectedMB: rssConnected / MB,
      peakRssMB: proc.peakRss() / MB,
      hwmConnectedMB: hwmConnected / MB,
      sendingPeakMB: sendingPeak.rss / MB,
      sendingPeakAnonMB: sendingPeak.anon / MB,
      sendingPeakFileMB: sendingPeak.file / MB,
      serverCores: serverCpu / seconds,
      // CPU over the whole sending phase (warm-up and drain too) per copy received.
      serverUsPerCopy: (serverCpu * 1e6) / Math.max(1, figures.sent * 999),
      machineBusyCores: (m1.busy - m0.busy) / seconds,
      loadavg1: loadavg()[0],
      queuesKB: queues,
      commits,
      serverErrors: proc.stderr().slice(0, 2000),
    };
  } finally {
    gen.close();
    await proc.stop();
  }
}

const fix = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const thousands = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '-');

const HEAD = [
  'scenario', 'round', 'server', 'copies/s', 'msgs/s', 'first p50 ms', 'first p99 ms', 'copy p99 ms', 'last p99 ms',
  'silences >500ms (longest ms)', 'gave up owing / late', 'lost/dup/bad', 'RSS rest MB', 'RSS peak MB', 'notes',
];

function row(l: Leg): string[] {
  const notes = [
    `server ${fix(l.serverCores, 2)} cores (${fix(l.serverUsPerCopy, 2)} us/copy), generator ${fix(l.generatorCores, 2)}, machine ${fix(l.machineBusyCores, 2)} busy, load ${fix(l.loadavg1, 1)}`,
    `RSS connected ${fix(l.rssConnectedMB)}, peak when connected ${fix(l.hwmConnectedMB)}, peak sending ${fix(l.sendingPeakMB)} MB (anon ${fix(l.sendingPeakAnonMB)} + file ${fix(l.sendingPeakFileMB)})`,
    `generator loop p99 ${fix(l.loopP99Ms, 0)} / max ${fix(l.loopMaxMs, 0)} ms`,
  ];
  if (l.silences) notes.push(`silent at ${l.silenceAt.slice(0, 5).join(', ')} s, ${l.generatorSilences} of them while the generator itself stalled`);
  if (l.queuesKB) notes.push(`kernel queues max KB: server send ${l.queuesKB.serverSendQ}, server recv ${l.queuesKB.serverRecvQ}, clients recv ${l.queuesKB.clientRecvQ} (one ${l.queuesKB.clientMaxRecvQ})`);
  if (l.commits) notes.push(`${l.commits.count} store commits, mean ${fix(l.commits.meanMs, 1)} ms, ${l.commits.over50ms} over 50 ms, ${l.commits.over250ms} over 250 ms`);
  if (l.dropped) notes.push(`${l.dropped} connections dropped`);
  if (l.sendErrors) notes.push(`${l.sendErrors} send errors (${l.firstError})`);
  return [
    l.scenario === 'sat' ? '(sat) window 1' : '(b) fixed rate', String(l.round), l.server === 'slck' ? 'SLCK' : 'nats-server',
    thousands(l.copiesPerSec), thousands(l.msgsPerSec), fix(l.firstP50Ms, 1), fix(l.firstP99Ms, 1), fix(l.copyP99Ms, 1), fix(l.lastP99Ms, 1),
    `${l.silences} (${fix(l.longestSilenceMs)})`, `${thousands(l.gaveUpOwing)} / ${thousands(l.late)}`,
    `${thousands(l.lost)}/${l.duplicated}/${l.corrupted}`, fix(l.rssRestMB), fix(l.peakRssMB), notes.join('; '),
  ];
}

export function table(legs: Leg[]): string {
  const rows = legs.map(row);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(HEAD), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The issue's targets, per scenario and round where both servers ran. */
export function verdicts(legs: Leg[]): string[] {
  const out: string[] = [];
  for (const l of legs.filter((x) => x.server === 'slck')) {
    const n = legs.find((x) => x.server === 'nats' && x.scenario === l.scenario && x.round === l.round);
    if (!n) continue;
    const at = `${l.scenario === 'sat' ? '(sat)' : '(b)'} round ${l.round}`;
    const p99 = l.firstP99Ms <= n.firstP99Ms;
    const items = [`first-copy p99 ${fix(l.firstP99Ms, 1)} vs ${fix(n.firstP99Ms, 1)} ms: ${p99 ? 'met' : 'MISSED'}`];
    if (l.scenario === 'b') items.push(`every-copy p99 ${fix(l.copyP99Ms, 1)} vs ${fix(n.copyP99Ms, 1)} ms: ${l.copyP99Ms <= n.copyP99Ms ? 'met' : 'MISSED'}`);
    const own = l.generatorSilences ? ` (${l.generatorSilences} of them while the generator itself stalled)` : '';
    items.push(`silence > 500 ms: ${l.silences === 0 ? 'none, met' : `${l.silences}, longest ${fix(l.longestSilenceMs)} ms${own}, MISSED`} (nats-server: ${n.silences})`);
    if (l.scenario === 'sat') {
      const ratio = l.peakRssMB / n.peakRssMB;
      items.push(`peak RSS ${fix(l.peakRssMB)} vs ${fix(n.peakRssMB)} MB = ${fix(ratio, 2)}x: ${ratio <= 1.5 ? 'met' : 'MISSED'}`);
    }
    out.push(`${at}: ${items.join('; ')}`);
  }
  return out;
}

/** Every round runs each scenario on SLCK, then on nats-server. */
export async function runSaturation(o: SaturationOptions): Promise<{ legs: Leg[]; failed: boolean }> {
  const legs: Leg[] = [];
  let failed = false;
  for (let round = 1; round <= o.rounds; round++) {
    for (const scenario of o.scenarios) {
      for (const server of o.servers ?? (['slck', 'nats'] as const)) {
        try {
          const leg = await runLeg(scenario, round, server, o);
          legs.push(leg);
          o.log(`done\n${table([leg])}`);
          if (leg.serverErrors) o.log(`server stderr:\n${leg.serverErrors}`);
          if (leg.lost > 0 || leg.duplicated || leg.corrupted) failed = true;
        } catch (e) {
          o.log(`${scenario} round ${round} ${server}: FAILED: ${(e as Error).stack}`);
          failed = true;
        }
      }
    }
  }
  return { legs, failed };
}
