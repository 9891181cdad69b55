/**
 * (6) Presence after Redis loses it: 3 nodes, 100 guests on n1 and 100 on n2, an observer
 * on n3 asking `USRS` every 25 ms. Redis is killed and started again empty (3 times), then
 * flushed while everyone stays connected (`FLUSHALL`, 3 times); each time, how long from
 * Redis answering (or the flush) until the observer sees all 201 users online again, which
 * is what a person looking at the member list sees. Between faults, everyone is online.
 */
import { createClient } from 'redis';
import { TestClient } from '../../gateway/test/support/client.ts';
import { fix, sleep, type Context, type Row } from './common.ts';
import { startNodes, stopNodes } from './nodes.ts';
import { freshDatabase, startRedis } from './services.ts';

export const PRESENCE_USERS_PER_NODE = 100;
const FAULTS_EACH = 3;
/** How long Redis stays down in a restart. */
const DOWN_MS = 1_000;

export type PresenceFault = {
  kind: 'restart' | 'flush';
  /** From Redis answering again (or the flush's reply) to USRS on n3 showing everyone online; NaN if never (30 s). */
  wholeMs: number;
  /** How many of the others USRS showed online at its first answer after the fault (it answers ERR while its node reconnects). */
  firstOnline: number;
  /** USRS answered ERR SERVER_BUSY meanwhile (the node could not reach Redis yet). */
  busy: number;
};

export type PresenceResult = { users: number; faults: PresenceFault[]; serverErrors: string };

/** Users USRS shows online, or null when it was answered with an error. */
async function onlineNow(eye: TestClient): Promise<Set<string> | null> {
  eye.drain();
  const lines = await eye.cmd('USRS', 10_000);
  if (lines.at(-1)?.startsWith('ERR')) return null;
  const out = new Set<string>();
  for (const l of lines) {
    const m = /^USR (\S+) online/.exec(l);
    if (m) out.add(m[1].toLowerCase());
  }
  return out;
}

async function untilWhole(eye: TestClient, everyone: string[], since: number): Promise<Omit<PresenceFault, 'kind'>> {
  let firstOnline = -1;
  let busy = 0;
  const until = since + 30_000;
  for (;;) {
    const seen = await onlineNow(eye);
    if (seen === null) busy++;
    else {
      const n = everyone.filter((h) => seen.has(h)).length;
      if (firstOnline < 0) firstOnline = n;
      if (n === everyone.length) return { wholeMs: Date.now() - since, firstOnline, busy };
    }
    if (Date.now() > until) return { wholeMs: NaN, firstOnline, busy };
    await sleep(25);
  }
}

export async function runPresence(ctx: Context): Promise<PresenceResult> {
  const redis = await startRedis();
  const db = await freshDatabase(ctx.pg, ctx.dbName('presence'));
  const nodes = await startNodes(3, { databaseUrl: db, redisUrl: redis.url }, ctx.cpuProfDir);
  const [n1, n2, n3] = nodes;
  const clients: TestClient[] = [];
  try {
    const handles: string[] = [];
    for (const [node, tag] of [[n1, 'a'], [n2, 'b']] as const) {
      for (let i = 0; i < PRESENCE_USERS_PER_NODE; i += 10) {
        const batch = Array.from({ length: 10 }, (_, k) => `@${tag}${i + k}`);
        clients.push(...(await Promise.all(batch.map((h) => TestClient.user(node.tcpPort, h)))));
        handles.push(...batch);
      }
    }
    const eye = await TestClient.user(n3.tcpPort, '@eye');
    clients.push(eye);
    const everyone = [...handles, '@eye'];
    const settled = await untilWhole(eye, everyone, Date.now());
    if (!Number.isFinite(settled.wholeMs)) throw new Error('the users were never all online to begin with');
    ctx.log(`(6) ${everyone.length} users online on 3 nodes; Redis restarted empty ${FAULTS_EACH} times, then flushed ${FAULTS_EACH} times`);
    const faults: PresenceFault[] = [];
    for (let i = 0; i < FAULTS_EACH; i++) {
      await redis.kill();
      await sleep(DOWN_MS);
      await redis.start(); // resolves once it accepts connections: "answering"
      const r = await untilWhole(eye, everyone, Date.now());
      faults.push({ ...r, kind: 'restart' });
      ctx.log(`(6) restart ${i + 1}: whole again ${fix(r.wholeMs)} ms after Redis answered (USRS first showed ${r.firstOnline}/${everyone.length}, ${r.busy} ERR meanwhile)`);
      await sleep(1_000);
    }
    const operator = createClient({ url: redis.url });
    operator.on('error', () => {});
    await operator.connect();
    try {
      for (let i = 0; i < FAULTS_EACH; i++) {
        await operator.flushAll();
        const r = await untilWhole(eye, everyone, Date.now());
        faults.push({ ...r, kind: 'flush' });
        ctx.log(`(6) FLUSHALL ${i + 1}: whole again ${fix(r.wholeMs)} ms after it (USRS first showed ${r.firstOnline}/${everyone.length})`);
        await sleep(1_000);
      }
    } finally {
      operator.destroy();
    }
    return { users: everyone.length, faults, serverErrors: nodes.map((n) => n.stderr()).join('').slice(0, 2000) };
  } finally {
    for (const c of clients) c.destroy();
    await stopNodes(nodes);
    await redis.stop();
  }
}

export function presenceRows(r: PresenceResult): Row[] {
  return (['restart', 'flush'] as const).map((kind) => {
    const fs = r.faults.filter((f) => f.kind === kind);
    const times = fs.map((f) => f.wholeMs);
    const sorted = [...times].filter(Number.isFinite).sort((a, b) => a - b);
    const never = times.length - sorted.length;
    return {
      name: kind === 'restart' ? `(6) Redis restarted empty, ${r.users} users on 3 nodes` : `(6) FLUSHALL, ${r.users} users on 3 nodes`,
      figure: `whole again in ${times.map((t) => fix(t)).join(' / ')} ms`,
      p50: fix(sorted[sorted.length >> 1] ?? NaN),
      p99: '-',
      max: never ? 'never' : fix(sorted.at(-1) ?? NaN),
      lostDup: '-',
      target: '≤ 1,000 ms after Redis answers',
      verdict: never === 0 && (sorted.at(-1) ?? Infinity) <= 1_000 ? 'met' : 'MISSED',
      notes: `from ${kind === 'restart' ? 'Redis answering again' : 'the FLUSHALL reply'} to USRS on n3 listing every user online; ` +
        `USRS first showed ${fs.map((f) => f.firstOnline).join(' / ')} of ${r.users} online` +
        (kind === 'restart' ? `, after ${fs.map((f) => f.busy).join(' / ')} ERR SERVER_BUSY while n3 reconnected` : ''),
    };
  });
}
