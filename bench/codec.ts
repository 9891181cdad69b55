/**
 * Codec throughput: `npm run bench:codec`.
 *
 * - client -> server: 64-byte `MSG #general 45` frames (CRLF line, 45-byte body, CRLF) fed
 *   to Parser + CommandDecoder in 1,460-byte chunks (one TCP segment on Ethernet), so some
 *   frames span chunks the way they do on a real socket.
 * - server -> client: deliveries (`MSG <target> <from> <id> <ts> <len>` + body) built by
 *   encodeDelivery, fed to Parser + ServerFrameDecoder the same way.
 * - encodeDelivery on its own, ops/s.
 * - the baseline: a plain JS line splitter over the same client chunks (splitterRow).
 *
 * The rows are warmed up, then timed in turns, several runs each; each figure is the median
 * with the range beside it. MB is 10^6 bytes. `--client` runs the client parse and the baselines only;
 * `--against <dir>` adds the client parse of another checkout, for before/after figures.
 */
import { performance } from 'node:perf_hooks';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Parser, type LineDecoder } from '../core/parser.ts';
import { CommandDecoder } from '../core/decode-command.ts';
import { ServerFrameDecoder } from '../core/decode-server.ts';
import { encodeDelivery } from '../core/encode.ts';
import { COMMAND_LIMITS, SERVER_FRAME_LIMITS, type Limits } from '../core/limits.ts';
import { concat, utf8 } from '../core/bytes.ts';

const CHUNK = 1460;
const FRAME = 64;
const WARMUP_MS = 1000;
const RUN_MS = 500;
const RUNS = 9;

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

/** One line of the report: what it measures, and how to do one round of it. */
type Row = { label: string; unit: string; frameSize: number; bytesPerRound: number; unitsPerRound: number; round: () => void };

function parseRow<F>(label: string, stream: { bytes: Uint8Array; frameSize: number }, decoder: LineDecoder<F>, limits: Limits, ParserClass: typeof Parser = Parser): Row {
  const parts = chunks(stream.bytes);
  const expected = stream.bytes.length / stream.frameSize;
  let frames = 0;
  let errors = 0;
  const parser = new ParserClass<F>(decoder, limits, (r) => {
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
  return { label, unit: 'frames', frameSize: stream.frameSize, bytesPerRound: stream.bytes.length, unitsPerRound: expected, round };
}

function encodeRow(): Row {
  const b = body(45);
  const perRound = 10000;
  let id = 1;
  let sink = 0;
  const round = (): void => {
    for (let i = 0; i < perRound; i++) sink += encodeDelivery('#general', '@jane', id++, '2026-11-22T10:00:00.000Z', b).length;
  };
  round();
  if (sink === 0) throw new Error('encoder produced nothing');
  const frameSize = encodeDelivery('#general', '@jane', 1000000, '2026-11-22T10:00:00.000Z', b).length;
  return { label: 'encodeDelivery', unit: 'ops', frameSize, bytesPerRound: perRound * frameSize, unitsPerRound: perRound, round };
}

/**
 * The baseline: what a hand-written JavaScript line protocol does with the same chunks. Find
 * each LF with indexOf, take the line as a subarray (a line cut by a chunk boundary is
 * copied into a carry buffer, as it must be), drop a CR, and decode the line's first word
 * (latin1: one TextDecoder call, or String.fromCharCode; a row each) to dispatch on. It knows nothing of bodies, so each frame is
 * two lines to it, and it checks no limits: a floor the codec should not be slower than.
 */
function splitterRow(stream: { bytes: Uint8Array; frameSize: number }, how: 'TextDecoder' | 'fromCharCode'): Row {
  const parts = chunks(stream.bytes);
  const latin1 = new TextDecoder('latin1');
  // The other way to get a short ASCII word: String.fromCharCode byte by byte, no call into
  // the runtime (cheaper than TextDecoder for a word of a few bytes).
  const byChar = (w: Uint8Array): string => {
    let s = '';
    for (let i = 0; i < w.length; i++) s += String.fromCharCode(w[i]);
    return s;
  };
  const decodeWord = how === 'TextDecoder' ? (w: Uint8Array): string => latin1.decode(w) : byChar;
  let carry = new Uint8Array(4096);
  let carryLen = 0;
  let lines = 0;
  let verbs = 0;
  const onLine = (line: Uint8Array): void => {
    let end = line.length;
    if (end > 0 && line[end - 1] === 13) end--;
    const sp = line.indexOf(32);
    const verb = decodeWord(line.subarray(0, sp === -1 || sp > end ? end : sp));
    lines++;
    if (verb === 'MSG') verbs++;
  };
  const round = (): void => {
    for (let i = 0; i < parts.length; i++) {
      const c = parts[i];
      let pos = 0;
      for (;;) {
        const lf = c.indexOf(10, pos);
        if (lf === -1) break;
        if (carryLen > 0) {
          carry.set(c.subarray(0, lf), carryLen);
          onLine(carry.subarray(0, carryLen + lf));
          carryLen = 0;
        } else onLine(c.subarray(pos, lf));
        pos = lf + 1;
      }
      if (pos < c.length) {
        if (carryLen + c.length - pos > carry.length) {
          const grown = new Uint8Array((carryLen + c.length - pos) * 2);
          grown.set(carry.subarray(0, carryLen));
          carry = grown;
        }
        carry.set(c.subarray(pos), carryLen);
        carryLen += c.length - pos;
      }
    }
  };
  const expected = stream.bytes.length / stream.frameSize;
  round();
  if (verbs !== expected || lines !== 2 * expected || carryLen !== 0) {
    throw new Error(`splitter: ${lines} lines, ${verbs} MSG, expected ${expected} frames`);
  }
  return { label: `baseline: plain JS line splitter (indexOf, subarray, ${how}), same client stream`, unit: 'frames', frameSize: stream.frameSize, bytesPerRound: stream.bytes.length, unitsPerRound: expected, round };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Warm every row up, then time them in turns (row 1, row 2, ..., row 1, ...), so whatever
 * else the shared machine does lands on all rows alike; report each row's median and range.
 */
function runInterleaved(rows: Row[]): void {
  for (const row of rows) timed(WARMUP_MS, row.round, row.bytesPerRound, row.unitsPerRound);
  const results: Result[][] = rows.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    rows.forEach((row, r) => results[r].push(timed(RUN_MS, row.round, row.bytesPerRound, row.unitsPerRound)));
  }
  console.log(`median of ${RUNS} interleaved ${RUN_MS} ms runs per row (range min-max), ${CHUNK}-byte chunks, MB = 10^6 bytes`);
  rows.forEach((row, r) => {
    const mb = results[r].map((x) => x.mbPerSec);
    const per = results[r].map((x) => x.perSec);
    const cpu = median(results[r].map((x) => x.cpu));
    // Per CPU second: on a shared machine, what a run did with the core time it was given.
    const perCpu = results[r].map((x) => x.mbPerSec / x.cpu);
    console.log(
      `${row.label}: ${median(mb).toFixed(1)} MB/s (${Math.min(...mb).toFixed(0)}-${Math.max(...mb).toFixed(0)}), ` +
        `${(median(per) / 1e6).toFixed(2)} M ${row.unit}/s; ${median(perCpu).toFixed(0)} MB per CPU second ` +
        `(${Math.min(...perCpu).toFixed(0)}-${Math.max(...perCpu).toFixed(0)}) (${row.frameSize}-byte frames, process CPU ${Math.round(cpu * 100)}%)`,
    );
  });
}

// ~1.4 MB streams: big enough to leave the caches honest, small enough to build quickly.
// `--client`: only the client parse and the baseline (for quick before/after runs).
// `--against <dir>`: also the client parse of another checkout (a git worktree of an older
// commit), timed in the same turns, for a before/after that shares the machine's load.
const client = clientStream(22000);
const rows = [parseRow('client MSG parse (Parser + CommandDecoder)', client, new CommandDecoder(), COMMAND_LIMITS)];
const against = process.argv.indexOf('--against');
if (against !== -1) {
  const dir = resolve(process.argv[against + 1]);
  const other = (await import(pathToFileURL(join(dir, 'core/parser.ts')).href)) as typeof import('../core/parser.ts');
  const otherDecoder = (await import(pathToFileURL(join(dir, 'core/decode-command.ts')).href)) as typeof import('../core/decode-command.ts');
  const parse = parseRow(`client MSG parse, ${dir}`, client, new otherDecoder.CommandDecoder(), COMMAND_LIMITS, other.Parser);
  rows.push(parse);
}
rows.push(splitterRow(client, 'TextDecoder'), splitterRow(client, 'fromCharCode'));
if (!process.argv.includes('--client')) {
  rows.push(parseRow('server MSG parse (Parser + ServerFrameDecoder)', serverStream(14000), new ServerFrameDecoder(), SERVER_FRAME_LIMITS), encodeRow());
}
runInterleaved(rows);
