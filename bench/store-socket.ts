/**
 * Durable messages over real sockets: `npm run bench:store [-- options]`.
 *
 * Starts the real server (`gateway/main.ts`) as a child process on a fresh SQLite data
 * directory, connects N TCP clients, and has each keep a window of MSGs in flight: a new MSG
 * goes out as soon as an `OK <id> <ts>` comes back, and `OK` means the message is committed
 * (WAL, synchronous = FULL). Reports durable messages/s and the time from writing a MSG to
 * reading its OK (p50/p99/max), measured after a warm-up.
 *
 * Options: --clients 10 --window 16 --seconds 5 --warmup 1 --body 100
 *          --mode mixed|channel|dm  (channel: each client posts to a channel only it is in;
 *          dm: each client writes to the next client, who is online and reads it; mixed:
 *          alternately) --dir <parent of the temp data dir> (default: the OS temp dir)
 *          --profile <dir>  (write a V8 CPU profile of the server there when it stops)
 *          --memory  (the same load on the memory store: what the sockets and hub cost alone).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Parser, SERVER_FRAME_LIMITS, ServerFrameDecoder, ProtocolError, encodeMsg, type ServerFrame } from '../core/index.ts';
import { startServerProcess } from './server-process.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values: opts } = parseArgs({
  options: {
    clients: { type: 'string', default: '10' },
    window: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    body: { type: 'string', default: '100' },
    mode: { type: 'string', default: 'mixed' },
    dir: { type: 'string', default: os.tmpdir() },
    profile: { type: 'string' },
    memory: { type: 'boolean', default: false },
  },
});
const CLIENTS = Number(opts.clients);
const WINDOW = Number(opts.window);
const RUN_MS = Number(opts.seconds) * 1000;
const WARMUP_MS = Number(opts.warmup) * 1000;
const BODY = new TextEncoder().encode('x'.repeat(Number(opts.body)));
const MODE = opts.mode as 'mixed' | 'channel' | 'dm';
if (!['mixed', 'channel', 'dm'].includes(MODE)) throw new Error(`--mode must be mixed, channel or dm, not ${MODE}`);

const FS_TYPES: Record<number, string> = { 0xef53: 'ext4', 0x01021994: 'tmpfs', 0x794c7630: 'overlayfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs' };

/** CPU seconds (user + system) used by a process so far. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function startServer(dataDir: string): Promise<{ pid: number; port: number; stop(): Promise<number | null> }> {
  const profile = opts.profile ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(opts.profile)] : [];
  const server = await startServerProcess(ROOT, ['--host', '127.0.0.1',
    ...(opts.memory ? ['--memory'] : ['--data-dir', dataDir]),
    // --msg-rate 0: throughput is measured, so the per-connection message rate is off.
    '--tcp-port', '0', '--http-port', '0', '--log-level', 'warn', '--msg-rate', '0'], profile);
  return { pid: server.proc.pid!, port: server.port, stop: server.stop };
}

type Client = {
  socket: net.Socket;
  /** When each MSG still waiting for its OK was written, oldest first. */
  sentAt: number[];
  sentHead: number;
  next: number;
  errors: number;
};

const latencies: number[] = [];
/** Set once every client has registered: a DM needs its recipient to exist. */
let started = false;
let measuring = false;
let stopping = false;
let okCount = 0;
let errCount = 0;
let firstError = '';

/** A connected, registered client that has joined its own channel. */
function connect(port: number, i: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    const c: Client = { socket, sentAt: [], sentHead: 0, next: 0, errors: 0 };
    const targets = [utf8Target(`#bench${i}`), utf8Target(`@bench${(i + 1) % CLIENTS}`)];
    let setupReplies = 0;
    const onFrame = (f: ServerFrame | ProtocolError) => {
      if (f instanceof ProtocolError) throw f;
      if (f.type !== 'OK' && f.type !== 'ERR') return; // HELLO, JOINED, deliveries
      if (setupReplies < 2) {
        if (f.type === 'ERR') reject(new Error(`set-up failed: ERR ${f.code} ${f.text}`));
        if (++setupReplies === 2) resolve(c);
        return;
      }
      const t = c.sentAt[c.sentHead++];
      if (f.type === 'OK') {
        okCount += measuring ? 1 : 0;
        if (measuring) latencies.push(performance.now() - t);
      } else {
        errCount++;
        firstError ||= `ERR ${f.code} ${f.text}`;
      }
    };
    const parser = new Parser(new ServerFrameDecoder(), SERVER_FRAME_LIMITS, onFrame);
    socket.on('data', (chunk) => {
      parser.push(chunk);
      if (!started) return;
      if (c.sentHead > 4096) {
        c.sentAt = c.sentAt.slice(c.sentHead);
        c.sentHead = 0;
      }
      fill(c, targets);
    });
    socket.on('error', reject);
    socket.write(`REG @bench${i}\r\nJOIN #bench${i}\r\n`);
  });
}

/** Cache a MSG's bytes per target: every message has the same body. */
function utf8Target(target: string): Uint8Array {
  return encodeMsg(target, BODY);
}

/** Top the client's window back up, in one write. */
function fill(c: Client, targets: Uint8Array[]): void {
  if (stopping) return;
  const want = WINDOW - (c.sentAt.length - c.sentHead);
  if (want <= 0) return;
  const parts: Uint8Array[] = [];
  const now = performance.now();
  for (let k = 0; k < want; k++) {
    const which = MODE === 'channel' ? 0 : MODE === 'dm' ? 1 : c.next++ & 1;
    parts.push(targets[which]);
    c.sentAt.push(now);
  }
  c.socket.write(Buffer.concat(parts));
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const base = path.resolve(opts.dir!);
const dataDir = fs.mkdtempSync(path.join(base, 'slck-bench-socket-'));
const fsType = fs.statfsSync(dataDir).type;
const server = await startServer(dataDir);
try {
  const clients: Client[] = [];
  for (let i = 0; i < CLIENTS; i++) clients.push(await connect(server.port, i));
  started = true;
  for (let i = 0; i < CLIENTS; i++) {
    const targets = [utf8Target(`#bench${i}`), utf8Target(`@bench${(i + 1) % CLIENTS}`)];
    fill(clients[i], targets);
  }
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  measuring = true;
  const cpu0 = cpuSeconds(server.pid);
  const ownCpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, RUN_MS));
  measuring = false;
  const secs = (performance.now() - t0) / 1000;
  const serverCpu = (cpuSeconds(server.pid) - cpu0) / secs;
  const own = process.cpuUsage(ownCpu0);
  const clientCpu = (own.user + own.system) / 1e6 / secs;
  stopping = true;

  const sorted = Float64Array.from(latencies).sort();
  const fmt = (x: number) => `${x.toFixed(2)} ms`;
  console.log(
    `store-socket bench: ${CLIENTS} TCP clients x ${WINDOW} in flight, ${BODY.length}-byte bodies, mode ${MODE}, ` +
      `${secs.toFixed(1)} s after ${WARMUP_MS / 1000} s warm-up; ` +
      (opts.memory ? 'MEMORY store (nothing durable)' : `SQLite in ${dataDir} (${FS_TYPES[fsType] ?? `fs 0x${fsType.toString(16)}`})`),
  );
  console.log(`${opts.memory ? 'messages/s (memory)' : 'durable messages/s'}: ${Math.round(okCount / secs)}  (${okCount} OKs${errCount ? `, ${errCount} ERRs: ${firstError}` : ''})`);
  console.log(`MSG write -> OK:    p50 ${fmt(percentile(sorted, 50))}  p99 ${fmt(percentile(sorted, 99))}  max ${fmt(sorted[sorted.length - 1])}`);
  console.log(
    `CPU:                server ${(serverCpu * 100).toFixed(0)}%, these clients ${(clientCpu * 100).toFixed(0)}% of one core ` +
      `(the machine has ${os.cpus().length}); ${MODE === 'channel' ? '' : 'DMs are read by their recipients; '}` +
      `in flight ${CLIENTS * WINDOW} = rate x latency`,
  );
  console.log(`targets:            >= 50000 msg/s, p99 <= 10 ms`);
  for (const c of clients) c.socket.destroy();
} finally {
  const code = await server.stop();
  if (code !== 0) console.error(`server exited with ${code}`);
  fs.rmSync(dataDir, { recursive: true, force: true });
}
