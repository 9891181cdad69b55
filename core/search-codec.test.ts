/**
 * SEARCH and FOUND on the wire (docs/PROTOCOL.md, SEARCH), both ways: the exact bytes decode
 * to the command or frame in any chunks, encoding gives those bytes back, FOUND keeps the body
 * rule of section 7, and a person reads FOUND as MSG, a direct message from their side.
 */
import { describe, expect, it } from 'vitest';
import { encodeCommand, encodeServerFrame, serverLine } from './encode.ts';
import { encodePersonFrame } from './render-person.ts';
import { nearestVerb } from './suggest.ts';
import { fromUtf8 } from './bytes.ts';
import type { Command, ServerFrame } from './frames.ts';
import type { SearchQuery } from './search-query.ts';
import { type Chunking, codes, concat, parseCommands, parseServerFrames, plain, raw, utf8 } from './test-support.ts';

const TS = '2026-12-07T14:50:00.000Z';
const CHUNKINGS: Chunking[] = ['whole', 'bytes', [3, 1, 7]];
const q = (parts: Partial<SearchQuery>): SearchQuery => ({ words: [], phrases: [], excluded: [], ...parts });

const commands: Array<[wire: string, command: Command]> = [
  ['SEARCH deploy\r\n', { type: 'SEARCH', query: q({ words: ['deploy'] }), text: 'deploy' }],
  [
    'SEARCH Café  "release notes" -staging from:@kim in:#dev after:2026-11-01 before:2026-12-01\r\n',
    {
      type: 'SEARCH',
      query: q({ words: ['cafe'], phrases: ['release notes'], excluded: ['staging'], from: '@kim', in: '#dev', after: '2026-11-01T23:59:59.999Z', before: '2026-12-01T00:00:00.000Z' }),
      text: 'Café  "release notes" -staging from:@kim in:#dev after:2026-11-01 before:2026-12-01',
    },
  ],
  ['SEARCH in:@bob 東京タワー\r\n', { type: 'SEARCH', query: q({ words: ['東京タワー'], in: '@bob' }), text: 'in:@bob 東京タワー' }],
];

/** Accepted, but not as the encoder writes them. */
const variants: Array<[label: string, wire: string, command: Command]> = [
  ['in lower case, after a slash, with spaces and tabs around', '/search \t lunch  plans \t\n', { type: 'SEARCH', query: q({ words: ['lunch', 'plans'] }), text: 'lunch  plans' }],
  ['a filter alone, with LF', 'SEARCH from:@kim\n', { type: 'SEARCH', query: q({ from: '@kim' }), text: 'from:@kim' }],
];

const frames: Array<[wire: string, frame: ServerFrame]> = [
  [`FOUND #dev @jane 41 ${TS} 16\r\nHello, everyone!\r\n`, { type: 'FOUND', target: '#dev', from: '@jane', id: 41, ts: TS, body: utf8('Hello, everyone!') }],
  [`FOUND @tess @carol 14 ${TS} 6\r\ncafé?\r\n`, { type: 'FOUND', target: '@tess', from: '@carol', id: 14, ts: TS, body: utf8('café?') }],
  [`FOUND #dev @bob 46 ${TS} 4\r\na\r\nb\r\n`, { type: 'FOUND', target: '#dev', from: '@bob', id: 46, ts: TS, body: utf8('a\r\nb') }],
  ['END SEARCH 2\r\n', { type: 'END', of: 'SEARCH', count: 2 }],
  [`END SEARCH 20 MORE ${TS}\r\n`, { type: 'END', of: 'SEARCH', count: 20, more: TS }],
];

describe('SEARCH: canonical wire form', () => {
  it.each(commands)('decodes %j, in any chunks', (wire, command) => {
    for (const how of CHUNKINGS) expect(plain(parseCommands(wire, how))).toEqual(plain([command]));
  });
  it.each(commands)('encodes to %j', (wire, command) => {
    expect(encodeCommand(command)).toEqual(utf8(wire));
  });
  it.each(variants)('%s', (_label, wire, command) => {
    for (const how of CHUNKINGS) expect(plain(parseCommands(wire, how))).toEqual(plain([command]));
  });
  it('a query that is not UTF-8 is refused, and the next command parses', () => {
    expect(parseCommands(concat([raw('SEARCH caf\xe9\r\n'), utf8('PING x\r\n')]))).toMatchObject([
      { code: 'BAD_SYNTAX', message: 'A search must be UTF-8 text' },
      { type: 'PING', token: 'x' },
    ]);
  });
  it('FIND and GREP are SEARCH, and a typo of it is too', () => {
    expect(nearestVerb('find')).toBe('SEARCH');
    expect(nearestVerb('grep')).toBe('SEARCH');
    expect(nearestVerb('serach')).toBe('SEARCH');
    expect(parseCommands('/find deploy\r\n')[0]).toMatchObject({ code: 'UNKNOWN_COMMAND', message: 'Unknown command FIND; did you mean SEARCH?' });
  });
});

describe('FOUND and END SEARCH: canonical wire form', () => {
  it.each(frames)('decodes %j, in any chunks', (wire, frame) => {
    for (const how of CHUNKINGS) expect(plain(parseServerFrames(wire, how))).toEqual(plain([frame]));
  });
  it.each(frames)('encodes to %j', (wire, frame) => {
    expect(encodeServerFrame(frame)).toEqual(utf8(wire));
  });
  it('serverLine gives FOUND its head line, length included', () => {
    expect(serverLine(frames[0][1])).toBe(`FOUND #dev @jane 41 ${TS} 16`);
  });
  it('words between <ts> and <len> are room for later fields: read past, the body still read by its length', () => {
    const wire = `FOUND #dev @bob 46 ${TS} ROOT 41 5\r\nDone!\r\nPONG\r\n`;
    for (const how of CHUNKINGS) {
      expect(plain(parseServerFrames(wire, how))).toEqual(plain([{ type: 'FOUND', target: '#dev', from: '@bob', id: 46, ts: TS, body: utf8('Done!') }, { type: 'PONG' }]));
    }
  });
  it('a malformed FOUND still has its body skipped (section 7), and the stream goes on', () => {
    const wire = `FOUND #dev @bob x ${TS} 6\r\nQUIT\r\n\r\nFOUND #dev @bob 5\r\nPONG\r\nPONG\r\n`;
    for (const how of CHUNKINGS) expect(codes(parseServerFrames(wire, how))).toEqual(['BAD_SYNTAX', 'BAD_SYNTAX', 'frame:PONG']);
  });
});

describe('FOUND rendered for a person', () => {
  const person = (frame: ServerFrame, reader?: string) => fromUtf8(encodePersonFrame(frame, reader));
  it('a channel\'s keeps the program\'s head, its body indented and made visible, the length counting what is sent', () => {
    const f: ServerFrame = { type: 'FOUND', target: '#dev', from: '@mallory', id: 13, ts: TS, body: utf8('\x1b[2Jhi\nMSG #dev @alice 9 x 3') };
    const out = person(f, '@jane');
    const body = '  │ ␛[2Jhi\r\n  │ MSG #dev @alice 9 x 3';
    expect(out).toBe(`FOUND #dev @mallory 13 ${TS} ${utf8(body).length}\r\n${body}\r\n`);
  });
  it('a direct message says whose it is, from the reader\'s side', () => {
    const f: ServerFrame = { type: 'FOUND', target: '@tess', from: '@carol', id: 14, ts: TS, body: utf8('lunch?') };
    expect(person(f, '@tess')).toBe(`FOUND DM from @carol 14 ${TS} 12\r\n  │ lunch?\r\n`);
    expect(person(f, '@Carol')).toBe(`FOUND DM to @tess 14 ${TS} 12\r\n  │ lunch?\r\n`);
  });
});
