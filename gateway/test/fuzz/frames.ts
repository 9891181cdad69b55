/**
 * Reads what the server sends and checks every frame against sections 3 to 6 of the spec,
 * again without core/ (its decoder would accept whatever its encoder makes). Each frame is
 * sorted into one of three kinds, because the harness counts only replies:
 *
 * - `reply`: ends a command's answer (OK, ERR, END, TIME, PONG, BYE);
 * - `data`: CHN, USR, INFO, UNREAD lines, only ever just before their END;
 * - `event`: JOINED, LEFT, ONLINE, OFFLINE, NOTICE, HELLO, TOPIC, READ, PREF, and MSG frames, which are live
 *   deliveries unless they are the last <n> frames before `END HISTORY <n>` (a PREF line is
 *   news from another device, or one of the last <n> before `END PREFS <n>`).
 */

import { TelnetOutput } from './model-telnet.ts';

export type Frame = {
  kind: 'reply' | 'data' | 'event';
  type: string;
  line: string;
  /** Keys a reply matches in the model's `allow` lists (see model.ts). */
  keys: string[];
  body?: Uint8Array;
  /** Why the frame is malformed, when it is. */
  bad?: string;
};

const MAX_SERVER_LINE = 16_384;
const NAME = '[A-Za-z0-9_.-]{1,32}';
const CH = `#${NAME}`;
const USER = `@${NAME}`;
const TS = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';
const ID = '[1-9]\\d*';
/** Section 8's codes, plus those the server has grown since (refused at connect, channel caps). */
const CODES = new Set([
  'LINE_TOO_LONG', 'BAD_LENGTH', 'BODY_TOO_LARGE', 'UNKNOWN_COMMAND', 'BAD_SYNTAX', 'BAD_HANDLE', 'BAD_CHANNEL',
  'BAD_TARGET', 'BAD_PASSWORD', 'NOT_REGISTERED', 'ALREADY_REGISTERED', 'HANDLE_TAKEN', 'PASSWORD_REQUIRED',
  'WRONG_PASSWORD', 'RATE_LIMITED', 'TOO_MANY_CHANNELS', 'NOT_MEMBER', 'NO_SUCH_CHANNEL', 'NO_SUCH_USER',
  'STORE_FAILED', 'SERVER_BUSY', 'TOO_MANY_CONNECTIONS', 'SERVER_FULL', 'BAD_TOKEN', 'NOT_CLAIMED', 'TOO_MANY_PREFS',
]);

/** Each frame's line, by its first word. The text after the fixed words is free. */
const SHAPES: Record<string, { kind: Frame['kind']; re: RegExp }> = {
  HELLO: { kind: 'event', re: /^HELLO [^ ]+ 1 [^ ]+ .+$/ },
  OK: { kind: 'reply', re: new RegExp(`^OK( ${ID} ${TS}| MUTED [1-9]\\d*| [A-Za-z0-9_-]{43} ${TS})?$`) },
  ERR: { kind: 'reply', re: /^ERR ([A-Z_]+) [^ ].*$/ },
  END: { kind: 'reply', re: new RegExp(`^END (CHNS|USRS|HISTORY|HELP|UNREAD|PREFS) (0|[1-9]\\d*)$|^END TOPIC 1$|^END CHNS (0|[1-9]\\d*) MORE ${CH}$`) },
  TIME: { kind: 'reply', re: new RegExp(`^TIME ${TS}$`) },
  PONG: { kind: 'reply', re: /^PONG( [^ ]+)?$/ },
  BYE: { kind: 'reply', re: /^BYE [A-Z_]+ .+$/ },
  CHN: { kind: 'data', re: new RegExp(`^CHN ${CH} (0|[1-9]\\d*)$`) },
  USR: { kind: 'data', re: new RegExp(`^USR ${USER} (online|offline)( guest)?$`) },
  INFO: { kind: 'data', re: /^INFO( .*)?$/ },
  UNREAD: { kind: 'data', re: new RegExp(`^UNREAD (${CH}|${USER})( (0|[1-9]\\d*)){4}$`) },
  // A topic answers TOPIC, and is news when a member sets it: either way no reply of its own.
  TOPIC: { kind: 'event', re: new RegExp(`^TOPIC ${CH} (${USER}|-)( [^ ].*)?$`) },
  READ: { kind: 'event', re: new RegExp(`^READ (${CH}|${USER}) (0|[1-9]\\d*)$`) },
  // A setting: a line of a PREFS reply, or news from another of the user's connections.
  PREF: { kind: 'event', re: /^PREF [A-Za-z0-9_.:#@-]{1,64}( [^ ].*)?$/ },
  JOINED: { kind: 'event', re: new RegExp(`^JOINED ${CH} ${USER}$`) },
  LEFT: { kind: 'event', re: new RegExp(`^LEFT ${CH} ${USER}$`) },
  ONLINE: { kind: 'event', re: new RegExp(`^ONLINE ${USER}$`) },
  OFFLINE: { kind: 'event', re: new RegExp(`^OFFLINE ${USER}$`) },
  NOTICE: { kind: 'event', re: /^NOTICE .+$/ },
  MSG: { kind: 'event', re: new RegExp(`^MSG (${CH}|${USER}) ${USER} ${ID} ${TS} (0|[1-9]\\d*)$`) },
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The keys a reply line matches (model.ts): `ERR BAD_SYNTAX ...` is `ERR:BAD_SYNTAX`. */
export function replyKeys(line: string): string[] {
  const w = line.split(' ');
  switch (w[0]) {
    case 'OK':
      if (w.length === 1) return ['OK'];
      return [w[1] === 'MUTED' ? 'OK-MUTED' : /^\d+$/.test(w[1]) ? 'OK-MSG' : 'OK-TOKEN'];
    case 'ERR':
      return [`ERR:${w[1]}`];
    case 'END':
      return [`END:${w[1]}`];
    case 'PONG':
      return ['PONG', `PONG:${line.slice(5)}`];
    case 'BYE':
      return [`BYE:${w[1]}`];
    default:
      return [w[0]];
  }
}

function classify(line: string): Frame {
  const type = line.slice(0, Math.max(0, line.indexOf(' ')) || line.length);
  const shape = SHAPES[type];
  const frame: Frame = { kind: shape?.kind ?? 'event', type, line, keys: [] };
  if (shape === undefined) frame.bad = 'unknown frame';
  else if (!shape.re.test(line)) frame.bad = `malformed ${type}`;
  else if (type === 'ERR' && !CODES.has(line.split(' ')[1])) frame.bad = 'unknown ERR code';
  if (frame.kind === 'reply') frame.keys = replyKeys(line);
  return frame;
}

/**
 * A streaming reader of the server's bytes: lines end in CRLF (every one, section 1), a
 * MSG line is followed by its body and a CRLF. A frame that breaks the rules is still
 * handed on (with `bad` set) and the reader carries on at the next CRLF.
 */
export class ServerReader {
  private buf: Buffer = Buffer.alloc(0);
  private body: { frame: Frame; len: number } | null = null;
  private readonly emit: (f: Frame) => void;
  /**
   * On the TCP port: a 0xFF where a frame would start is the server's first telnet (its
   * `IAC DO BINARY` to a client that spoke telnet), and from there on telnet is undone.
   */
  private readonly telnetPort: boolean;
  private telnet: TelnetOutput | null = null;

  constructor(emit: (f: Frame) => void, telnetPort = false) {
    this.emit = emit;
    this.telnetPort = telnetPort;
  }

  /** True once the server speaks telnet to this connection. */
  get speaksTelnet(): boolean {
    return this.telnet !== null;
  }

  get pending(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): void {
    if (this.telnet !== null) chunk = this.telnet.undo(chunk);
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let pos = 0;
    for (;;) {
      if (this.body === null && this.telnetPort && this.telnet === null && this.buf[pos] === 0xff) {
        const telnet = new TelnetOutput((what) => this.emit({ kind: 'event', type: '?', line: what, keys: [], bad: 'telnet the server may not send' }));
        this.telnet = telnet;
        this.buf = Buffer.concat([this.buf.subarray(0, pos), telnet.undo(this.buf.subarray(pos))]);
        continue;
      }
      if (this.body !== null) {
        const { frame, len } = this.body;
        if (this.buf.length - pos < len + 2) break;
        frame.body = this.buf.subarray(pos, pos + len);
        if (this.buf[pos + len] !== 13 || this.buf[pos + len + 1] !== 10) frame.bad ??= 'MSG body not followed by CRLF';
        pos += len + 2;
        this.body = null;
        this.emit(frame);
        continue;
      }
      const lf = this.buf.indexOf(10, pos);
      if (lf === -1) {
        if (this.buf.length - pos > MAX_SERVER_LINE + 2) {
          this.emit({ kind: 'event', type: '?', line: '', keys: [], bad: 'line over 16384 bytes' });
          pos = this.buf.length;
        }
        break;
      }
      const raw = this.buf.subarray(pos, lf);
      pos = lf + 1;
      const frame = this.decodeLine(raw);
      if (frame.type === 'MSG' && frame.bad === undefined) {
        this.body = { frame, len: Number(frame.line.slice(frame.line.lastIndexOf(' ') + 1)) };
        continue;
      }
      this.emit(frame);
    }
    this.buf = pos === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(pos);
  }

  private decodeLine(raw: Buffer): Frame {
    let bad: string | undefined;
    if (raw.length === 0 || raw[raw.length - 1] !== 13) bad = 'line not ended by CRLF';
    const content = bad ? raw : raw.subarray(0, raw.length - 1);
    if (content.length > MAX_SERVER_LINE) bad ??= 'line over 16384 bytes';
    if (content.some((b) => b < 32 || b === 127)) bad ??= 'control character in a line';
    let line: string;
    try {
      line = utf8.decode(content);
    } catch {
      line = content.toString('latin1');
      bad ??= 'line is not UTF-8';
    }
    const frame = classify(line);
    if (bad !== undefined) frame.bad = bad;
    return frame;
  }
}
