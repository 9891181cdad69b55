/**
 * The load generator's message bodies and clock.
 *
 * Every body is exactly BODY_SIZE (64) printable ASCII bytes, so a lost, duplicated or
 * damaged delivery can be told apart from a good one:
 *
 *   SSSSS QQQQQQQQQQ TTTTTTTTTTTTTTTT xxxxxxxxxxxxxxxxxxxxx CCCCCCCC
 *   0     6          17               34                    56
 *
 * S = sender index (decimal), Q = the sender's sequence number (decimal, from 0),
 * T = send time in whole microseconds of the monotonic clock (decimal),
 * x = padding, C = FNV-1a (by 32-bit words) of bytes [0, 56) in hex.
 */

export const BODY_SIZE = 64;
const SENDER_AT = 0;
const SENDER_DIGITS = 5;
const SEQ_AT = 6;
const SEQ_DIGITS = 10;
const TIME_AT = 17;
const TIME_DIGITS = 16;
const PAD_AT = 34;
const SUM_AT = 56;
const HEX = '0123456789abcdef';

/**
 * Microseconds of CLOCK_MONOTONIC (process.hrtime), which every process on the machine
 * shares: a time taken in a sender process can be subtracted from one taken in a receiver.
 */
export function nowUs(): number {
  const t = process.hrtime();
  return t[0] * 1e6 + t[1] / 1e3;
}

/**
 * FNV-1a over little-endian 32-bit words rather than bytes (`end - start` is a multiple of
 * 4): a quarter of the rounds, as this runs for every one of a million deliveries a second.
 */
function fnv1a(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i += 4) {
    h = Math.imul(h ^ (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)), 0x01000193);
  }
  return h >>> 0;
}

function writeDecimal(out: Uint8Array, at: number, digits: number, x: number): void {
  for (let i = at + digits - 1; i >= at; i--) {
    out[i] = 48 + (x % 10);
    x = Math.floor(x / 10);
  }
}

/** A fresh body (the client may keep a reference to it until it is written). */
export function makeBody(sender: number, seq: number, sentUs: number): Uint8Array {
  const out = new Uint8Array(BODY_SIZE);
  writeDecimal(out, SENDER_AT, SENDER_DIGITS, sender);
  out[SENDER_AT + SENDER_DIGITS] = 32;
  writeDecimal(out, SEQ_AT, SEQ_DIGITS, seq);
  out[SEQ_AT + SEQ_DIGITS] = 32;
  writeDecimal(out, TIME_AT, TIME_DIGITS, Math.floor(sentUs));
  out[TIME_AT + TIME_DIGITS] = 32;
  out.fill(120, PAD_AT, SUM_AT - 1); // 'x'
  out[SUM_AT - 1] = 32;
  const sum = fnv1a(out, 0, SUM_AT);
  for (let i = 0; i < 8; i++) out[SUM_AT + i] = HEX.charCodeAt((sum >>> (28 - 4 * i)) & 15);
  return out;
}

function readDecimal(b: Uint8Array, at: number, digits: number): number {
  let x = 0;
  for (let i = at; i < at + digits; i++) {
    const d = b[i] - 48;
    if (d < 0 || d > 9) return -1;
    x = x * 10 + d;
  }
  return x;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** What a body says, or null when it is damaged (wrong size, bad field, bad checksum). */
export type BodyFields = { sender: number; seq: number; sentUs: number };

/** Reads into `out` (reused by the caller, as this runs once per delivery). False: damaged. */
export function readBody(b: Uint8Array, out: BodyFields): boolean {
  if (b.length !== BODY_SIZE) return false;
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const d = hexDigit(b[SUM_AT + i]);
    if (d < 0) return false;
    sum = sum * 16 + d;
  }
  if (fnv1a(b, 0, SUM_AT) !== sum) return false;
  out.sender = readDecimal(b, SENDER_AT, SENDER_DIGITS);
  out.seq = readDecimal(b, SEQ_AT, SEQ_DIGITS);
  out.sentUs = readDecimal(b, TIME_AT, TIME_DIGITS);
  return out.sender >= 0 && out.seq >= 0 && out.sentUs >= 0;
}
