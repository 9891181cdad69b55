/**
 * docs/PROTOCOL.md section 10's examples as fixtures: in a block of `P:` (what a program is
 * sent) and `T:` lines (what a person is sent for the same frame; `T @carol:` as @carol
 * reads it), each `P:` frame parses as a server frame and re-encodes to its bytes, and the
 * person rendering of that frame gives the `T:` bytes that follow it exactly. A frame's body
 * lines follow its head on the same side, up to the length the head announces.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeServerFrame } from './encode.ts';
import { encodePersonFrame } from './render-person.ts';
import { ProtocolError } from './errors.ts';
import { concat, utf8 } from './bytes.ts';
import { parseServerFrames } from './test-support.ts';

const spec = readFileSync(new URL('../docs/PROTOCOL.md', import.meta.url), 'utf8').split('\n');

/** Spellings of characters and bytes a transcript cannot show. */
const SPELLED: Record<string, Uint8Array> = {
  '<ESC>': utf8('\x1b'), '<BEL>': utf8('\x07'), '<RLO>': utf8('\u202e'), '<0xFF>': Uint8Array.of(0xff),
};
function bytesOf(text: string): Uint8Array {
  return concat(text.split(/(<ESC>|<BEL>|<RLO>|<0xFF>)/).map((part) => SPELLED[part] ?? utf8(part)));
}

const LINE = /^(P|T)(?: (@\S+))?: (.*)$/;
/** A head that announces a body: its last word is the length (a program's REPLY: before ALSO). */
const ANNOUNCES = /^(?:MSG|DM|REPLY|EDIT|FOUND) .* (\d+)(?: ALSO)?$/;

type Frame = { side: 'P' | 'T'; reader?: string; bytes: Uint8Array; at: number; text: string };

function blocks(): Frame[][] {
  const out: Frame[][] = [];
  for (let i = 0; i < spec.length; i++) {
    if (!spec[i].startsWith('```')) continue;
    let end = i + 1;
    while (end < spec.length && !spec[end].startsWith('```')) end++;
    const lines = spec.slice(i + 1, end);
    const at = i + 2;
    i = end;
    if (!lines.some((l) => /^P: /.test(l))) continue;
    const frames: Frame[] = [];
    for (let k = 0; k < lines.length; k++) {
      const m = LINE.exec(lines[k]);
      if (m === null) throw new Error(`PROTOCOL.md:${at + k}: not a P: or T: line: ${lines[k]}`);
      const [, side, reader, head] = m;
      const parts = [bytesOf(head)];
      const len = ANNOUNCES.exec(head);
      if (len !== null) {
        // Length 0 (a deleted message's empty body, as a program gets it): no body lines, then its line end.
        if (len[1] === '0') parts.push(utf8('\r\n'));
        let got = len[1] === '0' ? 0 : -2;
        while (got < Number(len[1]) && k + 1 < lines.length) {
          const next = LINE.exec(lines[k + 1]);
          if (next === null || next[1] !== side || next[2] !== reader) break;
          const b = bytesOf(next[3]);
          parts.push(utf8('\r\n'), b);
          got += 2 + b.length;
          k++;
        }
        if (got !== Number(len[1])) throw new Error(`PROTOCOL.md:${at + k}: body is ${got} bytes, the head announces ${len[1]}: ${head}`);
      }
      parts.push(utf8('\r\n'));
      frames.push({ side: side as 'P' | 'T', reader, bytes: concat(parts), at: at + k, text: head });
    }
    out.push(frames);
  }
  return out;
}

const found = blocks();

describe('PROTOCOL.md section 10 examples', () => {
  it('finds them', () => {
    expect(found.length).toBeGreaterThanOrEqual(1);
    expect(found.flat().filter((f) => f.side === 'T').length).toBeGreaterThanOrEqual(5);
  });
  for (const frames of found) {
    let program: Frame | null = null;
    for (const f of frames) {
      if (f.side === 'P') {
        program = f;
        it(`line ${f.at}: ${f.text} is a program's frame`, () => {
          const parsed = parseServerFrames(f.bytes);
          expect(parsed).toHaveLength(1);
          expect(parsed[0]).not.toBeInstanceOf(ProtocolError);
          expect(encodeServerFrame(parsed[0] as never)).toEqual(f.bytes);
        });
        continue;
      }
      const source = program;
      it(`line ${f.at}: ${f.text} is its rendering for ${f.reader ?? 'a person'}`, () => {
        expect(source).not.toBeNull();
        const [frame] = parseServerFrames(source!.bytes);
        expect(new TextDecoder().decode(encodePersonFrame(frame as never, f.reader))).toBe(new TextDecoder().decode(f.bytes));
      });
    }
  }
});
