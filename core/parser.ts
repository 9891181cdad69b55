import { ErrorCode, ProtocolError } from './errors.ts';
import type { Limits } from './limits.ts';

/**
 * Turns one line (its line end already stripped) into a frame. The parser owns framing;
 * a decoder owns the meaning of a line, one decoder per direction of the wire.
 */
export interface LineDecoder<F> {
  /**
   * Decode `buf[start, end)`. Return a frame, a ProtocolError, or null for a line to ignore
   * (blank). A frame that announces a body sets `bodyLength` (>= 1, already checked against
   * the limit); for any other result it is -1, which is how the parser tells a frame that
   * wants a body from one to emit at once, without an instanceof. A ProtocolError that
   * refuses a frame whose body is on its way sets it to `skipBody(len)`: the parser reports
   * the error, then drops that many bytes, so the body is never read as commands. (Encoded in
   * the same number so the MSG hot path tests one field.) The bytes may be reused after the
   * call: a decoder copies what it keeps.
   */
  decode(buf: Uint8Array, start: number, end: number): F | ProtocolError | null;
  bodyLength: number;
  /** Give a frame its body once the parser has read it. */
  attachBody(frame: F, body: Uint8Array): void;
}

export type ParseResult<F> = F | ProtocolError;

/** `bodyLength` of a line that announces no body. */
export const NO_BODY = -1;
/** `bodyLength` of a refused line whose body of `len` bytes is to be dropped. */
export const skipBody = (len: number): number => -1 - len;
const skippedLength = (bodyLength: number): number => -1 - bodyLength;

const LF = 10;
const CR = 13;
/** Lines up to this long are scanned for their LF byte by byte. */
const SHORT_LINE = 32;

const enum State {
  Line,
  Body,
  AfterBody,
  AfterBodyCr,
  Skip,
  /** Dropping the body of a refused frame. */
  Discard,
}

/**
 * The streaming SLCK parser. `push(chunk)` hands every complete frame, and every framing or
 * syntax error, to `emit` in wire order. Any split of the input gives the same results.
 *
 * - A line is everything up to LF; a CR before the LF is dropped. Blank lines are ignored.
 * - A line longer than `maxLine` is reported as soon as the limit is passed, then skipped up
 *   to its LF: nothing beyond the limit is ever buffered.
 * - A body is taken as a view of the chunk when the chunk holds all of it, and copied only
 *   when it spans chunks. After a body, one line end (CRLF, LF or a lone CR) is optional.
 */
export class Parser<F> {
  private state = State.Line;
  /** Bytes of a line that began in an earlier chunk. Grown on demand, reused. */
  private partial: Uint8Array | null = null;
  private partialLen = 0;
  private frame: F | null = null;
  private bodyNeed = 0;
  private bodyFilled = 0;
  private bodyBuf: Uint8Array | null = null;
  private readonly decoder: LineDecoder<F>;
  private readonly maxLine: number;
  private readonly emit: (result: ParseResult<F>) => void;

  constructor(decoder: LineDecoder<F>, limits: Limits, emit: (result: ParseResult<F>) => void) {
    this.decoder = decoder;
    this.maxLine = limits.maxLine;
    this.emit = emit;
  }

  /** Bytes held back waiting for the rest of a frame. */
  get buffered(): number {
    return this.partialLen + this.bodyFilled;
  }

  /**
   * How many of the bytes still to come are the rest of a length-counted body, kept or being
   * dropped; 0 outside one. (The TCP port's telnet filter leaves a 0xFF in a body alone.)
   */
  get bodyAhead(): number {
    if (this.state === State.Body) return this.bodyNeed - this.bodyFilled;
    if (this.state === State.Discard) return this.bodyNeed;
    return 0;
  }

  /** True when the parser is between frames (nothing half-read). */
  get idle(): boolean {
    return this.partialLen === 0 && (this.state === State.Line || this.state === State.AfterBody);
  }

  push(chunk: Uint8Array): void {
    const n = chunk.length;
    let pos = 0;
    while (pos < n) {
      pos = this.state === State.Line && this.partialLen === 0 ? this.lines(chunk, pos) : this.step(chunk, pos);
    }
  }

  /**
   * The hot loop: whole lines, and bodies that lie inside this chunk. Returns where it
   * stopped: the end of the chunk, or the first byte a slower state must handle.
   */
  private lines(chunk: Uint8Array, pos: number): number {
    const n = chunk.length;
    const decoder = this.decoder;
    const maxLine = this.maxLine;
    // Read once per chunk, not once per body: each view below is made from them.
    const ab = chunk.buffer;
    const base = chunk.byteOffset;
    // Commands are short, and a plain loop finds their LF sooner than indexOf, whose call
    // costs as much as scanning ~30 bytes. After a longer line, indexOf goes first.
    let longLines = false;
    while (pos < n) {
      let lf: number;
      if (longLines) lf = chunk.indexOf(LF, pos);
      else {
        const scanEnd = n - pos > SHORT_LINE ? pos + SHORT_LINE : n;
        lf = pos;
        while (lf < scanEnd && chunk[lf] !== LF) lf++;
        if (lf === scanEnd) lf = scanEnd === n ? -1 : chunk.indexOf(LF, scanEnd);
      }
      if (lf === -1) {
        // +1: a CR that will turn out to precede the LF does not count against the limit.
        if (n - pos > maxLine + 1) {
          this.state = State.Skip;
          this.emit(this.lineTooLong());
        } else this.keepPartial(chunk, pos, n);
        return n;
      }
      const start = pos;
      let end = lf;
      pos = lf + 1;
      longLines = end - start > SHORT_LINE;
      if (end > start && chunk[end - 1] === CR) end--;
      if (end === start) continue;
      if (end - start > maxLine) {
        this.emit(this.lineTooLong());
        continue;
      }
      const result = decoder.decode(chunk, start, end);
      if (result === null) continue;
      const need = decoder.bodyLength;
      if (need < 0) {
        this.emit(result);
        if (need === NO_BODY) continue;
        const skip = skippedLength(need);
        if (n - pos < skip) {
          this.startDiscard(skip);
          return pos;
        }
        pos = this.lineEndAfterBody(chunk, pos + skip);
        continue;
      }
      if (n - pos < need) {
        // The body goes on in a later chunk.
        this.frame = result as F;
        this.bodyNeed = need;
        this.bodyFilled = 0;
        this.state = State.Body;
        return pos;
      }
      // The whole body is in this chunk: a view, no copy. (A plain Uint8Array even when the
      // chunk is a Node Buffer, which keeps frames one shape.)
      const body = new Uint8Array(ab, base + pos, need);
      // The state is set before emit, which may reset us.
      pos = this.lineEndAfterBody(chunk, pos + need);
      decoder.attachBody(result as F, body);
      this.emit(result);
    }
    return pos;
  }

  /** Every other state: a line or body split across chunks, a body's line end, a skipped line. */
  private step(chunk: Uint8Array, pos: number): number {
    const n = chunk.length;
    switch (this.state) {
      case State.Line: {
        // A line that began in an earlier chunk.
        const lf = chunk.indexOf(LF, pos);
        if (lf === -1) {
          if (this.partialLen + (n - pos) > this.maxLine + 1) {
            this.partialLen = 0;
            this.state = State.Skip;
            this.emit(this.lineTooLong());
          } else this.keepPartial(chunk, pos, n);
          return n;
        }
        if (this.partialLen + (lf - pos) > this.maxLine + 1) {
          this.partialLen = 0;
          this.emit(this.lineTooLong());
          return lf + 1;
        }
        this.keepPartial(chunk, pos, lf);
        const buf = this.partial!;
        let end = this.partialLen;
        this.partialLen = 0;
        if (end > 0 && buf[end - 1] === CR) end--;
        if (end === 0) return lf + 1;
        if (end > this.maxLine) this.emit(this.lineTooLong());
        else this.line(buf, 0, end);
        return lf + 1;
      }
      case State.Body: {
        const need = this.bodyNeed - this.bodyFilled;
        const avail = n - pos;
        if (this.bodyBuf === null) {
          if (avail >= need) {
            // The whole body is in this chunk. No copy.
            this.finishBody(new Uint8Array(chunk.buffer, chunk.byteOffset + pos, need));
            return pos + need;
          }
          this.bodyBuf = new Uint8Array(this.bodyNeed);
        }
        const take = avail < need ? avail : need;
        copyInto(this.bodyBuf, this.bodyFilled, chunk, pos, pos + take);
        this.bodyFilled += take;
        if (this.bodyFilled === this.bodyNeed) {
          const body = this.bodyBuf;
          this.bodyBuf = null;
          this.bodyFilled = 0;
          this.finishBody(body);
        }
        return pos + take;
      }
      case State.Discard: {
        // bodyNeed counts down what is left to drop; nothing is buffered.
        const avail = n - pos;
        if (avail < this.bodyNeed) {
          this.bodyNeed -= avail;
          return n;
        }
        const end = pos + this.bodyNeed;
        this.bodyNeed = 0;
        this.state = State.AfterBody;
        return end;
      }
      case State.AfterBody: {
        const b = chunk[pos];
        this.state = b === CR ? State.AfterBodyCr : State.Line;
        return b === LF || b === CR ? pos + 1 : pos;
      }
      case State.AfterBodyCr: {
        this.state = State.Line;
        return chunk[pos] === LF ? pos + 1 : pos;
      }
      case State.Skip: {
        const lf = chunk.indexOf(LF, pos);
        if (lf === -1) return n;
        this.state = State.Line;
        return lf + 1;
      }
    }
  }

  /** Forget any half-read frame (after a transport reconnects). */
  reset(): void {
    this.state = State.Line;
    this.partialLen = 0;
    this.frame = null;
    this.bodyBuf = null;
    this.bodyFilled = 0;
    this.bodyNeed = 0;
  }

  private line(buf: Uint8Array, start: number, end: number): void {
    const decoder = this.decoder;
    const result = decoder.decode(buf, start, end);
    if (result === null) return;
    const need = decoder.bodyLength;
    if (need < 0) {
      this.emit(result);
      if (need !== NO_BODY) this.startDiscard(skippedLength(need));
      return;
    }
    this.frame = result as F;
    this.bodyNeed = decoder.bodyLength;
    this.bodyFilled = 0;
    this.state = State.Body;
  }

  private startDiscard(need: number): void {
    this.bodyNeed = need;
    this.state = State.Discard;
  }

  /**
   * `pos` is just past a body inside `chunk`: step over one optional line end (CRLF, LF or a
   * lone CR), leaving the state to finish it when the chunk ends first.
   */
  private lineEndAfterBody(chunk: Uint8Array, pos: number): number {
    const n = chunk.length;
    if (pos === n) this.state = State.AfterBody;
    else if (chunk[pos] === LF) pos++;
    else if (chunk[pos] === CR) {
      pos++;
      if (pos === n) this.state = State.AfterBodyCr;
      else if (chunk[pos] === LF) pos++;
    }
    return pos;
  }

  private finishBody(body: Uint8Array): void {
    const frame = this.frame!;
    this.frame = null;
    this.state = State.AfterBody;
    this.decoder.attachBody(frame, body);
    this.emit(frame);
  }

  private keepPartial(chunk: Uint8Array, start: number, end: number): void {
    const len = end - start;
    const need = this.partialLen + len;
    if (this.partial === null || this.partial.length < need) {
      const grown = new Uint8Array(Math.min(Math.max(need, 256, (this.partial?.length ?? 0) * 2), this.maxLine + 1));
      if (this.partial !== null && this.partialLen > 0) grown.set(this.partial.subarray(0, this.partialLen));
      this.partial = grown;
    }
    copyInto(this.partial, this.partialLen, chunk, start, end);
    this.partialLen = need;
  }

  private lineTooLong(): ProtocolError {
    return new ProtocolError(ErrorCode.LINE_TOO_LONG, `Line is longer than ${this.maxLine} bytes`);
  }
}

/**
 * Copy src[start, end) into dst at `at`. Pieces split by a chunk boundary are mostly a few
 * dozen bytes, where a loop beats making a subarray for set().
 */
function copyInto(dst: Uint8Array, at: number, src: Uint8Array, start: number, end: number): void {
  if (end - start > 64) dst.set(start === 0 && end === src.length ? src : src.subarray(start, end), at);
  else for (let i = start; i < end; i++) dst[at++] = src[i];
}
