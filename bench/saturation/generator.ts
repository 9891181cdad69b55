/**
 * Issue 16's independent saturation generator: ONE process holds every connection (1,000
 * members of one channel, the first 50 of them senders), sends, and reads every copy.
 *
 * - A message is delivered at its FIRST copy to any member: publish-to-first-copy latency is
 *   the figure. Every copy's latency and each message's last copy are kept as well.
 * - window mode: each sender waits for its OK (SLCK) or its own copy back (NATS, as
 *   bench/load/nats.ts acknowledges a PUB) before its next message. rate mode: message n is
 *   due at n / rate seconds and is sent by sender n % senders whatever the OKs do.
 * - A *silence* is a stretch with copies owed (sent, not yet received) and none arriving.
 * - At the end the senders stop; the generator waits for every owed copy, but gives up
 *   after `giveUpMs` of silence, then keeps listening `lateMs` and counts what still comes:
 *   *late* copies. What never comes is *lost*.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { encodeCommand, encodeMsg, type Delivery, type ServerFrame } from '../../core/index.ts';
import { makeBody, nowUs, readBody, type BodyFields } from '../load/body.ts';
import { Connection, type Clock } from '../load/connection.ts';
import { Histogram } from '../load/histogram.ts';
import { NatsConnection } from '../load/nats.ts';
import type { Which } from './servers.ts';

export type LoadSpec = {
  members: number;
  senders: number;
  mode: 'window' | 'rate';
  /** rate mode: messages per second offered, over all senders. */
  msgsPerSec: number;
  warmupMs: number;
  durationMs: number;
  /** A silence longer than this is reported (the target: 500 ms). */
  silenceMs: number;
  /** The harness stops waiting for owed copies after this long with none arriving. */
  giveUpMs: number;
  /** How long it keeps listening after giving up, counting late copies. */
  lateMs: number;
};

export type LoadFigures = {
  connected: number;
  sent: number;
  /** Messages sent inside the measured window. */
  measuredMsgs: number;
  copiesPerSec: number;
  msgsPerSec: number;
  firstP50Ms: number;
  firstP99Ms: number;
  firstMaxMs: number;
  copyP50Ms: number;
  copyP99Ms: number;
  lastP50Ms: number;
  lastP99Ms: number;
  /** Silences longer than `silenceMs` while copies were owed: how many, the longest, and when (s after the start). */
  silences: number;
  longestSilenceMs: number;
  silenceAt: number[];
  /**
   * Of those, the ones the generator itself explains: its event loop was stalled (a timer
   * 20 ms apart fired 200 ms or more late) for at least half of the silence, so the copies
   * may well have been waiting in its own socket buffers.
   */
  generatorSilences: number;
  /** The harness stopped waiting with this many copies owed; of them, `late` came afterwards. */
  gaveUpOwing: number;
  late: number;
  lost: number;
  duplicated: number;
  corrupted: number;
  dropped: number;
  sendErrors: number;
  firstError?: string;
  /** The generator's own event-loop delay (its stalls look like silences too). */
  loopP99Ms: number;
  loopMaxMs: number;
  generatorCores: number;
};

type Member = {
  index: number;
  conn: Connection | NatsConnection;
  /** Next sequence number expected from each sender. */
  next: Int32Array;
  seq: number;
  /** Messages awaiting their OK (at most 1 in window mode). */
  inflight: number;
};

const CHANNEL = '#sat';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Generator {
  private readonly clock: Clock = { recvUs: 0 };
  private readonly members: Member[] = [];
  private readonly fields: BodyFields = { sender: 0, seq: 0, sentUs: 0 };
  /** Per sender, per sequence number: when it was sent, and how many copies came. */
  private readonly sentUs: number[][];
  private readonly copies: number[][];
  private readonly first = new Histogram();
  private readonly every = new Histogram();
  private readonly last = new Histogram();
  private measureFromUs = Infinity;
  private measureToUs = Infinity;
  private originUs = 0;
  private owed = 0;
  private owedSinceUs = 0;
  private lastCopyUs = 0;
  private lastEventUs = 0;
  private silences: { atUs: number; ms: number }[] = [];
  /** Stretches where the generator's own event loop did not run (from, to), in us. */
  private readonly stalls: [number, number][] = [];
  private copiesInWindow = 0;
  private copiesTotal = 0;
  private duplicated = 0;
  private corrupted = 0;
  private dropped = 0;
  private sendErrors = 0;
  private firstError?: string;
  private running = false;
  private closing = false;
  private sent = 0;
  private late = 0;
  private measuredMsgs = 0;

  constructor(
    private readonly which: Which,
    private readonly spec: LoadSpec,
  ) {
    this.sentUs = Array.from({ length: spec.senders }, () => []);
    this.copies = Array.from({ length: spec.senders }, () => []);
  }

  /** Open every member (32 at a time), subscribed to the channel, before anything is sent. */
  async connect(port: number): Promise<number> {
    let next = 0;
    let failed = 0;
    let error = '';
    const lane = async () => {
      while (next < this.spec.members) {
        const index = next++;
        try {
          this.members.push(await this.open(index, port));
        } catch (e) {
          failed++;
          error ||= (e as Error).message;
        }
      }
    };
    await Promise.all(Array.from({ length: 32 }, lane));
    this.members.sort((a, b) => a.index - b.index);
    if (failed) throw new Error(`${failed} of ${this.spec.members} members could not connect: ${error}`);
    return this.members.length;
  }

  private async open(index: number, port: number): Promise<Member> {
    let m: Member | null = null;
    const events = {
      delivery: (f: Delivery) => this.onCopy(m!, f),
      damaged: () => this.corrupted++,
      closed: () => {
        if (!this.closing) this.dropped++;
      },
    };
    const conn = this.which === 'nats'
      ? await NatsConnection.open(port, this.clock, events)
      : await Connection.open('tcp', port, this.clock, events);
    m = { index, conn, next: new Int32Array(this.spec.senders), seq: 0, inflight: 0 };
    if (conn instanceof NatsConnection) {
      conn.subscribe(CHANNEL, 1);
      if (!(await conn.ping())) throw new Error('nats: no PONG after SUB');
    } else {
      await conn.call(encodeCommand({ type: 'REG', handle: `@s${index}` }));
      await conn.call(encodeCommand({ type: 'JOIN', channel: CHANNEL }));
    }
    return m;
  }

  private onCopy(m: Member, f: Delivery): void {
    const now = this.clock.recvUs;
    const fl = this.fields;
    if (!readBody(f.body, fl) || fl.sender >= this.spec.senders) {
      this.corrupted++;
      return;
    }
    if (fl.sender === m.index) {
      // Only NATS echoes a sender's own message: its acknowledgment, not a copy.
      if (m.conn instanceof NatsConnection) m.conn.echoed();
      else this.corrupted++;
      return;
    }
    if (fl.seq < m.next[fl.sender]) {
      this.duplicated++;
      return;
    }
    m.next[fl.sender] = fl.seq + 1;
    const sentUs = this.sentUs[fl.sender][fl.seq];
    const n = ++this.copies[fl.sender][fl.seq];
    this.copiesTotal++;
    if (this.running && now >= this.measureFromUs && now < this.measureToUs) this.copiesInWindow++;
    // A silence ends with this copy: it began at the later of the last copy and the moment copies were first owed.
    const quietFrom = Math.max(this.lastCopyUs, this.owedSinceUs);
    if (now - quietFrom > this.spec.silenceMs * 1000) this.silences.push({ atUs: quietFrom, ms: (now - quietFrom) / 1000 });
    this.lastCopyUs = now;
    this.lastEventUs = now;
    this.owed--;
    if (sentUs >= this.measureFromUs && sentUs < this.measureToUs) {
      const us = now - sentUs;
      this.every.record(us);
      if (n === 1) this.first.record(us);
      if (n === this.spec.members - 1) this.last.record(us);
    }
  }

  private send(m: Member): void {
    const s = m.index;
    const seq = m.seq++;
    const t = nowUs();
    this.sentUs[s][seq] = t;
    this.copies[s][seq] = 0;
    if (this.owed === 0) this.owedSinceUs = t;
    this.owed += this.spec.members - 1;
    this.sent++;
    if (t >= this.measureFromUs && t < this.measureToUs) this.measuredMsgs++;
    m.inflight++;
    const body = makeBody(s, seq, t);
    const done = (reply: ServerFrame) => {
      m.inflight--;
      this.lastEventUs = this.clock.recvUs;
      if (reply.type !== 'OK') {
        this.sendErrors++;
        this.firstError ??= reply.type === 'ERR' ? `${reply.code} ${reply.text}` : reply.type;
      } else if (this.running && this.spec.mode === 'window') this.send(m);
    };
    if (m.conn instanceof NatsConnection) m.conn.request(CHANNEL, body, done);
    else m.conn.request(encodeMsg(CHANNEL, body), done);
  }

  /** Send for warm-up + duration, then stop, drain and count; resolves with the figures. */
  async run(log: (line: string) => void): Promise<LoadFigures> {
    const loop = monitorEventLoopDelay({ resolution: 10 });
    let tickUs = nowUs();
    const stallTimer = setInterval(() => {
      const t = nowUs();
      if (t - tickUs > 200_000) this.stalls.push([tickUs + 20_000, t]);
      tickUs = t;
    }, 20);
    const senders = this.members.slice(0, this.spec.senders);
    this.originUs = nowUs();
    this.measureFromUs = this.originUs + this.spec.warmupMs * 1000;
    this.measureToUs = this.measureFromUs + this.spec.durationMs * 1000;
    this.lastCopyUs = this.originUs;
    this.lastEventUs = this.originUs;
    this.running = true;
    let cpuFrom: NodeJS.CpuUsage | null = null;
    let cpuFromUs = 0;
    const markWindow = setTimeout(() => {
      cpuFrom = process.cpuUsage();
      cpuFromUs = nowUs();
      loop.enable();
    }, this.spec.warmupMs);
    if (this.spec.mode === 'window') {
      for (const m of senders) this.send(m);
    } else this.schedule(senders);
    await sleep((this.measureToUs - nowUs()) / 1000);
    clearTimeout(markWindow);
    loop.disable();
    const cpu = process.cpuUsage(cpuFrom ?? undefined);
    const cpuSpanUs = nowUs() - cpuFromUs;
    this.running = false;
    log(`sent ${this.sent} messages; draining (giving up after ${this.spec.giveUpMs} ms with nothing arriving)`);

    // Wait for outstanding OKs and every owed copy, until nothing has arrived for giveUpMs.
    while ((this.owed > 0 || senders.some((m) => m.inflight > 0 && m.conn.open)) && nowUs() - this.lastEventUs < this.spec.giveUpMs * 1000) {
      await sleep(10);
    }
    const gaveUpOwing = this.owed;
    if (gaveUpOwing > 0) {
      const before = this.copiesTotal;
      log(`gave up owing ${gaveUpOwing} copies; listening ${this.spec.lateMs} ms more`);
      const until = nowUs() + this.spec.lateMs * 1000;
      while (this.owed > 0 && nowUs() < until) await sleep(10);
      this.late = this.copiesTotal - before;
      // A silence that late copies ended was recorded as they came; one still going counts to now.
      const quietFrom = Math.max(this.lastCopyUs, this.owedSinceUs);
      if (this.owed > 0) this.silences.push({ atUs: quietFrom, ms: (nowUs() - quietFrom) / 1000 });
    }
    clearInterval(stallTimer);
    const stalledIn = (from: number, to: number) => this.stalls.reduce((n, [a, b]) => n + Math.max(0, Math.min(b, to) - Math.max(a, from)), 0);
    const generatorSilences = this.silences.filter((q) => stalledIn(q.atUs, q.atUs + q.ms * 1000) >= (q.ms * 1000) / 2).length;
    const ms = (us: number) => us / 1000;
    const seconds = this.spec.durationMs / 1000;
    return {
      connected: this.members.length,
      sent: this.sent,
      measuredMsgs: this.measuredMsgs,
      copiesPerSec: this.copiesInWindow / seconds,
      msgsPerSec: this.measuredMsgs / seconds,
      firstP50Ms: ms(this.first.percentile(50)),
      firstP99Ms: ms(this.first.percentile(99)),
      firstMaxMs: ms(this.first.max),
      copyP50Ms: ms(this.every.percentile(50)),
      copyP99Ms: ms(this.every.percentile(99)),
      lastP50Ms: ms(this.last.percentile(50)),
      lastP99Ms: ms(this.last.percentile(99)),
      silences: this.silences.length,
      longestSilenceMs: Math.max(0, ...this.silences.map((s) => s.ms)),
      silenceAt: this.silences.map((s) => Math.round((s.atUs - this.originUs) / 1e5) / 10),
      generatorSilences,
      gaveUpOwing,
      late: this.late,
      lost: this.owed,
      duplicated: this.duplicated,
      corrupted: this.corrupted,
      dropped: this.dropped,
      sendErrors: this.sendErrors,
      firstError: this.firstError,
      loopP99Ms: loop.percentile(99) / 1e6,
      loopMaxMs: loop.max / 1e6,
      generatorCores: (cpu.user + cpu.system) / Math.max(1, cpuSpanUs),
    };
  }

  /** rate mode: message n is due at origin + n / rate, from sender n % senders. */
  private schedule(senders: Member[]): void {
    const intervalUs = 1e6 / this.spec.msgsPerSec;
    let n = 0;
    const tick = () => {
      if (!this.running) return;
      const now = nowUs();
      while (this.originUs + n * intervalUs <= now) {
        const m = senders[n % senders.length];
        if (m.conn.open) this.send(m);
        n++;
      }
      setTimeout(tick, Math.max(0, (this.originUs + n * intervalUs - nowUs()) / 1000));
    };
    tick();
  }

  close(): void {
    this.closing = true;
    for (const m of this.members) m.conn.close();
  }
}
