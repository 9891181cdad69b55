/**
 * The commands and frames of threads, edits, deletes, reactions and typing (docs/PROTOCOL.md
 * sections 2 and 5, issue 17), both ways: the exact bytes decode to the frame, encoding the
 * frame gives those bytes, in any chunks; and the body rule of section 7 holds for REPLY and
 * EDIT as for MSG, on both sides of the wire.
 */
import { describe, expect, it } from 'vitest';
import { encodeCommand, encodeEdit, encodeReply, encodeServerFrame, serverLine } from './encode.ts';
import type { Command, ServerFrame } from './frames.ts';
import { type Chunking, codes, concat, parseCommands, parseServerFrames, plain, utf8 } from './test-support.ts';

const TS = '2026-12-07T14:50:00.000Z';
const body = (s: string) => utf8(s);
const CHUNKINGS: Chunking[] = ['whole', 'bytes', [3, 1, 7]];

const commands: Array<[wire: string, command: Command]> = [
  ['REPLY #dev 41 10\r\nOn it 👍\r\n', { type: 'REPLY', target: '#dev', root: 41, body: body('On it 👍') }],
  ['REPLY #dev 41 5 ALSO\r\nDone!\r\n', { type: 'REPLY', target: '#dev', root: 41, body: body('Done!'), also: true }],
  ['REPLY @john 7 4\r\na\r\nb\r\n', { type: 'REPLY', target: '@john', root: 7, body: body('a\r\nb') }],
  ['EDIT #dev 41 11\r\nHello, all!\r\n', { type: 'EDIT', target: '#dev', id: 41, body: body('Hello, all!') }],
  ['DELETE #dev 41\r\n', { type: 'DELETE', target: '#dev', id: 41 }],
  ['REACT #dev 41 👍\r\n', { type: 'REACT', target: '#dev', id: 41, reaction: '👍' }],
  ['UNREACT @john 3 ❤️\r\n', { type: 'UNREACT', target: '@john', id: 3, reaction: '❤️' }],
  ['TYPING #dev\r\n', { type: 'TYPING', target: '#dev' }],
  ['TYPING ON\r\n', { type: 'TYPING', watch: true }],
  ['TYPING OFF\r\n', { type: 'TYPING', watch: false }],
  ['THREAD #dev 41\r\n', { type: 'THREAD', target: '#dev', root: 41 }],
  ['THREAD @john 7 20\r\n', { type: 'THREAD', target: '@john', root: 7, limit: 20 }],
  ['THREADS\r\n', { type: 'THREADS' }],
  ['READ #dev 45 THREAD 41\r\n', { type: 'READ', target: '#dev', id: 45, thread: 41 }],
];

/** Accepted, but not as an encoder writes them. */
const commandVariants: Array<[label: string, wire: string, command: Command]> = [
  ['RE: the rest of the line, trailing spaces dropped', 'RE #dev 41 On it,  boss  \r\n', { type: 'REPLY', target: '#dev', root: 41, body: body('On it,  boss'), said: true }],
  ['RE has no ALSO: the word is text', 're #dev 41 ALSO me\r\n', { type: 'REPLY', target: '#dev', root: 41, body: body('ALSO me'), said: true }],
  ['FIX', 'FIX @john 7 typo fixed\r\n', { type: 'EDIT', target: '@john', id: 7, body: body('typo fixed'), said: true }],
  ['/re', '/re #dev 41 ok\r\n', { type: 'REPLY', target: '#dev', root: 41, body: body('ok'), said: true }],
  ['/fix', '/fix #dev 41 ok\r\n', { type: 'EDIT', target: '#dev', id: 41, body: body('ok'), said: true }],
  ['/reply with ALSO in lower case', '/reply #dev 41 2 also\r\nok\r\n', { type: 'REPLY', target: '#dev', root: 41, body: body('ok'), also: true }],
  ['/edit with LF', '/edit #dev 41 2\nok\n', { type: 'EDIT', target: '#dev', id: 41, body: body('ok') }],
  ['/delete', '/delete #dev 41\r\n', { type: 'DELETE', target: '#dev', id: 41 }],
  ['/react with a shortcode: sent as its emoji', '/react #dev 41 :+1:\r\n', { type: 'REACT', target: '#dev', id: 41, reaction: '👍' }],
  ['a shortcode of the light set', 'REACT #dev 41 :smile:\r\n', { type: 'REACT', target: '#dev', id: 41, reaction: '😄' }],
  ['a heart without VS16 is the emoji heart', 'REACT #dev 41 ❤\r\n', { type: 'REACT', target: '#dev', id: 41, reaction: '❤️' }],
  ['an emoji with a skin tone', 'REACT #dev 41 👍🏽\r\n', { type: 'REACT', target: '#dev', id: 41, reaction: '👍🏽' }],
  ['a ZWJ sequence', 'REACT #dev 41 👨‍👩‍👧\r\n', { type: 'REACT', target: '#dev', id: 41, reaction: '👨‍👩‍👧' }],
  ['a flag', 'UNREACT #dev 41 🇫🇷\r\n', { type: 'UNREACT', target: '#dev', id: 41, reaction: '🇫🇷' }],
  ['/typing on in lower case', '/typing on\r\n', { type: 'TYPING', watch: true }],
  ['/threads', '/threads\r\n', { type: 'THREADS' }],
  ['THREAD limit capped at 500', 'THREAD #dev 41 9999\r\n', { type: 'THREAD', target: '#dev', root: 41, limit: 500 }],
  ['READ … thread in lower case', 'read #dev 45 thread 41\r\n', { type: 'READ', target: '#dev', id: 45, thread: 41 }],
  ['REPLY to id 0 parses (the server says there is no message 0)', 'REPLY #dev 0 1\r\nx\r\n', { type: 'REPLY', target: '#dev', root: 0, body: body('x') }],
];

const frames: Array<[wire: string, frame: ServerFrame]> = [
  [`REPLY #dev @bob 45 ${TS} 41 10\r\nOn it 👍\r\n`, { type: 'REPLY', target: '#dev', from: '@bob', id: 45, ts: TS, root: 41, also: false, body: body('On it 👍') }],
  [`REPLY #dev @bob 46 ${TS} 41 5 ALSO\r\nDone!\r\n`, { type: 'REPLY', target: '#dev', from: '@bob', id: 46, ts: TS, root: 41, also: true, body: body('Done!') }],
  [`EDIT @jane @john 9 ${TS} 7 11\r\nHello, all!\r\n`, { type: 'EDIT', target: '@jane', from: '@john', id: 9, ts: TS, of: 7, body: body('Hello, all!') }],
  [`EDIT #dev @bob 47 ${TS} 41 0\r\n\r\n`, { type: 'EDIT', target: '#dev', from: '@bob', id: 47, ts: TS, of: 41, body: body('') }],
  [`DELETE #dev @bob 48 ${TS} 41\r\n`, { type: 'DELETE', target: '#dev', from: '@bob', id: 48, ts: TS, of: 41 }],
  [`REACT #dev @jane 49 ${TS} 41 👍\r\n`, { type: 'REACT', target: '#dev', from: '@jane', id: 49, ts: TS, of: 41, reaction: '👍' }],
  [`UNREACT #dev @jane 50 ${TS} 41 👍\r\n`, { type: 'UNREACT', target: '#dev', from: '@jane', id: 50, ts: TS, of: 41, reaction: '👍' }],
  ['TYPING #dev @bob\r\n', { type: 'TYPING', target: '#dev', from: '@bob' }],
  [`EDITED #dev 41 ${TS}\r\n`, { type: 'EDITED', target: '#dev', id: 41, ts: TS }],
  ['DELETED #dev 42\r\n', { type: 'DELETED', target: '#dev', id: 42 }],
  ['REACTION #dev 41 👍 @jane,@bob\r\n', { type: 'REACTION', target: '#dev', id: 41, reaction: '👍', by: ['@jane', '@bob'] }],
  ['REACTION #dev 41 ❤️ @kim\r\n', { type: 'REACTION', target: '#dev', id: 41, reaction: '❤️', by: ['@kim'] }],
  [`REPLIES #dev 41 2 46 ${TS} @bob,@jane\r\n`, { type: 'REPLIES', target: '#dev', id: 41, count: 2, lastId: 46, lastTs: TS, by: ['@bob', '@jane'] }],
  [`REPLIES #dev 41 0 0 ${TS} -\r\n`, { type: 'REPLIES', target: '#dev', id: 41, count: 0, lastId: 0, lastTs: TS, by: [] }],
  [`FOLLOWING #dev 41 2 1 0 46 ${TS}\r\n`, { type: 'FOLLOWING', target: '#dev', root: 41, replies: 2, unread: 1, mentions: 0, lastId: 46, lastTs: TS }],
  ['END THREAD 3\r\n', { type: 'END', of: 'THREAD', count: 3 }],
  ['END THREADS 1\r\n', { type: 'END', of: 'THREADS', count: 1 }],
];

describe('issue 17 commands: canonical wire form', () => {
  it.each(commands)('decodes %j, in any chunks', (wire, command) => {
    for (const how of CHUNKINGS) expect(plain(parseCommands(wire, how))).toEqual(plain([command]));
  });
  it.each(commands)('encodes to %j', (wire, command) => {
    expect(encodeCommand(command)).toEqual(utf8(wire));
  });
  it('encodeReply and encodeEdit count the body in bytes', () => {
    expect(encodeReply('#dev', 41, 'héllo', true)).toEqual(utf8('REPLY #dev 41 6 ALSO\r\nhéllo\r\n'));
    expect(encodeEdit('#dev', 41, 'héllo')).toEqual(utf8('EDIT #dev 41 6\r\nhéllo\r\n'));
  });
});

describe('issue 17 commands: accepted variants', () => {
  it.each(commandVariants)('%s', (_label, wire, command) => {
    for (const how of CHUNKINGS) expect(plain(parseCommands(wire, how))).toEqual(plain([command]));
  });
});

describe('issue 17 server frames: canonical wire form', () => {
  it.each(frames)('decodes %j, in any chunks', (wire, frame) => {
    for (const how of CHUNKINGS) expect(plain(parseServerFrames(wire, how))).toEqual(plain([frame]));
  });
  it.each(frames)('encodes to %j', (wire, frame) => {
    expect(encodeServerFrame(frame)).toEqual(utf8(wire));
  });
  it('serverLine gives a bodied frame its head line, length included', () => {
    expect(serverLine(frames[1][1])).toBe(`REPLY #dev @bob 46 ${TS} 41 5 ALSO`);
    expect(serverLine(frames[2][1])).toBe(`EDIT @jane @john 9 ${TS} 7 11`);
  });
  it('a reaction is kept one word on the wire, whatever a caller hands the encoder', () => {
    const f: ServerFrame = { type: 'REACT', target: '#dev', from: '@x', id: 1, ts: TS, of: 1, reaction: 'a b\r\nQUIT' };
    expect(serverLine(f)).toBe(`REACT #dev @x 1 ${TS} 1 abQUIT`);
  });
});

describe('the body rule (section 7) for REPLY and EDIT', () => {
  const next = 'PING next\r\n';
  /** [label, code, line, body]: a refused line that announces a body made of commands, which must not run. */
  const refused: Array<[string, string, string, string]> = [
    ['REPLY to a bad target', 'BAD_TARGET', 'REPLY dev 41 4', 'QUIT'],
    ['REPLY to a bad channel', 'BAD_CHANNEL', 'REPLY #no! 41 4', 'QUIT'],
    ['REPLY with ALSO to a bad handle', 'BAD_HANDLE', 'REPLY @no! 41 4 ALSO', 'QUIT'],
    ['REPLY without a root id', 'BAD_SYNTAX', 'REPLY #dev 4', 'QUIT'],
    ['REPLY with a root that is not a number', 'BAD_SYNTAX', 'REPLY #dev x 4 ALSO', 'QUIT'],
    ['REPLY with a word too many', 'BAD_SYNTAX', 'REPLY #dev 41 please 4', 'QUIT'],
    ['REPLY over the body limit', 'BODY_TOO_LARGE', 'REPLY #dev 41 65537', 'QUIT\r\n'.repeat(16385).slice(0, 65537)],
    ['EDIT with an id of 16 digits', 'BAD_SYNTAX', 'EDIT #dev 1234567890123456 4', 'QUIT'],
    ['EDIT of a bad target', 'BAD_TARGET', 'EDIT general 41 4', 'QUIT'],
  ];
  it.each(refused)('%s gives %s, its body skipped, then the next command parses', (_label, code, line, b) => {
    for (const how of CHUNKINGS) expect(codes(parseCommands(`${line}\r\n${b}\r\n${next}`, how))).toEqual([code, 'frame:PING']);
  });
  it('only REPLY has ALSO: an EDIT ending in ALSO announces nothing, so what follows is read as commands', () => {
    expect(codes(parseCommands(`EDIT #dev 41 4 ALSO\r\nQUIT\r\n${next}`))).toEqual(['BAD_SYNTAX', 'frame:QUIT', 'frame:PING']);
  });
  it('a refused line names the bytes it skips', () => {
    expect(parseCommands('REPLY #dev x 4\r\nQUIT\r\n')[0]).toMatchObject({ message: 'REPLY needs the id of a message, a number; the 4 bytes that follow are skipped' });
  });

  it('a server frame that is malformed still has its body skipped', () => {
    const wire = concat([
      utf8(`REPLY #dev @bob x ${TS} 41 4 ALSO\r\nQUIT\r\n`),
      utf8(`EDIT #dev @bob 47 ${TS} 4\r\nQUIT\r\n`),
      utf8('PONG\r\n'),
    ]);
    for (const how of CHUNKINGS) expect(codes(parseServerFrames(wire, how))).toEqual(['BAD_SYNTAX', 'BAD_SYNTAX', 'frame:PONG']);
  });
});

describe('a server frame with an empty body (a deleted message)', () => {
  it('MSG, REPLY and EDIT of length 0 have no body to read; the line end after it is a blank line', () => {
    const wire = `MSG #dev @bob 42 ${TS} 0\r\n\r\nREPLY #dev @bob 43 ${TS} 41 0\r\n\r\nPONG\r\n`;
    for (const how of CHUNKINGS) {
      expect(plain(parseServerFrames(wire, how))).toEqual(plain([
        { type: 'MSG', target: '#dev', from: '@bob', id: 42, ts: TS, body: body('') },
        { type: 'REPLY', target: '#dev', from: '@bob', id: 43, ts: TS, root: 41, also: false, body: body('') },
        { type: 'PONG' },
      ]));
    }
    expect(encodeServerFrame({ type: 'MSG', target: '#dev', from: '@bob', id: 42, ts: TS, body: body('') })).toEqual(utf8(`MSG #dev @bob 42 ${TS} 0\r\n\r\n`));
  });
});

describe('issue 17 server frames: malformed', () => {
  it.each([
    `DELETE #dev @bob 48 ${TS}`,
    `DELETE #dev @bob x ${TS} 41`,
    `REACT #dev @jane 49 ${TS} 41`,
    `UNREACT #dev @jane 49 ${TS} 41 👍 extra`,
    'TYPING #dev',
    'EDITED #dev 41',
    'DELETED #dev x',
    'REACTION #dev 41 👍',
    `REPLIES #dev 41 two 46 ${TS} @bob`,
    `FOLLOWING #dev 41 2 1 0 46`,
  ])('%s is BAD_SYNTAX, and the stream goes on', (line) => {
    expect(codes(parseServerFrames(`${line}\r\nPONG\r\n`))).toEqual(['BAD_SYNTAX', 'frame:PONG']);
  });
});
