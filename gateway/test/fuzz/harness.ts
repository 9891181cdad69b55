/**
 * Runs fuzz cases against a live server over TCP and WebSocket, several connections at a
 * time. Each case: the model (model.ts) predicts the replies the case's bytes are owed; the
 * case, its padding and a sentinel `PING z<i>` are sent, split as the case says; then the
 * replies up to the sentinel's PONG are compared with the prediction. Events and live
 * deliveries may come between replies and are not counted (frames.ts sorts them out).
 *
 * A failing connection is thrown away (its state is unknown) and a new one registered.
 */
import net from 'node:net';
import WebSocket from 'ws';
import type { Config } from '../../config.ts';
import type { TestServer } from '../support/server.ts';
import { ServerReader, type Frame } from './frames.ts';
import { WireModel, freshSession, type Expect, type Session } from './model.ts';
import { escapeBytes, makeCase, padFor, sentinelBytes, sentinelToken, type Case } from './cases.ts';

/**
 * Server options every fuzz server runs with: rate limits off, because a delayed or refused
 * command is not what is under test (the model predicts framing, not flood control).
 */
export const SERVER_OVERRIDES: Partial<Config> = { msgRate: 0, readRate: 0, channelCreateRate: 0, maxChannelsPerUser: 0 };

export type Transport = 'tcp' | 'ws';

export type Failure = {
  /** The class of failure, for grouping: what went wrong, and at which rule. */
  key: string;
  /** What it led to: a wrong reply, a desync, a hang, a closed connection, a bad frame. */
  outcome: string;
  transport: Transport;
  case: Case;
  /** A readable account: the input, what the model expected, what came back. */
  detail: string;
};

/** WebSocket messages are kept within the server's 1,052,676-byte message limit (section 9). */
const MAX_WS_CHUNK = 1_052_676;

/** One connection to the server, registered, reading and classifying every frame. */
export class Wire {
  session: Session = freshSession();
  replies: Frame[] = [];
  /** The reply key being waited for, and where in `replies` it came (-1: not yet). */
  watch = '';
  watchAt = -1;
  /** Frames since the last reply: events, and the data lines of a reply under way. */
  private since: Frame[] = [];
  bad: string[] = [];
  closed = false;
  private wake: (() => void) | null = null;
  private readonly reader: ServerReader;
  private constructor(
    readonly transport: Transport,
    private readonly out: (chunk: Uint8Array, text: boolean) => Promise<void>,
    readonly destroy: () => void,
  ) {
    // Telnet is the TCP port's only (docs/PROTOCOL.md section 1).
    this.reader = new ServerReader((f) => this.onFrame(f), transport === 'tcp');
    this.session.telnet = transport === 'tcp' ? 'ready' : 'off';
  }

  static async open(transport: Transport, server: TestServer, handle: string): Promise<Wire> {
    const wire = await (transport === 'tcp' ? Wire.tcp(server.tcpPort) : Wire.ws(server.wsUrl));
    if (!(await wire.waitFor(() => wire.since.length > 0, 5000)) || wire.since[0].type !== 'HELLO') {
      wire.destroy();
      throw new Error(`no HELLO on a new ${transport} connection: ${wire.since.map((f) => f.line).join(' | ')}`);
    }
    // MODE exact: the wire byte for byte, also once a case has spoken telnet (which would make
    // the connection a person's, rendered for reading: not what this fuzzer checks).
    for (const cmd of [`REG ${handle}`, 'JOIN #general', 'MODE exact']) {
      await wire.out(Buffer.from(`${cmd}\r\n`), false);
      if (!(await wire.waitFor(() => wire.replies.length > 0, 5000)) || wire.replies[0].line !== 'OK') {
        wire.destroy();
        throw new Error(`${cmd} on a new ${transport} connection was answered ${wire.replies[0]?.line ?? 'nothing'}`);
      }
      wire.replies = [];
    }
    wire.bad = [];
    return wire;
  }

  private static tcp(port: number): Promise<Wire> {
    return new Promise((ok, fail) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.setNoDelay(true); // each chunk its own segment, as far as the kernel allows
      const send = (chunk: Uint8Array) => new Promise<void>((done) => socket.write(chunk, () => setImmediate(done)));
      const wire = new Wire('tcp', send, () => socket.destroy());
      socket.on('data', (d: Buffer) => wire.reader.push(d));
      socket.on('error', () => {}); // shown as 'close'
      socket.on('close', () => wire.onClose());
      socket.once('connect', () => ok(wire));
      socket.once('error', fail);
    });
  }

  private static ws(url: string): Promise<Wire> {
    return new Promise((ok, fail) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
      const send = (chunk: Uint8Array, text: boolean) =>
        new Promise<void>((done) => ws.send(chunk, { binary: !text }, () => setImmediate(done)));
      const wire = new Wire('ws', send, () => ws.terminate());
      ws.on('message', (d: Buffer) => wire.reader.push(d));
      ws.on('error', () => {});
      ws.on('close', () => wire.onClose());
      ws.once('open', () => ok(wire));
      ws.once('error', fail);
    });
  }

  /** Send the wire bytes in chunks; over a WebSocket each chunk is one message. */
  async send(bytes: Uint8Array, splits: number[], text: boolean): Promise<void> {
    const most = this.transport === 'ws' ? MAX_WS_CHUNK : Infinity;
    let at = 0;
    for (const end of [...splits, bytes.length]) {
      for (let i = at; i < end; i += most) {
        if (this.closed) return;
        await this.out(bytes.subarray(i, Math.min(end, i + most)), text);
      }
      at = end;
    }
  }

  /** Resolves true once `done()` holds, false on close or after `ms`. */
  waitFor(done: () => boolean, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        if (done()) finish(true);
        else if (this.closed) finish(false);
      };
      const timer = setTimeout(() => finish(done()), ms);
      const finish = (v: boolean) => {
        clearTimeout(timer);
        this.wake = null;
        resolve(v);
      };
      this.wake = check;
      check();
    });
  }

  private onClose(): void {
    this.closed = true;
    this.wake?.();
  }

  private onFrame(f: Frame): void {
    if (f.bad) this.bad.push(`${f.bad}: ${JSON.stringify(f.line.slice(0, 200))}`);
    if (f.kind !== 'reply') this.since.push(f);
    else {
      this.checkData(f);
      this.since = [];
      if (this.watchAt === -1 && f.keys.includes(this.watch)) this.watchAt = this.replies.length;
      this.replies.push(f);
    }
    this.wake?.();
  }

  /**
   * A data reply's frames come just before its END, never mixed with events; data lines come
   * in no other place (section 3, and HISTORY in section 2).
   */
  private checkData(f: Frame): void {
    const data = this.since.filter((x) => x.kind === 'data');
    if (f.type !== 'END') {
      if (data.length) this.bad.push(`${data.length} data lines (${data[0].type}) before ${f.line}`);
      return;
    }
    const [, verb, count] = f.line.split(' ');
    const n = Number(count);
    const want = { CHNS: 'CHN', USRS: 'USR', HELP: 'INFO', HISTORY: 'MSG', UNREAD: 'UNREAD', TOPIC: 'TOPIC' }[verb];
    const tail = this.since.slice(this.since.length - n);
    if (n > this.since.length || tail.some((x) => x.type !== want)) this.bad.push(`${f.line} does not follow ${n} ${want} frames`);
    // HISTORY's MSGs and TOPIC's line are also what live news looks like: events, not data.
    if (verb !== 'HISTORY' && verb !== 'TOPIC' && data.length !== n) this.bad.push(`${f.line} after ${data.length} data lines`);
    if (verb === 'HISTORY' && data.length) this.bad.push(`${data.length} data lines inside ${f.line}`);
  }
}

const fits = (reply: Frame, e: Expect) => reply.keys.some((k) => e.allow.includes(k));

/** Run one case on `wire`: null when the server did just what the model says. */
export async function runCase(wire: Wire, c: Case, timeoutMs: number): Promise<Failure | null> {
  // The case's pad closes it on a TCP connection that has not spoken telnet. With a 0xFF in
  // it, one that has (or a WebSocket, which never does) may read it otherwise: its own pad.
  const pad = wire.session.telnet !== 'ready' && c.bytes.includes(0xff) ? padFor(c.bytes, wire.session) ?? c.pad : c.pad;
  const model = new WireModel(wire.session).feed(c.bytes).feed(pad);
  const token = `PONG:${sentinelToken(c.index)}`;
  const stray = wire.replies.length;
  wire.watch = token;
  wire.watchAt = -1;
  const bytes = Buffer.concat([c.bytes, pad, sentinelBytes(c.index)]);
  await wire.send(bytes, c.splits, c.textFrames);
  const answered = await wire.waitFor(() => wire.watchAt !== -1, timeoutMs);
  const got = wire.replies;
  const at = wire.watchAt;
  const expects = model.expects;
  const firstOff = expects.findIndex((e, i) => i < got.length && i !== at && !fits(got[i], e));
  // Keys name the rule and the replies, never the counts or tokens, so a class groups.
  const norm = (k: string) => k.replace(/^PONG:.*/, 'PONG:<token>');
  let outcome: string | null = null;
  if (stray) outcome = "replies arrived after the previous case's sentinel";
  else if (!answered) outcome = wire.closed ? `connection closed (${got.find((f) => f.type === 'BYE')?.line ?? 'no BYE'})` : 'hang: the sentinel PING was never answered';
  else if (at !== expects.length) outcome = `desync: ${at > expects.length ? 'more' : 'fewer'} replies than the model expects`;
  else if (firstOff !== -1) outcome = 'wrong reply';
  else if (wire.closed) outcome = 'connection closed after the sentinel';
  else if (wire.bad.length) outcome = `malformed server frame: ${wire.bad[0].replace(/:.*/, '').replace(/\d+/g, 'N')}`;
  // A class names the line where the server and the model part, whatever followed from it
  // (a wrong reply, more replies, a hang). When that line frames no bytes itself but a line
  // that does (a MSG, an over-long line) came before it, that one is the likelier culprit:
  // its own reply may be right while its body was not eaten, and the body's replies mislead.
  const framing = (e: Expect) => e.label.startsWith('MSG') || e.label === 'LINE_TOO_LONG';
  // With no wrong reply, the line whose reply never came may be the one still eating bytes.
  const upTo = firstOff === -1 ? Math.min(got.length + 1, expects.length) : firstOff;
  let culprit = -1;
  for (let i = upTo - 1; i >= 0 && culprit === -1; i--) if (framing(expects[i])) culprit = i;
  const off = firstOff === -1 ? '' : `${expects[firstOff].label} answered ${norm(got[firstOff].keys.at(-1)!)}`;
  const key = firstOff !== -1 && framing(expects[firstOff]) ? off : culprit !== -1 ? `out of step after ${expects[culprit].label}` : off || outcome;
  if (outcome === null || key === null) {
    wire.session = model.session;
    wire.replies = [];
    return null;
  }
  const rows = Math.max(expects.length + 1, got.length);
  const table = Array.from({ length: Math.min(rows, 40) }, (_, i) => {
    const e = i < expects.length ? `${expects[i].label} [${expects[i].cmd}] wants ${expects[i].allow.join('|')}` : i === expects.length ? `sentinel wants ${token}` : '(nothing)';
    return `  ${String(i).padStart(2)}. model: ${e}\n      got:   ${got[i]?.line.slice(0, 160) ?? '(nothing)'}`;
  });
  const detail = [
    `outcome: ${outcome}`,
    `replies: ${answered ? at : got.length} before the sentinel, the model expects ${expects.length}${answered ? '' : ' (no sentinel PONG)'}`,
    `input:  ${escapeBytes(c.bytes)}`,
    `pad:    ${escapeBytes(pad, 200)}  (model state after the input: ${new WireModel(wire.session).feed(c.bytes).state}; telnet ${wire.session.telnet} before it)`,
    `splits: [${c.splits.slice(0, 30).join(', ')}${c.splits.length > 30 ? ', …' : ''}]${wire.transport === 'ws' ? (c.textFrames ? ' as text messages' : ' as binary messages') : ''}`,
    ...table,
    ...(rows > 40 ? [`  … ${rows - 40} more rows`] : []),
    ...wire.bad.slice(0, 5).map((b) => `  bad frame: ${b}`),
  ].join('\n');
  return { key, outcome, transport: wire.transport, case: c, detail };
}

export type FuzzOptions = {
  server: TestServer;
  seed: number;
  cases: number;
  /** The first case index (a batch of a longer run starts further on). */
  first?: number;
  transports: Transport[];
  /** Connections per transport. */
  workers: number;
  timeoutMs: number;
  /** Stop at this time (ms since the epoch), whatever is left. */
  deadline: number;
  maxFailures: number;
  /** Prefix of this run's handles, so batches on one server never collide. */
  handlePrefix?: string;
};

export type FuzzResult = { ran: number; failures: Failure[] };

/** Run cases first..first+cases-1, shared by all connections as they come free. */
export async function fuzz(opts: FuzzOptions, progress: (ran: number, failures: number) => void = () => {}): Promise<FuzzResult> {
  const first = opts.first ?? 0;
  const failures: Failure[] = [];
  let next = first;
  let ran = 0;
  const stop = () => next >= first + opts.cases || Date.now() >= opts.deadline || failures.length >= opts.maxFailures;
  const worker = async (transport: Transport, w: number) => {
    let gen = 0;
    const open = () => Wire.open(transport, opts.server, `@${opts.handlePrefix ?? 'fz'}${w}r${gen++}`);
    let wire: Wire | null = await open();
    while (!stop() && wire !== null) {
      const c = makeCase(opts.seed, next++);
      const failure = await runCase(wire, c, opts.timeoutMs);
      ran++;
      // A connection that spoke telnet stays so: now and then a fresh one, so that most
      // cases meet a connection that has not.
      const recycle = failure === null && wire.session.telnet === 'on' && c.index % 3 === 0;
      if (recycle) {
        wire.destroy();
        wire = await open();
      }
      if (failure !== null) {
        failures.push(failure);
        wire.destroy();
        // A server that no longer takes a new connection after this case is a finding too.
        wire = await open().catch((err: Error) => {
          failures.push({ ...failure, key: 'a new connection failed after a failing case', outcome: err.message });
          return null;
        });
      }
      progress(ran, failures.length);
    }
    wire?.destroy();
  };
  const all = opts.transports.flatMap((t, ti) => Array.from({ length: opts.workers }, (_, i) => worker(t, ti * opts.workers + i)));
  await Promise.all(all);
  return { ran, failures };
}

/** Failures grouped by class: how many, their outcomes, and the one with the smallest input. */
export type FailureClass = { key: string; count: number; outcomes: Map<string, number>; transports: Set<Transport>; first: Failure };

export function classes(failures: Failure[]): FailureClass[] {
  const by = new Map<string, FailureClass>();
  for (const f of failures) {
    let c = by.get(f.key);
    if (c === undefined) by.set(f.key, (c = { key: f.key, count: 0, outcomes: new Map(), transports: new Set(), first: f }));
    c.count++;
    c.outcomes.set(f.outcome, (c.outcomes.get(f.outcome) ?? 0) + 1);
    c.transports.add(f.transport);
    if (f.case.bytes.length < c.first.case.bytes.length) c.first = f;
  }
  return [...by.values()].sort((a, b) => b.count - a.count);
}
