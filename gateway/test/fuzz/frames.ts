/**
 * Reads what the server sends and checks every frame against sections 3 to 6 of the spec,
 * again without core/ (its decoder would accept whatever its encoder makes). Each frame is
 * sorted into one of three kinds, because the harness counts only replies:
 *
 * - `reply`: ends a command's answer (OK, ERR, END, TIME, PONG, BYE);
 * - `data`: CHN, USR, INFO, UNREAD, FOLLOWING lines, only ever just before their END, and the
 *   state lines (EDITED, DELETED, REACTION, REPLIES), only right after a frame of a HISTORY
 *   or THREAD reply;
 * - `event`: JOINED, LEFT, ONLINE, OFFLINE, NOTICE, HELLO, TOPIC, READ, PREF, TYPING, and the
 *   logged frames (MSG, REPLY, EDIT, DELETE, REACT, UNREACT), which are live deliveries unless
 *   they are the last <n> frames before `END HISTORY <n>` or `END THREAD <n>` (a PREF line is
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
  /** For a reply: the frames that came since the reply before it (events, its data lines). */
  since?: Frame[];
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
  'NO_SUCH_MESSAGE', 'NOT_AUTHOR', 'BAD_REACTION', 'TOO_MANY_REACTIONS', 'UNDELIVERABLE', 'TOO_MANY_BLOCKS', 'SELF_TARGET', 'CHANNEL_TAKEN',
  'NOT_OP', 'NOT_ADMIN', 'BANNED', 'SUSPENDED',
]);
/** A target of a conversation: a channel, or a user. */
const CONV = `(${CH}|${USER})`;
const N = '(0|[1-9]\\d*)';
/** A reaction: one word (the model checks it is the emoji it expects). */
const EMOJI = '[^ ]{1,64}';

/** Each frame's line, by its first word. The text after the fixed words is free. */
const SHAPES: Record<string, { kind: Frame['kind']; re: RegExp }> = {
  HELLO: { kind: 'event', re: /^HELLO [^ ]+ 1 [^ ]+ .+$/ },
  OK: { kind: 'reply', re: new RegExp(`^OK( ${ID} ${TS}| MUTED [1-9]\\d*| [A-Za-z0-9_-]{43} ${TS})?$`) },
  ERR: { kind: 'reply', re: /^ERR ([A-Z_]+) [^ ].*$/ },
  END: { kind: 'reply', re: new RegExp(`^END (CHNS|USRS|HISTORY|HELP|UNREAD|PREFS|BLOCKS|MODLOG|ROLES|BANS|THREAD|THREADS) (0|[1-9]\\d*)$|^END TOPIC 1$|^END CHNS (0|[1-9]\\d*) MORE ${CH}$`) },
  TIME: { kind: 'reply', re: new RegExp(`^TIME ${TS}$`) },
  PONG: { kind: 'reply', re: /^PONG( [^ ]+)?$/ },
  BYE: { kind: 'reply', re: /^BYE [A-Z_]+ .+$/ },
  CHN: { kind: 'data', re: new RegExp(`^CHN ${CH} (0|[1-9]\\d*)( private)?$`) },
  USR: { kind: 'data', re: new RegExp(`^USR ${USER} (online|offline)( guest)?$`) },
  INFO: { kind: 'data', re: /^INFO( .*)?$/ },
  UNREAD: { kind: 'data', re: new RegExp(`^UNREAD (${CH}|${USER})( (0|[1-9]\\d*)){4}$`) },
  // A topic answers TOPIC, and is news when a member sets it: either way no reply of its own.
  TOPIC: { kind: 'event', re: new RegExp(`^TOPIC ${CH} (${USER}|-)( [^ ].*)?$`) },
  READ: { kind: 'event', re: new RegExp(`^READ (${CH}|${USER}) (0|[1-9]\\d*)$`) },
  // A setting: a line of a PREFS reply, or news from another of the user's connections.
  PREF: { kind: 'event', re: /^PREF [A-Za-z0-9_.:#@-]{1,64}( [^ ].*)?$/ },
  // A user blocked: a line of a BLOCKS reply, or news from another of the user's connections.
  BLOCKED: { kind: 'event', re: new RegExp(`^BLOCKED ${USER}$`) },
  UNBLOCKED: { kind: 'event', re: new RegExp(`^UNBLOCKED ${USER}$`) },
  // A role: a line of a ROLES reply, or news of a change in a channel.
  ROLE: { kind: 'event', re: new RegExp(`^ROLE ${CH} ${USER} (owner|op|member) (${USER}|-)$|^ROLE - ${USER} admin -$`) },
  // A ban: only ever a line of a BANS reply.
  BAN: { kind: 'data', re: new RegExp(`^BAN ${CH} ${USER} (${USER} ${TS}|- -)( [^ ].*)?$`) },
  JOINED: { kind: 'event', re: new RegExp(`^JOINED ${CH} ${USER}$`) },
  LEFT: { kind: 'event', re: new RegExp(`^LEFT ${CH} ${USER}$`) },
  ONLINE: { kind: 'event', re: new RegExp(`^ONLINE ${USER}$`) },
  OFFLINE: { kind: 'event', re: new RegExp(`^OFFLINE ${USER}$`) },
  NOTICE: { kind: 'event', re: /^NOTICE .+$/ },
  MSG: { kind: 'event', re: new RegExp(`^MSG (${CH}|${USER}) ${USER} ${ID} ${TS} (0|[1-9]\\d*)$`) },
  // Issue 17's logged frames: as MSG, live or in a HISTORY or THREAD reply.
  REPLY: { kind: 'event', re: new RegExp(`^REPLY ${CONV} ${USER} ${ID} ${TS} ${ID} ${N}( ALSO)?$`) },
  EDIT: { kind: 'event', re: new RegExp(`^EDIT ${CONV} ${USER} ${ID} ${TS} ${ID} ${N}$`) },
  DELETE: { kind: 'event', re: new RegExp(`^DELETE ${CONV} ${USER} ${ID} ${TS} ${ID}$`) },
  REACT: { kind: 'event', re: new RegExp(`^REACT ${CONV} ${USER} ${ID} ${TS} ${ID} ${EMOJI}$`) },
  UNREACT: { kind: 'event', re: new RegExp(`^UNREACT ${CONV} ${USER} ${ID} ${TS} ${ID} ${EMOJI}$`) },
  TYPING: { kind: 'event', re: new RegExp(`^TYPING ${CONV} ${USER}$`) },
  // State lines: only right after a message's frame in a HISTORY page or a THREAD reply.
  EDITED: { kind: 'data', re: new RegExp(`^EDITED ${CONV} ${ID} ${TS}$`) },
  DELETED: { kind: 'data', re: new RegExp(`^DELETED ${CONV} ${ID}$`) },
  REACTION: { kind: 'data', re: new RegExp(`^REACTION ${CONV} ${ID} ${EMOJI} ${USER}(,${USER})*$`) },
  REPLIES: { kind: 'data', re: new RegExp(`^REPLIES ${CONV} ${ID} ${ID} ${ID} ${TS} ${USER}(,${USER}){0,4}$`) },
  FOLLOWING: { kind: 'data', re: new RegExp(`^FOLLOWING ${CONV} ${ID} ${ID} ${N} ${N} ${ID} ${TS}$`) },
};

/** Frames with a body after their line, and where their length is. */
const BODIED = new Set(['MSG', 'REPLY', 'EDIT']);
/** The frames a conversation's log is made of (section 6). */
export const LOGGED = new Set(['MSG', 'REPLY', 'EDIT', 'DELETE', 'REACT', 'UNREACT']);
export const STATE_LINES = new Set(['EDITED', 'DELETED', 'REACTION', 'REPLIES']);

/** A frame as the model writes one (model-log.ts): its time `*TS*`, and ` |` and its body. */
export function modelForm(f: Frame): string {
  const line = f.line.replace(new RegExp(TS, 'g'), '*TS*');
  return f.body === undefined ? line : `${line} |${Buffer.from(f.body).toString('latin1')}`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The keys a reply line matches (model.ts): `ERR BAD_SYNTAX ...` is `ERR:BAD_SYNTAX`. */
export function replyKeys(line: string): string[] {
  const w = line.split(' ');
  switch (w[0]) {
    case 'OK':
      if (w.length === 1) return ['OK'];
      if (/^\d+$/.test(w[1])) return ['OK-MSG', `OK-MSG:${w[1]}`];
      return [w[1] === 'MUTED' ? 'OK-MUTED' : 'OK-TOKEN'];
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
      if (BODIED.has(frame.type) && frame.bad === undefined) {
        const w = frame.line.split(' ');
        this.body = { frame, len: Number(w.at(w.at(-1) === 'ALSO' ? -2 : -1)) };
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

/**
 * The frames of a HISTORY or THREAD reply ending `END … <n>`: counted back from its END, n
 * logged frames, each with the state lines right after it (never counted, and of that frame's
 * message). Live frames may come before the first; data lines nowhere else. A string says
 * what is wrong.
 */
export function replyFrames(since: Frame[], n: number): Frame[] | string {
  let i = since.length;
  let frames = 0;
  let states: Frame[] = [];
  while (frames < n && i > 0) {
    const f = since[--i];
    if (STATE_LINES.has(f.type)) states.push(f);
    else if (LOGGED.has(f.type)) {
      frames++;
      const id = f.line.split(' ')[3];
      const wrong = states.find((st) => st.line.split(' ')[2] !== id);
      if (wrong) return `${wrong.line} follows ${f.line}`;
      states = [];
    } else if (f.kind === 'data') return `a ${f.type} line in it`;
    // Other events (a JOINED, a TYPING) may come between the reply's frames only if live.
  }
  if (frames < n) return `does not follow ${n} logged frames`;
  if (states.length) return `state lines before its first frame`;
  const before = since.slice(0, i).find((x) => x.kind === 'data');
  if (before) return `a ${before.type} line before it`;
  return since.slice(i).filter((x) => LOGGED.has(x.type) || STATE_LINES.has(x.type));
}

/**
 * A model frame matches a got one exactly, up to a ` *` it ends with, or word for word where
 * it has a `*` word (a count the model leaves open).
 */
function frameFits(want: string, got: string): boolean {
  if (want === got || (want.endsWith(' *') && got.startsWith(want.slice(0, -1)))) return true;
  const [w, g] = [want.split(' '), got.split(' ')];
  return want.includes(' * ') && w.length === g.length && w.every((x, i) => x === '*' || x === g[i]);
}

/** Why a reply's frames differ from what the model wrote, or null. `only`: THREADS' lines of one target, in any order. */
export function framesOff(reply: Frame, e: { frames?: string[]; only?: string }): string | null {
  if (e.frames === undefined || reply.type !== 'END') return null;
  let lines: string[];
  if (e.only !== undefined) {
    const mine = (reply.since ?? []).filter((f) => f.type === 'FOLLOWING' && f.line.split(' ')[1].toLowerCase() === e.only!.toLowerCase());
    lines = mine.map(modelForm).sort((a, b) => Number(a.split(' ')[2]) - Number(b.split(' ')[2]));
  } else {
    const got = replyFrames(reply.since ?? [], Number(reply.line.split(' ')[2]));
    if (typeof got === 'string') return got;
    lines = got.map(modelForm);
  }
  const n = Math.max(lines.length, e.frames.length);
  for (let i = 0; i < n; i++) {
    if (e.frames[i] === undefined || lines[i] === undefined || !frameFits(e.frames[i], lines[i])) {
      return `frame ${i}: the model wants ${JSON.stringify(e.frames[i] ?? '(no more)').slice(0, 300)}, got ${JSON.stringify(lines[i] ?? '(no more)').slice(0, 300)}`;
    }
  }
  return null;
}
