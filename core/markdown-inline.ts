/**
 * The inline text of a paragraph as the web app's Markdown (markdown-it 15, configured in
 * web/src/lib/render.ts) reads it, reduced to one question: where may an `@mention` be read?
 * Not in what other inline rules take whole: backslash escapes, code spans, `<autolinks>`,
 * bare http(s) URLs, and links' addresses and titles (a link's text is read as text, without
 * bare URLs). A port of those markdown-it rules (MIT licence, (c) Vitaly Puzrin, Alex
 * Kocharin) and of linkify-it's rule for where an `http:` URL ends, without the tokens.
 * Linear in the text, with markdown-it's memo of skipped tokens and its nesting limit.
 */

const MAX_NESTING = 100;
const SAFE_URL = /^(?:https?:\/\/|mailto:)/i;
// eslint-disable-next-line no-control-regex -- as markdown-it's AUTOLINK_RE
const AUTOLINK = /^([a-zA-Z][a-zA-Z0-9+.-]{1,31}):([^<>\x00-\x20]*)$/;
const EMAIL = /^([a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*)$/;
const SCHEME_CHAR = /[A-Za-z0-9+.-]/;

/** Reads the mention at `pos` (an `@`, at most to `max`): where it ends, or -1 when there is none. */
export type MentionReader = (text: string, pos: number, max: number) => number;

/** Calls `mention` at every `@` of `text` that the app's Markdown reads as inline text. */
export function scanInline(text: string, mention: MentionReader): void {
  new InlineScan(text, mention).run(0, text.length, true);
}

class InlineScan {
  /** Where the last run of each length of backticks starts (markdown-it's shortcut). */
  private lastRuns: Map<number, number> | undefined;
  /** Where the plain text being read began (after the last token): a URL's scheme is in it. */
  private textStart = 0;
  /** markdown-it's `cache`: where a token skipped over (inside a link's text) ends, by its start (+1; 0: not known). */
  private readonly skipped: Int32Array;
  private depth = 0;
  /**
   * Each `[` is looked at as a link once for each extent it is read in (a run of `[[[[`
   * would be quadratic): by its start, the extent, the `]` and the end (+1; 0: not known).
   */
  private readonly linkMax: Int32Array;
  private readonly linkLabelEnd: Int32Array;
  private readonly linkEnd: Int32Array;
  /**
   * Steps left for finding where links end. markdown-it's link rule can take time quadratic
   * in the text (64 KiB of `[` take it over 100 ms); past this budget, about 8 steps a
   * character, a `[` is read as text. No person writes such a message, and the server reads
   * every message with an `@` in it.
   */
  private budget: number;

  constructor(
    private readonly src: string,
    private readonly mention: MentionReader,
  ) {
    this.budget = 8 * src.length + 10_000;
    this.skipped = new Int32Array(src.length + 1);
    this.linkMax = new Int32Array(src.length + 1);
    this.linkLabelEnd = new Int32Array(src.length + 1);
    this.linkEnd = new Int32Array(src.length + 1);
  }

  run(from: number, max: number, linkify: boolean): void {
    const src = this.src;
    let pos = from;
    this.textStart = from;
    while (pos < max) {
      const c = src[pos];
      let end = -1;
      if (c === '@') end = this.mention(src, pos, max);
      else if (c === '\\') end = this.escapeEnd(pos, max);
      else if (c === '`') end = this.backticksEnd(pos, max);
      else if (c === '<') end = this.autolinkEnd(pos, max);
      else if (c === ':' && linkify) end = this.bareUrlEnd(pos, max);
      else if (c === '[') end = this.link(pos, max, false);
      else if (c === '*' || c === '_' || c === '~' || c === '\n') end = this.marksEnd(pos, max);
      if (end < 0) {
        // Text; an unmatched run of backticks is text too, all of it.
        pos = c === '`' ? this.runEnd(pos, max) : pos + 1;
        continue;
      }
      pos = this.textStart = end;
    }
  }

  private runEnd(pos: number, max: number): number {
    const c = this.src[pos];
    let end = pos + 1;
    while (end < max && this.src[end] === c) end++;
    return end;
  }

  /** Emphasis and strikethrough marks and line breaks are tokens of their own (a lone `~` is text). */
  private marksEnd(pos: number, max: number): number {
    if (this.src[pos] === '\n') return pos + 1;
    const end = this.runEnd(pos, max);
    return this.src[pos] === '~' && end - pos < 2 ? -1 : end;
  }

  private escapeEnd(pos: number, max: number): number {
    if (pos + 1 >= max) return -1;
    const next = this.src.charCodeAt(pos + 1);
    if (next === 0x0a) return pos + 2;
    if (next === 0x20) return pos + 1;
    return pos + (next >= 0xd800 && next <= 0xdbff && pos + 2 < max ? 3 : 2);
  }

  /** A code span (markdown-it's `backticks`), or -1. */
  private backticksEnd(start: number, max: number): number {
    const src = this.src;
    const pos = this.runEnd(start, max);
    const opener = pos - start;
    this.lastRuns ??= lastRuns(src);
    if ((this.lastRuns.get(opener) ?? -1) < pos) return -1;
    let matchEnd = pos;
    let matchStart: number;
    while ((matchStart = src.indexOf('`', matchEnd)) !== -1 && matchStart < max) {
      matchEnd = matchStart + 1;
      while (src.charCodeAt(matchEnd) === 0x60) matchEnd++;
      if (matchEnd > max) break;
      if (matchEnd - matchStart === opener) return matchEnd;
    }
    return -1;
  }

  /** `<https://…>` or `<name@host>`, or -1. */
  private autolinkEnd(start: number, max: number): number {
    let pos = start;
    for (;;) {
      if (++pos >= max) return -1;
      const ch = this.src.charCodeAt(pos);
      if (ch === 0x3c) return -1;
      if (ch === 0x3e) break;
    }
    const url = this.src.slice(start + 1, pos);
    return (AUTOLINK.test(url) && SAFE_URL.test(url)) || EMAIL.test(url) ? pos + 1 : -1;
  }

  /** At the `:` of `https://host…`, whose scheme is in the plain text since the last token: the URL, or -1. */
  private bareUrlEnd(colon: number, max: number): number {
    const src = this.src;
    if (colon + 3 > max || src[colon + 1] !== '/' || src[colon + 2] !== '/') return -1;
    let protoStart = colon;
    while (protoStart > Math.max(this.textStart, colon - 10) && SCHEME_CHAR.test(src[protoStart - 1])) protoStart--;
    const scheme = src.slice(protoStart, colon).toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') return -1;
    return urlEnd(src, colon + 3, max);
  }

  /**
   * `[text](https://… "title")`: its end, or -1 when it is no link. Unless `silent`, its text
   * is read as text (without bare URLs: markdown-it links none inside a link).
   */
  private link(start: number, max: number, silent: boolean): number {
    if (this.linkMax[start] !== max + 1) {
      const labelEnd = this.labelEnd(start, max);
      const end = labelEnd >= 0 && this.src[labelEnd + 1] === '(' ? this.destinationAndTitle(labelEnd + 2, max) : -1;
      this.linkMax[start] = max + 1;
      this.linkLabelEnd[start] = labelEnd + 1;
      this.linkEnd[start] = end + 1;
    }
    const end = this.linkEnd[start] - 1;
    if (end >= 0 && !silent) this.run(start + 1, this.linkLabelEnd[start] - 1, false);
    return end;
  }

  /** markdown-it's parseLinkLabel for a link: the `]` closing the `[` at `start`, or -1 (also when a link is inside). */
  private labelEnd(start: number, max: number): number {
    let level = 1;
    let pos = start + 1;
    while (pos < max) {
      if (--this.budget < 0) return -1;
      const c = this.src[pos];
      if (c === ']' && --level === 0) return pos;
      const prev = pos;
      pos = this.skipToken(pos, max);
      if (c === '[') {
        if (pos !== prev + 1) return -1;
        level++;
      }
    }
    return -1;
  }

  /** markdown-it's skipToken: where the token at `pos` ends, memoised by `pos` alone, as there. */
  private skipToken(pos: number, max: number): number {
    const known = this.skipped[pos];
    if (known !== 0) return known - 1;
    let end = max;
    if (this.depth < MAX_NESTING) {
      this.depth++;
      const c = this.src[pos];
      end = -1;
      if (c === '\\') end = this.escapeEnd(pos, max);
      else if (c === '`') end = this.backticksEnd(pos, max);
      else if (c === '<') end = this.autolinkEnd(pos, max);
      else if (c === '[') end = this.link(pos, max, true);
      if (end < 0) end = c === '`' ? this.runEnd(pos, max) : pos + 1;
      this.depth--;
    }
    this.skipped[pos] = end + 1;
    return end;
  }

  /** After `](`: a safe address, an optional title, then `)`: where the link ends, or -1. */
  private destinationAndTitle(from: number, max: number): number {
    const src = this.src;
    let pos = skipWhitespace(src, from, max);
    if (pos >= max) return -1;
    const dest = linkDestination(src, pos, max);
    this.budget -= dest ? dest.end - pos : max - pos;
    if (!dest || !SAFE_URL.test(dest.url)) return -1;
    pos = dest.end;
    const afterDest = pos;
    pos = skipWhitespace(src, pos, max);
    if (pos < max && pos !== afterDest) {
      const titleEnd = linkTitle(src, pos, Math.min(max, pos + Math.max(0, this.budget)));
      this.budget -= titleEnd < 0 ? max - pos : titleEnd - pos;
      if (titleEnd >= 0) pos = skipWhitespace(src, titleEnd, max);
    }
    return pos < max && src[pos] === ')' ? pos + 1 : -1;
  }
}

function lastRuns(src: string): Map<number, number> {
  const runs = new Map<number, number>();
  let pos = 0;
  while ((pos = src.indexOf('`', pos)) !== -1) {
    const start = pos;
    while (src.charCodeAt(++pos) === 0x60);
    runs.set(pos - start, start);
  }
  return runs;
}

function skipWhitespace(src: string, pos: number, max: number): number {
  while (pos < max && (src[pos] === ' ' || src[pos] === '\t' || src[pos] === '\n')) pos++;
  return pos;
}

/** markdown-it's parseLinkDestination: `<…>` or a run without spaces, parentheses balanced. */
function linkDestination(src: string, start: number, max: number): { url: string; end: number } | undefined {
  let pos = start;
  if (src[pos] === '<') {
    while (++pos < max) {
      const c = src[pos];
      if (c === '\n' || c === '<') return undefined;
      if (c === '>') return { url: src.slice(start + 1, pos), end: pos + 1 };
      if (c === '\\' && pos + 1 < max) pos++;
    }
    return undefined;
  }
  let level = 0;
  while (pos < max) {
    const code = src.charCodeAt(pos);
    if (code === 0x20 || code < 0x20 || code === 0x7f) break;
    if (code === 0x5c && pos + 1 < max) {
      pos += src.charCodeAt(pos + 1) === 0x20 ? 1 : 2;
      continue;
    }
    if (code === 0x28 && ++level > 32) return undefined;
    if (code === 0x29) {
      if (level === 0) break;
      level--;
    }
    pos++;
  }
  if (pos === start || level !== 0) return undefined;
  return { url: src.slice(start, pos), end: pos };
}

/** markdown-it's parseLinkTitle: `"…"`, `'…'` or `(…)`; where it ends, or -1. */
function linkTitle(src: string, start: number, max: number): number {
  const open = src[start];
  if (open !== '"' && open !== "'" && open !== '(') return -1;
  const close = open === '(' ? ')' : open;
  for (let pos = start + 1; pos < max; pos++) {
    const c = src[pos];
    if (c === close) return pos + 1;
    if (c === '(' && close === ')') return -1;
    if (c === '\\') pos++;
  }
  return -1;
}

// --------------------------------------------------------------------- bare URLs

const Z_CC_RE = /[\p{Z}\p{Cc}]/u;
/** Spaces and control characters (linkify-it's ZCc); ASCII answered without a regex. */
const isZCc = (c: string): boolean => (c.charCodeAt(0) < 0x80 ? c <= ' ' || c === '\x7f' : Z_CC_RE.test(c));
const NOT_PSEUDO_LETTER_RE = /[\p{Z}\p{P}\p{Cc}<>\uff5c]/u;
/** ASCII letters, digits and the symbols that are not punctuation (`<` and `>` separate). */
const ASCII_PSEUDO_LETTER = /[A-Za-z0-9$+=^`|~]/;
/** What may be part of a host name (linkify-it's pseudo letter): not a space, punctuation, control, `<` `>` `｜`. */
const isPseudoLetter = (c: string | undefined): boolean =>
  c !== undefined && c !== '' && (c.charCodeAt(0) < 0x80 ? ASCII_PSEUDO_LETTER.test(c) : !NOT_PSEUDO_LETTER_RE.test(c));
const endsPath = (c: string | undefined): boolean => c === undefined || isZCc(c);
const PAIRS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/**
 * Where the URL whose host starts at `pos` ends (linkify-it 6's `http:` rule: a host of
 * labels of letters, digits and symbols, hyphens inside them, a port, what may follow a host,
 * and a path from `/`, `?` or `#`), or -1 when there is no host there.
 */
function urlEnd(src: string, pos: number, max: number): number {
  const at = (i: number): string | undefined => (i < max ? src[i] : undefined);
  // The host: labels joined by dots (a label does not begin or end with a hyphen).
  let end = pos;
  for (let labels = 0; labels <= 10; labels++) {
    if (!isPseudoLetter(at(end))) break;
    let i = end + 1;
    let last = end;
    while (isPseudoLetter(at(i)) || at(i) === '-') {
      if (at(i) !== '-') last = i;
      i++;
    }
    end = last + 1;
    if (at(end) !== '.' || !isPseudoLetter(at(end + 1))) break;
    end++;
  }
  if (end === pos) return -1;
  const port = /^:\d{1,5}/.exec(src.slice(end, Math.min(max, end + 6)));
  if (port) end += port[0].length;
  // What may follow a host: the end, a space or punctuation, but not `-`, `_`, `:digit`,
  // `.-`, or a `.` followed by more of a name.
  const next = at(end);
  if (isPseudoLetter(next)) return -1;
  if (next === '-' || next === '_' || (next === ':' && /\d/.test(at(end + 1) ?? ''))) return -1;
  if (next === '.' && (at(end + 1) === '-' || isPseudoLetter(at(end + 1)))) return -1;
  if (next !== '/' && next !== '?' && next !== '#') return end;
  return pathEnd(src, end + 1, max);
}

/** The end of a URL's path that starts at `pos` (after its `/`, `?` or `#`). */
function pathEnd(src: string, pos: number, max: number): number {
  const at = (i: number): string | undefined => (i < max ? src[i] : undefined);
  for (;;) {
    const c = at(pos);
    if (c === undefined) return pos;
    const next = at(pos + 1);
    if ('\\/:%@#&=_~*-'.includes(c)) pos++;
    else if (c in PAIRS) {
      const end = pairEnd(src, pos, max, c, PAIRS[c], 4);
      if (end < 0) return pos;
      pos = end;
    } else if (c === '"' || c === "'") {
      let i = pos + 1;
      while (i < max && i - pos <= 100 && src[i] !== c && !isZCc(src[i])) i++;
      if (at(i) === c && i > pos + 1) pos = i + 1;
      else if (c === "'" && (isPseudoLetter(next) || next === '-')) pos++;
      else return pos;
    } else if (c === '.') {
      let i = pos;
      while (at(i) === '.') i++;
      if (i - pos >= 2) {
        if (at(i) === ':') i++;
        if (!/[a-zA-Z0-9%/&]/.test(at(i) ?? '')) return pos;
        pos = i + 1;
      } else if (endsPath(next)) return pos;
      else pos++;
    } else if (c === ',' || c === ';' || c === '?') {
      if (endsPath(next) || (c === '?' && next === '?')) return pos;
      pos++;
    } else if (c === '!') {
      let i = pos;
      while (at(i) === '!') i++;
      if (endsPath(at(i))) return pos;
      pos = i;
    } else if (!isPseudoLetter(c)) return pos;
    else pos++;
  }
}

/** `open` … `close`, nested at most `depth` deep, with no space inside: where it ends, or -1. */
function pairEnd(src: string, pos: number, max: number, open: string, close: string, depth: number): number {
  // linkify-it looks at most 1,000 characters into a pair.
  for (let i = pos + 1; i < Math.min(max, pos + 1002); i++) {
    const c = src[i];
    if (c === close) return i + 1;
    if (isZCc(c)) return -1;
    if (c === open) {
      if (depth <= 1) return -1;
      const end = pairEnd(src, i, max, open, close, depth - 1);
      if (end < 0) return -1;
      i = end - 1;
    }
  }
  return -1;
}
