import { readFileSync } from 'node:fs';
import net from 'node:net';
import { encodeServerFrame } from '../../core/index.ts';
import type { Conn } from '../hub/conn.ts';
import type { Hub } from '../hub/hub.ts';
import { farewell, refuse, type Refusal } from '../sentences.ts';

/**
 * Who may hold a chat connection, and for how long (spec §7, "Connections"). One Admission
 * counts the TCP and WebSocket connections together, per peer address and in all, so that
 * one address cannot take every connection and the server never runs out of descriptors
 * with /healthz and the store still needing some.
 */

/** Descriptors kept back from chat connections: HTTP and /healthz, the store, the logs. */
export const FD_HEADROOM = 128;
/** What to assume when the descriptor limit cannot be read (not Linux): a common default. */
export const FALLBACK_FD_LIMIT = 1024;

/**
 * The soft RLIMIT_NOFILE (`ulimit -n`), or null when it cannot be known. Node has no
 * getrlimit; Linux shows the limits of the process in /proc/self/limits.
 */
export function softFdLimit(limits?: string): number | null {
  let text = limits;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return null;
    }
  }
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
  return m === null || m[1] === 'unlimited' ? null : Number(m[1]);
}

/** The default `--max-connections`: the soft descriptor limit less the headroom. */
export function defaultMaxConnections(soft: number | null = softFdLimit()): number {
  const fds = soft ?? FALLBACK_FD_LIMIT;
  // A tiny limit keeps half for the rest rather than leaving no chat connection at all.
  return Math.max(1, fds - Math.min(FD_HEADROOM, Math.floor(fds / 2)));
}

/** A peer address as counted and as the exemption list names it. */
export function addressKey(address: string): string {
  const a = address.toLowerCase();
  // A dual-stack listener reports an IPv4 peer as ::ffff:a.b.c.d: it is the same address.
  return a.startsWith('::ffff:') && net.isIPv4(a.slice(7)) ? a.slice(7) : a;
}

export type AdmissionOptions = {
  /** Chat connections in all (TCP and WebSocket). */
  maxConnections: number;
  /** Chat connections from one address; 0: no cap. */
  maxConnectionsPerAddress: number;
  /** Addresses the per-address cap does not apply to (a proxy that all users come through). */
  connectionCapExempt: string[];
};

/** Why a connection was refused: its one `ERR` line. */
export type { Refusal };
/** An admitted connection's place; give it back once, when the socket has closed. */
export type Ticket = { release(): void };

export class Admission {
  private readonly opts: AdmissionOptions;
  private readonly exempt: Set<string>;
  private readonly perAddress = new Map<string, number>();
  private total = 0;

  constructor(opts: AdmissionOptions) {
    this.opts = opts;
    this.exempt = new Set(opts.connectionCapExempt.map(addressKey));
  }

  /** Take a place for a connection from `address`, or say why there is none. */
  admit(address: string): Ticket | Refusal {
    const key = addressKey(address);
    if (this.total >= this.opts.maxConnections) {
      return refuse.serverFull(this.opts.maxConnections);
    }
    const cap = this.opts.maxConnectionsPerAddress;
    const mine = this.perAddress.get(key) ?? 0;
    if (cap > 0 && mine >= cap && !this.exempt.has(key)) {
      return refuse.tooManyConnections(key, cap);
    }
    this.total++;
    this.perAddress.set(key, mine + 1);
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.total--;
        const left = (this.perAddress.get(key) ?? 1) - 1;
        if (left === 0) this.perAddress.delete(key);
        else this.perAddress.set(key, left);
      },
    };
  }

  get connections(): number {
    return this.total;
  }
}

export const isRefusal = (r: Ticket | Refusal): r is Refusal => 'code' in r;

/** The one line a refused connection gets before it is closed. */
export const refusalBytes = (r: Refusal): Uint8Array => encodeServerFrame(r);

export type Timeouts = {
  /** A connection without a handle this long after it opened is closed; 0: never. */
  registerTimeoutMs: number;
  /** A line or body left unfinished this long is closed; 0: never. */
  lineTimeoutMs: number;
};

const seconds = (ms: number): string => `${ms / 1000} s`;

/**
 * The two clocks of one connection. A connection that never registers, or that leaves a line
 * or body unfinished (slowloris: a byte now and then, or half a line and nothing), holds a
 * place without being anyone's chat. People do neither: telnet and nc send whole lines, and
 * a client sends a frame's bytes together. So after the time allowed: `BYE TIMEOUT`, close.
 */
export class ConnectionClock {
  private readonly hub: Hub;
  private readonly conn: Conn;
  private readonly parser: { readonly idle: boolean };
  private readonly lineTimeoutMs: number;
  /** Whether the transport is reading: while the hub holds it, the rest may be in our buffers. */
  private readonly reading: () => boolean;
  private registerTimer: NodeJS.Timeout | null = null;
  private lineTimer: NodeJS.Timeout | null = null;

  constructor(hub: Hub, conn: Conn, parser: { readonly idle: boolean }, timeouts: Timeouts, reading: () => boolean) {
    this.hub = hub;
    this.conn = conn;
    this.parser = parser;
    this.lineTimeoutMs = timeouts.lineTimeoutMs;
    this.reading = reading;
    const ms = timeouts.registerTimeoutMs;
    if (ms > 0) {
      this.registerTimer = setTimeout(() => {
        this.registerTimer = null;
        if (this.conn.user === null) this.timeout(`No REG within ${seconds(ms)}`);
      }, ms);
      this.registerTimer.unref();
    }
  }

  /** Call after each chunk is fed to the parser. */
  fed(): void {
    if (this.lineTimeoutMs <= 0) return;
    if (this.parser.idle) {
      this.clearLine();
      return;
    }
    // Counted from where the unfinished frame began, not from its latest byte: a byte every
    // few seconds must not keep it going.
    if (this.lineTimer === null) this.armLine();
  }

  private armLine(): void {
    this.lineTimer = setTimeout(() => {
      this.lineTimer = null;
      if (this.conn.closed || this.parser.idle) return;
      if (!this.reading()) this.armLine();
      else this.timeout(`A line or message body was left unfinished for ${seconds(this.lineTimeoutMs)}`);
    }, this.lineTimeoutMs);
    this.lineTimer.unref();
  }

  private clearLine(): void {
    if (this.lineTimer !== null) clearTimeout(this.lineTimer);
    this.lineTimer = null;
  }

  private timeout(text: string): void {
    if (this.conn.closed) return;
    this.hub.log.info({ client: this.conn.session.id, remote: this.conn.session.remote, why: text }, 'timed out');
    this.hub.end(this.conn, 'timeout', farewell.timeout(text));
  }

  /** The connection has ended. */
  stop(): void {
    if (this.registerTimer !== null) clearTimeout(this.registerTimer);
    this.registerTimer = null;
    this.clearLine();
  }
}
