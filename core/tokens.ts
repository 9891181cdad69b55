import { ErrorCode, ProtocolError } from './errors.ts';
import { ascii, fromUtf8 } from './bytes.ts';
import { LIMITS } from './limits.ts';
import { nameProblem, type NameKind } from './names.ts';

/** Shared pieces of the two line decoders. */

export const SP = 32;
export const TAB = 9;

export const isSpace = (b: number): boolean => b === SP || b === TAB;

/** Index of the first space or tab in [from, end), or end. */
export function tokenEnd(buf: Uint8Array, from: number, end: number): number {
  while (from < end && buf[from] !== SP && buf[from] !== TAB) from++;
  return from;
}

export function skipSpaces(buf: Uint8Array, from: number, end: number): number {
  while (from < end && (buf[from] === SP || buf[from] === TAB)) from++;
  return from;
}

/** Name characters: letters, digits, _ - . */
function isNameByte(b: number): boolean {
  return (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b === 95 || b === 45 || b === 46;
}

/**
 * Read a handle or channel token [start, end) whose first byte is its sigil. Returns the
 * name, or the error naming what is wrong. Fast: one pass, no allocation beyond the string.
 */
export function readName(buf: Uint8Array, start: number, end: number, kind: NameKind): string | ProtocolError {
  const len = end - start - 1;
  let ok = len >= 1 && len <= LIMITS.maxName && buf[start] === (kind === 'handle' ? 64 : 35);
  for (let i = start + 1; ok && i < end; i++) ok = isNameByte(buf[i]);
  if (ok) return ascii(buf, start, end);
  return nameProblem(fromUtf8(buf.subarray(start, end)), kind)!;
}

/**
 * Parse a body length token: 1 to maxBody decimal digits. The error says exactly what is
 * wrong, for a person at a telnet prompt.
 */
export function readLength(buf: Uint8Array, start: number, end: number, maxBody: number): number | ProtocolError {
  if (start === end) return new ProtocolError(ErrorCode.BAD_LENGTH, 'Body length is missing');
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) {
      return new ProtocolError(ErrorCode.BAD_LENGTH, 'Body length must be a whole number of bytes');
    }
    if (n <= maxBody) n = n * 10 + d;
  }
  if (n === 0) return new ProtocolError(ErrorCode.BAD_LENGTH, 'Body length must be at least 1');
  if (n > maxBody) return new ProtocolError(ErrorCode.BODY_TOO_LARGE, `Body is larger than ${maxBody} bytes`);
  return n;
}

/**
 * Split a line into words on spaces and tabs (for the lines that are not on a hot path).
 * Only spaces and tabs: String.trim() would also eat a password's trailing NBSP or \v.
 */
export function words(buf: Uint8Array, start: number, end: number): string[] {
  start = skipSpaces(buf, start, end);
  while (end > start && (buf[end - 1] === SP || buf[end - 1] === TAB)) end--;
  return start === end ? [] : fromUtf8(buf.subarray(start, end)).split(/[ \t]+/);
}

/** Upper-cased verb: the first word. */
export function verbOf(buf: Uint8Array, start: number, end: number): string {
  const e = tokenEnd(buf, start, end);
  // Verbs are short ASCII; anything longer is unknown anyway.
  return ascii(buf, start, Math.min(e, start + 16)).toUpperCase();
}

/** Make text safe to put on one line: no CR, LF or other control characters. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ');
}

/** Whether text holds a C0 control character or DEL, which a terminal would act on. */
export function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * The length a word announces: its value when it is a plain decimal number from 1 to the
 * skip limit, else 0 (not a length the server can trust, so nothing is skipped).
 */
export function announcedLength(buf: Uint8Array, start: number, end: number): number {
  if (start === end) return 0;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return 0;
    // Leading zeros are digits like any other (`00000005` is 5); past the limit, stop growing.
    if (n <= LIMITS.maxSkip) n = n * 10 + d;
  }
  return n <= LIMITS.maxSkip ? n : 0;
}
