/**
 * The rendering for people (spec section 10) of issue 17's frames: threads, edits, deletes,
 * reactions, typing and the state lines. Same heads as the program's, bodies indented as a
 * MSG's, a direct conversation worded `DM from` / `DM to` as a MSG is, and the head's last
 * word of a frame with a body is always the rendered body's length.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BODY_INDENT, encodePersonFrame } from './render-person.ts';
import { encodeFrameFor } from './kinds.ts';
import { encodeServerFrame } from './encode.ts';
import type { ServerFrame } from './frames.ts';
import { fromUtf8, utf8 } from './bytes.ts';

const TS = '2026-12-07T14:50:00.000Z';
const person = (frame: ServerFrame, reader?: string) => fromUtf8(encodePersonFrame(frame, reader));
const at = { id: 45, ts: TS };

describe('issue 17 frames rendered for a person, in a channel', () => {
  it('a reply: the program\'s head, its body indented', () => {
    expect(person({ type: 'REPLY', target: '#dev', from: '@bob', ...at, root: 41, also: false, body: utf8('on it\nnow') }))
      .toBe(`REPLY #dev @bob 45 ${TS} 41 22\r\n  │ on it\r\n  │ now\r\n`);
  });
  it('a reply also sent to the channel: ALSO before the length, which stays the last word', () => {
    expect(person({ type: 'REPLY', target: '#dev', from: '@bob', ...at, root: 41, also: true, body: utf8('done') }))
      .toBe(`REPLY #dev @bob 45 ${TS} 41 ALSO 10\r\n  │ done\r\n`);
  });
  it('an edit, and the forged line and escape in it stay inside it', () => {
    expect(person({ type: 'EDIT', target: '#dev', from: '@bob', ...at, of: 41, body: utf8('ok\r\nMSG #dev @alice 9 x 2\x1b[2J') }))
      .toBe(`EDIT #dev @bob 45 ${TS} 41 43\r\n  │ ok\r\n  │ MSG #dev @alice 9 x 2␛[2J\r\n`);
  });
  it('an edit of a since-deleted message: an empty body is one empty indented line', () => {
    expect(person({ type: 'EDIT', target: '#dev', from: '@bob', ...at, of: 41, body: new Uint8Array(0) }))
      .toBe(`EDIT #dev @bob 45 ${TS} 41 6\r\n  │ \r\n`);
  });
  it('frames without text are the program\'s line', () => {
    const frames: ServerFrame[] = [
      { type: 'DELETE', target: '#dev', from: '@bob', ...at, of: 41 },
      { type: 'REACT', target: '#dev', from: '@bob', ...at, of: 41, reaction: '👍' },
      { type: 'UNREACT', target: '#dev', from: '@bob', ...at, of: 41, reaction: '❤️' },
      { type: 'TYPING', target: '#dev', from: '@bob' },
      { type: 'EDITED', target: '#dev', id: 41, ts: TS },
      { type: 'DELETED', target: '#dev', id: 42 },
      { type: 'REACTION', target: '#dev', id: 41, reaction: '👍', by: ['@kim', '@bob'] },
      { type: 'REPLIES', target: '#dev', id: 41, count: 2, lastId: 46, lastTs: TS, by: ['@bob'] },
      { type: 'FOLLOWING', target: '#dev', root: 41, replies: 2, unread: 1, mentions: 0, lastId: 46, lastTs: TS },
      { type: 'END', of: 'THREAD', count: 3 },
    ];
    for (const f of frames) expect(person(f)).toBe(fromUtf8(encodeServerFrame(f)));
  });
  it('a reaction that is not an emoji (never valid, but a server might send one) cannot act on the terminal', () => {
    expect(person({ type: 'REACT', target: '#dev', from: '@bob', ...at, of: 41, reaction: '\x1b]0;pwned\x07\u202e' }))
      .toBe(`REACT #dev @bob 45 ${TS} 41 ␛]0;pwned␇⟪RLO⟫\r\n`);
    expect(person({ type: 'REACTION', target: '#dev', id: 41, reaction: '\x9b2J', by: ['@bob'] }))
      .toBe('REACTION #dev 41 ⟪U+009B⟫2J @bob\r\n');
  });
});

describe('issue 17 frames rendered for a person, in a direct conversation', () => {
  const dm = { target: '@tess', from: '@carol', ...at };
  it('to the other party: DM from the actor', () => {
    expect(person({ type: 'REPLY', ...dm, root: 14, also: false, body: utf8('sure') }, '@tess')).toBe(`REPLY DM from @carol 45 ${TS} 14 10\r\n  │ sure\r\n`);
    expect(person({ type: 'EDIT', ...dm, of: 14, body: utf8('lunch!') }, '@tess')).toBe(`EDIT DM from @carol 45 ${TS} 14 12\r\n  │ lunch!\r\n`);
    expect(person({ type: 'DELETE', ...dm, of: 14 }, '@tess')).toBe(`DELETE DM from @carol 45 ${TS} 14\r\n`);
    expect(person({ type: 'REACT', ...dm, of: 14, reaction: '👍' }, '@tess')).toBe(`REACT DM from @carol 45 ${TS} 14 👍\r\n`);
    expect(person({ type: 'UNREACT', ...dm, of: 14, reaction: '👍' })).toBe(`UNREACT DM from @carol 45 ${TS} 14 👍\r\n`);
    expect(person({ type: 'TYPING', target: '@tess', from: '@carol' }, '@tess')).toBe('TYPING DM from @carol\r\n');
  });
  it('to the actor\'s other connections: DM to the other party (names compared without case)', () => {
    expect(person({ type: 'EDIT', ...dm, of: 14, body: utf8('lunch!') }, '@CAROL')).toBe(`EDIT DM to @tess 45 ${TS} 14 12\r\n  │ lunch!\r\n`);
    expect(person({ type: 'DELETE', ...dm, of: 14 }, '@carol')).toBe(`DELETE DM to @tess 45 ${TS} 14\r\n`);
  });
  it('a program still gets the wire', () => {
    const f: ServerFrame = { type: 'DELETE', ...dm, of: 14 };
    expect(fromUtf8(encodeFrameFor('program', f, '@tess'))).toBe(`DELETE @tess @carol 45 ${TS} 14\r\n`);
  });
});

describe('properties: a reply or an edit of any bytes, for a person', () => {
  const anyBytes = fc.uint8Array({ maxLength: 200 });
  it('the head\'s last word is the body\'s length, and no body line can pass for a server line', () => {
    fc.assert(
      fc.property(anyBytes, fc.boolean(), fc.boolean(), (body, isReply, also) => {
        const f: ServerFrame = isReply
          ? { type: 'REPLY', target: '#dev', from: '@bob', ...at, root: 41, also, body }
          : { type: 'EDIT', target: '@tess', from: '@bob', ...at, of: 41, body };
        const out = encodePersonFrame(f, '@tess');
        const text = fromUtf8(out);
        const headEnd = text.indexOf('\r\n');
        const len = Number(text.slice(0, headEnd).split(' ').pop());
        const head = utf8(text.slice(0, headEnd + 2)).length;
        expect(out.length).toBe(head + len + 2);
        for (const line of text.slice(headEnd + 2, -2).split('\r\n')) expect(line.startsWith(BODY_INDENT)).toBe(true);
      }),
    );
  });
});
