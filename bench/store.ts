/**
 * The SQLite store alone: `npm run bench:store-engine [-- --dir <path>] [--batches 100,500] [--text]`.
 *
 * Each row commits `batch` appends at a time (what one event-loop turn of the hub would
 * accept) as one `commit()`, over and over for RUN_MS, on a fresh `slck.db` with the settings
 * the server uses (WAL, the WAL fsynced before commit() resolves). Messages are 100-byte
 * bodies (`--text`: 16 words and a number each, ~90 bytes, what the search index meets), one
 * in ten a direct message queued for an offline user, the rest spread over eight channels.
 * messages/s counts building the batch and committing it, and the search index's slices run
 * between commits (a row ends with a search, which indexes what is left); CPU µs/msg is the
 * process's CPU time (user + system, the fsync threads included) per message, which the
 * disk's fsync latency does not move (the machine's load still does). The commit columns
 * time `commit()` alone. Then HISTORY-sized reads (50 newest before a random id of the
 * channel: ids are per conversation) on the database the rows filled.
 *
 * Figures depend on the disk behind `--dir` (default: the OS temp dir); the file system type
 * is printed so a tmpfs run (no real fsync) is not mistaken for a disk one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openSqliteStore, type SqliteStore } from '../gateway/store/sqlite-store.ts';
import type { StoreWrite } from '../gateway/store/store.ts';

const BATCHES = [1, 10, 100, 500];
const RUN_MS = 2000;
const MIN_COMMITS = 20;
const CHANNELS = 8;
const READS = 2000;

const FS_TYPES: Record<number, string> = {
  0xef53: 'ext4',
  0x01021994: 'tmpfs',
  0x794c7630: 'overlayfs',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x2fc12fc1: 'zfs',
};

function argDir(): string {
  const at = process.argv.indexOf('--dir');
  return at >= 0 && process.argv[at + 1] ? path.resolve(process.argv[at + 1]) : os.tmpdir();
}

const TEXT = process.argv.includes('--text');

/** `--batches 100,500`: only those rows. */
function argBatches(): number[] {
  const at = process.argv.indexOf('--batches');
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1].split(',').map(Number) : BATCHES;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function setUp(store: SqliteStore): Promise<void> {
  const writes: StoreWrite[] = [];
  for (let u = 0; u < 20; u++) writes.push({ op: 'addUser', handle: `@user${u}` });
  for (let c = 0; c < CHANNELS; c++) writes.push({ op: 'addChannel', name: `#channel${c}` });
  if ((await store.commit(writes)) === null) throw new Error('set-up commit failed');
}

type Row = { batch: number; messages: number; commits: number; perSec: number; cpuUs: number; p50: number; p99: number; max: number };

async function runBatches(store: SqliteStore, batch: number): Promise<Row> {
  const x100 = new TextEncoder().encode('x'.repeat(100));
  const words = 'the quick brown fox jumps over a lazy dog while ten more people say hello again and then go home'.split(' ');
  // --text: 16 words and a number, ~90 bytes, each message its own (what the search index meets).
  const text = (n: number) => new TextEncoder().encode(Array.from({ length: 16 }, (_, k) => words[(n * 7 + k * 3) % words.length]).join(' ') + ` ${n}`);
  const bodyOf = (n: number) => (TEXT ? text(n) : x100);
  const ts = new Date().toISOString();
  const latencies: number[] = [];
  let messages = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  while (performance.now() - start < RUN_MS || latencies.length < MIN_COMMITS) {
    const writes: StoreWrite[] = [];
    for (let i = 0; i < batch; i++) {
      const n = messages + i;
      if (n % 10 === 0) writes.push({ op: 'append', message: { target: `@user${n % 20}`, from: '@user0', ts, body: bodyOf(n) }, offlineFor: `@user${n % 20}` });
      else writes.push({ op: 'append', message: { target: `#channel${n % CHANNELS}`, from: `@user${n % 20}`, ts, body: bodyOf(n) } });
    }
    const before = performance.now();
    if ((await store.commit(writes)) === null) throw new Error(`commit failed: ${store.lastFailure?.message}`);
    latencies.push(performance.now() - before);
    messages += batch;
  }
  // The search index may still have messages to take (it is written behind them, in slices):
  // a search takes them in first, so the row pays for all it indexed.
  await store.search({ conversations: ['#channel0'], words: ['x'], phrases: [], excluded: [], limit: 0 });
  const secs = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  return {
    batch,
    messages,
    commits: latencies.length,
    perSec: messages / secs,
    cpuUs: (used.user + used.system) / messages,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1],
  };
}

async function benchReads(store: SqliteStore): Promise<{ p50: number; p99: number; rows: number; total: number }> {
  const channels = Array.from({ length: CHANNELS - 1 }, (_, i) => `#channel${1 + i}`);
  const newest = await store.lastIds(channels);
  const total = store.db.prepare('SELECT count(*) FROM messages').pluck().get() as number;
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < READS; i++) {
    const channel = channels[i % channels.length];
    const before = 1 + Math.floor(Math.random() * newest.get(channel)!);
    const t = performance.now();
    rows += (await store.channelHistory(channel, { limit: 50, before })).length;
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), rows, total };
}

const pad = (s: string | number, n: number): string => String(s).padStart(n);
const ms = (x: number): string => x.toFixed(3);

const base = argDir();
const dir = fs.mkdtempSync(path.join(base, 'slck-bench-store-'));
try {
  const fsType = fs.statfsSync(dir).type;
  const store = openSqliteStore(dir);
  const version = store.db.prepare('SELECT sqlite_version()').pluck().get() as string;
  console.log(
    `store bench: ${store.description} (${FS_TYPES[fsType] ?? `fs 0x${fsType.toString(16)}`}), SQLite ${version}, ` +
      `WAL, synchronous=${store.db.pragma('synchronous', { simple: true }) === 2 ? 'FULL' : 'other'}, ` +
      `100-byte bodies, ${RUN_MS} ms per row`,
  );
  await setUp(store);
  console.log(`${pad('batch', 6)} ${pad('messages', 9)} ${pad('commits', 8)} ${pad('msgs/s', 9)} ${pad('CPU µs/msg', 11)} ` +
    `${pad('commit p50 ms', 14)} ${pad('p99 ms', 8)} ${pad('max ms', 8)}`);
  for (const batch of argBatches()) {
    const r = await runBatches(store, batch);
    console.log(
      `${pad(r.batch, 6)} ${pad(r.messages, 9)} ${pad(r.commits, 8)} ${pad(Math.round(r.perSec), 9)} ${pad(r.cpuUs.toFixed(2), 11)} ` +
        `${pad(ms(r.p50), 14)} ${pad(ms(r.p99), 8)} ${pad(ms(r.max), 8)}`,
    );
  }
  const reads = await benchReads(store);
  console.log(
    `channelHistory(limit 50, before random id) over ${reads.total} messages: ` +
      `p50 ${ms(reads.p50)} ms, p99 ${ms(reads.p99)} ms (${READS} reads, ${(reads.rows / READS).toFixed(1)} rows each)`,
  );
  const size = fs.statSync(path.join(dir, 'slck.db')).size + fs.statSync(path.join(dir, 'slck.db-wal')).size;
  console.log(`file size: ${(size / 1e6).toFixed(1)} MB (db + WAL)`);
  await store.close();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
