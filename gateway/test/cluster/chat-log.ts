/**
 * A chat client for the multi-node tests that writes down everything it did and saw, for
 * `check` (checker.ts) to judge afterwards: what it sent (messages, thread replies, edits,
 * deletes, reactions) and how each send ended, and every logged frame delivered to it (MSG,
 * REPLY, EDIT, DELETE, REACT, UNREACT: one conversation log, one id sequence), live or
 * replayed by HISTORY when it came back on another node.
 *
 * It records, it does not judge or dedupe: a frame delivered twice is logged twice. Each
 * body it sends (message, reply, edit) starts with a tag unique in the run (`@handle:seq`),
 * so the checker can tell which send a delivery is, whatever id the server gave it.
 */
import net from 'node:net';
import { Parser, ProtocolError, SERVER_FRAME_LIMITS, ServerFrameDecoder, fromUtf8, nameKey, type ServerFrame } from '../../../core/index.ts';

/** The frames that are entries of a conversation's log (each takes the conversation's next id). */
export const LOGGED_FRAMES = ['MSG', 'REPLY', 'EDIT', 'DELETE', 'REACT', 'UNREACT'] as const;
export type LoggedFrameType = (typeof LOGGED_FRAMES)[number];
export type LoggedFrame = Extract<ServerFrame, { type: LoggedFrameType }>;
const isLogged = (f: ServerFrame): f is LoggedFrame => (LOGGED_FRAMES as readonly string[]).includes(f.type);

/** What a send does: the command it is. */
export type Act = 'msg' | 'reply' | 'edit' | 'delete' | 'react' | 'unreact';
/** The frame the receivers of an act get. */
export const FRAME_OF: Record<Act, LoggedFrameType> = { msg: 'MSG', reply: 'REPLY', edit: 'EDIT', delete: 'DELETE', react: 'REACT', unreact: 'UNREACT' };

/** One send: `id` names the message an edit, delete or reaction changes, `root` a reply's root. */
export type Action =
  | { act: 'msg'; target: string; text?: string }
  | { act: 'reply'; target: string; root: number; text?: string; also?: boolean }
  | { act: 'edit'; target: string; id: number; text?: string }
  | { act: 'delete'; target: string; id: number }
  | { act: 'react' | 'unreact'; target: string; id: number; reaction: string };

/**
 * How a send ended, as far as its client knows. `unknown`: the connection died before the
 * reply; `unchanged`: a bare `OK` (a REACT one already has, an UNREACT one does not): nothing logged.
 */
export type SendFate = { kind: 'ok'; id: number; ts: string } | { kind: 'unchanged' } | { kind: 'err'; code: string } | { kind: 'unknown' };

/**
 * `live`: pushed by the server; `history`: part of a HISTORY reply; `unsure`: the connection
 * died during a HISTORY, so whether it was live cannot be told (it still counts as received).
 */
export type Via = 'live' | 'history' | 'unsure';

export type LogEntry =
  | { kind: 'connected'; port: number; at: number }
  | { kind: 'disconnected'; at: number }
  /**
   * `conversation`: the key the checker groups by (see `conversationKey`); `tag`: `@handle:seq`,
   * unique in the run; `body`: what a message, reply or edit said ('' for the others); `of`:
   * the message an edit, delete or reaction names, or a reply's root.
   */
  | { kind: 'sent'; seq: number; act: Act; tag: string; target: string; conversation: string; body: string; of?: number; reaction?: string; also?: boolean; at: number }
  | ({ seq: number; at: number } & SendFate)
  /**
   * A logged frame. `target` is the conversation key, so that both sides of a DM log the same
   * one; `of`: the message an EDIT, DELETE, REACT or UNREACT names, or a REPLY's root.
   * `frame` absent: MSG (as logs written before issue 17, e.g. by bench/cluster, have it).
   */
  | { kind: 'got'; frame?: LoggedFrameType; target: string; from: string; id: number; ts: string; body: string; of?: number; reaction?: string; also?: boolean; via: Via; at: number };

export type Got = Extract<LogEntry, { kind: 'got' }>;
export type SentEntry = Extract<LogEntry, { kind: 'sent' }>;

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
  /**
   * Called with the reply frame and, for HISTORY and THREAD, the logged frames and state lines
   * received since it became first in line.
   */
  done(reply: ServerFrame, held: ServerFrame[]): void;
  /** The connection ended first. */
  dead(held: ServerFrame[]): void;
};

/** State lines: they follow a message's frame in HISTORY (not `after`) and THREAD. */
const STATE_LINES = new Set(['EDITED', 'DELETED', 'REACTION', 'REPLIES']);
/** Commands whose reply is a run of frames that live frames may precede. */
const HOLDS = /^(HISTORY|THREAD) /i;

const REPLY_END = new Set(['OK', 'ERR', 'END', 'TIME', 'PONG']);
const TIMEOUT_MS = 10_000;

export class LoggedClient {
  readonly handle: string;
  readonly log: ClientLog;
  /** Channels given to `connect`: the ones HISTORY catches up on, with every DM seen. */
  readonly channels: string[];
  private socket: net.Socket | null = null;
  private pending: Pending[] = [];
  /** Frames received while a HISTORY or THREAD was first in line: live or its reply, told at its END. */
  private held: ServerFrame[] = [];
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

  /** Every logged frame received, in order. */
  get got(): Got[] {
    return this.log.entries.filter((e): e is Got => e.kind === 'got');
  }

  /** Every send made, in order. */
  get sent(): SentEntry[] {
    return this.log.entries.filter((e): e is SentEntry => e.kind === 'sent');
  }

  /** The name to address `conversation` by (the channel, or the other party of a DM), if known. */
  targetOf(conversation: string): string | undefined {
    return this.historyTargets.get(conversation);
  }

  /** Pipeline a MSG whose body is `<tag> <text>` (see `act`). */
  send(target: string, text = ''): Promise<SendFate> {
    return this.act({ act: 'msg', target, text });
  }

  /**
   * Pipeline one act (does not wait for earlier ones); a message, reply or edit says
   * `<tag> <text>`. Resolves with its fate once known, which is also logged. Throws if not
   * connected: a send that never left is no send.
   */
  act(a: Action): Promise<SendFate> {
    if (this.socket === null) throw new Error(`${this.handle} is not connected`);
    const seq = ++this.seq;
    const tag = `${this.handle}:${seq}`;
    const text = 'text' in a ? (a.text ?? '') : '';
    const body = a.act === 'msg' || a.act === 'reply' || a.act === 'edit' ? (text === '' ? tag : `${tag} ${text}`) : '';
    const conversation = conversationKey(a.target, this.handle);
    if (a.target.startsWith('@')) this.historyTargets.set(conversation, a.target);
    const of = a.act === 'reply' ? a.root : a.act === 'msg' ? undefined : a.id;
    const entry: SentEntry = { kind: 'sent', seq, act: a.act, tag, target: a.target, conversation, body, at: Date.now() };
    if (of !== undefined) entry.of = of;
    if (a.act === 'react' || a.act === 'unreact') entry.reaction = a.reaction;
    if (a.act === 'reply' && a.also) entry.also = true;
    this.record(entry);
    const len = Buffer.byteLength(body);
    const bytes = {
      msg: () => `MSG ${a.target} ${len}\r\n${body}\r\n`,
      reply: () => `REPLY ${a.target} ${of} ${len}${entry.also ? ' ALSO' : ''}\r\n${body}\r\n`,
      edit: () => `EDIT ${a.target} ${of} ${len}\r\n${body}\r\n`,
      delete: () => `DELETE ${a.target} ${of}\r\n`,
      react: () => `REACT ${a.target} ${of} ${entry.reaction}\r\n`,
      unreact: () => `UNREACT ${a.target} ${of} ${entry.reaction}\r\n`,
    }[a.act]();
    return new Promise((resolveFate) => {
      const settle = (fate: SendFate) => {
        this.record({ seq, at: Date.now(), ...fate });
        resolveFate(fate);
      };
      this.enqueue(bytes, {
        done: (reply) => {
          if (reply.type === 'OK' && /^\d+$/.test(reply.args[0] ?? '')) settle({ kind: 'ok', id: Number(reply.args[0]), ts: reply.args[1] ?? '' });
          else if (reply.type === 'OK' && reply.args.length === 0 && (a.act === 'react' || a.act === 'unreact')) settle({ kind: 'unchanged' });
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

  /** One HISTORY `after` page (a replay of the log); its frames are logged `history`, live ones that came first `live`. */
  private async history(line: string): Promise<LoggedFrame[]> {
    const reply = await this.read(line, true);
    return reply.filter(isLogged);
  }

  /**
   * A HISTORY or THREAD reply: its frames and state lines, in order. Logged frames that came
   * before it are logged `live`; its own frames are logged `history` if `logReply`, else only
   * returned (a read of the final state is not a delivery).
   */
  read(line: string, logReply = false): Promise<ServerFrame[]> {
    if (this.socket === null) return Promise.reject(new Error(`${this.handle} is not connected`));
    return new Promise((ok, fail) => {
      this.enqueue(`${line}\r\n`, {
        done: (reply, held) => {
          if (reply.type !== 'END' || (reply.of !== 'HISTORY' && reply.of !== 'THREAD')) {
            held.forEach((f) => isLogged(f) && this.recordGot(f, 'live'));
            return fail(new Error(`${this.handle}: ${line} was answered ${JSON.stringify(reply)}`));
          }
          // The spec: live frames come before the reply's first frame, never inside it; END
          // counts the reply's logged frames, not its state lines.
          let start = held.length;
          for (let n = 0; n < reply.count && start > 0; ) if (isLogged(held[--start])) n++;
          held.forEach((f, i) => {
            if (i < start && isLogged(f)) this.recordGot(f, 'live');
            else if (i >= start && logReply && isLogged(f)) this.recordGot(f, 'history');
          });
          ok(held.slice(start));
        },
        dead: (held) => {
          if (logReply) held.forEach((f) => isLogged(f) && this.recordGot(f, 'unsure'));
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
    const holding = head !== undefined && HOLDS.test(head.line);
    if (isLogged(f)) {
      // While a HISTORY or THREAD is first in line, a logged frame may be its reply or live: END tells.
      if (holding) this.held.push(f);
      else this.recordGot(f, 'live');
    } else if (STATE_LINES.has(f.type)) {
      if (holding) this.held.push(f);
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

  private recordGot(m: LoggedFrame, via: Via): void {
    const conversation = conversationKey(m.target, m.from);
    // The other party of a DM is the one that is not us (a DM to oneself names us twice).
    if (m.target.startsWith('@') && !this.historyTargets.has(conversation)) {
      this.historyTargets.set(conversation, nameKey(m.from) === nameKey(this.handle) ? m.target : m.from);
    }
    this.lastId.set(conversation, Math.max(this.lastId.get(conversation) ?? 0, m.id));
    const got: Got = { kind: 'got', frame: m.type, target: conversation, from: m.from, id: m.id, ts: m.ts, body: 'body' in m ? fromUtf8(m.body) : '', via, at: Date.now() };
    if (m.type === 'REPLY') {
      got.of = m.root;
      if (m.also) got.also = true;
    } else if (m.type !== 'MSG') got.of = m.of;
    if (m.type === 'REACT' || m.type === 'UNREACT') got.reaction = m.reaction;
    this.record(got);
  }

  private record(e: LogEntry): void {
    this.log.entries.push(e);
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }
}
