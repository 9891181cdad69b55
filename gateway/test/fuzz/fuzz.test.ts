import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.ts';
import { WireModel, freshSession } from './model.ts';
import { ConvLog } from './model-log.ts';
import { ServerReader, type Frame } from './frames.ts';
import { caseOf, escapeBytes, makeCase } from './cases.ts';
import { SERVER_OVERRIDES, Wire, fuzz, runCase } from './harness.ts';

// The wire fuzzer (gateway/fuzz): first its spec model on inputs worked out by hand from
// docs/PROTOCOL.md, then a bounded seeded run against the real server over TCP and
// WebSocket, then the harness itself catching a wrong prediction and a swallowed sentinel.

const L = (s: string) => Buffer.from(s, 'latin1');

/** Input, the replies the model owes (each as its allowed keys), body bytes still owed. */
const TABLE: [string, string, string[], number][] = [
  ['a PING', 'PING abc\r\n', ['PONG:abc'], 0],
  ['a whole MSG', 'MSG #general 5\r\nHello', ['OK-MSG'], 0],
  ['a MSG whose body is cut short', 'MSG #general 5\r\nHel', ['OK-MSG'], 2],
  ['a word too many: refused, its body still eaten', 'MSG #general 5 6\r\nabcdef\r\nPING x\r\n', ['ERR:BAD_SYNTAX', 'PONG:x'], 0],
  ['no target: refused, its body still eaten', 'MSG 7\r\n1234567', ['ERR:BAD_SYNTAX|ERR:BAD_TARGET'], 0],
  ['the one-line form', 'MSG #general 5\\r\\nHello\r\nPING x\r\n', ['OK-MSG', 'PONG:x'], 0],
  ['the one-line form, two over: a CRLF', 'MSG #general 7\\r\\nHello\r\n', ['OK-MSG'], 0],
  ['the one-line form, three over', 'MSG #general 8\\r\\nHello\r\n', ['ERR:BAD_LENGTH'], 0],
  ['the one-line form wins over a last-word length', 'MSG #general 5\\r\\nHello 6\r\nabcdef\r\n', ['ERR:BAD_LENGTH', 'ERR:UNKNOWN_COMMAND'], 0],
  ['a literal \\r\\n past W2 is no one-line form', 'MSG #general x 5\\r\\nab 3\r\nabc', ['ERR:BAD_SYNTAX'], 0],
  ['over 1 MiB announces nothing', 'MSG #general 1048577\r\nPING a\r\n', ['ERR:BAD_LENGTH|ERR:BAD_SYNTAX|ERR:BODY_TOO_LARGE', 'PONG:a'], 0],
  ['over 64 KiB: refused and skipped', 'MSG #general 70000\r\n', ['ERR:BODY_TOO_LARGE'], 70_000],
  ['leading zeros are a plain number', 'MSG #general 00000005\r\nhello', ['OK-MSG'], 0],
  ['a line over 4096 bytes', `${'A'.repeat(4097)}\r\n`, ['ERR:LINE_TOO_LONG'], 0],
  ['a line of 4096 bytes', `PING ${'a'.repeat(4091)}\r\n`, [`PONG:${'a'.repeat(64)}`], 0],
  ['an over-long MSG announces nothing', `MSG #general ${'a'.repeat(5000)} 5\r\nPING x\r\n`, ['ERR:LINE_TOO_LONG', 'PONG:x'], 0],
  ['only one CR is a line end', `${'a'.repeat(4096)}\r\r\n`, ['ERR:LINE_TOO_LONG'], 0],
  ['blank lines', '\r\n \t \r\n\n', [], 0],
  ['tabs, lower case, LF, a lone CR after the body', 'msg\t#general\t3\nabc\rPING x\n', ['OK-MSG', 'PONG:x'], 0],
  ['HELP takes anything, TIME nothing', 'HELP me\r\nhelp\r\nTIME x\r\n', ['END:HELP', 'END:HELP', 'ERR:BAD_SYNTAX'], 0],
  ['a PING token with ESC', 'PING \x1b[31m\r\n', ['ERR:BAD_SYNTAX'], 0],
  ['CHNS paging', 'CHNS 0\r\nCHNS 2 after #x\r\n', ['ERR:BAD_SYNTAX', 'END:CHNS'], 0],
  ['a channel not joined', 'MSG #random 2\r\nhi', ['ERR:NOT_MEMBER|ERR:NO_SUCH_CHANNEL|OK-MSG'], 0],
  ['a leading / is dropped, MSG keeps its body', '/ping a\r\n/msg #general 3\r\nabc\r\n/\r\n//join #x\r\n', ['PONG:a', 'OK-MSG', 'ERR:UNKNOWN_COMMAND', 'ERR:UNKNOWN_COMMAND'], 0],
  ['HISTORY around an id, not 0', 'HISTORY #general 5 around 9\r\nHISTORY #general around 0\r\n', ['END:HISTORY', 'ERR:BAD_SYNTAX'], 0],
  ['PREFS and PREF', 'PREFS\r\nPREF mute:#general 1\r\nPREF theme\r\n', ['END:PREFS|ERR:NOT_CLAIMED', 'OK|ERR:NOT_CLAIMED', 'OK|ERR:NOT_CLAIMED'], 0],
  ['CREATE and INVITE', 'CREATE #general private\r\nCREATE #general secret\r\nCREATE general\r\nINVITE #general @never-registered\r\nINVITE #general\r\n', ['ERR:CHANNEL_TAKEN', 'ERR:BAD_SYNTAX', 'ERR:BAD_CHANNEL', 'ERR:NO_SUCH_USER', 'ERR:BAD_SYNTAX'], 0],
  ['moderation: KICK, OP, SUSPEND, MODLOG', 'KICK #general @never-registered spam\r\nOP #general\r\nSUSPEND @never-registered\r\nMODLOG 0\r\nMODLOG\r\n', ['ERR:NO_SUCH_CHANNEL|ERR:NO_SUCH_USER|ERR:NOT_OP|ERR:NOT_ADMIN', 'ERR:BAD_SYNTAX', 'ERR:NOT_ADMIN|ERR:NO_SUCH_USER', 'ERR:BAD_SYNTAX', 'END:MODLOG|ERR:NOT_OP'], 0],
  ['BLOCK, UNBLOCK and BLOCKS', 'BLOCK @never-registered\r\nunblock #general\r\nBLOCK\r\nBLOCKS\r\nBLOCKS @x\r\n', ['OK|ERR:NO_SUCH_USER|ERR:SELF_TARGET', 'ERR:BAD_HANDLE', 'ERR:BAD_SYNTAX', 'END:BLOCKS', 'ERR:BAD_SYNTAX'], 0],
  ['REPLY: ALSO after the length, its body read', 'REPLY #general 1 5 ALSO\r\nHello', ['OK-MSG|ERR:NO_SUCH_MESSAGE'], 0],
  ['REPLY without a root: refused, its body still eaten', 'REPLY #general 5\r\nHello\r\nPING x\r\n', ['ERR:BAD_SYNTAX|ERR:BAD_LENGTH', 'PONG:x'], 0],
  ['EDIT of a word, not an id: refused, its body still eaten', 'EDIT #general latest 3\r\nabcPING x\r\n', ['ERR:BAD_SYNTAX', 'PONG:x'], 0],
  ['the one-line form is MSG\'s alone', 'REPLY #general 1 5\\r\\nHello\r\n', ['ERR:BAD_LENGTH|ERR:BAD_SYNTAX'], 0],
  ['REACT with a word that is no emoji', 'REACT #general 1 yes\r\nREACT #general 1 \xf0\x9f\x91\x8d\xf0\x9f\x91\x8d\r\n', ['ERR:BAD_REACTION|ERR:NO_SUCH_MESSAGE', 'ERR:BAD_REACTION|ERR:NO_SUCH_MESSAGE'], 0],
  ['TYPING, and whether typing is shown', 'TYPING #general\r\nTYPING ON\r\nTYPING\r\n', ['OK', 'OK', 'ERR:BAD_SYNTAX'], 0],
  ['THREADS, READ … THREAD', 'THREADS\r\nREAD #general 5 THREAD 2\r\nREAD #general 5 THREAD\r\n', ['END:THREADS', 'OK|ERR:NO_SUCH_MESSAGE', 'ERR:BAD_SYNTAX'], 0],
  ['PREF refused: a bad key, a value too long, not UTF-8, a control', `PREF a/b 1\r\nPREF k ${'v'.repeat(257)}\r\nPREF k caf\xe9\r\nPREF k \x1b[2J\r\n`, ['ERR:BAD_SYNTAX', 'ERR:BAD_SYNTAX', 'ERR:BAD_SYNTAX', 'ERR:BAD_SYNTAX'], 0],
];

describe('the wire model', () => {
  it.each(TABLE)('%s', (_, input, replies, pending) => {
    const m = new WireModel().feed(L(input));
    expect(m.expects.map((e) => e.allow.join('|'))).toEqual(replies);
    expect(m.pendingBody).toBe(pending);
  });

  it('gives the same replies however the bytes are split', () => {
    const input = L('MSG #general 5 6\r\nabcdef\rMSG #general 3\\r\\nabc\r\nPING x\r\n');
    const whole = new WireModel().feed(input).expects;
    for (let cut = 1; cut < input.length; cut++) {
      expect(new WireModel().feed(input.subarray(0, cut)).feed(input.subarray(cut)).expects).toEqual(whole);
    }
  });

  it('closes a half line and a half body so that the next bytes are a command', () => {
    const m = new WireModel().feed(L('PING a'));
    expect(m.idle).toBe(false);
    m.feed(m.closingBytes()!);
    expect(m.expects.map((e) => e.allow[0])).toEqual(['PONG:a']);
    const b = new WireModel().feed(L('MSG #general 9\r\nabc'));
    expect(escapeBytes(b.closingBytes()!)).toBe('"......"');
  });

  it('stops at QUIT: nothing after it is read', () => {
    const m = new WireModel().feed(L('QUIT\r\nPING x\r\n'));
    expect([m.quit, m.expects.map((e) => e.allow[0])]).toEqual([true, ['BYE:QUIT']]);
  });
});

describe('the wire model, a conversation it knows from its first id', () => {
  // @p posted 1 and 2 before the case; @me joined. Every logged change takes the next id.
  const session = () => {
    const log = new ConvLog('#c');
    log.msg('@p', L('Hi'));
    log.msg('@p', L('Yo'));
    return { ...freshSession(), handle: '@me', joined: new Set(['#general', '#c']), logs: new Map([['#c', log]]) };
  };
  const U = (s: string) => Buffer.from(s, 'utf8');
  const input = Buffer.concat([
    L('MSG #c 5\r\nHello'), L('RE #c 1 On it\r\n'), L('FIX #c 3 Hello!\r\nFIX #c 1 mine\r\nEDIT #c 5 1\r\nx'),
    U('REACT #c 1 :+1:\r\nREACT #c 1 👍\r\nUNREACT #c 2 👍\r\n'), L('DELETE #c 2\r\nDELETE #c 3\r\nRE #c 3 late\r\nREACT #c 9 :tada:\r\n'),
    L('HISTORY #c\r\nHISTORY #c after 4\r\nTHREAD #c 4\r\n'),
  ]);

  it('gives each change its id, and refuses others\' messages, deleted ones and ids of changes', () => {
    const m = new WireModel(session()).feed(input);
    expect(m.expects.map((e) => e.allow.join('|'))).toEqual([
      'OK-MSG:3', 'OK-MSG:4', 'OK-MSG:5', 'ERR:NOT_AUTHOR', 'ERR:NO_SUCH_MESSAGE',
      'OK-MSG:6', 'OK', 'OK', 'ERR:NOT_AUTHOR', 'OK-MSG:7', 'ERR:NO_SUCH_MESSAGE', 'ERR:NO_SUCH_MESSAGE',
      'END:HISTORY', 'END:HISTORY', 'END:THREAD',
    ]);
  });

  it('shows each message in its current state, and replays the log from the current state', () => {
    const [page, replay, thread] = new WireModel(session()).feed(input).expects.slice(-3).map((e) => e.frames);
    expect(page).toEqual([
      'MSG #c @p 1 *TS* 2 |Hi', 'REACTION #c 1 👍 @me', 'REPLIES #c 1 1 4 *TS* @me', 'MSG #c @p 2 *TS* 2 |Yo',
      'MSG #c @me 3 *TS* 0 |', 'DELETED #c 3',
    ]);
    expect(replay).toEqual(['EDIT #c @me 5 *TS* 3 0 |', 'REACT #c @me 6 *TS* 1 👍', 'DELETE #c @me 7 *TS* 3']);
    expect(thread).toEqual(['MSG #c @p 1 *TS* 2 |Hi', 'REACTION #c 1 👍 @me', 'REPLIES #c 1 1 4 *TS* @me', 'REPLY #c @me 4 *TS* 1 5 |On it']);
  });
});

/** Telnet (section 1), on the TCP port: input, the replies the model owes, the telnet state after. */
const TELNET: [string, string, string[], string][] = [
  ['a 0xFF in a body before telnet is data', 'MSG #general 3\r\n\xff\xf4x\r\nPING a\r\n', ['OK-MSG', 'PONG:a'], 'ready'],
  ['a 0xFF not before a command, IAC IAC: data', 'PING a\xff\x41\xff\xff\xf4\r\n', ['PONG'], 'ready'],
  ['IAC commands are removed once spoken', '\xff\xf1PING a\xff\xf1b\xff\xfb\x18c\r\n', ['PONG:abc'], 'on'],
  ['IAC IAC is one 0xFF, and a length counts after telnet is removed', '\xff\xf1MSG #general 3\r\na\xff\xffb\r\nPING x\r\n', ['OK-MSG', 'PONG:x'], 'on'],
  ['Ctrl-C drops the half line', 'PING a\xff\xf4\xff\xfd\x06PING b\r\n', ['PONG:b'], 'on'],
  ['Ctrl-C in a body drops the message and its reply', '\xff\xf1MSG #general 9\r\nabc\xff\xf4PING b\r\n', ['PONG:b'], 'on'],
  ['Ctrl-C in a refused body: its ERR is out already', '\xff\xf1MSG nobody 9\r\nabc\xff\xf4PING b\r\n', ['ERR:BAD_TARGET', 'PONG:b'], 'on'],
  ['Ctrl-C in an over-long line: its ERR is out already', `\xff\xf1${'a'.repeat(5000)}\xff\xf4PING b\r\n`, ['ERR:LINE_TOO_LONG', 'PONG:b'], 'on'],
  ['AYT is answered PONG, in order', 'PING a\r\n\xff\xf6PING b\r\n', ['PONG:a', 'PONG:', 'PONG:b'], 'on'],
  ['subnegotiation is skipped, 0xFF and all', '\xff\xfa\x18\x00x\xff\xff\xff\xf0PING a\r\n', ['PONG:a'], 'on'],
  ['an IAC command in a subnegotiation ends it', '\xff\xfa\x18ab\xff\xf4PING a\r\n', ['PONG:a'], 'on'],
];

describe('the wire model, telnet', () => {
  it.each(TELNET)('%s', (_, input, replies, after) => {
    const m = new WireModel().feed(L(input));
    expect(m.expects.map((e) => e.allow.join('|'))).toEqual(replies);
    expect(m.session.telnet).toBe(after);
    // Split anywhere, the same.
    for (let cut = 1; cut < input.length; cut += 7) {
      expect(new WireModel().feed(L(input.slice(0, cut))).feed(L(input.slice(cut))).expects).toEqual(m.expects);
    }
  });

  it('reads no telnet on a WebSocket', () => {
    const m = new WireModel({ ...freshSession(), telnet: 'off' }).feed(L('\xff\xf1PING a\r\n'));
    expect(m.expects.map((e) => e.allow[0])).toEqual(['ERR:UNKNOWN_COMMAND']);
  });

  it('pads an unfinished telnet sequence, then the line', () => {
    for (const [input, pad] of [['PING a\xff\xfa\x18', '"\\xff\\xf0\\n"'], ['\xff\xf1PING a\xff', '"\\xf1\\n"'], ['PING a\xff', '"\\n"'], ['\xff\xf1\xff\xfd', '"\\x01"']]) {
      const m = new WireModel().feed(L(input));
      const pads: Uint8Array[] = [];
      for (let p = m.closingBytes(); p !== null; p = m.closingBytes()) {
        pads.push(p);
        m.feed(p);
      }
      expect(escapeBytes(Buffer.concat(pads))).toBe(pad);
    }
  });

  it('the frame reader undoes the server\'s telnet from its first IAC at a frame start', () => {
    const frames: Frame[] = [];
    const reader = new ServerReader((f) => frames.push(f), true);
    reader.push(L('PONG a\r\nMSG #general @x 1 2026-01-01T00:00:00.000Z 2\r\n\xff\xfd\r\n\xff\xfd\x00PONG b\r\n\xff\xfb\x06MSG #general @x 2 2026-01-01T00:00:00.000Z 1\r\n\xff'));
    reader.push(L('\xff\r\n\xff\xfa'));
    expect(frames.map((f) => [f.line, f.body === undefined ? null : Array.from(f.body), f.bad ?? null])).toEqual([
      ['PONG a', null, null],
      ['MSG #general @x 1 2026-01-01T00:00:00.000Z 2', [0xff, 0xfd], null],
      ['PONG b', null, null],
      // (reported as the chunk it is in is undone, before the body that chunk completes)
      ['IAC fa', null, 'telnet the server may not send'],
      ['MSG #general @x 2 2026-01-01T00:00:00.000Z 1', [0xff], null],
    ]);
    expect(reader.speaksTelnet).toBe(true);
  });
});

describe('the generator', () => {
  it('makes the same case from the same seed and index, and never a QUIT', () => {
    for (let i = 0; i < 300; i++) {
      const a = makeCase(7, i);
      expect(Buffer.compare(Buffer.from(a.bytes), Buffer.from(makeCase(7, i).bytes))).toBe(0);
      expect(new WireModel().feed(a.bytes).feed(a.pad).quit).toBe(false);
    }
  });
});

describe('the fuzzer against the real server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(SERVER_OVERRIDES);
  });
  afterAll(async () => {
    await server.close();
  });

  it('runs 1500 seeded cases over TCP and WebSocket, every one in step', async () => {
    const res = await fuzz({
      server, seed: 20261122, cases: 1500, transports: ['tcp', 'ws'], workers: 2, timeoutMs: 3000,
      deadline: Date.now() + 90_000, maxFailures: 10,
    });
    // On failure this shows each case's escaped input, the model's replies and the server's.
    expect(res.failures.map((f) => `${f.key} (seed 20261122 case ${f.case.index}, ${f.transport})\n${f.detail}`)).toEqual([]);
    expect(res.ran).toBe(1500);
  }, 120_000);

  it('reports a reply the model did not predict, with the input', async () => {
    const wire = await Wire.open('tcp', server, '@fuzzcheck1');
    // The model is told the connection is muted, which it is not: OK <id> <ts> is unforeseen.
    wire.session = { ...freshSession(), muted: true };
    const f = await runCase(wire, caseOf(L('MSG #general 2\r\nhi'), 1)!, 3000);
    wire.destroy();
    expect(f?.key).toBe('MSG announcing a body (2 words) answered OK-MSG');
    expect(f?.detail).toContain('input:  "MSG #general 2\\r\\nhi"');
  });

  it('reports a sentinel swallowed as a body', async () => {
    const wire = await Wire.open('ws', server, '@fuzzcheck2');
    // Without its padding, the body owed eats the sentinel PING: the server never answers it.
    const c = { ...caseOf(L('MSG #general 12\r\n'), 2)!, pad: new Uint8Array(0) };
    const f = await runCase(wire, c, 500);
    wire.destroy();
    expect([f?.key, f?.outcome]).toEqual(['out of step after MSG announcing a body (2 words)', 'hang: the sentinel PING was never answered']);
  });
});
