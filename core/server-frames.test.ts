/**
 * Server -> client frames (docs/PROTOCOL.md sections 3 and 5), both ways: the exact bytes a
 * server sends decode to the frame, and encoding the frame gives those exact bytes.
 */
import { describe, expect, it } from 'vitest';
import { encodeDelivery, encodeServerFrame, serverLine } from './encode.ts';
import type { ServerFrame } from './frames.ts';
import { concat, parseServerFrames, plain, raw, utf8 } from './test-support.ts';

const TS = '2026-11-22T10:00:00.000Z';

/** Canonical wire form <-> frame. Every frame of sections 3 and 5, most from the spec's examples. */
const canonical: Array<[wire: string, frame: ServerFrame]> = [
  [
    'HELLO slck 0.1.0 c1 Welcome to SLCK. REG @handle to start, HELP for commands.\r\n',
    { type: 'HELLO', server: 'slck', version: '0.1.0', clientId: 'c1', text: 'Welcome to SLCK. REG @handle to start, HELP for commands.' },
  ],
  ['OK\r\n', { type: 'OK', args: [] }],
  [`OK 1 ${TS}\r\n`, { type: 'OK', args: ['1', TS] }],
  ['OK 7 2026-11-22T10:00:01.250Z\r\n', { type: 'OK', args: ['7', '2026-11-22T10:00:01.250Z'] }],
  ['OK MUTED 1\r\n', { type: 'OK', args: ['MUTED', '1'] }],
  ['ERR NOT_MEMBER Join #general before posting to it\r\n', { type: 'ERR', code: 'NOT_MEMBER', text: 'Join #general before posting to it' }],
  ['ERR BAD_HANDLE Handle must begin with @\r\n', { type: 'ERR', code: 'BAD_HANDLE', text: 'Handle must begin with @' }],
  [
    'ERR BAD_LENGTH Body length 16 does not match the 15 bytes after \\r\\n\r\n',
    { type: 'ERR', code: 'BAD_LENGTH', text: 'Body length 16 does not match the 15 bytes after \\r\\n' },
  ],
  ['ERR RATE_LIMITED Too many attempts; wait 4 s\r\n', { type: 'ERR', code: 'RATE_LIMITED', text: 'Too many attempts; wait 4 s' }],
  [
    `MSG #general @jane 41 ${TS} 5\r\nHello\r\n`,
    { type: 'MSG', target: '#general', from: '@jane', id: 41, ts: TS, body: utf8('Hello') },
  ],
  [
    'MSG @jane @john 13 2026-11-22T10:00:05.000Z 3\r\nHey\r\n',
    { type: 'MSG', target: '@jane', from: '@john', id: 13, ts: '2026-11-22T10:00:05.000Z', body: utf8('Hey') },
  ],
  ['JOINED #random @jane\r\n', { type: 'JOINED', channel: '#random', user: '@jane' }],
  ['LEFT #random @jane\r\n', { type: 'LEFT', channel: '#random', user: '@jane' }],
  ['ONLINE @jane\r\n', { type: 'ONLINE', user: '@jane' }],
  ['OFFLINE @jane\r\n', { type: 'OFFLINE', user: '@jane' }],
  ['BLOCKED @troll\r\n', { type: 'BLOCKED', user: '@troll' }],
  ['UNBLOCKED @troll\r\n', { type: 'UNBLOCKED', user: '@troll' }],
  ['END BLOCKS 1\r\n', { type: 'END', of: 'BLOCKS', count: 1 }],
  ['KICKED #dev @troll @jane\r\n', { type: 'KICKED', channel: '#dev', user: '@troll', by: '@jane', reason: '' }],
  ['BANNED #dev @troll @jane spam, twice\r\n', { type: 'BANNED', channel: '#dev', user: '@troll', by: '@jane', reason: 'spam, twice' }],
  ['ROLE #dev @kim op @jane\r\n', { type: 'ROLE', channel: '#dev', user: '@kim', role: 'op', by: '@jane' }],
  ['ROLE #dev @kim owner -\r\n', { type: 'ROLE', channel: '#dev', user: '@kim', role: 'owner', by: '-' }],
  ['ROLE - @root admin -\r\n', { type: 'ROLE', channel: '-', user: '@root', role: 'admin', by: '-' }],
  ['BAN #dev @troll @jane 2026-12-07T10:00:00.000Z link  farming\r\n', { type: 'BAN', channel: '#dev', user: '@troll', by: '@jane', ts: '2026-12-07T10:00:00.000Z', reason: 'link  farming' }],
  ['BAN #dev @troll - -\r\n', { type: 'BAN', channel: '#dev', user: '@troll', by: '-', ts: '-', reason: '' }],
  ['END BANS 2\r\n', { type: 'END', of: 'BANS', count: 2 }],
  ['MOD 2026-12-07T10:00:00.000Z delete @jane @troll #dev 12 a slur\r\n', { type: 'MOD', ts: '2026-12-07T10:00:00.000Z', action: 'delete', by: '@jane', whom: '@troll', channel: '#dev', id: 12, reason: 'a slur' }],
  ['MOD 2026-12-07T10:00:00.000Z suspend @admin @troll - -\r\n', { type: 'MOD', ts: '2026-12-07T10:00:00.000Z', action: 'suspend', by: '@admin', whom: '@troll', channel: '-', reason: '' }],
  ['END MODLOG 2\r\n', { type: 'END', of: 'MODLOG', count: 2 }],
  ['BYE SUSPENDED You were suspended by @admin: spam\r\n', { type: 'BYE', reason: 'SUSPENDED', text: 'You were suspended by @admin: spam' }],
  ['CHN #general 2\r\n', { type: 'CHN', channel: '#general', members: 2 }],
  ['CHN #random 0\r\n', { type: 'CHN', channel: '#random', members: 0 }],
  ['CHN #Plans 3 private\r\n', { type: 'CHN', channel: '#Plans', members: 3, private: true }],
  ['END CHNS 2\r\n', { type: 'END', of: 'CHNS', count: 2 }],
  ['END CHNS 100 MORE #zeta\r\n', { type: 'END', of: 'CHNS', count: 100, more: '#zeta' }],
  ['USR @jane online\r\n', { type: 'USR', user: '@jane', online: true }],
  ['USR @john offline\r\n', { type: 'USR', user: '@john', online: false }],
  ['END USRS 2\r\n', { type: 'END', of: 'USRS', count: 2 }],
  ['READ #general 42\r\n', { type: 'READ', target: '#general', id: 42 }],
  ['USR @kim offline guest\r\n', { type: 'USR', user: '@kim', online: false, guest: true }],
  ['TOPIC #dev @jane Release on Friday\r\n', { type: 'TOPIC', channel: '#dev', by: '@jane', text: 'Release on Friday' }],
  ['TOPIC #dev -\r\n', { type: 'TOPIC', channel: '#dev', by: '-', text: '' }],
  ['END TOPIC 1\r\n', { type: 'END', of: 'TOPIC', count: 1 }],
  ['BYE SIGNED_OUT @jane signed out everywhere\r\n', { type: 'BYE', reason: 'SIGNED_OUT', text: '@jane signed out everywhere' }],
  ['UNREAD #dev 3 1 40 43\r\n', { type: 'UNREAD', target: '#dev', unread: 3, mentions: 1, readId: 40, lastId: 43 }],
  ['UNREAD @kim 0 0 7 7\r\n', { type: 'UNREAD', target: '@kim', unread: 0, mentions: 0, readId: 7, lastId: 7 }],
  ['END UNREAD 2\r\n', { type: 'END', of: 'UNREAD', count: 2 }],
  ['PREF mute:#dev 1\r\n', { type: 'PREF', key: 'mute:#dev', value: '1' }],
  ['PREF theme dark,  high contrast\r\n', { type: 'PREF', key: 'theme', value: 'dark,  high contrast' }],
  ['PREF mute:@bob\r\n', { type: 'PREF', key: 'mute:@bob', value: '' }],
  ['END PREFS 2\r\n', { type: 'END', of: 'PREFS', count: 2 }],
  [
    'INFO REG @handle [password]  register; a password claims the handle\r\n',
    { type: 'INFO', text: 'REG @handle [password]  register; a password claims the handle' },
  ],
  ['END HELP 13\r\n', { type: 'END', of: 'HELP', count: 13 }],
  ['END HISTORY 2\r\n', { type: 'END', of: 'HISTORY', count: 2 }],
  ['END HISTORY 0\r\n', { type: 'END', of: 'HISTORY', count: 0 }],
  [`TIME ${TS}\r\n`, { type: 'TIME', time: TS }],
  ['PONG abc\r\n', { type: 'PONG', token: 'abc' }],
  ['PONG\r\n', { type: 'PONG' }],
  ['NOTICE The server restarts at 11:00 UTC\r\n', { type: 'NOTICE', text: 'The server restarts at 11:00 UTC' }],
  ['BYE QUIT Goodbye @jane\r\n', { type: 'BYE', reason: 'QUIT', text: 'Goodbye @jane' }],
  ['BYE SHUTDOWN Server is shutting down\r\n', { type: 'BYE', reason: 'SHUTDOWN', text: 'Server is shutting down' }],
  ['BYE SLOW_CONSUMER You fell too far behind\r\n', { type: 'BYE', reason: 'SLOW_CONSUMER', text: 'You fell too far behind' }],
  ['BYE TIMEOUT No heartbeat\r\n', { type: 'BYE', reason: 'TIMEOUT', text: 'No heartbeat' }],
  ['BYE PROTOCOL Too many errors\r\n', { type: 'BYE', reason: 'PROTOCOL', text: 'Too many errors' }],
];

describe('server frames: canonical wire form', () => {
  it.each(canonical)('decodes %j', (wire, frame) => {
    expect(plain(parseServerFrames(wire))).toEqual(plain([frame]));
  });

  it.each(canonical)('encodes to %j', (wire, frame) => {
    expect(encodeServerFrame(frame)).toEqual(utf8(wire));
  });

  it('encodeDelivery writes the same bytes as encodeServerFrame', () => {
    const wire = utf8(`MSG #general @jane 41 ${TS} 5\r\nHello\r\n`);
    expect(encodeDelivery('#general', '@jane', 41, TS, utf8('Hello'))).toEqual(wire);
    expect(encodeDelivery('#general', '@jane', 9007199254740991, TS, utf8('x'))).toEqual(
      utf8(`MSG #general @jane 9007199254740991 ${TS} 1\r\nx\r\n`),
    );
  });

  it('encodeDelivery frames a body of any bytes, up to the largest', () => {
    const body = new Uint8Array(65536).map((_, i) => (i * 7) & 0xff);
    const frame = encodeDelivery('@jane', '@john', 1, TS, body);
    const head = utf8(`MSG @jane @john 1 ${TS} 65536\r\n`);
    expect(frame.length).toBe(head.length + 65536 + 2);
    expect(frame.subarray(0, head.length)).toEqual(head);
    expect(frame.subarray(head.length, head.length + 65536)).toEqual(body);
    expect(Array.from(frame.subarray(-2))).toEqual([13, 10]);
  });

  it('frames encoded one after another do not overwrite each other', () => {
    const frames = Array.from({ length: 500 }, (_, i) => encodeDelivery('#general', '@jane', i + 1, TS, utf8(`message ${i}`)));
    frames.forEach((f, i) => expect(f).toEqual(utf8(`MSG #general @jane ${i + 1} ${TS} ${`message ${i}`.length}\r\nmessage ${i}\r\n`)));
  });

  it('free text is kept on one line: control characters become spaces', () => {
    expect(serverLine({ type: 'NOTICE', text: 'two\r\nlines\0' })).toBe('NOTICE two lines ');
    expect(encodeServerFrame({ type: 'ERR', code: 'BAD_SYNTAX', text: 'a\nb' })).toEqual(utf8('ERR BAD_SYNTAX a b\r\n'));
  });
});

/** Other ways the same frames may be written: the framing rules of section 1 hold both ways. */
const variants: Array<[label: string, wire: string, frame: ServerFrame]> = [
  ['LF line ends', 'OK\n', { type: 'OK', args: [] }],
  ['lower-case verb', 'ok\r\n', { type: 'OK', args: [] }],
  ['lower-case END', 'end CHNS 2\r\n', { type: 'END', of: 'CHNS', count: 2 }],
  ['lower-case MSG', `msg #general @jane 41 ${TS} 5\r\nHello`, { type: 'MSG', target: '#general', from: '@jane', id: 41, ts: TS, body: utf8('Hello') }],
  ['tabs between words', `MSG\t#general\t@jane  41 ${TS}\t5 \nHello\n`, { type: 'MSG', target: '#general', from: '@jane', id: 41, ts: TS, body: utf8('Hello') }],
  ['leading spaces', '  JOINED #random @jane\r\n', { type: 'JOINED', channel: '#random', user: '@jane' }],
  ['trailing spaces', 'CHN #general 2  \r\n', { type: 'CHN', channel: '#general', members: 2 }],
  ['CHN: a flag a later version adds is passed over', 'CHN #general 2 archived\r\n', { type: 'CHN', channel: '#general', members: 2 }],
  ['CHN: private among other flags', 'CHN #Plans 2 archived private\r\n', { type: 'CHN', channel: '#Plans', members: 2, private: true }],
  ['text keeps inner spacing', 'NOTICE  a  b\t c\r\n', { type: 'NOTICE', text: 'a  b\t c' }],
  ['body holding CRLF', `MSG #g @j 1 ${TS} 4\r\n\r\n\r\n\r\n`, { type: 'MSG', target: '#g', from: '@j', id: 1, ts: TS, body: utf8('\r\n\r\n') }],
];

describe('server frames: accepted variants', () => {
  it.each(variants)('%s', (_label, wire, frame) => {
    expect(plain(parseServerFrames(wire))).toEqual(plain([frame]));
  });

  it('blank and whitespace-only lines are ignored', () => {
    expect(parseServerFrames('\r\n\n  \r\n\t \nOK\r\n')).toEqual([{ type: 'OK', args: [] }]);
  });
});

describe('the spec transcripts, as a client reads them', () => {
  it('section 5: a new connection', () => {
    const wire =
      'HELLO slck 0.1.0 c1 Welcome to SLCK. REG @handle to start, HELP for commands.\r\n' +
      `MSG #general @john 12 ${TS} 5\r\nHello\r\n` +
      'MSG @jane @john 13 2026-11-22T10:00:05.000Z 3\r\nHey\r\n' +
      'BYE SHUTDOWN Server is shutting down\r\n';
    expect(parseServerFrames(wire).map((f) => ('type' in f ? f.type : f))).toEqual(['HELLO', 'MSG', 'MSG', 'BYE']);
  });

  it('section 2: HISTORY replays MSG frames then END', () => {
    const wire =
      `MSG #general @jane 41 ${TS} 5\r\nHello\r\n` + 'MSG #general @john 42 2026-11-22T10:00:02.000Z 3\r\nHey\r\nEND HISTORY 2\r\n';
    expect(plain(parseServerFrames(wire))).toEqual(
      plain([
        { type: 'MSG', target: '#general', from: '@jane', id: 41, ts: TS, body: utf8('Hello') },
        { type: 'MSG', target: '#general', from: '@john', id: 42, ts: '2026-11-22T10:00:02.000Z', body: utf8('Hey') },
        { type: 'END', of: 'HISTORY', count: 2 },
      ]),
    );
  });
});

describe('server frames: malformed', () => {
  it.each([
    ['unknown verb', 'UNKNOWN_COMMAND', 'WHAT is this\r\n'],
    ['garbage bytes', 'UNKNOWN_COMMAND', '\xff\xfe\0\r\n'],
    ['MSG without a length', 'BAD_LENGTH', `MSG #general @jane 41 ${TS}\r\n`],
    // Its last word announces a body: refused, the body is skipped, never read as frames.
    ['MSG with a non-numeric id', 'BAD_SYNTAX', `MSG #general @jane x1 ${TS} 5\r\nHello\r\n`],
    ['MSG with a word too many', 'BAD_SYNTAX', `MSG #general @jane 41 ${TS} extra 11\r\nPONG stolen\r\n`],
    ['MSG with a length over the limit', 'BODY_TOO_LARGE', `MSG #general @jane 41 ${TS} 65537\r\n${'PONG x\r\n'.repeat(8192)}P\r\n`],
    // (A length of 0 is no longer malformed: the empty body of a deleted message, thread-codec.test.ts.)
    ['MSG with a length of 00', 'BAD_LENGTH', `MSG #general @jane 41 ${TS} 00\r\n`],
    ['MSG with a huge length', 'BODY_TOO_LARGE', `MSG #general @jane 41 ${TS} 99999999\r\n`],
    ['BYE with an unknown reason', 'BAD_SYNTAX', 'BYE LATER see you\r\n'],
    ['END without a count', 'BAD_SYNTAX', 'END CHNS\r\n'],
    ['END with a non-numeric count', 'BAD_SYNTAX', 'END CHNS two\r\n'],
    ['END with MORE but no cursor', 'BAD_SYNTAX', 'END CHNS 100 MORE\r\n'],
    ['END with an unknown word after the count', 'BAD_SYNTAX', 'END CHNS 100 LESS #a\r\n'],
    ['CHN with a negative count', 'BAD_SYNTAX', 'CHN #general -1\r\n'],
    ['CHN without a count', 'BAD_SYNTAX', 'CHN #general\r\n'],
    ['CHN with a flag for a count', 'BAD_SYNTAX', 'CHN #general private\r\n'],
    ['USR with an unknown state', 'BAD_SYNTAX', 'USR @jane away\r\n'],
    ['JOINED without a user', 'BAD_SYNTAX', 'JOINED #general\r\n'],
    ['ONLINE with two users', 'BAD_SYNTAX', 'ONLINE @a @b\r\n'],
    ['BLOCKED without a user', 'BAD_SYNTAX', 'BLOCKED\r\n'],
    ['KICKED without who did it', 'BAD_SYNTAX', 'KICKED #dev @troll\r\n'],
    ['ROLE of an unknown role', 'BAD_SYNTAX', 'ROLE #dev @kim boss @jane\r\n'],
    ['BAN without a time', 'BAD_SYNTAX', 'BAN #dev @troll @jane\r\n'],
    ['MOD with a bad id', 'BAD_SYNTAX', 'MOD 2026-12-07T10:00:00.000Z delete @jane @troll #dev x\r\n'],
    ['TIME without a time', 'BAD_SYNTAX', 'TIME\r\n'],
    ['ERR without a code', 'BAD_SYNTAX', 'ERR\r\n'],
    ['HELLO cut short', 'BAD_SYNTAX', 'HELLO slck\r\n'],
    ['READ without an id', 'BAD_SYNTAX', 'READ #general\r\n'],
    ['USR with an unknown fourth word', 'BAD_SYNTAX', 'USR @jane online admin\r\n'],
    ['TOPIC without its setter', 'BAD_SYNTAX', 'TOPIC #dev\r\n'],
    ['READ with a non-numeric id', 'BAD_SYNTAX', 'READ #general x\r\n'],
    ['UNREAD with a count missing', 'BAD_SYNTAX', 'UNREAD #dev 3 1 40\r\n'],
    ['UNREAD with a negative count', 'BAD_SYNTAX', 'UNREAD #dev -3 1 40 43\r\n'],
  ])('%s gives %s, and the next frame still reads', (_label, code, wire) => {
    // Each character of `wire` is one byte, so '\xff' is the byte 0xFF.
    const results = parseServerFrames(concat([raw(wire), utf8('PONG after\r\n')]));
    expect(results.length).toBe(2);
    expect(results[0]).toMatchObject({ code });
    expect(results[1]).toEqual({ type: 'PONG', token: 'after' });
  });
});
