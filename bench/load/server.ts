import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import WebSocket from 'ws';

/** The repository root: the server runs from there, as `npm run serve` does. */
export const ROOT = resolve(import.meta.dirname, '../..');

export type ServerOptions = {
  /** SQLite data directory; null runs with `--memory`. */
  dataDir: string | null;
  heartbeatMs?: number;
  maxOutbound?: number;
  /** Write a V8 CPU profile of the server into this directory when it stops. */
  cpuProfDir?: string;
  /** Open the inspector on a free local port, so `collectGarbage()` can force a full GC. */
  inspect?: boolean;
  /** More node flags for the server process. */
  nodeArgs?: string[];
  /**
   * Run gateway/main.ts from the sources through tsx, instead of the build that `npm start`
   * runs (dist/server/main.js, plain node): what the loader costs.
   */
  sources?: boolean;
};

/** The server as `npm start` runs it: built once per harness run (scripts/build-server.mjs). */
let built: string | null = null;
function builtServer(): string {
  if (built === null) {
    execFileSync(process.execPath, ['scripts/build-server.mjs'], { cwd: ROOT, stdio: 'ignore' });
    built = resolve(ROOT, 'dist/server/main.js');
  }
  return built;
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/**
 * The machine's CPU time so far, from the first line of /proc/stat, in seconds summed over
 * cores: busy (everything but idle and iowait) and, within it, softirq, where loopback TCP
 * is mostly processed and which no process is charged for.
 */
export function machineCpu(): { busy: number; softirq: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...
  const busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
  return { busy: busy / 100, softirq: f[6] / 100 };
}

export type ServerProcess = {
  pid: number;
  tcpPort: number;
  httpPort: number;
  /** Resident memory of the server process now, in bytes (VmRSS). */
  rss(): number;
  /** Peak resident memory since it started, in bytes (VmHWM). */
  peakRss(): number;
  /** Whatever the server printed to stderr (errors), for the report. */
  stderr(): string;
  /**
   * Force a full garbage collection in the server (through the inspector, `inspect: true`),
   * so RSS shows live memory rather than garbage V8 has not got round to collecting.
   */
  collectGarbage(): Promise<void>;
  /** The server's own process.memoryUsage() heap figures (inspector too), in bytes. */
  heap(): Promise<HeapFigures>;
  /** SIGTERM (graceful: BYE to everyone, summary, exit), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
};

/** One call over the server's inspector protocol (a fresh session each time). */
async function inspectorCall(url: string | null, method: string, params: object = {}): Promise<unknown> {
  if (url === null) throw new Error('the server was started without inspect: true');
  const ws = new WebSocket(url);
  await new Promise((resolveOpen, reject) => {
    ws.once('open', resolveOpen);
    ws.once('error', reject);
  });
  const reply = new Promise<unknown>((resolveCall) => ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as { id?: number; result?: unknown };
    if (m.id === 1) resolveCall(m.result);
  }));
  ws.send(JSON.stringify({ id: 1, method, params }));
  const result = await reply;
  ws.close();
  return result;
}

export type HeapFigures = { heapTotal: number; heapUsed: number; external: number };

/** A `/proc/<pid>/status` field in kB, as bytes. */
function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : NaN;
}

/**
 * Start the real server (gateway/main.ts) as a child process on 127.0.0.1 with free ports,
 * and resolve once it says it is up. Its own process, so its memory can be read on its own.
 */
export async function startServer(opts: ServerOptions): Promise<ServerProcess> {
  const entry = opts.sources ? 'gateway/main.ts' : builtServer();
  // --max-semi-space-size=2, as `npm start` and `npm run serve` run it (package.json): V8's
  // young generation otherwise grows to 32 MB (Node 20) or 128 MB (Node 24) under load, and
  // the write buffers it has not collected yet with it (docs/PERFORMANCE.md, saturation).
  const nodeArgs = [...(opts.sources ? ['--import', 'tsx'] : []), '--max-semi-space-size=2', ...(opts.nodeArgs ?? [])];
  // For experiments: extra node flags for the server alone (e.g. --max-semi-space-size=16).
  if (process.env.SLCK_BENCH_SERVER_NODE_ARGS) nodeArgs.push(...process.env.SLCK_BENCH_SERVER_NODE_ARGS.split(' ').filter(Boolean));
  if (opts.cpuProfDir) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir);
  if (opts.inspect) nodeArgs.push('--inspect=127.0.0.1:0');
  const args = [
    ...nodeArgs, entry, '--host', '127.0.0.1', '--tcp-port', '0', '--http-port', '0', '--log-level', 'warn',
    ...(opts.dataDir === null ? ['--memory'] : ['--data-dir', opts.dataDir]),
    ...(opts.heartbeatMs ? ['--heartbeat-ms', String(opts.heartbeatMs)] : []),
    ...(opts.maxOutbound ? ['--max-outbound', String(opts.maxOutbound)] : []),
    // Load, not flood control, is measured: each client sends as fast as it is answered.
    '--msg-rate', '0',
  ];
  const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let inspectorUrl: string | null = null;
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    for (const line of s.split('\n')) {
      const m = /Debugger listening on (ws:\S+)/.exec(line);
      if (m) inspectorUrl = m[1];
      // The inspector's banner is not an error.
      else if (line.trim() && !/inspector|Debugger|nodejs\.org/.test(line) && err.length < 20_000) err += `${line}\n`;
    }
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // If the harness itself dies, don't leave a server holding ports and memory.
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  void exited.then(() => process.off('exit', orphan));

  return new Promise((resolveUp, reject) => {
    const timer = setTimeout(() => fail(new Error(`server did not start in 30 s\n${out}\n${err}`)), 30_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    };
    const early = (code: number | null) => fail(new Error(`server exited (${code}) before it was up\n${out}\n${err}`));
    child.once('exit', early);
    const onOut = (s: string) => {
      // Only the start-up banner is kept; the shutdown summary may be long.
      out += s;
      const web = /web app:\s+http:\/\/[^:]+:(\d+)/.exec(out);
      const tcp = /telnet:\s+telnet \S+ (\d+)/.exec(out);
      if (!web || !tcp) return;
      clearTimeout(timer);
      child.stdout!.off('data', onOut);
      child.stdout!.resume();
      child.off('exit', early);
      const pid = child.pid!;
      resolveUp({
        pid,
        tcpPort: Number(tcp[1]),
        httpPort: Number(web[1]),
        rss: () => statusBytes(pid, 'VmRSS'),
        peakRss: () => statusBytes(pid, 'VmHWM'),
        stderr: () => err,
        collectGarbage: async () => {
          await inspectorCall(inspectorUrl, 'HeapProfiler.collectGarbage');
        },
        heap: async () => {
          const r = (await inspectorCall(inspectorUrl, 'Runtime.evaluate', {
            expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true,
          })) as { result: { value: string } };
          return JSON.parse(r.result.value) as HeapFigures;
        },
        async stop(graceMs = 15_000) {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(t);
        },
      });
    };
    child.stdout!.setEncoding('utf8').on('data', onOut);
  });
}
