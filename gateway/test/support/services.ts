import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Real PostgreSQL and Redis servers for tests, each on a free port of 127.0.0.1 in a
 * temporary directory, started from Debian's packages (installed with apt-get when missing,
 * as CI starts from a clean machine). No mocks: the multi-node tests kill, stop and restart
 * these processes the way an operator's would fail.
 */

const PG_BIN = '/usr/lib/postgresql/15/bin';
const REDIS_SERVER = '/usr/bin/redis-server';

const isRoot = () => process.getuid?.() === 0;

/** apt-get install the packages whose files are missing (as root, or through sudo). */
export function ensureInstalled(wanted: Array<{ file: string; pkg: string }>): void {
  const missing = wanted.filter((w) => !existsSync(w.file)).map((w) => w.pkg);
  if (missing.length === 0) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args: string[]) =>
    isRoot() ? execFileSync('apt-get', args, { stdio: 'inherit', env }) : execFileSync('sudo', ['-E', 'apt-get', ...args], { stdio: 'inherit', env });
  try {
    apt('update', '-qq');
    apt('install', '-y', '-qq', '--no-install-recommends', ...missing);
  } catch (e) {
    throw new Error(`The tests need ${missing.join(', ')}: install with "sudo apt-get install -y ${missing.join(' ')}"`, { cause: e });
  }
}

/** A port that was free a moment ago (the server binding it may still lose a race: retried). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = net.createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => ok(port));
    });
  });
}

async function waitUntil(what: string, ready: () => Promise<boolean>, proc: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${what} exited before it was ready`);
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} was not ready within ${timeoutMs} ms`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      ok(true);
    });
    s.once('error', () => ok(false));
  });
}

/** PostgreSQL refuses to run as root: its files and processes belong to the postgres user. */
function asPostgres(): { uid?: number; gid?: number } {
  if (!isRoot()) return {};
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

export type TestPostgres = {
  url: string;
  port: number;
  /** Stop it as `pg_ctl stop -m immediate` does: no checkpoint, recovery on the next start. */
  crash(): Promise<void>;
  /** Start it again on the same port and data directory. */
  start(): Promise<void>;
  stop(): Promise<void>;
};

/** initdb into a temporary directory and start `postgres` with fsync and synchronous commit on. */
export async function startPostgres(): Promise<TestPostgres> {
  ensureInstalled([{ file: join(PG_BIN, 'initdb'), pkg: 'postgresql' }]);
  const dir = mkdtempSync(join(tmpdir(), 'slck-pg-'));
  const ids = asPostgres();
  if (ids.uid !== undefined) chownSync(dir, ids.uid, ids.gid!);
  const data = join(dir, 'data');
  // --no-sync only skips initdb's own fsyncs of the template; the server below runs with fsync on.
  execFileSync(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'slck', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C.UTF-8'], {
    ...ids, stdio: 'pipe',
  });
  const port = await freePort();
  let proc: ChildProcess | null = null;
  const exited = () => proc === null || proc.exitCode !== null || proc.signalCode !== null;
  const start = async () => {
    proc = spawn(join(PG_BIN, 'postgres'), [
      '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
      '-c', 'fsync=on', '-c', 'synchronous_commit=on', '-c', 'max_connections=200',
    ], { ...ids, stdio: 'ignore' });
    await waitUntil('PostgreSQL', async () => {
      if (!(await canConnect(port))) return false;
      try {
        execFileSync(join(PG_BIN, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'slck'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    }, proc);
  };
  const signal = async (sig: NodeJS.Signals) => {
    if (exited()) return;
    const p = proc!;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill(sig);
    await gone;
  };
  await start();
  return {
    url: `postgres://slck@127.0.0.1:${port}/postgres`,
    port,
    // SIGQUIT is PostgreSQL's immediate shutdown, what `pg_ctl stop -m immediate` sends.
    crash: () => signal('SIGQUIT'),
    start,
    async stop() {
      await signal('SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type TestRedis = {
  url: string;
  port: number;
  /** SIGSTOP: it keeps its sockets but answers nothing, as a stalled Redis does. */
  pause(): void;
  resume(): void;
  /** Kill it (SIGKILL) and, with `start`, bring it back empty on the same port. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
};

/** `redis-server` with no persistence, on a free port. */
export async function startRedis(): Promise<TestRedis> {
  ensureInstalled([{ file: REDIS_SERVER, pkg: 'redis-server' }]);
  const port = await freePort();
  let proc: ChildProcess | null = null;
  const start = async () => {
    proc = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], {
      stdio: 'ignore',
    });
    await waitUntil('Redis', () => canConnect(port), proc);
  };
  const kill = async () => {
    const p = proc;
    if (p === null || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGCONT');
    p.kill('SIGKILL');
    await gone;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pause: () => void proc?.kill('SIGSTOP'),
    resume: () => void proc?.kill('SIGCONT'),
    kill,
    start,
    stop: kill,
  };
}
