/**
 * A load-generator worker process, forked by run.ts. It holds a share of the connections
 * (the server allows ~20,000 descriptors per process, and two cores want more than one
 * generator process), sends and checks what the coordinator asks over IPC, and reports.
 *
 * Receivers check every delivery: the body's checksum, that its sender id matches the
 * frame's `from` and its channel the frame's target, and the sender's sequence number,
 * which must go up by one each time (TCP and the server keep one sender's messages in order),
 * so a gap is a loss and a step back a duplicate.
 */
import { encodeCommand, encodeMsg, type Delivery, type ServerFrame } from '../../core/index.ts';
import { makeBody, nowUs, readBody, type BodyFields } from './body.ts';
import { Connection, type Clock } from './connection.ts';
import { Histogram } from './histogram.ts';
import { NatsConnection } from './nats.ts';
import { TICK_US, type Dialect, type FromWorker, type MemberSpec, type ToWorker } from './protocol.ts';

type Member = {
  spec: MemberSpec;
  conn: Connection | NatsConnection;
  /** Next sequence number expected from each sender (indexed by sender). */
  next: Int32Array;
  /** Messages skipped over (lost) so far. */
  gaps: number;
  // As a sender:
  seq: number;
  inflight: number;
};

const clock: Clock = { recvUs: 0 };
const members: Member[] = [];
/** Receivers by channel, for the lag check. */
const byChannel = new Map<string, Member[]>();
let senders: { handle: string; channel: string }[] = [];
let dialect: Dialect = 'slck';
const latency = new Histogram();
const timeline: number[] = [];
const fields: BodyFields = { sender: 0, seq: 0, sentUs: 0 };
let originUs = 0;
let measureFromUs = Infinity;
let deliveries = 0;
let duplicated = 0;
let corrupted = 0;
let dropped = 0;
let closing = false;
let running = false;
let start: Extract<ToWorker, { type: 'start' }> | null = null;
let sendErrors = 0;
let firstError: string | undefined;
let lagWaits = 0;
const perMessage = new Map<number, [number, number]>();

const send = (m: FromWorker) => process.send!(m);

function onDelivery(m: Member, f: Delivery): void {
  const recvUs = clock.recvUs;
  if (
    f.target !== m.spec.channel || !readBody(f.body, fields) || fields.sender >= senders.length ||
    // NATS frames carry no sender: there, the body's sender index is all there is.
    (dialect === 'slck' && f.from !== senders[fields.sender].handle)
  ) {
    corrupted++;
    return;
  }
  const s = fields.sender;
  if (s === m.spec.sender) {
    // Only NATS echoes a sender's own message: that is its acknowledgment, not a delivery.
    if (m.conn instanceof NatsConnection && fields.seq === m.next[s]) {
      m.next[s]++;
      m.conn.echoed();
    } else corrupted++;
    return;
  }
  const expected = m.next[s];
  if (fields.seq < expected) {
    duplicated++;
    return;
  }
  if (fields.seq > expected) m.gaps += fields.seq - expected;
  m.next[s] = fields.seq + 1;
  deliveries++;
  const tick = recvUs > originUs ? ((recvUs - originUs) / TICK_US) | 0 : 0;
  while (timeline.length <= tick) timeline.push(0);
  timeline[tick]++;
  if (fields.sentUs >= measureFromUs) {
    const us = recvUs - fields.sentUs;
    latency.record(us);
    if (start?.mode === 'rate') {
      const key = s * 1e7 + fields.seq;
      const seen = perMessage.get(key);
      if (seen === undefined) perMessage.set(key, [us, us]);
      else if (us < seen[0]) seen[0] = us;
      else if (us > seen[1]) seen[1] = us;
    }
  }
}

async function openMember(spec: MemberSpec, tcpPort: number, httpPort: number): Promise<Member> {
  const port = spec.transport === 'tcp' ? tcpPort : httpPort;
  let m: Member | null = null;
  const events = {
    delivery: (f: Delivery) => onDelivery(m!, f),
    damaged: () => corrupted++,
    closed: () => {
      if (!closing) dropped++;
    },
  };
  const open = () => (dialect === 'nats' ? NatsConnection.open(tcpPort, clock, events) : Connection.open(spec.transport, port, clock, events));
  let conn: Connection | NatsConnection;
  try {
    conn = await open();
  } catch {
    // A full accept queue under a connection storm: one more try after a pause.
    await sleep(200);
    conn = await open();
  }
  m = { spec, conn, next: new Int32Array(senders.length), gaps: 0, seq: 0, inflight: 0 };
  if (conn instanceof NatsConnection) {
    if (spec.channel !== null) conn.subscribe(spec.channel, 1);
    // NATS answers PING only after what came before it (the SUB) is in place.
    if (!(await conn.ping())) throw new Error('nats: no PONG after SUB');
    return m;
  }
  await conn.call(encodeCommand({ type: 'REG', handle: spec.handle }));
  if (spec.channel !== null) await conn.call(encodeCommand({ type: 'JOIN', channel: spec.channel }));
  return m;
}

async function connectAll(msg: Extract<ToWorker, { type: 'connect' }>): Promise<void> {
  senders = msg.senders;
  dialect = msg.dialect ?? 'slck';
  let failed = 0;
  let error: string | undefined;
  let i = 0;
  const lane = async () => {
    while (i < msg.members.length) {
      const spec = msg.members[i++];
      try {
        const m = await openMember(spec, msg.tcpPort, msg.httpPort);
        members.push(m);
        if (spec.channel !== null) {
          let list = byChannel.get(spec.channel);
          if (!list) byChannel.set(spec.channel, (list = []));
          list.push(m);
        }
      } catch (e) {
        failed++;
        error ??= (e as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, msg.concurrency) }, lane));
  send({ type: 'connected', count: members.length, failed, firstError: error });
}

// ---------------------------------------------------------------- sending

function sendOne(m: Member): void {
  const seq = m.seq++;
  m.inflight++;
  const done = (reply: ServerFrame) => {
    m.inflight--;
    if (reply.type !== 'OK') {
      sendErrors++;
      firstError ??= reply.type === 'ERR' ? `${reply.code} ${reply.text}` : reply.type;
    } else if (start?.mode === 'window') pump(m);
  };
  const body = makeBody(m.spec.sender, seq, nowUs());
  if (m.conn instanceof NatsConnection) m.conn.request(m.spec.channel!, body, done);
  else m.conn.request(encodeMsg(m.spec.channel!, body), done);
}

/** True while a receiver in this process is more than maxLag of `m`'s messages behind. */
function lagging(m: Member, maxLag: number): boolean {
  const floor = m.seq - maxLag;
  for (const r of byChannel.get(m.spec.channel!)!) {
    if (r !== m && r.conn.open && r.next[m.spec.sender] < floor) return true;
  }
  return false;
}

const waiting = new Set<Member>();
let waitTimer: NodeJS.Timeout | null = null;

/** Window mode: keep `window` MSGs awaiting OK, as fast as the server answers. */
function pump(m: Member): void {
  const { window, maxLag } = start!;
  while (running && m.conn.open && m.inflight < window) {
    if (maxLag > 0 && lagging(m, maxLag)) {
      lagWaits++;
      waiting.add(m);
      waitTimer ??= setTimeout(() => {
        waitTimer = null;
        const again = [...waiting];
        waiting.clear();
        for (const w of again) pump(w);
      }, 2);
      return;
    }
    sendOne(m);
  }
}

/** Rate mode: message n is due at originUs + n * intervalUs and sent by sender n % senderCount. */
function runSchedule(mine: Member[]): void {
  const { intervalUs, senderCount } = start!;
  const k = new Array<number>(mine.length).fill(0);
  const due = (i: number) => originUs + (mine[i].spec.sender + k[i] * senderCount) * intervalUs;
  const tick = () => {
    if (!running) return;
    const now = nowUs();
    let next = Infinity;
    for (let i = 0; i < mine.length; i++) {
      while (due(i) <= now) {
        if (mine[i].conn.open) sendOne(mine[i]);
        k[i]++;
      }
      next = Math.min(next, due(i));
    }
    setTimeout(tick, Math.max(0, (next - nowUs()) / 1000));
  };
  tick();
}

async function stopSending(): Promise<void> {
  running = false;
  const deadline = Date.now() + 30_000;
  while (members.some((m) => m.inflight > 0 && m.conn.open) && Date.now() < deadline) await sleep(5);
  const mine = members.filter((m) => m.spec.sender >= 0);
  send({ type: 'stopped', sent: mine.map((m) => [m.spec.sender, m.seq]), errors: sendErrors, firstError, lagWaits });
}

// ---------------------------------------------------------------- checking

/** Wait until every receiver has every message its channel's senders sent, or time is up. */
async function expectAll(sent: number[], drainMs: number): Promise<void> {
  const sendersOf = new Map<string, number[]>();
  senders.forEach((s, i) => {
    const list = sendersOf.get(s.channel) ?? [];
    list.push(i);
    sendersOf.set(s.channel, list);
  });
  const missing = (m: Member) => {
    let n = 0;
    for (const s of sendersOf.get(m.spec.channel!) ?? []) {
      if (s !== m.spec.sender && m.next[s] < sent[s]) n += sent[s] - m.next[s];
    }
    return n;
  };
  const receivers = members.filter((m) => m.spec.channel !== null);
  const deadline = Date.now() + drainMs;
  while (receivers.some((m) => missing(m) > 0) && Date.now() < deadline) await sleep(20);
  let lost = 0;
  for (const m of receivers) lost += missing(m) + m.gaps;
  send({ type: 'report', timeline, deliveries, lost, duplicated, corrupted, dropped, latency: latency.toJSON(),
    perMessage: [...perMessage].map(([key, [first, last]]) => [key, first, last]),
  });
}

async function pingAll(timeoutMs: number): Promise<void> {
  let alive = 0;
  await Promise.all(
    members.map(async (m) => {
      if (!m.conn.open) return;
      const timer = sleep(timeoutMs).then(() => false);
      const pong = m.conn instanceof NatsConnection
        ? m.conn.ping()
        : m.conn.call(encodeCommand({ type: 'PING', token: 'alive' })).then((f) => f.type === 'PONG', () => false);
      if (await Promise.race([pong, timer])) alive++;
    }),
  );
  const ws = members.filter((m) => m.conn.transport === 'ws');
  send({
    type: 'pinged', alive, dropped,
    wsPings: ws.reduce((n, m) => n + m.conn.pings, 0),
    wsPinged: ws.filter((m) => m.conn.pings > 0).length,
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'connect':
      return connectAll(msg);
    case 'start': {
      start = msg;
      originUs = msg.originUs;
      measureFromUs = msg.measureFromUs;
      running = true;
      const mine = members.filter((m) => m.spec.sender >= 0);
      if (msg.mode === 'window') for (const m of mine) pump(m);
      else runSchedule(mine);
      return;
    }
    case 'stop':
      return stopSending();
    case 'expect':
      return expectAll(msg.sent, msg.drainMs);
    case 'ping-all':
      return pingAll(msg.timeoutMs);
    case 'close':
      closing = true;
      for (const m of members) m.conn.close();
      setTimeout(() => process.exit(0), 50);
      return;
  }
}

process.on('message', (msg: ToWorker) => {
  handle(msg).catch((e: Error) => send({ type: 'fatal', message: e.stack ?? e.message }));
});
// The coordinator went away: don't linger holding thousands of sockets.
process.on('disconnect', () => process.exit(0));
