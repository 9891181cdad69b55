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
import { ConvLog } from './model-log.ts';
import { bodiedReply, idOf, knownHistory, logReplies, readThread } from './model-log-commands.ts';
import {
  CR, LF, MAX_BODY, MAX_LINE, MAX_SKIP, chnsReplies, digitsValue, historySyntax, key, pingReplies, seedDigits, shortEscape,
  targetProblems, upperAscii, validName, wordCount, words,
} from './model-syntax.ts';

export { MAX_BODY, MAX_LINE, MAX_SKIP, shortEscape };

/**
 * What the model knows of the connection's own state, for the replies that depend on it.
 * `telnet`: whether it is the TCP port's and has spoken telnet (model-telnet.ts).
 */
/**
 * `handle`: this connection's, as it registered; `logs`: the conversations whose whole log
 * the model knows (a channel made fresh for the case), by lower-case name (model-log.ts).
 */
export type Session = {
  registered: boolean; joined: Set<string>; muted: boolean; telnet: TelnetState; handle: string; logs: Map<string, ConvLog>;
  /** Whether others' TYPING events are sent here (TYPING ON/OFF; off on TCP at first), null: unsure. */
  typing: boolean | null; typingSet?: boolean;
};
export const freshSession = (): Session => ({ registered: true, joined: new Set(['#general']), muted: false, telnet: 'ready', handle: '@fuzz', logs: new Map(), typing: false });
const copySession = (s: Session): Session => ({
  ...s,
  typingSet: false,
  joined: new Set(s.joined),
  logs: new Map([...s.logs].map(([k, log]) => [k, log.clone()])),
});

/**
 * One reply the server owes: `label` names the rule that predicted it, for reports. `frames`:
 * for a data reply the model can tell exactly (HISTORY and THREAD of a known log), the frames
 * before its END, as model-log.ts writes them.
 */
export type Expect = { label: string; cmd: string; allow: string[]; frames?: string[]; /** THREADS: only the lines of this target, in any order */ only?: string };

type Mode = 'line' | 'toolong' | 'body' | 'after' | 'afterCr' | 'closed';

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
  /** A body the model reads for a known log: its bytes so far, and what it decides once in. */
  private bodyBytes: Uint8Array[] | null = null;
  private onBody: ((body: Uint8Array) => string[]) | null = null;
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

  /** Replies owed now: those predicted, but for an accepted line's whose body is still to come. */
  get owedNow(): number {
    return this.expects.length - (this.mode === 'body' && this.bodyReply !== -1 ? 1 : 0);
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
    this.onBody = null;
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
          if (this.onBody !== null) this.bodyBytes!.push(chunk.subarray(pos, pos + take));
          this.bodyLeft -= take;
          pos += take;
          if (this.bodyLeft === 0) {
            this.mode = 'after';
            if (this.onBody !== null && this.bodyReply !== -1) this.expects[this.bodyReply].allow = this.onBody(Buffer.concat(this.bodyBytes!));
            this.onBody = null;
          }
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
      case 'REPLY':
      case 'EDIT':
        return this.bodied(verb, line, ws, w, cmd);
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
        const exact = syntax.length === 0 && s.registered ? knownHistory(s, args) : null;
        if (exact !== null) return this.expects.push({ label: 'HISTORY of a known log', cmd, ...exact }), undefined;
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
        if (verb === 'READ' && args.length === 4) return this.push('READ THREAD', cmd, readThread(args, s)!);
        const chat = chatReplies(verb, args, rest, s);
        if (chat !== null) return this.push(verb, cmd, chat);
        const restFrom = (i: number) => line.subarray(ws[i + 1].start, ws[ws.length - 1].end);
        const log = logReplies(verb, args, restFrom, s);
        if (log === null) return this.push(verb, cmd, ['ERR:UNKNOWN_COMMAND']);
        return this.expects.push({ label: verb, cmd, allow: [...new Set(log.allow)], frames: log.frames, only: log.only }), undefined;
      }
    }
  }

  private historyReplies(target: Uint8Array | undefined): string[] {
    if (target !== undefined && target[0] === 35 && this.session.joined.has(key(target))) return ['END:HISTORY'];
    return ['END:HISTORY', 'ERR:NOT_MEMBER', 'ERR:NO_SUCH_CHANNEL', 'ERR:NO_SUCH_USER'];
  }

  /**
   * The body rule of section 7, decided on the words after the verb (W1..Wk; for REPLY a
   * last word ALSO, in any case, is set aside first): (1) for MSG only, W2 is digits then the
   * literal `\r\n`: the one-line form, nothing after the line is body; (2) else the last word
   * is a plain number 1..1 MiB: that many bytes of body and one optional line end follow,
   * whether the line is accepted or refused; (3) else nothing is announced, and the line is
   * refused.
   */
  private bodied(verb: string, line: Uint8Array, ws: { start: number; end: number }[], w: Uint8Array[], cmd: string): void {
    let args = w.slice(1);
    const also = verb === 'REPLY' && args.length > 0 && upperAscii(args[args.length - 1]) === 'ALSO';
    if (also) args = args.slice(0, -1);
    const k = args.length;
    const seed = verb === 'MSG' && k >= 2 ? seedDigits(args[1]) : 0;
    if (seed > 0) {
      const len = digitsValue(args[1].subarray(0, seed))!;
      const start = ws[2].start + seed + 4;
      const typed = line.length - start; // the rest of the line is the body
      const problems = [...targetProblems(args[0])];
      if (len === 0) problems.push('ERR:BAD_LENGTH');
      else if (len > MAX_BODY) problems.push('ERR:BODY_TOO_LARGE', 'ERR:BAD_LENGTH');
      else if (len !== typed && len !== typed + 1 && len !== typed + 2) problems.push('ERR:BAD_LENGTH');
      const body = Buffer.concat([line.subarray(start), Buffer.from('\r\n'.slice(2 - (len - typed)))]);
      this.msgReply('MSG one-line', cmd, args[0], problems);
      if (!problems.length && this.session.registered) {
        const e = this.expects[this.expects.length - 1];
        e.allow = bodiedReply(this.session, e.allow, args[0], 'MSG', body);
      }
      return;
    }
    // MSG <target> <len>; REPLY <target> <root-id> <len> [ALSO]; EDIT <target> <id> <len>.
    const want = verb === 'MSG' ? 2 : 3;
    const last = k >= 1 ? digitsValue(args[k - 1]) : null;
    if (last !== null && last >= 1 && last <= MAX_SKIP) {
      const problems: string[] = [];
      if (k !== want) problems.push('ERR:BAD_SYNTAX', ...(k === 1 ? ['ERR:BAD_TARGET'] : []), ...(k === 2 ? ['ERR:BAD_LENGTH'] : []));
      if (k >= 2) problems.push(...targetProblems(args[0]));
      if (want === 3 && k === 3 && idOf(args[1]) === 'bad') problems.push('ERR:BAD_SYNTAX');
      // An id past 15 digits: refused at once as no number, or looked for and not found.
      const huge = want === 3 && k === 3 && idOf(args[1]) === 'huge' && !problems.length;
      if (last > MAX_BODY) problems.push('ERR:BODY_TOO_LARGE');
      this.msgReply(`${verb} announcing a body (${wordCount(k)})`, cmd, args[0], problems, verb);
      if (huge) this.expects[this.expects.length - 1].allow.push('ERR:BAD_SYNTAX');
      // A refused line is answered at once; an accepted one once its body is in.
      this.bodyReply = problems.length || !this.session.registered ? -1 : this.expects.length - 1;
      this.mode = 'body';
      this.bodyLeft = last;
      if (this.bodyReply !== -1) {
        const id = want === 3 ? idOf(args[1]) : 0;
        this.bodyBytes = [];
        this.onBody = (body) => bodiedReply(this.session, this.expects[this.bodyReply].allow, args[0], verb, body, id === 'bad' ? 0 : id, also);
      }
      return;
    }
    // Nothing announced: always refused. Which sentence is a matter of check order.
    const problems = ['ERR:BAD_LENGTH', 'ERR:BAD_SYNTAX'];
    if (k >= 1) problems.push(...targetProblems(args[0]));
    if (last !== null && last > MAX_SKIP) problems.push('ERR:BODY_TOO_LARGE');
    this.push(`${verb} announcing nothing (${wordCount(k)})`, cmd, problems);
  }

  private msgReply(label: string, cmd: string, target: Uint8Array, problems: string[], verb = 'MSG'): void {
    const s = this.session;
    if (problems.length) return this.push(label, cmd, s.registered ? problems : [...problems, 'ERR:NOT_REGISTERED']);
    if (!s.registered) return this.push(label, cmd, ['ERR:NOT_REGISTERED']);
    // Mute holds back MSGs only (section 2, MUTE).
    const ok = s.muted && verb === 'MSG' ? 'OK-MUTED' : 'OK-MSG';
    const loose = verb === 'REPLY' ? ['ERR:NO_SUCH_MESSAGE'] : verb === 'EDIT' ? ['ERR:NO_SUCH_MESSAGE', 'ERR:NOT_AUTHOR'] : [];
    if (target[0] === 35) {
      return this.push(label, cmd, s.joined.has(key(target)) ? [ok, ...loose] : ['ERR:NOT_MEMBER', 'ERR:NO_SUCH_CHANNEL', ok, ...loose]);
    }
    this.push(label, cmd, [ok, 'ERR:NO_SUCH_USER', ...loose]);
  }
}
