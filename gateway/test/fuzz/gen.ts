/**
 * The generator's parts shared by cases.ts and cases-log.ts: the seeded random source, and
 * the words, lines and bodies commands are made of.
 */
import { MAX_BODY } from './model-syntax.ts';

/** sfc32, seeded through splitmix32: small, fast, and the same on every platform. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const mix = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 0x1_0000_0000) * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

export const b = (s: string): Buffer => Buffer.from(s, 'latin1');
export const CHANNELS = ['#general', '#General', '#fz0', '#fz1', '#fz2', '#FZ3', '#nowhere'];
/** Handles the harness's connections take (`@fz<worker>r<generation>`), and strangers. */
export const USERS = ['@fz0r0', '@fz1r0', '@fz2r0', '@FZ3R0', '@nobody'];
export const target = (r: Rng) => (r.chance(0.75) ? r.pick(CHANNELS) : r.pick(USERS));
export const sep = (r: Rng) => r.pick([' ', ' ', ' ', ' ', ' ', ' ', '\t', '  ', ' \t ']);
export const eol = (r: Rng) => (r.chance(0.7) ? '\r\n' : '\n');
export const afterBody = (r: Rng) => r.pick(['', '\r\n', '\r\n', '\r\n', '\n', '\r']);

export function verb(r: Rng, v: string): string {
  // Now and then with IRC's and Slack's leading `/`, which the server drops.
  const slash = r.chance(0.1) ? '/' : '';
  const p = r.int(10);
  if (p < 7) return slash + v;
  if (p < 9) return slash + v.toLowerCase();
  return slash + Array.from(v, (c) => (r.chance(0.5) ? c.toLowerCase() : c)).join('');
}

/** A command line: the verb in some case, its words apart by spaces or tabs, a line end. */
export function line(r: Rng, v: string, ...args: string[]): Buffer {
  const lead = r.chance(0.05) ? sep(r) : '';
  const trail = r.chance(0.05) ? sep(r) : '';
  return b(lead + [verb(r, v), ...args].map((w, i) => (i ? sep(r) : '') + w).join('') + trail + eol(r));
}

export function bodyLength(r: Rng): number {
  const p = r.int(1000);
  if (p < 500) return r.range(1, 16);
  if (p < 850) return r.range(17, 300);
  if (p < 950) return r.range(301, 4096);
  if (p < 995) return r.range(4097, MAX_BODY);
  return MAX_BODY;
}

export const ALPHABET = b(' \t\r\n\r\n\\rn0123456789MSGmsg#@PING \x00\xff\xc3\x80');

export const BODY_MODES = [b('Hello everyone! h\xc3\xa9llo \xe2\x82\xac '), b('\r\n\r\naa  '), b('PING inj\r\nMSG #general 5\r\nHello\nQUIT\r\n\\r\\n'), b('\x00\xff')];
export const SPRINKLE = b('\r\n\x00\xff\\ ');

/**
 * Body bytes: text, binary, line ends, things that look like commands, NUL, bad UTF-8. The
 * first 512 bytes are drawn and then repeated, with a few bytes sprinkled over the rest:
 * drawing every byte of a 64 kB body costs more than sending it.
 */
export function body(r: Rng, len: number): Buffer {
  const out = Buffer.alloc(len);
  const n = Math.min(len, 512);
  const mode = r.int(BODY_MODES.length + 2);
  const src = mode < BODY_MODES.length ? BODY_MODES[mode] : ALPHABET;
  for (let i = 0; i < n; i++) {
    if (mode === BODY_MODES.length) out[i] = r.int(256);
    else out[i] = mode < BODY_MODES.length && mode !== 1 && mode !== 3 ? src[i % src.length] : src[r.int(src.length)];
  }
  for (let i = n; i < len; i += n) out.copy(out, i, 0, Math.min(n, len - i));
  for (let k = len > n ? r.range(0, 8) : 0; k > 0; k--) out[r.int(len)] = SPRINKLE[r.int(SPRINKLE.length)];
  return out;
}

/** A text body for the one-line form: no LF (it ends the line), so mostly printable. */
export const oneLineText = (r: Rng, n: number) => Array.from({ length: n }, () => r.pick([...'Hello wrld!\t\\é'])).join('');

