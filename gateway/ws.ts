import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { COMMAND_LIMITS, CommandDecoder, Parser } from '../core/index.ts';
import type { Hub } from './hub.ts';
import type { Session } from './session.ts';
import type { Conn } from './conn.ts';

const CLOSE_GRACE_MS = 5_000;
const DRAIN_POLL_MS = 5;

class WsSession implements Session {
  readonly transport = 'ws' as const;
  readonly id: string;
  readonly remote: string;
  readonly ws: WebSocket;
  alive = true;
  constructor(ws: WebSocket, id: string, remote: string) {
    this.ws = ws;
    this.id = id;
    this.remote = remote;
  }
  send(bytes: Uint8Array): void {
    if (this.ws.readyState === 1) this.ws.send(bytes, { binary: true });
  }
  get backlog(): number {
    return this.ws.bufferedAmount;
  }
  pause(): void {
    this.ws.pause();
  }
  resume(): void {
    this.ws.resume();
  }
  whenDrained(then: () => void): void {
    // ws has no drain event of its own: look again every few milliseconds.
    // Looked at from the next turn, after the hub has written this turn's output.
    const check = () => {
      if (this.ws.bufferedAmount === 0 || this.ws.readyState !== 1) then();
      else setTimeout(check, DRAIN_POLL_MS).unref();
    };
    setImmediate(check);
  }
  close(last?: Uint8Array): void {
    if (last) this.send(last);
    this.ws.close(1000);
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }
}

export type WsOptions = {
  /** Origins allowed besides the page's own (exact `scheme://host:port`, or `*`). */
  allowedOrigins: string[];
  heartbeatMs: number;
};

/**
 * The browser front door at /ws: the same SLCK bytes over a WebSocket, one parser per
 * socket, the same hub. A WebSocket message may carry any slice of the stream.
 */
export class WsGateway {
  private readonly wss: WebSocketServer;
  private readonly hub: Hub;
  private readonly opts: WsOptions;
  private readonly sessions = new Map<WsSession, Conn>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(hub: Hub, opts: WsOptions) {
    this.hub = hub;
    this.opts = opts;
    this.wss = new WebSocketServer({
      noServer: true,
      // One WebSocket message holds at most one largest frame: a command line and a body.
      maxPayload: COMMAND_LIMITS.maxLine + 2 + COMMAND_LIMITS.maxBody + 2,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.heartbeat = setInterval(() => this.beat(), opts.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Whether a page at `origin` may open a session on a server reached as `host`. */
  originAllowed(origin: string | undefined, host: string | undefined): boolean {
    // Browsers always send Origin; programs (nc-like tools, the load generator) need not.
    if (origin === undefined) return true;
    if (this.opts.allowedOrigins.includes('*') || this.opts.allowedOrigins.includes(origin)) return true;
    try {
      return host !== undefined && new URL(origin).host === host;
    } catch {
      return false;
    }
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!this.originAllowed(req.headers.origin, req.headers.host)) {
      this.hub.log.warn({ origin: req.headers.origin }, 'websocket refused: foreign origin');
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const hub = this.hub;
    const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const session = new WsSession(ws, hub.newConnId(), remote);
    const conn = hub.connect(session);
    this.sessions.set(session, conn);
    const parser = new Parser(new CommandDecoder(), COMMAND_LIMITS, (r) => hub.receive(conn, r));
    ws.on('message', (data: RawData) => {
      if (Array.isArray(data)) for (const d of data) parser.push(d);
      else parser.push(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
    });
    ws.on('pong', () => {
      session.alive = true;
    });
    ws.on('error', (err) => hub.log.info({ client: session.id, err: err.message }, 'websocket error'));
    ws.on('close', () => {
      this.sessions.delete(session);
      hub.disconnect(conn, 'closed');
    });
  }

  /** Ping everyone; whoever has not answered the previous ping is gone. */
  private beat(): void {
    for (const [session, conn] of this.sessions) {
      if (!session.alive) {
        this.sessions.delete(session);
        this.hub.disconnect(conn, 'timeout');
        session.ws.terminate();
        continue;
      }
      session.alive = false;
      session.ws.ping();
    }
  }

  get connections(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    const deadline = Date.now() + CLOSE_GRACE_MS;
    while (this.sessions.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const s of this.sessions.keys()) s.ws.terminate();
    this.wss.close();
  }
}
