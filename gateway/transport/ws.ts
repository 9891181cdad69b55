import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { COMMAND_LIMITS, LIMITS } from '../../core/index.ts';
import type { Hub } from '../hub/hub.ts';
import type { Session } from './session.ts';
import { openConnection, type Connection } from './connection.ts';
import { isRefusal, refusalBytes, type Admission, type Timeouts } from '../limits/admission.ts';
import type { HostCheck } from './admission-host.ts';
import { forwardedClient, TrustedProxies, type ForwardedClient } from './trusted-proxies.ts';

const CLOSE_GRACE_MS = 5_000;
const DRAIN_POLL_MS = 5;
/** How long a refused WebSocket may take to read its ERR and close before it is dropped. */
const REFUSE_GRACE_MS = 2_000;
/** Refusals being told why at once; past this, an upgrade is answered with a bare 503. */
const MAX_REFUSING = 32;
/**
 * The most one WebSocket message may hold: a command line and a body up to the skip limit,
 * each with its line end. Such a message goes to the parser like any bytes, so an oversized
 * MSG gets `ERR BODY_TOO_LARGE` as it does over TCP. ws buffers a message whole before
 * handing it over, so this is also the memory a message may take; beyond it (no valid client
 * sends that) ws closes with 1009 before we see a byte.
 */
export const MAX_WS_MESSAGE = COMMAND_LIMITS.maxLine + 2 + LIMITS.maxSkip + 2;

/** Answer an upgrade with an HTTP error and a sentence saying why. */
function refuseUpgrade(socket: Duplex, status: string, text: string): void {
  const body = Buffer.from(`${text}\n`);
  socket.end(
    `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${body.length}\r\n\r\n${body}`,
  );
}

/** How long a probed peer (its guest handle asked for elsewhere) has to answer a ping. */
const PROBE_MS = 3_000;

class WsSession implements Session {
  readonly transport = 'ws' as const;
  readonly id: string;
  readonly remote: string;
  readonly ws: WebSocket;
  alive = true;
  /** Set by the gateway: what to do with a peer that did not answer a probe. */
  onDead: () => void = () => {};
  private probing: NodeJS.Timeout | null = null;
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
  probe(): void {
    if (this.probing !== null || this.ws.readyState !== 1) return;
    this.ws.ping();
    this.probing = setTimeout(() => {
      this.probing = null;
      this.onDead();
    }, PROBE_MS).unref();
  }
  /** A pong: the peer is there (for the heartbeat, and for a probe). */
  ponged(): void {
    this.alive = true;
    if (this.probing !== null) clearTimeout(this.probing);
    this.probing = null;
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
  /** The names an upgrade's Host may give. */
  hosts: HostCheck;
  admission: Admission;
  timeouts: Timeouts;
  /** Proxies whose X-Forwarded-For and X-Forwarded-Proto name the client; none if absent. */
  trusted?: TrustedProxies;
};

/**
 * The browser front door at /ws: the same SLCK bytes over a WebSocket, one parser per
 * socket, the same hub. A WebSocket message may carry any slice of the stream.
 */
export class WsGateway {
  private readonly wss: WebSocketServer;
  private readonly hub: Hub;
  private readonly opts: WsOptions;
  private readonly sessions = new Map<WsSession, Connection>();
  private readonly heartbeat: NodeJS.Timeout;
  private refusing = 0;
  private readonly trusted: TrustedProxies;

  constructor(hub: Hub, opts: WsOptions) {
    this.hub = hub;
    this.opts = opts;
    this.trusted = opts.trusted ?? new TrustedProxies([]);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_WS_MESSAGE,
      // Text and binary messages are both SLCK bytes (spec §9), and a body need not be UTF-8:
      // ws must not close a text message with 1007 for what is a valid SLCK body.
      skipUTF8Validation: true,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.heartbeat = setInterval(() => this.beat(), opts.heartbeatMs);
    this.heartbeat.unref();
  }

  /**
   * Whether a page at `origin` may open a session on a server reached as `host`. `proto` is
   * the scheme the browser used when it is known (a TLS socket, or a trusted proxy's
   * X-Forwarded-Proto): then the page must have come over the same scheme, so a page served
   * over plain http cannot open a session on a site that is https. Unknown (a plain socket:
   * perhaps a TLS proxy nobody listed), only the host is compared, as before.
   */
  originAllowed(origin: string | undefined, host: string | undefined, proto: 'http' | 'https' | null = null): boolean {
    // Browsers always send Origin; programs (nc-like tools, the load generator) need not.
    if (origin === undefined) return true;
    if (this.opts.allowedOrigins.includes('*') || this.opts.allowedOrigins.includes(origin)) return true;
    try {
      // Compared as URL hosts: case and a default port (`:443` on https) do not matter.
      const o = new URL(origin);
      if (proto !== null && o.protocol !== `${proto}:`) return false;
      return host !== undefined && o.host === new URL(`${o.protocol}//${host}`).host;
    } catch {
      return false;
    }
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { host, origin } = req.headers;
    if (socket.destroyed) return;
    // Who the client is: from a trusted proxy, the one its X-Forwarded-For names.
    const client = forwardedClient(req, this.trusted);
    if (host === undefined || host === '') {
      refuseUpgrade(socket, '400 Bad Request', 'A WebSocket upgrade needs a Host header.');
      return;
    }
    // Before the origin check: a rebound name makes Origin and Host agree.
    if (!this.opts.hosts.allows(host)) {
      this.hub.log.warn({ host, origin }, 'websocket refused: not a name of this server');
      refuseUpgrade(socket, '421 Misdirected Request',
        'This server does not answer to that name. Its operator can add the name with --allowed-hosts or --public-url.');
      return;
    }
    if (!this.originAllowed(origin, host, client.proto)) {
      this.hub.log.warn({ origin, remote: client.remote, proto: client.proto }, 'websocket refused: foreign origin');
      refuseUpgrade(socket, '403 Forbidden',
        'This page\'s origin may not open a chat session. Its operator can allow it with --allowed-origins or --public-url.');
      return;
    }
    const ticket = this.opts.admission.admit(client.address);
    if (isRefusal(ticket)) {
      this.hub.log.info({ remote: client.remote, code: ticket.code }, 'connection refused');
      if (this.refusing >= MAX_REFUSING) {
        refuseUpgrade(socket, '503 Service Unavailable', ticket.text);
        return;
      }
      // Over the WebSocket, so that a browser, which is not shown an HTTP error, can say why.
      this.refusing++;
      socket.once('close', () => this.refusing--);
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => {});
        ws.send(refusalBytes(ticket), { binary: true });
        ws.close(1013); // try again later
        setTimeout(() => ws.terminate(), REFUSE_GRACE_MS).unref();
      });
      return;
    }
    // The socket, not the WebSocket: a handshake that fails never makes one.
    socket.once('close', () => ticket.release());
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req, client));
  }

  private accept(ws: WebSocket, req: IncomingMessage, client: ForwardedClient): void {
    const hub = this.hub;
    const session = new WsSession(ws, hub.newConnId(), client.remote);
    if (client.remote !== `${req.socket.remoteAddress}:${req.socket.remotePort}`) {
      hub.log.info({ client: session.id, remote: client.remote, via: `${req.socket.remoteAddress}:${req.socket.remotePort}` }, 'client named by a trusted proxy (X-Forwarded-For)');
    }
    const connection = openConnection(hub, session, this.opts.timeouts, () => !ws.isPaused);
    this.sessions.set(session, connection);
    ws.on('message', (data: RawData) => {
      if (Array.isArray(data)) for (const d of data) connection.feed(d);
      else connection.feed(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
    });
    ws.on('pong', () => session.ponged());
    session.onDead = () => {
      if (!this.sessions.delete(session)) return;
      connection.closed('timeout');
      session.ws.terminate();
    };
    ws.on('error', (err) => hub.log.info({ client: session.id, err: err.message }, 'websocket error'));
    ws.on('close', () => {
      this.sessions.delete(session);
      connection.closed();
    });
  }

  /** Ping everyone; whoever has not answered the previous ping is gone. */
  private beat(): void {
    for (const [session, connection] of this.sessions) {
      if (!session.alive) {
        this.sessions.delete(session);
        connection.closed('timeout');
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
