/**
 * A chat client for the multi-node tests that writes down everything it did and saw, for
 * `check` (checker.ts) to judge afterwards: what it sent and how each send ended, and every
 * message delivered to it, live or replayed by HISTORY when it came back on another node.
 *
 * It records, it does not judge or dedupe: a message delivered twice is logged twice. Each
 * body it sends starts with a tag unique in the run (`@handle:seq`), so the checker can tell
 * which send a delivery is, whatever id the server gave it.
 */
import net from 'node:net';
import { Parser, ProtocolError, SERVER_FRAME_LIMITS, ServerFrameDecoder, fromUtf8, nameKey, type ServerFrame } from '../../../core/index.ts';

type MsgFrame = Extract<ServerFrame, { type: 'MSG' }>;

/** How a send ended, as far as its client knows. `unknown`: the connection died before the reply. */
export type SendFate = { kind: 'ok'; id: number; ts: string } | { kind: 'err'; code: string } | { kind: 'unknown' };

/**
 * `live`: pushed by the server; `history`: part of a HISTORY reply; `unsure`: the connection
 * died during a HISTORY, so whether it was live cannot be told (it still counts as received).
 */
export type Via = 'live' | 'history' | 'unsure';

export type LogEntry =
  | { kind: 'connected'; port: number; at: number }
  | { kind: 'disconnected'; at: number }
  /** `conversation`: the key the checker groups by (see `conversationKey`). */
  | { kind: 'sent'; seq: number; target: string; conversation: string; body: string; at: number }
  | ({ seq: number; at: number } & SendFate)
  /** `target` is the conversation key, so that both sides of a DM log the same one. */
  | { kind: 'got'; target: string; from: string; id: number; ts: string; body: string; via: Via; at: number };

export type ClientLog = { handle: string; entries: LogEntry[] };

/** A direct conversation's key: both handles lower-cased, sorted, joined by a space (as the store keys it). */
export function dmKey(a: string, b: string): string {
  const [x, y] = [nameKey(a), nameKey(b)].sort();
  return `${x} ${y}`;
}

/** The conversation a message to `target` from `from` belongs to: its channel, or the DM pair. */
export const conversationKey = (target: string, from: string): string =>
  target.startsWith('@') ? dmKey(target, from) : nameKey(target);

/** The key of one stored message in the `committed` set the checker takes. */
export const committedKey = (conversation: string, id: number): string => `${conversation}:${id}`;

export type ReconnectOptions = {
  /** JOIN the channels again (needed when nodes do not share a store; masks lost memberships otherwise). */
  rejoin?: boolean;
  /** How long REG is retried while the cluster still thinks the old connection holds the handle. */
  handleTakenRetryMs?: number;
  /** Messages asked for per HISTORY page. */
  pageSize?: number;
};

/** A command in flight; replies come in the order commands were sent. */
type Pending = {
  line: string;
  /** Called with the reply frame and, for HISTORY, the MSG frames received since it became first in line. */
  done(reply: ServerFrame, msgs: MsgFrame[]): void;
  /** The connection ended first. */
  dead(msgs: MsgFrame[]): void;
};

const REPLY_END = new Set(['OK', 'ERR', 'END', 'TIME', 'PONG']);
const TIMEOUT_MS = 10_000;

export class LoggedClient {
  readonly handle: string;
  readonly log: ClientLog;
  /** Channels given to `connect`: the ones HISTORY catches up on, with every DM seen. */
  readonly channels: string[];
  private socket: net.Socket | null = null;
  private pending: Pending[] = [];
  /** MSG frames received while a HISTORY was first in line: live or history, told at its END. */
  private held: MsgFrame[] = [];
  private seq = 0;
  /** Per conversation, what to name in HISTORY (the channel, or the other party of a DM). */
  private readonly historyTargets = new Map<string, string>();
  /** Per conversation, the highest id received: where catching up starts. */
  private readonly lastId = new Map<string, number>();
  private wakers = new Set<() => void>();
  private closed: Promise<void> = Promise.resolve();

  private constructor(handle: string, channels: string[]) {
    this.handle = handle;
    this.channels = channels;
    this.log = { handle, entries: [] };
    for (const ch of channels) this.historyTargets.set(nameKey(ch), ch);
  }

  /** Connect, REG and JOIN each channel; throws unless each is answered OK. */
  static async connect(port: number, handle: string, channels: string[] = []): Promise<LoggedClient> {
    const c = new LoggedClient(handle, channels);
    await c.open(port);
    await c.register(0);
    for (const ch of channels) await c.expectOk(`JOIN ${ch}`);
    return c;
  }

  get connected(): boolean {
    return this.socket !== null;
  }

  /** Every message received, in order. */
  get got(): Array<Extract<LogEntry, { kind: 'got' }>> {
    return this.log.entries.filter((e): e is Extract<LogEntry, { kind: 'got' }> => e.kind === 'got');
  }

  /**
   * Pipeline a MSG (does not wait for earlier ones) whose body is `<tag> <text>`; resolves
   * with its fate once known, which is also logged. Throws if not connected: a send that
   * never left is no send.
   */
  send(target: string, text = ''): Promise<SendFate> {
    if (this.socket === null) throw new Error(`${this.handle} is not connected`);
    const seq = ++this.seq;
    const body = text === '' ? `${this.handle}:${seq}` : `${this.handle}:${seq} ${text}`;
    const conversation = conversationKey(target, this.handle);
    if (target.startsWith('@')) this.historyTargets.set(conversation, target);
    this.record({ kind: 'sent', seq, target, conversation, body, at: Date.now() });
    return new Promise((resolveFate) => {
      const settle = (fate: SendFate) => {
        this.record({ seq, at: Date.now(), ...fate });
        resolveFate(fate);
      };
      this.enqueue(`MSG ${target} ${Buffer.byteLength(body)}\r\n${body}\r\n`, {
        done: (reply) => {
          if (reply.type === 'OK' && /^\d+$/.test(reply.args[0] ?? '')) settle({ kind: 'ok', id: Number(reply.args[0]), ts: reply.args[1] ?? '' });
          else if (reply.type === 'ERR') settle({ kind: 'err', code: reply.code });
          else settle({ kind: 'err', code: `UNEXPECTED ${JSON.stringify(reply)}` }); // e.g. OK MUTED: not stored
        },
        dead: () => settle({ kind: 'unknown' }),
      });
    });
  }

  /** Send one command and wait for its reply frame (events in between are ignored, MSGs logged). */
  command(line: string): Promise<ServerFrame> {
    if (this.socket === null) return Promise.reject(new Error(`${this.handle} is not connected`));
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`${this.handle}: no reply to ${line} within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      this.enqueue(`${line}\r\n`, {
        done: (reply) => (clearTimeout(timer), ok(reply)),
        dead: () => (clearTimeout(timer), fail(new Error(`${this.handle}: the connection closed before ${line} was answered`))),
      });
    });
  }

  /** A barrier: once PONG is back, everything the server queued for us before it has arrived. */
  async settle(): Promise<void> {
    await this.command('PING settle');
  }

  /** Resolve once `done()` holds (checked on every frame); the error names `what`. */
  waitFor(done: () => boolean, what: string, timeoutMs = TIMEOUT_MS): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((ok, fail) => {
      const wake = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.wakers.delete(wake);
        ok();
      };
      const timer = setTimeout(() => {
        this.wakers.delete(wake);
        fail(new Error(`${this.handle}: timed out after ${timeoutMs} ms waiting for ${what}; got ${this.got.length} messages`));
      }, timeoutMs);
      this.wakers.add(wake);
    });
  }

  /**
   * Come back on another node (or the same one restarted): drop the old connection if it is
   * still open, REG the same handle on `port`, then for every conversation known ask
   * `HISTORY <target> <page> after <last id received>`, paging on until a reply is empty
   * (the spec's rule: a reply may stop short of the limit at its byte bound).
   */
  async reconnect(port: number, opts: ReconnectOptions = {}): Promise<void> {
    this.drop();
    await this.closed;
    // Where this client was when the link dropped: live messages on the new connection come
    // before the HISTORY replies and must not move the starting point past the outage.
    const marks = new Map(this.lastId);
    await this.open(port);
    await this.register(opts.handleTakenRetryMs ?? 15_000);
    if (opts.rejoin) for (const ch of this.channels) await this.expectOk(`JOIN ${ch}`);
    for (const [conversation, target] of this.historyTargets) await this.catchUp(marks.get(conversation) ?? 0, target, opts.pageSize ?? 500);
  }

  /** End the connection as a crashed client would (no QUIT); sends in flight become `unknown`. */
  drop(): void {
    this.socket?.destroy();
  }

  /** QUIT and wait for the connection to close. */
  async close(): Promise<void> {
    if (this.socket === null) return;
    this.socket.write('QUIT\r\n');
    const timer = setTimeout(() => this.drop(), 5_000);
    await this.closed;
    clearTimeout(timer);
  }

  private async catchUp(from: number, target: string, pageSize: number): Promise<void> {
    let after = from;
    for (;;) {
      const page = await this.history(`HISTORY ${target} ${pageSize} after ${after}`);
      if (page.length === 0) return;
      after = page[page.length - 1].id;
    }
  }

  /** One HISTORY page; its frames are logged `history`, live ones that came first `live`. */
  private history(line: string): Promise<MsgFrame[]> {
    if (this.socket === null) return Promise.reject(new Error(`${this.handle} is not connected`));
    return new Promise((ok, fail) => {
      this.enqueue(`${line}\r\n`, {
        done: (reply, msgs) => {
          if (reply.type !== 'END' || reply.of !== 'HISTORY') {
            msgs.forEach((m) => this.recordGot(m, 'live'));
            return fail(new Error(`${this.handle}: ${line} was answered ${JSON.stringify(reply)}`));
          }
          // The spec: live deliveries come before the reply's first frame, never inside it.
          const live = msgs.length - reply.count;
          msgs.forEach((m, i) => this.recordGot(m, i < live ? 'live' : 'history'));
          ok(msgs.slice(live));
        },
        dead: (msgs) => {
          msgs.forEach((m) => this.recordGot(m, 'unsure'));
          fail(new Error(`${this.handle}: the connection closed during ${line}`));
        },
      });
    });
  }

  private async expectOk(line: string): Promise<void> {
    const reply = await this.command(line);
    if (reply.type !== 'OK') throw new Error(`${this.handle}: ${line} was answered ${JSON.stringify(reply)}`);
  }

  /** REG, retrying HANDLE_TAKEN for `retryMs`: a killed node's clients may look online a while. */
  private async register(retryMs: number): Promise<void> {
    const until = Date.now() + retryMs;
    for (;;) {
      const reply = await this.command(`REG ${this.handle}`);
      if (reply.type === 'OK') return;
      if (reply.type !== 'ERR' || reply.code !== 'HANDLE_TAKEN' || Date.now() > until) {
        throw new Error(`${this.handle}: REG was answered ${JSON.stringify(reply)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Connect and wait for HELLO (a refused connection gets ERR instead, and fails here). */
  private open(port: number): Promise<void> {
    return new Promise((ok, fail) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      let hello = false;
      // A fresh parser per connection: a frame cut off by a crash must not run into the next one.
      const parser = new Parser(new ServerFrameDecoder(), SERVER_FRAME_LIMITS, (f) => {
        if (f instanceof ProtocolError) return; // not ours to judge; the checker sees what parsed
        if (!hello) {
          hello = true;
          if (f.type === 'HELLO') {
            this.socket = socket;
            this.record({ kind: 'connected', port, at: Date.now() });
            return ok();
          }
          socket.destroy();
          return fail(new Error(`${this.handle}: connecting to ${port} was answered ${JSON.stringify(f)}`));
        }
        this.onFrame(f);
      });
      let ended!: () => void;
      this.closed = new Promise((r) => (ended = r));
      socket.on('data', (chunk) => parser.push(chunk));
      socket.on('error', (e) => {
        if (!hello) fail(new Error(`${this.handle}: cannot connect to ${port}: ${e.message}`));
      });
      socket.on('close', () => {
        if (this.socket === socket) this.onClose();
        if (!hello) fail(new Error(`${this.handle}: ${port} closed the connection before HELLO`));
        ended();
      });
    });
  }

  private enqueue(bytes: string, p: Omit<Pending, 'line'>): void {
    this.pending.push({ line: bytes.split('\r\n')[0], ...p });
    this.socket!.write(bytes);
  }

  private onFrame(f: ServerFrame): void {
    const head = this.pending[0];
    if (f.type === 'MSG') {
      // While a HISTORY is first in line, a MSG may be its reply or live: END tells.
      if (head !== undefined && head.line.toUpperCase().startsWith('HISTORY ')) this.held.push(f);
      else this.recordGot(f, 'live');
    } else if (REPLY_END.has(f.type) && head !== undefined) {
      this.pending.shift();
      const held = this.held;
      this.held = [];
      head.done(f, held);
    }
    this.wake();
  }

  private onClose(): void {
    this.socket = null;
    this.record({ kind: 'disconnected', at: Date.now() });
    const pending = this.pending;
    const held = this.held;
    this.pending = [];
    this.held = [];
    pending.forEach((p, i) => p.dead(i === 0 ? held : []));
    this.wake();
  }

  private recordGot(m: MsgFrame, via: Via): void {
    const conversation = conversationKey(m.target, m.from);
    // The other party of a DM is the one that is not us (a DM to oneself names us twice).
    if (m.target.startsWith('@') && !this.historyTargets.has(conversation)) {
      this.historyTargets.set(conversation, nameKey(m.from) === nameKey(this.handle) ? m.target : m.from);
    }
    this.lastId.set(conversation, Math.max(this.lastId.get(conversation) ?? 0, m.id));
    this.record({ kind: 'got', target: conversation, from: m.from, id: m.id, ts: m.ts, body: fromUtf8(m.body), via, at: Date.now() });
  }

  private record(e: LogEntry): void {
    this.log.entries.push(e);
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }
}
