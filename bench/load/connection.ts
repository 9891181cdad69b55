import net from 'node:net';
import WebSocket from 'ws';
import {
  Parser, ProtocolError, SERVER_FRAME_LIMITS, ServerFrameDecoder,
  type Delivery, type ParseResult, type ServerFrame,
} from '../../core/index.ts';
import type { Transport } from './protocol.ts';
import { nowUs } from './body.ts';

/** Where a worker stamps the time each chunk arrived: once per chunk, not per delivery. */
export type Clock = { recvUs: number };

export type ConnectionEvents = {
  delivery(frame: Delivery): void;
  /** A frame core's parser could not read. */
  damaged(): void;
  /** The socket closed. */
  closed(): void;
};

type Reply = (frame: ServerFrame) => void;

/**
 * One load-generator connection (TCP or WebSocket), read with core's Parser and
 * ServerFrameDecoder. It does what SlckClient does, minus what a million deliveries a second
 * cannot afford: deliveries go straight to a callback (no event emitter) and replies to a
 * FIFO of callbacks (no promise per MSG). Replies arrive in command order (spec section 1),
 * and OK, ERR, PONG, TIME and END are the frames that end one.
 */
export class Connection {
  open = true;
  /** WebSocket pings the server sent (the ws library answers each with a pong). */
  pings = 0;
  private readonly parser: Parser<ServerFrame>;
  private readonly replies: Reply[] = [];
  private writeBytes: (bytes: Uint8Array) => void = () => {};
  private closeSocket: () => void = () => {};

  constructor(
    readonly transport: Transport,
    private readonly events: ConnectionEvents,
  ) {
    this.parser = new Parser(new ServerFrameDecoder(), SERVER_FRAME_LIMITS, (r) => this.onFrame(r));
  }

  /** Send a command; `reply` gets the frame that answers it (OK, ERR, PONG...). */
  request(bytes: Uint8Array, reply: Reply): void {
    this.replies.push(reply);
    this.writeBytes(bytes);
  }

  /** The same as a promise: resolves with the reply, rejects on ERR or when the socket closes. */
  call(bytes: Uint8Array): Promise<ServerFrame> {
    return new Promise((resolve, reject) => {
      this.request(bytes, (f) => (f.type === 'ERR' ? reject(new Error(`${f.code} ${f.text}`)) : resolve(f)));
    });
  }

  close(): void {
    this.closeSocket();
  }

  private onFrame(r: ParseResult<ServerFrame>): void {
    if (r instanceof ProtocolError) return this.events.damaged();
    switch (r.type) {
      case 'MSG':
        return this.events.delivery(r);
      case 'OK':
      case 'ERR':
      case 'PONG':
      case 'TIME':
      case 'END':
        this.replies.shift()?.(r);
        return;
      case 'BYE':
        return this.fail(`BYE ${r.reason} ${r.text}`);
      default:
        // HELLO, JOINED, ONLINE and the like: nothing to check under load.
        return;
    }
  }

  private fail(text: string): void {
    const waiting = this.replies.splice(0);
    for (const reply of waiting) reply({ type: 'ERR', code: 'DISCONNECTED', text });
  }

  private onClosed(): void {
    if (!this.open) return;
    this.open = false;
    this.fail('connection closed');
    this.events.closed();
  }

  /** Connect and resolve once the socket is open (the HELLO banner is read and ignored). */
  static open(transport: Transport, port: number, clock: Clock, events: ConnectionEvents): Promise<Connection> {
    const c = new Connection(transport, events);
    return new Promise((resolve, reject) => {
      if (transport === 'tcp') {
        const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
        // A connect that hangs (a full accept queue) fails after 30 s rather than never.
        socket.setTimeout(30_000, () => socket.destroy(new Error('connect timed out')));
        c.writeBytes = (bytes) => socket.write(bytes);
        c.closeSocket = () => socket.destroy();
        socket.on('data', (chunk) => {
          clock.recvUs = nowUs();
          c.parser.push(chunk);
        });
        socket.once('connect', () => {
          socket.setTimeout(0);
          socket.off('error', reject);
          socket.on('error', () => {});
          resolve(c);
        });
        socket.once('error', reject);
        socket.on('close', () => c.onClosed());
      } else {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false, handshakeTimeout: 30_000 });
        c.writeBytes = (bytes) => ws.send(bytes);
        c.closeSocket = () => ws.terminate();
        ws.on('message', (data: Buffer) => {
          clock.recvUs = nowUs();
          c.parser.push(data);
        });
        ws.on('ping', () => c.pings++);
        ws.once('open', () => {
          ws.off('error', reject);
          ws.on('error', () => {});
          resolve(c);
        });
        ws.once('error', reject);
        ws.on('close', () => c.onClosed());
      }
    });
  }
}
