/**
 * (2) Fan-out to 1,000 members, on one node and split 500/500 over two, and (3) cross-node
 * delivery latency at a fixed offered rate. Both drive bench/load's worker processes
 * (bench/load/worker.ts: every delivery's body checked for damage, each sender's sequence
 * for loss and duplication, latency = receive time - the send time in the body), giving
 * each worker its members on each node with one `connect` per node.
 */
import { nowUs } from '../load/body.ts';
import { Histogram } from '../load/histogram.ts';
import { TICK_US, type MemberSpec, type WorkerReport } from '../load/protocol.ts';
import { Worker } from '../load/worker-process.ts';
import {
  METRIC, cpuUse, delta, describeCpu, fix, readCpu, scrape, sleep, thousands, type Context, type CpuUse, type Row,
} from './common.ts';
import { startNodes, stopNodes, type SlckNode } from './nodes.ts';
import { freshDatabase, startRedis } from './services.ts';

export type FanoutRunSpec = {
  name: string;
  nodes: SlckNode[];
  redisPort: number;
  /** placement[worker][node]: the members that worker opens on that node. */
  placement: MemberSpec[][][];
  senders: { handle: string; channel: string }[];
  mode: 'window' | 'rate';
  window: number;
  msgsPerSec: number;
  maxLag: number;
  warmupMs: number;
  durationMs: number;
};

export type FanoutRun = {
  name: string;
  members: number;
  nodes: number;
  deliveriesPerSec: number;
  msgsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  firstCopyP50Ms: number;
  firstCopyP99Ms: number;
  lastCopyP50Ms: number;
  lastCopyP99Ms: number;
  deliveries: number;
  lost: number;
  duplicated: number;
  corrupted: number;
  dropped: number;
  sendErrors: number;
  firstError?: string;
  lagWaits: number;
  connectFailures: number;
  cpu: CpuUse;
  /** All nodes' CPU time per delivery over the window. */
  nodesUsPerDelivery: number;
  /** Per node over the window: deliveries it wrote, bus lag (mean ms), messages read back from the store. */
  perNode: { deliveries: number; busLagMeanMs: number; repairedGap: number; repairedPoll: number; cuts: number }[];
  serverErrors: string;
};

/** Run one fan-out load against nodes already up; the workers are started and closed here. */
export async function runFanoutOn(ctx: Context, spec: FanoutRunSpec): Promise<FanoutRun> {
  const workers = spec.placement.map(() => new Worker(ctx.cpuProfDir));
  try {
    let connectFailures = 0;
    const members = spec.placement.flat(2).length;
    ctx.log(`${spec.name}: connecting ${members} members to ${spec.nodes.length} node(s)`);
    for (let n = 0; n < spec.nodes.length; n++) {
      const node = spec.nodes[n];
      const waiting: Promise<{ failed: number; firstError?: string }>[] = [];
      spec.placement.forEach((perNode, w) => {
        const share = perNode[n] ?? [];
        if (share.length === 0) return;
        workers[w].send({ type: 'connect', dialect: 'slck', tcpPort: node.tcpPort, httpPort: node.httpPort, members: share, senders: spec.senders, concurrency: 16 });
        waiting.push(workers[w].next('connected'));
      });
      for (const c of await Promise.all(waiting)) {
        connectFailures += c.failed;
        if (c.failed) ctx.log(`${spec.name}: ${c.failed} connections failed: ${c.firstError}`);
      }
    }
    // The JOINED storm (every member told of every join, on every node) settles first.
    await sleep(1500);
    const originUs = nowUs() + 50_000;
    const measureFromUs = originUs + spec.warmupMs * 1000;
    ctx.log(`${spec.name}: sending for ${(spec.warmupMs + spec.durationMs) / 1000} s (${spec.warmupMs / 1000} s warm-up)`);
    for (const w of workers) {
      w.send({
        type: 'start', originUs, measureFromUs, mode: spec.mode, window: spec.window,
        intervalUs: 1e6 / Math.max(1, spec.msgsPerSec), senderCount: spec.senders.length, maxLag: spec.maxLag,
      });
    }
    const genPids = workers.map((w) => w.proc.pid!);
    await sleep((measureFromUs - nowUs()) / 1000);
    const m0 = await Promise.all(spec.nodes.map(scrape));
    const c0 = readCpu(spec.nodes, ctx.pg.port, spec.redisPort, genPids);
    await sleep((measureFromUs - nowUs()) / 1000 + spec.durationMs);
    const stopUs = nowUs();
    const c1 = readCpu(spec.nodes, ctx.pg.port, spec.redisPort, genPids);
    const m1 = await Promise.all(spec.nodes.map(scrape));
    for (const w of workers) w.send({ type: 'stop' });
    const stopped = await Promise.all(workers.map((w) => w.next('stopped')));
    const sent = new Array<number>(spec.senders.length).fill(0);
    for (const s of stopped) for (const [i, n] of s.sent) sent[i] = n;
    ctx.log(`${spec.name}: ${sent.reduce((a, b) => a + b, 0)} messages sent; checking every delivery`);
    for (const w of workers) w.send({ type: 'expect', sent, drainMs: 20_000 });
    const reports: WorkerReport[] = await Promise.all(workers.map((w) => w.next('report', 60_000)));

    const latency = new Histogram();
    const timeline: number[] = [];
    const perMessage = new Map<number, [number, number]>();
    for (const r of reports) {
      latency.add(r.latency);
      r.timeline.forEach((n, i) => (timeline[i] = (timeline[i] ?? 0) + n));
      for (const [key, first, last] of r.perMessage) {
        const m = perMessage.get(key);
        perMessage.set(key, m ? [Math.min(m[0], first), Math.max(m[1], last)] : [first, last]);
      }
    }
    const fromTick = Math.round((measureFromUs - originUs) / TICK_US);
    const toTick = Math.floor((stopUs - originUs) / TICK_US);
    let inWindow = 0;
    for (let i = fromTick; i < toTick; i++) inWindow += timeline[i] ?? 0;
    const seconds = ((toTick - fromTick) * TICK_US) / 1e6;
    const firstCopy = new Histogram();
    const lastCopy = new Histogram();
    for (const [first, last] of perMessage.values()) {
      firstCopy.record(first);
      lastCopy.record(last);
    }
    const sum = (f: (r: WorkerReport) => number) => reports.reduce((n, r) => n + f(r), 0);
    const cpu = cpuUse(c0, c1);
    const windowS = (c1.at - c0.at) / 1000;
    const receivers = members - spec.senders.length;
    return {
      name: spec.name,
      members,
      nodes: spec.nodes.length,
      deliveriesPerSec: inWindow / seconds,
      msgsPerSec: inWindow / seconds / receivers,
      p50Ms: latency.percentile(50) / 1000,
      p99Ms: latency.percentile(99) / 1000,
      maxMs: latency.max / 1000,
      firstCopyP50Ms: firstCopy.percentile(50) / 1000,
      firstCopyP99Ms: firstCopy.percentile(99) / 1000,
      lastCopyP50Ms: lastCopy.percentile(50) / 1000,
      lastCopyP99Ms: lastCopy.percentile(99) / 1000,
      deliveries: sum((r) => r.deliveries),
      lost: sum((r) => r.lost),
      duplicated: sum((r) => r.duplicated),
      corrupted: sum((r) => r.corrupted),
      dropped: sum((r) => r.dropped),
      sendErrors: stopped.reduce((n, s) => n + s.errors, 0),
      firstError: stopped.find((s) => s.firstError)?.firstError,
      lagWaits: stopped.reduce((n, s) => n + s.lagWaits, 0),
      connectFailures,
      cpu,
      nodesUsPerDelivery: (cpu.nodes.reduce((a, b) => a + b, 0) * windowS * 1e6) / inWindow,
      perNode: spec.nodes.map((_, i) => {
        const lagN = delta(m0[i], m1[i], METRIC.busLagCount);
        return {
          deliveries: delta(m0[i], m1[i], METRIC.deliveries),
          busLagMeanMs: lagN > 0 ? (delta(m0[i], m1[i], METRIC.busLagSum) / lagN) * 1000 : NaN,
          repairedGap: delta(m0[i], m1[i], METRIC.repairsGap),
          repairedPoll: delta(m0[i], m1[i], METRIC.repairsPoll),
          cuts: delta(m0[i], m1[i], METRIC.cuts),
        };
      }),
      serverErrors: spec.nodes.map((n) => n.stderr()).join('').slice(0, 2000),
    };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}

const FANOUT_MEMBERS = 1000;
const FANOUT_WORKERS = 2;

/**
 * (2a) / (2b): 1,000 members of `#fan`, one of them (`@f0`, on n1) sending 64-byte bodies
 * with a window of MSGs awaiting OK (`--window`, 16), as fast as the server answers, held
 * back while a receiver in its own generator process is more than `--max-lag` (64) of its
 * messages behind. Two generator
 * processes, each with half of every node's members. With `split`, members 0-499 are on n1
 * and 500-999 on n2.
 */
export async function runFanout(ctx: Context, split: boolean): Promise<FanoutRun> {
  const redis = await startRedis();
  const nodes = await startNodes(split ? 2 : 1, {
    databaseUrl: await freshDatabase(ctx.pg, ctx.dbName(split ? 'fanout2' : 'fanout1')), redisUrl: redis.url,
  }, ctx.cpuProfDir);
  try {
    const placement: MemberSpec[][][] = Array.from({ length: FANOUT_WORKERS }, () => nodes.map(() => []));
    for (let j = 0; j < FANOUT_MEMBERS; j++) {
      const node = split && j >= FANOUT_MEMBERS / 2 ? 1 : 0;
      placement[j % FANOUT_WORKERS][node].push({ handle: `@f${j}`, channel: '#fan', transport: 'tcp', sender: j === 0 ? 0 : -1 });
    }
    return await runFanoutOn(ctx, {
      name: split ? '(2b) fan-out 1000, 500 + 500 on 2 nodes' : '(2a) fan-out 1000, 1 node',
      nodes, redisPort: redis.port, placement, senders: [{ handle: '@f0', channel: '#fan' }],
      mode: 'window', window: ctx.fanoutWindow, msgsPerSec: 0, maxLag: ctx.fanoutMaxLag, warmupMs: ctx.warmupMs, durationMs: ctx.fanoutDurationMs,
    });
  } finally {
    await stopNodes(nodes);
    await redis.stop();
  }
}

export const LATENCY_RATE = 100;
export const LATENCY_RECEIVERS = 100;

/**
 * (3) and its reference (3r), in one two-node cluster: one sender on n1 at 100 msgs/s to
 * 100 receivers on n2 (10,000 deliveries/s), then the same with the receivers on n1. The
 * sender and all its receivers are in one generator process, so send and receive times
 * are read from one clock by one process.
 */
export async function runLatency(ctx: Context): Promise<{ cross: FanoutRun; same: FanoutRun }> {
  const redis = await startRedis();
  const nodes = await startNodes(2, { databaseUrl: await freshDatabase(ctx.pg, ctx.dbName('latency')), redisUrl: redis.url }, ctx.cpuProfDir);
  try {
    const run = (name: string, prefix: string, receiversOn: number) => {
      const channel = `#${prefix}`;
      const placement: MemberSpec[][][] = [nodes.map(() => [])];
      placement[0][0].push({ handle: `@${prefix}0`, channel, transport: 'tcp', sender: 0 });
      for (let j = 1; j <= LATENCY_RECEIVERS; j++) placement[0][receiversOn].push({ handle: `@${prefix}${j}`, channel, transport: 'tcp', sender: -1 });
      return runFanoutOn(ctx, {
        name, nodes, redisPort: redis.port, placement, senders: [{ handle: `@${prefix}0`, channel }],
        mode: 'rate', window: 0, msgsPerSec: LATENCY_RATE, maxLag: 0, warmupMs: 2000, durationMs: 10_000,
      });
    };
    const cross = await run('(3) cross-node, n1 -> 100 on n2', 'x', 1);
    const same = await run('(3r) same node, n1 -> 100 on n1', 'y', 0);
    return { cross, same };
  } finally {
    await stopNodes(nodes);
    await redis.stop();
  }
}

function fanoutNotes(r: FanoutRun): string[] {
  const notes: string[] = [];
  notes.push(`${fix(r.msgsPerSec)} msgs/s`);
  notes.push(`all nodes ${fix(r.nodesUsPerDelivery, 2)} us CPU/delivery`);
  if (r.nodes > 1) {
    notes.push(r.perNode.map((p, i) => `n${i + 1} wrote ${thousands(p.deliveries)}` +
      (Number.isFinite(p.busLagMeanMs) ? ` (bus lag ${fix(p.busLagMeanMs, 2)} ms mean)` : '') +
      (p.repairedGap || p.repairedPoll ? `, read back from PG ${p.repairedGap} on a gap + ${p.repairedPoll} by the 1 s poll` : '')).join(', '));
  }
  notes.push(describeCpu(r.cpu));
  if (r.lagWaits) notes.push(`lag waits ${thousands(r.lagWaits)}`);
  if (r.dropped) notes.push(`${r.dropped} connections dropped`);
  if (r.sendErrors) notes.push(`${r.sendErrors} send errors (${r.firstError})`);
  if (r.connectFailures) notes.push(`${r.connectFailures} connects failed`);
  return notes;
}

const lostDup = (r: FanoutRun) => `${r.lost}/${r.duplicated}/${r.corrupted}`;
const sumLostDup = (rs: FanoutRun[]) => lostDup(rs.reduce((a, r) => ({ ...a, lost: a.lost + r.lost, duplicated: a.duplicated + r.duplicated, corrupted: a.corrupted + r.corrupted })));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * (2a) and (2b) over rounds run alternately (a, b, a, b, …), so that other work on the
 * machine falls on both alike: the figure is the mean over rounds, the notes give each.
 */
export function fanoutRows(ones: FanoutRun[], twos: FanoutRun[]): Row[] {
  const rows: Row[] = [];
  const row = (rs: FanoutRun[], target: string, verdict: string, figure: string, extra: string[]): Row => ({
    name: rs[0].name + (rs.length > 1 ? ` (${rs.length} rounds)` : ''), figure,
    p50: rs.map((r) => fix(r.p50Ms, 0)).join(' / '), p99: rs.map((r) => fix(r.p99Ms, 0)).join(' / '), max: rs.map((r) => fix(r.maxMs, 0)).join(' / '),
    lostDup: sumLostDup(rs), target, verdict,
    notes: [...extra, ...rs.map((r, i) => `round ${i + 1}: ${thousands(r.deliveriesPerSec)}/s; ${fanoutNotes(r).join('; ')}`)].join(' | '),
  });
  const a = ones.length ? mean(ones.map((r) => r.deliveriesPerSec)) : NaN;
  if (ones.length) rows.push(row(ones, '(reference for 2b)', '-', `${thousands(a)} deliveries/s`, []));
  if (twos.length) {
    const b = mean(twos.map((r) => r.deliveriesPerSec));
    const ratio = b / a;
    const perRound = twos.map((r, i) => (ones[i] ? fix(r.deliveriesPerSec / ones[i].deliveriesPerSec, 2) : '-'));
    rows.push(row(twos, '>= 0.5 x (2a)', Number.isFinite(ratio) ? (ratio >= 0.5 ? 'met' : 'MISSED') : '-',
      `${thousands(b)} deliveries/s` + (Number.isFinite(ratio) ? ` = ${fix(ratio, 2)} x (2a)` : ''),
      Number.isFinite(ratio) ? [`ratio per round ${perRound.join(', ')}`] : []));
  }
  return rows;
}

export function latencyRows(l: { cross: FanoutRun; same: FanoutRun }): Row[] {
  const row = (r: FanoutRun, target: string, verdict: string): Row => ({
    name: r.name, figure: `${thousands(r.deliveriesPerSec)} deliveries/s`,
    p50: fix(r.p50Ms, 2), p99: fix(r.p99Ms, 2), max: fix(r.maxMs, 1), lostDup: lostDup(r), target, verdict,
    notes: [
      `per message: first copy p50 ${fix(r.firstCopyP50Ms, 2)} / p99 ${fix(r.firstCopyP99Ms, 2)} ms, last copy p50 ${fix(r.lastCopyP50Ms, 2)} / p99 ${fix(r.lastCopyP99Ms, 2)} ms`,
      ...fanoutNotes(r).slice(1),
    ].join('; '),
  });
  return [
    row(l.cross, 'p99 <= 15 ms', l.cross.p99Ms <= 15 ? 'met' : 'MISSED'),
    row(l.same, '(reference)', '-'),
  ];
}
