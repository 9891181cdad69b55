/**
 * SEARCH over a long history (issue 18): `npm run bench:search [-- --messages N] [-- --runs 300]
 * [-- --only sqlite|postgres] [-- --slowest]`.
 *
 * A generated history of MESSAGES messages (1,000,000 by default) in 1,000 conversations (900
 * channels and 100 direct conversations), 3 to 15 words each from a vocabulary of 20,000
 * words with Zipf frequencies (a few short words in most messages, most words rare, as in
 * chat), one second apart, written straight into the store through `commit()`, BATCH
 * messages per transaction: SQLite on a fresh file, PostgreSQL started as the tests start it.
 * Then `search` of two words over one user's 50 conversations (45 channels, 5 direct),
 * newest 20 first, RUNS times after a warm-up: p50/p99/max in ms, for
 *   - typed: two words of a message of that user's, picked at random (so by frequency:
 *     common words come up often, as they are typed);
 *   - common: the two most frequent words of all (in most messages);
 *   - paged: the typed ones `before:` a random time of the history, as a later page asks.
 * And the size of the index: SQLite, the FTS5 tables' pages; PostgreSQL, the GIN index.
 * Target (issue 18): p99 <= 50 ms on both.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { openSqliteStore, type SqliteStore } from '../gateway/store/sqlite-store.ts';
import { openPostgresStore } from '../gateway/store/postgres-store.ts';
import { searchQuery } from '../gateway/store/postgres-search.ts';
import type { Store, StoreSearch, StoreWrite } from '../gateway/store/store.ts';
import { conversationOf } from '../gateway/store/keys.ts';
import { startPostgres } from '../gateway/test/support/services.ts';

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const MESSAGES = Number(arg('messages') ?? 1_000_000);
const RUNS = Number(arg('runs') ?? 300);
const ONLY = arg('only');
const CHANNELS = 900;
const DIRECT = 100;
const USERS = 200;
const VOCABULARY = 20_000;
const BATCH = 2_000;
const WARMUP = 20;
const LIMIT = 20;
const TARGET_MS = 50;

/** A small deterministic generator, so both stores get the same history. */
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

/** Word of rank r: syllables, shorter for the frequent ones (rank 0 is `ba`). */
const SYLLABLES = ['ba', 'ko', 'mi', 'ru', 'te', 'shi', 'na', 'lo', 'pe', 'du', 'ga', 'zo', 'fi', 've', 'ya', 'nu'];
function word(rank: number): string {
  let w = '';
  let r = rank;
  do {
    w += SYLLABLES[r % SYLLABLES.length];
    r = Math.floor(r / SYLLABLES.length);
  } while (r > 0);
  return w;
}
const WORDS = Array.from({ length: VOCABULARY }, (_, r) => word(r));

/** Zipf (s = 1) over the vocabulary, by inverting its cumulative weights. */
const cumulative = (() => {
  const c = new Float64Array(VOCABULARY);
  let sum = 0;
  for (let r = 0; r < VOCABULARY; r++) c[r] = sum += 1 / (r + 1);
  for (let r = 0; r < VOCABULARY; r++) c[r] /= sum;
  return c;
})();
function zipf(u: number): number {
  let lo = 0;
  let hi = VOCABULARY - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const user = (i: number) => `@user${i}`;
/** The conversations: channels #c0…, then direct ones (@user0 has the first five). */
const targets: Array<{ target: string; from: () => string }> = [];
{
  const rnd = random(3);
  for (let c = 0; c < CHANNELS; c++) targets.push({ target: `#c${c}`, from: () => user(Math.floor(rnd() * USERS)) });
  for (let d = 0; d < DIRECT; d++) {
    const a = d < 5 ? 0 : 1 + Math.floor(rnd() * (USERS - 1));
    const b = d < 5 ? d + 1 : 1 + ((a + d) % (USERS - 1));
    const pair = [user(a), user(b === a ? (b % (USERS - 1)) + 1 : b)];
    targets.push({ target: pair[1], from: () => pair[0] });
  }
}
/** The searching user's: 45 channels, spread over the range, and their 5 direct conversations. */
const mine = [
  ...Array.from({ length: 45 }, (_, i) => `#c${i * 20}`),
  ...targets.slice(CHANNELS, CHANNELS + 5).map((t) => conversationOf(t.target, user(0))),
];

const text = (s: string) => new TextEncoder().encode(s);
const START = Date.UTC(2026, 0, 1);

/** The history, a batch at a time (generated as it is written: a million bodies at once is a lot of memory). */
function* history(): Generator<StoreWrite[]> {
  const rnd = random(17);
  let batch: StoreWrite[] = [];
  for (let m = 0; m < MESSAGES; m++) {
    const t = targets[Math.floor(rnd() * targets.length)];
    const n = 3 + Math.floor(rnd() * 13);
    const words: string[] = [];
    for (let i = 0; i < n; i++) words.push(WORDS[zipf(rnd())]);
    const body = words.join(' ') + (rnd() < 0.3 ? '!' : '');
    batch.push({ op: 'append', message: { target: t.target, from: t.from(), ts: new Date(START + m * 1000).toISOString(), body: text(body) } });
    if (batch.length === BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Two-word queries "as typed": two distinct words of one of the user's messages. */
async function typedQueries(store: Store, count: number): Promise<StoreSearch[]> {
  const rnd = random(99);
  const recent = await store.search({ conversations: mine, words: [], phrases: [], excluded: [], limit: 2000 });
  const out: StoreSearch[] = [];
  while (out.length < count) {
    const words = [...new Set(new TextDecoder().decode(recent[Math.floor(rnd() * recent.length)].body).split(/\W+/).filter(Boolean))];
    if (words.length < 2) continue;
    const a = words[Math.floor(rnd() * words.length)];
    const b = words.filter((w) => w !== a)[Math.floor(rnd() * (words.length - 1))];
    out.push({ conversations: mine, words: [a, b], phrases: [], excluded: [], limit: LIMIT });
  }
  return out;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

type Result = { p50: number; p99: number; max: number; found: number; slowest: Array<{ ms: number; q: StoreSearch }> };
async function measure(store: Store, queries: readonly StoreSearch[]): Promise<Result> {
  for (const q of queries.slice(0, WARMUP)) await store.search(q);
  const runs: Array<{ ms: number; q: StoreSearch }> = [];
  let found = 0;
  for (let i = 0; i < RUNS; i++) {
    const q = queries[i % queries.length];
    const t0 = performance.now();
    found += (await store.search(q)).length;
    runs.push({ ms: performance.now() - t0, q });
  }
  const times = runs.map((r) => r.ms).sort((a, b) => a - b);
  const slowest = runs.sort((a, b) => b.ms - a.ms).slice(0, 3);
  return { p50: percentile(times, 50), p99: percentile(times, 99), max: times[times.length - 1], found: found / RUNS, slowest };
}

type Hooks = { built?: () => Promise<void>; explain?: (q: StoreSearch) => Promise<string> };
async function run(name: string, store: Store, indexSize: () => Promise<string>, hooks: Hooks = {}): Promise<void> {
  const setup: StoreWrite[] = [];
  for (let u = 0; u < USERS; u++) setup.push({ op: 'addUser', handle: user(u) });
  for (let c = 0; c < CHANNELS; c++) setup.push({ op: 'addChannel', name: `#c${c}` });
  await store.commit(setup);
  const t0 = performance.now();
  let written = 0;
  for (const batch of history()) {
    if ((await store.commit(batch)) === null) throw store.lastFailure;
    written += batch.length;
    if (written % 100_000 === 0) process.stdout.write(`  ${name}: ${written} messages, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  }
  const seconds = (performance.now() - t0) / 1000;
  await hooks.built?.();
  console.log(`${name}: ${MESSAGES} messages written in ${seconds.toFixed(1)} s (${Math.round(MESSAGES / seconds)} msgs/s); index ${await indexSize()}`);
  const typed = await typedQueries(store, RUNS);
  const common: StoreSearch = { conversations: mine, words: [WORDS[0], WORDS[1]], phrases: [], excluded: [], limit: LIMIT };
  // Paging on: the typed queries `before:` a random time of the history (a later page).
  const rnd = random(7);
  const paged = typed.map((q) => ({ ...q, before: new Date(START + Math.floor(rnd() * MESSAGES) * 1000).toISOString() }));
  for (const [what, queries] of [['typed', typed], ['common', [common]], ['paged', paged]] as const) {
    const r = await measure(store, queries);
    const verdict = r.p99 <= TARGET_MS ? 'met' : 'MISSED';
    console.log(`  search 2 words (${what.padEnd(6)}) ${RUNS} runs: p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  max ${r.max.toFixed(2)} ms, ${r.found.toFixed(1)} found  (target p99 <= ${TARGET_MS} ms: ${verdict})`);
    if (process.argv.includes('--slowest')) {
      for (const s of r.slowest) {
        console.log(`    ${s.ms.toFixed(1)} ms: ${s.q.words.join(' ')} (ranks ${s.q.words.map((w) => WORDS.indexOf(w)).join(', ')})`);
        if (hooks.explain) console.log(await hooks.explain(s.q));
      }
    }
  }
}

const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
console.log(`search: ${MESSAGES} messages in ${CHANNELS + DIRECT} conversations, a user's ${mine.length}; ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);

if (ONLY !== 'postgres') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slck-bench-search-'));
  try {
    const store = openSqliteStore(dir);
    const size = async () => {
      const db = (store as SqliteStore).db;
      const pages = db.prepare("SELECT count(*) FROM dbstat WHERE name LIKE 'messages_search%'").pluck().get() as number;
      const all = db.prepare('SELECT count(*) FROM dbstat').pluck().get() as number;
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      return `${mb(pages * pageSize)} (FTS5 tables, ${pages} pages of ${pageSize} B; the whole file ${mb(all * pageSize)})`;
    };
    await run('SQLite', store, size);
    await store.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (ONLY !== 'sqlite') {
  const postgres = await startPostgres();
  try {
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('CREATE DATABASE bench');
    await admin.end();
    const url = postgres.url.replace(/\/postgres$/, '/bench');
    const store = await openPostgresStore(url);
    const sql = async <T>(f: (client: pg.Client) => Promise<T>): Promise<T> => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return f(client).finally(() => client.end());
    };
    const size = () => sql(async (client) => {
      const { rows } = await client.query<{ gin: string; ts: string; all: string }>(
        "SELECT pg_relation_size('messages_search') AS gin, pg_relation_size('messages_by_ts') AS ts, pg_total_relation_size('messages') AS all");
      return `${mb(Number(rows[0].gin))} (GIN index messages_search) + ${mb(Number(rows[0].ts))} (btree messages_by_ts); ` +
        `messages with its indexes and TOAST ${mb(Number(rows[0].all))}`;
    });
    // Freshly bulk-loaded: on a live server autovacuum has analyzed (and flushed the GIN
    // index's pending list) long before; do what it does.
    const built = () => sql(async (client) => void (await client.query('VACUUM ANALYZE messages')));
    // --slowest: the three slowest queries of each kind, with PostgreSQL's plan of each.
    const explain = (q: StoreSearch) => sql(async (client) => {
      const query = searchQuery(q)!;
      const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${query.text}`, query.values);
      return rows.map((r) => `      ${r['QUERY PLAN']}`).join('\n');
    });
    await run('PostgreSQL', store, size, { built, explain });
    await store.close();
  } finally {
    await postgres.stop();
  }
}
