import net, { type AddressInfo, type Socket } from 'node:net';
import type { Hub } from '../hub/hub.ts';
import type { Session } from './session.ts';
import { isRefusal, refusalBytes, type Admission, type Timeouts } from '../limits/admission.ts';
import { openConnection } from './connection.ts';

/** How long a closing connection may take to drain before it is destroyed. */
const CLOSE_GRACE_MS = 5_000;
/** How long a refused connection may take to read its ERR before it is destroyed. */
const REFUSE_GRACE_MS = 2_000;
/**
 * Refused connections still being told why. Past this many (a flood), the next are dropped
 * without a word, so refusing never takes the descriptors kept for everything else.
 */
const MAX_REFUSING = 32;

class TcpSession implements Session {
  readonly transport = 'tcp' as const;
  readonly id: string;
  readonly remote: string;
  private readonly socket: Socket;
  constructor(socket: Socket, id: string) {
    this.socket = socket;
    this.id = id;
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
  }
  send(bytes: Uint8Array): void {
    if (this.socket.writable) this.socket.write(bytes);
  }
  get backlog(): number {
    return this.socket.writableLength;
  }
  /** Set while the hub holds this connection's commands (a password check is running). */
  paused = false;
  /** What to do once the hub resumes reading: the peer's EOF came while it was paused. */
  afterResume: (() => void) | null = null;
  pause(): void {
    this.paused = true;
    this.socket.pause();
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
    this.paused = false;
    this.socket.resume();
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

/** Who may connect (shared with the WebSocket side) and how long a connection may idle half-way. */
export type TcpOptions = { admission: Admission; timeouts: Timeouts };

/**
 * The raw TCP front door: one SLCK parser per connection, straight into the hub. Keepalive
 * finds dead peers; Nagle is off so a reply is not held back waiting for more.
 */
export class TcpListener {
  private readonly server: net.Server;
  private readonly sockets = new Set<Socket>();
  private readonly refusing = new Set<Socket>();
  private readonly hub: Hub;
  private readonly opts: TcpOptions;

  constructor(hub: Hub, opts: TcpOptions) {
    this.hub = hub;
    this.opts = opts;
    // allowHalfOpen: a client that sends its commands and then shuts its side still gets
    // every reply; we end our side once they are written.
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true, keepAlive: true, keepAliveInitialDelay: 30_000 });
    this.server.on('connection', (socket) => this.accept(socket));
  }

  private accept(socket: Socket): void {
    const hub = this.hub;
    // No address: the peer is already gone.
    if (socket.remoteAddress === undefined) return void socket.destroy();
    const ticket = this.opts.admission.admit(socket.remoteAddress);
    if (isRefusal(ticket)) return this.refuse(socket, refusalBytes(ticket), ticket.code);
    this.sockets.add(socket);
    const session = new TcpSession(socket, hub.newConnId());
    const connection = openConnection(hub, session, this.opts.timeouts, () => !session.paused);
    const conn = connection.conn;
    socket.on('data', (chunk) => connection.feed(chunk));
    socket.on('end', () => {
      // Runs after the flush the last data scheduled: the replies go out, then our FIN.
      const finish = () =>
        hub.afterAnswers(conn, () => {
          hub.disconnect(conn, 'closed');
          socket.end();
        });
      // A paused socket still reports EOF. While a password check holds the commands sent
      // before it, the peer is owed their replies: finish once the hub has run them, and
      // once the MSGs among them have their OKs.
      if (session.paused) session.afterResume = finish;
      else finish();
    });
    socket.on('error', (err) => hub.log.info({ client: conn.session.id, err: err.message }, 'socket error'));
    socket.on('close', () => {
      this.sockets.delete(socket);
      ticket.release();
      connection.closed();
    });
  }

  /** One ERR line instead of HELLO, then close; what the peer sends meanwhile is dropped. */
  private refuse(socket: Socket, err: Uint8Array, code: string): void {
    this.hub.log.info({ remote: `${socket.remoteAddress}:${socket.remotePort}`, code }, 'connection refused');
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
    await closed;
  }
}
