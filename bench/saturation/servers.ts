/**
 * The two servers of the saturation comparison, and what is read from outside them.
 *
 * SLCK runs as `npm start` serves it: scripts/build-server.mjs's build, run by plain `node`
 * with the node flags of package.json's "start" script (read from package.json, so this
 * stays true when they change). The build goes to a directory of its own (`--outdir`, the
 * same script and output) rather than dist/server, so a run never rewrites the build that
 * other people's tests are using at the time. The store is SQLite in a fresh data dir, as
 * `npm start` keeps one, unless `memory` is asked for. `--msg-rate 0`: load, not flood
 * control, is measured. nats-server runs as bench/load/nats.ts starts it (its defaults).
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startNats } from '../load/nats.ts';
import { ROOT, type ServerProcess } from '../load/server.ts';

export type Which = 'slck' | 'nats';
export type Store = 'sqlite' | 'memory';

export type Running = ServerProcess & { command: string; cleanup(): void };

const BUILD_DIR = 'node_modules/.cache/slck-saturation/server';

/** The node flags `npm start` runs the built server with (package.json "start"). */
export function startNodeFlags(): string[] {
  const start: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start;
  const m = /\bnode\s+(.*?)\s*dist\/server\/main\.js/.exec(start);
  if (!m) throw new Error(`cannot find "node … dist/server/main.js" in package.json's start script: ${start}`);
  return m[1].split(/\s+/).filter(Boolean);
}

let built = false;
function buildServer(): string {
  // For experiments only: another build of the server (a patched copy), run the same way.
  if (process.env.SLCK_SATURATION_SERVER) return process.env.SLCK_SATURATION_SERVER;
  if (!built) {
    execFileSync(process.execPath, ['scripts/build-server.mjs', '--outdir', BUILD_DIR], { cwd: ROOT, stdio: 'ignore' });
    built = true;
  }
  return join(BUILD_DIR, 'main.js');
}

function statusKb(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

async function startSlck(store: Store, extraNodeArgs: string[]): Promise<Running> {
  const entry = buildServer();
  const dataDir = store === 'sqlite' ? mkdtempSync(join(tmpdir(), 'slck-saturation-')) : null;
  const nodeArgs = [...startNodeFlags(), ...extraNodeArgs];
  const args = [
    ...nodeArgs, entry, '--host', '127.0.0.1', '--tcp-port', '0', '--http-port', '0', '--log-level', 'warn',
    ...(dataDir === null ? ['--memory'] : ['--data-dir', dataDir]), '--msg-rate', '0',
  ];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  void exited.then(() => process.off('exit', orphan));
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    if (err.length < 20_000) err += s;
  });
  const cleanup = () => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  return new Promise((resolveUp, reject) => {
    const timer = setTimeout(() => fail(new Error(`SLCK did not start in 30 s\n${out}\n${err}`)), 30_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      cleanup();
      reject(e);
    };
    const early = (code: number | null) => fail(new Error(`SLCK exited (${code}) before it was up\n${out}\n${err}`));
    child.once('exit', early);
    const onOut = (s: string) => {
      out += s;
      const web = /web app:\s+http:\/\/[^:]+:(\d+)/.exec(out);
      const tcp = /telnet:\s+telnet \S+ (\d+)/.exec(out);
      if (!web || !tcp) return;
      clearTimeout(timer);
      child.off('exit', early);
      child.stdout.off('data', onOut);
      child.stdout.resume();
      const pid = child.pid!;
      const unsupported = () => Promise.reject(new Error('not used here'));
      resolveUp({
        pid,
        tcpPort: Number(tcp[1]),
        httpPort: Number(web[1]),
        command: `node ${nodeArgs.join(' ')} ${entry} ${args.slice(nodeArgs.length + 1).join(' ').replace(dataDir ?? '\0', '<fresh dir>')}`,
        rss: () => statusKb(pid, 'VmRSS') * 1024,
        peakRss: () => statusKb(pid, 'VmHWM') * 1024,
        stderr: () => err,
        collectGarbage: unsupported,
        heap: unsupported,
        cleanup,
        async stop(graceMs = 15_000) {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
            await exited;
            clearTimeout(t);
          }
          cleanup();
        },
      });
    };
    child.stdout.setEncoding('utf8').on('data', onOut);
  });
}

export async function startServerUnderTest(which: Which, store: Store, extraNodeArgs: string[] = []): Promise<Running> {
  if (which === 'slck') return startSlck(store, extraNodeArgs);
  const nats = await startNats();
  return { ...nats, command: `${'nats-server'} -a 127.0.0.1 -p -1`, cleanup() {} };
}

/** CPU seconds (user + system) of a process, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/**
 * Where bytes wait in the kernel, from `ss`: on the server's side of the connections
 * (Send-Q: written by the server, not yet taken by the peer; Recv-Q: commands it has not
 * read) and on the clients' side (Recv-Q: copies the generator has not read yet).
 */
export type KernelQueues = { serverSendQ: number; serverRecvQ: number; clientRecvQ: number; clientMaxRecvQ: number };

export function kernelQueues(port: number): Promise<KernelQueues> {
  return new Promise((done) => {
    execFile('ss', ['-tnH', 'state', 'established'], { maxBuffer: 8 * 1024 * 1024 }, (e, stdout) => {
      const q: KernelQueues = { serverSendQ: 0, serverRecvQ: 0, clientRecvQ: 0, clientMaxRecvQ: 0 };
      if (e) return done(q);
      const at = `:${port}`;
      for (const line of stdout.split('\n')) {
        const f = line.trim().split(/\s+/);
        if (f.length < 4) continue;
        const recv = Number(f[0]);
        const send = Number(f[1]);
        if (f[2].endsWith(at)) {
          q.serverRecvQ += recv;
          q.serverSendQ += send;
        } else if (f[3].endsWith(at)) {
          q.clientRecvQ += recv;
          q.clientMaxRecvQ = Math.max(q.clientMaxRecvQ, recv);
        }
      }
      done(q);
    });
  });
}

export const buildDir = () => resolve(ROOT, BUILD_DIR);
