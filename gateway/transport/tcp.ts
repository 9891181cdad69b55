import net, { type AddressInfo, type Socket } from 'node:net';
import tls, { type SecureContextOptions } from 'node:tls';
import type { Hub } from '../hub/hub.ts';
import type { Session } from './session.ts';
import { isRefusal, refusalBytes, type Admission, type Timeouts } from '../limits/admission.ts';
import { openConnection, type Connection } from './connection.ts';
import type { Conn } from '../hub/conn.ts';
import { encodeServerFrame } from '../../core/index.ts';
import { escapeIac, TelnetFilter, WILL_TIMING_MARK } from './telnet.ts';
import { ProxyPreamble } from './proxy-protocol.ts';
import type { TrustedProxies } from './trusted-proxies.ts';

/** How long a closing connection may take to drain before it is destroyed. */
const CLOSE_GRACE_MS = 5_000;
/** How long a refused connection may take to read its ERR before it is destroyed. */
const REFUSE_GRACE_MS = 2_000;
/**
 * Refused connections still being told why. Past this many (a flood), the next are dropped
 * without a word, so refusing never takes the descriptors kept for everything else.
 */
const MAX_REFUSING = 32;
/**
 * Past this much unsent to the peer, a telnet answer of ours (which its own bytes ask for)
 * stops our reading until the peer has taken it: asking without reading cannot make us
 * hold its output.
 */
const MAX_TELNET_BACKLOG = 64 * 1024;
/** The answer to telnet's AYT (Are You There): what a PING without a token gets. */
const PONG = encodeServerFrame({ type: 'PONG' });
/** Why reading is stopped: the hub holds the commands; a timing mark is owed; telnet answers pile up. */
const HUB = 1;
const MARK = 2;
const DRAIN = 4;

class TcpSession implements Session {
  readonly transport = 'tcp' as const;
  readonly id: string;
  readonly remote: string;
  private readonly socket: Socket;
  /** `remote`: the client a trusted proxy named (PROXY protocol), else the socket's peer. */
  constructor(socket: Socket, id: string, remote: string) {
    this.socket = socket;
    this.id = id;
    this.remote = remote;
  }
  /** Set once the peer has spoken telnet: its client reads a 0xFF as IAC, so each is doubled. */
  telnet = false;
  send(bytes: Uint8Array): void {
    if (this.socket.writable) this.socket.write(this.telnet ? escapeIac(bytes) : bytes);
  }
  /** Telnet's own bytes (negotiation), not escaped. */
  sendTelnet(bytes: Uint8Array): void {
    const s = this.socket;
    if (!s.writable) return;
    s.write(bytes);
    if (s.writableLength > MAX_TELNET_BACKLOG && (this.holds & DRAIN) === 0) {
      this.hold(DRAIN);
      s.once('drain', () => this.release(DRAIN));
    }
  }
  get backlog(): number {
    return this.socket.writableLength;
  }
  /** Why reading is stopped (HUB, MARK, DRAIN); 0 while reading. */
  private holds = 0;
  /** True while the hub holds this connection's commands (a password check is running). */
  get paused(): boolean {
    return (this.holds & HUB) !== 0;
  }
  get reading(): boolean {
    return this.holds === 0;
  }
  hold(why: number): void {
    if (this.holds === 0) this.socket.pause();
    this.holds |= why;
  }
  release(why: number): void {
    if (this.holds === 0) return;
    this.holds &= ~why;
    if (this.holds === 0) this.socket.resume();
  }
  /** What to do once the hub resumes reading: the peer's EOF came while it was paused. */
  afterResume: (() => void) | null = null;
  pause(): void {
    this.hold(HUB);
  }
  whenDrained(then: () => void): void {
    // Looked at on the next turn, after the hub has written this turn's output.
    setImmediate(() => {
      const s = this.socket;
      if (s.writableLength === 0 || s.destroyed) then();
      else s.once('drain', then);
    });
  }
  resume(): void {
    this.release(HUB);
    const then = this.afterResume;
    this.afterResume = null;
    then?.();
  }
  close(last?: Uint8Array): void {
    const s = this.socket;
    if (s.writable) {
      if (last) s.end(last);
      else s.end();
    }
    setTimeout(() => s.destroy(), CLOSE_GRACE_MS).unref();
  }
}

/**
 * Who may connect (shared with the WebSocket side), how long a connection may idle half-way,
 * and, for the TLS port, the certificate (transport/tls.ts).
 */
export type TcpOptions = {
  admission: Admission;
  timeouts: Timeouts;
  tls?: SecureContextOptions;
  /** Peers that must open with a PROXY protocol preamble naming the client (plain port only). */
  trusted?: TrustedProxies;
};

/**
 * How long a trusted proxy may take to send its PROXY preamble. HAProxy writes it with the
 * connection, so this only bounds a proxy (or a person on the proxy's host) that never does.
 */
export const PREAMBLE_TIMEOUT_MS = 5_000;
/**
 * Trusted connections still owing their preamble. HAProxy sends it with the connection, so
 * few are ever waiting; past this many (a proxy gone wrong) the next is closed at once, so
 * they cannot take the descriptors the admitted connections need.
 */
const MAX_PENDING_PREAMBLES = 256;

/**
 * A TLS handshake must finish within this: until it does, a connection is not yet admitted
 * (no address cap counts it), so this is what bounds how long a silent one is held.
 */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * The raw TCP front door: one SLCK parser per connection, straight into the hub. Keepalive
 * finds dead peers; Nagle is off so a reply is not held back waiting for more. With `tls`
 * it is the TLS port: the same door once the handshake is done.
 */
export class TcpListener {
  private readonly server: net.Server | tls.Server;
  private readonly sockets = new Set<Socket>();
  private readonly refusing = new Set<Socket>();
  /** Trusted peers' connections whose PROXY preamble is still being read: not yet admitted. */
  private readonly preambles = new Set<Socket>();
  /** The TLS port's TCP connections, handshake done or not: shutdown ends those still in it. */
  private readonly underTls = new Set<Socket>();
  private readonly hub: Hub;
  private readonly opts: TcpOptions;

  constructor(hub: Hub, opts: TcpOptions) {
    this.hub = hub;
    this.opts = opts;
    // allowHalfOpen: a client that sends its commands and then shuts its side still gets
    // every reply; we end our side once they are written.
    const socketOptions = { allowHalfOpen: true, noDelay: true, keepAlive: true, keepAliveInitialDelay: 30_000 };
    if (opts.tls === undefined) {
      this.server = net.createServer(socketOptions);
      this.server.on('connection', (socket) => this.accept(socket));
    } else {
      // Past the handshake a TLS socket is a TCP socket to everything here (telnet-over-TLS
      // clients exist, so the telnet filter applies too); HELLO goes out once it is secure.
      // Half-open only once secure: a peer gone mid-handshake is closed at once, not held
      // until the handshake timeout.
      const server = tls.createServer({ ...socketOptions, allowHalfOpen: false, ...opts.tls, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS });
      server.on('connection', (raw: Socket) => {
        this.underTls.add(raw);
        raw.once('close', () => this.underTls.delete(raw));
      });
      server.on('secureConnection', (socket) => {
        socket.allowHalfOpen = true;
        this.accept(socket);
      });
      // A failed handshake (an old TLS version, a plain-text client, a scanner) is closed by
      // Node; the line says why a client could not get in, as a refusal's does.
      server.on('tlsClientError', (err, socket) =>
        hub.log.info({ remote: `${socket.remoteAddress}:${socket.remotePort}`, err: err.message }, 'TLS handshake failed'));
      this.server = server;
    }
  }

  /** A new certificate for the connections to come; those open keep theirs (SIGHUP). */
  setSecureContext(options: SecureContextOptions): void {
    if (!(this.server instanceof tls.Server)) throw new Error('this TCP listener does not speak TLS');
    this.server.setSecureContext(options);
  }

  private accept(socket: Socket): void {
    // No address: the peer is already gone.
    if (socket.remoteAddress === undefined) return void socket.destroy();
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    if (this.opts.trusted?.trusts(socket.remoteAddress)) return this.readPreamble(socket, peer);
    // From anyone else a PROXY line is only bytes: the parser answers it as an unknown command.
    this.open(socket, socket.remoteAddress, peer, null);
  }

  /**
   * A trusted proxy's connection: nothing is said and nobody is admitted until its PROXY
   * preamble names the client, so the per-address cap counts the client, not the proxy. A
   * malformed or missing preamble closes it with a line in the log (the proxy is misconfigured).
   */
  private readPreamble(socket: Socket, peer: string): void {
    if (this.preambles.size >= MAX_PENDING_PREAMBLES) {
      this.hub.log.warn({ remote: peer, waiting: this.preambles.size }, 'PROXY preamble refused: too many trusted connections owe theirs');
      return void socket.destroy();
    }
    const preamble = new ProxyPreamble();
    this.preambles.add(socket);
    const stop = (why: string | null) => {
      clearTimeout(timer);
      socket.off('data', onData);
      this.preambles.delete(socket);
      if (why !== null) {
        this.hub.log.warn({ remote: peer, why }, 'PROXY preamble refused: connection closed');
        socket.destroy();
      }
    };
    const timer = setTimeout(() => stop(`no PROXY protocol preamble within ${PREAMBLE_TIMEOUT_MS / 1000} s`), PREAMBLE_TIMEOUT_MS);
    timer.unref();
    const onData = (chunk: Buffer) => {
      const r = preamble.push(chunk);
      if (r.state === 'more') return;
      if (r.state === 'bad') return stop(r.reason);
      stop(null);
      const client = r.source;
      // LOCAL / UNKNOWN: the proxy speaks for itself (a health check). What came after the
      // preamble in this chunk is the client's first bytes; the socket flows on as it was
      // (the session may already have paused it for a password check among those bytes).
      if (client === null) this.open(socket, socket.remoteAddress!, peer, r.rest);
      else this.open(socket, client.address, `${client.address}:${client.port}`, r.rest, peer);
    };
    socket.on('data', onData);
    socket.on('error', () => {});
    socket.once('close', () => stop(null));
  }

  /** Admit a connection from `address` and start its session; `first`: bytes read already. */
  private open(socket: Socket, address: string, remote: string, first: Uint8Array | null, via?: string): void {
    const hub = this.hub;
    const ticket = this.opts.admission.admit(address);
    if (isRefusal(ticket)) return this.refuse(socket, refusalBytes(ticket), ticket.code, remote);
    this.sockets.add(socket);
    const session = new TcpSession(socket, hub.newConnId(), remote);
    if (via !== undefined) hub.log.info({ client: session.id, remote, via }, 'client named by a trusted proxy (PROXY protocol)');
    const connection = openConnection(hub, session, this.opts.timeouts, () => session.reading);
    const conn = connection.conn;
    const input = readTelnet(hub, connection, session);
    if (first !== null && first.length > 0) input.push(first);
    socket.on('data', (chunk) => input.push(chunk));
    // After the replies to everything the peer sent, our FIN.
    socket.on('end', () => input.end(() => {
      hub.disconnect(conn, 'closed');
      socket.end();
    }));
    socket.on('error', (err) => hub.log.info({ client: conn.session.id, err: err.message }, 'socket error'));
    socket.on('close', () => {
      this.sockets.delete(socket);
      ticket.release();
      connection.closed();
    });
  }

  /** One ERR line instead of HELLO, then close; what the peer sends meanwhile is dropped. */
  private refuse(socket: Socket, err: Uint8Array, code: string, remote: string): void {
    this.hub.log.info({ remote, code }, 'connection refused');
    if (this.refusing.size >= MAX_REFUSING) return void socket.destroy();
    this.refusing.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => this.refusing.delete(socket));
    socket.resume();
    socket.end(err);
    setTimeout(() => socket.destroy(), REFUSE_GRACE_MS).unref();
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  get address(): AddressInfo | null {
    return this.server.address() as AddressInfo | null;
  }

  get connections(): number {
    return this.sockets.size;
  }

  /** Stop accepting, and wait (a little) for the connections the hub closed to finish. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const deadline = Date.now() + CLOSE_GRACE_MS;
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const s of this.sockets) s.destroy();
    for (const s of this.refusing) s.destroy();
    for (const s of this.preambles) s.destroy();
    for (const s of this.underTls) s.destroy();
    await closed;
  }
}

/**
 * The TCP port's input: the telnet filter in front of the connection's parser, and what a
 * telnet peer is answered. `end` runs `finish` once everything received has been answered.
 */
function readTelnet(hub: Hub, connection: Connection, session: TcpSession): { push(chunk: Uint8Array): void; end(finish: () => void): void } {
  const conn = connection.conn;
  const answered = new AfterAnswers(hub, conn, session);
  /** The peer's EOF, held while a timing mark holds input that came before it. */
  let finishLater: (() => void) | null = null;
  /**
   * A DO TIMING-MARK or an AYT: nothing more is read (the filter holds the rest of the chunk)
   * until the answers before it are out; then `write` the answer and go on reading.
   */
  const holdFor = (write: () => void) => {
    session.hold(MARK);
    answered.then(() => {
      write();
      telnet.resume();
      if (telnet.waiting) return;
      session.release(MARK);
      const finish = finishLater;
      finishLater = null;
      if (finish !== null) answered.then(finish);
    });
  };
  const telnet: TelnetFilter = new TelnetFilter({
    data: (bytes) => connection.feed(bytes),
    bodyAhead: () => connection.bodyAhead,
    spokeTelnet: () => {
      session.telnet = true;
      // PERSON: the one call site that makes a telnet peer a "person" connection.
      hub.setKind(conn, 'person');
    },
    discardLine: () => connection.discardPartial(),
    areYouThere: () => holdFor(() => session.send(PONG)),
    timingMark: () => holdFor(() => session.sendTelnet(WILL_TIMING_MARK)),
    reply: (bytes) => session.sendTelnet(bytes),
  });
  return {
    push: (chunk) => telnet.push(chunk),
    end(finish) {
      if (telnet.waiting) finishLater = finish;
      else answered.then(finish);
    },
  };
}

/**
 * What must follow the answers to every command received before it: telnet's WILL
 * TIMING-MARK (its meaning: all before it is done) and AYT's PONG, and our FIN after the
 * peer's EOF. It waits while the hub holds the connection's commands (a password check; a
 * paused socket still reports EOF), then for the MSGs among them to have their OKs, then for
 * the hub's flush. What is asked while one wait runs waits for the next. Bounded: nothing is
 * read after a DO TIMING-MARK or an AYT until it is answered, and EOF comes once.
 */
class AfterAnswers {
  private next: Array<() => void> = [];
  private waiting: Array<() => void> | null = null;
  private readonly hub: Hub;
  private readonly conn: Conn;
  private readonly session: TcpSession;

  constructor(hub: Hub, conn: Conn, session: TcpSession) {
    this.hub = hub;
    this.conn = conn;
    this.session = session;
  }

  then(run: () => void): void {
    this.next.push(run);
    this.start();
  }

  private start(): void {
    if (this.waiting !== null || this.next.length === 0) return;
    this.waiting = this.next;
    this.next = [];
    this.wait();
  }

  private readonly wait = (): void => {
    if (this.session.paused) {
      this.session.afterResume = this.wait;
      return;
    }
    this.hub.afterAnswers(this.conn, () => {
      if (this.session.paused) return this.wait();
      const due = this.waiting!;
      this.waiting = null;
      for (const run of due) run();
      this.start();
    });
  };
}
