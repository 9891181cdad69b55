/** Byte helpers on plain Uint8Array: core/ runs in browsers, so no Buffer. */

export const textEncoder = new TextEncoder();
const lenientDecoder = new TextDecoder('utf-8');

export const utf8 = (s: string): Uint8Array => textEncoder.encode(s);
export const fromUtf8 = (b: Uint8Array): string => lenientDecoder.decode(b);

/** Byte length of a string once UTF-8 encoded, without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/**
 * Decode bytes known to be ASCII (short tokens) without a TextDecoder round trip, which
 * costs more than the whole token. Building a string a character at a time is slow too, so
 * characters go to String.fromCharCode eight at a time, and a timestamp (24 characters,
 * one per delivery) in a single call.
 */
export function ascii(buf: Uint8Array, start: number, end: number): string {
  const b = buf;
  let i = start;
  if (end - i === 24) {
    return String.fromCharCode(
      b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5], b[i + 6], b[i + 7],
      b[i + 8], b[i + 9], b[i + 10], b[i + 11], b[i + 12], b[i + 13], b[i + 14], b[i + 15],
      b[i + 16], b[i + 17], b[i + 18], b[i + 19], b[i + 20], b[i + 21], b[i + 22], b[i + 23],
    );
  }
  let s = '';
  for (; i + 8 <= end; i += 8) {
    s += String.fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5], b[i + 6], b[i + 7]);
  }
  for (; i < end; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** Write an ASCII string into `out` at `at`; returns the new offset. */
export function writeAscii(out: Uint8Array, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) out[at++] = s.charCodeAt(i);
  return at;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
