/**
 * Properties of the codec, checked with fast-check over generated frames and bytes:
 * (a) encode then parse gives back any frame, in both directions, bodies of any bytes;
 * (b) any chunking of a stream gives the same results;
 * (c) no input makes push throw, and the parser comes back to a line boundary after a LF.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeCommand, encodeServerFrame } from './encode.ts';
import type { ByeReason, Command, ServerFrame } from './frames.ts';
import { Parser, type LineDecoder } from './parser.ts';
import { CommandDecoder } from './decode-command.ts';
import { ServerFrameDecoder } from './decode-server.ts';
import { COMMAND_LIMITS, LIMITS, SERVER_FRAME_LIMITS, type Limits } from './limits.ts';
import { hasControl, oneLine } from './tokens.ts';
import { utf8Length } from './bytes.ts';
import { chunksOf, concat, parseCommands, parseServerFrames, plain, utf8 } from './test-support.ts';
import { ProtocolError } from './errors.ts';
import { parseSearch, type SearchQuery } from './search-query.ts';

// ------------------------------------------------------------------ arbitraries

const handle = fc.stringMatching(/^@[A-Za-z0-9_.-]{1,32}$/);
const channel = fc.stringMatching(/^#[A-Za-z0-9_.-]{1,32}$/);
const target = fc.oneof(channel, handle);

/** A word: any characters but the ones that separate words or end lines. */
const word = (maxLength: number) =>
  fc.string({ unit: 'binary', minLength: 1, maxLength }).filter((s) => !/[ \t\r\n]/.test(s));

/** A PING token: a word without control characters, which the server refuses to echo. */
const token = word(32).filter((s) => !hasControl(s));

/** Free text as a server sends it: on one line, not starting with a space (those are separators). */
const text = fc.string({ unit: 'binary', maxLength: 60 }).map((t) => oneLine(t).replace(/^[ \t]+/, ''));

const ts = fc
  .date({ min: new Date('1970-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

const id = fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.maxSafeNat().filter((n) => n > 0));

/** Bytes a body is likely to trip a parser on, mixed with any byte. */
const byte = fc.oneof(fc.constantFrom(0, 10, 13, 32, 9, 0x5c, 0x80, 0xc3, 0xff), fc.integer({ min: 0, max: 255 }));

/** A large body from a seed: building 64 KiB byte by byte through fast-check is slow. */
function filler(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    // One byte in eight is CR or LF, so line ends are all over large bodies.
    out[i] = (x & 7) === 0 ? (x & 8 ? 13 : 10) : (x >>> 8) & 0xff;
  }
  return out;
}

const body = fc.oneof(
  { weight: 8, arbitrary: fc.array(byte, { minLength: 1, maxLength: 300 }).map((a) => Uint8Array.from(a)) },
  { weight: 1, arbitrary: fc.record({ length: fc.integer({ min: 1, max: LIMITS.maxBody }), seed: fc.integer() }).map((r) => filler(r.length, r.seed)) },
  { weight: 1, arbitrary: fc.integer().map((seed) => filler(LIMITS.maxBody, seed)) },
);

const password = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter((s) => !/[ \t\r\n]/.test(s) && utf8Length(s) <= LIMITS.maxPassword);

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null).chain(() => threadCommand) },
  fc.constant(null).chain(() => searchCommand),
  fc.record({ type: fc.constant('REG' as const), handle }, { requiredKeys: ['type', 'handle'] }),
  fc.record({ type: fc.constant('REG' as const), handle, password }),
  fc.record({ type: fc.constantFrom('JOIN' as const, 'LEAVE' as const), channel }),
  fc.record({ type: fc.constant('CREATE' as const), channel, private: fc.boolean() }),
  fc.record({ type: fc.constant('INVITE' as const), channel, handle }),
  fc.record({ type: fc.constant('MSG' as const), target, body }),
  fc.constantFrom<Command>({ type: 'CHNS' }, { type: 'USRS' }, { type: 'MUTE' }, { type: 'UNMUTE' }, { type: 'HELP' }, { type: 'TIME' }, { type: 'QUIT' }, { type: 'PING' }, { type: 'BLOCKS' }),
  fc.record({ type: fc.constantFrom('BLOCK' as const, 'UNBLOCK' as const), handle }),
  fc.record({ type: fc.constant('USRS' as const), channel }),
  fc.record({ type: fc.constant('PING' as const), token }),
  fc
    .record({
      target,
      limit: fc.option(fc.integer({ min: 1, max: LIMITS.maxHistory }), { nil: undefined }),
      dir: fc.constantFrom('before' as const, 'after' as const, undefined),
      at: fc.integer({ min: 1, max: 999_999_999_999_999 }),
    })
    .map(({ target, limit, dir, at }) => {
      const cmd: Extract<Command, { type: 'HISTORY' }> = { type: 'HISTORY', target };
      if (limit !== undefined) cmd.limit = limit;
      if (dir !== undefined) cmd[dir] = at;
      return cmd;
    }),
);

/** Reactions as the decoder leaves them: emoji (a shortcode is decoded to its emoji, so it would not come back as sent). */
const reaction = fc.constantFrom('👍', '❤️', '🎉', '👍🏽', '🇫🇷', '👨‍👩‍👧', '#️⃣', '©️');
const msgId = fc.integer({ min: 0, max: 999_999_999_999_999 });

/** Issue 17's commands: threads, edits, deletes, reactions, typing. */
const threadCommand: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ type: fc.constant('REPLY' as const), target, root: msgId, body }),
  fc.record({ type: fc.constant('REPLY' as const), target, root: msgId, body, also: fc.constant(true as const) }),
  fc.record({ type: fc.constant('EDIT' as const), target, id: msgId, body }),
  fc.record({ type: fc.constant('DELETE' as const), target, id: msgId }),
  fc.record({ type: fc.constantFrom('REACT' as const, 'UNREACT' as const), target, id: msgId, reaction }),
  fc.record({ type: fc.constant('TYPING' as const), target }),
  fc.record({ type: fc.constant('TYPING' as const), watch: fc.boolean() }),
  fc.record({ type: fc.constant('THREAD' as const), target, root: msgId }),
  fc.record({ type: fc.constant('THREAD' as const), target, root: msgId, limit: fc.integer({ min: 1, max: LIMITS.maxThread }) }),
  fc.constant<Command>({ type: 'THREADS' }),
  fc.record({ type: fc.constant('READ' as const), target, id: msgId, thread: msgId }),
);

/**
 * SEARCH as typed: pieces that mean something (words of any script, phrases, what is left out,
 * filters) and pieces of any text, trimmed, without control characters; those parseSearch takes.
 */
const searchPiece = fc.oneof(
  fc.constantFrom('deploy', 'Café', 'e-mail', '東京タワー', "don't", '!!', '-', '"a  b"', '-"dry run"', '-staging', 'from:@kim', 'in:#dev', 'in:@Bob', 'before:2026-12-01', 'after:2026-11-30T10:00:00.000Z'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).map((s) => s.replace(/[\x00-\x1f\x7f]/g, '')),
);
const searchCommand: fc.Arbitrary<Command> = fc
  .tuple(fc.array(searchPiece, { minLength: 1, maxLength: 8 }), fc.constantFrom(' ', '  ', '\t'))
  .map(([parts, gap]) => parts.join(gap).replace(/^[ \t]+|[ \t]+$/g, ''))
  .map((text) => ({ text, query: parseSearch(text) }))
  .filter((r): r is { text: string; query: SearchQuery } => !(r.query instanceof ProtocolError))
  .map(({ text, query }) => ({ type: 'SEARCH' as const, query, text }));

const users = fc.array(handle, { maxLength: 5 });
/** A server frame's body may be empty: a deleted message's. */
const bodyOrEmpty = fc.oneof({ weight: 5, arbitrary: body }, { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) });

const threadFrame: fc.Arbitrary<ServerFrame> = fc.oneof(
  fc.record({ type: fc.constant('MSG' as const), target, from: handle, id, ts, body: bodyOrEmpty }),
  fc.record({ type: fc.constant('REPLY' as const), target, from: handle, id, ts, root: id, also: fc.boolean(), body: bodyOrEmpty }),
  fc.record({ type: fc.constant('EDIT' as const), target, from: handle, id, ts, of: id, body: bodyOrEmpty }),
  fc.record({ type: fc.constant('DELETE' as const), target, from: handle, id, ts, of: id }),
  fc.record({ type: fc.constantFrom('REACT' as const, 'UNREACT' as const), target, from: handle, id, ts, of: id, reaction }),
  fc.record({ type: fc.constant('TYPING' as const), target, from: handle }),
  fc.record({ type: fc.constant('EDITED' as const), target, id, ts }),
  fc.record({ type: fc.constant('DELETED' as const), target, id }),
  fc.record({ type: fc.constant('REACTION' as const), target, id, reaction, by: users }),
  fc.record({ type: fc.constant('REPLIES' as const), target, id, count: fc.nat(), lastId: id, lastTs: ts, by: users }),
  fc.record({ type: fc.constant('FOLLOWING' as const), target, root: id, replies: fc.nat(), unread: fc.nat(), mentions: fc.nat(), lastId: id, lastTs: ts }),
  fc.record({ type: fc.constant('END' as const), of: fc.constantFrom('THREAD', 'THREADS'), count: fc.nat() }),
  fc.record({ type: fc.constant('FOUND' as const), target, from: handle, id, ts, body: bodyOrEmpty }),
  fc.record({ type: fc.constant('END' as const), of: fc.constant('SEARCH'), count: fc.nat({ max: LIMITS.searchPage }), more: ts }),
);

const serverFrame: fc.Arbitrary<ServerFrame> = fc.oneof(
  { weight: 3, arbitrary: threadFrame },
  fc.record({ type: fc.constant('HELLO' as const), server: word(10), version: word(10), clientId: word(10), text }),
  fc.record({ type: fc.constant('OK' as const), args: fc.array(word(24), { maxLength: 3 }) }),
  fc.record({ type: fc.constant('ERR' as const), code: fc.stringMatching(/^[A-Z_]{1,20}$/), text }),
  fc.record({ type: fc.constant('MSG' as const), target, from: handle, id, ts, body }),
  fc.record({ type: fc.constantFrom('JOINED' as const, 'LEFT' as const), channel, user: handle }),
  fc.record({ type: fc.constantFrom('ONLINE' as const, 'OFFLINE' as const, 'BLOCKED' as const, 'UNBLOCKED' as const), user: handle }),
  fc.record({ type: fc.constant('CHN' as const), channel, members: fc.nat() }),
  fc.record({ type: fc.constant('CHN' as const), channel, members: fc.nat(), private: fc.constant(true as const) }),
  fc.record({ type: fc.constant('USR' as const), user: handle, online: fc.boolean() }),
  fc.record({ type: fc.constantFrom('INFO' as const, 'NOTICE' as const), text }),
  fc.record({ type: fc.constant('TIME' as const), time: ts }),
  fc.constant<ServerFrame>({ type: 'PONG' }),
  fc.record({ type: fc.constant('PONG' as const), token: word(32) }),
  fc.record({ type: fc.constant('END' as const), of: fc.constantFrom('CHNS', 'USRS', 'HELP', 'HISTORY'), count: fc.nat() }),
  fc.record({
    type: fc.constant('BYE' as const),
    reason: fc.constantFrom<ByeReason>('QUIT', 'SHUTDOWN', 'SLOW_CONSUMER', 'TIMEOUT', 'PROTOCOL'),
    text,
  }),
);

/** Chunk sizes, cycled over the stream. */
const chunking = fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 20 });

/** A line of junk: random bytes, then a LF. It may well start a body that eats what follows. */
const junkLine = fc.uint8Array({ maxLength: 40 }).map((b) => concat([b, utf8('\n')]));

// ------------------------------------------------------------------ (a) round trips

describe('(a) encode then parse gives the frame back', () => {
  it('client commands', () => {
    fc.assert(
      fc.property(command, (cmd) => {
        expect(plain(parseCommands(encodeCommand(cmd)))).toEqual(plain([cmd]));
      }),
      { numRuns: 300 },
    );
  });

  it('server frames', () => {
    fc.assert(
      fc.property(serverFrame, (frame) => {
        expect(plain(parseServerFrames(encodeServerFrame(frame)))).toEqual(plain([frame]));
      }),
      { numRuns: 300 },
    );
  });
});

// ------------------------------------------------------------------ (b) chunking

describe('(b) any chunking of a stream gives the same frames', () => {
  it('client commands', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 12 }), chunking, (cmds, sizes) => {
        const stream = concat(cmds.map(encodeCommand));
        expect(plain(parseCommands(stream, sizes))).toEqual(plain(cmds));
      }),
    );
  });

  it('server frames', () => {
    fc.assert(
      fc.property(fc.array(serverFrame, { maxLength: 12 }), chunking, (frames, sizes) => {
        const stream = concat(frames.map(encodeServerFrame));
        expect(plain(parseServerFrames(stream, sizes))).toEqual(plain(frames));
      }),
    );
  });

  it('client streams with junk lines: whole, chunked and byte by byte agree', () => {
    const item = fc.oneof(command.map(encodeCommand), junkLine);
    fc.assert(
      fc.property(fc.array(item, { maxLength: 10 }), chunking, (items, sizes) => {
        const stream = concat(items);
        const whole = plain(parseCommands(stream));
        expect(plain(parseCommands(stream, sizes))).toEqual(whole);
        if (stream.length < 20_000) expect(plain(parseCommands(stream, 'bytes'))).toEqual(whole);
      }),
    );
  });

  it('server streams with junk lines: whole and chunked agree', () => {
    const item = fc.oneof(serverFrame.map(encodeServerFrame), junkLine);
    fc.assert(
      fc.property(fc.array(item, { maxLength: 10 }), chunking, (items, sizes) => {
        const stream = concat(items);
        expect(plain(parseServerFrames(stream, sizes))).toEqual(plain(parseServerFrames(stream)));
      }),
    );
  });
});

// ------------------------------------------------------------------ (c) hostile bytes

/** Random bytes, and random runs of pieces that look like the protocol. */
const hostile = fc.oneof(
  fc.uint8Array({ maxLength: 6000 }),
  fc
    .array(
      fc.oneof(
        fc.constantFrom('MSG ', 'msg ', '#general', '@jane', ' 5', ' 0', ' 65537', ' -1', '\\r\\n', '\r', '\n', '\r\n', ' ', '\t', 'REG', 'HISTORY ', 'REPLY ', 'EDIT ', ' ALSO', 'REACT #dev 1 ', 'SEARCH ', 'FOUND #dev @bob 1 ', ' from:', '"', 'x'.repeat(5000)).map(utf8),
        fc.uint8Array({ maxLength: 20 }),
      ),
      { maxLength: 30 },
    )
    .map(concat),
);

function hostileProperty<F>(decoder: () => LineDecoder<F>, limits: Limits, next: string, expected: F): void {
  fc.assert(
    fc.property(hostile, chunking, (bytes, sizes) => {
      const results: unknown[] = [];
      const parser = new Parser<F>(decoder(), limits, (r) => results.push(r));
      for (const chunk of chunksOf(bytes, sizes)) expect(() => parser.push(chunk)).not.toThrow();
      expect(() => parser.push(utf8('\n'))).not.toThrow();
      expect(parser.buffered).toBeLessThanOrEqual(limits.maxBody);
      // Unless the junk announced a body that is still being read, a LF is a line boundary.
      fc.pre(parser.idle);
      const before = results.length;
      parser.push(utf8(next));
      expect(results.slice(before)).toEqual([expected]);
    }),
    { numRuns: 300 },
  );
}

describe('(c) arbitrary bytes never throw; a LF brings the parser back to a line boundary', () => {
  it('client side (Parser + CommandDecoder)', () => {
    hostileProperty(() => new CommandDecoder(), COMMAND_LIMITS, 'PING ok\r\n', { type: 'PING', token: 'ok' });
  });

  it('server side (Parser + ServerFrameDecoder)', () => {
    hostileProperty(() => new ServerFrameDecoder(), SERVER_FRAME_LIMITS, 'PONG ok\r\n', { type: 'PONG', token: 'ok' });
  });
});

// ------------------------------------------------------------------ (d) the MSG fast path

/** Mostly `usual`, what a program writes; sometimes one of the others. */
const mostly = <T,>(usual: fc.Arbitrary<T>, ...others: T[]) => fc.oneof({ weight: 3, arbitrary: usual }, fc.constantFrom(...others));

/** MSG lines near the fast path's edges: most pieces as a program writes them, one or two not. */
const msgLine = fc
  .record({
    verb: mostly(fc.constant('MSG'), 'msg', 'Msg', '/MSG'),
    gap1: mostly(fc.constant(' '), '  ', '\t'),
    target: mostly(target, '#', '@', 'general', '#a b', '#é', '@x\\r\\n', `#${'a'.repeat(LIMITS.maxName + 1)}`),
    gap2: mostly(fc.constant(' '), '  ', '\t', ''),
    length: mostly(
      fc.integer({ min: 1, max: 999 }).map(String),
      '0', '00', '007', String(LIMITS.maxBody), String(LIMITS.maxBody + 1), String(LIMITS.maxSkip + 1), '99999999999999999999', '5\\r\\nHello', '4\\r\\nabc', '1x', '-1', '',
    ),
    tail: mostly(fc.constant(''), ' ', '\t', ' extra 5', ' 5'),
  })
  .map((p) => `${p.verb}${p.gap1}${p.target}${p.gap2}${p.length}${p.tail}`);

/** What the decoder makes of one line: the frame or error, and the body it announces. */
function decodeLine(line: string): unknown {
  const decoder = new CommandDecoder();
  const bytes = utf8(line);
  const result = decoder.decode(bytes, 0, bytes.length);
  return { frame: result === null ? null : plain([result])[0], bodyLength: decoder.bodyLength };
}

describe('(d) the MSG fast path reads a line as the full reading does', () => {
  // A line that starts with a space never takes the fast path (it wants `MSG` at the very
  // start), and a leading space changes nothing else: so the two must always agree.
  it('the same frame or error, and the same announced body, for lines near its edges', () => {
    fc.assert(
      fc.property(msgLine, (line) => {
        expect(decodeLine(line)).toEqual(decodeLine(` ${line}`));
      }),
      { numRuns: 3000 },
    );
  });

  it('takes what programs write, and hands over the announced body', () => {
    expect(decodeLine('MSG #general 45')).toEqual({ frame: { type: 'MSG', target: '#general', body: [] }, bodyLength: 45 });
    expect(decodeLine(`MSG @jane ${LIMITS.maxBody}`)).toMatchObject({ bodyLength: LIMITS.maxBody });
    // Over the limit: refused, and the announced bytes are still skipped (spec §7).
    expect(decodeLine(`MSG @jane ${LIMITS.maxBody + 1}`)).toMatchObject({ frame: { error: 'BODY_TOO_LARGE' }, bodyLength: -1 - (LIMITS.maxBody + 1) });
  });
});
