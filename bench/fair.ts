/**
 * Fair service under abuse, measured: `npm run bench:fair [-- options]` (issue 16 §7).
 *
 * What a bystander feels while others abuse the server. For each server (this checkout, and
 * with `--before <dir>` an older checkout too, e.g. a git worktree with node_modules linked,
 * taken in turns A B A B for `--rounds`), a fresh server with the default limits (SQLite in a
 * temp directory; `gateway/main.ts` run from that checkout) is seeded by a --rate-exempt bot:
 * 600 messages of 100 bytes in #general, 300 of 4 KiB in #big. Then, from 127.0.0.1, a
 * bystander sends PING, and every eighth time `HISTORY #general 5`, 10 ms after each answer,
 * while from 127.0.0.2 (another address; all of 127/8 is loopback):
 *   - idle: nobody else, for --idle seconds;
 *   - attack A: 30 guests each pipeline 100 `HISTORY #big 500` and never read; one more
 *     joins them every 10 s (which kept the stall going), for --seconds-a seconds;
 *   - attack B: 4 clients each keep 100 commands in flight, `HISTORY #general 500`, PING, USRS
 *     and CHNS in turn, reading all, for --seconds-b seconds.
 * Reports the bystander's round trips (p50/p99/max) per phase and command. The target: PING
 * and HISTORY #general 5 p99 <= 30 ms under both attacks.
 *
 * Options: --before DIR --rounds 2 --idle 2 --seconds-a 15 --seconds-b 10 --phases idle,A,B
 * --no-read-rate-0 (leaves out the row of this checkout with --read-rate 0)
 * --server-args "..." (flags for every server, before and after)
 */
import fs from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { encodeMsg } from '../core/index.ts';
import { Client } from './frame-client.ts';
import { startServerProcess } from './server-process.ts';

const HERE = path.resolve(import.meta.dirname, '..');
const { values: opts } = parseArgs({
  options: {
    before: { type: 'string' },
    rounds: { type: 'string', default: '2' },
    idle: { type: 'string', default: '2' },
    'seconds-a': { type: 'string', default: '15' },
    'seconds-b': { type: 'string', default: '10' },
    'no-read-rate-0': { type: 'boolean', default: false },
    phases: { type: 'string', default: 'idle,A,B' },
    'server-args': { type: 'string', default: '' },
  },
});
const ROUNDS = Number(opts.rounds);
const IDLE_MS = Number(opts.idle) * 1000;
const A_MS = Number(opts['seconds-a']) * 1000;
const B_MS = Number(opts['seconds-b']) * 1000;
const ATTACKER = '127.0.0.2';

const startServer = (root: string, extra: string[], dataDir: string) =>
  startServerProcess(root, [...opts['server-args'].split(' ').filter(Boolean), '--host', '127.0.0.1', '--tcp-port', '0', '--http-port', '0',
    '--log-level', 'warn', '--data-dir', dataDir, '--rate-exempt', '@seed', ...extra]);

async function seed(port: number): Promise<void> {
  const bot = await Client.user(port, '@seed seed-password-1', ['#big']);
  const wire = Buffer.concat([
    ...Array.from({ length: 600 }, () => encodeMsg('#general', 'x'.repeat(100))),
    ...Array.from({ length: 300 }, () => encodeMsg('#big', 'y'.repeat(4096))),
  ]);
  await new Promise<void>((done) => {
    let oks = 0;
    bot.on = (f) => void (f.type === 'OK' && ++oks === 900 && done());
    bot.socket.write(wire);
  });
  bot.socket.destroy();
}

/**
 * A person's client, quick: 10 ms after each answer a PING, and every eighth time
 * `HISTORY #general 5` instead (about 12 a second, under the read rate, as a person is);
 * round trips in ms.
 */
function bystander(c: Client): { ping: number[]; history: number[]; stop(): Promise<void> } {
  const ping: number[] = [];
  const history: number[] = [];
  let sentAt = 0;
  let running = true;
  let k = 0;
  let stopped: () => void = () => {};
  const done = new Promise<void>((r) => (stopped = r));
  const ask = () => {
    sentAt = performance.now();
    c.socket.write(k % 8 === 7 ? 'HISTORY #general 5\r\n' : 'PING b\r\n');
  };
  c.on = (f) => {
    if (f.type !== 'PONG' && f.type !== 'END') return;
    (f.type === 'PONG' ? ping : history).push(performance.now() - sentAt);
    k++;
    if (running) setTimeout(ask, 10);
    else stopped();
  };
  ask();
  return { ping, history, stop() {
    running = false;
    return done;
  } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Stats = { n: number; p50: number; p99: number; max: number };
function stats(xs: number[]): Stats {
  const s = Float64Array.from(xs).sort();
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: at(0.5), p99: at(0.99), max: s[s.length - 1] };
}

/** Attack A: guests from one address pipeline HISTORY and never read; one more every 10 s. */
async function attackA(port: number): Promise<() => void> {
  const socks: net.Socket[] = [];
  let n = 0;
  const hoard = async () => {
    const c = await Client.user(port, `@hoarder${n++}`, ['#big'], ATTACKER);
    c.socket.pause();
    c.socket.write('HISTORY #big 500\r\n'.repeat(100));
    socks.push(c.socket);
  };
  await Promise.all(Array.from({ length: 30 }, hoard));
  const more = setInterval(() => void hoard().catch(() => {}), 10_000);
  return () => {
    clearInterval(more);
    for (const s of socks) s.destroy();
  };
}

/** Attack B: clients that keep 100 reads in flight each, reading everything. */
async function attackB(port: number): Promise<() => void> {
  const mix = ['HISTORY #general 500\r\n', 'PING a\r\n', 'USRS\r\n', 'CHNS\r\n'];
  const clients = await Promise.all(Array.from({ length: 4 }, (_, i) => Client.user(port, `@piper${i}`, [], ATTACKER)));
  let running = true;
  for (const c of clients) {
    let k = 0;
    const send = (count: number) => {
      let wire = '';
      for (let i = 0; i < count; i++) wire += mix[k++ % mix.length];
      c.socket.write(wire);
    };
    c.on = (f) => {
      if (running && (f.type === 'END' || f.type === 'PONG')) send(1);
    };
    send(100);
  }
  return () => {
    running = false;
    for (const c of clients) c.socket.destroy();
  };
}

type Row = { round?: number; server: string; phase: string; ping: Stats; history: Stats };

async function measure(server: string, phase: string, port: number, ms: number): Promise<Row> {
  const b = await Client.user(port, `@bystander`, []);
  const run = bystander(b);
  await sleep(ms);
  await run.stop();
  b.socket.destroy();
  return { server, phase, ping: stats(run.ping), history: stats(run.history) };
}

async function phase(name: string, root: string, extra: string[], what: 'idle' | 'A' | 'B'): Promise<Row> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slck-bench-fair-'));
  const server = await startServer(root, extra, dataDir);
  try {
    await seed(server.port);
    // Let the seed's commits and checkpoints finish: the bystander measures a server at rest.
    await sleep(1000);
    if (what === 'idle') return await measure(name, 'idle', server.port, IDLE_MS);
    const stop = what === 'A' ? await attackA(server.port) : await attackB(server.port);
    try {
      // The attack under way first: A's hoarders fill what the server lets them hold.
      await sleep(what === 'A' ? 2000 : 500);
      return await measure(name, what === 'A' ? 'A: 30 non-readers' : 'B: 4 pipeliners', server.port, what === 'A' ? A_MS : B_MS);
    } finally {
      stop();
    }
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const servers: Array<{ name: string; root: string; extra: string[]; phases: Array<'idle' | 'A' | 'B'> }> = [];
if (opts.before !== undefined) servers.push({ name: 'before', root: path.resolve(opts.before), extra: [], phases: ['idle', 'A', 'B'] });
servers.push({ name: 'after', root: HERE, extra: [], phases: ['idle', 'A', 'B'] });
if (!opts['no-read-rate-0']) servers.push({ name: 'after, --read-rate 0', root: HERE, extra: ['--read-rate', '0'], phases: ['B'] });

const rows: Row[] = [];
const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`).padStart(10);
const show = (r: Row) =>
  `${String(r.round ?? '').padEnd(6)}${r.server.padEnd(22)}${r.phase.padEnd(20)}` +
  `${String(r.ping.n).padStart(6)}${ms(r.ping.p50)}${ms(r.ping.p99)}${ms(r.ping.max)}` +
  `${String(r.history.n).padStart(7)}${ms(r.history.p50)}${ms(r.history.p99)}${ms(r.history.max)}`;
console.log(`fair bench: a bystander (127.0.0.1) PINGs, every eighth time HISTORY #general 5, 10 ms after each answer; attackers from ${ATTACKER}; default limits; SQLite in a temp dir; ${os.cpus().length} CPUs`);
console.log(`${'round'.padEnd(6)}${'server'.padEnd(22)}${'phase'.padEnd(20)}${'pings'.padStart(6)}${'p50'.padStart(10)}${'p99'.padStart(10)}${'max'.padStart(10)}${'hists'.padStart(7)}${'p50'.padStart(10)}${'p99'.padStart(10)}${'max'.padStart(10)}`);
for (let round = 1; round <= ROUNDS; round++) {
  for (const what of opts.phases.split(',') as Array<'idle' | 'A' | 'B'>) {
    for (const s of servers) {
      if (!s.phases.includes(what)) continue;
      const row = { ...(await phase(s.name, s.root, s.extra, what)), round };
      rows.push(row);
      console.log(show(row));
    }
  }
}
const after = rows.filter((r) => r.server === 'after' && r.phase !== 'idle');
const worst = Math.max(...after.map((r) => Math.max(r.ping.p99, r.history.p99)));
console.log(`target: bystander PING and HISTORY #general 5 p99 <= 30 ms under both attacks: ${worst <= 30 ? 'met' : 'NOT met'} (worst p99 after: ${worst.toFixed(1)} ms)`);
