/**
 * The coordinator: starts the server as a child process, forks the worker processes,
 * drives them through connect / start / stop / expect over IPC, samples the server's
 * memory from /proc, and sums up what the workers saw.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nowUs } from './body.ts';
import { Histogram } from './histogram.ts';
import { startNats } from './nats.ts';
import { TICK_US, type Dialect, type MemberSpec, type Transport, type WorkerReport } from './protocol.ts';
import { Worker } from './worker-process.ts';
import { cpuSeconds, machineCpu, startServer, type HeapFigures, type ServerProcess } from './server.ts';

export type FanoutSpec = {
  kind: 'fanout';
  name: string;
  channels: number;
  membersPerChannel: number;
  sendersPerChannel: number;
  transport: Transport;
  /** SQLite in a fresh temporary directory, instead of --memory. */
  persist: boolean;
  /** window: as fast as the server answers; rate: `msgsPerSec` spread evenly over the senders. */
  mode: 'window' | 'rate';
  window: number;
  msgsPerSec: number;
  maxLag: number;
  warmupMs: number;
  durationMs: number;
  drainMs: number;
  workers: number;
  maxOutbound?: number;
  /** Pause after connecting, for the JOINED storm to settle (default 1 s). */
  settleMs?: number;
  /** The server under load: SLCK (default) or nats-server as a reference (TCP, memory only). */
  server?: Dialect;
  /** SLCK only: run gateway/main.ts through tsx instead of the built server (server.ts, `sources`). */
  sources?: boolean;
  /** SLCK only: read the server's V8 heap (through the inspector) every 500 ms and keep the largest figures. */
  sampleHeap?: boolean;
};

export type IdleSpec = {
  kind: 'idle';
  name: string;
  tcp: number;
  ws: number;
  holdMs: number;
  heartbeatMs: number;
  workers: number;
  /** Pause after each batch of connections before memory is read (default 2 s). */
  settleMs?: number;
};

export type RunOptions = { cpuProfDir?: string; log?: (line: string) => void };

export type FanoutResult = {
  kind: 'fanout';
  name: string;
  connections: number;
  deliveriesPerSec: number;
  msgsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** rate mode: per message, when its first and its last recipient got it (NaN otherwise). */
  firstCopyP50Ms: number;
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
  /** CPU the server used over the measured window, in cores (1 = one core busy). */
  serverCores: number;
  /** CPU the load-generator workers used together over the window, in cores. */
  generatorCores: number;
  /** Server CPU time per delivery over the window: the figure server optimisations move. */
  serverUsPerDelivery: number;
  /** The whole machine over the window, in cores busy (2 = both cores; includes other people's work). */
  machineBusyCores: number;
  /** Of which softirq: the kernel's loopback TCP work, charged to no process. */
  softirqCores: number;
  rssRestMB: number;
  rssConnectedMB: number;
  rssPeakMB: number;
  kbPerConn: number;
  connectFailures: number;
  serverErrors: string;
  /** With `sampleHeap`: the largest V8 heap figures seen while sending, in MB. */
  heapPeakMB?: { heapTotal: number; heapUsed: number; external: number };
};

export type IdleResult = {
  kind: 'idle';
  name: string;
  connections: number;
  held: number;
  dropped: number;
  wsPinged: number;
  wsPings: number;
  /** RSS after a forced full GC: at rest, with the TCP connections, with both, after the hold. */
  rssRestMB: number;
  rssTcpMB: number;
  rssWsMB: number;
  rssHeldMB: number;
  /** RSS after the hold, before the GC. */
  rssHeldRawMB: number;
  rssPeakMB: number;
  /** Live memory per connection (after GC); the raw figures are RSS growth without forcing a GC. */
  kbPerTcp: number;
  kbPerWs: number;
  kbPerTcpRaw: number;
  kbPerWsRaw: number;
  /** All connections after the hold, over the rest figure. */
  kbPerConnHeld: number;
  connectFailures: number;
  serverErrors: string;
  /** V8 heap (process.memoryUsage) before and after each forced GC, to see what RSS growth is young garbage. */
  heaps: { at: string; before: HeapFigures; after: HeapFigures }[];
};

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Samples the server's RSS while a phase runs, keeping the largest. */
function sampleRss(server: ServerProcess): { stop(): number } {
  let peak = server.rss();
  const timer = setInterval(() => (peak = Math.max(peak, server.rss())), 250);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, server.rss());
    },
  };
}

/** Samples the server's V8 heap (inspector) while a phase runs, keeping the largest of each figure. */
function sampleHeap(server: ServerProcess): { stop(): Promise<{ heapTotal: number; heapUsed: number; external: number }> } {
  const peak = { heapTotal: 0, heapUsed: 0, external: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const h = await server.heap();
        peak.heapTotal = Math.max(peak.heapTotal, h.heapTotal / MB);
        peak.heapUsed = Math.max(peak.heapUsed, h.heapUsed / MB);
        peak.external = Math.max(peak.external, h.external / MB);
      } catch {
        // the server is busy or gone: skip this sample
      }
      await sleep(500);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}

async function withServerAndWorkers<T>(
  server: ServerProcess,
  count: number,
  opts: RunOptions,
  body: (workers: Worker[]) => Promise<T>,
): Promise<T> {
  const workers = Array.from({ length: count }, () => new Worker(opts.cpuProfDir));
  try {
    return await body(workers);
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    await server.stop();
  }
}

export async function runFanout(spec: FanoutSpec, opts: RunOptions = {}): Promise<FanoutResult> {
  const log = opts.log ?? (() => {});
  const dialect = spec.server ?? 'slck';
  const dataDir = spec.persist && dialect === 'slck' ? mkdtempSync(join(tmpdir(), 'slck-bench-')) : null;
  const server = dialect === 'nats'
    ? await startNats()
    : await startServer({
      dataDir, cpuProfDir: opts.cpuProfDir && join(opts.cpuProfDir, 'server'), maxOutbound: spec.maxOutbound, inspect: spec.sampleHeap, sources: spec.sources,
    });
  try {
    await sleep(Math.min(500, spec.settleMs ?? 500));
    const rssRest = server.rss();
    // Members of every channel go to every worker; so do the senders, spread by (channel + member).
    const shares: MemberSpec[][] = Array.from({ length: spec.workers }, () => []);
    const senders: { handle: string; channel: string }[] = [];
    for (let c = 0; c < spec.channels; c++) {
      for (let j = 0; j < spec.membersPerChannel; j++) {
        const handle = `@m${c * spec.membersPerChannel + j}`;
        const channel = `#load${c}`;
        const sender = j < spec.sendersPerChannel ? senders.push({ handle, channel }) - 1 : -1;
        shares[(c + j) % spec.workers].push({ handle, channel, transport: spec.transport, sender });
      }
    }
    const connections = spec.channels * spec.membersPerChannel;
    return await withServerAndWorkers(server, spec.workers, opts, async (workers) => {
      log(`${spec.name}: connecting ${connections} ${spec.transport} members in ${spec.channels} channel(s)`);
      workers.forEach((w, i) => w.send({
        type: 'connect', dialect, tcpPort: server.tcpPort, httpPort: server.httpPort, members: shares[i], senders, concurrency: 32,
      }));
      const connected = await Promise.all(workers.map((w) => w.next('connected')));
      const connectFailures = connected.reduce((n, c) => n + c.failed, 0);
      if (connectFailures > 0) log(`${spec.name}: ${connectFailures} connections failed: ${connected.find((c) => c.firstError)?.firstError}`);
      await sleep(spec.settleMs ?? 1000);
      const rssConnected = server.rss();

      const originUs = nowUs() + 50_000;
      const measureFromUs = originUs + spec.warmupMs * 1000;
      const senderCount = senders.length;
      const intervalUs = 1e6 / Math.max(1, spec.msgsPerSec);
      log(`${spec.name}: sending for ${(spec.warmupMs + spec.durationMs) / 1000} s (${spec.warmupMs / 1000} s warm-up)`);
      for (const w of workers) {
        w.send({ type: 'start', originUs, measureFromUs, mode: spec.mode, window: spec.window, intervalUs, senderCount, maxLag: spec.maxLag });
      }
      const rss = sampleRss(server);
      const heap = spec.sampleHeap && dialect === 'slck' ? sampleHeap(server) : null;
      const cpuNow = () => ({
        server: cpuSeconds(server.pid),
        gen: workers.reduce((n, w) => n + cpuSeconds(w.proc.pid!), 0),
        machine: machineCpu(),
      });
      await sleep((measureFromUs - nowUs()) / 1000);
      const cpuFrom = cpuNow();
      await sleep((measureFromUs - nowUs()) / 1000 + spec.durationMs);
      const stopUs = nowUs();
      const cpuTo = cpuNow();
      for (const w of workers) w.send({ type: 'stop' });
      log(`${spec.name}: stopping; waiting for outstanding OKs`);
      const stopped = await Promise.all(workers.map((w) => w.next('stopped')));
      const sent = new Array<number>(senderCount).fill(0);
      for (const s of stopped) for (const [i, n] of s.sent) sent[i] = n;
      for (const w of workers) w.send({ type: 'expect', sent, drainMs: spec.drainMs });
      log(`${spec.name}: ${sent.reduce((a, b) => a + b, 0)} messages sent; checking deliveries`);
      const reports: WorkerReport[] = await Promise.all(workers.map((w) => w.next('report')));
      const rssPeak = rss.stop();
      const heapPeak = heap === null ? undefined : await heap.stop();

      const latency = new Histogram();
      const timeline: number[] = [];
      const perMessage = new Map<number, [number, number]>();
      for (const r of reports) {
        latency.add(r.latency);
        for (const [key, first, last] of r.perMessage) {
          const m = perMessage.get(key);
          if (!m) perMessage.set(key, [first, last]);
          else perMessage.set(key, [Math.min(m[0], first), Math.max(m[1], last)]);
        }
        r.timeline.forEach((n, i) => (timeline[i] = (timeline[i] ?? 0) + n));
      }
      // Deliveries per second over the measured window: whole ticks after the warm-up, up to the stop.
      const fromTick = Math.round((measureFromUs - originUs) / TICK_US);
      const toTick = Math.floor((stopUs - originUs) / TICK_US);
      let inWindow = 0;
      for (let i = fromTick; i < toTick; i++) inWindow += timeline[i] ?? 0;
      const seconds = ((toTick - fromTick) * TICK_US) / 1e6;
      const deliveriesPerSec = seconds > 0 ? inWindow / seconds : NaN;
      const sum = (f: (r: WorkerReport) => number) => reports.reduce((n, r) => n + f(r), 0);
      const firstCopy = new Histogram();
      const lastCopy = new Histogram();
      for (const [first, last] of perMessage.values()) {
        firstCopy.record(first);
        lastCopy.record(last);
      }
      return {
        kind: 'fanout',
        firstCopyP50Ms: firstCopy.percentile(50) / 1000,
        lastCopyP50Ms: lastCopy.percentile(50) / 1000,
        lastCopyP99Ms: lastCopy.percentile(99) / 1000,
        name: spec.name,
        connections,
        deliveriesPerSec,
        msgsPerSec: deliveriesPerSec / (spec.membersPerChannel - 1),
        p50Ms: latency.percentile(50) / 1000,
        p99Ms: latency.percentile(99) / 1000,
        maxMs: latency.max / 1000,
        deliveries: sum((r) => r.deliveries),
        lost: sum((r) => r.lost),
        duplicated: sum((r) => r.duplicated),
        corrupted: sum((r) => r.corrupted),
        dropped: sum((r) => r.dropped),
        sendErrors: stopped.reduce((n, s) => n + s.errors, 0),
        firstError: stopped.find((s) => s.firstError)?.firstError,
        lagWaits: stopped.reduce((n, s) => n + s.lagWaits, 0),
        serverCores: (cpuTo.server - cpuFrom.server) / ((stopUs - measureFromUs) / 1e6),
        generatorCores: (cpuTo.gen - cpuFrom.gen) / ((stopUs - measureFromUs) / 1e6),
        serverUsPerDelivery: ((cpuTo.server - cpuFrom.server) * 1e6) / inWindow,
        machineBusyCores: (cpuTo.machine.busy - cpuFrom.machine.busy) / ((stopUs - measureFromUs) / 1e6),
        softirqCores: (cpuTo.machine.softirq - cpuFrom.machine.softirq) / ((stopUs - measureFromUs) / 1e6),
        rssRestMB: rssRest / MB,
        rssConnectedMB: rssConnected / MB,
        rssPeakMB: Math.max(rssPeak, server.peakRss()) / MB,
        kbPerConn: (rssConnected - rssRest) / connections / 1024,
        connectFailures,
        serverErrors: server.stderr().slice(0, 2000),
        heapPeakMB: heapPeak,
      };
    });
  } finally {
    await server.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * (d): idle connections, TCP first, then WebSocket, held with heartbeats, then every one
 * must answer a PING. Memory is read after a forced full GC (through the inspector), so the
 * per-connection figures are live memory, not garbage left from the connection storm; the
 * raw RSS before each GC is kept too.
 */
export async function runIdle(spec: IdleSpec, opts: RunOptions = {}): Promise<IdleResult> {
  const log = opts.log ?? (() => {});
  const server = await startServer({
    dataDir: null, heartbeatMs: spec.heartbeatMs, inspect: true, cpuProfDir: opts.cpuProfDir && join(opts.cpuProfDir, 'server'),
  });
  const heaps: IdleResult['heaps'] = [];
  /** [raw RSS, RSS after a full GC]; the V8 heap figures around the GC go to `heaps`. */
  const measure = async (at: string): Promise<[number, number]> => {
    const raw = server.rss();
    const before = await server.heap();
    await server.collectGarbage();
    await sleep(Math.min(500, spec.settleMs ?? 500));
    heaps.push({ at, before, after: await server.heap() });
    return [raw, server.rss()];
  };
  try {
    await sleep(spec.settleMs ?? 1000);
    const rest = await measure('rest');
    return await withServerAndWorkers(server, spec.workers, opts, async (workers) => {
      const phase = async (transport: Transport, count: number, prefix: string) => {
        log(`${spec.name}: connecting ${count} idle ${transport} connections`);
        workers.forEach((w, i) => {
          const members: MemberSpec[] = [];
          for (let k = i; k < count; k += workers.length) members.push({ handle: `@${prefix}${k}`, channel: null, transport, sender: -1 });
          w.send({ type: 'connect', tcpPort: server.tcpPort, httpPort: server.httpPort, members, senders: [], concurrency: 32 });
        });
        const done = await Promise.all(workers.map((w) => w.next('connected')));
        await sleep(spec.settleMs ?? 2000);
        return done.reduce((n, c) => n + c.failed, 0);
      };
      const rss = sampleRss(server);
      const tcpFailures = await phase('tcp', spec.tcp, 't');
      const tcp = await measure('tcp');
      const wsFailures = await phase('ws', spec.ws, 'w');
      const ws = await measure('ws');
      log(`${spec.name}: holding ${spec.tcp + spec.ws} connections for ${spec.holdMs / 1000} s (heartbeat every ${spec.heartbeatMs} ms)`);
      await sleep(spec.holdMs);
      const held = await measure('held');
      for (const w of workers) w.send({ type: 'ping-all', timeoutMs: 15_000 });
      const pinged = await Promise.all(workers.map((w) => w.next('pinged')));
      const rssPeak = rss.stop();
      const sum = (f: (p: (typeof pinged)[number]) => number) => pinged.reduce((n, p) => n + f(p), 0);
      const kb = (to: number, from: number, n: number) => (to - from) / n / 1024;
      return {
        kind: 'idle',
        name: spec.name,
        connections: spec.tcp + spec.ws,
        held: sum((p) => p.alive),
        dropped: sum((p) => p.dropped),
        wsPinged: sum((p) => p.wsPinged),
        wsPings: sum((p) => p.wsPings),
        rssRestMB: rest[1] / MB,
        rssTcpMB: tcp[1] / MB,
        rssWsMB: ws[1] / MB,
        rssHeldMB: held[1] / MB,
        rssHeldRawMB: held[0] / MB,
        rssPeakMB: Math.max(rssPeak, server.peakRss()) / MB,
        kbPerTcp: kb(tcp[1], rest[1], spec.tcp),
        kbPerWs: kb(ws[1], tcp[1], spec.ws),
        kbPerTcpRaw: kb(tcp[0], rest[0], spec.tcp),
        kbPerWsRaw: kb(ws[0], tcp[0], spec.ws),
        kbPerConnHeld: kb(held[1], rest[1], spec.tcp + spec.ws),
        connectFailures: tcpFailures + wsFailures,
        serverErrors: server.stderr().slice(0, 2000),
        heaps,
      };
    });
  } finally {
    await server.stop();
  }
}
