import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Store } from '../store/store.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { BackupError } from '../store/sqlite-backup.ts';
import { controlSocketPath, socketPathProblem } from './socket-path.ts';
import { MAX_REQUEST_BYTES, answerLine, parseRequest } from './protocol.ts';

/**
 * The control socket, `<dataDir>/control.sock`: how an operator's command on this machine
 * asks the running server for what only the process holding the store can do. The SQLite
 * file is locked for the server's lifetime, so a backup has to be taken inside it.
 *
 * A Unix socket of mode 0600: whoever may connect is whoever owns the server's files, which
 * is all the authentication there is. One request a line (protocol.ts), answered before the
 * next is read; a few connections at a time; one backup at a time.
 */

/** Connections held at once; an operator's command needs one. */
const MAX_CONNECTIONS = 4;
/** A connection that sends nothing for this long is closed (a backup in progress is not idle). */
const IDLE_MS = 30_000;
/** How long a stale socket's probe waits for an answer before the file counts as stale. */
const PROBE_MS = 1_000;

type Log = Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;

export type ControlOptions = {
  socketPath: string;
  /** Copies the store to `file`, an absolute path; resolves with the copy's size in bytes. */
  backup: (file: string, signal: AbortSignal) => Promise<number>;
  log: Log;
};

export class ControlServer {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  /** The backup in progress, if any. */
  private running: Promise<unknown> | null = null;
  private readonly stopping = new AbortController();

  constructor(private readonly opts: ControlOptions) {}

  get socketPath(): string {
    return this.opts.socketPath;
  }

  /** Binds the socket; rejects with a sentence when it cannot (too long, in use, not a socket). */
  async listen(): Promise<void> {
    const file = this.opts.socketPath;
    const problem = socketPathProblem(file);
    if (problem !== null) throw new Error(problem);
    await removeStaleSocket(file);
    // Half-open: a client that sends its request and shuts its side still gets the answer.
    const server = net.createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
    // The socket is created under this umask, so it is never open to others, not even
    // between bind() and the chmod below; listen() binds synchronously.
    const umask = process.umask(0o177);
    try {
      server.listen(file);
    } finally {
      process.umask(umask);
    }
    await new Promise<void>((ok, fail) => {
      server.once('listening', ok);
      server.once('error', (err) => fail(new Error(`Cannot listen on the control socket ${file} (${describe(err)}).`)));
    });
    fs.chmodSync(file, 0o600);
    this.server = server;
  }

  /** Stops listening (the socket file goes), abandons a backup in progress, closes connections. */
  async close(): Promise<void> {
    this.stopping.abort();
    this.server?.close();
    this.server = null;
    await this.running?.catch(() => {});
    // The abandoned backup's ERR is written on the next turn; end() lets it out first.
    await new Promise((ok) => setImmediate(ok));
    for (const socket of this.sockets) {
      socket.end();
      setTimeout(() => socket.destroy(), 1_000).unref();
    }
  }

  private accept(socket: net.Socket): void {
    if (this.sockets.size >= MAX_CONNECTIONS || this.stopping.signal.aborted) {
      socket.end(answerLine({ ok: false, text: 'Too many control connections at once; try again shortly.' }));
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {}); // a peer gone mid-answer is not the server's problem
    let buffered: Buffer = Buffer.alloc(0);
    let busy = false;
    // The peer has sent all it will (`echo … | socat`): answer what came, then close.
    let ended = false;
    socket.setTimeout(IDLE_MS, () => {
      if (!busy) socket.destroy();
    });
    const pump = async () => {
      while (!busy && !socket.destroyed) {
        let end = buffered.indexOf(0x0a);
        if (end < 0 && ended && buffered.length > 0) end = buffered.length; // a last line without its \n
        if (end < 0 ? buffered.length > MAX_REQUEST_BYTES : end > MAX_REQUEST_BYTES) {
          socket.end(answerLine({ ok: false, text: `A request is one line of at most ${MAX_REQUEST_BYTES} bytes.` }));
          return;
        }
        if (end < 0) {
          if (ended) socket.end();
          return;
        }
        const line = buffered.subarray(0, end);
        buffered = buffered.subarray(end + 1);
        // One request at a time: nothing more is read until this one is answered.
        busy = true;
        socket.pause();
        const answer = await this.answer(line);
        busy = false;
        if (socket.destroyed) return;
        socket.write(answerLine(answer));
        socket.resume();
      }
    };
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      void pump();
    });
    socket.on('end', () => {
      ended = true;
      void pump();
    });
  }

  private async answer(line: Buffer): Promise<{ ok: boolean; text: string }> {
    const request = parseRequest(line);
    if ('error' in request) return { ok: false, text: request.error };
    if (this.stopping.signal.aborted) return { ok: false, text: 'The server is shutting down.' };
    if (this.running !== null) return { ok: false, text: 'Another backup is running; try again when it has finished.' };
    const started = Date.now();
    const job = this.opts.backup(request.file, this.stopping.signal);
    this.running = job;
    try {
      const bytes = await job;
      this.opts.log.info({ file: request.file, bytes, ms: Date.now() - started }, `backup written to ${request.file}`);
      return { ok: true, text: String(bytes) };
    } catch (err) {
      if (err instanceof BackupError) {
        this.opts.log.warn({ file: request.file }, `backup refused: ${err.message}`);
        return { ok: false, text: err.message };
      }
      this.opts.log.error({ err, file: request.file }, 'backup failed');
      return { ok: false, text: `The backup failed: ${describe(err)}.` };
    } finally {
      this.running = null;
    }
  }
}

/**
 * A socket file left by a server that was killed answers nobody: it is removed. One that
 * answers belongs to a live process, and anything that is not a socket is not ours to delete.
 */
async function removeStaleSocket(file: string): Promise<void> {
  const stat = fs.lstatSync(file, { throwIfNoEntry: false });
  if (stat === undefined) return;
  if (!stat.isSocket()) throw new Error(`${file} exists and is not a socket; move it aside to allow online backups.`);
  const answer = await new Promise<'none' | 'live' | Error>((ok) => {
    const probe = net.connect(file);
    probe.setTimeout(PROBE_MS, () => (probe.destroy(), ok('live'))); // a busy server is still a server
    probe.once('connect', () => (probe.destroy(), ok('live')));
    probe.once('error', (err: NodeJS.ErrnoException) => ok(err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? 'none' : err));
  });
  if (answer === 'live') throw new Error(`Another process answers on ${file}; is another server using this data directory?`);
  if (answer instanceof Error) throw new Error(`Cannot tell whether ${file} is in use (${describe(answer)}); move it aside to allow online backups.`);
  fs.rmSync(file, { force: true });
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && !err.message.includes(code) ? `${err.message}, ${code}` : err.message;
}

/**
 * In SQLite mode, the control socket beside the store, from start to stop. A socket that
 * cannot be bound is logged and the server serves without it: chat matters more than the
 * backup trigger, and `npm run backup` says why it cannot reach the server.
 */
export function registerControl(app: FastifyInstance, store: Store): void {
  if (!(store instanceof SqliteStore)) return; // memory has no file; PostgreSQL has pg_dump
  const control = new ControlServer({
    socketPath: controlSocketPath(path.dirname(store.file)),
    backup: (file, signal) => store.backup(file, signal),
    log: app.log,
  });
  app.addHook('onReady', async () => {
    try {
      await control.listen();
      app.log.info({ socket: control.socketPath }, `control socket (online backups) on ${control.socketPath}`);
    } catch (err) {
      app.log.error(`no online backups: ${(err as Error).message}`);
    }
  });
  app.addHook('preClose', () => control.close());
}
