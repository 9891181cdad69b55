import { LIMITS } from './limits.ts';
import { nameKey } from './names.ts';
import { inlineTexts } from './markdown-blocks.ts';
import { scanInline } from './markdown-inline.ts';

/**
 * The one rule for who a message mentions, used by the server (the mention counts of UNREAD,
 * gateway/chat/mentions.ts) and by the web app (the highlight, the badges, notifications),
 * so a body calls for someone exactly when the page shows it doing so.
 *
 * A mention is `@` and a handle (1 to 32 of letters, digits, `_` `-` `.`), as a word of its
 * own: not glued to a letter, digit, `.`, `/`, `@` or `-` before it (an e-mail address, a
 * path, a URL). Full stops at its end close the sentence rather than belong to the handle;
 * `_@alice_` and `*@alice*` are emphasised mentions. Mentions count where the app shows
 * text: not in code (spans, and ``` or ~~~ fences, also in quotes and lists), not inside a
 * link's address, not after a backslash (`\@alice` is an escaped `@`). Indented lines are
 * text here, as in the app (telnet users indent log lines; the app has no indented code).
 * The structure is the app's Markdown's (core/markdown-blocks.ts); the table in
 * core/mentions.test.ts is fed through the app's renderer too, so the two cannot drift.
 */

/**
 * Terminal escape sequences, which the app strips before showing a body: CSI (ESC [ params
 * final), OSC (ESC ] ... BEL or ST, or to the end when unterminated), the 8-bit CSI, and any
 * other two-byte ESC sequence.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const TERMINAL_CODES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\|$)|\x9b[0-?]*[ -/]*[@-~]|\x1b[ -/]*[0-~]/g;

const HANDLE_CHAR = /[A-Za-z0-9_.-]/;
/** Before an `@` these make it part of something else: an e-mail address, a path, a handle. */
const GLUED_BEFORE = /[A-Za-z0-9./@-]/;

/** Who a body mentions: handles as written (first of each), and whether @channel or @here. */
export type Mentions = { handles: string[]; everyone: boolean };

/**
 * The mention that starts at `pos` of `text` (an `@`), reading no further than `max`: the
 * handle as written and where it ends; undefined when there is none there.
 */
export function mentionAt(text: string, pos: number, max = text.length): { handle: string; end: number } | undefined {
  if (text.charCodeAt(pos) !== 0x40 || (pos > 0 && GLUED_BEFORE.test(text[pos - 1]))) return undefined;
  let end = pos + 1;
  while (end < max && HANDLE_CHAR.test(text[end])) end++;
  while (end > pos + 1 && text[end - 1] === '.') end--;
  // `_@alice_`, `__@alice__`: the underscores after close the emphasis those before opened.
  for (let before = pos - 1; before >= 0 && text[before] === '_' && end > pos + 2 && text[end - 1] === '_'; before--) end--;
  const length = end - pos - 1;
  if (length === 0 || length > LIMITS.maxName) return undefined;
  return { handle: text.slice(pos, end), end };
}

/** Bidi controls by code point, shown by name (as the rendering for people does, core/render-person.ts). */
const BIDI: Record<number, string> = {
  0x061c: 'ALM', 0x200e: 'LRM', 0x200f: 'RLM',
  0x202a: 'LRE', 0x202b: 'RLE', 0x202c: 'PDF', 0x202d: 'LRO', 0x202e: 'RLO',
  0x2066: 'LRI', 0x2067: 'RLI', 0x2068: 'FSI', 0x2069: 'PDI',
};
/** C0 controls but tab and line feed, DEL, C1 controls, and the bidi controls. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ACTING = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function mark(c: string): string {
  const code = c.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code); // ␇ for BEL, ␍ for a lone CR
  if (code === 0x7f) return '\u2421'; // ␡
  if (code <= 0x9f) return `\u27eaU+00${code.toString(16).toUpperCase()}\u27eb`; // ⟪U+0085⟫
  return `\u27ea${BIDI[code]}\u27eb`; // ⟪RLO⟫
}

/**
 * A body as the app shows it, before Markdown: terminal colour and cursor codes stripped (a
 * telnet user's client may send them), CRLF a line break, and every other character that
 * would act rather than show made visible: C0 controls as their Control Pictures (BEL as
 * ␇), DEL as ␡, C1 controls as ⟪U+0085⟫, and the bidi controls by name, so that
 * `invoice_⟪RLO⟫gnp.exe` cannot pass for "invoice_exe.png". Mentions are read in this text.
 */
export function displayText(body: string): string {
  return body.replace(TERMINAL_CODES, '').replace(/\r\n/g, '\n').replace(ACTING, mark);
}

/** Every mention in `body`, in order, repeats included. */
export function mentionList(body: string): string[] {
  if (!body.includes('@')) return [];
  const out: string[] = [];
  const read = (text: string, pos: number, max: number): number => {
    const m = mentionAt(text, pos, max);
    if (m) out.push(m.handle);
    return m ? m.end : -1;
  };
  for (const text of inlineTexts(displayText(body))) scanInline(text, read);
  return out;
}

/** Who `body` mentions. */
export function findMentions(body: string): Mentions {
  const handles = new Map<string, string>();
  let everyone = false;
  for (const handle of mentionList(body)) {
    const key = nameKey(handle);
    if (key === '@channel' || key === '@here') everyone = true;
    else if (!handles.has(key)) handles.set(key, handle);
  }
  return { handles: [...handles.values()], everyone };
}

/** Whether `body` calls for `me` (a handle, with or without its `@`): names them, @channel or @here. */
export function mentionsMe(body: string, me: string): boolean {
  if (me === '') return false;
  const mine = nameKey(me.startsWith('@') ? me : `@${me}`);
  return mentionList(body).some((h) => {
    const key = nameKey(h);
    return key === mine || key === '@channel' || key === '@here';
  });
}
