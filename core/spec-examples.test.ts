/**
 * docs/PROTOCOL.md's transcripts as fixtures. Every code block of `C:` (client sends) and
 * `S:` (server sends) lines is read from the spec itself, so an example that drifts from the
 * code fails here:
 * - a `C:` line (with its body) parses into a command, or into exactly the error that the
 *   next `S: ERR <CODE> <sentence>` line shows;
 * - an `S:` line (with its body) parses as a server frame, and encoding that frame gives back
 *   the spec's bytes exactly.
 * A `MSG`, `REPLY` or `EDIT` line's body is on the following line(s) of the same side,
 * re-joined with CRLF (a server frame of length 0 has none: an empty body and its line end).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeServerFrame } from './encode.ts';
import { ErrorCode, ProtocolError } from './errors.ts';
import { fromUtf8 } from './bytes.ts';
import { parseCommands, parseServerFrames, utf8 } from './test-support.ts';

const SPEC_PATH = new URL('../docs/PROTOCOL.md', import.meta.url);
const spec = readFileSync(SPEC_PATH, 'utf8').split('\n');

/**
 * The whole skip/translation list. Everything else in a transcript must be a `C:` or `S:`
 * line. (`\r\n` typed inside a `C:` line is NOT translated: it is the seed's one-line MSG
 * form, four literal characters, exactly what the parser must accept.)
 */
/** Narration, not bytes: "(the server closes the connection)", "(the next 70,000 bytes are dropped)", "(19 more FOUND frames, …)". */
const NARRATION = /^\(.*\)$/;
/** Placeholders standing for lines the spec does not spell out. */
const PLACEHOLDERS = new Set([
  'S: INFO ...', // the rest of HELP's lines (END HELP 23 counts them all)
]);
/** Spellings of bytes a transcript cannot show. */
const translate = (s: string): string => s.replaceAll('<ESC>', '\x1b'); // PING's control-character example

/** Codes only the parser/decoder raises (errors.ts): a command that parses cannot get one. */
const PARSER_CODES = new Set<string>([
  ErrorCode.LINE_TOO_LONG,
  ErrorCode.BAD_LENGTH,
  ErrorCode.BODY_TOO_LARGE,
  ErrorCode.UNKNOWN_COMMAND,
  ErrorCode.BAD_SYNTAX,
  ErrorCode.BAD_HANDLE,
  ErrorCode.BAD_CHANNEL,
  ErrorCode.BAD_TARGET,
  ErrorCode.BAD_PASSWORD,
  ErrorCode.BAD_REACTION,
]);

type Side = 'C' | 'S';
/** One frame of a transcript: its head line, any body lines, and where it sits in the spec. */
type Item = { side: Side; lines: string[]; at: number; emptyBody?: true };
type Block = { at: number; items: Item[] };

/**
 * `MSG <target> <len>`, `REPLY <target> <root> <len> [ALSO]`, `EDIT <target> <id> <len>`
 * (client) and `MSG <target> <from> <id> <ts> <len>`, `REPLY … <root> <len> [ALSO]`,
 * `EDIT … <of> <len>`, `FOUND … <ts> <len>` (server) announce a body.
 */
const BODY_LENGTH: Record<Side, RegExp> = {
  // Spec section 7: a MSG, REPLY or EDIT line whose last word (REPLY's: before ALSO) is a length announces a body.
  C: /^\/?(?:msg|edit|reply)[ \t](?:.*[ \t])?(\d+)(?:[ \t]+also)?$/i,
  S: /^(?:MSG \S+ \S+ \d+ \S+|REPLY \S+ \S+ \d+ \S+ \d+|EDIT \S+ \S+ \d+ \S+ \d+|FOUND \S+ \S+ \d+ \S+) (\d+)(?: ALSO)?$/,
};

let transcriptLines = 0;
let skipped = 0;

function extract(): Block[] {
  const blocks: Block[] = [];
  for (let i = 0; i < spec.length; i++) {
    if (!spec[i].startsWith('```')) continue;
    const start = i + 1;
    let end = start;
    while (end < spec.length && !spec[end].startsWith('```')) end++;
    i = end;
    const body = spec.slice(start, end).map((l) => l.replace(/\r$/, ''));
    if (!body.some((l) => /^[CS]: /.test(l))) continue;
    const lines: Array<{ side: Side; text: string; at: number }> = [];
    body.forEach((l, k) => {
      const at = start + k + 1;
      if (l.trim() === '') return;
      transcriptLines++;
      if (NARRATION.test(l) || PLACEHOLDERS.has(l)) {
        skipped++;
        return;
      }
      const m = /^([CS]): (.*)$/.exec(l);
      if (m === null) throw new Error(`PROTOCOL.md:${at}: not a C:/S: line and not on the skip list: ${l}`);
      lines.push({ side: m[1] as Side, text: translate(m[2]), at });
    });
    const items: Item[] = [];
    for (let k = 0; k < lines.length; k++) {
      const { side, text, at } = lines[k];
      const item: Item = { side, lines: [text], at };
      const len = BODY_LENGTH[side].exec(text);
      if (len !== null) {
        // Body lines follow on the same side until the announced length is reached. None at
        // all is fine: the spec then does not show the body (it is skipped, say).
        const want = Number(len[1]);
        // A server frame of length 0: no body lines, an empty body then its line end.
        if (want === 0) {
          item.lines.push('');
          item.emptyBody = true;
        }
        let got = want === 0 ? 0 : -2; // the CRLF before the first body line is not part of the body
        while (got < want && k + 1 < lines.length && lines[k + 1].side === side) {
          got += 2 + utf8(lines[++k].text).length;
          item.lines.push(lines[k].text);
        }
        if (item.lines.length > 1 && got !== want) {
          throw new Error(`PROTOCOL.md:${at}: body is ${got} bytes, the line announces ${want}: ${text}`);
        }
      }
      items.push(item);
    }
    blocks.push({ at: start, items });
  }
  return blocks;
}

const blocks = extract();
const wire = (item: Item): string => item.lines.join('\r\n') + '\r\n';
const show = (item: Item): string => `line ${item.at}: ${item.side}: ${JSON.stringify(item.lines.join('\r\n')).slice(1, -1)}`;

describe('PROTOCOL.md transcripts', () => {
  it('finds every transcript, and every line in them is checked or on the skip list', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(9);
    const checked = blocks.flatMap((b) => b.items).reduce((n, item) => n + item.lines.length - (item.emptyBody ? 1 : 0), 0);
    expect(checked + skipped).toBe(transcriptLines);
    expect(skipped).toBeLessThanOrEqual(4);
  });

  for (const block of blocks) {
    describe(`block at line ${block.at}`, () => {
      block.items.forEach((item, k) => {
        if (item.side === 'C') {
          it(`${show(item)} parses, or fails as the next ERR says`, () => {
            const results = parseCommands(wire(item));
            expect(results).toHaveLength(1);
            const [result] = results;
            const next = block.items.slice(k + 1).find((x) => x.side === 'S');
            const reply = next?.lines[0] ?? '';
            if (result instanceof ProtocolError) {
              // The server answers a parse error with `ERR <code> <message>`, word for word.
              expect(reply).toBe(`ERR ${result.code} ${result.message}`);
            } else if (reply.startsWith('ERR ')) {
              // A state error (NOT_MEMBER, ...) comes from the server; a syntax one cannot.
              expect(PARSER_CODES.has(reply.split(' ')[1])).toBe(false);
            }
          });
        } else {
          it(`${show(item)} parses and re-encodes to the same bytes`, () => {
            const bytes = wire(item);
            const results = parseServerFrames(bytes);
            expect(results).toHaveLength(1);
            const [frame] = results;
            expect(frame).not.toBeInstanceOf(ProtocolError);
            if (frame instanceof ProtocolError) return;
            expect(fromUtf8(encodeServerFrame(frame))).toBe(bytes);
          });
        }
      });
    });
  }
});
