/**
 * The telnet filter alone, in front of a real SLCK parser: what reaches the parser, what is
 * answered, and that any split of the input (whole, at every boundary, byte by byte) gives
 * the same. The real `telnet` client drives it in gateway/test/telnet-client.test.ts.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { COMMAND_LIMITS, CommandDecoder, Parser, type Command, type ParseResult } from '../../core/index.ts';
import { plain, raw } from '../../core/test-support.ts';
import { escapeIac, TelnetFilter, WILL_TIMING_MARK, type TelnetHost } from './telnet.ts';

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

/** What came out of the filter, in order: parsed commands and what the host was asked to do. */
type Run = { events: unknown[]; data: number[]; spoke: boolean; dataCalls: Uint8Array[] };

/**
 * A filter in front of a real parser, fed `chunks`. Like the TCP port, a line discard resets
 * the parser. Data handed on is also kept as bytes, to check it against the input.
 */
function run(chunks: Uint8Array[]): Run {
  const events: unknown[] = [];
  const data: number[] = [];
  const dataCalls: Uint8Array[] = [];
  const parser = new Parser<Command>(new CommandDecoder(), COMMAND_LIMITS, (r: ParseResult<Command>) => events.push(...plain([r])));
  let spoke = false;
  const host: TelnetHost = {
    data(bytes) {
      dataCalls.push(bytes);
      for (const b of bytes) data.push(b);
      parser.push(bytes);
    },
    bodyAhead: () => parser.bodyAhead,
    spokeTelnet() {
      spoke = true;
      events.push('spoke telnet');
    },
    discardLine() {
      parser.reset();
      events.push('discard line');
    },
    areYouThere: () => events.push('AYT'),
    timingMark: () => events.push('timing mark'),
    reply: (bytes) => events.push(`reply ${hex(bytes)}`),
  };
  const filter = new TelnetFilter(host);
  for (const c of chunks) {
    filter.push(c);
    // The port answers a timing mark on a later turn; here, at once.
    while (filter.waiting) filter.resume();
  }
  expect(filter.hasSpokenTelnet).toBe(spoke);
  return { events, data, spoke, dataCalls };
}

/** Every way the tests cut the input: whole, in two at every boundary, in three, byte by byte. */
function splits(input: Uint8Array): Uint8Array[][] {
  const out: Uint8Array[][] = [[input.slice()]];
  for (let k = 1; k < input.length; k++) out.push([input.slice(0, k), input.slice(k)]);
  for (let k = 1; k + 1 < input.length; k++) out.push([input.slice(0, k), input.slice(k, k + 1), input.slice(k + 1)]);
  out.push(Array.from(input, (b) => Uint8Array.of(b)));
  return out;
}

/** Runs `input` every way it can be cut; they must all agree. Returns the whole-input run. */
function everySplit(input: Uint8Array): Run {
  const whole = run([input.slice()]);
  for (const chunks of splits(input)) {
    const r = run(chunks);
    expect({ events: r.events, data: r.data }, `cut at ${chunks.map((c) => c.length).join('+')}`).toEqual({ events: whole.events, data: whole.data });
  }
  return whole;
}

/** What a SAY decodes to: a MSG marked as said. */
const say = (target: string, text: string) => ({ type: 'MSG', target, said: true, body: Array.from(Buffer.from(text)) });
const msg = (target: string, body: number[]) => ({ type: 'MSG', target, body });
const DO_BINARY = 'reply ff fd 00';

describe('before the peer has spoken telnet', () => {
  it('hands a chunk with no 0xFF on whole, not copied', () => {
    const chunk = raw('PING a\r\nPING b\r\n');
    const r = run([chunk]);
    expect(r.dataCalls).toHaveLength(1);
    expect(r.dataCalls[0]).toBe(chunk);
    expect(r.events).toEqual([{ type: 'PING', token: 'a' }, { type: 'PING', token: 'b' }]);
  });

  it('reads a 0xFF inside a length-counted body as body data, whatever follows it', () => {
    // IAC IP, IAC DO TIMING-MARK, IAC IAC: all of it body, as it always was.
    const body = raw('\xff\xf4\xff\xfd\x06\xff\xff\xff');
    const r = everySplit(new Uint8Array([...raw('MSG #general 8\r\n'), ...body, ...raw('\r\nPING x\r\n')]));
    expect(r.spoke).toBe(false);
    expect(r.events).toEqual([msg('#general', Array.from(body)), { type: 'PING', token: 'x' }]);
  });

  it('reads the body of a refused MSG (skipped, not kept) as body too', () => {
    const r = everySplit(raw('MSG nobody 3\r\n\xff\xf4x\r\nPING x\r\n'));
    expect(r.spoke).toBe(false);
    expect(r.events.map((e) => (e as { error?: string; type?: string }).error ?? (e as { type: string }).type)).toEqual(['BAD_TARGET', 'PING']);
  });

  it('passes a 0xFF not followed by a command byte, and IAC IAC, through unchanged', () => {
    const input = raw('SAY #general a\xffb\xff\xff\xf4c\xff\r\n');
    const r = everySplit(input);
    expect(r.spoke).toBe(false);
    expect(r.data).toEqual(Array.from(input));
  });

  it('starts speaking telnet at the first IAC command outside a body, after a body with 0xFF in it', () => {
    const r = everySplit(raw('MSG #general 2\r\n\xff\xf4\r\n\xff\xf1PING x\r\n'));
    expect(r.events).toEqual([msg('#general', [0xff, 0xf4]), 'spoke telnet', DO_BINARY, { type: 'PING', token: 'x' }]);
  });
});

describe('once the peer speaks telnet', () => {
  it('Ctrl-C (IAC IP IAC DO TIMING-MARK) drops the line being typed and asks for the timing mark', () => {
    const r = everySplit(raw('SAY #general oops\xff\xf4\xff\xfd\x06SAY #general after ctrl-c\r\n'));
    expect(r.events).toEqual(['spoke telnet', DO_BINARY, 'discard line', 'timing mark', say('#general', 'after ctrl-c')]);
  });

  it('hands nothing after a DO TIMING-MARK on until resumed, and keeps what is pushed meanwhile', () => {
    const events: string[] = [];
    const filter = new TelnetFilter({
      data: (b) => events.push(`data ${Buffer.from(b).toString('latin1')}`),
      bodyAhead: () => 0,
      spokeTelnet: () => {},
      discardLine: () => events.push('discard line'),
      areYouThere: () => events.push('AYT'),
      timingMark: () => events.push('timing mark'),
      reply: () => {},
    });
    filter.push(raw('a\xff\xf4\xff\xfd\x06b\xff\xfd\x06c'));
    expect(events).toEqual(['data a', 'discard line', 'timing mark']);
    expect(filter.waiting).toBe(true);
    filter.push(raw('d\xff\xf6'));
    expect(events).toHaveLength(3);
    filter.resume();
    expect(events).toEqual(['data a', 'discard line', 'timing mark', 'data b', 'timing mark']);
    filter.resume();
    expect(events.slice(5)).toEqual(['data cd', 'AYT']);
    // AYT holds too: its PONG goes before the answers to what follows.
    expect(filter.waiting).toBe(true);
    filter.resume();
    expect(filter.waiting).toBe(false);
  });

  it('AO, EL and BRK drop the line too; AYT is passed on; EC, NOP, GA, DM, SE and non-commands are dropped', () => {
    const r = everySplit(raw('\xff\xf1PING a\xff\xf5PING b\xff\xf8PING c\xff\xf3\xff\xf6PING\xff\xf7\xff\xf9\xff\xf2\xff\xf0\xff\x41 d\r\n'));
    expect(r.events).toEqual(['spoke telnet', DO_BINARY, 'discard line', 'discard line', 'discard line', 'AYT', { type: 'PING', token: 'd' }]);
  });

  it('turns IAC IAC into one 0xFF, and counts a body after the IAC sequences are removed', () => {
    const r = everySplit(raw('\xff\xf1MSG #general 4\r\na\xff\xffb\xff\xf1\xff\xfb\x18c\r\nSAY #general \xff\xff\r\n'));
    expect(r.events).toEqual([
      'spoke telnet', DO_BINARY,
      'reply ff fe 18', // the WILL inside the body is answered before the body is complete
      msg('#general', [0x61, 0xff, 0x62, 0x63]),
      { type: 'MSG', target: '#general', said: true, body: [0xff] },
    ]);
  });

  it('Ctrl-C in the middle of a body drops the body; what follows is read as commands', () => {
    const r = everySplit(raw('\xff\xf1MSG #general 50\r\nhalf a mess\xff\xf4\xff\xfd\x06PING x\r\n'));
    expect(r.events).toEqual(['spoke telnet', DO_BINARY, 'discard line', 'timing mark', { type: 'PING', token: 'x' }]);
  });

  it('refuses every option but TIMING-MARK, and never answers a refusal', () => {
    const r = everySplit(raw('\xff\xfd\x01\xff\xfb\x1f\xff\xfe\x03\xff\xfc\x18\xff\xfd\x06\xff\xfd\x00PING\r\n'));
    expect(r.events).toEqual([
      'spoke telnet', DO_BINARY,
      'reply ff fc 01', // DO ECHO: WONT ECHO
      'reply ff fe 1f', // WILL NAWS: DONT NAWS
      // DONT SGA, WONT TTYPE: nothing
      'timing mark',
      'reply ff fc 00', // DO BINARY (the server sending binary): WONT, the terminal keeps its line ends
      { type: 'PING' },
    ]);
  });

  it('puts back a UTF-8 byte a client not yet in BINARY sent as a key: ✓ typed first arrives whole', () => {
    // inetutils/netkit telnet strips the 8th bit looking for its keys: the 0x9C of ✓ (E2 9C 93)
    // is Ctrl-\\ (IAC BRK, then IAC DO TIMING-MARK), the 0x83 of ă (C4 83) Ctrl-C (IAC IP).
    const r = everySplit(raw('SAY #general tick \xe2\xff\xf3\xff\xfd\x06\x93 done \xc4\xff\xf4\r\n'));
    expect(r.events).toEqual(['spoke telnet', DO_BINARY, 'timing mark', { type: 'MSG', target: '#general', body: Array.from(Buffer.from('tick ✓ done ă')), said: true }]);
  });

  it('reads IAC BRK and IAC IP between characters, or once BINARY is agreed, as the keys they are', () => {
    const between = everySplit(raw('SAY #general ok \xe2\x9c\x93\xff\xf3PING\r\n'));
    expect(between.events).toEqual(['spoke telnet', DO_BINARY, 'discard line', { type: 'PING' }]);
    // WILL BINARY agreed: the client sends 8-bit bytes as they are, so a BRK is Ctrl-\\ itself.
    const binary = everySplit(raw('\xff\xfb\x00SAY #general \xe2\xff\xf3PING\r\n'));
    expect(binary.events).toEqual(['spoke telnet', DO_BINARY, 'discard line', { type: 'PING' }]);
  });

  it('asks once for BINARY from the peer; its WILL needs no answer, its WONT after a WILL gets DONT', () => {
    const r = everySplit(raw('\xff\xfb\x00\xff\xfb\x00\xff\xfc\x00\xff\xfc\x00\xff\xfb\x00PING\r\n'));
    expect(r.events).toEqual([
      'spoke telnet', DO_BINARY,
      // WILL BINARY: the answer to our DO; again: nothing.
      'reply ff fe 00', // WONT BINARY while on: DONT, to confirm
      // WONT again: nothing
      DO_BINARY, // WILL BINARY offered while off: accepted
      { type: 'PING' },
    ]);
  });

  it('skips subnegotiation, 0xFF and all, up to IAC SE; an IAC command inside it ends it', () => {
    const r = everySplit(raw('\xff\xfa\x18\x00xterm\xff\xff\xff\xf0PING a\r\n\xff\xfa\x1f\x00\x50\xff\xf4PING b\r\n'));
    expect(r.events).toEqual(['spoke telnet', DO_BINARY, { type: 'PING', token: 'a' }, 'discard line', { type: 'PING', token: 'b' }]);
  });

  it('hands on views of the chunk, and a chunk with no 0xFF whole', () => {
    const first = raw('\xff\xf1PING a\r\n');
    const second = raw('PING b\r\n');
    const r = run([first, second]);
    expect(r.dataCalls).toHaveLength(2);
    expect(r.dataCalls[0].buffer).toBe(first.buffer);
    expect(r.dataCalls[1]).toBe(second);
  });
});

describe('escapeIac', () => {
  it('returns the same bytes when there is no 0xFF, and doubles each 0xFF otherwise', () => {
    const plainBytes = raw('MSG #general @a 1 2026-01-01T00:00:00.000Z 2\r\nhi\r\n');
    expect(escapeIac(plainBytes)).toBe(plainBytes);
    expect(Array.from(escapeIac(raw('\xff')))).toEqual([0xff, 0xff]);
    expect(Array.from(escapeIac(raw('a\xff\xffb\xff')))).toEqual(Array.from(raw('a\xff\xff\xff\xffb\xff\xff')));
    expect(Array.from(escapeIac(new Uint8Array(0)))).toEqual([]);
  });
});

// ------------------------------------------------------------------ properties

/** A telnet sequence that leaves the data alone, and the replies it must get. */
const quietSequence = fc.oneof(
  fc.constantFrom(0xf1, 0xf9, 0xf2, 0xf7, 0xf0).map((c) => ({ bytes: [0xff, c], replies: [] as string[] })),
  fc.integer({ min: 1, max: 255 }).filter((o) => o !== 6).map((o) => ({ bytes: [0xff, 0xfd, o], replies: [`reply ff fc ${o.toString(16).padStart(2, '0')}`] })),
  fc.integer({ min: 1, max: 255 }).map((o) => ({ bytes: [0xff, 0xfb, o], replies: [`reply ff fe ${o.toString(16).padStart(2, '0')}`] })),
  fc.integer({ min: 0, max: 255 }).map((o) => ({ bytes: [0xff, 0xfe, o], replies: [] })),
  fc.integer({ min: 0, max: 255 }).map((o) => ({ bytes: [0xff, 0xfc, o], replies: [] })),
  fc.constant({ bytes: [0xff, 0xfd, 0x06], replies: ['timing mark'] }),
  fc.uint8Array({ maxLength: 12 }).map((sub) => ({
    bytes: [0xff, 0xfa, ...Array.from(sub).flatMap((b) => (b === 0xff ? [0xff, 0xff] : [b])), 0xff, 0xf0],
    replies: [],
  })),
);

/** Cut points for a stream of `n` bytes. */
const cuts = (n: number) => fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, n - 1) }), { maxLength: 8 }).map((a) => a.filter((x) => x < n).sort((x, y) => x - y));

function cut(input: Uint8Array, at: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let from = 0;
  for (const k of [...at, input.length]) {
    out.push(input.slice(from, k));
    from = k;
  }
  return out;
}

describe('properties', () => {
  it('data with telnet sequences among it comes out as the data, however it is cut', () => {
    const piece = fc.tuple(fc.uint8Array({ maxLength: 20 }), quietSequence);
    const streams = fc.array(piece, { minLength: 1, maxLength: 12 }).map((pieces) => {
      const stream: number[] = [0xff, 0xf1];
      const data: number[] = [];
      const replies: string[] = [DO_BINARY];
      for (const [d, seq] of pieces) {
        for (const b of d) stream.push(...(b === 0xff ? [0xff, 0xff] : [b]));
        data.push(...d);
        stream.push(...seq.bytes);
        replies.push(...seq.replies);
      }
      return { input: Uint8Array.from(stream), data, replies };
    });
    fc.assert(
      fc.property(streams.chain((s) => fc.tuple(fc.constant(s), cuts(s.input.length))), ([{ input, data, replies }, at]) => {
        // No parser here: only the bytes handed on and the answers matter.
        const got: number[] = [];
        const events: string[] = [];
        const filter = new TelnetFilter({
          data: (b) => got.push(...b),
          bodyAhead: () => 0,
          spokeTelnet: () => {},
          discardLine: () => events.push('discard line'),
          areYouThere: () => events.push('AYT'),
          timingMark: () => events.push('timing mark'),
          reply: (b) => events.push(`reply ${hex(b)}`),
        });
        for (const c of cut(input, at)) {
          filter.push(c);
          while (filter.waiting) filter.resume();
        }
        expect(got).toEqual(data);
        expect(events).toEqual(replies);
      }),
      { numRuns: 1000 },
    );
  });

  it('a program that never sends an IAC command is read exactly as without the filter', () => {
    // Lines of any bytes but LF (a 0xFF among them never followed by a command byte), and
    // MSGs whose bodies are any bytes at all, IAC commands included.
    const lineByte = fc.integer({ min: 0, max: 255 }).filter((b) => b !== 10);
    const line = fc.array(lineByte, { maxLength: 30 }).map((l) => {
      const out: number[] = [];
      for (let i = 0; i < l.length; i++) {
        out.push(l[i]);
        if (l[i] === 0xff && i + 1 < l.length && l[i + 1] >= 0xf0 && l[i + 1] !== 0xff) out.push(0x41);
      }
      return [...out, 10];
    });
    const body = fc.array(fc.oneof(fc.constantFrom(0xff, 0xf4, 0xfd, 0x06, 0xfa, 0xf0), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 40 });
    const frame = fc.oneof(line, body.map((b) => [...Buffer.from(`MSG #general ${b.length}\r\n`), ...b]));
    const inputs = fc.array(frame, { maxLength: 10 }).map((frames) => Uint8Array.from(frames.flat()));
    fc.assert(
      fc.property(inputs.chain((input) => fc.tuple(fc.constant(input), cuts(input.length))), ([input, at]) => {
        const direct: unknown[] = [];
        const parser = new Parser<Command>(new CommandDecoder(), COMMAND_LIMITS, (r) => direct.push(...plain([r])));
        parser.push(input);
        const r = run(cut(input, at));
        expect(r.spoke).toBe(false);
        expect(r.events).toEqual(direct);
        expect(r.data).toEqual(Array.from(input));
      }),
      { numRuns: 1000 },
    );
  });

  it('answers DO TIMING-MARK with WILL TIMING-MARK (the bytes the host writes)', () => {
    expect(hex(WILL_TIMING_MARK)).toBe('ff fb 06');
  });
});
