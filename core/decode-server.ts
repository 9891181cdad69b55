import { ErrorCode, ProtocolError } from './errors.ts';
import type { ByeReason, ServerFrame } from './frames.ts';
import { SERVER_FRAME_LIMITS, type Limits } from './limits.ts';
import { NO_BODY, skipBody, type LineDecoder } from './parser.ts';
import { ascii, fromUtf8, utf8 } from './bytes.ts';
import { SP, TAB, announcedLength, readLength, skipSpaces, tokenEnd, verbOf } from './tokens.ts';

type MsgFrame = Extract<ServerFrame, { type: 'MSG' }>;

const EMPTY = new Uint8Array(0);
const BYE_REASONS = new Set<string>(['QUIT', 'SHUTDOWN', 'SLOW_CONSUMER', 'TIMEOUT', 'ELSEWHERE', 'SIGNED_OUT', 'PROTOCOL', 'SUSPENDED']);

const bad = (what: string) => new ProtocolError(ErrorCode.BAD_SYNTAX, `Malformed ${what} frame`);

/**
 * Decodes what a server sends (the client's side of the wire). Deliveries (`MSG target from
 * id ts len`) are read straight from the bytes, as a busy client sees thousands a second.
 */
export class ServerFrameDecoder implements LineDecoder<ServerFrame> {
  bodyLength = -1;
  private readonly maxBody: number;
  /** Recent names, so a busy channel does not build the same strings again and again. */
  private lastTarget = '';
  private lastFrom = '';

  constructor(limits: Limits = SERVER_FRAME_LIMITS) {
    this.maxBody = limits.maxBody;
  }

  decode(buf: Uint8Array, start: number, end: number): ServerFrame | ProtocolError | null {
    this.bodyLength = -1;
    while (start < end && (buf[start] === SP || buf[start] === TAB)) start++;
    if (start === end) return null;
    // MSG, case-insensitively ("| 32" lower-cases ASCII letters).
    if (
      end - start > 4 &&
      (buf[start] | 32) === 109 &&
      (buf[start + 1] | 32) === 115 &&
      (buf[start + 2] | 32) === 103 &&
      (buf[start + 3] === SP || buf[start + 3] === TAB)
    ) {
      while (buf[end - 1] === SP || buf[end - 1] === TAB) end--;
      return this.msg(buf, start + 4, end);
    }
    const verb = verbOf(buf, start, end);
    if (verb === 'REPLY' || verb === 'EDIT' || verb === 'FOUND') return this.bodied(verb, buf, start, end);
    return other(verb, buf, start, end);
  }

  /**
   * `REPLY <target> <from> <id> <ts> <root-id> <len> [ALSO]`, `EDIT <target> <from> <id>
   * <ts> <of-id> <len>` and `FOUND <target> <from> <id> <ts> <len>`, a body after each.
   * Section 7's rule as for MSG: the length is the last word (REPLY's: the word before a last
   * word ALSO), and a refused frame still skips it. FOUND's words between `<ts>` and `<len>`
   * are room for later fields (a thread reply's root, say): read past, not refused.
   */
  private bodied(verb: 'REPLY' | 'EDIT' | 'FOUND', buf: Uint8Array, start: number, end: number): ServerFrame | ProtocolError {
    const w = fromUtf8(buf.subarray(start, end)).replace(/[ \t]+$/, '').split(/[ \t]+/);
    const also = verb === 'REPLY' && w[w.length - 1] === 'ALSO';
    const lengthWord = utf8(w[w.length - (also ? 2 : 1)] ?? '');
    const announced = announcedLength(lengthWord, 0, lengthWord.length);
    const refuse = (e: ProtocolError): ProtocolError => {
      if (announced > 0) this.bodyLength = skipBody(announced);
      return e;
    };
    const shape = verb === 'FOUND' ? w.length >= 6 : w.length === (also ? 8 : 7) && ID.test(w[5]);
    if (!shape || !ID.test(w[3])) return refuse(bad(verb));
    const len = bodyLength(lengthWord, 0, lengthWord.length, this.maxBody);
    if (typeof len !== 'number') return refuse(len);
    this.bodyLength = len;
    const head = { target: w[1], from: w[2], id: Number(w[3]), ts: w[4], body: EMPTY };
    if (verb === 'FOUND') return { type: 'FOUND', ...head };
    return verb === 'REPLY' ? { type: 'REPLY', ...head, root: Number(w[5]), also } : { type: 'EDIT', ...head, of: Number(w[5]) };
  }

  attachBody(frame: ServerFrame, body: Uint8Array): void {
    (frame as MsgFrame).body = body;
  }

  private msg(buf: Uint8Array, at: number, end: number): ServerFrame | ProtocolError {
    // MSG <target> <from> <id> <ts> <len>
    const tStart = skipSpaces(buf, at, end);
    const tEnd = tokenEnd(buf, tStart, end);
    const target = (this.lastTarget = reuse(this.lastTarget, buf, tStart, tEnd));
    const fStart = skipSpaces(buf, tEnd, end);
    const fEnd = tokenEnd(buf, fStart, end);
    const from = (this.lastFrom = reuse(this.lastFrom, buf, fStart, fEnd));
    const iStart = skipSpaces(buf, fEnd, end);
    const iEnd = tokenEnd(buf, iStart, end);
    let id = 0;
    let idOk = true;
    for (let i = iStart; i < iEnd; i++) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) idOk = false;
      id = id * 10 + d;
    }
    const sStart = skipSpaces(buf, iEnd, end);
    const sEnd = tokenEnd(buf, sStart, end);
    const lStart = skipSpaces(buf, sEnd, end);
    const lEnd = tokenEnd(buf, lStart, end);
    // The rule of spec section 7, as for commands: a last word that is a plain length
    // announces a body, which a refused frame still skips.
    let wStart = end;
    while (wStart > tStart && buf[wStart - 1] !== SP && buf[wStart - 1] !== TAB) wStart--;
    const announced = announcedLength(buf, wStart, end);
    const refuse = (e: ProtocolError): ProtocolError => {
      if (announced > 0) this.bodyLength = skipBody(announced);
      return e;
    };
    if (target.length === 0 || from.length === 0 || !idOk || iEnd === iStart || sEnd === sStart || lEnd !== end) return refuse(bad('MSG'));
    const len = bodyLength(buf, lStart, lEnd, this.maxBody);
    if (typeof len !== 'number') return refuse(len);
    this.bodyLength = len;
    return { type: 'MSG', target, from, id, ts: ascii(buf, sStart, sEnd), body: EMPTY };
  }
}

/**
 * A server frame's body length: as a command's, or 0, the empty body of a deleted message
 * (its frame then has no body to read, only the line end the encoder writes after it, which
 * is a blank line). Returns the parser's `bodyLength`: -1 for none.
 */
function bodyLength(buf: Uint8Array, start: number, end: number, maxBody: number): number | ProtocolError {
  if (end - start === 1 && buf[start] === 48) return NO_BODY;
  return readLength(buf, start, end, maxBody);
}

function reuse(last: string, buf: Uint8Array, start: number, end: number): string {
  if (last.length === end - start) {
    let same = true;
    for (let i = 0; same && i < last.length; i++) same = buf[start + i] === last.charCodeAt(i);
    if (same) return last;
  }
  return ascii(buf, start, end);
}

/** The rest of the line after `n` words, as text: what follows keeps its spacing. */
function rest(text: string, n: number): string {
  let i = 0;
  for (let w = 0; w < n; w++) {
    while (i < text.length && text[i] !== ' ' && text[i] !== '\t') i++;
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  }
  return text.slice(i);
}

const DIGITS = /^\d{1,15}$/;
/** An id of a logged frame: as MSG's, up to the largest safe integer (16 digits). */
const ID = /^\d{1,16}$/;

/** A list of users in a state line: comma-separated, `-` for none. */
const users = (word: string): string[] => (word === '-' ? [] : word.split(','));
const allIds = (words: string[]): boolean => words.every((n) => ID.test(n));

function other(verb: string, buf: Uint8Array, start: number, end: number): ServerFrame | ProtocolError {
  const text = fromUtf8(buf.subarray(start, end));
  // Words for counting; free text (ERR, INFO, NOTICE, HELLO, BYE) is taken from `text` by rest().
  const w = text.replace(/[ \t]+$/, '').split(/[ \t]+/);
  switch (verb) {
    case 'OK':
      return { type: 'OK', args: w.slice(1).filter((s) => s.length > 0) };
    case 'ERR':
      if (w.length < 2) return bad('ERR');
      return { type: 'ERR', code: w[1], text: rest(text, 2) };
    case 'HELLO':
      if (w.length < 4) return bad('HELLO');
      return { type: 'HELLO', server: w[1], version: w[2], clientId: w[3], text: rest(text, 4) };
    case 'JOINED':
    case 'LEFT':
      if (w.length !== 3) return bad(verb);
      return { type: verb, channel: w[1], user: w[2] };
    case 'ONLINE':
    case 'OFFLINE':
    case 'BLOCKED':
    case 'UNBLOCKED':
      if (w.length !== 2) return bad(verb);
      return { type: verb, user: w[1] };
    case 'KICKED':
    case 'BANNED':
      // KICKED <#channel> <@user> <@by> [reason]
      if (w.length < 4) return bad(verb);
      return { type: verb, channel: w[1], user: w[2], by: w[3], reason: rest(text, 4) };
    case 'ROLE':
      if (w.length !== 5 || (w[3] !== 'owner' && w[3] !== 'op' && w[3] !== 'member' && w[3] !== 'admin')) return bad('ROLE');
      return { type: 'ROLE', channel: w[1], user: w[2], role: w[3], by: w[4] };
    case 'BAN':
      // BAN <#channel> <@user> <@by|-> <ts|-> [reason]
      if (w.length < 5) return bad('BAN');
      return { type: 'BAN', channel: w[1], user: w[2], by: w[3], ts: w[4], reason: rest(text, 5) };
    case 'MOD':
      // MOD <ts> <action> <@by> <@whom> <#channel|-> <id|-> [reason]
      if (w.length < 7 || (w[6] !== '-' && !ID.test(w[6]))) return bad('MOD');
      if (w[6] === '-') return { type: 'MOD', ts: w[1], action: w[2], by: w[3], whom: w[4], channel: w[5], reason: rest(text, 7) };
      return { type: 'MOD', ts: w[1], action: w[2], by: w[3], whom: w[4], channel: w[5], id: Number(w[6]), reason: rest(text, 7) };
    case 'CHN':
      // Words after the count are flags: `private`; one this client does not know is passed over.
      if (w.length < 3 || !DIGITS.test(w[2])) return bad('CHN');
      return w.slice(3).includes('private') ? { type: 'CHN', channel: w[1], members: Number(w[2]), private: true } : { type: 'CHN', channel: w[1], members: Number(w[2]) };
    case 'USR':
      if (w.length < 3 || w.length > 4 || (w[2] !== 'online' && w[2] !== 'offline') || (w.length === 4 && w[3] !== 'guest')) return bad('USR');
      return w.length === 4 ? { type: 'USR', user: w[1], online: w[2] === 'online', guest: true } : { type: 'USR', user: w[1], online: w[2] === 'online' };
    case 'TOPIC':
      if (w.length < 3) return bad('TOPIC');
      return { type: 'TOPIC', channel: w[1], by: w[2], text: rest(text, 3) };
    case 'READ':
      if (w.length !== 3 || !DIGITS.test(w[2])) return bad('READ');
      return { type: 'READ', target: w[1], id: Number(w[2]) };
    case 'UNREAD':
      // UNREAD <target> <unread> <mentions> <read-id> <last-id>
      if (w.length !== 6 || !w.slice(2).every((n) => DIGITS.test(n))) return bad('UNREAD');
      return { type: 'UNREAD', target: w[1], unread: Number(w[2]), mentions: Number(w[3]), readId: Number(w[4]), lastId: Number(w[5]) };
    case 'PREF':
      // PREF <key> [value]: the value is the rest of the line, spaces kept.
      if (w.length < 2 || w[1] === '') return bad('PREF');
      return { type: 'PREF', key: w[1], value: rest(text, 2) };
    case 'DELETE':
      // DELETE <target> <from> <id> <ts> <of-id>
      if (w.length !== 6 || !allIds([w[3], w[5]])) return bad('DELETE');
      return { type: 'DELETE', target: w[1], from: w[2], id: Number(w[3]), ts: w[4], of: Number(w[5]) };
    case 'REACT':
    case 'UNREACT':
      // REACT <target> <from> <id> <ts> <of-id> <reaction>
      if (w.length !== 7 || !allIds([w[3], w[5]])) return bad(verb);
      return { type: verb, target: w[1], from: w[2], id: Number(w[3]), ts: w[4], of: Number(w[5]), reaction: w[6] };
    case 'TYPING':
      if (w.length !== 3) return bad('TYPING');
      return { type: 'TYPING', target: w[1], from: w[2] };
    case 'EDITED':
      if (w.length !== 4 || !ID.test(w[2])) return bad('EDITED');
      return { type: 'EDITED', target: w[1], id: Number(w[2]), ts: w[3] };
    case 'DELETED':
      if (w.length !== 3 || !ID.test(w[2])) return bad('DELETED');
      return { type: 'DELETED', target: w[1], id: Number(w[2]) };
    case 'REACTION':
      // REACTION <target> <id> <reaction> <@a>[,<@b>…]
      if (w.length !== 5 || !ID.test(w[2])) return bad('REACTION');
      return { type: 'REACTION', target: w[1], id: Number(w[2]), reaction: w[3], by: users(w[4]) };
    case 'REPLIES':
      // REPLIES <target> <id> <count> <last-reply-id> <last-ts> <@a>[,<@b>…]
      if (w.length !== 7 || !allIds(w.slice(2, 5))) return bad('REPLIES');
      return { type: 'REPLIES', target: w[1], id: Number(w[2]), count: Number(w[3]), lastId: Number(w[4]), lastTs: w[5], by: users(w[6]) };
    case 'FOLLOWING':
      // FOLLOWING <target> <root-id> <replies> <unread> <mentions> <last-reply-id> <last-ts>
      if (w.length !== 8 || !allIds(w.slice(2, 7))) return bad('FOLLOWING');
      return {
        type: 'FOLLOWING', target: w[1], root: Number(w[2]), replies: Number(w[3]), unread: Number(w[4]),
        mentions: Number(w[5]), lastId: Number(w[6]), lastTs: w[7],
      };
    case 'INFO':
      return { type: 'INFO', text: rest(text, 1) };
    case 'NOTICE':
      return { type: 'NOTICE', text: rest(text, 1) };
    case 'TIME':
      if (w.length !== 2) return bad('TIME');
      return { type: 'TIME', time: w[1] };
    case 'PONG':
      return w.length > 1 ? { type: 'PONG', token: w[1] } : { type: 'PONG' };
    case 'END':
      if (!DIGITS.test(w[2] ?? '')) return bad('END');
      if (w.length === 3) return { type: 'END', of: w[1], count: Number(w[2]) };
      // A paged CHNS with more to come: `END CHNS 100 MORE #last`.
      if (w.length === 5 && w[3] === 'MORE') return { type: 'END', of: w[1], count: Number(w[2]), more: w[4] };
      return bad('END');
    case 'BYE':
      if (w.length < 2 || !BYE_REASONS.has(w[1])) return bad('BYE');
      return { type: 'BYE', reason: w[1] as ByeReason, text: rest(text, 2) };
    default:
      return new ProtocolError(ErrorCode.UNKNOWN_COMMAND, `Unknown frame ${verb}`);
  }
}
