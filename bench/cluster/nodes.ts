/**
 * SLCK nodes for the cluster bench, each a child process started the way `npm run serve`
 * starts the server (`node --import tsx --max-semi-space-size=2 gateway/main.ts`), plus the
 * bench's flags: 127.0.0.1, free ports, `--log-level warn`, `--msg-rate 0` (load, not flood
 * control, is measured) and `--node-id`. Ports are read from the start-up banner, as
 * gateway/test/cluster/test-cluster.ts and bench/load/server.ts do.
 *
 * `SLCK_ROOT` (default: this repository) names the checkout whose server is run, as for the
 * cluster tests: the bench can measure a snapshot (`git archive HEAD`, with a `node_modules`
 * symlink) while the working tree is being edited.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { cpuSeconds } from '../load/server.ts';

export const SLCK_ROOT = resolve(process.env.SLCK_ROOT || resolve(import.meta.dirname, '../..'));

export type NodeStore = { databaseUrl: string; redisUrl: string } | { dataDir: string };

export type NodeOptions = {
  id: string;
  store: NodeStore;
  /** Write V8 CPU profiles of the node into a directory of its own (`<id>-<n>`) under this one when it stops. */
  cpuProfDir?: string;
  /** More flags, after the bench's own (`--web-root`, say). */
  extraArgs?: string[];
};

export type SlckNode = {
  id: string;
  pid: number;
  tcpPort: number;
  httpPort: number;
  readonly alive: boolean;
  /** CPU seconds (user + system) the node has used. */
  cpu(): number;
  /** What the node printed on stderr (its warnings and errors), for the report. */
  stderr(): string;
  /** SIGKILL, as a crash: resolves once the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM (BYE SHUTDOWN, the store closed), SIGKILL after `graceMs`; resolves on exit. */
  stop(graceMs?: number): Promise<void>;
};

const running = new Set<ChildProcess>();
let launched = 0;
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

const isAlive = (p: ChildProcess) => p.exitCode === null && p.signalCode === null;

export function startNode(opts: NodeOptions): Promise<SlckNode> {
  const store = 'dataDir' in opts.store
    ? ['--data-dir', opts.store.dataDir]
    : ['--database-url', opts.store.databaseUrl, '--redis-url', opts.store.redisUrl];
  const nodeArgs = ['--import', 'tsx', '--max-semi-space-size=2'];
  // One directory per node process: tsx's loader thread writes a profile of its own beside the server's.
  if (opts.cpuProfDir) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', resolve(opts.cpuProfDir, `${opts.id}-${++launched}`));
  const args = [
    ...nodeArgs, 'gateway/main.ts', '--host', '127.0.0.1', '--tcp-port', '0', '--http-port', '0', '--log-level', 'warn',
    '--msg-rate', '0', '--node-id', opts.id, ...store, ...(opts.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, { cwd: SLCK_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const exited = new Promise<void>((r) => child.once('exit', () => (running.delete(child), r())));
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    if (err.length < 20_000) err += s;
  });
  return new Promise((resolveUp, reject) => {
    const timer = setTimeout(() => fail(new Error(`node ${opts.id} did not start in 30 s\n${out}\n${err}`)), 30_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    };
    const early = (code: number | null) => fail(new Error(`node ${opts.id} exited (${code}) before it was up\n${out}\n${err}`));
    child.once('exit', early);
    const onOut = (s: string) => {
      out += s;
      const web = /web app:\s+http:\/\/[^\s:]+:(\d+)/.exec(out);
      const tcp = /telnet:\s+telnet \S+ (\d+)/.exec(out);
      if (!web || !tcp) return;
      clearTimeout(timer);
      child.stdout!.off('data', onOut);
      child.stdout!.resume();
      child.off('exit', early);
      const pid = child.pid!;
      let lastCpu = 0;
      resolveUp({
        id: opts.id,
        pid,
        tcpPort: Number(tcp[1]),
        httpPort: Number(web[1]),
        get alive() {
          return isAlive(child);
        },
        // After the process is gone /proc has nothing: the last reading stands.
        cpu: () => {
          const c = cpuSeconds(pid);
          if (Number.isFinite(c)) lastCpu = c;
          return lastCpu;
        },
        stderr: () => err,
        async kill9() {
          if (!isAlive(child)) return;
          child.kill('SIGKILL');
          await exited;
        },
        async stop(graceMs = 15_000) {
          if (!isAlive(child)) return;
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

/** `count` nodes n1, n2, … sharing one PostgreSQL database and one Redis, started together. */
export async function startNodes(count: number, store: NodeStore, cpuProfDir?: string, extraArgs?: string[]): Promise<SlckNode[]> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, i) => startNode({ id: `n${i + 1}`, store, cpuProfDir, extraArgs })),
  );
  const nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
  if (failed.length > 0) {
    await Promise.all(nodes.map((n) => n.kill9()));
    throw failed[0];
  }
  return nodes;
}

export async function stopNodes(nodes: SlckNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.stop()));
}
