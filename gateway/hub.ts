import { Buffer } from 'node:buffer';
import {
  DEFAULT_CHANNEL, ProtocolError, encodeServerFrame, nameKey,
  type Command, type ServerFrame,
} from '../core/index.ts';
import { Conn, addOnline, removeOnline, type Channel, type Departure, type User } from './conn.ts';
import type { Session } from './session.ts';
import type { Store } from './store/store.ts';
import { commands } from './commands/index.ts';
import { SignInLimits } from './sign-in-limits.ts';
import { FloodControl, type GuardOptions } from './flood.ts';
import { ReplyBudget } from './reply-budget.ts';
import { OverloadGovernor, type OverloadOptions } from './overload.ts';
import { summaryRows, type SummaryRow } from './summary.ts';
import { farewell, refuse } from './sentences.ts';

export type Logger = {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
};

export type HubOptions = {
  store: Store;
  log: Logger;
  serverName?: string;
  version: string;
  /** Unread output, in bytes, past which a connection is cut off as a slow consumer. */
  maxOutbound: number;
  /** New claimed handles one address may make per hour (0: no limit). */
  claimsPerHour?: number;
  /** Message rate, channel caps and reply memory (flood.ts, reply-budget.ts); defaults when absent. */
  guards?: Partial<GuardOptions>;
  /** When publishers are held for deep fan-out queues (overload.ts); defaults when absent. */
  overload?: Partial<OverloadOptions>;
};

const EMPTY = new Uint8Array(0);

/**
 * The one in-process hub: users, channels, membership and delivery. It knows connections
 * only as `Session`s. All state changes happen on the event loop, one command at a time,
 * so nothing races. Output is queued per connection and written once per event-loop turn,
 * after the turn's store batch has committed: an `OK` never leaves before its message is
 * stored.
 */
export class Hub {
  readonly store: Store;
  readonly log: Logger;
  readonly version: string;
  readonly serverName: string;
  readonly maxOutbound: number;
  readonly users = new Map<string, User>();
  readonly channels = new Map<string, Channel>();
  /** Every handle ever registered: key -> display case. */
  readonly known = new Map<string, string>();
  /**
   * user key -> people they have exchanged direct messages with since the server started.
   * They hear of each other's presence, as co-members of a channel do.
   */
  private readonly partners = new Map<string, Set<string>>();
  /** user key -> the channels they belong to, online or not: what REG puts them back in. */
  private readonly memberships = new Map<string, Set<Channel>>();
  readonly conns = new Set<Conn>();
  readonly signIn: SignInLimits;
  readonly flood: FloodControl;
  readonly replies: ReplyBudget;
  readonly overload: OverloadGovernor;
  /** Summary rows of connections that have ended (bounded). */
  readonly ended: SummaryRow[] = [];
  private nextConnId = 1;
  private dirtyConns: Conn[] = [];
  private flushScheduled = false;
  /** Delivery frames and OK replies of the batch not yet committed, to undo if it fails. */
  private batchFrames: Uint8Array[] = [];
  private batchOks: { ok: Uint8Array; conn: Conn; target: string }[] = [];
  /** Commands waiting to hear whether the open batch, holding their writes, committed. */
  private commitWaiters: Array<(stored: boolean) => void> = [];
  /** Handles being registered or claimed, whose writes wait on a commit: not free to others. */
  readonly registering = new Set<string>();
  private closing = false;
  /** The connection whose command is running: what is queued for it answers it. */
  private answering: Conn | null = null;

  constructor(opts: HubOptions) {
    this.store = opts.store;
    this.log = opts.log;
    this.version = opts.version;
    this.serverName = opts.serverName ?? 'slck';
    this.maxOutbound = opts.maxOutbound;
    this.signIn = new SignInLimits({ claimsPerHour: opts.claimsPerHour ?? 20 });
    this.flood = new FloodControl(opts.guards);
    this.overload = new OverloadGovernor(opts.overload);
    this.replies = new ReplyBudget(opts.maxOutbound, this.flood.options.maxReplyMemory, this.flood.options.replyStallMs, (conn) => {
      this.log.warn({ client: conn.session.id, user: conn.user?.handle }, 'slow consumer: replies unread while others wait');
      this.end(conn, 'slow consumer', farewell.repliesUnread());
    });
    for (const handle of this.store.listUsers()) this.known.set(nameKey(handle), handle);
    for (const ch of this.store.listChannels()) {
      const channel = this.channel(ch.name, false);
      for (const m of ch.members) this.addMember(channel, nameKey(m));
    }
    if (!this.channels.has(nameKey(DEFAULT_CHANNEL))) this.channel(DEFAULT_CHANNEL, true);
    this.commitNow();
  }

  newConnId(): string {
    return `c${this.nextConnId++}`;
  }

  // ------------------------------------------------------------ connection lifecycle

  connect(session: Session): Conn {
    const conn = new Conn(session);
    this.conns.add(conn);
    if (this.closing) {
      this.end(conn, 'shutdown', farewell.shutdown());
      return conn;
    }
    this.reply(conn, {
      type: 'HELLO', server: this.serverName, version: this.version, clientId: session.id,
      text: 'Welcome to SLCK. REG @handle to start, HELP for commands.',
    });
    this.log.info({ client: session.id, remote: session.remote, transport: session.transport }, 'connected');
    return conn;
  }

  /** A parsed command, or the error the parser found, in wire order. */
  receive(conn: Conn, input: Command | ProtocolError): void {
    if (conn.closed) return;
    if (conn.inbox !== null) {
      conn.inbox.push(input);
      return;
    }
    this.run(conn, input);
  }

  private run(conn: Conn, input: Command | ProtocolError): void {
    if (input instanceof ProtocolError) {
      this.error(conn, input);
      return;
    }
    // Flood control (flood.ts): a MSG with no token due waits, and so does all after it.
    const wait = input.type === 'MSG' ? this.flood.msgWait(this, conn) : 0;
    if (wait > 0) {
      conn.inbox = [input];
      conn.session.pause();
      setTimeout(() => this.drainInbox(conn), wait).unref();
      return;
    }
    // Overload (overload.ts): while many recipients' queues are deep, publishers wait.
    if (input.type === 'MSG' && this.overload.engaged) {
      conn.inbox = [input];
      conn.session.pause();
      this.overload.hold(() => this.drainInbox(conn));
      return;
    }
    const entry = commands[input.type];
    if (entry.needsUser && conn.user === null) {
      this.reply(conn, refuse.notRegistered());
      return;
    }
    let result: void | Promise<void>;
    this.answering = conn;
    try {
      result = (entry.run as (h: Hub, c: Conn, cmd: Command) => void | Promise<void>)(this, conn, input);
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
      result.catch((e) => this.fail(conn, e)).finally(() => this.drainInbox(conn));
      return;
    }
    // Backpressure: a client whose answers pile up unread (a pipeline of HISTORY, say) is not
    // read from until it has taken them, so what it is owed stays bounded.
    if (conn.owed + conn.ownQueued > this.maxOutbound && !conn.closed) {
      conn.inbox = [];
      conn.session.pause();
      conn.session.whenDrained(() => {
        conn.owed = 0;
        this.drainInbox(conn);
      });
    }
  }

  private drainInbox(conn: Conn): void {
    const waiting = conn.inbox ?? [];
    conn.inbox = null;
    if (conn.closed) return;
    for (let i = 0; i < waiting.length; i++) {
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
    if (conn.departure === 'connected') conn.departure = how;
    const user = conn.user;
    if (user !== null) {
      conn.user = null;
      this.users.delete(user.key);
      const offline = encodeServerFrame({ type: 'OFFLINE', user: user.handle });
      for (const ch of user.channels) removeOnline(ch, conn);
      this.toCoMembers(user, offline);
    }
    this.ended.push(...summaryRows([conn]));
    if (this.ended.length > 10_000) this.ended.splice(0, this.ended.length - 10_000);
    this.log.info({ client: conn.session.id, user: user?.handle, how: conn.departure }, 'disconnected');
  }

  /** Send a last frame, flush, and close the connection. */
  end(conn: Conn, how: Departure, bye: ServerFrame): void {
    if (conn.closed) return;
    conn.departure = how;
    // Whatever is queued goes first, after the store batch it may depend on commits.
    if (conn.dirty) this.flush();
    if (conn.closed) return;
    conn.session.close(encodeServerFrame(bye));
    this.disconnect(conn, how);
  }

  // ------------------------------------------------------------ output

  reply(conn: Conn, frame: ServerFrame): void {
    this.send(conn, encodeServerFrame(frame), true);
  }

  error(conn: Conn, e: ProtocolError): void {
    this.reply(conn, { type: 'ERR', code: e.code, text: e.message });
  }

  /** Queue bytes for a connection; written at the end of this event-loop turn. */
  send(conn: Conn, bytes: Uint8Array, own = false): void {
    if (conn.closed) return;
    conn.queue.push(bytes);
    conn.queued += bytes.length;
    if (own || conn === this.answering) conn.ownQueued += bytes.length;
    if (!conn.dirty) {
      conn.dirty = true;
      this.dirtyConns.push(conn);
      this.scheduleFlush();
    }
  }

  private scheduleFlush(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  /**
   * Whether the writes the caller has just staged are durable: resolves after the batch that
   * holds them commits (true) or fails and is undone (false). A command that changes state
   * awaits this before it changes the hub's memory or answers, so an OK means committed.
   */
  committed(): Promise<boolean> {
    return new Promise((resolve) => {
      this.commitWaiters.push(resolve);
      this.scheduleFlush();
    });
  }

  /** Queue an `OK id ts` whose message is in the open store batch. */
  sendStoredOk(conn: Conn, ok: Uint8Array, delivery: Uint8Array, target: string): void {
    this.batchOks.push({ ok, conn, target });
    this.batchFrames.push(delivery);
    this.send(conn, ok);
  }

  /** One channel's online members get the same bytes, except `skip`. */
  broadcast(ch: Channel, bytes: Uint8Array, skip: Conn | null = null): void {
    const online = ch.online;
    for (let i = 0; i < online.length; i++) {
      const c = online[i];
      if (c !== skip) this.send(c, bytes);
    }
  }

  /** Everyone who shares a channel with `user`, or has direct messages with them, each once. */
  toCoMembers(user: User, bytes: Uint8Array): void {
    const seen = new Set<Conn>([user.conn]);
    for (const ch of user.channels) {
      for (const c of ch.online) {
        if (!seen.has(c)) {
          seen.add(c);
          this.send(c, bytes);
        }
      }
    }
    for (const key of this.partners.get(user.key) ?? []) {
      const c = this.users.get(key)?.conn;
      if (c !== undefined && !seen.has(c)) {
        seen.add(c);
        this.send(c, bytes);
      }
    }
  }

  /** Two users have exchanged a direct message: each hears of the other's presence from now. */
  noteDirect(a: string, b: string): void {
    if (a === b) return;
    for (const [x, y] of [[a, b], [b, a]]) {
      let set = this.partners.get(x);
      if (set === undefined) this.partners.set(x, (set = new Set()));
      set.add(y);
    }
  }

  /** Commit the turn's store batch, then write every connection's queue in one go. */
  readonly flush = (): void => {
    this.flushScheduled = false;
    const stored = this.commitNow();
    const failed = stored ? null : new Set(this.batchFrames);
    const oks = this.batchOks;
    this.batchFrames = [];
    this.batchOks = [];
    if (failed !== null) {
      this.log.error({ messages: oks.length, err: this.store.lastFailure ?? undefined }, 'store commit failed; messages refused');
      for (const { ok, conn, target } of oks) {
        const i = conn.queue.indexOf(ok);
        const err = encodeServerFrame(refuse.messageNotStored(target));
        if (i >= 0) {
          conn.queued += err.length - ok.length;
          conn.queue[i] = err;
        }
        conn.sent--;
      }
    }
    const dirty = this.dirtyConns;
    this.dirtyConns = [];
    for (let i = 0; i < dirty.length; i++) this.writeNow(dirty[i], failed);
    const waiters = this.commitWaiters;
    this.commitWaiters = [];
    for (const w of waiters) w(stored);
  };

  private commitNow(): boolean {
    return this.store.dirty ? this.store.commit() : true;
  }

  private writeNow(conn: Conn, failed: Set<Uint8Array> | null = null): void {
    conn.dirty = false;
    let queue = conn.queue;
    const own = conn.ownQueued;
    conn.ownQueued = 0;
    if (queue.length === 0 || conn.closed) {
      conn.queue = [];
      conn.queued = 0;
      return;
    }
    let total = conn.queued;
    if (failed !== null) {
      // Deliveries of the failed batch are withdrawn: count what is left, or concat would
      // pad the stream with zero bytes in their place.
      queue = queue.filter((b) => !failed.has(b));
      total = 0;
      for (const b of queue) total += b.length;
    }
    const bytes = queue.length === 1 ? queue[0] : queue.length === 0 ? EMPTY : Buffer.concat(queue, total);
    conn.queue = [];
    conn.queued = 0;
    // The socket sends in order, so of what was unsent before this write, no more than all
    // of it can still be owed.
    const session = conn.session;
    const before = session.backlog;
    if (bytes.length > 0) session.send(bytes);
    conn.owed = Math.min(conn.owed, before) + own;
    this.overload.wrote(conn, session.backlog - conn.owed);
    if (session.backlog - conn.owed > this.maxOutbound) {
      this.log.warn({ client: conn.session.id, user: conn.user?.handle, backlog: conn.session.backlog }, 'slow consumer');
      this.end(conn, 'slow consumer', farewell.slowConsumer(this.maxOutbound));
    }
  }

  // ------------------------------------------------------------ state helpers

  /** The channel, created (and stored) when `create` is set and it does not exist yet. */
  channel(name: string, create: true): Channel;
  channel(name: string, create: boolean): Channel;
  channel(name: string, create: boolean): Channel {
    const key = nameKey(name);
    let ch = this.channels.get(key);
    if (ch === undefined) {
      ch = { key, name, members: new Set(), online: [], slot: new Map() };
      this.channels.set(key, ch);
      if (create) this.store.addChannel(name);
    }
    return ch;
  }

  /** Make a user a member (membership only: see `seat` for an online user). */
  addMember(ch: Channel, userKey: string): void {
    ch.members.add(userKey);
    let of = this.memberships.get(userKey);
    if (of === undefined) this.memberships.set(userKey, (of = new Set()));
    of.add(ch);
  }

  removeMember(ch: Channel, userKey: string): void {
    ch.members.delete(userKey);
    this.memberships.get(userKey)?.delete(ch);
  }

  /** The channels a user belongs to, in the order they joined. */
  channelsOf(userKey: string): Iterable<Channel> {
    return this.memberships.get(userKey) ?? [];
  }

  /** Put an online user in a channel they belong to. */
  seat(user: User, ch: Channel): void {
    user.channels.add(ch);
    addOnline(ch, user.conn);
  }

  // ------------------------------------------------------------ shutdown

  /** Tell everyone, flush, close every connection. Returns the summary rows. */
  shutdown(): SummaryRow[] {
    this.closing = true;
    const live = [...this.conns];
    for (const conn of live) {
      this.end(conn, 'shutdown', farewell.shutdown());
    }
    this.flush();
    return [...this.ended];
  }
}
