/**
 * Test helpers for the gateway's integration tests: a raw SLCK client over TCP or a
 * WebSocket that records every frame the server sends, and a way to run the real server
 * (`gateway/main.ts`) as a child process.
 *
 * The client reads with core's Parser + ServerFrameDecoder, so a frame the server gets wrong
 * shows up as a ProtocolError among the frames. Waiting is always for a condition, with a
 * timeout whose error lists what was received.
 */
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import WebSocket, { type ClientOptions } from 'ws';
import {
  Parser, ProtocolError, SERVER_FRAME_LIMITS, ServerFrameDecoder, encodeServerFrame, fromUtf8, serverLine, utf8,
  type ServerFrame,
} from '../../../core/index.ts';

export type Received = ServerFrame | ProtocolError;
type Msg = Extract<ServerFrame, { type: 'MSG' }>;

export const ROOT = resolve(import.meta.dirname, '../../..');
const DEFAULT_TIMEOUT_MS = 10_000;
/** Frames that end a command's reply (data lines come before END). */
const REPLY_END = new Set(['OK', 'ERR', 'END', 'TIME', 'PONG', 'BYE']);

/** A frame as a telnet user reads it; a MSG shows its body after a line break. */
export function show(f: Received): string {
  if (f instanceof ProtocolError) return `<unreadable: ${f.code} ${f.message}>`;
  if ('body' in f) {
    // The head line, then the body after a line break; long bodies are cut, so a failure
    // message stays readable.
    const head = fromUtf8(encodeServerFrame({ ...f, body: new Uint8Array(0) } as ServerFrame)).split('\r\n')[0];
    const withLength = head.replace(/ 0( ALSO)?$/, ` ${f.body.length}$1`);
    const body = f.body.length > 300 ? `${fromUtf8(f.body.subarray(0, 300))}…` : fromUtf8(f.body);
    return `${withLength}\n${body}`;
  }
  return serverLine(f as Exclude<ServerFrame, { type: 'MSG' }>);
}

/** A MSG command with its body, its length counted for you (no trailing line end). */
export const msg = (target: string, body: string): string => `MSG ${target} ${Buffer.byteLength(body)}\r\n${body}`;

export const isMsg = (f: Received): f is Msg => !(f instanceof ProtocolError) && f.type === 'MSG';
/**
 * Flood a channel until `watcher` is told `handle` went offline (cut off as a slow consumer).
 * Loopback kernel buffers hold megabytes, so how much it takes is not known ahead: `burst`
 * sends one round and returns its bytes; at most 64 MiB are sent. Returns the bursts sent.
 */
export async function floodUntilOffline(watcher: TestClient, handle: string, burst: () => Promise<number>): Promise<number> {
  let bytes = 0;
  let bursts = 0;
  while (!watcher.frames.some((f) => !(f instanceof ProtocolError) && f.type === 'OFFLINE' && f.user === handle)) {
    if (bytes > 64 * 1024 * 1024) throw new Error(`${handle} was never cut off\n${watcher.describe()}`);
    bytes += await burst();
    bursts++;
  }
  return bursts;
}

export const ISO_TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

export class TestClient {
  /** Every frame received, in order. */
  readonly frames: Received[] = [];
  /** Just the MSG frames, in order. */
  readonly msgs: Msg[] = [];
  /** How far `next()` has read in `frames`. */
  at = 0;
  closed = false;
  bytesReceived = 0;
  private readonly parser = new Parser(new ServerFrameDecoder(), SERVER_FRAME_LIMITS, (f) => this.onFrame(f));
  private wakers = new Set<() => void>();
  private readonly sendBytes: (b: Uint8Array) => void;
  private readonly closer: { end(): void; destroy(): void; pause(): void; resume(): void };

  private constructor(sendBytes: (b: Uint8Array) => void, closer: TestClient['closer']) {
    this.sendBytes = sendBytes;
    this.closer = closer;
  }

  /** A raw TCP connection (from `localAddress`, if given); the HELLO banner is left for the test to read. */
  static tcp(port: number, localAddress?: string): Promise<TestClient> {
    return new Promise((ok, fail) => {
      // Any 127.x.y.z is this machine: a test can come from many addresses.
      const socket = net.connect({ host: '127.0.0.1', port, localAddress });
      const c = new TestClient((b) => void socket.write(b), {
        end: () => socket.end(), destroy: () => socket.destroy(), pause: () => socket.pause(), resume: () => socket.resume(),
      });
      socket.on('data', (chunk) => c.receive(chunk));
      socket.on('error', () => {}); // a reset shows as 'close'
      socket.on('close', () => c.onClose());
      socket.once('connect', () => ok(c));
      socket.once('error', fail);
    });
  }

  /** A WebSocket to `/ws`; messages of any kind carry the same byte stream. */
  static ws(url: string, options: ClientOptions = {}): Promise<TestClient> {
    return new Promise((ok, fail) => {
      const ws = new WebSocket(url, options);
      const c = new TestClient((b) => ws.send(b), {
        end: () => ws.close(1000), destroy: () => ws.terminate(), pause: () => ws.pause(), resume: () => ws.resume(),
      });
      ws.on('message', (data: Buffer) => c.receive(data));
      ws.on('close', () => c.onClose());
      ws.once('open', () => ok(c));
      ws.once('error', fail);
    });
  }

  /**
   * Connect, read the banner, REG (and JOIN these channels); throws unless each says OK. What
   * signing in sent after its OK (a new user's `JOINED #general`, a returning one's channels
   * and kept mail) is read past: tests that look at it sign in with `cmd('REG …')`.
   */
  static async user(port: number, handle: string, ...channels: string[]): Promise<TestClient> {
    const c = await TestClient.tcp(port);
    await c.until((f) => !(f instanceof ProtocolError) && f.type === 'HELLO');
    await c.ok(`REG ${handle}`);
    await c.settle('signed-in');
    for (const ch of channels) await c.ok(`JOIN ${ch}`);
    return c;
  }

  write(data: string | Uint8Array): void {
    this.sendBytes(typeof data === 'string' ? utf8(data) : data);
  }

  /** The next frame not yet read, waiting for it. */
  async next(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Received> {
    await this.waitFor(() => this.at < this.frames.length, 'another frame', timeoutMs);
    return this.frames[this.at++];
  }

  /** Every frame received and not yet read; they count as read from now on. */
  drain(): Received[] {
    const unread = this.frames.slice(this.at);
    this.at = this.frames.length;
    return unread;
  }

  /** Text of the next `n` frames. */
  async lines(n: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(show(await this.next(timeoutMs)));
    return out;
  }

  /** Read frames up to and including the first that matches; returns it. */
  async until(match: (f: Received) => boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = await this.next(Math.max(1, deadline - Date.now()));
      if (match(f)) return f;
    }
  }

  /** Send one command line; the text of every frame up to and including its reply. */
  async cmd(line: string | Uint8Array, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string[]> {
    this.write(typeof line === 'string' ? `${line}\r\n` : line);
    const out: string[] = [];
    for (;;) {
      const f = await this.next(timeoutMs);
      out.push(show(f));
      if (!(f instanceof ProtocolError) && REPLY_END.has(f.type)) return out;
    }
  }

  /** `cmd` whose reply must be OK (events before it are allowed); returns the OK line. */
  async ok(line: string): Promise<string> {
    const out = await this.cmd(line);
    const last = out[out.length - 1];
    if (!last.startsWith('OK')) throw new Error(`${line} was answered ${JSON.stringify(out)}`);
    return last;
  }

  /**
   * A barrier: PING, and the text of whatever arrived before its PONG. Once a PONG is back,
   * everything the server queued for this client before reading the PING has arrived.
   */
  async settle(token = 'settle'): Promise<string[]> {
    this.write(`PING ${token}\r\n`);
    const out: string[] = [];
    for (;;) {
      const f = await this.next();
      if (!(f instanceof ProtocolError) && f.type === 'PONG' && f.token === token) return out;
      out.push(show(f));
    }
  }

  /** Resolve once `done()` holds (checked on every frame and on close). */
  waitFor(done: () => boolean, what: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((ok, fail) => {
      const wake = () => {
        if (done()) {
          finish();
          ok();
        } else if (this.closed) {
          finish();
          fail(new Error(`connection closed while waiting for ${what}\n${this.describe()}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        fail(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.describe()}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
      };
      this.wakers.add(wake);
      wake();
    });
  }

  /** Resolve once the connection has closed. */
  waitClosed(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((ok, fail) => {
      const wake = () => {
        if (!this.closed) return;
        clearTimeout(timer);
        this.wakers.delete(wake);
        ok();
      };
      const timer = setTimeout(() => {
        this.wakers.delete(wake);
        fail(new Error(`timed out after ${timeoutMs} ms waiting for the connection to close\n${this.describe()}`));
      }, timeoutMs);
      this.wakers.add(wake);
    });
  }

  /** Stop reading: the server's output piles up in the kernel, then in the server. */
  pause(): void {
    this.closer.pause();
  }
  resume(): void {
    this.closer.resume();
  }
  /** Close our side cleanly (FIN / WebSocket close). */
  end(): void {
    this.closer.end();
  }
  destroy(): void {
    this.closer.destroy();
  }

  /** What was received, for a failure message: the frames around the read position. */
  describe(): string {
    const from = Math.max(0, this.at - 10);
    const shown = this.frames.slice(from, this.at + 20).map((f, i) => `${from + i === this.at ? '>' : ' '} ${show(f).slice(0, 200)}`);
    return `received ${this.frames.length} frames (${this.bytesReceived} bytes), read ${this.at}, ` +
      `${this.closed ? 'closed' : 'open'}:\n${shown.join('\n')}`;
  }

  private receive(chunk: Uint8Array): void {
    this.bytesReceived += chunk.length;
    this.parser.push(chunk);
    this.wake();
  }

  private onFrame(f: Received): void {
    this.frames.push(f);
    if (isMsg(f)) this.msgs.push(f);
  }

  private onClose(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }
}

// ---------------------------------------------------------------- the server as a process

export type ServerProcess = {
  proc: ChildProcess;
  tcpPort: number;
  httpPort: number;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

/**
 * What a server process runs. `npm test` builds first and sets SLCK_TEST_SERVER=built, so
 * the suite tests the server as `npm start` runs it (dist/server/main.js, plain node); a test
 * file run by hand runs the sources through tsx, so an edit needs no build.
 */
const SERVER_ENTRY = process.env.SLCK_TEST_SERVER === 'built' ? ['dist/server/main.js'] : ['--import', 'tsx', 'gateway/main.ts'];

/**
 * Start the server as its own process. It runs as `node --import tsx`, which is what
 * `npx tsx` ends up running, minus the npm and tsx wrapper processes: those do not pass a
 * signal on (npx exits 143 on SIGTERM and leaves the server running), and a test must be
 * able to SIGTERM or SIGKILL the server itself.
 */
export function runServer(args: string[], opts: { entry?: string[] } = {}): Omit<ServerProcess, 'tcpPort' | 'httpPort'> & {
  waitOutput(done: (stdout: string) => boolean, timeoutMs?: number): Promise<void>;
} {
  const proc = spawn(process.execPath, [...(opts.entry ?? SERVER_ENTRY), '--host', '127.0.0.1', ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let ended = false;
  const wakers = new Set<() => void>();
  const wake = () => wakers.forEach((w) => w());
  proc.stdout!.setEncoding('utf8').on('data', (s: string) => ((out += s), wake()));
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
    proc.on('close', (code, signal) => {
      ended = true;
      wake();
      ok({ code, signal });
    }),
  );
  const waitOutput = (done: (stdout: string) => boolean, timeoutMs = 30_000) =>
    new Promise<void>((ok, fail) => {
      const check = () => {
        if (!done(out) && !ended) return;
        clearTimeout(timer);
        wakers.delete(check);
        if (done(out)) ok();
        else fail(new Error(`the server exited\nstdout:\n${out}\nstderr:\n${err}`));
      };
      const timer = setTimeout(() => {
        wakers.delete(check);
        fail(new Error(`timed out waiting for the server's output\nstdout:\n${out}\nstderr:\n${err}`));
      }, timeoutMs);
      wakers.add(check);
      check();
    });
  return { proc, stdout: () => out, stderr: () => err, exited, waitOutput };
}

const WEB_PORT = /web app:\s+http:\/\/[^\s:]+:(\d+)/;
const TCP_PORT = /telnet:\s+telnet \S+ (\d+)/;

/** `runServer`, resolved once it has printed its ports. */
export async function spawnServer(args: string[]): Promise<ServerProcess> {
  const p = runServer(args);
  try {
    await p.waitOutput((s) => WEB_PORT.test(s) && TCP_PORT.test(s));
  } catch (e) {
    p.proc.kill('SIGKILL');
    throw e;
  }
  const out = p.stdout();
  return { ...p, httpPort: Number(WEB_PORT.exec(out)![1]), tcpPort: Number(TCP_PORT.exec(out)![1]) };
}
