import { Buffer } from 'node:buffer';
import {
  ProtocolError, encodeFrameFor,
  type Command, type ReaderKind, type ServerFrame,
} from '../../core/index.ts';
import { Conn, type Departure, type Slot, type User } from './conn.ts';
import type { Session } from '../transport/session.ts';
import type { Caller, Chat, ChatHost, Registered } from '../chat/chat.ts';
import { TurnShares } from './turn-shares.ts';
import { Fanout } from './fanout.ts';
import { commands } from '../commands/index.ts';
import type { CommandContext } from '../commands/types.ts';
import { EXPENSIVE_READS, type FloodControl } from '../limits/flood.ts';
import { LOGGED_WRITES, takesMsgToken } from './rated-commands.ts';
import { ReplyBudget } from './reply-budget.ts';
import { OverloadGovernor, type OverloadOptions } from './overload.ts';
import { summaryRows, type SummaryRow } from './summary.ts';
import { LiveReads } from './live-reads.ts';
import { farewell, refuse } from '../sentences.ts';
import type { Logger } from '../logger.ts';

export type { Logger };

/** What the hub reports for /metrics (metrics.ts implements it). */
export type HubMetrics = {
  connectionOpened(transport: 'tcp' | 'ws'): void;
  connectionClosed(transport: 'tcp' | 'ws'): void;
  command(verb: string, ok: boolean): void;
  delivered(n: number): void;
  slowConsumerCut(): void;
};

export type HubOptions<C extends Chat = Chat> = {
  log: Logger;
  /** This node's name, which connection ids are unique within. */
  nodeId: string;
  serverName?: string;
  version: string;
  /** Unread output, in bytes, past which a connection is cut off as a slow consumer. */
  maxOutbound: number;
  /** Message rate, channel caps and reply memory (flood.ts, reply-budget.ts), shared with the chat rules. */
  flood: FloodControl;
  /**
   * The chat rules, made for this hub: they are told what commits through the hub's fan-out
   * (their `ChatHost`), which exists only once the hub does, so the hub calls this once.
   */
  chat: (host: ChatHost) => C;
  /** When publishers are held for deep fan-out queues (overload.ts); defaults when absent. */
  overload?: Partial<OverloadOptions>;
  /** How often, at most, what a person was shown live moves a read mark (live-reads.ts); 1 s when absent. */
  liveReadMs?: number;
  metrics?: HubMetrics;
};

const EMPTY = new Uint8Array(0);
/** MSGs one connection may have awaiting their commit before it is read from no more. */
const MAX_UNFILLED = 256;

/**
 * This node's connections: their output queues, the channels they sit in here, and the
 * fan-out of what the chat rules commit (`deliver`, `apply`), each frame encoded once. It
 * knows connections only as `Session`s, and the rest of the cluster only through `Chat`.
 * Output is queued per connection and written once per event-loop turn; a reply that waits
 * on a commit holds its place (a `Slot`), so replies leave in command order.
 */
export class Hub<C extends Chat = Chat> implements CommandContext {
  readonly chat: C;
  readonly log: Logger;
  readonly nodeId: string;
  readonly version: string;
  readonly serverName: string;
  readonly maxOutbound: number;
  /** Who is signed in here, where they sit, and what they are told: the chat rules' `ChatHost`. */
  readonly fanout: Fanout;
  readonly conns = new Set<Conn>();
  readonly flood: FloodControl;
  readonly replies: ReplyBudget;
  readonly overload: OverloadGovernor;
  /** What people were shown live, on its way to their read marks. */
  readonly liveReads: LiveReads;
  /** Summary rows of connections that have ended (bounded). */
  readonly ended: SummaryRow[] = [];
  readonly metrics: HubMetrics | undefined;
  private nextConnId = 1;
  private dirtyConns: Conn[] = [];
  private flushScheduled = false;
  private closing = false;
  /** The connection whose command is running: what is queued for it answers it. */
  private answering: Conn | null = null;
  /** Each connection's share of an event-loop turn (fair service, turn-shares.ts). */
  private readonly shares = new TurnShares();

  constructor(opts: HubOptions<C>) {
    this.log = opts.log;
    this.nodeId = opts.nodeId;
    this.version = opts.version;
    this.serverName = opts.serverName ?? 'slck';
    this.maxOutbound = opts.maxOutbound;
    this.metrics = opts.metrics;
    this.fanout = new Fanout({
      send: (conn, bytes) => this.send(conn, bytes),
      end: (conn, how, bye) => this.end(conn, how, bye),
      sendAfter: (conn, after, bytes) => this.sendAfter(conn, after, [bytes]),
      delivered: (handle, messages) => this.chat.delivered(handle, messages),
      shown: (conn, target, id) => this.liveReads.shown(conn, target, id),
      metrics: opts.metrics,
    }, opts.nodeId);
    this.chat = opts.chat(this.fanout);
    this.liveReads = new LiveReads((user, target, id) => {
      // A refusal (they left the channel meanwhile) leaves the mark where it was.
      void Promise.resolve(this.chat.read(user, target, id)).catch((err: unknown) => this.log.warn({ err, user: user.handle }, 'live read mark not stored'));
    }, opts.liveReadMs);
    this.flood = opts.flood;
    this.overload = new OverloadGovernor(opts.overload);
    this.replies = new ReplyBudget(opts.maxOutbound, this.flood.options.maxReplyMemory, this.flood.options.replyStallMs, (conn) => {
      this.log.warn({ client: conn.session.id, user: conn.user?.handle }, 'slow consumer: replies unread while others wait');
      this.metrics?.slowConsumerCut();
      this.end(conn, 'slow consumer', farewell.repliesUnread());
    });
  }

  /** Users signed in on this node. */
  get users(): ReadonlyMap<string, User> {
    return this.fanout.users;
  }

  newConnId(): string {
    return `c${this.nextConnId++}`;
  }

  // ------------------------------------------------------------ connection lifecycle

  connect(session: Session): Conn {
    const conn = new Conn(session);
    this.conns.add(conn);
    this.metrics?.connectionOpened(session.transport);
    if (this.closing) {
      this.end(conn, 'shutdown', farewell.shutdown());
      return conn;
    }
    this.reply(conn, {
      type: 'HELLO', server: this.serverName, version: this.version, clientId: session.id,
      text: 'Welcome to SLCK. REG @handle to start, SAY #general <text> to talk, MODE text at a terminal, HELP for commands.',
    });
    this.log.info({ client: session.id, remote: session.remote, transport: session.transport }, 'connected');
    return conn;
  }

  /**
   * A sign of who reads the connection (the TCP port saw telnet: `person`). It stays so:
   * only MODE changes it back, and after MODE no sign changes it (spec: MODE).
   */
  setKind(conn: Conn, kind: ReaderKind): void {
    conn.looksLike(kind);
  }

  /** A parsed command, or the error the parser found, in wire order. */
  receive(conn: Conn, input: Command | ProtocolError): void {
    if (conn.closed) return;
    if (conn.inbox !== null) {
      conn.inbox.push(input);
      return;
    }
    if (this.shares.spent(conn)) return this.defer(conn, [input]);
    this.run(conn, input);
  }

  /** Its share of this turn is spent: `waiting` runs on a later turn, after others' input. */
  private defer(conn: Conn, waiting: (Command | ProtocolError)[]): void {
    conn.inbox = waiting;
    conn.session.pause();
    setImmediate(() => this.resumeDeferred(conn));
  }

  /** A deferred connection's next share, when this turn's deferred shares leave room for it. */
  private resumeDeferred(conn: Conn): void {
    if (this.shares.deferredMayRun()) this.drainInbox(conn);
    else setImmediate(() => this.resumeDeferred(conn));
  }

  private run(conn: Conn, input: Command | ProtocolError): void {
    if (input instanceof ProtocolError) {
      this.metrics?.command('other', false);
      this.error(conn, input);
      return;
    }
    // Flood control (flood.ts): a MSG (or a moderation write: rated-commands.ts) with no token
    // due waits, and so does all after it. Expensive reads draw on a bucket of their own the same way.
    const wait = takesMsgToken(input) ? this.flood.msgWait(conn, this.isExempt)
      : EXPENSIVE_READS.has(input.type) ? this.flood.readWait(conn, this.isExempt) : 0;
    if (wait > 0) return this.hold(conn, input, (go) => setTimeout(go, wait).unref());
    // Overload (overload.ts): while many recipients' queues are deep, publishers wait.
    if (LOGGED_WRITES.has(input.type) && this.overload.engaged) return this.hold(conn, input, (go) => this.overload.hold(go));
    const entry = commands[input.type];
    this.metrics?.command(input.type, true);
    if (entry.needsUser && conn.user === null) {
      this.reply(conn, refuse.notRegistered());
      return;
    }
    let result: void | Promise<void>;
    this.answering = conn;
    try {
      result = (entry.run as (h: CommandContext, c: Conn, cmd: Command) => void | Promise<void>)(this, conn, input);
    } catch (e) {
      this.fail(conn, e);
      return;
    } finally {
      this.answering = null;
    }
    if (result instanceof Promise) {
      // Later commands wait, so replies stay in order; reading pauses meanwhile.
      conn.inbox = [];
      conn.session.pause();
      result.catch((e) => this.fail(conn, e)).finally(() => {
        if (!this.backpressure(conn)) this.drainInbox(conn);
      });
      return;
    }
    if (this.backpressure(conn)) {
      conn.inbox = [];
      conn.session.pause();
    }
  }

  /**
   * Backpressure: a client whose answers pile up unread (a pipeline of HISTORY, say), or
   * whose MSGs wait on commits in the hundreds, is not read from until they are done. True
   * when it is held: its inbox then drains once that is over.
   */
  private backpressure(conn: Conn): boolean {
    if (conn.closed) return false;
    if (conn.unfilled >= MAX_UNFILLED) {
      conn.slotWaiter = () => this.drainInbox(conn);
      return true;
    }
    if (conn.owed + conn.ownQueued > this.maxOutbound) {
      conn.session.whenDrained(() => {
        conn.owed = 0;
        this.drainInbox(conn);
      });
      return true;
    }
    return false;
  }

  /** Hold `input` and everything after it until `after` calls back. */
  private hold(conn: Conn, input: Command, after: (go: () => void) => void): void {
    conn.inbox = [input];
    conn.session.pause();
    after(() => this.drainInbox(conn));
  }

  private readonly isExempt = (key: string): boolean => this.chat.isExempt(key);

  private drainInbox(conn: Conn): void {
    const waiting = conn.inbox ?? [];
    conn.inbox = null;
    if (conn.closed || conn.ending !== null) return;
    for (let i = 0; i < waiting.length; i++) {
      if (this.shares.spent(conn)) return this.defer(conn, i === 0 ? waiting : waiting.slice(i));
      this.run(conn, waiting[i]);
      const inbox = conn.inbox as (Command | ProtocolError)[] | null;
      if (inbox !== null) {
        // Another asynchronous command: what follows it waits again.
        inbox.push(...waiting.slice(i + 1));
        return;
      }
    }
    conn.session.resume();
  }

  private fail(conn: Conn, e: unknown): void {
    if (e instanceof ProtocolError) return this.error(conn, e);
    this.log.error({ err: e, client: conn.session.id }, 'command failed');
    this.reply(conn, refuse.serverBusy());
  }

  /** The transport's connection ended (EOF, reset, timeout, or our own close). */
  disconnect(conn: Conn, how: Departure = 'closed'): void {
    if (!this.conns.delete(conn)) return;
    conn.closed = true;
    this.metrics?.connectionClosed(conn.session.transport);
    if (conn.departure === 'connected') conn.departure = how;
    const user = conn.user;
    if (user !== null) {
      // What this person was shown is marked read now, not a second later from nowhere.
      if (conn.kind === 'person') this.liveReads.flushUser(user.key);
      this.fanout.remove(conn);
      this.chat.signOff({ key: user.key, handle: user.handle, conn: conn.session.id });
    }
    this.ended.push(...summaryRows([conn]));
    if (this.ended.length > 10_000) this.ended.splice(0, this.ended.length - 10_000);
    this.log.info({ client: conn.session.id, user: user?.handle, how: conn.departure }, 'disconnected');
  }

  /** Send a last frame after what is queued, and close. Replies awaiting commits go first. */
  end(conn: Conn, how: Departure, bye: ServerFrame): void {
    if (conn.closed || conn.ending !== null) return;
    conn.departure = how;
    if (conn.unfilled > 0) {
      conn.ending = { how, bye: this.encode(conn, bye) };
      conn.inbox = [];
      conn.session.pause();
      return;
    }
    this.close(conn, how, this.encode(conn, bye));
  }

  private close(conn: Conn, how: Departure, bye: Uint8Array): void {
    if (conn.dirty) this.writeNow(conn);
    if (conn.closed) return;
    conn.session.close(bye);
    this.disconnect(conn, how);
  }

  // ------------------------------------------------------------ CommandContext

  caller(conn: Conn): Caller {
    const u = conn.user!;
    return { key: u.key, handle: u.handle, conn: conn.session.id };
  }

  reply(conn: Conn, frame: ServerFrame): void {
    this.send(conn, this.encode(conn, frame), true);
  }

  /** A frame's bytes for this connection's kind of reader (fan-out shares them per kind: frame-bytes.ts). */
  encode(conn: Conn, frame: ServerFrame): Uint8Array {
    return encodeFrameFor(conn.kind, frame, conn.user?.handle);
  }

  sendOwn(conn: Conn, bytes: Uint8Array): void {
    this.send(conn, bytes, true);
  }

  error(conn: Conn, e: ProtocolError): void {
    this.reply(conn, { type: 'ERR', code: e.code, text: e.message });
  }

  later(conn: Conn, answer: Promise<ServerFrame>): void {
    this.slot(conn, true, answer.catch((e: unknown) => {
      this.log.error({ err: e, client: conn.session.id }, 'command failed');
      return refuse.serverBusy() as ServerFrame;
    }).then((frame) => this.encode(conn, frame)));
  }

  sendAfter(conn: Conn, after: Promise<unknown>, frames: Uint8Array[], own = false): void {
    if (frames.length === 0) return;
    const bytes = frames.length === 1 ? frames[0] : Buffer.concat(frames);
    this.slot(conn, own, after.then(() => bytes, () => bytes));
  }

  /** A place in the connection's output for bytes known later; what follows waits behind it. */
  private slot(conn: Conn, own: boolean, filled: Promise<Uint8Array>): void {
    if (conn.closed) return;
    const slot: Slot = { bytes: null };
    conn.queue.push(slot);
    conn.unfilled++;
    void filled.then((bytes) => {
      if (conn.closed) return;
      slot.bytes = bytes;
      conn.unfilled--;
      conn.queued += bytes.length;
      if (own) conn.ownQueued += bytes.length;
      this.markDirty(conn);
      if (conn.slotWaiter !== null && conn.unfilled < MAX_UNFILLED / 2) {
        const go = conn.slotWaiter;
        conn.slotWaiter = null;
        go();
      }
      if (conn.ending !== null && conn.unfilled === 0) this.close(conn, conn.ending.how, conn.ending.bye);
      if (conn.answered !== null && conn.unfilled === 0) {
        const then = conn.answered;
        conn.answered = null;
        setImmediate(then);
      }
    });
  }

  /** Call `then` once every command run so far has its answer written (after this turn's flush). */
  afterAnswers(conn: Conn, then: () => void): void {
    if (conn.unfilled === 0 || conn.closed) setImmediate(then);
    else conn.answered = then;
  }

  signIn(conn: Conn, r: Registered): void {
    this.fanout.add(conn, r.handle, r.channels.map((c) => c.name));
    conn.lastHandle = r.handle;
    this.reply(conn, { type: 'OK', args: [] });
    for (const c of r.channels) this.reply(conn, { type: 'JOINED', channel: c.name, user: r.handle });
    this.log.info({ client: conn.session.id, user: r.handle }, 'registered');
  }

  // ------------------------------------------------------------ output

  /** Queue bytes for a connection; written at the end of this event-loop turn. */
  send(conn: Conn, bytes: Uint8Array, own = false): void {
    if (conn.closed) return;
    conn.queue.push(bytes);
    conn.queued += bytes.length;
    if (own || conn === this.answering) {
      conn.ownQueued += bytes.length;
      conn.turnBytes += bytes.length;
    }
    this.markDirty(conn);
  }

  private markDirty(conn: Conn): void {
    if (conn.dirty || conn.closed) return;
    conn.dirty = true;
    this.dirtyConns.push(conn);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Write every connection's queue, each in one go. */
  readonly flush = (): void => {
    this.flushScheduled = false;
    const dirty = this.dirtyConns;
    this.dirtyConns = [];
    for (let i = 0; i < dirty.length; i++) this.writeNow(dirty[i]);
  };

  private writeNow(conn: Conn): void {
    conn.dirty = false;
    const queue = conn.queue;
    if (queue.length === 0 || conn.closed) {
      conn.queue = [];
      conn.queued = 0;
      conn.ownQueued = 0;
      return;
    }
    // Up to the first reply still waiting on its commit; the rest goes once it is filled.
    const parts: Uint8Array[] = [];
    let total = 0;
    let n = 0;
    for (; n < queue.length; n++) {
      const e = queue[n];
      const b = e instanceof Uint8Array ? e : e.bytes;
      if (b === null) break;
      parts.push(b);
      total += b.length;
    }
    conn.queue = n === queue.length ? [] : queue.slice(n);
    conn.queued -= total;
    const own = Math.min(conn.ownQueued, total);
    conn.ownQueued -= own;
    const bytes = parts.length === 1 ? parts[0] : parts.length === 0 ? EMPTY : Buffer.concat(parts, total);
    // The socket sends in order, so of what was unsent before this write, no more than all
    // of it can still be owed.
    const session = conn.session;
    const before = session.backlog;
    if (bytes.length > 0) session.send(bytes);
    conn.owed = Math.min(conn.owed, before) + own;
    this.overload.wrote(conn, session.backlog - conn.owed);
    if (session.backlog - conn.owed > this.maxOutbound) {
      this.log.warn({ client: conn.session.id, user: conn.user?.handle, backlog: conn.session.backlog }, 'slow consumer');
      this.metrics?.slowConsumerCut();
      conn.queue = [];
      conn.unfilled = 0;
      conn.ending = null;
      this.end(conn, 'slow consumer', farewell.slowConsumer(this.maxOutbound));
    }
  }

  // ------------------------------------------------------------ shutdown

  /** Let pending commits finish, tell everyone, flush, close. Returns the summary rows. */
  async shutdown(): Promise<SummaryRow[]> {
    this.closing = true;
    this.liveReads.flush();
    await Promise.race([this.chat.settled(), new Promise((r) => setTimeout(r, 5_000).unref())]);
    // The OKs of the last commit are filled on the turns after it settles.
    await new Promise((r) => setImmediate(r));
    for (const conn of [...this.conns]) this.end(conn, 'shutdown', farewell.shutdown());
    this.flush();
    return [...this.ended];
  }
}
