/**
 * The block structure of a message body as the web app's Markdown sees it (markdown-it 15
 * with the rules web/src/lib/render.ts keeps: fenced code, block quotes, lists and
 * paragraphs; no indented code, headings, rules, tables, HTML or link definitions), reduced
 * to one question: which text is inline text, where `@mentions`, code spans and links live,
 * and which is fenced code. The server (gateway/chat/mentions.ts) and the browser both ask
 * it through core/mentions.ts, so a mention counts where the page shows it.
 *
 * A port of markdown-it's block rules `fence`, `blockquote`, `list` and `paragraph` and of
 * its line bookkeeping (MIT licence, (c) Vitaly Puzrin, Alex Kocharin), without the tokens.
 * It runs in linear time per level of nesting, and nesting stops at markdown-it's default
 * of 100 levels, as markdown-it does (what is deeper is not shown, so it names nobody).
 */

const MAX_NESTING = 100;
const TAB = 9;
const SPACE = 32;
const BACKTICK = 96;
const TILDE = 126;
const GT = 62;

const isSpace = (c: number): boolean => c === TAB || c === SPACE;
const isAsciiTrimmable = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;

function asciiTrim(s: string): string {
  let start = 0;
  while (start < s.length && isAsciiTrimmable(s.charCodeAt(start))) start++;
  let end = s.length - 1;
  while (end >= start && isAsciiTrimmable(s.charCodeAt(end))) end--;
  return s.slice(start, end + 1);
}

type Parent = 'root' | 'paragraph' | 'blockquote' | 'list';
type Rule = (startLine: number, endLine: number, silent: boolean) => boolean;

class BlockState {
  readonly src: string;
  /** Per line: where it begins (after the containers taken off so far) and ends. */
  readonly bMarks: number[] = [];
  readonly eMarks: number[] = [];
  /** Per line: characters of indentation before its first non-space. */
  readonly tShift: number[] = [];
  /** Per line: that indentation in columns (tabs to 4), or -1 for a lazy quote line. */
  readonly sCount: number[] = [];
  /** Per line: columns taken by container markers, for tab stops. */
  readonly bsCount: number[] = [];
  blkIndent = 0;
  line = 0;
  lineMax: number;
  listIndent = -1;
  parentType: Parent = 'root';
  level = 0;
  /** The paragraphs' inline text, in order. */
  readonly inline: string[] = [];

  private readonly paragraphEnders: Rule[] = [(a, b, s) => this.fence(a, b, s), (a, b, s) => this.blockquote(a, b, s), (a, b, s) => this.list(a, b, s)];
  private readonly quoteEnders = this.paragraphEnders;
  private readonly listEnders: Rule[] = [(a, b, s) => this.fence(a, b, s), (a, b, s) => this.blockquote(a, b, s)];

  constructor(src: string) {
    this.src = src;
    const s = src;
    for (let start = 0, pos = 0, indent = 0, offset = 0, indentFound = false; pos < s.length; pos++) {
      const ch = s.charCodeAt(pos);
      if (!indentFound) {
        if (isSpace(ch)) {
          indent++;
          offset += ch === TAB ? 4 - (offset % 4) : 1;
          continue;
        }
        indentFound = true;
      }
      if (ch === 10 || pos === s.length - 1) {
        if (ch !== 10) pos++;
        this.bMarks.push(start);
        this.eMarks.push(pos);
        this.tShift.push(indent);
        this.sCount.push(offset);
        this.bsCount.push(0);
        indentFound = false;
        indent = 0;
        offset = 0;
        start = pos + 1;
      }
    }
    this.bMarks.push(s.length);
    this.eMarks.push(s.length);
    this.tShift.push(0);
    this.sCount.push(0);
    this.bsCount.push(0);
    this.lineMax = this.bMarks.length - 1;
  }

  isEmpty(line: number): boolean {
    return this.bMarks[line] + this.tShift[line] >= this.eMarks[line];
  }

  private skipEmptyLines(from: number): number {
    while (from < this.lineMax && this.bMarks[from] + this.tShift[from] >= this.eMarks[from]) from++;
    return from;
  }

  private skipSpaces(pos: number): number {
    while (pos < this.src.length && isSpace(this.src.charCodeAt(pos))) pos++;
    return pos;
  }

  private skipChars(pos: number, code: number): number {
    while (pos < this.src.length && this.src.charCodeAt(pos) === code) pos++;
    return pos;
  }

  private getLines(begin: number, end: number, indent: number): string {
    let out = '';
    for (let line = begin; line < end; line++) {
      let lineIndent = 0;
      const lineStart = this.bMarks[line];
      let first = lineStart;
      const last = line + 1 < end ? this.eMarks[line] + 1 : this.eMarks[line];
      while (first < last && lineIndent < indent) {
        const ch = this.src.charCodeAt(first);
        if (isSpace(ch)) lineIndent += ch === TAB ? 4 - ((lineIndent + this.bsCount[line]) % 4) : 1;
        else if (first - lineStart < this.tShift[line]) lineIndent++;
        else break;
        first++;
      }
      out += (lineIndent > indent ? ' '.repeat(lineIndent - indent) : '') + this.src.slice(first, last);
    }
    return out;
  }

  tokenize(startLine: number, endLine: number): void {
    let line = startLine;
    while (line < endLine) {
      this.line = line = this.skipEmptyLines(line);
      if (line >= endLine) break;
      if (this.sCount[line] < this.blkIndent) break;
      if (this.level >= MAX_NESTING) {
        this.line = endLine;
        break;
      }
      if (!this.fence(line, endLine, false) && !this.blockquote(line, endLine, false) && !this.list(line, endLine, false)) {
        this.paragraph(line, endLine);
      }
      line = this.line;
      if (line < endLine && this.isEmpty(line)) this.line = ++line;
    }
  }

  /** ``` or ~~~ fenced code: skipped whole (it names nobody). */
  private fence(startLine: number, endLine: number, silent: boolean): boolean {
    let pos = this.bMarks[startLine] + this.tShift[startLine];
    let max = this.eMarks[startLine];
    if (this.sCount[startLine] - this.blkIndent >= 4) return false;
    if (pos + 3 > max) return false;
    const marker = this.src.charCodeAt(pos);
    if (marker !== TILDE && marker !== BACKTICK) return false;
    let mem = pos;
    pos = this.skipChars(pos, marker);
    const len = pos - mem;
    if (len < 3) return false;
    if (marker === BACKTICK && this.src.slice(pos, max).includes('`')) return false;
    if (silent) return true;
    let nextLine = startLine;
    let haveEndMarker = false;
    for (;;) {
      nextLine++;
      if (nextLine >= endLine) break;
      pos = mem = this.bMarks[nextLine] + this.tShift[nextLine];
      max = this.eMarks[nextLine];
      if (pos < max && this.sCount[nextLine] < this.blkIndent) break;
      if (this.src.charCodeAt(pos) !== marker) continue;
      if (this.sCount[nextLine] - this.blkIndent >= 4) continue;
      pos = this.skipChars(pos, marker);
      if (pos - mem < len) continue;
      pos = this.skipSpaces(pos);
      if (pos < max) continue;
      haveEndMarker = true;
      break;
    }
    this.line = nextLine + (haveEndMarker ? 1 : 0);
    return true;
  }

  private blockquote(startLine: number, endLine: number, silent: boolean): boolean {
    let pos = this.bMarks[startLine] + this.tShift[startLine];
    let max: number;
    const oldLineMax = this.lineMax;
    if (this.sCount[startLine] - this.blkIndent >= 4) return false;
    if (this.src.charCodeAt(pos) !== GT) return false;
    if (silent) return true;
    const oldBMarks: number[] = [];
    const oldBSCount: number[] = [];
    const oldSCount: number[] = [];
    const oldTShift: number[] = [];
    const oldParentType = this.parentType;
    this.parentType = 'blockquote';
    let lastLineEmpty = false;
    let nextLine: number;
    for (nextLine = startLine; nextLine < endLine; nextLine++) {
      const isOutdented = this.sCount[nextLine] < this.blkIndent;
      pos = this.bMarks[nextLine] + this.tShift[nextLine];
      max = this.eMarks[nextLine];
      if (pos >= max) break;
      if (this.src.charCodeAt(pos++) === GT && !isOutdented) {
        let initial = this.sCount[nextLine] + 1;
        let spaceAfterMarker: boolean;
        let adjustTab = false;
        if (this.src.charCodeAt(pos) === SPACE) {
          pos++;
          initial++;
          spaceAfterMarker = true;
        } else if (this.src.charCodeAt(pos) === TAB) {
          spaceAfterMarker = true;
          if ((this.bsCount[nextLine] + initial) % 4 === 3) {
            pos++;
            initial++;
          } else adjustTab = true;
        } else spaceAfterMarker = false;
        let offset = initial;
        oldBMarks.push(this.bMarks[nextLine]);
        this.bMarks[nextLine] = pos;
        while (pos < max) {
          const ch = this.src.charCodeAt(pos);
          if (!isSpace(ch)) break;
          offset += ch === TAB ? 4 - ((offset + this.bsCount[nextLine] + (adjustTab ? 1 : 0)) % 4) : 1;
          pos++;
        }
        lastLineEmpty = pos >= max;
        oldBSCount.push(this.bsCount[nextLine]);
        this.bsCount[nextLine] = this.sCount[nextLine] + 1 + (spaceAfterMarker ? 1 : 0);
        oldSCount.push(this.sCount[nextLine]);
        this.sCount[nextLine] = offset - initial;
        oldTShift.push(this.tShift[nextLine]);
        this.tShift[nextLine] = pos - this.bMarks[nextLine];
        continue;
      }
      if (lastLineEmpty) break;
      if (this.quoteEnders.some((rule) => rule(nextLine, endLine, true))) {
        this.lineMax = nextLine;
        if (this.blkIndent !== 0) {
          oldBMarks.push(this.bMarks[nextLine]);
          oldBSCount.push(this.bsCount[nextLine]);
          oldTShift.push(this.tShift[nextLine]);
          oldSCount.push(this.sCount[nextLine]);
          this.sCount[nextLine] -= this.blkIndent;
        }
        break;
      }
      oldBMarks.push(this.bMarks[nextLine]);
      oldBSCount.push(this.bsCount[nextLine]);
      oldTShift.push(this.tShift[nextLine]);
      oldSCount.push(this.sCount[nextLine]);
      // A lazy line: it continues the quote's paragraph.
      this.sCount[nextLine] = -1;
    }
    const oldIndent = this.blkIndent;
    this.blkIndent = 0;
    this.level++;
    this.tokenize(startLine, nextLine);
    this.level--;
    this.lineMax = oldLineMax;
    this.parentType = oldParentType;
    for (let i = 0; i < oldTShift.length; i++) {
      this.bMarks[i + startLine] = oldBMarks[i];
      this.tShift[i + startLine] = oldTShift[i];
      this.sCount[i + startLine] = oldSCount[i];
      this.bsCount[i + startLine] = oldBSCount[i];
    }
    this.blkIndent = oldIndent;
    return true;
  }

  private skipBulletListMarker(line: number): number {
    const max = this.eMarks[line];
    let pos = this.bMarks[line] + this.tShift[line];
    const marker = this.src.charCodeAt(pos++);
    if (marker !== 42 && marker !== 45 && marker !== 43) return -1;
    if (pos < max && !isSpace(this.src.charCodeAt(pos))) return -1;
    return pos;
  }

  private skipOrderedListMarker(line: number): number {
    const start = this.bMarks[line] + this.tShift[line];
    const max = this.eMarks[line];
    let pos = start;
    if (pos + 1 >= max) return -1;
    let ch = this.src.charCodeAt(pos++);
    if (ch < 48 || ch > 57) return -1;
    for (;;) {
      if (pos >= max) return -1;
      ch = this.src.charCodeAt(pos++);
      if (ch >= 48 && ch <= 57) {
        if (pos - start >= 10) return -1;
        continue;
      }
      if (ch === 41 || ch === 46) break;
      return -1;
    }
    if (pos < max && !isSpace(this.src.charCodeAt(pos))) return -1;
    return pos;
  }

  private list(startLine: number, endLine: number, silent: boolean): boolean {
    let nextLine = startLine;
    if (this.sCount[nextLine] - this.blkIndent >= 4) return false;
    if (this.listIndent >= 0 && this.sCount[nextLine] - this.listIndent >= 4 && this.sCount[nextLine] < this.blkIndent) return false;
    const isTerminatingParagraph = silent && this.parentType === 'paragraph' && this.sCount[nextLine] >= this.blkIndent;
    let isOrdered: boolean;
    let posAfterMarker: number;
    if ((posAfterMarker = this.skipOrderedListMarker(nextLine)) >= 0) {
      isOrdered = true;
      const start = this.bMarks[nextLine] + this.tShift[nextLine];
      // Only a list starting at 1 may interrupt a paragraph.
      if (isTerminatingParagraph && Number(this.src.slice(start, posAfterMarker - 1)) !== 1) return false;
    } else if ((posAfterMarker = this.skipBulletListMarker(nextLine)) >= 0) isOrdered = false;
    else return false;
    if (isTerminatingParagraph && this.skipSpaces(posAfterMarker) >= this.eMarks[nextLine]) return false;
    if (silent) return true;
    const markerCharCode = this.src.charCodeAt(posAfterMarker - 1);
    const oldParentType = this.parentType;
    this.parentType = 'list';
    this.level++;
    while (nextLine < endLine) {
      let pos = posAfterMarker;
      const max = this.eMarks[nextLine];
      const initial = this.sCount[nextLine] + posAfterMarker - (this.bMarks[nextLine] + this.tShift[nextLine]);
      let offset = initial;
      while (pos < max) {
        const ch = this.src.charCodeAt(pos);
        if (ch === TAB) offset += 4 - ((offset + this.bsCount[nextLine]) % 4);
        else if (ch === SPACE) offset++;
        else break;
        pos++;
      }
      const contentStart = pos;
      let indentAfterMarker = contentStart >= max ? 1 : offset - initial;
      if (indentAfterMarker > 4) indentAfterMarker = 1;
      const indent = initial + indentAfterMarker;
      const oldTShift = this.tShift[nextLine];
      const oldSCount = this.sCount[nextLine];
      const oldListIndent = this.listIndent;
      this.listIndent = this.blkIndent;
      this.blkIndent = indent;
      this.tShift[nextLine] = contentStart - this.bMarks[nextLine];
      this.sCount[nextLine] = offset;
      this.level++;
      if (contentStart >= max && this.isEmpty(nextLine + 1)) this.line = Math.min(this.line + 2, endLine);
      else this.tokenize(nextLine, endLine);
      this.level--;
      this.blkIndent = this.listIndent;
      this.listIndent = oldListIndent;
      this.tShift[nextLine] = oldTShift;
      this.sCount[nextLine] = oldSCount;
      nextLine = this.line;
      if (nextLine >= endLine) break;
      if (this.sCount[nextLine] < this.blkIndent) break;
      if (this.sCount[nextLine] - this.blkIndent >= 4) break;
      if (this.listEnders.some((rule) => rule(nextLine, endLine, true))) break;
      posAfterMarker = isOrdered ? this.skipOrderedListMarker(nextLine) : this.skipBulletListMarker(nextLine);
      if (posAfterMarker < 0) break;
      if (markerCharCode !== this.src.charCodeAt(posAfterMarker - 1)) break;
    }
    this.level--;
    this.line = nextLine;
    this.parentType = oldParentType;
    return true;
  }

  private paragraph(startLine: number, endLine: number): void {
    const oldParentType = this.parentType;
    let nextLine = startLine + 1;
    this.parentType = 'paragraph';
    for (; nextLine < endLine && !this.isEmpty(nextLine); nextLine++) {
      if (this.sCount[nextLine] - this.blkIndent > 3) continue;
      if (this.sCount[nextLine] < 0) continue;
      if (this.paragraphEnders.some((rule) => rule(nextLine, endLine, true))) break;
    }
    this.inline.push(asciiTrim(this.getLines(startLine, nextLine, this.blkIndent)));
    this.line = nextLine;
    this.parentType = oldParentType;
  }
}

/**
 * The inline text of each paragraph of `src` (line feeds only), in order: what is left once
 * fenced code and the markers of quotes and lists are taken away.
 */
export function inlineTexts(src: string): string[] {
  if (src === '') return [];
  const state = new BlockState(src);
  state.tokenize(0, state.lineMax);
  return state.inline;
}
