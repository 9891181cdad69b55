/**
 * The NATS dialect of the load harness: a reference server (Debian's `nats-server`) driven
 * by the same workers, bodies, checks and clocks as SLCK, so a row for it can stand beside
 * SLCK's in one table.
 *
 * The mapping: a channel `#load0` is the subject `load0`; a member CONNECTs (verbose off,
 * echo on), SUBscribes to its channel's subject and waits for the PONG of a PING, which
 * NATS sends only after the SUB is in place. A send is `PUB load0 64` plus the body; as
 * NATS has no OK, a sender's acknowledgment is its own message coming back to it (echo),
 * which also means the server has fanned it out. Echoes are not counted as deliveries.
 * NATS frames carry no sender, so the body's sender index is the only `from` there is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import net from 'node:net';
import type { Delivery, ServerFrame } from '../../core/index.ts';
import { nowUs } from './body.ts';
import type { Clock, ConnectionEvents } from './connection.ts';
import type { ServerProcess } from './server.ts';

type Reply = (frame: ServerFrame) => void;

const OK: ServerFrame = { type: 'OK' } as ServerFrame;
const CRLF = Buffer.from('\r\n');

/** `#load0` -> `load0` (NATS subjects have no `#`). */
export const subjectOf = (channel: string) => channel.replace(/^#/, '');

/**
 * One NATS client connection over TCP. Like `Connection` it hands deliveries straight to a
 * callback; replies are two FIFOs: PONGs for PINGs, and the echoes of our own PUBs (the
 * worker says which deliveries are ours, as only it reads the body).
 */
export class NatsConnection {
  open = true;
  readonly transport = 'tcp' as const;
  readonly pings = 0;
  private readonly echoes: Reply[] = [];
  private readonly pongs: Array<(ok: boolean) => void> = [];
  private rest: Buffer | null = null;
  private socket: net.Socket | null = null;
  /** One frame object reused for every delivery (the worker reads it at once and keeps nothing). */
  private readonly frame = { type: 'MSG', target: '', from: '', id: 0, ts: '', body: new Uint8Array(0) } as Delivery;
  private readonly subjects = new Map<string, string>();

  constructor(private readonly events: ConnectionEvents) {}

  /** PUB to a channel's subject; `reply` gets an OK when the worker sees our own copy come back. */
  request(channel: string, body: Uint8Array, reply: Reply): void {
    this.echoes.push(reply);
    const s = this.socket!;
    s.write(`PUB ${subjectOf(channel)} ${body.length}\r\n`);
    s.write(body);
    s.write(CRLF);
  }

  /** Our own message came back: the PUB it answers is done. */
  echoed(): void {
    this.echoes.shift()?.(OK);
  }

  subscribe(channel: string, sid: number): void {
    const subject = subjectOf(channel);
    this.subjects.set(subject, channel);
    this.socket!.write(`SUB ${subject} ${sid}\r\n`);
  }

  /** PING, resolving true on PONG (false when the connection closes first). */
  ping(): Promise<boolean> {
    return new Promise((resolve) => {
      if (!this.open) return resolve(false);
      this.pongs.push(resolve);
      this.socket!.write('PING\r\n');
    });
  }

  close(): void {
    this.socket?.destroy();
  }

  private onData(chunk: Buffer): void {
    let buf = this.rest === null ? chunk : Buffer.concat([this.rest, chunk]);
    this.rest = null;
    let at = 0;
    while (at < buf.length) {
      const nl = buf.indexOf(10, at);
      if (nl < 0) break;
      const lineEnd = nl > at && buf[nl - 1] === 13 ? nl - 1 : nl;
      const c0 = buf[at];
      if (c0 === 77 /* M */ && buf[at + 1] === 83 /* S */ && buf[at + 2] === 71 /* G */) {
        // MSG <subject> <sid> [reply-to] <#bytes>
        const line = buf.toString('latin1', at + 4, lineEnd);
        const sp = line.indexOf(' ');
        const size = Number(line.slice(line.lastIndexOf(' ') + 1));
        const bodyAt = nl + 1;
        if (bodyAt + size + 2 > buf.length) break;
        const subject = line.slice(0, sp);
        const f = this.frame as { target: string; body: Uint8Array };
        f.target = this.subjects.get(subject) ?? subject;
        f.body = buf.subarray(bodyAt, bodyAt + size);
        this.events.delivery(this.frame);
        at = bodyAt + size + 2;
        continue;
      }
      const line = buf.toString('latin1', at, lineEnd);
      at = nl + 1;
      if (line === 'PING') this.socket!.write('PONG\r\n');
      else if (line === 'PONG') this.pongs.shift()?.(true);
      else if (line.startsWith('-ERR')) this.fail(line);
      // INFO and +OK: nothing to check.
    }
    if (at < buf.length) {
      // Keep a copy of the unfinished frame, not a view pinning the whole chunk.
      buf = buf.subarray(at);
      this.rest = Buffer.from(buf);
    }
  }

  private fail(text: string): void {
    for (const reply of this.echoes.splice(0)) reply({ type: 'ERR', code: 'DISCONNECTED', text } as ServerFrame);
    for (const pong of this.pongs.splice(0)) pong(false);
  }

  private onClosed(): void {
    if (!this.open) return;
    this.open = false;
    this.fail('connection closed');
    this.events.closed();
  }

  /** Connect, read INFO, send CONNECT; resolves once the socket is open. */
  static open(port: number, clock: Clock, events: ConnectionEvents): Promise<NatsConnection> {
    const c = new NatsConnection(events);
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
      c.socket = socket;
      socket.setTimeout(30_000, () => socket.destroy(new Error('connect timed out')));
      socket.on('data', (chunk) => {
        clock.recvUs = nowUs();
        c.onData(chunk);
      });
      socket.once('connect', () => {
        socket.setTimeout(0);
        socket.off('error', reject);
        socket.on('error', () => {});
        socket.write('CONNECT {"verbose":false,"pedantic":false,"echo":true,"lang":"slck-bench","version":"1"}\r\n');
        resolve(c);
      });
      socket.once('error', reject);
      socket.on('close', () => c.onClosed());
    });
  }
}

/** Where Debian's package puts it, or whatever is on PATH. */
export function natsServerPath(): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin']) {
    const p = `${dir}/nats-server`;
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not there
    }
  }
  return null;
}

function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * Start `nats-server` on 127.0.0.1 on a free port (`-p -1`), with its defaults otherwise,
 * and resolve once it says it listens. Only the client port is open (no monitoring port).
 */
export function startNats(): Promise<ServerProcess> {
  const bin = natsServerPath();
  if (bin === null) return Promise.reject(new Error('nats-server is not installed (apt-get install nats-server)'));
  const child: ChildProcess = spawn(bin, ['-a', '127.0.0.1', '-p', '-1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  let err = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  void exited.then(() => process.off('exit', orphan));
  const unsupported = () => Promise.reject(new Error('not available for nats-server'));
  return new Promise((resolveUp, reject) => {
    const timer = setTimeout(() => fail(new Error(`nats-server did not start in 10 s\n${log}`)), 10_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    };
    const early = (code: number | null) => fail(new Error(`nats-server exited (${code}) before it was up\n${log}`));
    child.once('exit', early);
    const onLog = (s: string) => {
      if (log.length < 20_000) log += s;
      // After start-up, only warnings and errors (slow consumers, say) are kept for the report.
      for (const line of s.split('\n')) if (/\[(WRN|ERR|FTL)\]/.test(line) && err.length < 20_000) err += `${line}\n`;
      const m = /Listening for client connections on [^:]+:(\d+)/.exec(log);
      if (!m || !/Server is ready/.test(log)) return;
      clearTimeout(timer);
      child.off('exit', early);
      const pid = child.pid!;
      resolveUp({
        pid,
        tcpPort: Number(m[1]),
        httpPort: 0,
        rss: () => statusBytes(pid, 'VmRSS'),
        peakRss: () => statusBytes(pid, 'VmHWM'),
        stderr: () => err,
        collectGarbage: unsupported,
        heap: unsupported,
        async stop(graceMs = 10_000) {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(t);
        },
      });
    };
    // nats-server logs to stderr.
    child.stderr!.setEncoding('utf8').on('data', onLog);
    child.stdout!.setEncoding('utf8').on('data', onLog);
  });
}
