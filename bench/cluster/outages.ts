/**
 * (4) A Redis stall and (5) a node killed, at low steady rates, judged by the cluster tests'
 * checker (gateway/test/cluster/checker.ts): every client logs what it sent, how each send ended
 * and every message it got (live or by HISTORY), in chat-log.ts's format, and the checker
 * compares the logs with the messages PostgreSQL holds afterwards: lost, delivered twice,
 * gaps in ids, reordered, acknowledged or delivered but not stored. Senders and the stall's
 * receivers are chat-log.ts's `LoggedClient`; the failover's receivers are
 * catch-up-client.ts's. These run in the coordinator process (about a hundred connections);
 * times are `Date.now()` (1 ms).
 */
import { createClient } from 'redis';
import { LoggedClient, type LogEntry } from '../../gateway/test/cluster/chat-log.ts';
import { CatchUpClient, type Comeback } from './catch-up-client.ts';
import { check, explain, isClean, type CheckResult } from '../../gateway/test/cluster/checker.ts';
import { Histogram } from '../load/histogram.ts';
import { METRIC, delta, fix, scrape, sleep, thousands, type Context, type Row } from './common.ts';
import { startNodes, stopNodes } from './nodes.ts';
import { committedKeys, freshDatabase, startRedis } from './services.ts';

type Sent = Extract<LogEntry, { kind: 'sent' }>;
type Got = Extract<LogEntry, { kind: 'got' }>;

/** Send one MSG every `1000 / rate` ms until `stop()`; `stop` resolves once every send has its fate. */
function steadySender(client: LoggedClient, channel: string, rate: number): { stop(): Promise<void>; count(): number } {
  const fates: Promise<unknown>[] = [];
  const started = Date.now();
  let n = 0;
  let running = true;
  // A schedule, not an interval: a late timer catches up rather than drifting.
  const tick = () => {
    if (!running) return;
    const due = Math.floor(((Date.now() - started) * rate) / 1000) + 1;
    while (n < due && client.connected) {
      n++;
      fates.push(client.send(channel));
    }
    setTimeout(tick, Math.max(1, started + (n * 1000) / rate - Date.now()));
  };
  tick();
  return {
    async stop() {
      running = false;
      await Promise.all(fates);
    },
    count: () => n,
  };
}

/** Wait until each receiver has got every message `sender` had acknowledged, or `timeoutMs` passed. */
async function drain(sender: LoggedClient, receivers: LoggedClient[], timeoutMs: number): Promise<void> {
  const acked = new Set(sender.log.entries.filter((e) => e.kind === 'ok').map((e) => (e as { seq: number }).seq));
  const bodies = new Set(sender.log.entries.filter((e): e is Sent => e.kind === 'sent' && acked.has(e.seq)).map((e) => e.body));
  const has = (r: LoggedClient) => {
    const got = new Set(r.got.map((g) => g.body));
    for (const b of bodies) if (!got.has(b)) return false;
    return true;
  };
  await Promise.all(receivers.map((r) => r.waitFor(() => has(r), 'every acknowledged message', timeoutMs).catch(() => {})));
}

/** How many of the messages `sender` had acknowledged `receiver` got. */
function gotAcked(sender: LoggedClient, receiver: LoggedClient): number {
  const got = new Set(receiver.got.map((g) => g.id));
  return sender.log.entries.filter((e) => e.kind === 'ok' && got.has(e.id)).length;
}

/** Per message `sender` sent within [from, to): its delivery delay (ms) to `receiver`, first copy; NaN if never. */
function delays(sender: LoggedClient, receiver: LoggedClient, from: number, to: number): number[] {
  const first = new Map<string, Got>();
  for (const g of receiver.got) if (!first.has(g.body)) first.set(g.body, g);
  return sender.log.entries
    .filter((e): e is Sent => e.kind === 'sent' && e.at >= from && e.at < to)
    .map((s) => {
      const g = first.get(s.body);
      return g === undefined ? NaN : g.at - s.at;
    });
}

/** MSG -> OK times (ms) of the sends made within [from, to). */
function okTimes(sender: LoggedClient, from: number, to: number): number[] {
  const sentAt = new Map<number, number>();
  const out: number[] = [];
  for (const e of sender.log.entries) {
    if (e.kind === 'sent') sentAt.set(e.seq, e.at);
    else if (e.kind === 'ok') {
      const at = sentAt.get(e.seq)!;
      if (at >= from && at < to) out.push(e.at - at);
    }
  }
  return out;
}

export type Spread = { n: number; missing: number; p50: number; p99: number; max: number };

function spread(values: number[]): Spread {
  const h = new Histogram();
  let missing = 0;
  for (const v of values) {
    if (Number.isNaN(v)) missing++;
    else h.record(v * 1000);
  }
  return { n: values.length, missing, p50: h.percentile(50) / 1000, p99: h.percentile(99) / 1000, max: h.max / 1000 };
}

export type Verdicts = { lost: number; duplicates: number; gaps: number; reordered: number; notStored: number; idMismatches: number; text: string };

function verdicts(r: CheckResult): Verdicts {
  return {
    lost: r.lost.length, duplicates: r.duplicates.length, gaps: r.gaps.length, reordered: r.reordered.length,
    notStored: r.okWithoutCommit.length, idMismatches: r.idMismatches.length, text: isClean(r) ? '' : explain(r),
  };
}

// ------------------------------------------------------------------ (4) Redis stall

export const STALL_RATE = 50;
export const STALL_MS = 5_000;

export type StallResult = {
  sent: number;
  acked: number;
  /** Delivery delay to the receiver on n2 (through Redis, or the store), by when the message was sent. */
  before: Spread;
  during: Spread;
  after: Spread;
  /** The same for the receiver on n1, the sender's own node (no Redis on its path). */
  sameNodeDuring: Spread;
  okDuring: Spread;
  /** Messages n2 read back from the store over the whole run: on seeing a gap in ids, and by its poll. */
  readBackGap: number;
  readBackPoll: number;
  /** Acknowledged messages the receiver on n2 got in the end. */
  r2Got: number;
  check: Verdicts;
  serverErrors: string;
};

/**
 * (4): n1 has the sender (`@s`, 50 msgs/s to `#st`) and a receiver `@r1`; n2 has the receiver
 * `@r2`. 3 s steady, then Redis is SIGSTOPped for 5 s and SIGCONTed, then 5 s more.
 */
export async function runStall(ctx: Context): Promise<StallResult> {
  const redis = await startRedis();
  const db = await freshDatabase(ctx.pg, ctx.dbName('stall'));
  const nodes = await startNodes(2, { databaseUrl: db, redisUrl: redis.url }, ctx.cpuProfDir);
  const [n1, n2] = nodes;
  const clients: LoggedClient[] = [];
  try {
    const s = await LoggedClient.connect(n1.tcpPort, '@s', ['#st']);
    const r2 = await LoggedClient.connect(n2.tcpPort, '@r2', ['#st']);
    const r1 = await LoggedClient.connect(n1.tcpPort, '@r1', ['#st']);
    clients.push(s, r1, r2);
    // The bus is healthy once each node has heard its own heartbeat (1 s).
    await sleep(1500);
    const m0 = await scrape(n2);
    ctx.log(`(4) ${STALL_RATE} msgs/s n1 -> n2; Redis SIGSTOPped for ${STALL_MS / 1000} s after 3 s`);
    const sender = steadySender(s, '#st', STALL_RATE);
    await sleep(3000);
    const stallFrom = Date.now();
    redis.pause();
    await sleep(STALL_MS);
    redis.resume();
    const stallTo = Date.now();
    await sleep(5000);
    await sender.stop();
    const end = Date.now();
    await drain(s, [r1, r2], 15_000);
    const m1 = await scrape(n2);
    const committed = await committedKeys(db);
    const result = check(clients.map((c) => c.log), { receivers: new Map([['#st', ['@s', '@r1', '@r2']]]), committed });
    return {
      sent: sender.count(),
      acked: s.log.entries.filter((e) => e.kind === 'ok').length,
      before: spread(delays(s, r2, 0, stallFrom)),
      during: spread(delays(s, r2, stallFrom, stallTo)),
      after: spread(delays(s, r2, stallTo, end)),
      sameNodeDuring: spread(delays(s, r1, stallFrom, stallTo)),
      okDuring: spread(okTimes(s, stallFrom, stallTo)),
      readBackGap: delta(m0, m1, METRIC.repairsGap),
      readBackPoll: delta(m0, m1, METRIC.repairsPoll),
      r2Got: gotAcked(s, r2),
      check: verdicts(result),
      serverErrors: nodes.map((n) => n.stderr()).join('').slice(0, 2000),
    };
  } finally {
    for (const c of clients) c.drop();
    redis.resume();
    await stopNodes(nodes);
    await redis.stop();
  }
}

const lostDupOf = (v: Verdicts) =>
  `${v.lost}/${v.duplicates}` + (v.gaps || v.reordered || v.notStored || v.idMismatches ? ` (+${v.gaps} gaps, ${v.reordered} reordered, ${v.notStored} not stored)` : '');

export function stallRows(r: StallResult): Row[] {
  const sp = (x: Spread) => `p50 ${fix(x.p50, 0)} / p99 ${fix(x.p99, 0)} / max ${fix(x.max, 0)} ms`;
  return [{
    name: `(4) Redis SIGSTOPped ${STALL_MS / 1000} s, ${STALL_RATE} msgs/s n1 -> n2`,
    figure: `delay max ${fix(r.during.max, 0)} ms`,
    p50: fix(r.during.p50, 0), p99: fix(r.during.p99, 0), max: fix(r.during.max, 0),
    lostDup: lostDupOf(r.check),
    target: 'report; nothing lost',
    verdict: r.check.lost === 0 && r.check.duplicates === 0 && r.during.missing === 0 ? 'nothing lost' : 'LOST',
    notes: [
      `sent during the stall: ${r.during.n}; ${r.sent} sent in all, ${r.acked} OK`,
      `before ${sp(r.before)}, after ${sp(r.after)}`,
      `same-node receiver during the stall ${sp(r.sameNodeDuring)}`,
      `MSG -> OK during the stall ${sp(r.okDuring)}`,
      `n2 read ${r.readBackGap} messages back from PostgreSQL on a gap in ids and ${r.readBackPoll} by its poll; @r2 got ${r.r2Got} of the ${r.acked} acknowledged`,
    ].join('; '),
  }];
}

// ------------------------------------------------------------------ (5) failover

export const FAILOVER_CLIENTS = 100;
export const FAILOVER_RATE = 20;

export type FailoverResult = {
  clients: number;
  sent: number;
  acked: number;
  /** Remaining life of the killed node's handle holds, read from Redis right after the kill (ms). */
  holdLeftMin: number;
  holdLeftMax: number;
  nodeBeatLeft: number;
  /** From the kill, per client: new TCP connection open, REG answered OK, caught up. */
  reconnected: Spread;
  registered: Spread;
  caughtUp: Spread;
  /** REGs answered HANDLE_TAKEN, all clients together, and per client at most (a REG may also wait, unanswered, for a quiet node to time out). */
  handleTaken: number;
  handleTakenMax: number;
  failedReconnects: number;
  firstFailure?: string;
  /** Messages the clients got by HISTORY, and how many of those they had also got live. */
  byHistory: number;
  liveAndHistory: number;
  check: Verdicts;
  serverErrors: string;
};

/**
 * (5): `@s` on n2 sends 20 msgs/s to `#fo`; 100 clients on n1 are in `#fo`. After 3 s n1 is
 * killed (SIGKILL); each client at once reconnects to n2, REGs (retrying HANDLE_TAKEN every
 * 200 ms, until the cluster lets go of the dead node's hold on its handle), and pages
 * `HISTORY #fo 500 after <end of its ids without a hole>` until it holds every id up to the
 * newest it has seen (or a page is empty)
 * (catch-up-client.ts). The sender goes on 2 s after the last client is back.
 */
export async function runFailover(ctx: Context): Promise<FailoverResult> {
  const redis = await startRedis();
  const db = await freshDatabase(ctx.pg, ctx.dbName('failover'));
  const nodes = await startNodes(2, { databaseUrl: db, redisUrl: redis.url }, ctx.cpuProfDir);
  const [n1, n2] = nodes;
  const clients: CatchUpClient[] = [];
  let s: LoggedClient | null = null;
  try {
    s = await LoggedClient.connect(n2.tcpPort, '@s', ['#fo']);
    for (let i = 0; i < FAILOVER_CLIENTS; i += 10) {
      clients.push(...(await Promise.all(Array.from({ length: 10 }, (_, k) => CatchUpClient.connect(n1.tcpPort, `@c${i + k}`, '#fo')))));
    }
    await sleep(1500);
    ctx.log(`(5) ${FAILOVER_RATE} msgs/s from n2 to ${FAILOVER_CLIENTS} clients on n1; killing n1 after 3 s`);
    const sender = steadySender(s, '#fo', FAILOVER_RATE);
    await sleep(3000);
    const killedAt = Date.now();
    await n1.kill9();
    const comebacks = new Array<Comeback | null>(clients.length).fill(null);
    let failedReconnects = 0;
    let firstFailure: string | undefined;
    const back = Promise.all(clients.map(async (c, i) => {
      try {
        comebacks[i] = await c.comeBack(n2.tcpPort, 60_000);
      } catch (e) {
        failedReconnects++;
        firstFailure ??= (e as Error).message;
      }
    }));
    const holds = await holdsLeft(redis.url, clients.map((c) => c.handle), n1.id);
    ctx.log(`(5) n1 killed; its handle holds expire in ${fix(holds.min / 1000, 1)}-${fix(holds.max / 1000, 1)} s, its heartbeat key in ${fix(holds.nodeBeat / 1000, 1)} s`);
    await back;
    const since = (f: (c: Comeback) => number) => comebacks.map((c) => (c === null ? NaN : f(c) - killedAt));
    const caughtUp = spread(since((c) => c.caughtUpAt));
    ctx.log(`(5) every client is back and caught up ${fix(caughtUp.max / 1000, 1)} s after the kill`);
    await sleep(2000);
    await sender.stop();
    await drainIds(s, clients, 15_000);
    const committed = await committedKeys(db);
    const logs = [s.log, ...clients.map((c) => c.log)];
    const result = check(logs, { receivers: new Map([['#fo', [s.handle, ...clients.map((c) => c.handle)]]]), committed });
    let byHistory = 0;
    let liveAndHistory = 0;
    for (const c of clients) {
      const got = c.log.entries.filter((e): e is Got => e.kind === 'got');
      const live = new Set(got.filter((g) => g.via === 'live').map((g) => g.id));
      for (const g of got) {
        if (g.via !== 'history') continue;
        byHistory++;
        if (live.has(g.id)) liveAndHistory++;
      }
    }
    const taken = comebacks.map((c) => c?.handleTaken ?? 0);
    return {
      clients: clients.length,
      sent: sender.count(),
      acked: s.log.entries.filter((e) => e.kind === 'ok').length,
      holdLeftMin: holds.min,
      holdLeftMax: holds.max,
      nodeBeatLeft: holds.nodeBeat,
      reconnected: spread(since((c) => c.connectedAt)),
      registered: spread(since((c) => c.registeredAt)),
      caughtUp,
      handleTaken: taken.reduce((a, b) => a + b, 0),
      handleTakenMax: Math.max(...taken),
      failedReconnects,
      firstFailure,
      byHistory,
      liveAndHistory,
      check: verdicts(result),
      serverErrors: nodes.map((n) => n.stderr()).join('').slice(0, 2000),
    };
  } finally {
    s?.drop();
    for (const c of clients) c.close();
    await stopNodes(nodes);
    await redis.stop();
  }
}

/** Wait until each client has every id the sender had acknowledged, or `timeoutMs` passed. */
async function drainIds(sender: LoggedClient, clients: CatchUpClient[], timeoutMs: number): Promise<void> {
  const acked = sender.log.entries.flatMap((e) => (e.kind === 'ok' ? [e.id] : []));
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && clients.some((c) => acked.some((id) => !c.received.has(id)))) await sleep(50);
}

/**
 * Right after the kill, how long Redis will keep what stops another node from taking the
 * dead node's handles: each handle's hold (`slck:h:<handle>`, the presence TTL), and the
 * dead node's heartbeat key (`slck:n:<node>`, or `slck:n:<node>~<run>` since each run of a
 * node holds under a name of its own: read from a hold's value, `<that name>/<conn>`) in
 * servers that let a hold of a node whose heartbeat has expired be taken over (NaN when
 * there is none). In ms.
 */
async function holdsLeft(url: string, handles: string[], node: string): Promise<{ min: number; max: number; nodeBeat: number }> {
  const redis = createClient({ url });
  redis.on('error', () => {});
  await redis.connect();
  try {
    const holder = await redis.get(`slck:h:${handles[0].toLowerCase()}`);
    const holderNode = holder?.slice(0, holder.lastIndexOf('/')) || node;
    const [beat, ...ttls] = await Promise.all([redis.pTTL(`slck:n:${holderNode}`), ...handles.map((h) => redis.pTTL(`slck:h:${h.toLowerCase()}`))]);
    const live = ttls.filter((t) => t >= 0);
    return { min: live.length ? Math.min(...live) : NaN, max: live.length ? Math.max(...live) : NaN, nodeBeat: beat >= 0 ? beat : NaN };
  } finally {
    redis.destroy();
  }
}

export function failoverRows(r: FailoverResult): Row[] {
  const ok = r.failedReconnects === 0 && r.check.lost === 0 && r.check.duplicates === 0 && r.caughtUp.missing === 0;
  return [{
    name: `(5) failover: kill -9 n1, ${r.clients} clients -> n2`,
    figure: `all caught up in ${fix(r.caughtUp.max / 1000, 1)} s`,
    p50: fix(r.caughtUp.p50, 0), p99: fix(r.caughtUp.p99, 0), max: fix(r.caughtUp.max, 0),
    lostDup: lostDupOf(r.check),
    target: 'report; nothing lost or duplicated',
    verdict: ok ? 'nothing lost' : 'PROBLEMS',
    notes: [
      `kill -> caught up per client p50/p99/max (ms); kill -> new TCP connection p50 ${fix(r.reconnected.p50, 0)} / max ${fix(r.reconnected.max, 0)} ms, ` +
        `-> REG OK p50 ${fix(r.registered.p50, 0)} / max ${fix(r.registered.max, 0)} ms`,
      `at the kill the dead node's handle holds had ${fix(r.holdLeftMin / 1000, 1)}-${fix(r.holdLeftMax / 1000, 1)} s left` +
        (Number.isFinite(r.nodeBeatLeft) ? ` and its heartbeat key ${fix(r.nodeBeatLeft / 1000, 1)} s (its holds can be taken over once that expires)` : '') +
        `: ${thousands(r.handleTaken)} REGs answered HANDLE_TAKEN meanwhile (up to ${r.handleTakenMax} per client, retried every 200 ms)`,
      `${thousands(r.byHistory)} messages caught up by HISTORY (${thousands(r.liveAndHistory)} of them also got live)`,
      `${r.sent} sent at ${FAILOVER_RATE}/s, ${r.acked} OK`,
      ...(r.failedReconnects ? [`${r.failedReconnects} clients did not come back: ${r.firstFailure}`] : []),
    ].join('; '),
  }];
}
