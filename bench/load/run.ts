/**
 * The coordinator: starts the server as a child process, forks the worker processes,
 * drives them through connect / start / stop / expect over IPC, samples the server's
 * memory from /proc, and sums up what the workers saw.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nowUs } from './body.ts';
import { Histogram } from './histogram.ts';
import { TICK_US, type FromWorker, type MemberSpec, type ToWorker, type Transport, type WorkerReport } from './protocol.ts';
import { cpuSeconds, machineCpu, startServer, type ServerProcess } from './server.ts';

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
};

export type IdleSpec = {
  kind: 'idle';
  name: string;
  tcp: number;
  ws: number;
  holdMs: number;
  heartbeatMs: number;
  workers: number;
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
};

export type IdleResult = {
  kind: 'idle';
  name: string;
  connections: number;
  held: number;
  dropped: number;
  wsPinged: number;
  wsPings: number;
  rssRestMB: number;
  rssTcpMB: number;
  rssPeakMB: number;
  rssHeldMB: number;
  kbPerTcp: number;
  kbPerWs: number;
  connectFailures: number;
  serverErrors: string;
};

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A forked worker and a way to await its next message of a given type. */
class Worker {
  readonly proc: ChildProcess;
  private readonly inbox: FromWorker[] = [];
  private wake: (() => void) | null = null;
  private dead: Error | null = null;

  constructor(cpuProfDir?: string) {
    const execArgv = ['--import', 'tsx'];
    if (cpuProfDir) execArgv.push('--cpu-prof', '--cpu-prof-dir', join(cpuProfDir, 'workers'));
    this.proc = fork(join(import.meta.dirname, 'worker.ts'), [], { execArgv, stdio: 'inherit' });
    this.proc.on('message', (m: FromWorker) => {
      this.inbox.push(m);
      this.wake?.();
    });
    this.proc.on('exit', (code) => {
      this.dead = new Error(`load worker exited (${code})`);
      this.wake?.();
    });
  }

  send(m: ToWorker): void {
    this.proc.send(m);
  }

  async next<T extends FromWorker['type']>(type: T): Promise<Extract<FromWorker, { type: T }>> {
    for (;;) {
      const i = this.inbox.findIndex((m) => m.type === type || m.type === 'fatal');
      if (i >= 0) {
        const m = this.inbox.splice(i, 1)[0];
        if (m.type === 'fatal') throw new Error(`load worker failed: ${m.message}`);
        return m as Extract<FromWorker, { type: T }>;
      }
      if (this.dead) throw this.dead;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
  }

  async close(): Promise<void> {
    if (this.proc.exitCode !== null || !this.proc.connected) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.send({ type: 'close' });
    await Promise.race([exited, sleep(5_000)]);
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

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
  const dataDir = spec.persist ? mkdtempSync(join(tmpdir(), 'slck-bench-')) : null;
  const server = await startServer({ dataDir, cpuProfDir: opts.cpuProfDir && join(opts.cpuProfDir, 'server'), maxOutbound: spec.maxOutbound });
  try {
    await sleep(500);
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
        type: 'connect', tcpPort: server.tcpPort, httpPort: server.httpPort, members: shares[i], senders, concurrency: 32,
      }));
      const connected = await Promise.all(workers.map((w) => w.next('connected')));
      const connectFailures = connected.reduce((n, c) => n + c.failed, 0);
      if (connectFailures > 0) log(`${spec.name}: ${connectFailures} connections failed: ${connected.find((c) => c.firstError)?.firstError}`);
      await sleep(1000);
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

      const latency = new Histogram();
      const timeline: number[] = [];
      for (const r of reports) {
        latency.add(r.latency);
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
      return {
        kind: 'fanout',
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
      };
    });
  } finally {
    await server.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function runIdle(spec: IdleSpec, opts: RunOptions = {}): Promise<IdleResult> {
  const log = opts.log ?? (() => {});
  const server = await startServer({ dataDir: null, heartbeatMs: spec.heartbeatMs, cpuProfDir: opts.cpuProfDir && join(opts.cpuProfDir, 'server') });
  try {
    await sleep(1000);
    const rssRest = server.rss();
    return await withServerAndWorkers(server, spec.workers, opts, async (workers) => {
      const phase = async (transport: Transport, count: number, prefix: string) => {
        log(`${spec.name}: connecting ${count} idle ${transport} connections`);
        workers.forEach((w, i) => {
          const members: MemberSpec[] = [];
          for (let k = i; k < count; k += workers.length) members.push({ handle: `@${prefix}${k}`, channel: null, transport, sender: -1 });
          w.send({ type: 'connect', tcpPort: server.tcpPort, httpPort: server.httpPort, members, senders: [], concurrency: 32 });
        });
        const done = await Promise.all(workers.map((w) => w.next('connected')));
        await sleep(2000);
        return done.reduce((n, c) => n + c.failed, 0);
      };
      const rss = sampleRss(server);
      const tcpFailures = await phase('tcp', spec.tcp, 't');
      const rssTcp = server.rss();
      const wsFailures = await phase('ws', spec.ws, 'w');
      log(`${spec.name}: holding ${spec.tcp + spec.ws} connections for ${spec.holdMs / 1000} s (heartbeat every ${spec.heartbeatMs} ms)`);
      await sleep(spec.holdMs);
      const rssHeld = server.rss();
      for (const w of workers) w.send({ type: 'ping-all', timeoutMs: 15_000 });
      const pinged = await Promise.all(workers.map((w) => w.next('pinged')));
      const rssPeak = rss.stop();
      const sum = (f: (p: (typeof pinged)[number]) => number) => pinged.reduce((n, p) => n + f(p), 0);
      return {
        kind: 'idle',
        name: spec.name,
        connections: spec.tcp + spec.ws,
        held: sum((p) => p.alive),
        dropped: sum((p) => p.dropped),
        wsPinged: sum((p) => p.wsPinged),
        wsPings: sum((p) => p.wsPings),
        rssRestMB: rssRest / MB,
        rssTcpMB: rssTcp / MB,
        rssHeldMB: rssHeld / MB,
        rssPeakMB: Math.max(rssPeak, server.peakRss()) / MB,
        kbPerTcp: (rssTcp - rssRest) / spec.tcp / 1024,
        kbPerWs: (rssHeld - rssTcp) / spec.ws / 1024,
        connectFailures: tcpFailures + wsFailures,
        serverErrors: server.stderr().slice(0, 2000),
      };
    });
  } finally {
    await server.stop();
  }
}
