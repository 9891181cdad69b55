/**
 * Faults under load on a three-node cluster sharing one PostgreSQL and one Redis: a node
 * killed (-9), Redis stalled (SIGSTOP), killed and restarted empty, its subscribers cut off
 * (CLIENT KILL TYPE pubsub), PostgreSQL crashed and restarted; each in the middle of a
 * pipelined burst of channel messages and DMs across nodes.
 *
 * After each run, the readers still up wait (bounded) until they hold every message the
 * database committed in their conversations, and the logs are judged by the checker against
 * the committed set read from PostgreSQL: nothing acknowledged lost, nothing twice, no holes,
 * nothing acknowledged or delivered that is not stored.
 *
 * Each test runs a fresh cluster on a database of its own, with Redis flushed first.
 */
import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProtocolError, nameKey } from '../../../core/index.ts';
import type { ChatHost } from '../../chat/chat.ts';
import { Inbound, toEvent } from '../../chat/inbound.ts';
import { EVENTS_TOPIC } from '../../chat/service.ts';
import type { LogEntry as StoredEntry, Store } from '../../store/store.ts';
import { TestClient, type Received } from '../support/client.ts';
import { startPostgres, startRedis, type TestPostgres, type TestRedis } from '../support/services.ts';
import { burst, waitUntil, type Burst } from './burst.ts';
import { LoggedClient, committedKey, dmKey, type ClientLog, type LogEntry } from './chat-log.ts';
import { assertClean, check, type CheckResult } from './checker.ts';
import { readState, type ConversationState } from './final-state.ts';
import { startCluster, type Cluster, type ClusterNode } from './test-cluster.ts';

/** config.ts's presenceTtlMs (the default of --presence-ttl-ms) and the service's sweep interval. */
const PRESENCE_TTL_MS = 20_000;
const SWEEP_MS = 5_000;
/** The Redis channel the bus carries events on (the bus's default prefix + the service's topic). */
const EVENTS_CHANNEL = `slck:${EVENTS_TOPIC}`;
const ROOM = '#room';

let postgres: TestPostgres;
let redis: TestRedis;
/** Left so by a test that failed mid-fault: put right before the next one. */
let pgDown = false;
let redisPaused = false;
let redisDown = false;
let databases = 0;

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
}, 120_000);
afterAll(async () => {
  await Promise.all([postgres?.stop(), redis?.stop()]);
});

// ------------------------------------------------------------ services

const dbUrl = (db: string) => postgres.url.replace(/\/[^/]*$/, `/${db}`);

async function sql<T extends object>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end().catch(() => {});
  }
}

/** Take row locks in a transaction of its own (a slow writer), until `release`; throws if none was taken. */
async function holdRows(url: string, select: string): Promise<{ release(): Promise<void> }> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  await c.connect();
  await c.query('BEGIN');
  const locked = await c.query(select);
  if (!locked.rowCount) {
    await c.end();
    throw new Error(`no row to lock: ${select}`);
  }
  return {
    async release() {
      await c.query('ROLLBACK').catch(() => {});
      await c.end().catch(() => {});
    },
  };
}

async function redisClient() {
  const r = createClient({ url: redis.url });
  r.on('error', () => {});
  await r.connect();
  return r;
}

async function redisCommand(args: string[]): Promise<unknown> {
  const r = await redisClient();
  try {
    return await r.sendCommand(args);
  } finally {
    r.destroy();
  }
}

/** How many connections subscribe to the events channel (one per node when all is well). */
async function eventSubscribers(): Promise<number> {
  const reply = (await redisCommand(['PUBSUB', 'NUMSUB', EVENTS_CHANNEL])) as [string, number];
  return Number(reply[1]);
}

// ------------------------------------------------------------ the world of one test

/**
 * Who is where. Every user is in #room; @a1, @b1, @c1 burst into it; @a2, @b2, @c2 each burst
 * DMs to a user on the next node (a2 → b2 → c2 → a2, unless a test says otherwise). `ghost`
 * adds @a3 on n1, a member that only listens (case 1: killed and never back), and `watcher` a
 * raw client on n2 in #room that keeps every frame (for OFFLINE).
 */
const LAYOUT: Record<string, string[]> = { n1: ['@a1', '@a2'], n2: ['@b1', '@b2'], n3: ['@c1', '@c2'] };
const ROOM_SENDERS = ['@a1', '@b1', '@c1'];
type Dms = Array<[from: string, to: string]>;
const RING: Dms = [['@a2', '@b2'], ['@b2', '@c2'], ['@c2', '@a2']];

type World = {
  cluster: Cluster;
  db: string;
  clients: Map<string, LoggedClient>;
  /** The node each client is on now. */
  nodeOf: Map<string, ClusterNode>;
  /** One raw client per node, no channels: PING and USRS. */
  eyes: Map<string, TestClient>;
  watcher?: TestClient;
  bursts: Map<string, Burst>;
  /** Who bursts DMs to whom. */
  dms: Dms;
};

let world: World | null = null;

beforeEach(async () => {
  await redisCommand(['FLUSHALL']);
});

afterEach(async (ctx) => {
  const w = world;
  world = null;
  if (redisPaused) {
    redis.resume();
    redisPaused = false;
  }
  if (redisDown) {
    await redis.start();
    redisDown = false;
  }
  if (pgDown) {
    await postgres.start();
    pgDown = false;
  }
  if (w === null) return;
  for (const b of w.bursts.values()) void b.stop();
  if (ctx.task.result?.state === 'fail') {
    for (const n of w.cluster.nodes) {
      console.log(`--- ${n.id} (${n.alive ? 'running' : 'exited'}) stdout, last 3000 chars\n${n.stdout().slice(-3000)}\n--- ${n.id} stderr\n${n.stderr().slice(-3000)}`);
    }
  }
  for (const c of w.clients.values()) c.drop();
  for (const e of w.eyes.values()) e.destroy();
  w.watcher?.destroy();
  await w.cluster.stop();
});

async function setup(opts: { ghost?: boolean; watcher?: boolean; dms?: Dms } = {}): Promise<World> {
  const db = `faults_${process.pid}_${++databases}`;
  await sql(postgres.url, `CREATE DATABASE ${db}`);
  const cluster = await startCluster({
    nodes: 3, databaseUrl: dbUrl(db), redisUrl: redis.url, extraArgs: ['--msg-rate', '0', '--log-level', 'warn'],
  });
  const w: World = { cluster, db, clients: new Map(), nodeOf: new Map(), eyes: new Map(), bursts: new Map(), dms: opts.dms ?? RING };
  world = w;
  const node = (id: string) => cluster.nodes.find((n) => n.id === id)!;
  const layout = { ...LAYOUT, n1: [...LAYOUT.n1, ...(opts.ghost ? ['@a3'] : [])] };
  // One at a time: the first JOIN creates the channel.
  for (const [id, handles] of Object.entries(layout)) {
    for (const h of handles) {
      w.clients.set(h, await LoggedClient.connect(node(id).tcpPort, h, [ROOM]));
      w.nodeOf.set(h, node(id));
    }
  }
  for (const n of cluster.nodes) w.eyes.set(n.id, await TestClient.user(n.tcpPort, `@eye${n.id.slice(1)}`));
  if (opts.watcher) w.watcher = await TestClient.user(node('n2').tcpPort, '@watch', ROOM);
  return w;
}

const client = (w: World, h: string) => w.clients.get(h)!;

/** Start every sender's burst: `room` for the channel senders, `dm` for the DM senders. */
function startBursts(w: World, room: { rate: number; count?: number }, dm: { rate: number; count?: number }): void {
  for (const h of ROOM_SENDERS) w.bursts.set(h, burst(client(w, h), { to: ROOM, window: 16, ...room }));
  for (const [from, to] of w.dms) w.bursts.set(from, burst(client(w, from), { to, window: 16, ...dm }));
}

const allBursts = (w: World) => Promise.all([...w.bursts.values()].map((b) => b.done));

/** Whether `handle` is in `conversation`: #room, or a DM of theirs. */
const isIn = (handle: string, conversation: string) =>
  conversation === nameKey(ROOM) || (conversation.includes(' ') && conversation.split(' ').includes(nameKey(handle)));

/** One entry of a conversation's log as PostgreSQL holds it: a message or reply, or a change. */
type Row = { conversation: string; id: number; sender: string };
const committedRows = (w: World) =>
  sql<Row>(dbUrl(w.db), 'SELECT conversation, id::int AS id, sender FROM messages UNION ALL SELECT conversation, id::int AS id, sender FROM changes');

/** Per reader, the committed log entries of others in its conversations that it has not received. */
function missing(readers: LoggedClient[], rows: Row[]): string[] {
  const out: string[] = [];
  for (const r of readers) {
    const got = new Set(r.got.map((g) => committedKey(g.target, g.id)));
    const lacks = rows.filter((m) => isIn(r.handle, m.conversation) && nameKey(m.sender) !== nameKey(r.handle) && !got.has(committedKey(m.conversation, m.id)));
    if (lacks.length > 0) out.push(`${r.handle} lacks ${lacks.length}: ${lacks.slice(0, 5).map((m) => committedKey(m.conversation, m.id)).join(', ')}…`);
  }
  return out;
}

/**
 * Each conversation's final state as every node a reader is on shows it: #room from one
 * member per node, a DM from each party (the only ones who may read it).
 */
async function finalStates(readers: LoggedClient[], w: World): Promise<ConversationState[]> {
  const out: ConversationState[] = [];
  const byNode = new Map<ClusterNode, LoggedClient>();
  for (const r of readers) if (r.connected && !byNode.has(w.nodeOf.get(r.handle)!)) byNode.set(w.nodeOf.get(r.handle)!, r);
  for (const [n, r] of byNode) out.push(await readState(r, ROOM, `${n.id} (${r.handle})`, nameKey(ROOM)));
  const dms = new Set(readers.flatMap((r) => r.got.map((g) => g.target).filter((t) => t.includes(' '))));
  for (const dm of dms) {
    for (const r of readers) {
      const other = r.targetOf(dm);
      if (!r.connected || !dm.split(' ').includes(nameKey(r.handle)) || other === undefined) continue;
      out.push(await readState(r, other, `${w.nodeOf.get(r.handle)!.id} (${r.handle})`, dm));
    }
  }
  return out;
}

/** How many of the sends of `logs` ended in each way, by act: `{ "react ok": 12, … }`. */
function fatesByAct(logs: ClientLog[]): Record<string, number> {
  const acc: Record<string, number> = {};
  for (const l of logs) {
    const act = new Map<number, string>();
    for (const e of l.entries) {
      if (e.kind === 'sent') act.set(e.seq, e.act);
      else if (e.kind === 'ok' || e.kind === 'unchanged' || e.kind === 'err' || e.kind === 'unknown') {
        const k = `${act.get(e.seq)} ${e.kind === 'err' ? e.code : e.kind}`;
        acc[k] = (acc[k] ?? 0) + 1;
      }
    }
  }
  return Object.fromEntries(Object.entries(acc).sort());
}

/**
 * Wait (bounded) until every reader holds every committed log entry of its conversations,
 * then judge the run against PostgreSQL's committed set, and the final state of every message
 * as each node shows it and as each reader's frames fold up. `logs` may hold clients that are
 * not readers (a user killed with its node): their sends are judged, their receipt is not.
 */
async function judge(w: World, readers: LoggedClient[], timeoutMs = 15_000): Promise<CheckResult> {
  const until = Date.now() + timeoutMs;
  let rows = await committedRows(w);
  let lacking = missing(readers, rows);
  while (lacking.length > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    rows = await committedRows(w);
    lacking = missing(readers, rows);
  }
  const committed = new Set(rows.map((m) => committedKey(m.conversation, m.id)));
  const logs = [...w.clients.values()].map((c) => c.log);
  const states = await finalStates(readers, w);
  const result = check(logs, { receivers: new Map([[ROOM, readers.map((r) => r.handle)]]), committed, finalStates: states });
  console.log(`  committed ${rows.length} log entries; final states read on ${states.map((s) => `${s.where} ${s.conversation} (${s.messages.size})`).join(', ')}; ` +
    `fates ${JSON.stringify(fatesByAct(logs))}`);
  // What a receiver that lost something did get there, as evidence for the server's side.
  for (const l of result.lost.slice(0, 3)) {
    const got = w.clients.get(l.receiver)?.got.filter((g) => g.target === l.conversation) ?? [];
    console.log(`  ${l.receiver} in ${l.conversation} got: ${got.slice(0, 12).map((g) => `${g.frame ?? 'MSG'} ${g.id} ${g.via}`).join(', ')}${got.length > 12 ? ' …' : ''}`);
  }
  assertClean(result);
  expect(lacking, 'committed log entries a reader never received').toEqual([]);
  return result;
}

/** When each acknowledged log entry was sent, by `committedKey(conversation, id)`. */
function sentTimes(w: World): Map<string, number> {
  const at = new Map<string, number>();
  for (const c of w.clients.values()) {
    const sent = new Map<number, { conversation: string; at: number }>();
    for (const e of c.log.entries) {
      if (e.kind === 'sent') sent.set(e.seq, e);
      else if (e.kind === 'ok') at.set(committedKey(sent.get(e.seq)!.conversation, e.id), sent.get(e.seq)!.at);
    }
  }
  return at;
}

/**
 * The sends that ended otherwise than `allowed` (`<act> <fate or error code>`): a mixed burst
 * may react to or reply to a message its author deleted meanwhile (`NO_SUCH_MESSAGE`), or add
 * a reaction that is there already (`unchanged`); nothing else.
 */
function unexpectedFates(w: World | LoggedClient[], allowed: string[]): Record<string, number> {
  const clients = Array.isArray(w) ? w : [...w.clients.values()];
  const benign = ['reply NO_SUCH_MESSAGE', 'react NO_SUCH_MESSAGE', 'unreact NO_SUCH_MESSAGE', 'react unchanged', 'unreact unchanged'];
  const ok = new Set([...allowed, ...benign]);
  return Object.fromEntries(Object.entries(fatesByAct(clients.map((c) => c.log))).filter(([k]) => !ok.has(k) && !k.endsWith(' ok')));
}

/** Each send of `c`: when it left, and its fate with when that came. */
function sendsOf(c: LoggedClient): Array<{ seq: number; sentAt: number; fate?: Exclude<LogEntry, { kind: 'connected' | 'disconnected' | 'sent' | 'got' }> }> {
  const bySeq = new Map<number, { seq: number; sentAt: number; fate?: Exclude<LogEntry, { kind: 'connected' | 'disconnected' | 'sent' | 'got' }> }>();
  for (const e of c.log.entries) {
    if (e.kind === 'sent') bySeq.set(e.seq, { seq: e.seq, sentAt: e.at });
    else if (e.kind === 'ok' || e.kind === 'err' || e.kind === 'unknown') bySeq.get(e.seq)!.fate = e;
  }
  return [...bySeq.values()];
}

const isFrame = (f: Received, type: string, user: string) =>
  !(f instanceof ProtocolError) && f.type === type && 'user' in f && nameKey(f.user) === nameKey(user);

/** `USRS` on a node's eye: handle key -> online. */
async function usrs(eye: TestClient): Promise<Map<string, boolean>> {
  eye.drain();
  const lines = await eye.cmd('USRS');
  const out = new Map<string, boolean>();
  for (const l of lines) {
    const m = /^USR (\S+) (online|offline)( guest)?$/.exec(l);
    if (m) out.set(nameKey(m[1]), m[2] === 'online');
  }
  return out;
}

/**
 * Send one message from `from` to #room; ms until every handle in `to` has it live, or
 * Infinity if one has not within 5 s (the checker tells the story; the test asserts after it).
 */
/** How long `text` took to reach each of `to` (the worst), or Infinity when one never got it within 5 s. */
async function crossNodeDelay(w: World, from: string, to: string[], text: string): Promise<number> {
  const sender = client(w, from);
  const fate = sender.send(ROOM, text);
  // Its entry is the last one logged now (a burst of the same client may send more before the OK).
  const sent = sender.log.entries.at(-1) as Extract<LogEntry, { kind: 'sent' }>;
  expect((await fate).kind).toBe('ok');
  const { body, at: sentAt } = sent;
  let worst = 0;
  for (const h of to) {
    const c = client(w, h);
    const came = await c.waitFor(() => c.got.some((g) => g.body === body), `${body} at ${h}`, 5_000).then(() => true, () => false);
    worst = came ? Math.max(worst, c.got.find((g) => g.body === body)!.at - sentAt) : Infinity;
  }
  return worst;
}

// ------------------------------------------------------------ the faults

describe('faults in the middle of a pipelined burst (3 nodes, PostgreSQL + Redis)', () => {
  it('no fault (the control): a mixed burst across nodes is judged clean', async () => {
    const w = await setup();
    startBursts(w, { rate: 50, count: 150 }, { rate: 25, count: 75 });
    const results = await allBursts(w);
    expect(results.every((r) => r.ended === 'count')).toBe(true);
    // A batch that fails answers STORE_FAILED to every write in it: PostgreSQL's counters say why.
    const [stats] = await sql<{ deadlocks: number; rollbacks: number }>(dbUrl(w.db),
      'SELECT deadlocks::int AS deadlocks, xact_rollback::int AS rollbacks FROM pg_stat_database WHERE datname = current_database()');
    console.log(`  fates ${JSON.stringify(fatesByAct([...w.clients.values()].map((c) => c.log)))}; PostgreSQL: ${stats.deadlocks} deadlocks, ${stats.rollbacks} rollbacks`);
    await judge(w, [...w.clients.values()]);
    expect(unexpectedFates(w, []), 'sends answered otherwise than a person could be (a failed batch: STORE_FAILED)').toEqual({});
  }, 60_000);

  it('kill -9 of a node: its clients come back on the others and catch up; nothing lost; its users go OFFLINE within the presence TTL', async () => {
    // DMs go out of the killed node and between the others, none into it: what a DM into a
    // node killed just then becomes is the test after this one's.
    const w = await setup({ ghost: true, watcher: true, dms: [['@a2', '@b2'], ['@b2', '@c2'], ['@c2', '@b1']] });
    const [n1, n2, n3] = w.cluster.nodes;
    startBursts(w, { rate: 200, count: 200 }, { rate: 100, count: 100 });
    const a1 = w.bursts.get('@a1')!;
    await waitUntil('@a1 a third of the way, with sends in flight', () => a1.acked >= 60 && a1.inFlight > 0, 10_000);
    const inFlight = { '@a1': a1.inFlight, '@a2': w.bursts.get('@a2')!.inFlight };
    const killAt = Date.now();
    await n1.kill9();

    // Its clients come back on the other nodes as soon as the cluster lets go of their handles
    // (REG answers HANDLE_TAKEN, or waits, until the dead node's heartbeat key expires:
    // --node-timeout-ms; the presence TTL bounds it).
    const back = (h: string, to: ClusterNode) =>
      client(w, h).reconnect(to.tcpPort, { handleTakenRetryMs: PRESENCE_TTL_MS + 10_000 }).then(() => {
        w.nodeOf.set(h, to);
        return Date.now() - killAt;
      });
    const failover = Promise.all([back('@a1', n2), back('@a2', n3)]);
    failover.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
    const watcher = w.watcher!;
    const offline = watcher
      .waitFor(() => watcher.frames.some((f) => isFrame(f, 'OFFLINE', '@a3')), 'OFFLINE @a3', PRESENCE_TTL_MS + SWEEP_MS + 5_000)
      .then(() => Date.now() - killAt, () => Infinity);

    const index = new Map([...w.bursts.keys()].map((h, i) => [h, i] as const));
    const done = await allBursts(w);
    const ended = (h: string) => done[index.get(h)!];
    expect(['@a1', '@a2'].map((h) => ended(h).ended), 'the kill came before the killed node\'s bursts ended').toEqual(['disconnected', 'disconnected']);
    for (const h of ['@b1', '@c1', '@b2', '@c2']) expect(ended(h).ended).toBe('count');

    const reconnected = await failover;
    const readers = [...w.clients.values()].filter((c) => c.handle !== '@a3');
    const complete = await waitUntil('every reader to hold every committed message', async () => missing(readers, await committedRows(w)).length === 0, 15_000)
      .then(() => Date.now() - killAt, () => Infinity);
    const offlineMs = await offline;
    // The ones who came back can send again, and are heard on every node.
    const again = await crossNodeDelay(w, '@a1', ['@b1', '@c1', '@a2'], 'back on n2');
    console.log(
      `kill -9: in flight at the kill ${JSON.stringify(inFlight)}; unknown fates ${['@a1', '@a2'].map((h) => ended(h).fates.filter((f) => f.kind === 'unknown').length).join('+')}; ` +
        `reconnected and caught up by HISTORY ${reconnected.join(' / ')} ms after the kill (@a1 / @a2); every reader complete ${complete} ms after it; ` +
        `OFFLINE @a3 seen ${offlineMs} ms after it; a send from @a1 on n2 across nodes ${again} ms`,
    );
    await judge(w, readers);
    // The burst made changes as well as messages, on both sides of the kill: the checker
    // judged acknowledged replies, edits, deletes and reactions of the killed node's users
    // too. (Which kinds, and how many, the random mix decides: an UNREACT needs an earlier
    // REACT of the same user, so a run may have none of those; the sum is what must be there.)
    const killed = fatesByAct(['@a1', '@a2'].map((h) => client(w, h).log));
    const changes = ['reply', 'edit', 'delete', 'react', 'unreact'].reduce((n, act) => n + (killed[`${act} ok`] ?? 0), 0);
    expect(changes, "acknowledged changes from the killed node's users").toBeGreaterThan(5);
    // Of the others, every send was answered: OK, or an error a person could get too.
    const survivors = [...w.clients.values()].filter((c) => !['@a1', '@a2', '@a3'].includes(c.handle));
    console.log(`  fates of the killed node's users ${JSON.stringify(killed)}; of the others ${JSON.stringify(fatesByAct(survivors.map((c) => c.log)))}`);
    expect(unexpectedFates(survivors, [])).toEqual({});
    expect(w.clients.get('@a3')!.connected).toBe(false);
    expect(offlineMs, 'OFFLINE of a user of the killed node (presence TTL + sweep)').toBeLessThanOrEqual(30_000);
    expect(again, 'a send from @a1 on n2 reached every node').not.toBe(Infinity);
  }, 90_000);

  it('kill -9 of a node while a DM waits on its delivered mark: the DM comes once, when the user is back on another node', async () => {
    // @c2 on n3 writes to @a2 on n1; n1 stages its "delivered" mark, which waits behind a
    // commit of n1's that a row lock holds up (a slow commit, as under load), and hands the
    // DM over only once the mark has committed. n1 dies first: the DM was not handed over,
    // and the next REG, on another node, hands it over once.
    const w = await setup();
    const [n1, , n3] = w.cluster.nodes;
    const [a1, a2, b1, c2] = ['@a1', '@a2', '@b1', '@c2'].map((h) => client(w, h));
    expect((await b1.send(ROOM, 'the counter row exists')).kind).toBe('ok');
    expect((await c2.send('@a2', 'before')).kind).toBe('ok');
    await a2.waitFor(() => a2.got.length === 2, 'the first DM');
    const queued = () => sql<{ n: number }>(dbUrl(w.db), "SELECT count(*)::int AS n FROM offline WHERE user_key = '@a2'").then((r) => r[0].n);
    await waitUntil('the first DM to be marked delivered', async () => (await queued()) === 0, 5_000);

    const lock = await holdRows(dbUrl(w.db), `SELECT 1 FROM conversations WHERE key = '${nameKey(ROOM)}' FOR UPDATE`);
    try {
      const stuck = a1.send(ROOM, 'held up'); // n1's commit in flight, waiting for the lock
      await new Promise((r) => setTimeout(r, 200));
      expect((await c2.send('@a2', 'just before the crash')).kind).toBe('ok');
      await new Promise((r) => setTimeout(r, 400));
      expect(await queued(), 'the delivered mark has not committed').toBe(1);
      expect(a2.got.length, 'not handed over before its mark').toBe(2);
      await n1.kill9();
      expect((await stuck).kind).toBe('unknown');
    } finally {
      await lock.release();
    }
    await a2.reconnect(n3.tcpPort, { handleTakenRetryMs: PRESENCE_TTL_MS + 10_000 });
    w.nodeOf.set('@a2', n3);
    await a2.settle();
    const dms = a2.got.filter((g) => g.target === dmKey('@a2', '@c2'));
    console.log(`offline replay after a crash: @a2 got ${dms.map((g) => `${g.id} (${g.via})`).join(', ')}`);
    await judge(w, [a2]);
  }, 60_000);

  it('SIGSTOP of Redis for 5 s: nothing lost; delivery across nodes goes on by the store poll', async () => {
    const w = await setup();
    startBursts(w, { rate: 25, count: 200 }, { rate: 12, count: 100 });
    await waitUntil('a fifth of the burst', () => w.bursts.get('@a1')!.acked >= 40, 10_000);
    const stallAt = Date.now();
    redis.pause();
    redisPaused = true;
    await new Promise((r) => setTimeout(r, 5_000));
    redis.resume();
    redisPaused = false;
    const resumeAt = Date.now();
    const results = await allBursts(w);
    expect(results.every((r) => r.ended === 'count')).toBe(true);

    const readers = [...w.clients.values()];
    await waitUntil('every reader to hold every committed message', async () => missing(readers, await committedRows(w)).length === 0, 15_000).catch(() => {});
    // Delivery delay: send to receipt, for receivers on another node than the sender.
    const sentAt = sentTimes(w);
    const delays = { before: [] as number[], stall: [] as number[], after: [] as number[] };
    for (const r of readers) {
      for (const g of r.got) {
        if (w.nodeOf.get(r.handle) === w.nodeOf.get(g.from) || g.via !== 'live') continue;
        const t = sentAt.get(committedKey(g.target, g.id));
        if (t === undefined) continue;
        (t < stallAt ? delays.before : t <= resumeAt ? delays.stall : delays.after).push(g.at - t);
      }
    }
    const stats = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length === 0 ? 'none' : `n=${s.length} median ${s[s.length >> 1]} ms, p99 ${s[Math.floor(s.length * 0.99)]} ms, max ${s.at(-1)} ms`;
    };
    console.log(`Redis SIGSTOP ${resumeAt - stallAt} ms: cross-node delivery delay (send to receipt) of messages sent before it: ${stats(delays.before)}; ` +
      `sent during it: ${stats(delays.stall)}; after it: ${stats(delays.after)}`);
    await judge(w, readers);
    expect(delays.stall.length).toBeGreaterThan(0);
    // Delivery goes on while the bus is stalled (the nodes poll the store meanwhile): some of
    // what was sent during the stall was received before it ended. How soon is the log's.
    const duringStall = readers.flatMap((r) => r.got.filter((g) => {
      const t = sentAt.get(committedKey(g.target, g.id));
      return g.via === 'live' && t !== undefined && t >= stallAt && g.at < resumeAt && w.nodeOf.get(r.handle) !== w.nodeOf.get(g.from);
    }));
    expect(duringStall.length, 'messages sent during the stall and received across nodes before it ended').toBeGreaterThan(0);
    // The store poll reads the whole log back, not messages only: replies, edits, deletes and
    // reactions made during the stall reached the other nodes too, by PostgreSQL alone.
    const kinds = new Set(duringStall.map((g) => g.frame ?? 'MSG'));
    console.log(`  received across nodes during the stall, by kind: ${[...kinds].map((k) => `${k} ${duringStall.filter((g) => (g.frame ?? 'MSG') === k).length}`).join(', ')}`);
    expect([...kinds].sort(), 'kinds of log entries sent during the stall and received across nodes before it ended')
      .toEqual(['DELETE', 'EDIT', 'MSG', 'REACT', 'REPLY', 'UNREACT']);
    expect(unexpectedFates(w, []), 'sends answered otherwise than a person could be (a failed batch: STORE_FAILED)').toEqual({});
  }, 60_000);

  it('Redis killed and restarted empty: nothing lost; nodes resubscribe and put their users back online by themselves', async () => {
    const w = await setup();
    startBursts(w, { rate: 50, count: 200 }, { rate: 25, count: 100 });
    await waitUntil('a fifth of the burst', () => w.bursts.get('@a1')!.acked >= 40, 10_000);
    redisDown = true;
    await redis.kill();
    await new Promise((r) => setTimeout(r, 1_500));
    await redis.start();
    redisDown = false;

    const resubscribing = waitUntil('every node to subscribe again', async () => (await eventSubscribers()) === 3, 10_000);
    resubscribing.catch(() => {}); // awaited below
    // Right after the restart (the burst still going), a new message crosses nodes (how soon
    // is logged, and measured by npm run bench:cluster; a test asserts only that it does).
    const delay = await crossNodeDelay(w, '@b1', ['@a2', '@c2'], 'after the restart');
    const resubscribed = await resubscribing;
    const eye1 = w.eyes.get('n1')!;
    const first = await usrs(eye1);
    const others = ['@b1', '@b2', '@c1', '@c2', '@eye2', '@eye3'].map(nameKey);
    const backOnline = await waitUntil('USRS on n1 to show the users of n2 and n3 online', async () => {
      const u = await usrs(eye1);
      return others.every((h) => u.get(h) === true);
    }, 12_000);
    const fresh = await crossNodeDelay(w, '@c1', ['@a1', '@b1'], 'resubscribed');
    console.log(`Redis restart: a message sent right after it across nodes in ${delay} ms; ${EVENTS_CHANNEL} subscribers back to 3 ` +
      `${resubscribed} ms after it; USRS on n1 first showed ${others.filter((h) => first.get(h)).length}/${others.length} of the others online, ` +
      `all ${backOnline} ms later; a message once resubscribed ${fresh} ms`);

    const results = await allBursts(w);
    expect(results.every((r) => r.ended === 'count')).toBe(true);
    await judge(w, [...w.clients.values()]);
    expect(delay, 'a message sent right after the restart reached every node').not.toBe(Infinity);
    expect(fresh, 'a message once resubscribed reached every node').not.toBe(Infinity);
  }, 60_000);

  it('CLIENT KILL TYPE pubsub: nothing lost; the subscribers come back and delivery goes on', async () => {
    const w = await setup();
    startBursts(w, { rate: 100, count: 200 }, { rate: 50, count: 100 });
    await waitUntil('a third of the burst', () => w.bursts.get('@a1')!.acked >= 60, 10_000);
    const killed = Number(await redisCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']));
    expect(killed).toBeGreaterThanOrEqual(3);
    const back = await waitUntil('every node to subscribe again', async () => (await eventSubscribers()) === 3, 10_000);
    const results = await allBursts(w);
    expect(results.every((r) => r.ended === 'count')).toBe(true);
    const delay = await crossNodeDelay(w, '@a1', ['@b2', '@c2'], 'after the cut');
    console.log(`CLIENT KILL TYPE pubsub: ${killed} subscribers cut; all 3 subscribed again within ${back} ms; next message across nodes ${delay} ms`);
    await judge(w, [...w.clients.values()]);
    expect(delay, 'the next message reached every node').not.toBe(Infinity);
    expect(unexpectedFates(w, []), 'sends answered otherwise than a person could be (a failed batch: STORE_FAILED)').toEqual({});
  }, 60_000);

  it('PostgreSQL crashed and restarted: ERR STORE_FAILED meanwhile, never OK; nodes stay up; OK again after the restart; nothing lost', async () => {
    const w = await setup();
    startBursts(w, { rate: 50 }, { rate: 25 });
    await waitUntil('some of the burst', () => w.bursts.get('@a1')!.acked >= 40, 10_000);
    // Every node with a commit in flight when the database goes: a row lock holds them up
    // (#room's counter, which each node's batch bumps) until the crash.
    const lock = await holdRows(dbUrl(w.db), `SELECT 1 FROM conversations WHERE key = '${nameKey(ROOM)}' FOR UPDATE`);
    await waitUntil('a commit held up on every node', () => ROOM_SENDERS.every((h) => w.bursts.get(h)!.inFlight >= 4), 5_000);
    pgDown = true;
    await postgres.crash();
    const crashedAt = Date.now();
    await lock.release();

    // The nodes stay up: each answers PING while the database is gone.
    const pings = await Promise.all(w.cluster.nodes.map(async (n) => {
      const eye = w.eyes.get(n.id)!;
      const t = Date.now();
      eye.drain();
      const pong = await eye.cmd('PING outage', 2_000).catch(() => []);
      if (pong[0] !== 'PONG outage') await Promise.race([n.process.exited, new Promise((r) => setTimeout(r, 2_000))]);
      expect(n.alive, `${n.id} went down with the database:\n${n.stderr().slice(-1500)}`).toBe(true);
      expect(pong).toEqual(['PONG outage']);
      return Date.now() - t;
    }));
    const senders = [...w.bursts.keys()].map((h) => client(w, h));
    await waitUntil('an ERR for every sender during the outage', () =>
      senders.every((c) => sendsOf(c).some((s) => s.sentAt > crashedAt && s.fate?.kind === 'err')), 5_000);
    const left = 2_000 - (Date.now() - crashedAt);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    const restartAt = Date.now();
    await postgres.start();
    pgDown = false;
    const upAt = Date.now();

    // After the restart every sender gets OKs again, within a few seconds.
    const okAgain = await waitUntil('an OK for every sender after the restart', () =>
      senders.every((c) => sendsOf(c).some((s) => s.sentAt >= upAt && s.fate?.kind === 'ok')), 10_000);
    await waitUntil('a few more OKs', () => senders.every((c) => sendsOf(c).filter((s) => s.sentAt >= upAt && s.fate?.kind === 'ok').length >= 10), 10_000);
    const results = await Promise.all([...w.bursts.values()].map((b) => b.stop()));
    expect(w.cluster.nodes.every((n) => n.alive)).toBe(true);

    // During the outage: STORE_FAILED, never OK; no connection lost.
    const outage = senders.flatMap((c) => sendsOf(c).filter((s) => s.sentAt > crashedAt && s.fate !== undefined && s.fate.at < restartAt));
    const codes = outage.reduce<Record<string, number>>((acc, s) => {
      const k = s.fate!.kind === 'err' ? (s.fate as { code: string }).code : s.fate!.kind;
      acc[k] = (acc[k] ?? 0) + 1;
      return acc;
    }, {});
    console.log(`PostgreSQL crash: PING during the outage ${pings.join('/')} ms; ${outage.length} MSGs answered during the outage ${JSON.stringify(codes)}; ` +
      `database up ${upAt - restartAt} ms after start(); every sender OK again ${okAgain} ms after that`);
    expect(outage.length).toBeGreaterThan(0);
    // Never OK. A reply, edit or reaction reads its message first: that read fails too
    // (STORE_FAILED), or waits with the others until the node refuses more (SERVER_BUSY); one
    // to a message deleted just before is NO_SUCH_MESSAGE.
    expect(Object.keys(codes).filter((c) => !['STORE_FAILED', 'SERVER_BUSY', 'NO_SUCH_MESSAGE'].includes(c))).toEqual([]);
    expect(codes.STORE_FAILED).toBeGreaterThan(0);
    expect(results.flatMap((r) => r.fates).filter((f) => f.kind === 'unknown')).toEqual([]);
    await judge(w, [...w.clients.values()]);
  }, 60_000);
});

// ------------------------------------------------------------ the cause of a loss seen above

describe('Inbound gap repair (the messages lost across nodes after a bus outage)', () => {
  const conv = '#r';
  // A node delivers id 3 while 2 is missing, so it reads 2..3 from the store; while that read
  // is out, id 5 arrives (committed here, or over the bus) and is held; 4 is still on its way,
  // or was never published (the publisher was not connected yet). When the read is back the
  // node must read 4 too, not deliver 5 after 3: once past 4, a late 4 counts as an echo and
  // the poll sees nothing newer than what was delivered, so 4 never reaches this node's users.
  it('reads back a hole between the repaired range and a message held during the repair, every kind of entry', async () => {
    // The log of #r: 1 a message, 2 a reaction to it, 3 an edit of it, 4 a reply, 5 a delete
    // of the reply. A repair reads them all from the store (store.log), not messages only.
    const ts = '2026-01-01T00:00:00.000Z';
    const stored: StoredEntry[] = [
      { kind: 'msg', id: 1, target: '#r', from: '@x', ts, body: new Uint8Array() },
      { kind: 'react', id: 2, target: '#r', from: '@y', ts, of: 1, reaction: '👍' },
      { kind: 'edit', id: 3, target: '#r', from: '@x', ts, of: 1, body: new Uint8Array([104, 105]) },
      { kind: 'msg', id: 4, target: '#r', from: '@y', ts, body: new Uint8Array(), root: 1 },
      { kind: 'delete', id: 5, target: '#r', from: '@y', ts, of: 4 },
    ];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const store = {
      async log(_c: string, after: number, limit: number) {
        await gate;
        return stored.filter((m) => m.id > after).slice(0, limit);
      },
      async lastIds(convs: string[]) {
        return new Map(convs.map((c) => [c, stored.length]));
      },
    } as unknown as Store;
    const delivered: string[] = [];
    const host: ChatHost = {
      isHere: () => true, interested: () => true, apply: () => {}, lost: () => {}, probe: () => {},
      deliver: (m) => void delivered.push(`${m.id} ${m.kind ?? (m.root ? 'reply' : 'msg')}${m.of ? ` of ${m.of}` : ''}`),
    };
    const inbound = new Inbound(store, host);
    inbound.watch(conv, 1);
    inbound.accept(toEvent(conv, stored[2])); // 2 missing: a repair reads (1, 3]
    inbound.accept(toEvent(conv, stored[4])); // held while the read is out
    open();
    await waitUntil('the repair to deliver 5', () => delivered.some((d) => d.startsWith('5 ')), 2_000);
    inbound.accept(toEvent(conv, stored[3])); // the late one, over the bus
    await inbound.poll();
    expect(delivered).toEqual(['2 react of 1', '3 edit of 1', '4 reply', '5 delete of 4']);
  });
});
