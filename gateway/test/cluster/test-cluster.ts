/**
 * Several SLCK nodes as child processes, for the multi-node tests: each node is a real
 * `gateway/main.ts` started by `spawnServer`, so a test can SIGKILL, SIGTERM and restart one
 * the way an operator's machine would fail, while the others keep serving.
 *
 * The nodes share nothing unless the test passes `databaseUrl` / `redisUrl` (from
 * `startPostgres` / `startRedis` in test-services.ts); without a database they run with
 * `--memory`, which is enough to test this harness itself.
 *
 * `SLCK_ROOT` (default: this repository) names the checkout whose server is run. It lets the
 * harness be tried against a worktree of the last commit while the working tree is mid-edit
 * and does not compile; the worktree needs a `node_modules` (a symlink to this one will do).
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, spawnServer, type ServerProcess } from '../support/client.ts';

export type ClusterOptions = {
  nodes: number;
  /** postgres://… shared by all nodes; without it each node keeps its own memory store. */
  databaseUrl?: string;
  /** redis://… shared by all nodes (fan-out and presence). */
  redisUrl?: string;
  /** Passed to every node after the harness's own flags. */
  extraArgs?: string[];
  /** Flags for one node only (after `extraArgs`), e.g. to make one node differ from the rest. */
  argsFor?: (id: string) => string[];
  /**
   * Pass `--node-id nX` (default true). A memory-only cluster of a server that does not know
   * the flag yet can turn it off; see `serverKnowsFlag`.
   */
  nodeIdFlag?: boolean;
};

export type Cluster = {
  nodes: ClusterNode[];
  /** SIGTERM every node still running (SIGKILL after a grace period); resolves when all are gone. */
  stop(): Promise<void>;
};

/** The checkout whose server the harness runs. */
export const SLCK_ROOT = resolve(process.env.SLCK_ROOT || ROOT);

/** How long `stop()` waits after SIGTERM before it SIGKILLs: a node that hangs must not hang the suite. */
const STOP_GRACE_MS = 10_000;

type Spawn = (args: string[]) => Promise<ServerProcess>;
let spawnFromRoot: Promise<Spawn> | null = null;

/**
 * `spawnServer` of the SLCK_ROOT checkout. Its own test-client.ts is imported because
 * `spawnServer` runs `gateway/main.ts` relative to the checkout that holds it.
 */
function spawner(): Promise<Spawn> {
  if (SLCK_ROOT === ROOT) return Promise.resolve(spawnServer);
  spawnFromRoot ??= import(pathToFileURL(resolve(SLCK_ROOT, 'gateway/test/support/client.ts')).href).then((m) => m.spawnServer as Spawn);
  return spawnFromRoot;
}

const helpText = new Map<string, string>();

/** Whether the server's `--help` lists `flag` (asked once per checkout; about a second). */
export function serverKnowsFlag(flag: string): boolean {
  let text = helpText.get(SLCK_ROOT);
  if (text === undefined) {
    text = execFileSync(process.execPath, ['--import', 'tsx', 'gateway/main.ts', '--help'], { cwd: SLCK_ROOT, encoding: 'utf8' });
    helpText.set(SLCK_ROOT, text);
  }
  return new RegExp(`(^|\\s)${flag.replace(/[-]/g, '\\-')}(\\s|$)`, 'm').test(text);
}

/**
 * Every node process this test file has started and not yet seen exit. Should the test
 * runner's worker exit without stopping a cluster (a failed `beforeAll`, a timeout), they
 * are killed with it rather than left holding ports and database connections.
 */
const running = new Set<ServerProcess>();
process.once('exit', () => {
  for (const p of running) p.proc.kill('SIGKILL');
});

/** How many node processes started by this file are still running (for the harness's own tests). */
export const liveNodeProcesses = (): number => running.size;

const isAlive = (p: ServerProcess) => p.proc.exitCode === null && p.proc.signalCode === null;

/** Send `signal` and resolve once the process has exited (at once if it already has). */
async function signalAndWait(p: ServerProcess, signal: NodeJS.Signals, graceMs?: number): Promise<void> {
  if (!isAlive(p)) return void (await p.exited);
  p.proc.kill(signal);
  if (graceMs === undefined) return void (await p.exited);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((ok) => (timer = setTimeout(() => ok('late'), graceMs)));
  const how = await Promise.race([p.exited, late]);
  clearTimeout(timer);
  if (how === 'late') {
    p.proc.kill('SIGKILL');
    await p.exited;
  }
}

/** One node of a cluster. Its ports change when it is restarted (each start asks for free ones). */
export class ClusterNode {
  readonly id: string;
  /** The node's flags, the same on every restart. */
  readonly args: readonly string[];
  private current: ServerProcess;

  private constructor(id: string, args: string[], started: ServerProcess) {
    this.id = id;
    this.args = args;
    this.current = started;
  }

  static async start(id: string, args: string[]): Promise<ClusterNode> {
    return new ClusterNode(id, args, await ClusterNode.spawn(id, args));
  }

  private static async spawn(id: string, args: string[]): Promise<ServerProcess> {
    const spawn = await spawner();
    let p: ServerProcess;
    try {
      p = await spawn(args);
    } catch (e) {
      throw new Error(`node ${id} did not start: ${(e as Error).message}`, { cause: e });
    }
    running.add(p);
    void p.exited.then(() => running.delete(p));
    return p;
  }

  get tcpPort(): number {
    return this.current.tcpPort;
  }
  get httpPort(): number {
    return this.current.httpPort;
  }
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.current.httpPort}/ws`;
  }
  /** The process of the current run (replaced by `restart`). */
  get process(): ServerProcess {
    return this.current;
  }
  get alive(): boolean {
    return isAlive(this.current);
  }
  /** Output of the current run only: a restart starts afresh. */
  stdout(): string {
    return this.current.stdout();
  }
  stderr(): string {
    return this.current.stderr();
  }

  /** A crash: SIGKILL, no shutdown of any kind; resolves once the process is gone. */
  kill9(): Promise<void> {
    return signalAndWait(this.current, 'SIGKILL');
  }

  /** A graceful stop (SIGTERM: BYE SHUTDOWN to clients, the store closed); resolves on exit. */
  stop(): Promise<void> {
    return signalAndWait(this.current, 'SIGTERM', STOP_GRACE_MS);
  }

  /** Start the node again with the same flags (stopping it first if it still runs); new ports. */
  async restart(): Promise<void> {
    await this.stop();
    this.current = await ClusterNode.spawn(this.id, [...this.args]);
  }
}

/** The flags of node `id`: free ports, its id, the shared services, then the test's own. */
export function nodeArgs(id: string, opts: ClusterOptions): string[] {
  const args = ['--tcp-port', '0', '--http-port', '0'];
  if (opts.nodeIdFlag !== false) args.push('--node-id', id);
  if (opts.databaseUrl) args.push('--database-url', opts.databaseUrl);
  else args.push('--memory');
  if (opts.redisUrl) args.push('--redis-url', opts.redisUrl);
  args.push(...(opts.extraArgs ?? []), ...(opts.argsFor?.(id) ?? []));
  return args;
}

/**
 * Start `nodes` nodes (ids n1, n2, …) at once and resolve when every one has printed its
 * ports. If any fails to start, the others are killed before the error is thrown, so a
 * failed start leaves no process behind.
 */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1) throw new Error(`startCluster needs at least one node, not ${opts.nodes}`);
  const ids = Array.from({ length: opts.nodes }, (_, i) => `n${i + 1}`);
  const started = await Promise.allSettled(ids.map((id) => ClusterNode.start(id, nodeArgs(id, opts))));
  const nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
  if (failed.length > 0) {
    await Promise.all(nodes.map((n) => n.kill9()));
    throw new Error(failed.map((e) => e.message).join('\n\n'), { cause: failed[0] });
  }
  return {
    nodes,
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}
