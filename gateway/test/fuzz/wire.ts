/**
 * One connection of the fuzzer to the server (TCP or WebSocket), registered, reading and
 * classifying every frame (frames.ts), and checking where a data reply's lines may come.
 */
import net from 'node:net';
import WebSocket from 'ws';
import type { TestServer } from '../support/server.ts';
import { ServerReader, replyFrames, type Frame } from './frames.ts';
import { freshSession, type Session } from './model.ts';
import { PARTNER_SETUP } from './partner.ts';

export type Transport = 'tcp' | 'ws';

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
  /** Set while a case runs on a connection that has others' typing off and keeps it so. */
  typingOff = false;
  /** When set, every frame but a reply is kept here (a partner's: partner.ts). */
  events: Frame[] | null = null;
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
    // Others' typing: on by default on a WebSocket, off on the TCP port (spec: TYPING).
    this.session.typing = transport === 'ws';
  }

  static async open(transport: Transport, server: TestServer, handle: string): Promise<Wire> {
    const wire = await (transport === 'tcp' ? Wire.tcp(server.tcpPort) : Wire.ws(server.wsUrl));
    if (!(await wire.waitFor(() => wire.since.length > 0, 5000)) || wire.since[0].type !== 'HELLO') {
      wire.destroy();
      throw new Error(`no HELLO on a new ${transport} connection: ${wire.since.map((f) => f.line).join(' | ')}`);
    }
    // MODE exact: the wire byte for byte, also once a case has spoken telnet (which would make
    // the connection a person's, rendered for reading: not what this fuzzer checks).
    wire.session.handle = handle;
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

  /** A partner (partner.ts): a TCP connection of its own user, with typing events on, not in #general. */
  static async partner(server: TestServer, handle: string): Promise<Wire> {
    const wire = await Wire.open('tcp', server, handle);
    for (const cmd of PARTNER_SETUP) {
      if ((await wire.command(Buffer.from(`${cmd}\r\n`)))?.line !== 'OK') {
        wire.destroy();
        throw new Error(`${cmd} on a partner connection failed`);
      }
    }
    wire.session.joined.delete('#general');
    return wire;
  }

  /** Sends one command and waits for its reply (null: none in 5 s). */
  async command(bytes: Uint8Array): Promise<Frame | null> {
    this.replies = [];
    await this.out(bytes, false);
    const ok = await this.waitFor(() => this.replies.length > 0, 5000);
    const reply = ok ? this.replies[0] : null;
    this.replies = [];
    return reply;
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
    if (f.type === 'TYPING' && this.typingOff) this.bad.push(`TYPING to a connection that has it off: ${JSON.stringify(f.line)}`);
    if (f.type === 'TYPING' && f.line.split(' ')[2]?.toLowerCase() === this.session.handle.toLowerCase()) this.bad.push(`one's own TYPING: ${JSON.stringify(f.line)}`);
    if (f.kind !== 'reply') {
      this.since.push(f);
      this.events?.push(f);
    }
    else {
      this.checkData(f);
      f.since = this.since;
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
    if (verb === 'HISTORY' || verb === 'THREAD') {
      const frames = replyFrames(this.since, n);
      if (typeof frames === 'string') this.bad.push(`${f.line}: ${frames}`);
      return;
    }
    const want = { CHNS: 'CHN', USRS: 'USR', HELP: 'INFO', UNREAD: 'UNREAD', TOPIC: 'TOPIC', THREADS: 'FOLLOWING' }[verb];
    const tail = this.since.slice(this.since.length - n);
    if (n > this.since.length || tail.some((x) => x.type !== want)) this.bad.push(`${f.line} does not follow ${n} ${want} frames`);
    // HISTORY's MSGs and TOPIC's line are also what live news looks like: events, not data.
    if (verb !== 'HISTORY' && verb !== 'TOPIC' && data.length !== n) this.bad.push(`${f.line} after ${data.length} data lines`);
    if (verb === 'HISTORY' && data.length) this.bad.push(`${data.length} data lines inside ${f.line}`);
  }
}
