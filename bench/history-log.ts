/**
 * HISTORY on a conversation with a long log (issue 17): `npm run bench:history-log
 * [-- --runs 300] [-- --only sqlite|postgres] [-- --keep <dir>] [-- --explain]`.
 *
 * One channel gets MESSAGES main-flow messages and REPLIES thread replies, then EDITS edits
 * and REACTIONS reactions (distinct (message, user, emoji) triples spread uniformly over the
 * messages, so a page of 200 carries some 3,000 of them), all written through `commit()` in
 * batches of BATCH as the hub writes them: SQLite on a fresh file (WAL, synchronous = FULL)
 * and PostgreSQL started as the tests start it (initdb into a temp directory, fsync on).
 * Then `channelHistory(limit 200)`, the page a client asks for first, RUNS times after a
 * warm-up: p50/p99/max in ms; and the same for pages `before` a random id.
 * Targets (issue 17): p99 <= 20 ms on SQLite, <= 30 ms on PostgreSQL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { openSqliteStore } from '../gateway/store/sqlite-store.ts';
import { openPostgresStore } from '../gateway/store/postgres-store.ts';
import type { HistoryQuery, Store, StoreWrite } from '../gateway/store/store.ts';
import { startPostgres } from '../gateway/test/support/services.ts';

const MESSAGES = 3_000;
const REPLIES = 1_000;
const EDITS = 10_000;
const REACTIONS = 50_000;
const USERS = 60;
const EMOJI = ['👍', '🎉', '❤️', '😂', '👀', '🚀', '✅', '🙏', '🔥', '💯', '😮', '😢', '🤔', '👏', '💡', '⭐', '🍕', '☕', '🐛', '📌'];
const BATCH = 500;
const PAGE = 200;
const WARMUP = 20;

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const RUNS = Number(arg('runs') ?? 300);
const ONLY = arg('only');

/** A small deterministic generator, so both stores get the same log. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The log's writes, in the batches they are committed in. */
function workload(): StoreWrite[][] {
  const rnd = random(17);
  const pick = (n: number) => Math.floor(rnd() * n);
  const text = (s: string) => new TextEncoder().encode(s);
  let clock = Date.UTC(2026, 11, 1);
  const ts = () => new Date(clock++).toISOString();
  const user = (i: number) => `@user${i}`;
  const writes: StoreWrite[] = [];
  const messageIds: number[] = [];
  let id = 0;
  // Messages, every fourth one followed by a thread reply to an earlier message.
  let replies = 0;
  for (let m = 0; m < MESSAGES; m++) {
    writes.push({ op: 'append', message: { target: '#bench', from: user(pick(USERS)), ts: ts(), body: text(`message ${m} `.padEnd(120, 'x')) } });
    messageIds.push(++id);
    if (m % 3 === 2 && replies < REPLIES) {
      const root = messageIds[pick(messageIds.length)];
      writes.push({ op: 'append', message: { target: '#bench', from: user(pick(USERS)), ts: ts(), body: text(`reply to ${root}`) }, root });
      ++id;
      replies++;
    }
  }
  const changes: StoreWrite[] = [];
  for (let e = 0; e < EDITS; e++) {
    changes.push({ op: 'change', change: { kind: 'edit', target: '#bench', from: user(0), ts: '', of: messageIds[pick(messageIds.length)], body: text(`edited ${e} `.padEnd(120, 'y')) } });
  }
  const seen = new Set<string>();
  while (seen.size < REACTIONS) {
    const of = messageIds[pick(messageIds.length)];
    const who = pick(USERS);
    const emoji = EMOJI[pick(EMOJI.length)];
    const key = `${of} ${who} ${emoji}`;
    if (seen.has(key)) continue;
    seen.add(key);
    changes.push({ op: 'change', change: { kind: 'react', target: '#bench', from: user(who), ts: '', of, reaction: emoji } });
  }
  // Edits and reactions interleaved, as they come.
  for (let i = changes.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [changes[i], changes[j]] = [changes[j], changes[i]];
  }
  for (const c of changes) if (c.op === 'change') c.change.ts = ts();
  writes.push(...changes);
  const batches: StoreWrite[][] = [];
  for (let i = 0; i < writes.length; i += BATCH) batches.push(writes.slice(i, i + BATCH));
  return batches;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function measure(store: Store, query: () => HistoryQuery): Promise<{ p50: number; p99: number; max: number; rows: number }> {
  let rows = 0;
  for (let i = 0; i < WARMUP; i++) await store.channelHistory('#bench', query());
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const q = query();
    const t0 = performance.now();
    const page = await store.channelHistory('#bench', q);
    times.push(performance.now() - t0);
    rows = page.length;
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), max: times[times.length - 1], rows };
}

async function run(name: string, store: Store, batches: StoreWrite[][], target: number, hooks: { built?: () => Promise<void>; measured?: () => Promise<void> } = {}): Promise<void> {
  const setup: StoreWrite[] = [{ op: 'addChannel', name: '#bench' }];
  for (let u = 0; u < USERS; u++) setup.push({ op: 'addUser', handle: `@user${u}` });
  await store.commit(setup);
  const t0 = performance.now();
  for (const batch of batches) if ((await store.commit(batch)) === null) throw store.lastFailure;
  const built = (performance.now() - t0) / 1000;
  await hooks.built?.();
  const [last] = (await store.lastIds(['#bench'])).values();
  const latest = await store.channelHistory('#bench', { limit: PAGE });
  const reactions = latest.reduce((n, m) => n + (m.reactions ?? []).reduce((k, r) => k + r.by.length, 0), 0);
  console.log(`${name}: log of ${last} entries built in ${built.toFixed(1)} s; a page of ${latest.length} carries ${reactions} reactions, ${latest.filter((m) => m.edited).length} edited, ${latest.filter((m) => m.thread).length} thread roots`);
  const rnd = random(5);
  const rows = [
    ['latest 200', await measure(store, () => ({ limit: PAGE }))],
    ['before random id', await measure(store, () => ({ limit: PAGE, before: 1 + Math.floor(rnd() * last) }))],
  ] as const;
  await hooks.measured?.();
  for (const [what, r] of rows) {
    const verdict = what === 'latest 200' ? (r.p99 <= target ? `  (target p99 <= ${target} ms: met)` : `  (target p99 <= ${target} ms: MISSED)`) : '';
    console.log(`  channelHistory ${what.padEnd(17)} ${RUNS} runs: p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  max ${r.max.toFixed(2)} ms${verdict}`);
  }
}

const batches = workload();
const writes = batches.reduce((n, b) => n + b.length, 0);
console.log(`history-log: ${MESSAGES} messages, ${REPLIES} replies, ${EDITS} edits, ${REACTIONS} reactions (${writes} writes in batches of ${BATCH}); ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);

if (ONLY !== 'postgres') {
  // --keep <dir>: build the SQLite file there and leave it (to look at its plans afterwards).
  const kept = arg('keep');
  const dir = kept === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), 'slck-bench-history-')) : path.resolve(kept);
  try {
    const store = openSqliteStore(dir);
    await run('SQLite', store, batches, 20);
    await store.close();
  } finally {
    if (kept === undefined) fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (ONLY !== 'sqlite') {
  const postgres = await startPostgres();
  try {
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('CREATE DATABASE bench');
    await admin.end();
    const store = await openPostgresStore(postgres.url.replace(/\/postgres$/, '/bench'));
    const sql = async (f: (client: pg.Client) => Promise<void>) => {
      const client = new pg.Client({ connectionString: postgres.url.replace(/\/postgres$/, '/bench') });
      await client.connect();
      await f(client).finally(() => client.end());
    };
    // Freshly bulk-loaded tables have no statistics yet: on a live server autovacuum has
    // analyzed them long before a conversation has 60,000 entries, so do what it does.
    const built = () => sql(async (client) => void (await client.query('VACUUM ANALYZE')));
    // --explain: the plan of the latest page, as PostgreSQL ran it.
    const explain = process.argv.includes('--explain') ? () => sql(async (client) => {
      const plan = await client.query(
        "EXPLAIN (ANALYZE, BUFFERS) SELECT conversation, id, target, sender, ts, body, root, also, edited, deleted, reactions FROM messages " +
          "WHERE conversation = '#bench' AND (root IS NULL OR also) AND id < 9007199254740991 ORDER BY id DESC LIMIT 200");
      console.log(plan.rows.map((r) => `    ${r['QUERY PLAN']}`).join('\n'));
    }) : undefined;
    await run('PostgreSQL', store, batches, 30, { built, measured: explain });
    await store.close();
  } finally {
    await postgres.stop();
  }
}
