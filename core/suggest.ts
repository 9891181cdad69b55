import { COMMAND_TYPES } from './frames.ts';
import { ErrorCode, ProtocolError } from './errors.ts';
import { fromUtf8 } from './bytes.ts';
import { tokenEnd } from './tokens.ts';

/**
 * What an unknown command word most likely meant, for `ERR UNKNOWN_COMMAND`: a verb a typo
 * away (`JION`, `JOIN`), or the SLCK verb for a habit from IRC or Slack (`PART`, `LEAVE`).
 * Null when nothing is close: a wild guess helps nobody.
 */

/**
 * Every verb a client may send (SAY, RE and FIX are read as MSG, REPLY and EDIT, so they have
 * no command type of their own).
 */
const VERBS: readonly string[] = [...COMMAND_TYPES, 'SAY', 'RE', 'FIX'];

/** Other chat programs' words for SLCK's commands. */
const HABITS: ReadonlyMap<string, string> = new Map([
  ['PART', 'LEAVE'], ['LIST', 'CHNS'], ['CHANNELS', 'CHNS'], ['NAMES', 'USRS'], ['WHO', 'USRS'], ['USERS', 'USRS'],
  ['NICK', 'REG'], ['LOGIN', 'REG'], ['REGISTER', 'REG'], ['EXIT', 'QUIT'], ['BYE', 'QUIT'], ['LOGOUT', 'SIGNOUT'],
  ['PRIVMSG', 'SAY'], ['ME', 'SAY'], ['LOG', 'HISTORY'], ['BACKLOG', 'HISTORY'],
  // IRCv3's names for the same acts (../shared/design/clients.md), and Slack's words.
  ['REDACT', 'DELETE'], ['TAGMSG', 'REACT'], ['REMOVE', 'DELETE'], ['CORRECT', 'FIX'], ['REACTION', 'REACT'],
  ['FIND', 'SEARCH'], ['GREP', 'SEARCH'],
]);

/**
 * `ERR UNKNOWN_COMMAND`, naming the word as typed (UTF-8, its first 16 characters, upper-cased
 * as verbs are) and the nearest command when one is close. The word is echoed to a terminal,
 * so a control character (C0, DEL, C1) or a bidi control in it is shown as U+FFFD, never sent.
 */
export function unknownCommand(buf: Uint8Array, start: number, end: number): ProtocolError {
  const typed = Array.from(fromUtf8(buf.subarray(start, Math.min(tokenEnd(buf, start, end), start + 64)))).slice(0, 16).join('');
  // eslint-disable-next-line no-control-regex
  const word = typed.toUpperCase().replace(/[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '\ufffd');
  const near = nearestVerb(typed);
  return new ProtocolError(ErrorCode.UNKNOWN_COMMAND, near === null ? `Unknown command ${word}; type HELP for the list` : `Unknown command ${word}; did you mean ${near}?`);
}

export function nearestVerb(word: string): string | null {
  const w = word.toUpperCase();
  const habit = HABITS.get(w);
  if (habit !== undefined) return habit;
  // One edit for short words, two for longer ones: `PIGN` is PING, `HISTROY` is HISTORY.
  const most = w.length <= 4 ? 1 : 2;
  let best: string | null = null;
  let bestDistance = most + 1;
  for (const verb of VERBS) {
    // Words of very different lengths are never close: skip them before counting.
    if (Math.abs(verb.length - w.length) > most) continue;
    const d = distance(w, verb);
    if (d < bestDistance) {
      best = verb;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Edit distance with adjacent swaps counted as one edit (optimal string alignment): a typed
 * word is short, so the full table is cheap.
 */
function distance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j] + 1, d[i * cols + j - 1] + 1, d[(i - 1) * cols + j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[(i - 2) * cols + j - 2] + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1];
}
