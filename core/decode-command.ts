import { ErrorCode, ProtocolError } from './errors.ts';
import type { Command } from './frames.ts';
import { COMMAND_LIMITS, LIMITS, type Limits } from './limits.ts';
import { skipBody, type LineDecoder } from './parser.ts';
import { SP, TAB, announcedLength, hasControl, readLength, readName, skipSpaces, tokenEnd, verbOf, words } from './tokens.ts';
import { nameProblem } from './names.ts';
import { fromUtf8, utf8Length } from './bytes.ts';
import { unknownCommand } from './suggest.ts';
import { decodeSearch } from './decode-search.ts';
import { decodeModeration, MODERATION_VERBS } from './decode-moderation.ts';
import { conversationTarget, decodeBodied, decodeSaid, decodeThreadCommand } from './decode-thread.ts';

type MsgCommand = Extract<Command, { type: 'MSG' }>;

const EMPTY = new Uint8Array(0);
/** The literal four characters `\r\n` of the seed's one-line MSG form. */
const BS = 92;
const SLASH = 47;

const err = (code: ProtocolError['code'], text: string) => new ProtocolError(code, text);
const syntax = (usage: string) => err(ErrorCode.BAD_SYNTAX, `Usage: ${usage}`);

/**
 * Decodes what a client sends (the server's side of the wire). MSG, the hot path, is read
 * straight from the bytes; the rest are rare enough to be split into words.
 */
export class CommandDecoder implements LineDecoder<Command> {
  bodyLength = -1;
  private readonly maxBody: number;
  /** The last MSG target, reused while a client keeps writing to the same place. */
  private lastTarget = '';

  constructor(limits: Limits = COMMAND_LIMITS) {
    this.maxBody = limits.maxBody;
  }

  decode(buf: Uint8Array, start: number, end: number): Command | ProtocolError | null {
    this.bodyLength = -1;
    // The hot path first: `MSG <target> <len>` as programs write it (see msgExact).
    if (end - start > 6 && buf[start] === 77 && buf[start + 1] === 83 && buf[start + 2] === 71 && buf[start + 3] === SP) {
      const fast = this.msgExact(buf, start + 4, end);
      if (fast !== null) return fast;
    }
    while (start < end && (buf[start] === SP || buf[start] === TAB)) start++;
    // The one-line MSG form's body runs to the very end of the line, spaces included.
    const lineEnd = end;
    while (end > start && (buf[end - 1] === SP || buf[end - 1] === TAB)) end--;
    if (start === end) return null;
    // IRC and Slack habits: `/join #dev` is JOIN #dev. (A lone `/` stays: an unknown command.)
    if (buf[start] === SLASH && start + 1 < end && buf[start + 1] !== SP && buf[start + 1] !== TAB) start++;
    // MSG: match the verb byte by byte, case-insensitively ("| 32" lower-cases ASCII letters).
    if (
      end - start > 4 &&
      (buf[start] | 32) === 109 &&
      (buf[start + 1] | 32) === 115 &&
      (buf[start + 2] | 32) === 103 &&
      (buf[start + 3] === SP || buf[start + 3] === TAB)
    ) {
      return this.msg(buf, start + 4, end, lineEnd);
    }
    return this.other(buf, start, end);
  }

  attachBody(frame: Command, body: Uint8Array): void {
    (frame as MsgCommand).body = body;
  }

  /**
   * `MSG <target> <len>` exactly as programs write it, in one forward pass: upper-case verb,
   * one space, a `#` or `@` target, one space, digits to the end of the line, a length from
   * 1 to maxBody, a valid target. Anything else (spaces or tabs around words, the seed's
   * one-line form, a bad target, a length over the limit: every error) returns null, and
   * msg() decides it in full; for a line this accepts, msg() would return the same frame.
   * (Profiling bench:codec showed the general path's several scans over the line, forward
   * and back, were most of the parse time.)
   */
  private msgExact(buf: Uint8Array, at: number, end: number): Command | null {
    const first = buf[at];
    if (first !== 35 && first !== 64) return null;
    let tEnd = at + 1;
    while (tEnd < end && buf[tEnd] !== SP && buf[tEnd] !== TAB) tEnd++;
    if (tEnd + 1 >= end || buf[tEnd] !== SP) return null;
    const maxBody = this.maxBody;
    let len = 0;
    for (let i = tEnd + 1; i < end; i++) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) return null;
      len = len * 10 + d;
      if (len > maxBody) return null;
    }
    if (len === 0) return null;
    const target = this.target(buf, at, tEnd);
    if (typeof target !== 'string') return null;
    this.bodyLength = len;
    return { type: 'MSG', target, body: EMPTY };
  }

  /**
   * `MSG <target> <len>`, read straight from the bytes: `at` is just past the verb. The
   * framing rule (spec section 7) is decided here once: the seed's one-line form first; else
   * a line whose last word is a plain length announces that many bytes of body, which are
   * skipped if the line is refused for any reason, so they are never read as commands.
   */
  private msg(buf: Uint8Array, at: number, end: number, lineEnd: number): Command | ProtocolError {
    const tStart = skipSpaces(buf, at, end);
    const tEnd = tokenEnd(buf, tStart, end);
    const lStart = skipSpaces(buf, tEnd, end);
    // The one-line form: the word after the target is digits and a literal `\r\n`.
    const seed = lStart < end ? findLiteralCrLf(buf, lStart, lineEnd) : -1;
    if (seed > lStart) {
      const target = this.target(buf, tStart, tEnd);
      if (typeof target !== 'string') return target;
      return this.seedForm(buf, target, lStart, seed, lineEnd);
    }
    let wStart = end;
    while (wStart > tStart && buf[wStart - 1] !== SP && buf[wStart - 1] !== TAB) wStart--;
    const len = announcedLength(buf, wStart, end);
    if (len > 0) {
      // The hot path: `MSG <target> <len>`, a valid target and a length within the limit.
      if (wStart === lStart && wStart !== tStart) {
        const target = this.target(buf, tStart, tEnd);
        if (typeof target === 'string' && len <= this.maxBody) {
          this.bodyLength = len;
          return { type: 'MSG', target, body: EMPTY };
        }
        this.bodyLength = skipBody(len);
        if (typeof target !== 'string') return target;
        return err(ErrorCode.BODY_TOO_LARGE, `Body of ${len} bytes is over the ${this.maxBody}-byte limit; its bytes are skipped`);
      }
      // A target missing (`MSG 5`) or words besides the target and the length.
      this.bodyLength = skipBody(len);
      return err(ErrorCode.BAD_SYNTAX, `Usage: MSG <#channel|@user> <length>; the ${len} bytes that follow are skipped`);
    }
    const target = this.target(buf, tStart, tEnd);
    if (typeof target !== 'string') return target;
    if (lStart === end) return err(ErrorCode.BAD_LENGTH, 'Body length is missing');
    if (tokenEnd(buf, lStart, end) !== end) {
      return syntax('MSG <#channel|@user> <length>, then the body on the next line');
    }
    // Not a plain length from 1 to the skip limit: say what is wrong with it.
    const bad = readLength(buf, lStart, end, this.maxBody);
    return typeof bad === 'number' ? err(ErrorCode.BAD_LENGTH, 'Body length is not valid') : bad;
  }

  /** The seed's one-line form: `MSG #general 5\\r\\nHello`, the body on the line itself. */
  private seedForm(buf: Uint8Array, target: string, lStart: number, seed: number, lineEnd: number): Command | ProtocolError {
    const len = readLength(buf, lStart, seed, this.maxBody);
    if (typeof len !== 'number') return len;
    const typed = lineEnd - (seed + 4);
    // The seed's own example (`MSG #general 16\\r\\nHello everyone!`) counts the line end
    // the user types after the body: one or two bytes more than typed mean LF or CRLF.
    if (len === typed) return { type: 'MSG', target, body: buf.slice(seed + 4, lineEnd) };
    if (len === typed + 1 || len === typed + 2) {
      const body = new Uint8Array(len);
      body.set(buf.subarray(seed + 4, lineEnd));
      if (len === typed + 2) body[typed] = 13;
      body[len - 1] = 10;
      return { type: 'MSG', target, body };
    }
    return err(ErrorCode.BAD_LENGTH, `Body length ${len} does not match the ${typed} bytes after \\r\\n`);
  }

  private target(buf: Uint8Array, start: number, end: number): string | ProtocolError {
    const last = this.lastTarget;
    if (last.length === end - start) {
      let same = true;
      for (let i = 0; same && i < last.length; i++) same = buf[start + i] === last.charCodeAt(i);
      if (same) return last;
    }
    const first = buf[start];
    if (first !== 35 && first !== 64) {
      return err(ErrorCode.BAD_TARGET, 'Recipient must be a channel (#name) or a user (@name)');
    }
    const name = readName(buf, start, end, first === 35 ? 'channel' : 'handle');
    if (typeof name === 'string') this.lastTarget = name;
    return name;
  }

  /**
   * `SAY <#channel|@user> <text>`: a MSG a person can type, the body being the rest of the
   * line after the target and the spaces after it (no length to count; one line only).
   */
  private say(buf: Uint8Array, start: number, end: number): Command | ProtocolError {
    const tStart = skipSpaces(buf, tokenEnd(buf, start, end), end);
    const tEnd = tokenEnd(buf, tStart, end);
    const bodyStart = skipSpaces(buf, tEnd, end);
    if (tStart === end || bodyStart === end) return syntax('SAY <#channel|@user> <text>');
    const target = this.target(buf, tStart, tEnd);
    if (typeof target !== 'string') return target;
    return { type: 'MSG', target, body: buf.slice(bodyStart, end), said: true };
  }

  private other(buf: Uint8Array, start: number, end: number): Command | ProtocolError {
    const verb = verbOf(buf, start, end);
    if (verb === 'SAY') return this.say(buf, start, end);
    if (verb === 'RE' || verb === 'FIX') return decodeSaid(verb, buf, start, end);
    if (verb === 'SEARCH') return decodeSearch(buf, start, end);
    if (verb === 'REPLY' || verb === 'EDIT') {
      const { result, bodyLength } = decodeBodied(verb, buf, start, end, this.maxBody);
      this.bodyLength = bodyLength;
      return result;
    }
    const args = words(buf, start, end).slice(1);
    if (MODERATION_VERBS.has(verb)) return decodeModeration(verb, args, buf, start, end);
    switch (verb) {
      case 'REG': {
        if (args.length < 1 || args.length > 2) return syntax('REG @handle [password]');
        const bad = nameProblem(args[0], 'handle');
        if (bad) return bad;
        if (args.length === 1) return { type: 'REG', handle: args[0] };
        if (utf8Length(args[1]) > LIMITS.maxPassword) {
          return err(ErrorCode.BAD_PASSWORD, `Password is longer than ${LIMITS.maxPassword} bytes`);
        }
        return { type: 'REG', handle: args[0], password: args[1] };
      }
      case 'RESUME': {
        if (args.length !== 2) return syntax('RESUME @handle <token>');
        const bad = nameProblem(args[0], 'handle');
        if (bad) return bad;
        if (!/^[A-Za-z0-9_-]+$/.test(args[1]) || args[1].length > LIMITS.maxToken) {
          return err(ErrorCode.BAD_TOKEN, 'That is not a session token; sign in with your password');
        }
        return { type: 'RESUME', handle: args[0], token: args[1] };
      }
      case 'PASSWORD': {
        if (args.length < 1 || args.length > 2) return syntax('PASSWORD [current] <new>');
        if (args.some((a) => utf8Length(a) > LIMITS.maxPassword)) {
          return err(ErrorCode.BAD_PASSWORD, `Password is longer than ${LIMITS.maxPassword} bytes`);
        }
        return args.length === 1 ? { type: 'PASSWORD', next: args[0] } : { type: 'PASSWORD', current: args[0], next: args[1] };
      }
      case 'TOPIC':
        return topic(buf, start, end, args);
      case 'SIGNOUT':
        if (args.length > 1 || (args.length === 1 && args[0].toUpperCase() !== 'ALL')) return syntax('SIGNOUT [ALL]');
        return { type: 'SIGNOUT', all: args.length === 1 };
      case 'JOIN':
      case 'LEAVE': {
        if (args.length !== 1) return syntax(`${verb} #channel`);
        const bad = nameProblem(args[0], 'channel');
        if (bad) return bad;
        return { type: verb, channel: args[0] };
      }
      case 'CREATE': {
        if (args.length < 1 || args.length > 2 || (args.length === 2 && args[1].toLowerCase() !== 'private')) return syntax('CREATE #channel [private]');
        return nameProblem(args[0], 'channel') ?? { type: 'CREATE', channel: args[0], private: args.length === 2 };
      }
      case 'INVITE':
        if (args.length !== 2) return syntax('INVITE #channel @handle');
        return nameProblem(args[0], 'channel') ?? nameProblem(args[1], 'handle') ?? { type: 'INVITE', channel: args[0], handle: args[1] };
      case 'USRS': {
        if (args.length > 1) return syntax('USRS [#channel]');
        if (args.length === 0) return { type: 'USRS' };
        return nameProblem(args[0], 'channel') ?? { type: 'USRS', channel: args[0] };
      }
      case 'HISTORY':
        return history(args);
      case 'READ':
      case 'REACT':
      case 'UNREACT':
      case 'TYPING':
      case 'THREAD':
      case 'THREADS':
        return decodeThreadCommand(verb, args);
      case 'PREF':
        return pref(buf, start, end, args);
      case 'BLOCK':
      case 'UNBLOCK': {
        if (args.length !== 1) return syntax(`${verb} @handle`);
        return nameProblem(args[0], 'handle') ?? { type: verb, handle: args[0] };
      }
      case 'PING':
        if (args.length > 1) return syntax('PING [token]');
        if (args.length === 0) return { type: 'PING' };
        // PONG echoes the token to a terminal: no control characters (an ESC could recolour it).
        if (hasControl(args[0])) return err(ErrorCode.BAD_SYNTAX, 'PING token must be printable');
        // Cut at 64 characters, never inside one (a lone surrogate would come back as U+FFFD).
        return { type: 'PING', token: args[0].length <= 64 ? args[0] : Array.from(args[0]).slice(0, 64).join('') };
      case 'MODE': {
        if (args.length === 0) return { type: 'MODE' };
        const mode = args[0].toLowerCase();
        if (args.length !== 1 || (mode !== 'text' && mode !== 'exact')) return syntax('MODE [text|exact]');
        return { type: 'MODE', mode };
      }
      case 'HELP':
        // HELP ignores what follows it: a lost person typing "help me" still gets help.
        return { type: 'HELP' };
      case 'CHNS':
        return chns(args);
      case 'MUTE':
      case 'UNMUTE':
      case 'UNREAD':
      case 'PREFS':
      case 'BLOCKS':
      case 'TOKEN':
      case 'TIME':
      case 'QUIT':
        if (args.length !== 0) return syntax(`${verb} takes no arguments`);
        return { type: verb };
      case 'MSG':
        return syntax('MSG <#channel|@user> <length>, then the body on the next line');
      default:
        return unknownCommand(buf, start, end);
    }
  }
}

function findLiteralCrLf(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i + 3 < end; i++) {
    const b = buf[i];
    if (b === BS) return buf[i + 1] === 114 && buf[i + 2] === BS && buf[i + 3] === 110 ? i : -1;
    if (b < 48 || b > 57) return -1;
  }
  return -1;
}

/** `CHNS [limit] [after <#channel>]`: a page of the channel list, sorted by name. */
function chns(args: string[]): Command | ProtocolError {
  const usage = 'CHNS [limit] [after #channel]';
  const cmd: Extract<Command, { type: 'CHNS' }> = { type: 'CHNS' };
  let i = 0;
  if (i < args.length && /^\d+$/.test(args[i])) {
    const limit = Number(args[i++]);
    if (limit < 1) return err(ErrorCode.BAD_SYNTAX, 'CHNS limit must be at least 1');
    cmd.limit = Math.min(limit, LIMITS.maxChannelsPage);
  }
  if (i < args.length) {
    if (args[i].toLowerCase() !== 'after' || i + 2 !== args.length) return syntax(usage);
    const bad = nameProblem(args[i + 1], 'channel');
    if (bad) return bad;
    cmd.after = args[i + 1];
  }
  return cmd;
}

/**
 * `TOPIC #channel [text]`: the text is the rest of the line, spaces kept; printable only (a
 * topic is shown in headers and on terminals), at most LIMITS.maxTopic bytes.
 */
function topic(buf: Uint8Array, start: number, end: number, args: string[]): Command | ProtocolError {
  if (args.length < 1) return syntax('TOPIC #channel [text]');
  const bad = nameProblem(args[0], 'channel');
  if (bad) return bad;
  if (args.length === 1) return { type: 'TOPIC', channel: args[0] };
  const at = skipSpaces(buf, tokenEnd(buf, skipSpaces(buf, tokenEnd(buf, start, end), end), end), end);
  const text = fromUtf8(buf.subarray(at, end));
  if (hasControl(text)) return err(ErrorCode.BAD_SYNTAX, 'A topic must be printable, on one line');
  if (utf8Length(text) > LIMITS.maxTopic) return err(ErrorCode.BAD_SYNTAX, `A topic is at most ${LIMITS.maxTopic} bytes`);
  return { type: 'TOPIC', channel: args[0], text };
}

const PREF_KEY = /^[A-Za-z0-9_.:#@-]+$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `PREF <key> [value]`: the value is the rest of the line, spaces kept, UTF-8 without control
 * characters (a setting is shown back, on terminals too), at most LIMITS.maxPrefValue bytes;
 * none clears the setting.
 */
function pref(buf: Uint8Array, start: number, end: number, args: string[]): Command | ProtocolError {
  if (args.length < 1) return syntax('PREF <key> [value]');
  const key = args[0];
  if (key.length > LIMITS.maxPrefKey || !PREF_KEY.test(key)) {
    return err(ErrorCode.BAD_SYNTAX, `A setting's key is 1 to ${LIMITS.maxPrefKey} letters, digits or _ . : # @ -`);
  }
  if (args.length === 1) return { type: 'PREF', key };
  const at = skipSpaces(buf, tokenEnd(buf, skipSpaces(buf, tokenEnd(buf, start, end), end), end), end);
  if (end - at > LIMITS.maxPrefValue) return err(ErrorCode.BAD_SYNTAX, `A setting's value is at most ${LIMITS.maxPrefValue} bytes`);
  let value: string;
  try {
    value = strictUtf8.decode(buf.subarray(at, end));
  } catch {
    return err(ErrorCode.BAD_SYNTAX, "A setting's value must be UTF-8 text");
  }
  if (hasControl(value)) return err(ErrorCode.BAD_SYNTAX, "A setting's value must be printable, on one line");
  return { type: 'PREF', key, value };
}

function history(args: string[]): Command | ProtocolError {
  const usage = 'HISTORY <#channel|@user> [limit] [before <id>|after <id>|around <id>]';
  if (args.length < 1 || args.length > 4) return syntax(usage);
  const target = args[0];
  const bad = conversationTarget('HISTORY', target);
  if (bad) return bad;
  const cmd: Extract<Command, { type: 'HISTORY' }> = { type: 'HISTORY', target };
  let i = 1;
  if (i < args.length && /^\d+$/.test(args[i])) {
    const limit = Number(args[i++]);
    if (limit < 1) return err(ErrorCode.BAD_SYNTAX, 'HISTORY limit must be at least 1');
    cmd.limit = Math.min(limit, LIMITS.maxHistory);
  }
  if (i < args.length) {
    const dir = args[i].toLowerCase();
    const id = args[i + 1];
    if ((dir !== 'before' && dir !== 'after' && dir !== 'around') || id === undefined || !/^\d{1,15}$/.test(id) || i + 2 !== args.length) {
      return syntax(usage);
    }
    // There is no message 0 to stand around (ids start at 1).
    if (dir === 'around' && Number(id) < 1) return err(ErrorCode.BAD_SYNTAX, 'HISTORY around needs the id of a message, 1 or more');
    cmd[dir] = Number(id);
  }
  return cmd;
}
