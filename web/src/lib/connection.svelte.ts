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
/**
 * A link can die without the browser noticing for minutes (a Wi-Fi that drops, a NAT that
 * forgets): bytes go out and nothing comes back. So the page watches: a command unanswered,
 * with nothing heard from the server, for ANSWER_WAIT_MS asks `PING`; nothing heard for
 * PROBE_TIMEOUT_MS after that means the link is dead, and the page reconnects at once. An
 * idle link is asked every HEARTBEAT_MS, and whenever the tab comes back to the foreground
 * or the browser says it is online again.
 */
const ANSWER_WAIT_MS = 3_000;
const PROBE_TIMEOUT_MS = 4_000;
const HEARTBEAT_MS = 25_000;
/** A socket still opening after this long is given up on: a dead route would keep it opening for minutes. */
const CONNECT_TIMEOUT_MS = 8_000;
/** Why a link the page gave up on was closed, for people. */
export const NOT_ANSWERING = 'The server stopped answering';
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
  /** The server has not answered for a while: a `PING` is out to find out whether the link lives. */
  checking = $state(false);
  /** A socket that was open has closed or been given up on: the next one is a reconnect. */
  dropped = $state(false);

  readonly client: SlckClient;
  private readonly url: string;
  private ws: WebSocket | null = null;
  private attempt = 0;
  /** Until then (epoch ms) the server is restarting: retry quickly (see RESTART_WINDOW_MS). */
  private restartUntil = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Armed while commands wait for their answers (see ANSWER_WAIT_MS). */
  private answerTimer: ReturnType<typeof setTimeout> | undefined;
  private probeTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the server was last heard from on this socket (epoch ms). */
  private lastHeard = 0;
  private readonly openListeners = new Set<() => void>();
  private readonly closeListeners = new Set<() => void>();

  constructor(url: string = defaultSocketUrl()) {
    this.url = url;
    this.client = new SlckClient((bytes) => this.write(bytes));
    this.client.on('bye', (bye) => {
      this.lastProblem = bye.reason === 'QUIT' ? '' : bye.text;
      if (bye.reason === 'SHUTDOWN') this.restartUntil = Date.now() + RESTART_WINDOW_MS;
    });
    // Back from the background, or the network is back (or gone): is the link still alive?
    if (typeof document !== 'undefined') {
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'visible') this.probe();
      });
    }
    if (typeof window !== 'undefined') {
      window.addEventListener('online', () => (this.state === 'waiting' ? this.retryNow() : this.probe()));
      window.addEventListener('offline', () => this.probe());
    }
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

  /** Give this socket up and try again after the backoff delay, without waiting for it to close. */
  reconnect(problem: string): void {
    this.abandon(problem);
  }

  /**
   * Ask the server whether the link still works (`PING`), unless an answer is awaited already:
   * nothing heard from it within PROBE_TIMEOUT_MS, and the socket is given up on.
   */
  probe(): void {
    if (this.state !== 'open' || this.probeTimer !== undefined || !this.ws) return;
    const ws = this.ws;
    const askedAt = Date.now();
    this.checking = true;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      if (this.ws !== ws) return;
      if (this.lastHeard >= askedAt) this.checking = false;
      else this.abandon(NOT_ANSWERING);
    }, PROBE_TIMEOUT_MS);
    this.client.ping('alive?').catch(() => {});
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
    this.connectTimer = setTimeout(() => {
      if (this.ws === ws && ws.readyState === WebSocket.CONNECTING) this.abandon('Could not reach the server');
    }, CONNECT_TIMEOUT_MS);
    ws.onopen = () => {
      if (this.ws !== ws) return;
      clearTimeout(this.connectTimer);
      this.state = 'open';
      this.lastProblem = '';
      this.lastHeard = Date.now();
      this.startHeartbeat();
      for (const fn of this.openListeners) fn();
    };
    ws.onmessage = (ev: MessageEvent<ArrayBuffer | string>) => {
      if (this.ws !== ws) return;
      this.heard();
      const data = ev.data;
      this.client.receive(typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data));
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.afterClose(this.lastProblem || 'The connection to the server was lost');
    };
  }

  /** Any byte from the server shows the link works. */
  private heard(): void {
    this.lastHeard = Date.now();
    if (this.probeTimer === undefined) return;
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.checking = false;
  }

  /** Give the socket up now: a dead link's close can take minutes to be reported. */
  private abandon(problem: string): void {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    try {
      ws.close();
    } catch {
      // Closing a socket that never opened may throw in some browsers: it is dropped either way.
    }
    this.afterClose(problem);
  }

  private afterClose(problem: string): void {
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.connectTimer);
    clearTimeout(this.answerTimer);
    clearTimeout(this.probeTimer);
    this.answerTimer = this.probeTimer = undefined;
    this.checking = false;
    if (this.state === 'open') this.dropped = true;
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
      // Only when idle: a command waiting for its answer is watched already (watchAnswers).
      if (this.client.inFlight === 0 && Date.now() - this.lastHeard >= HEARTBEAT_MS) this.probe();
    }, HEARTBEAT_MS);
  }

  /**
   * A command went out: unless the server is heard from within ANSWER_WAIT_MS while answers
   * are still awaited, ask whether the link is alive.
   */
  private watchAnswers(): void {
    if (this.answerTimer !== undefined) return;
    const check = () => {
      this.answerTimer = undefined;
      if (this.client.inFlight === 0 || !this.ws) return;
      const quiet = Date.now() - this.lastHeard;
      if (quiet >= ANSWER_WAIT_MS) this.probe();
      else this.answerTimer = setTimeout(check, ANSWER_WAIT_MS - quiet);
    };
    this.answerTimer = setTimeout(check, ANSWER_WAIT_MS);
  }

  /**
   * SlckClient queues a pending reply before it writes, so writing must not throw. With no
   * open socket the command can never be answered: fail everything pending at once.
   */
  private write(bytes: Uint8Array): void {
    const ws = this.ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(bytes);
      this.watchAnswers();
      return;
    }
    queueMicrotask(() => this.client.reset('Not connected to the server'));
  }
}
