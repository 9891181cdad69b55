/**
 * Codec throughput: `npm run bench:codec`.
 *
 * - client -> server: 64-byte `MSG #general 45` frames (CRLF line, 45-byte body, CRLF) fed
 *   to Parser + CommandDecoder in 1,460-byte chunks (one TCP segment on Ethernet), so some
 *   frames span chunks the way they do on a real socket.
 * - server -> client: deliveries (`MSG <target> <from> <id> <ts> <len>` + body) built by
 *   encodeDelivery, fed to Parser + ServerFrameDecoder the same way.
 * - encodeDelivery on its own, ops/s.
 * - for reference, a plain JS line splitter over the client stream.
 *
 * Each figure is the best of several timed runs after a warm-up; MB is 10^6 bytes.
 */
import { performance } from 'node:perf_hooks';
import { Parser, type LineDecoder } from '../core/parser.ts';
import { CommandDecoder } from '../core/decode-command.ts';
import { ServerFrameDecoder } from '../core/decode-server.ts';
import { encodeDelivery } from '../core/encode.ts';
import { COMMAND_LIMITS, SERVER_FRAME_LIMITS, type Limits } from '../core/limits.ts';
import { concat, utf8 } from '../core/bytes.ts';

const CHUNK = 1460;
const FRAME = 64;
const WARMUP_MS = 1000;
const RUN_MS = 1000;
const RUNS = 5;

/** The text every message carries, cut so a client MSG frame is exactly FRAME bytes. */
function body(n: number): Uint8Array {
  const text = 'The quick brown fox jumps over the lazy dog. '.repeat(4);
  return utf8(text.slice(0, n));
}

function clientStream(frames: number): { bytes: Uint8Array; frameSize: number } {
  const head = 'MSG #general 45\r\n';
  const b = body(FRAME - head.length - 2);
  const one = concat([utf8(head), b, utf8('\r\n')]);
  if (one.length !== FRAME || b.length !== 45) throw new Error(`client frame is ${one.length} bytes`);
  return { bytes: concat(Array.from({ length: frames }, () => one)), frameSize: one.length };
}

function serverStream(frames: number): { bytes: Uint8Array; frameSize: number } {
  const b = body(45);
  const parts: Uint8Array[] = [];
  // Ids of one width, so every frame has the same size.
  for (let i = 0; i < frames; i++) parts.push(encodeDelivery('#general', '@jane', 100000 + i, '2026-11-22T10:00:00.000Z', b));
  return { bytes: concat(parts), frameSize: parts[0].length };
}

function chunks(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  // Each chunk is its own buffer, as a socket hands them over.
  for (let at = 0; at < bytes.length; at += CHUNK) out.push(bytes.slice(at, at + CHUNK));
  return out;
}

/** `cpu`: CPU time this process got over wall time; well under 1 means others had the cores. */
type Result = { mbPerSec: number; perSec: number; cpu: number };

/** Run `round` (which does `unitsPerRound` units of `bytesPerRound` bytes) for `ms`. */
function timed(ms: number, round: () => void, bytesPerRound: number, unitsPerRound: number): Result {
  let rounds = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    round();
    rounds++;
    now = performance.now();
  }
  const secs = (now - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    mbPerSec: (rounds * bytesPerRound) / secs / 1e6,
    perSec: (rounds * unitsPerRound) / secs,
    cpu: (cpu.user + cpu.system) / 1e6 / secs,
  };
}

const share = (r: Result): string => `process CPU ${Math.round(r.cpu * 100)}%`;

function best(round: () => void, bytesPerRound: number, unitsPerRound: number): Result {
  timed(WARMUP_MS, round, bytesPerRound, unitsPerRound);
  let top: Result = { mbPerSec: 0, perSec: 0, cpu: 0 };
  for (let i = 0; i < RUNS; i++) {
    const r = timed(RUN_MS, round, bytesPerRound, unitsPerRound);
    if (r.perSec > top.perSec) top = r;
  }
  return top;
}

function benchParse<F>(label: string, stream: { bytes: Uint8Array; frameSize: number }, decoder: LineDecoder<F>, limits: Limits): void {
  const parts = chunks(stream.bytes);
  const expected = stream.bytes.length / stream.frameSize;
  let frames = 0;
  let errors = 0;
  const parser = new Parser<F>(decoder, limits, (r) => {
    if (r instanceof Error) errors++;
    else frames++;
  });
  const round = (): void => {
    for (let i = 0; i < parts.length; i++) parser.push(parts[i]);
  };
  round();
  if (frames !== expected || errors !== 0 || !parser.idle) {
    throw new Error(`${label}: parsed ${frames} frames and ${errors} errors, expected ${expected} frames`);
  }
  const r = best(round, stream.bytes.length, expected);
  console.log(
    `${label}: ${r.mbPerSec.toFixed(1)} MB/s, ${(r.perSec / 1e6).toFixed(2)} M frames/s ` +
      `(${stream.frameSize}-byte frames, ${CHUNK}-byte chunks, best of ${RUNS} x ${RUN_MS} ms, ${share(r)})`,
  );
}

function benchEncode(): void {
  const b = body(45);
  const perRound = 10000;
  let id = 1;
  let sink = 0;
  const round = (): void => {
    for (let i = 0; i < perRound; i++) sink += encodeDelivery('#general', '@jane', id++, '2026-11-22T10:00:00.000Z', b).length;
  };
  const frameSize = encodeDelivery('#general', '@jane', 1000000, '2026-11-22T10:00:00.000Z', b).length;
  const r = best(round, perRound * frameSize, perRound);
  console.log(
    `encodeDelivery: ${(r.perSec / 1e6).toFixed(2)} M ops/s, ${r.mbPerSec.toFixed(1)} MB/s ` +
      `(~${frameSize}-byte frames, best of ${RUNS} x ${RUN_MS} ms, ${share(r)})`,
  );
  if (sink === 0) throw new Error('encoder produced nothing');
}

/**
 * The floor to compare with: split the client stream into lines with indexOf and nothing
 * else (no frames, no bodies). On a shared machine it shows how fast this box is right now.
 */
function benchSplitter(stream: { bytes: Uint8Array; frameSize: number }): void {
  const parts = chunks(stream.bytes);
  let lines = 0;
  const round = (): void => {
    for (let i = 0; i < parts.length; i++) {
      const c = parts[i];
      for (let pos = 0; ; ) {
        const lf = c.indexOf(10, pos);
        if (lf === -1) break;
        lines++;
        pos = lf + 1;
      }
    }
  };
  const r = best(round, stream.bytes.length, stream.bytes.length / stream.frameSize);
  console.log(`reference, plain JS line splitter on the client stream: ${r.mbPerSec.toFixed(1)} MB/s (${share(r)})`);
  if (lines === 0) throw new Error('splitter found no lines');
}

// ~1.4 MB streams: big enough to leave the caches honest, small enough to build quickly.
benchParse('client MSG parse (Parser + CommandDecoder)', clientStream(22000), new CommandDecoder(), COMMAND_LIMITS);
benchParse('server MSG parse (Parser + ServerFrameDecoder)', serverStream(14000), new ServerFrameDecoder(), SERVER_FRAME_LIMITS);
benchEncode();
benchSplitter(clientStream(22000));
