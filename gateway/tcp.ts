import net, { type AddressInfo, type Socket } from 'node:net';
import { COMMAND_LIMITS, CommandDecoder, Parser } from '../core/index.ts';
import type { Hub } from './hub.ts';
import type { Session } from './session.ts';

/** How long a closing connection may take to drain before it is destroyed. */
const CLOSE_GRACE_MS = 5_000;

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

/**
 * The raw TCP front door: one SLCK parser per connection, straight into the hub. Keepalive
 * finds dead peers; Nagle is off so a reply is not held back waiting for more.
 */
export class TcpListener {
  private readonly server: net.Server;
  private readonly sockets = new Set<Socket>();
  private readonly hub: Hub;

  constructor(hub: Hub) {
    this.hub = hub;
    // allowHalfOpen: a client that sends its commands and then shuts its side still gets
    // every reply; we end our side once they are written.
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true, keepAlive: true, keepAliveInitialDelay: 30_000 });
    this.server.on('connection', (socket) => this.accept(socket));
  }

  private accept(socket: Socket): void {
    const hub = this.hub;
    this.sockets.add(socket);
    const session = new TcpSession(socket, hub.newConnId());
    const conn = hub.connect(session);
    const parser = new Parser(new CommandDecoder(), COMMAND_LIMITS, (r) => hub.receive(conn, r));
    socket.on('data', (chunk) => parser.push(chunk));
    socket.on('end', () => {
      // Runs after the flush the last data scheduled: the replies go out, then our FIN.
      const finish = () =>
        setImmediate(() => {
          hub.disconnect(conn, 'closed');
          socket.end();
        });
      // A paused socket still reports EOF. While a password check holds the commands sent
      // before it, the peer is owed their replies: finish once the hub has run them.
      if (session.paused) session.afterResume = finish;
      else finish();
    });
    socket.on('error', (err) => hub.log.info({ client: conn.session.id, err: err.message }, 'socket error'));
    socket.on('close', () => {
      this.sockets.delete(socket);
      hub.disconnect(conn, 'closed');
    });
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
    await closed;
  }
}
