import { SlckClient } from '../../../core/client.ts';

/**
 * - `connecting`: a socket is opening.
 * - `open`: the socket is up (the chat layer may still be signing in on it).
 * - `waiting`: the socket closed; another attempt is scheduled at `retryAt`.
 * - `stopped`: no socket and none wanted.
 */
export type LinkState = 'connecting' | 'open' | 'waiting' | 'stopped';

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 15_000;
/** A client-side heartbeat notices a dead link that the browser would not report for minutes. */
const HEARTBEAT_MS = 25_000;
const HEARTBEAT_TIMEOUT_MS = 10_000;
/**
 * After `BYE SHUTDOWN` the server is restarting (a deploy, say) and is usually back within
 * seconds: try again every 200 to 1,000 ms (random, so a server's worth of clients does not
 * arrive at once) rather than backing off, for this long; then back off as for any drop.
 */
const RESTART_MIN_MS = 200;
const RESTART_MAX_MS = 1_000;
const RESTART_WINDOW_MS = 30_000;

/** Exponential backoff with jitter, so clients dropped together do not return together. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempt);
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

/** The wait between attempts while a server that said `BYE SHUTDOWN` restarts. */
export function restartDelay(random: () => number = Math.random): number {
  return Math.round(RESTART_MIN_MS + random() * (RESTART_MAX_MS - RESTART_MIN_MS));
}

/** `/ws` on the page's own origin, which the server's origin check allows. */
export function defaultSocketUrl(loc: Location = location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
}

/**
 * The one WebSocket to the server and the SlckClient that speaks over it. It keeps a socket
 * open for as long as it is started, reconnecting with backoff, and tells its owner each
 * time a fresh socket opens so the owner can register again and catch up.
 */
export class Connection {
  state = $state<LinkState>('stopped');
  /** When the next attempt is due (epoch ms), while `waiting`. */
  retryAt = $state<number | null>(null);
  /** Why the last socket closed, for people. */
  lastProblem = $state('');

  readonly client: SlckClient;
  private readonly url: string;
  private ws: WebSocket | null = null;
  private attempt = 0;
  /** Until then (epoch ms) the server is restarting: retry quickly (see RESTART_WINDOW_MS). */
  private restartUntil = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private readonly openListeners = new Set<() => void>();
  private readonly closeListeners = new Set<() => void>();

  constructor(url: string = defaultSocketUrl()) {
    this.url = url;
    this.client = new SlckClient((bytes) => this.write(bytes));
    this.client.on('bye', (bye) => {
      this.lastProblem = bye.reason === 'QUIT' ? '' : bye.text;
      if (bye.reason === 'SHUTDOWN') this.restartUntil = Date.now() + RESTART_WINDOW_MS;
    });
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Called each time a new socket opens. Returns an unsubscribe function. */
  onOpen(fn: () => void): () => void {
    this.openListeners.add(fn);
    return () => this.openListeners.delete(fn);
  }

  /** Called each time the socket closes (pending commands have been failed already). */
  onClose(fn: () => void): () => void {
    this.closeListeners.add(fn);
    return () => this.closeListeners.delete(fn);
  }

  start(): void {
    if (this.state !== 'stopped') return;
    this.open();
  }

  stop(): void {
    clearTimeout(this.retryTimer);
    this.state = 'stopped';
    this.retryAt = null;
    this.drop();
  }

  /** Skip the rest of the backoff wait. */
  retryNow(): void {
    if (this.state !== 'waiting') return;
    clearTimeout(this.retryTimer);
    this.open();
  }

  /** The link works end to end (signed in): later drops start the backoff from the beginning. */
  markHealthy(): void {
    this.attempt = 0;
    this.restartUntil = 0;
  }

  /** Close this socket and try again after the backoff delay. */
  reconnect(problem: string): void {
    this.lastProblem = problem;
    this.ws?.close();
  }

  private open(): void {
    this.retryAt = null;
    this.state = 'connecting';
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this.lastProblem = e instanceof Error ? e.message : String(e);
      this.scheduleRetry();
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.state = 'open';
      this.lastProblem = '';
      this.startHeartbeat();
      for (const fn of this.openListeners) fn();
    };
    ws.onmessage = (ev: MessageEvent<ArrayBuffer | string>) => {
      if (this.ws !== ws) return;
      const data = ev.data;
      this.client.receive(typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data));
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.afterClose(this.lastProblem || 'The connection to the server was lost');
    };
  }

  private afterClose(problem: string): void {
    clearInterval(this.heartbeatTimer);
    this.client.reset(problem);
    this.lastProblem = problem;
    for (const fn of this.closeListeners) fn();
    if (this.state === 'stopped') return;
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    const delay = Date.now() < this.restartUntil ? restartDelay() : backoffDelay(this.attempt++);
    this.state = 'waiting';
    this.retryAt = Date.now() + delay;
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  private drop(): void {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    ws.close();
    this.afterClose('Signed out');
  }

  private startHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(() => {
      // Only when idle: a queue of replies already shows the link is alive or is about to.
      if (this.state !== 'open' || this.client.inFlight > 0) return;
      const ws = this.ws;
      const timeout = setTimeout(() => {
        if (this.ws === ws) this.reconnect('The server stopped answering');
      }, HEARTBEAT_TIMEOUT_MS);
      this.client.ping('hb').then(
        () => clearTimeout(timeout),
        () => clearTimeout(timeout),
      );
    }, HEARTBEAT_MS);
  }

  /**
   * SlckClient queues a pending reply before it writes, so writing must not throw. With no
   * open socket the command can never be answered: fail everything pending at once.
   */
  private write(bytes: Uint8Array): void {
    const ws = this.ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(bytes);
      return;
    }
    queueMicrotask(() => this.client.reset('Not connected to the server'));
  }
}
