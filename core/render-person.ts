import type { ServerFrame } from './frames.ts';
import { serverLine } from './encode.ts';
import { fromUtf8, utf8, utf8Length } from './bytes.ts';
import { nameKey } from './names.ts';

/**
 * The rendering for people (spec: "Rendering for people"): the SLCK wire made safe to read
 * at a terminal. Another user's text can neither act on the terminal (move the cursor, clear
 * the screen, ring the bell, set the title, reorder the line) nor pass for a line of the
 * server's: every body line is indented, and control characters are shown as symbols.
 * Built once per event for all the people who get it (kinds.ts picks this or the program
 * encoder), so it may take a string round trip.
 */

/** What every line of a body starts with: two spaces, a bar, a space. No server line starts so. */
export const BODY_INDENT = '  \u2502 ';

/** Bidi controls by code point: each shown as its name between ⟪ ⟫ instead of acting. */
const BIDI: Record<number, string> = {
  0x061c: 'ALM', 0x200e: 'LRM', 0x200f: 'RLM',
  0x202a: 'LRE', 0x202b: 'RLE', 0x202c: 'PDF', 0x202d: 'LRO', 0x202e: 'RLO',
  0x2066: 'LRI', 0x2067: 'RLI', 0x2068: 'FSI', 0x2069: 'PDI',
};

/** C0 but TAB, DEL, C1, and the bidi controls: what `visible` replaces. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ACTING = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function symbol(c: string): string {
  const code = c.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code); // ␀ … ␟ (␛ for ESC)
  if (code === 0x7f) return '\u2421'; // ␡
  if (code <= 0x9f) return `\u27eaU+00${code.toString(16).toUpperCase()}\u27eb`; // ⟪U+009B⟫
  return `\u27ea${BIDI[code]}\u27eb`;
}

/**
 * Text made harmless on a terminal line: C0 control characters but TAB as their Control
 * Pictures (BEL as ␇, ESC as ␛, so `ESC[2J` reads ␛[2J), DEL as ␡, C1 controls as
 * ⟪U+009B⟫, bidi controls by name (⟪RLO⟫). CR and LF too: a caller that keeps line breaks
 * splits on them first. Everything it puts in is printable, so applying it twice changes
 * nothing more.
 */
export function visible(text: string): string {
  ACTING.lastIndex = 0;
  return ACTING.test(text) ? text.replace(ACTING, symbol) : text;
}

/** A line break in a body: CRLF, LF, or a lone CR (which would otherwise return to column 0). */
const LINE_BREAK = /\r\n|\n|\r/;

/**
 * A body as a person reads it: the bytes as UTF-8 (what is not valid UTF-8 shown as U+FFFD),
 * each line made `visible` and indented with BODY_INDENT, lines joined with CRLF.
 */
export function renderBody(body: Uint8Array): string {
  const lines = fromUtf8(body).split(LINE_BREAK);
  let out = BODY_INDENT + visible(lines[0]);
  for (let i = 1; i < lines.length; i++) out += '\r\n' + BODY_INDENT + visible(lines[i]);
  return out;
}

type Bodied = Extract<ServerFrame, { type: 'MSG' | 'REPLY' | 'EDIT' | 'FOUND' }>;
type Acted = Extract<ServerFrame, { type: 'MSG' | 'REPLY' | 'EDIT' | 'FOUND' | 'DELETE' | 'REACT' | 'UNREACT' | 'TYPING' }>;

/**
 * Who a frame of someone's act is about, as a person reads it. A channel's keeps the
 * program's `<#channel> <@from>`. A direct conversation's says plainly whose it is, from the
 * reader's side: `DM from <@sender>` to its recipient, `DM to <@recipient>` to its author's
 * other connections (the program's `@you @sender`, recipient first, reads as "to @sender").
 */
function who(f: Acted, reader: string | undefined): string {
  if (f.target.charCodeAt(0) !== 64) return `${f.target} ${f.from}`;
  const own = reader !== undefined && nameKey(reader) === nameKey(f.from);
  return own ? `DM to ${f.target}` : `DM from ${f.from}`;
}

/**
 * The head line of a frame with a body, for a person: the program's, worded by `who`, its
 * last word the rendered body's length (so REPLY's ALSO comes before it). A direct message
 * is `DM from @sender …`, with no verb, as before threads; other verbs keep theirs first:
 * `REPLY DM from @carol …`.
 */
function bodiedHead(f: Bodied, reader: string | undefined, len: number): string {
  const by = who(f, reader);
  switch (f.type) {
    case 'MSG':
      return `${by.startsWith('DM ') ? by : `MSG ${by}`} ${f.id} ${f.ts} ${len}`;
    case 'REPLY':
      return `REPLY ${by} ${f.id} ${f.ts} ${f.root}${f.also ? ' ALSO' : ''} ${len}`;
    case 'EDIT':
      return `EDIT ${by} ${f.id} ${f.ts} ${f.of} ${len}`;
    case 'FOUND':
      return `FOUND ${by} ${f.id} ${f.ts} ${len}`;
  }
}

/**
 * The line of any other frame, for a person: the program's line, a direct conversation's
 * acts worded by `who`, with the free text and the reactions made `visible` (a reaction is
 * an emoji, checked where it enters; shown safely whatever a server sends).
 */
function personLine(f: Exclude<ServerFrame, Bodied>, reader: string | undefined): string {
  switch (f.type) {
    case 'DELETE':
      return `DELETE ${who(f, reader)} ${f.id} ${f.ts} ${f.of}`;
    case 'REACT':
    case 'UNREACT':
      return visible(`${f.type} ${who(f, reader)} ${f.id} ${f.ts} ${f.of} ${f.reaction}`);
    case 'TYPING':
      return `TYPING ${who(f, reader)}`;
    default:
      return visible(serverLine(f));
  }
}

/**
 * A server frame's bytes for a person. `reader`: the handle of the user reading it, which a
 * direct conversation's frames are told from the side of (absent: as its recipient). A frame
 * with a body (MSG, REPLY, EDIT, FOUND) keeps its framing, `<head> <len>` CRLF body CRLF, `<len>`
 * counting the rendered body's bytes, so a script reading by length still reads it whole;
 * an empty body (a deleted message's) is one empty indented line. Any other frame is the
 * program's line with its text made `visible` (names, verbs and numbers are ASCII, untouched).
 */
export function encodePersonFrame(frame: ServerFrame, reader?: string): Uint8Array {
  if (frame.type !== 'MSG' && frame.type !== 'REPLY' && frame.type !== 'EDIT' && frame.type !== 'FOUND') return utf8(personLine(frame, reader) + '\r\n');
  const body = renderBody(frame.body);
  return utf8(`${bodiedHead(frame, reader, utf8Length(body))}\r\n${body}\r\n`);
}
