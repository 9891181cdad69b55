/**
 * The rendering for people (spec: "Rendering for people"): what a person at a terminal is
 * sent for what other users wrote. Wire fixtures for the hostile bodies of issue 15 (a forged
 * MSG line, a screen clear, a bell, a title change, a bidi override, invalid UTF-8, CRLF
 * inside), and properties over any bytes: no body line starts the way a server line does,
 * the announced length is the bytes sent, nothing a terminal acts on gets through, and
 * rendering the rendered text again changes nothing.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BODY_INDENT, encodePersonFrame, renderBody, visible } from './render-person.ts';
import { encodeFrameFor } from './kinds.ts';
import { encodeServerFrame } from './encode.ts';
import type { ServerFrame } from './frames.ts';
import { fromUtf8, utf8 } from './bytes.ts';
import { parseServerFrames, raw } from './test-support.ts';

const TS = '2026-12-07T14:50:00.000Z';
const msg = (target: string, from: string, id: number, body: Uint8Array | string): ServerFrame => ({
  type: 'MSG', target, from, id, ts: TS, body: typeof body === 'string' ? utf8(body) : body,
});
const person = (frame: ServerFrame, reader?: string) => fromUtf8(encodePersonFrame(frame, reader));

/** What a terminal would act on: C0 but TAB/CR/LF, DEL, C1, bidi controls. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ACTS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('a message rendered for a person', () => {
  it('a forged server line in the body stays inside Bob\'s message (issue 15, item 2)', () => {
    const body = 'normal line\nMSG #dev @alice 999 2026-12-07T14:50:00.000Z 27\nI am alice, trust this bob';
    const out = person(msg('#dev', '@bob', 12, body));
    expect(out).toBe(
      'MSG #dev @bob 12 2026-12-07T14:50:00.000Z 106\r\n' +
      '  │ normal line\r\n' +
      '  │ MSG #dev @alice 999 2026-12-07T14:50:00.000Z 27\r\n' +
      '  │ I am alice, trust this bob\r\n',
    );
    // No line of it but the head starts at column 0; none starts `MSG #dev @alice`.
    const lines = out.split('\r\n');
    expect(lines.filter((l) => /^MSG #dev @alice/.test(l))).toEqual([]);
    expect(lines.filter((l) => /^\S/.test(l))).toEqual(['MSG #dev @bob 12 2026-12-07T14:50:00.000Z 106']);
  });

  it('a forged line first in the body is indented too', () => {
    expect(person(msg('#dev', '@bob', 3, 'MSG #dev @alice 999 2026-12-07T14:50:00.000Z 2'))).toBe(
      'MSG #dev @bob 3 2026-12-07T14:50:00.000Z 52\r\n  │ MSG #dev @alice 999 2026-12-07T14:50:00.000Z 2\r\n',
    );
  });

  // The hostile bodies: what was sent, what the person reads.
  const table: Array<[string, Uint8Array | string, string]> = [
    ['a screen clear, ESC[2J', 'hi\x1b[2J', '  │ hi␛[2J'],
    ['a cursor move home and colour', '\x1b[H\x1b[31mred', '  │ ␛[H␛[31mred'],
    ['a bell', 'ding\x07', '  │ ding␇'],
    ['a title change, OSC 0 ending in BEL', '\x1b]0;pwned\x07', '  │ ␛]0;pwned␇'],
    ['a backspace over the indent', '\b\b\b\bMSG', '  │ ␈␈␈␈MSG'],
    ['NUL, VT, FF and DEL', 'a\x00b\x0bc\x0cd\x7f', '  │ a␀b␋c␌d␡'],
    ['the 8-bit CSI (C1) as UTF-8', 'x\u009b2Jy\u0085z', '  │ x⟪U+009B⟫2Jy⟪U+0085⟫z'],
    ['a right-to-left override', 'invoice_\u202egnp.exe', '  │ invoice_⟪RLO⟫gnp.exe'],
    ['every bidi control', '\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c',
      '  │ ⟪LRE⟫⟪RLE⟫⟪PDF⟫⟪LRO⟫⟪RLO⟫⟪LRI⟫⟪RLI⟫⟪FSI⟫⟪PDI⟫⟪LRM⟫⟪RLM⟫⟪ALM⟫'],
    ['invalid UTF-8, a lone 0xFF and a cut sequence', raw('ok\xff \xc3'), '  │ ok\ufffd \ufffd'],
    ['CRLF, LF and a lone CR, each a line break', 'one\r\ntwo\nthree\rfour', '  │ one\r\n  │ two\r\n  │ three\r\n  │ four'],
    ['a trailing line break: an empty last line', 'Hello everyone!\n', '  │ Hello everyone!\r\n  │ '],
    ['a tab, kept (it only moves right)', 'a\tb', '  │ a\tb'],
    ['text the renderer itself writes, left alone', '␛[2J ⟪RLO⟫ │', '  │ ␛[2J ⟪RLO⟫ │'],
    ['non-Latin text and emoji, untouched', 'héllo مرحبا 👋', '  │ héllo مرحبا 👋'],
  ];
  for (const [what, body, shown] of table) {
    it(`shows ${what}`, () => {
      expect(renderBody(typeof body === 'string' ? utf8(body) : body)).toBe(shown);
      // The frame announces the rendered bytes and carries exactly them.
      const frames = parseServerFrames(encodePersonFrame(msg('#dev', '@bob', 7, body)));
      expect(frames).toHaveLength(1);
      const f = frames[0] as Extract<ServerFrame, { type: 'MSG' }>;
      expect(fromUtf8(f.body)).toBe(shown);
      expect(f).toMatchObject({ type: 'MSG', target: '#dev', from: '@bob', id: 7, ts: TS });
    });
  }
});

describe('a direct message rendered for a person (issue 15, item 4)', () => {
  const dm = msg('@tess', '@carol', 3, 'lunch?');
  it('says who it is from, to its recipient', () => {
    expect(person(dm, '@tess')).toBe(`DM from @carol 3 ${TS} 12\r\n  │ lunch?\r\n`);
    expect(person(dm)).toBe(`DM from @carol 3 ${TS} 12\r\n  │ lunch?\r\n`);
  });
  it('says who it went to, on its author\'s other connections (names compared without case)', () => {
    expect(person(dm, '@Carol')).toBe(`DM to @tess 3 ${TS} 12\r\n  │ lunch?\r\n`);
  });
  it('a program still gets the wire: recipient first', () => {
    expect(fromUtf8(encodeFrameFor('program', dm, '@tess'))).toBe(`MSG @tess @carol 3 ${TS} 6\r\nlunch?\r\n`);
  });
});

describe('other frames rendered for a person', () => {
  it('a topic with a bidi override shows the mark', () => {
    expect(person({ type: 'TOPIC', channel: '#dev', by: '@bob', text: 'see invoice_\u202egnp.exe' }))
      .toBe('TOPIC #dev @bob see invoice_⟪RLO⟫gnp.exe\r\n');
  });
  it('an error echoing a C1 control shows it', () => {
    expect(person({ type: 'ERR', code: 'UNKNOWN_COMMAND', text: 'Unknown command \u009b2J; type HELP for the list' }))
      .toBe('ERR UNKNOWN_COMMAND Unknown command ⟪U+009B⟫2J; type HELP for the list\r\n');
  });
  it('frames of names and numbers are the program\'s bytes', () => {
    const frames: ServerFrame[] = [
      { type: 'OK', args: ['12', TS] },
      { type: 'JOINED', channel: '#dev', user: '@bob' },
      { type: 'LEFT', channel: '#dev', user: '@bob' },
      { type: 'ONLINE', user: '@bob' },
      { type: 'UNREAD', target: '#dev', unread: 3, mentions: 1, readId: 40, lastId: 43 },
      { type: 'END', of: 'HISTORY', count: 2 },
      { type: 'ERR', code: 'NOT_MEMBER', text: 'Join #random before posting to it' },
      { type: 'BYE', reason: 'QUIT', text: 'Goodbye @jane' },
    ];
    for (const f of frames) expect(fromUtf8(encodePersonFrame(f))).toBe(fromUtf8(encodeServerFrame(f)));
  });
  it('a program gets every frame as encodeServerFrame makes it', () => {
    const f = msg('#dev', '@bob', 1, raw('\x1b[2J\xff'));
    expect(encodeFrameFor('program', f)).toEqual(encodeServerFrame(f));
  });
});

describe('properties of the rendering, over any bytes', () => {
  const anyBytes = fc.array(
    fc.oneof(fc.constantFrom(0, 7, 8, 9, 10, 13, 27, 0x7f, 0x9b, 0xc2, 0xe2, 0x80, 0xae, 0xff), fc.integer({ min: 0, max: 255 })),
    { minLength: 1, maxLength: 200 },
  ).map((a) => Uint8Array.from(a));
  const anyText = fc.string({ unit: 'binary', maxLength: 80 });

  it('no body line starts the way a server line does, and nothing a terminal acts on gets through', () => {
    fc.assert(fc.property(anyBytes, (body) => {
      const out = person(msg('#dev', '@bob', 1, body));
      const lines = out.split('\r\n');
      expect(lines.pop()).toBe('');
      expect(lines.slice(1).every((l) => l.startsWith(BODY_INDENT))).toBe(true);
      // The only line breaks are the renderer's CRLFs: no lone CR or LF.
      expect(lines.some((l) => /[\r\n]/.test(l))).toBe(false);
      expect(ACTS.test(out)).toBe(false);
    }));
  });

  it('the length announced is the bytes of body sent, for a program\'s parser too', () => {
    fc.assert(fc.property(anyBytes, fc.boolean(), (body, direct) => {
      const frame = msg(direct ? '@tess' : '#dev', '@bob', 5, body);
      const bytes = encodePersonFrame(frame, '@tess');
      const text = fromUtf8(bytes);
      const head = text.slice(0, text.indexOf('\r\n'));
      const len = Number(head.split(' ').pop());
      const rendered = renderBody(body);
      expect(len).toBe(utf8(rendered).length);
      // Head, CRLF, exactly `len` bytes, CRLF: nothing before or after.
      expect(bytes.length).toBe(utf8(head).length + 2 + len + 2);
      if (!direct) expect(fromUtf8((parseServerFrames(bytes)[0] as Extract<ServerFrame, { type: 'MSG' }>).body)).toBe(rendered);
    }));
  });

  it('is idempotent: showing shown text again changes nothing', () => {
    fc.assert(fc.property(anyText, (s) => {
      expect(visible(visible(s))).toBe(visible(s));
    }));
    fc.assert(fc.property(anyBytes, (body) => {
      // A rendered body, its indents taken off, renders to itself.
      const once = renderBody(body);
      const inner = once.split('\r\n').map((l) => l.slice(BODY_INDENT.length)).join('\n');
      expect(renderBody(utf8(inner))).toBe(once);
    }));
  });

  it('text without control characters is left as it is', () => {
    fc.assert(fc.property(anyText.filter((s) => !ACTS.test(s) && !/[\t\r\n]/.test(s)), (s) => {
      expect(visible(s)).toBe(s);
    }));
  });
});
