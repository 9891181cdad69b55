/**
 * The words of a command line and the syntax rules the model shares between its files
 * (docs/PROTOCOL.md sections 1, 2 and 4), written from the spec text, not from core/.
 */

/** Spec section 7 limits, restated here on purpose (not imported from core/limits.ts). */
export const MAX_LINE = 4096;
export const MAX_BODY = 65_536;
export const MAX_SKIP = 1_048_576;

export const LF = 10;
export const CR = 13;
export const SP = 32;
export const TAB = 9;

export const isSpace = (b: number) => b === SP || b === TAB;
export const isDigit = (b: number) => b >= 48 && b <= 57;
export const isNameByte = (b: number) =>
  (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || isDigit(b) || b === 95 || b === 45 || b === 46;

/** Words of a line: maximal runs of bytes other than space and tab (section 1). */
export function words(line: Uint8Array): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && isSpace(line[i])) i++;
    const start = i;
    while (i < line.length && !isSpace(line[i])) i++;
    if (i > start) out.push({ start, end: i });
  }
  return out;
}

/** Verbs are case-insensitive: ASCII letters only fold (a-z to A-Z), nothing else does. */
export function upperAscii(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x >= 97 && x <= 122 ? x - 32 : x);
  return s;
}

/** Value of a digits-only word, capped so a long run of digits stays a finite number. */
export function digitsValue(w: Uint8Array): number | null {
  if (w.length === 0) return null;
  let n = 0;
  for (const b of w) {
    if (!isDigit(b)) return null;
    n = Math.min(n * 10 + (b - 48), 1e12);
  }
  return n;
}

/** Section 4: a sigil and 1 to 32 of letters, digits, `_`, `-`, `.`. */
export function validName(w: Uint8Array, sigil: number): boolean {
  if (w[0] !== sigil || w.length < 2 || w.length > 33) return false;
  for (let i = 1; i < w.length; i++) if (!isNameByte(w[i])) return false;
  return true;
}

/** Codes a bad MSG/HISTORY target may get; empty when the target is fine. */
export function targetProblems(w: Uint8Array | undefined): string[] {
  if (w === undefined) return ['ERR:BAD_TARGET', 'ERR:BAD_SYNTAX'];
  if (w[0] === 35) return validName(w, 35) ? [] : ['ERR:BAD_CHANNEL', 'ERR:BAD_TARGET'];
  if (w[0] === 64) return validName(w, 64) ? [] : ['ERR:BAD_HANDLE', 'ERR:BAD_TARGET'];
  return ['ERR:BAD_TARGET'];
}

export const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
export const key = (w: Uint8Array) => latin1(w).toLowerCase();
export const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Printable, escaped and cut text of a line, for failure reports. */
export function shortEscape(b: Uint8Array, max = 80): string {
  let s = '';
  for (let i = 0; i < b.length && s.length < max; i++) {
    const c = b[i];
    s += c === 92 ? '\\\\' : c >= 32 && c < 127 ? String.fromCharCode(c) : c === CR ? '\\r' : c === LF ? '\\n' : c === TAB ? '\\t' : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return s.length >= max ? `${s}…(${b.length} bytes)` : s;
}

export const wordCount = (k: number) => (k === 1 ? '1 word' : k === 2 ? '2 words' : k === 0 ? 'no words' : '3+ words');

/** Digits at the start of `w` when they are followed at once by the 4 characters `\r\n`. */
export function seedDigits(w: Uint8Array): number {
  let i = 0;
  while (i < w.length && isDigit(w[i])) i++;
  return i > 0 && w[i] === 92 && w[i + 1] === 114 && w[i + 2] === 92 && w[i + 3] === 110 ? i : 0;
}

/** `PING [token]`: the token echoed, cut to 64 characters; a control character is refused. */
export function pingReplies(args: Uint8Array[]): string[] {
  if (args.length > 1) return ['ERR:BAD_SYNTAX'];
  if (args.length === 0) return ['PONG:'];
  if (args[0].some((b) => b < 32 || b === 127)) return ['ERR:BAD_SYNTAX'];
  try {
    return [`PONG:${Array.from(utf8Strict.decode(args[0])).slice(0, 64).join('')}`];
  } catch {
    return ['PONG']; // not UTF-8: how it is shown back is not the spec's business
  }
}

/** `CHNS [limit] [after <#channel>]` (section 2): a limit of 0 or a non-number is BAD_SYNTAX. */
export function chnsReplies(args: Uint8Array[]): string[] {
  let i = 0;
  const limit = args.length ? digitsValue(args[0]) : null;
  if (limit !== null) {
    if (limit === 0) return ['ERR:BAD_SYNTAX'];
    i++;
  }
  if (i === args.length) return ['END:CHNS'];
  if (i + 2 !== args.length || !/^after$/i.test(latin1(args[i]))) return ['ERR:BAD_SYNTAX'];
  const ok = validName(args[i + 1], 35) ? ['END:CHNS'] : ['ERR:BAD_CHANNEL', 'ERR:BAD_SYNTAX'];
  // The spec writes the word in lower case; whether `AFTER` is the same word it does not say.
  return latin1(args[i]) === 'after' ? ok : [...ok, 'ERR:BAD_SYNTAX'];
}

/** `HISTORY <#channel|@user> [limit] [before <id>|after <id>|around <id>]`: syntax codes, or none. */
export function historySyntax(args: Uint8Array[]): string[] {
  if (args.length < 1 || args.length > 4) return ['ERR:BAD_SYNTAX'];
  const bad = targetProblems(args[0]);
  if (bad.length) return bad;
  let i = 1;
  const limit = i < args.length ? digitsValue(args[i]) : null;
  if (limit !== null) {
    if (limit === 0) return ['ERR:BAD_SYNTAX'];
    i++;
  }
  if (i === args.length) return [];
  const dir = latin1(args[i]);
  const id = i + 1 < args.length ? digitsValue(args[i + 1]) : null;
  if (i + 2 !== args.length || id === null || !/^(before|after|around)$/i.test(dir)) return ['ERR:BAD_SYNTAX'];
  // There is no message 0 to stand around.
  if (/^around$/i.test(dir) && id === 0) return ['ERR:BAD_SYNTAX'];
  // The spec names the words in lower case and says nothing of huge ids: allow both readings.
  if (dir !== dir.toLowerCase() || args[i + 1].length > 15) return ['either'];
  return [];
}
