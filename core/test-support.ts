/**
 * Helpers shared by the core/ tests: build wire bytes, feed them to a real Parser in
 * chosen chunks, and collect what it emits.
 */
import { Parser, type LineDecoder, type ParseResult } from './parser.ts';
import { CommandDecoder } from './decode-command.ts';
import { ServerFrameDecoder } from './decode-server.ts';
import { COMMAND_LIMITS, SERVER_FRAME_LIMITS, type Limits } from './limits.ts';
import { ProtocolError } from './errors.ts';
import type { Command, ServerFrame } from './frames.ts';
import { concat, utf8 } from './bytes.ts';

/** Raw bytes from a string whose every character is one byte (`'\xff'` is the byte 0xFF). */
export function raw(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new Error(`raw(): character ${c} is not a byte`);
    out[i] = c;
  }
  return out;
}

export const bytesOf = (input: Uint8Array | string): Uint8Array => (typeof input === 'string' ? utf8(input) : input);

/** How to cut input into chunks: whole, one byte at a time, or pieces of these sizes (cycled). */
export type Chunking = 'whole' | 'bytes' | number[];

export function chunksOf(input: Uint8Array, how: Chunking): Uint8Array[] {
  if (how === 'whole') return [input.slice()];
  const sizes = how === 'bytes' ? [1] : how;
  const out: Uint8Array[] = [];
  // Each chunk is a copy with its own ArrayBuffer, as a socket hands them over.
  for (let at = 0, i = 0; at < input.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length]);
    out.push(input.slice(at, at + size));
    at += size;
  }
  return out;
}

export type Fed<F> = { results: ParseResult<F>[]; parser: Parser<F> };

export function feed<F>(
  decoder: LineDecoder<F>,
  limits: Limits,
  input: Uint8Array | string,
  how: Chunking = 'whole',
): Fed<F> {
  const results: ParseResult<F>[] = [];
  const parser = new Parser<F>(decoder, limits, (r) => results.push(r));
  for (const chunk of chunksOf(bytesOf(input), how)) parser.push(chunk);
  return { results, parser };
}

/** What a server makes of these client bytes. */
export const parseCommands = (input: Uint8Array | string, how: Chunking = 'whole'): ParseResult<Command>[] =>
  feed<Command>(new CommandDecoder(), COMMAND_LIMITS, input, how).results;

/** What a client makes of these server bytes. */
export const parseServerFrames = (input: Uint8Array | string, how: Chunking = 'whole'): ParseResult<ServerFrame>[] =>
  feed<ServerFrame>(new ServerFrameDecoder(), SERVER_FRAME_LIMITS, input, how).results;

/**
 * Results in a form toEqual compares well: errors become `{ error: code, message }`, bodies
 * become plain arrays (so a view and a copy of the same bytes are equal).
 */
export function plain<F extends object>(results: readonly ParseResult<F>[]): unknown[] {
  return results.map((r) => {
    if (r instanceof ProtocolError) return { error: r.code, message: r.message };
    const body = (r as { body?: Uint8Array }).body;
    return body === undefined ? { ...r } : { ...r, body: Array.from(body) };
  });
}

export const codes = (results: readonly ParseResult<object>[]): string[] =>
  results.map((r) => (r instanceof ProtocolError ? r.code : `frame:${(r as { type: string }).type}`));

export { concat, utf8 };
