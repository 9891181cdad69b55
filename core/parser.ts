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
   * the limit); for any other result it is -1. The bytes may be reused after the call:
   * a decoder copies what it keeps.
   */
  decode(buf: Uint8Array, start: number, end: number): F | ProtocolError | null;
  bodyLength: number;
  /** Give a frame its body once the parser has read it. */
  attachBody(frame: F, body: Uint8Array): void;
}

export type ParseResult<F> = F | ProtocolError;

const LF = 10;
const CR = 13;

const enum State {
  Line,
  Body,
  AfterBody,
  AfterBodyCr,
  Skip,
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

  /** True when the parser is between frames (nothing half-read). */
  get idle(): boolean {
    return this.partialLen === 0 && (this.state === State.Line || this.state === State.AfterBody);
  }

  push(chunk: Uint8Array): void {
    const n = chunk.length;
    let pos = 0;
    while (pos < n) {
      switch (this.state) {
        case State.Line: {
          const lf = chunk.indexOf(LF, pos);
          if (lf === -1) {
            // +1: a CR that will turn out to precede the LF does not count against the limit.
            if (this.partialLen + (n - pos) > this.maxLine + 1) {
              this.partialLen = 0;
              this.state = State.Skip;
              this.emit(this.lineTooLong());
              return;
            }
            this.keepPartial(chunk, pos, n);
            return;
          }
          let buf = chunk;
          let start = pos;
          let end = lf;
          pos = lf + 1;
          if (this.partialLen > 0) {
            if (this.partialLen + (end - start) > this.maxLine + 1) {
              this.partialLen = 0;
              this.emit(this.lineTooLong());
              break;
            }
            this.keepPartial(chunk, start, end);
            buf = this.partial!;
            start = 0;
            end = this.partialLen;
            this.partialLen = 0;
          }
          if (end > start && buf[end - 1] === CR) end--;
          if (end === start) break;
          if (end - start > this.maxLine) {
            this.emit(this.lineTooLong());
            break;
          }
          this.line(buf, start, end);
          break;
        }
        case State.Body: {
          const need = this.bodyNeed - this.bodyFilled;
          const avail = n - pos;
          if (this.bodyBuf === null) {
            if (avail >= need) {
              // The common case: the whole body is in this chunk. No copy.
              this.finishBody(chunk.subarray(pos, pos + need));
              pos += need;
              break;
            }
            this.bodyBuf = new Uint8Array(this.bodyNeed);
          }
          const take = avail < need ? avail : need;
          this.bodyBuf.set(take === avail && pos === 0 ? chunk : chunk.subarray(pos, pos + take), this.bodyFilled);
          this.bodyFilled += take;
          pos += take;
          if (this.bodyFilled === this.bodyNeed) {
            const body = this.bodyBuf;
            this.bodyBuf = null;
            this.bodyFilled = 0;
            this.finishBody(body);
          }
          break;
        }
        case State.AfterBody: {
          const b = chunk[pos];
          if (b === LF) pos++;
          else if (b === CR) {
            pos++;
            this.state = State.AfterBodyCr;
            break;
          }
          this.state = State.Line;
          break;
        }
        case State.AfterBodyCr: {
          if (chunk[pos] === LF) pos++;
          this.state = State.Line;
          break;
        }
        case State.Skip: {
          const lf = chunk.indexOf(LF, pos);
          if (lf === -1) return;
          pos = lf + 1;
          this.state = State.Line;
          break;
        }
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
    if (result instanceof ProtocolError || decoder.bodyLength < 0) {
      this.emit(result);
      return;
    }
    this.frame = result;
    this.bodyNeed = decoder.bodyLength;
    this.bodyFilled = 0;
    this.state = State.Body;
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
    this.partial.set(chunk.subarray(start, end), this.partialLen);
    this.partialLen = need;
  }

  private lineTooLong(): ProtocolError {
    return new ProtocolError(ErrorCode.LINE_TOO_LONG, `Line is longer than ${this.maxLine} bytes`);
  }
}
