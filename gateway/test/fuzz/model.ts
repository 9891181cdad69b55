/**
 * An independent model of the client-to-server wire (docs/PROTOCOL.md sections 1, 2, 7),
 * written from the spec text and NOT from core/: a fuzzer that reused the server's parser
 * would agree with every bug in it. For any bytes it predicts what the server owes: one
 * reply per command, in order, each as the set of replies the spec allows, and where the
 * stream stands at the end (a body still owed, a half line), so the harness can bring the
 * stream back to a line boundary before its sentinel PING.
 *
 * Where the spec leaves the order of checks open (a bad target AND a bad length), the model
 * allows every code that applies; where it is exact (an over-long line, the body rule), the
 * model is exact. Replies are matched by keys: `OK`, `OK-MSG` (`OK <id> <ts>`), `OK-MUTED`,
 * `ERR:<CODE>`, `END:<VERB>`, `TIME`, `PONG` (any token), `PONG:<token>`, `BYE:QUIT`.
 */

import { chatReplies } from './model-chat.ts';
import { TelnetInput, type TelnetState } from './model-telnet.ts';

/** Spec section 7 limits, restated here on purpose (not imported from core/limits.ts). */
export const MAX_LINE = 4096;
export const MAX_BODY = 65_536;
export const MAX_SKIP = 1_048_576;

const LF = 10;
const CR = 13;
const SP = 32;
const TAB = 9;

/**
 * What the model knows of the connection's own state, for the replies that depend on it.
 * `telnet`: whether it is the TCP port's and has spoken telnet (model-telnet.ts).
 */
export type Session = { registered: boolean; joined: Set<string>; muted: boolean; telnet: TelnetState };
export const freshSession = (): Session => ({ registered: true, joined: new Set(['#general']), muted: false, telnet: 'ready' });
const copySession = (s: Session): Session => ({ registered: s.registered, joined: new Set(s.joined), muted: s.muted, telnet: s.telnet });

/** One reply the server owes: `label` names the rule that predicted it, for reports. */
export type Expect = { label: string; cmd: string; allow: string[] };

type Mode = 'line' | 'toolong' | 'body' | 'after' | 'afterCr' | 'closed';

const isSpace = (b: number) => b === SP || b === TAB;
const isDigit = (b: number) => b >= 48 && b <= 57;
const isNameByte = (b: number) =>
  (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || isDigit(b) || b === 95 || b === 45 || b === 46;

/** Words of a line: maximal runs of bytes other than space and tab (section 1). */
function words(line: Uint8Array): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && isSpace(line[i])) i++;
    const start = i;
    while (i < line.length && !isSpace(line[i])) i++;
    if (i > start) out.push({ start, end: i });
  }
  return out;
}

/** Verbs are case-insensitive: ASCII letters only fold (a-z to A-Z), nothing else does. */
function upperAscii(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x >= 97 && x <= 122 ? x - 32 : x);
  return s;
}

/** Value of a digits-only word, capped so a long run of digits stays a finite number. */
function digitsValue(w: Uint8Array): number | null {
  if (w.length === 0) return null;
  let n = 0;
  for (const b of w) {
    if (!isDigit(b)) return null;
    n = Math.min(n * 10 + (b - 48), 1e12);
  }
  return n;
}

/** Section 4: a sigil and 1 to 32 of letters, digits, `_`, `-`, `.`. */
function validName(w: Uint8Array, sigil: number): boolean {
  if (w[0] !== sigil || w.length < 2 || w.length > 33) return false;
  for (let i = 1; i < w.length; i++) if (!isNameByte(w[i])) return false;
  return true;
}

/** Codes a bad MSG/HISTORY target may get; empty when the target is fine. */
function targetProblems(w: Uint8Array | undefined): string[] {
  if (w === undefined) return ['ERR:BAD_TARGET', 'ERR:BAD_SYNTAX'];
  if (w[0] === 35) return validName(w, 35) ? [] : ['ERR:BAD_CHANNEL', 'ERR:BAD_TARGET'];
  if (w[0] === 64) return validName(w, 64) ? [] : ['ERR:BAD_HANDLE', 'ERR:BAD_TARGET'];
  return ['ERR:BAD_TARGET'];
}

const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
const key = (w: Uint8Array) => latin1(w).toLowerCase();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Printable, escaped and cut text of a line, for failure reports. */
export function shortEscape(b: Uint8Array, max = 80): string {
  let s = '';
  for (let i = 0; i < b.length && s.length < max; i++) {
    const c = b[i];
    s += c === 92 ? '\\\\' : c >= 32 && c < 127 ? String.fromCharCode(c) : c === CR ? '\\r' : c === LF ? '\\n' : c === TAB ? '\\t' : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return s.length >= max ? `${s}…(${b.length} bytes)` : s;
}

export class WireModel {
  readonly expects: Expect[] = [];
  /** A QUIT ran: the server says BYE and closes, nothing after it is read. */
  quit = false;
  session: Session;
  private mode: Mode = 'line';
  private partial: Uint8Array[] = [];
  private partialLen = 0;
  private bodyLeft = 0;
  /** The reply of the MSG whose body is being read, if it waits for the body (-1: it came at once). */
  private bodyReply = -1;
  private readonly telnet: TelnetInput;

  constructor(session: Session = freshSession()) {
    this.session = copySession(session);
    this.telnet = new TelnetInput(this.session.telnet, {
      data: (bytes) => this.frame(bytes),
      inBody: () => this.mode === 'body',
      spoke: () => {
        this.session.telnet = 'on';
      },
      discard: () => this.discard(),
      ayt: () => this.ayt(),
    });
  }

  /** Body bytes the server still expects (announced by a MSG line and not yet sent). */
  get pendingBody(): number {
    return this.mode === 'body' ? this.bodyLeft : 0;
  }

  /** True at a line boundary: the next byte starts a command. */
  get idle(): boolean {
    return this.mode === 'closed' || ((this.mode === 'line' || this.mode === 'after' || this.mode === 'afterCr') && this.partialLen === 0);
  }

  /** Where the stream stands, for reports and unit tests. */
  get state(): string {
    return this.mode === 'line' && this.partialLen > 0 ? `partial line of ${this.partialLen} bytes` : this.mode === 'body' ? `body, ${this.bodyLeft} bytes owed` : this.mode;
  }

  /**
   * Bytes that bring the stream to a line boundary, or null when it is at one: the body
   * still owed (padding), else an LF that ends the half line. Feeding them may announce a
   * new body, so the harness asks again until null.
   */
  closingBytes(): Uint8Array | null {
    const telnet = this.mode === 'closed' ? null : this.telnet.closing();
    if (telnet !== null) return telnet;
    if (this.idle) return null;
    if (this.mode === 'body') return new Uint8Array(this.bodyLeft).fill(46); // '.'
    return Uint8Array.of(LF);
  }

  /** Client bytes, through telnet (model-telnet.ts) to the framing. */
  feed(chunk: Uint8Array): this {
    if (this.mode !== 'closed') this.telnet.feed(chunk);
    return this;
  }

  /**
   * Telnet's IP, AO, EL or BRK: the half line is dropped; inside a body the message is, and
   * its reply with it unless the line was refused at once (its ERR is out).
   */
  private discard(): void {
    if (this.mode === 'closed') return;
    if (this.mode === 'body' && this.bodyReply !== -1) this.expects.splice(this.bodyReply, 1);
    this.mode = 'line';
    this.partial = [];
    this.partialLen = 0;
    this.bodyLeft = 0;
  }

  /**
   * Telnet's AYT: a PONG, after the replies to what came before it. Inside the body of a MSG
   * whose reply waits for the body, that reply comes after the PONG.
   */
  private ayt(): void {
    if (this.mode === 'closed') return;
    if (this.mode === 'body' && this.bodyReply !== -1) {
      this.expects.splice(this.bodyReply, 0, { label: 'AYT', cmd: '(IAC AYT)', allow: ['PONG:'] });
      this.bodyReply++;
    } else this.push('AYT', '(IAC AYT)', ['PONG:']);
  }

  /** Bytes after telnet: lines and bodies (section 1). */
  private frame(chunk: Uint8Array): void {
    let pos = 0;
    const n = chunk.length;
    while (pos < n && this.mode !== 'closed') {
      switch (this.mode) {
        case 'body': {
          const take = Math.min(this.bodyLeft, n - pos);
          this.bodyLeft -= take;
          pos += take;
          if (this.bodyLeft === 0) this.mode = 'after';
          break;
        }
        case 'after': // one optional line end after a body: CRLF, LF or a lone CR
          if (chunk[pos] === LF) pos++;
          else if (chunk[pos] === CR) {
            pos++;
            this.mode = 'afterCr';
            break;
          }
          this.mode = 'line';
          break;
        case 'afterCr':
          if (chunk[pos] === LF) pos++;
          this.mode = 'line';
          break;
        case 'toolong': {
          const lf = chunk.indexOf(LF, pos);
          if (lf === -1) pos = n;
          else {
            pos = lf + 1;
            this.mode = 'line';
          }
          break;
        }
        case 'line': {
          const lf = chunk.indexOf(LF, pos);
          const end = lf === -1 ? n : lf;
          this.partial.push(chunk.subarray(pos, end));
          this.partialLen += end - pos;
          pos = lf === -1 ? n : lf + 1;
          // Longer than the limit plus a CR that may precede the LF: too long whatever comes.
          if (this.partialLen > MAX_LINE + 1) {
            this.partial = [];
            this.partialLen = 0;
            this.mode = 'toolong';
            // Answered as soon as it is too long (before an AYT that comes in the rest of it).
            this.push('LINE_TOO_LONG', '(over-long line)', ['ERR:LINE_TOO_LONG']);
            if (lf !== -1) pos = end; // let 'toolong' see this LF
          } else if (lf !== -1) {
            let line: Uint8Array = this.partial.length === 1 ? this.partial[0] : Buffer.concat(this.partial);
            this.partial = [];
            this.partialLen = 0;
            if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
            if (line.length > MAX_LINE) this.push('LINE_TOO_LONG', shortEscape(line), ['ERR:LINE_TOO_LONG']);
            else this.line(line);
          }
          break;
        }
      }
    }
  }

  private push(label: string, cmd: string, allow: string[]): void {
    this.expects.push({ label, cmd, allow: [...new Set(allow)] });
  }

  /** One complete line, its line end (LF, and one CR before it) removed. */
  private line(line: Uint8Array): void {
    const ws = words(line);
    if (ws.length === 0) return; // blank, or only spaces and tabs
    const w = ws.map((x) => line.subarray(x.start, x.end));
    // A leading `/` (IRC and Slack habits) is dropped from the verb; a lone `/` is a word.
    if (w[0][0] === 47 && w[0].length > 1) w[0] = w[0].subarray(1);
    const verb = upperAscii(w[0]);
    const args = w.slice(1);
    const cmd = shortEscape(line);
    const s = this.session;
    // Commands that need REG; a syntax error may be reported before or after NOT_REGISTERED.
    const needsReg = (label: string, syntax: string[], ok: string[]) =>
      this.push(label, cmd, s.registered ? (syntax.length ? syntax : ok) : [...syntax, 'ERR:NOT_REGISTERED']);
    switch (verb) {
      case 'MSG':
        return this.msg(line, ws, w, cmd);
      case 'REG': {
        const syntax: string[] = [];
        if (args.length < 1 || args.length > 2) syntax.push('ERR:BAD_SYNTAX');
        else {
          if (!validName(args[0], 64)) syntax.push('ERR:BAD_HANDLE');
          if (args.length === 2 && args[1].length > 128) syntax.push('ERR:BAD_PASSWORD');
        }
        if (s.registered) return this.push('REG', cmd, [...syntax, 'ERR:ALREADY_REGISTERED']);
        // Unregistered: whether it succeeds depends on who else is online.
        return this.push('REG', cmd, syntax.length ? syntax : ['OK', 'ERR:HANDLE_TAKEN', 'ERR:PASSWORD_REQUIRED', 'ERR:WRONG_PASSWORD', 'ERR:RATE_LIMITED']);
      }
      case 'JOIN':
      case 'LEAVE': {
        const syntax = args.length !== 1 ? ['ERR:BAD_SYNTAX'] : validName(args[0], 35) ? [] : ['ERR:BAD_CHANNEL'];
        if (verb === 'JOIN') {
          needsReg('JOIN', syntax, ['OK']);
          if (s.registered && !syntax.length) s.joined.add(key(args[0]));
        } else {
          const member = !syntax.length && s.joined.has(key(args[0]));
          needsReg('LEAVE', syntax, member ? ['OK'] : ['ERR:NOT_MEMBER', 'ERR:NO_SUCH_CHANNEL']);
          if (!syntax.length) s.joined.delete(key(args[0]));
        }
        return;
      }
      case 'MUTE':
      case 'UNMUTE':
        needsReg(verb, args.length ? ['ERR:BAD_SYNTAX'] : [], ['OK']);
        if (!args.length && s.registered) s.muted = verb === 'MUTE';
        return;
      case 'HISTORY': {
        const syntax = historySyntax(args);
        const ok = this.historyReplies(args[0]);
        // 'either' marks a line the spec does not settle: a syntax error or a normal reply.
        return syntax[0] === 'either' ? needsReg('HISTORY', [], ['ERR:BAD_SYNTAX', ...ok]) : needsReg('HISTORY', syntax, ok);
      }
      case 'CHNS':
        return this.push('CHNS', cmd, chnsReplies(args));
      case 'USRS':
        if (args.length > 1) return this.push('USRS', cmd, ['ERR:BAD_SYNTAX']);
        if (args.length === 0) return this.push('USRS', cmd, ['END:USRS']);
        return this.push('USRS', cmd, validName(args[0], 35) ? ['END:USRS', 'ERR:NO_SUCH_CHANNEL'] : ['ERR:BAD_CHANNEL', 'ERR:BAD_SYNTAX']);
      case 'HELP':
        return this.push('HELP', cmd, ['END:HELP']); // HELP takes anything after it
      case 'TIME':
        return this.push('TIME', cmd, args.length ? ['ERR:BAD_SYNTAX'] : ['TIME']);
      case 'PING':
        return this.push('PING', cmd, pingReplies(args));
      case 'QUIT':
        if (args.length) return this.push('QUIT', cmd, ['ERR:BAD_SYNTAX']);
        this.push('QUIT', cmd, ['BYE:QUIT']);
        this.quit = true;
        this.mode = 'closed';
        return;
      default: {
        const rest = args.length >= 2 ? line.subarray(ws[2].start, ws[ws.length - 1].end) : new Uint8Array(0);
        return this.push(verb, cmd, chatReplies(verb, args, rest, s) ?? ['ERR:UNKNOWN_COMMAND']);
      }
    }
  }

  private historyReplies(target: Uint8Array | undefined): string[] {
    if (target !== undefined && target[0] === 35 && this.session.joined.has(key(target))) return ['END:HISTORY'];
    return ['END:HISTORY', 'ERR:NOT_MEMBER', 'ERR:NO_SUCH_CHANNEL', 'ERR:NO_SUCH_USER'];
  }

  /**
   * The body rule of section 7, decided on the words after the verb (W1..Wk):
   * (1) W2 is digits then the literal `\r\n`: the one-line form, nothing after the line is
   *     body; (2) else the last word is a plain number 1..1 MiB: that many bytes of body and
   *     one optional line end follow, whether the line is accepted or refused; (3) else
   *     nothing is announced, and the line is refused.
   */
  private msg(line: Uint8Array, ws: { start: number; end: number }[], w: Uint8Array[], cmd: string): void {
    const args = w.slice(1);
    const k = args.length;
    const seed = k >= 2 ? seedDigits(args[1]) : 0;
    if (seed > 0) {
      const len = digitsValue(args[1].subarray(0, seed))!;
      const typed = line.length - (ws[2].start + seed + 4); // the rest of the line is the body
      const problems = [...targetProblems(args[0])];
      if (len === 0) problems.push('ERR:BAD_LENGTH');
      else if (len > MAX_BODY) problems.push('ERR:BODY_TOO_LARGE', 'ERR:BAD_LENGTH');
      else if (len !== typed && len !== typed + 1 && len !== typed + 2) problems.push('ERR:BAD_LENGTH');
      return this.msgReply('MSG one-line', cmd, args[0], problems);
    }
    const last = k >= 1 ? digitsValue(args[k - 1]) : null;
    if (last !== null && last >= 1 && last <= MAX_SKIP) {
      const problems: string[] = [];
      if (k !== 2) problems.push('ERR:BAD_SYNTAX', ...(k === 1 ? ['ERR:BAD_TARGET'] : []));
      if (k >= 2) problems.push(...targetProblems(args[0]));
      if (last > MAX_BODY) problems.push('ERR:BODY_TOO_LARGE');
      this.msgReply(`MSG announcing a body (${wordCount(k)})`, cmd, args[0], problems);
      // A refused line is answered at once; an accepted one once its body is in.
      this.bodyReply = problems.length ? -1 : this.expects.length - 1;
      this.mode = 'body';
      this.bodyLeft = last;
      return;
    }
    // Nothing announced: always refused. Which sentence is a matter of check order.
    const problems = ['ERR:BAD_LENGTH', 'ERR:BAD_SYNTAX'];
    if (k >= 1) problems.push(...targetProblems(args[0]));
    if (last !== null && last > MAX_SKIP) problems.push('ERR:BODY_TOO_LARGE');
    this.push(`MSG announcing nothing (${wordCount(k)})`, cmd, problems);
  }

  private msgReply(label: string, cmd: string, target: Uint8Array, problems: string[]): void {
    const s = this.session;
    if (problems.length) return this.push(label, cmd, s.registered ? problems : [...problems, 'ERR:NOT_REGISTERED']);
    if (!s.registered) return this.push(label, cmd, ['ERR:NOT_REGISTERED']);
    const ok = s.muted ? 'OK-MUTED' : 'OK-MSG';
    if (target[0] === 35) {
      return this.push(label, cmd, s.joined.has(key(target)) ? [ok] : ['ERR:NOT_MEMBER', 'ERR:NO_SUCH_CHANNEL', ok]);
    }
    this.push(label, cmd, [ok, 'ERR:NO_SUCH_USER']);
  }
}

const wordCount = (k: number) => (k === 1 ? '1 word' : k === 2 ? '2 words' : k === 0 ? 'no words' : '3+ words');

/** Digits at the start of `w` when they are followed at once by the 4 characters `\r\n`. */
function seedDigits(w: Uint8Array): number {
  let i = 0;
  while (i < w.length && isDigit(w[i])) i++;
  return i > 0 && w[i] === 92 && w[i + 1] === 114 && w[i + 2] === 92 && w[i + 3] === 110 ? i : 0;
}

/** `PING [token]`: the token echoed, cut to 64 characters; a control character is refused. */
function pingReplies(args: Uint8Array[]): string[] {
  if (args.length > 1) return ['ERR:BAD_SYNTAX'];
  if (args.length === 0) return ['PONG:'];
  if (args[0].some((b) => b < 32 || b === 127)) return ['ERR:BAD_SYNTAX'];
  try {
    return [`PONG:${Array.from(utf8Strict.decode(args[0])).slice(0, 64).join('')}`];
  } catch {
    return ['PONG']; // not UTF-8: how it is shown back is not the spec's business
  }
}

/** `CHNS [limit] [after <#channel>]` (section 2): a limit of 0 or a non-number is BAD_SYNTAX. */
function chnsReplies(args: Uint8Array[]): string[] {
  let i = 0;
  const limit = args.length ? digitsValue(args[0]) : null;
  if (limit !== null) {
    if (limit === 0) return ['ERR:BAD_SYNTAX'];
    i++;
  }
  if (i === args.length) return ['END:CHNS'];
  if (i + 2 !== args.length || !/^after$/i.test(latin1(args[i]))) return ['ERR:BAD_SYNTAX'];
  const ok = validName(args[i + 1], 35) ? ['END:CHNS'] : ['ERR:BAD_CHANNEL', 'ERR:BAD_SYNTAX'];
  // The spec writes the word in lower case; whether `AFTER` is the same word it does not say.
  return latin1(args[i]) === 'after' ? ok : [...ok, 'ERR:BAD_SYNTAX'];
}

/** `HISTORY <#channel|@user> [limit] [before <id>|after <id>|around <id>]`: syntax codes, or none. */
function historySyntax(args: Uint8Array[]): string[] {
  if (args.length < 1 || args.length > 4) return ['ERR:BAD_SYNTAX'];
  const bad = targetProblems(args[0]);
  if (bad.length) return bad;
  let i = 1;
  const limit = i < args.length ? digitsValue(args[i]) : null;
  if (limit !== null) {
    if (limit === 0) return ['ERR:BAD_SYNTAX'];
    i++;
  }
  if (i === args.length) return [];
  const dir = latin1(args[i]);
  const id = i + 1 < args.length ? digitsValue(args[i + 1]) : null;
  if (i + 2 !== args.length || id === null || !/^(before|after|around)$/i.test(dir)) return ['ERR:BAD_SYNTAX'];
  // There is no message 0 to stand around.
  if (/^around$/i.test(dir) && id === 0) return ['ERR:BAD_SYNTAX'];
  // The spec names the words in lower case and says nothing of huge ids: allow both readings.
  if (dir !== dir.toLowerCase() || args[i + 1].length > 15) return ['either'];
  return [];
}
