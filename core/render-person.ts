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

type MsgFrame = Extract<ServerFrame, { type: 'MSG' }>;

/**
 * The head line of a delivery for a person. A channel message keeps the program's
 * `MSG <#channel> <@from> <id> <ts>`. A direct message says plainly whose it is, from the
 * reader's side: `DM from <@sender> <id> <ts>` to its recipient, `DM to <@recipient> <id> <ts>`
 * to its author's other connections (the program's `MSG @you @sender`, recipient first,
 * reads as "to @sender").
 */
function deliveryHead(f: MsgFrame, reader: string | undefined): string {
  if (f.target.charCodeAt(0) !== 64) return `MSG ${f.target} ${f.from} ${f.id} ${f.ts}`;
  const own = reader !== undefined && nameKey(reader) === nameKey(f.from);
  return own ? `DM to ${f.target} ${f.id} ${f.ts}` : `DM from ${f.from} ${f.id} ${f.ts}`;
}

/**
 * A server frame's bytes for a person. `reader`: the handle of the user reading it, which a
 * direct message is told from the side of (absent: as its recipient). A delivery keeps its
 * framing, `<head> <len>` CRLF body CRLF, `<len>` counting the rendered body's bytes, so a
 * script reading by length still reads it whole. Any other frame is the program's line with
 * its text made `visible` (names, verbs and numbers are ASCII, untouched).
 */
export function encodePersonFrame(frame: ServerFrame, reader?: string): Uint8Array {
  if (frame.type !== 'MSG') return utf8(visible(serverLine(frame)) + '\r\n');
  const body = renderBody(frame.body);
  return utf8(`${deliveryHead(frame, reader)} ${utf8Length(body)}\r\n${body}\r\n`);
}
