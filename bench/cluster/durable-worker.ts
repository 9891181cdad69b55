/**
 * Scenario (1)'s load generator, forked by durable.ts: N TCP clients, each REGistered and
 * alone in a channel of its own (`#<prefix><i>`), each keeping a window of MSGs in flight
 * (a new one goes out as soon as an `OK <id> <ts>` comes back: the message is committed).
 * It counts the OKs read inside the measured window and records, for each, the time from
 * writing its MSG to reading its OK (both `process.hrtime`, the receive time taken once per
 * chunk read, before parsing), as bench/store-socket.ts does.
 */
import net from 'node:net';
import { Parser, ProtocolError, SERVER_FRAME_LIMITS, ServerFrameDecoder, encodeMsg, type ServerFrame } from '../../core/index.ts';
import { nowUs } from '../load/body.ts';
import { Histogram, type HistogramData } from '../load/histogram.ts';

export type ToDurableWorker =
  | { type: 'connect'; port: number; clients: number; prefix: string; bodyBytes: number }
  | { type: 'go'; window: number; measureFromUs: number; measureToUs: number }
  | { type: 'close' };

export type DurableReport = { oks: number; errors: number; firstError?: string; latency: HistogramData; unanswered: number };

export type FromDurableWorker =
  | { type: 'connected' }
  | ({ type: 'report' } & DurableReport)
  | { type: 'fatal'; message: string };

type Client = {
  socket: net.Socket;
  msg: Uint8Array;
  /** Write times of the MSGs awaiting OK, oldest first (a ring would do; the head index keeps it cheap). */
  sentAt: number[];
  head: number;
};

const send = (m: FromDurableWorker) => process.send!(m);
const clients: Client[] = [];
const latency = new Histogram();
let window = 0;
let sending = false;
let measureFromUs = Infinity;
let measureToUs = -Infinity;
let oks = 0;
let errors = 0;
let firstError: string | undefined;
let recvUs = 0;

function fill(c: Client): void {
  if (!sending) return;
  const want = window - (c.sentAt.length - c.head);
  if (want <= 0) return;
  const now = nowUs();
  const parts: Uint8Array[] = [];
  for (let k = 0; k < want; k++) {
    parts.push(c.msg);
    c.sentAt.push(now);
  }
  c.socket.write(Buffer.concat(parts));
}

function connect(port: number, handle: string, channel: string, body: Uint8Array): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    const c: Client = { socket, msg: encodeMsg(channel, body), sentAt: [], head: 0 };
    let setup = 0;
    const onFrame = (f: ServerFrame | ProtocolError) => {
      if (f instanceof ProtocolError) {
        errors++;
        firstError ??= `unreadable frame: ${f.message}`;
        return;
      }
      if (f.type !== 'OK' && f.type !== 'ERR') return; // HELLO, JOINED
      if (setup < 2) {
        if (f.type === 'ERR') return reject(new Error(`${handle}: set-up refused: ERR ${f.code} ${f.text}`));
        if (++setup === 2) resolve(c);
        return;
      }
      const sentUs = c.sentAt[c.head++];
      if (f.type === 'OK') {
        if (recvUs >= measureFromUs && recvUs < measureToUs) {
          oks++;
          latency.record(recvUs - sentUs);
        }
      } else {
        errors++;
        firstError ??= `ERR ${f.code} ${f.text}`;
      }
    };
    const parser = new Parser(new ServerFrameDecoder(), SERVER_FRAME_LIMITS, onFrame);
    socket.on('data', (chunk) => {
      recvUs = nowUs();
      parser.push(chunk);
      if (c.head > 4096) {
        c.sentAt = c.sentAt.slice(c.head);
        c.head = 0;
      }
      fill(c);
    });
    socket.on('error', (e) => reject(e));
    socket.write(`REG ${handle}\r\nJOIN ${channel}\r\n`);
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function handle(m: ToDurableWorker): Promise<void> {
  switch (m.type) {
    case 'connect': {
      const body = new Uint8Array(m.bodyBytes).fill(120); // 'x'
      for (let i = 0; i < m.clients; i++) clients.push(await connect(m.port, `@${m.prefix}${i}`, `#${m.prefix}${i}`, body));
      send({ type: 'connected' });
      return;
    }
    case 'go': {
      window = m.window;
      measureFromUs = m.measureFromUs;
      measureToUs = m.measureToUs;
      sending = true;
      for (const c of clients) fill(c);
      await sleep(Math.max(0, (measureToUs - nowUs()) / 1000));
      sending = false;
      // Every MSG sent is answered before the report: a missing OK would be a lost reply.
      const deadline = Date.now() + 15_000;
      const outstanding = () => clients.reduce((n, c) => n + c.sentAt.length - c.head, 0);
      while (outstanding() > 0 && Date.now() < deadline) await sleep(5);
      send({ type: 'report', oks, errors, firstError, latency: latency.toJSON(), unanswered: outstanding() });
      return;
    }
    case 'close':
      for (const c of clients) c.socket.destroy();
      setTimeout(() => process.exit(0), 20);
  }
}

process.on('message', (m: ToDurableWorker) => {
  handle(m).catch((e: Error) => send({ type: 'fatal', message: e.stack ?? e.message }));
});
process.on('disconnect', () => process.exit(0));
