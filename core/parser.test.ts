/**
 * The streaming parser (docs/PROTOCOL.md section 1): any split of the input gives the same
 * frames; bodies are views when they can be and copies when they must be.
 */
import { describe, expect, it } from 'vitest';
import { Parser } from './parser.ts';
import { CommandDecoder } from './decode-command.ts';
import { ServerFrameDecoder } from './decode-server.ts';
import { COMMAND_LIMITS, SERVER_FRAME_LIMITS } from './limits.ts';
import { ProtocolError } from './errors.ts';
import type { Command, ServerFrame } from './frames.ts';
import { type Chunking, codes, parseCommands, parseServerFrames, plain, utf8 } from './test-support.ts';

type Msg = Extract<Command, { type: 'MSG' }>;

/** A session's worth of client bytes: every command, both line ends, bodies of awkward bytes. */
const CLIENT_STREAM =
  'REG @jane s3cret\r\n' +
  'join #general\n' +
  '\r\n  \t\r\n' +
  'MSG #general 5\r\nHello\r\n' +
  'MSG #general 7\nab\r\ncd\n\n' +
  'MSG @john 3\r\nHey' +
  'MSG #general 5\\r\\nHello\r\n' +
  'MSG #general 2\r\n\r\n\r' +
  'NOPE\r\n' +
  'MSG #general 0\r\n' +
  'CHNS\r\nUSRS #general\r\nHISTORY #general 2 before 40\r\nMUTE\r\nUNMUTE\r\nHELP\r\nTIME\r\nPING abc\r\n' +
  'LEAVE #general\r\nQUIT\r\n';

const SERVER_STREAM =
  'HELLO slck 0.1.0 c1 Welcome to SLCK.\r\n' +
  'OK\r\nJOINED #general @jane\r\nOK\r\n' +
  'MSG #general @john 12 2026-11-22T10:00:00.000Z 5\r\nHello\r\n' +
  'MSG @jane @john 13 2026-11-22T10:00:05.000Z 4\r\n\r\n\r\n\r\n' +
  'CHN #general 2\r\nEND CHNS 1\r\nOK 7 2026-11-22T10:00:01.250Z\r\n' +
  'BYE QUIT Goodbye @jane\r\n';

const chunkings: Array<[string, Chunking]> = [
  ['byte by byte', 'bytes'],
  ['two bytes', [2]],
  ['three bytes', [3]],
  ['uneven', [1, 5, 2, 17, 4, 64]],
  ['one TCP segment', [1460]],
];

describe('any chunking gives the same results', () => {
  it.each(chunkings)('client stream, %s', (_name, how) => {
    const whole = parseCommands(CLIENT_STREAM);
    expect(codes(whole)).toEqual([
      'frame:REG', 'frame:JOIN', 'frame:MSG', 'frame:MSG', 'frame:MSG', 'frame:MSG', 'frame:MSG',
      'UNKNOWN_COMMAND', 'BAD_LENGTH',
      'frame:CHNS', 'frame:USRS', 'frame:HISTORY', 'frame:MUTE', 'frame:UNMUTE', 'frame:HELP', 'frame:TIME', 'frame:PING',
      'frame:LEAVE', 'frame:QUIT',
    ]);
    expect(plain(parseCommands(CLIENT_STREAM, how))).toEqual(plain(whole));
  });

  it.each(chunkings)('server stream, %s', (_name, how) => {
    const whole = parseServerFrames(SERVER_STREAM);
    expect(codes(whole)).toEqual([
      'frame:HELLO', 'frame:OK', 'frame:JOINED', 'frame:OK', 'frame:MSG', 'frame:MSG', 'frame:CHN', 'frame:END', 'frame:OK', 'frame:BYE',
    ]);
    expect(plain(parseServerFrames(SERVER_STREAM, how))).toEqual(plain(whole));
  });

  it('bodies come out exactly, whatever bytes they hold', () => {
    const msgs = parseCommands(CLIENT_STREAM, 'bytes').filter((r): r is Msg => !(r instanceof ProtocolError) && r.type === 'MSG');
    expect(msgs.map((m) => [m.target, Array.from(m.body)])).toEqual([
      ['#general', Array.from(utf8('Hello'))],
      ['#general', Array.from(utf8('ab\r\ncd\n'))],
      ['@john', Array.from(utf8('Hey'))],
      ['#general', Array.from(utf8('Hello'))],
      ['#general', Array.from(utf8('\r\n'))],
    ]);
  });
});

describe('one optional line end after a body', () => {
  it.each([
    ['CRLF', '\r\n'],
    ['LF', '\n'],
    ['a lone CR', '\r'],
    ['nothing', ''],
  ])('%s', (_name, end) => {
    const input = `MSG #general 2\r\nHi${end}PING x\r\n`;
    for (const how of ['whole', 'bytes', [17], [18], [19]] as Chunking[]) {
      expect(plain(parseCommands(input, how))).toEqual(plain([{ type: 'MSG', target: '#general', body: utf8('Hi') }, { type: 'PING', token: 'x' }]));
    }
  });

  it('only one: a second line end is a blank line', () => {
    expect(codes(parseCommands('MSG #general 2\r\nHi\r\n\r\nPING x\r\n'))).toEqual(['frame:MSG', 'frame:PING']);
  });
});

describe('bodies: views and copies', () => {
  function collect(): { frames: Msg[]; parser: Parser<Command> } {
    const frames: Msg[] = [];
    const parser = new Parser<Command>(new CommandDecoder(), COMMAND_LIMITS, (r) => frames.push(r as Msg));
    return { frames, parser };
  }

  it('a body inside one chunk is a view of that chunk', () => {
    const { frames, parser } = collect();
    const chunk = utf8('MSG #general 5\r\nHello\r\nMSG #general 3\r\nHey\r\n');
    parser.push(chunk);
    expect(frames.map((f) => f.body.buffer === chunk.buffer)).toEqual([true, true]);
    expect(frames.map((f) => Array.from(f.body))).toEqual([Array.from(utf8('Hello')), Array.from(utf8('Hey'))]);
  });

  it('a body in the chunk after its line is a view of that chunk', () => {
    const { frames, parser } = collect();
    const second = utf8('Hello\r\n');
    parser.push(utf8('MSG #general 5\r\n'));
    parser.push(second);
    expect(frames[0].body.buffer).toBe(second.buffer);
  });

  it('a view respects the chunk offset within its buffer', () => {
    const { frames, parser } = collect();
    const backing = utf8('xxxxMSG #general 5\r\nHello\r\nyyyy');
    parser.push(backing.subarray(4, backing.length - 4));
    expect(frames[0].body.buffer).toBe(backing.buffer);
    expect(frames[0].body).toEqual(utf8('Hello'));
  });

  it('a body spanning chunks is copied, and later changes to the chunks do not touch it', () => {
    const { frames, parser } = collect();
    const a = utf8('MSG #general 11\r\nHello');
    const b = utf8(' world\r\n');
    parser.push(a);
    expect(frames.length).toBe(0);
    expect(parser.buffered).toBe(5);
    parser.push(b);
    const body = frames[0].body;
    expect(body.buffer).not.toBe(a.buffer);
    expect(body.buffer).not.toBe(b.buffer);
    a.fill(0);
    b.fill(0);
    expect(body).toEqual(utf8('Hello world'));
  });

  it('a one-line (seed form) body is a copy', () => {
    const { frames, parser } = collect();
    const chunk = utf8('MSG #general 5\\r\\nHello\r\n');
    parser.push(chunk);
    expect(frames[0].body.buffer).not.toBe(chunk.buffer);
    expect(frames[0].body).toEqual(utf8('Hello'));
  });

  it('server deliveries: views and copies the same way', () => {
    const frames: ServerFrame[] = [];
    const parser = new Parser<ServerFrame>(new ServerFrameDecoder(), SERVER_FRAME_LIMITS, (r) => frames.push(r as ServerFrame));
    const one = utf8('MSG #general @john 12 2026-11-22T10:00:00.000Z 5\r\nHello\r\nMSG #general @john 13 2026-11-22T10:00:00.000Z 5\r\nHel');
    parser.push(one);
    parser.push(utf8('lo\r\n'));
    const bodies = frames.map((f) => (f as Extract<ServerFrame, { type: 'MSG' }>).body);
    expect(bodies.map((b) => b.buffer === one.buffer)).toEqual([true, false]);
    expect(bodies).toEqual([utf8('Hello'), utf8('Hello')]);
  });
});

describe('parser state', () => {
  it('buffered counts what is held back, idle says whether a frame is half-read', () => {
    const results: unknown[] = [];
    const parser = new Parser<Command>(new CommandDecoder(), COMMAND_LIMITS, (r) => results.push(r));
    expect([parser.buffered, parser.idle]).toEqual([0, true]);
    parser.push(utf8('JOIN #gen'));
    expect([parser.buffered, parser.idle]).toEqual([9, false]);
    parser.push(utf8('eral\r\nMSG #general 10\r\nabc'));
    expect(results).toEqual([{ type: 'JOIN', channel: '#general' }]);
    expect([parser.buffered, parser.idle]).toEqual([3, false]);
    parser.push(utf8('defghij'));
    expect([parser.buffered, parser.idle]).toEqual([0, true]);
    expect(results.length).toBe(2);
  });

  it('reset forgets a half-read line or body', () => {
    const results: unknown[] = [];
    const parser = new Parser<Command>(new CommandDecoder(), COMMAND_LIMITS, (r) => results.push(r));
    parser.push(utf8('MSG #general 10\r\nabc'));
    parser.reset();
    expect([parser.buffered, parser.idle]).toEqual([0, true]);
    parser.push(utf8('PING a\r\nJOIN #ra'));
    parser.reset();
    parser.push(utf8('PING b\r\n'));
    expect(results).toEqual([{ type: 'PING', token: 'a' }, { type: 'PING', token: 'b' }]);
  });

  it('a connection that closes mid-body never emits that message', () => {
    const results = parseCommands('MSG #general 10\r\nabc');
    expect(results).toEqual([]);
  });

  it('chunks may be Uint8Array views at any offset, and empty', () => {
    const results: unknown[] = [];
    const parser = new Parser<Command>(new CommandDecoder(), COMMAND_LIMITS, (r) => results.push(r));
    const big = utf8('----PING a\r\nPI----');
    parser.push(big.subarray(4, 14));
    parser.push(new Uint8Array(0));
    parser.push(utf8('NG b\n'));
    expect(results).toEqual([{ type: 'PING', token: 'a' }, { type: 'PING', token: 'b' }]);
  });
});
