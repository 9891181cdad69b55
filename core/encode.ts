import type { Command, ServerFrame } from './frames.ts';
import { textEncoder, utf8, writeAscii } from './bytes.ts';
import { oneLine } from './tokens.ts';

/**
 * Encoders. Every frame ends in CRLF, which telnet shows as a line break. A frame with a
 * body is `<line> <len>\r\n<body>\r\n`: its bytes are built once, into one allocation, and
 * the server writes those same bytes to every recipient.
 */

const CRLF = '\r\n';

/**
 * Frames are carved out of shared slabs, as Node's Buffer pool does: allocating a small
 * ArrayBuffer of its own costs more than encoding the frame (~0.6 us, as its memory lives
 * outside the JS heap). So a frame is a view: use its byteOffset and byteLength, never its
 * whole `.buffer`. Bytes once handed out are never written again.
 */
const SLAB = 16 * 1024;
const MAX_POOLED = 2 * 1024;
let slab = new ArrayBuffer(SLAB);
let slabAt = 0;

function allocFrame(n: number): Uint8Array {
  if (n > MAX_POOLED) return new Uint8Array(n);
  if (slabAt + n > SLAB) {
    slab = new ArrayBuffer(SLAB);
    slabAt = 0;
  }
  const out = new Uint8Array(slab, slabAt, n);
  // Keep each frame 8-byte aligned, so no two frames share a word.
  slabAt = (slabAt + n + 7) & ~7;
  return out;
}

/** Decimal digits of a non-negative integer. */
function digits(x: number): number {
  let d = 1;
  while (x >= 10) {
    x = Math.floor(x / 10);
    d++;
  }
  return d;
}

/** Write a non-negative integer of `d` digits at `at`; returns the new offset. */
function writeInt(out: Uint8Array, at: number, x: number, d: number): number {
  for (let i = at + d - 1; i >= at; i--) {
    out[i] = 48 + (x % 10);
    x = Math.floor(x / 10);
  }
  return at + d;
}

/**
 * Space, the body length, `after` (REPLY's ` ALSO`, ASCII), CRLF, the body, CRLF: the tail
 * shared by every frame with a body.
 */
function writeBody(out: Uint8Array, at: number, body: Uint8Array, lenDigits: number, after = ''): void {
  out[at++] = 32;
  at = writeInt(out, at, body.length, lenDigits);
  if (after !== '') at = writeAscii(out, at, after);
  out[at++] = 13;
  out[at++] = 10;
  out.set(body, at);
  at += body.length;
  out[at++] = 13;
  out[at] = 10;
}

const line = (text: string): Uint8Array => utf8(text + CRLF);

/**
 * A delivery: `MSG <target> <from> <id> <ts> <len>` CRLF body CRLF. The names, id and time
 * are ASCII (section 4 and 6 of the spec), so they are written byte by byte, with no string
 * built in between.
 */
export function encodeDelivery(target: string, from: string, id: number, ts: string, body: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(id) || id < 0) return withBody(`MSG ${target} ${from} ${id} ${ts}`, body);
  const idDigits = digits(id);
  const lenDigits = digits(body.length);
  const n = 4 + target.length + 1 + from.length + 1 + idDigits + 1 + ts.length + 1 + lenDigits + 2 + body.length + 2;
  const out = allocFrame(n);
  out[0] = 77; // M
  out[1] = 83; // S
  out[2] = 71; // G
  out[3] = 32;
  let at = writeAscii(out, 4, target);
  out[at++] = 32;
  at = writeAscii(out, at, from);
  out[at++] = 32;
  at = writeInt(out, at, id, idDigits);
  out[at++] = 32;
  at = writeAscii(out, at, ts);
  writeBody(out, at, body, lenDigits);
  return out;
}

/**
 * `head <len>[after]` CRLF body CRLF. `head` and `after` are ASCII (verbs, names, numbers,
 * timestamps), so they are written byte by byte.
 */
function withBody(head: string, body: Uint8Array, after = ''): Uint8Array {
  const lenDigits = digits(body.length);
  const out = allocFrame(head.length + 1 + lenDigits + after.length + 2 + body.length + 2);
  writeBody(out, writeAscii(out, 0, head), body, lenDigits, after);
  return out;
}

const bytesOf = (body: Uint8Array | string): Uint8Array => (typeof body === 'string' ? textEncoder.encode(body) : body);

/** `REPLY <target> <root-id> <len> [ALSO]` CRLF body CRLF, as a client sends it. */
export function encodeReply(target: string, root: number, body: Uint8Array | string, also = false): Uint8Array {
  return withBody(`REPLY ${target} ${root}`, bytesOf(body), also ? ' ALSO' : '');
}

/** `EDIT <target> <id> <len>` CRLF body CRLF, as a client sends it. */
export function encodeEdit(target: string, id: number, body: Uint8Array | string): Uint8Array {
  return withBody(`EDIT ${target} ${id}`, bytesOf(body));
}

/** `MSG <target> <len>` CRLF body CRLF, as a client sends it. */
export function encodeMsg(target: string, body: Uint8Array | string): Uint8Array {
  return withBody(`MSG ${target}`, typeof body === 'string' ? textEncoder.encode(body) : body);
}

export function encodeCommand(cmd: Command): Uint8Array {
  switch (cmd.type) {
    case 'MSG':
      return encodeMsg(cmd.target, cmd.body);
    case 'REPLY':
      return encodeReply(cmd.target, cmd.root, cmd.body, cmd.also === true);
    case 'EDIT':
      return encodeEdit(cmd.target, cmd.id, cmd.body);
    case 'DELETE':
      return line(cmd.reason ? `DELETE ${cmd.target} ${cmd.id} ${oneLine(cmd.reason)}` : `DELETE ${cmd.target} ${cmd.id}`);
    case 'OP':
    case 'DEOP':
    case 'OWNER':
    case 'UNBAN':
      return line(`${cmd.type} ${cmd.channel} ${cmd.handle}`);
    case 'KICK':
    case 'BAN':
      return line(cmd.reason ? `${cmd.type} ${cmd.channel} ${cmd.handle} ${oneLine(cmd.reason)}` : `${cmd.type} ${cmd.channel} ${cmd.handle}`);
    case 'SUSPEND':
      return line(cmd.reason ? `SUSPEND ${cmd.handle} ${oneLine(cmd.reason)}` : `SUSPEND ${cmd.handle}`);
    case 'UNSUSPEND':
      return line(`UNSUSPEND ${cmd.handle}`);
    case 'ROLES':
      return line(cmd.channel === undefined ? 'ROLES' : `ROLES ${cmd.channel}`);
    case 'BANS':
      return line(`BANS ${cmd.channel}`);
    case 'MODLOG':
      return line(cmd.limit === undefined ? 'MODLOG' : `MODLOG ${cmd.limit}`);
    case 'REACT':
    case 'UNREACT':
      return line(`${cmd.type} ${cmd.target} ${cmd.id} ${cmd.reaction}`);
    case 'TYPING':
      return line('watch' in cmd ? `TYPING ${cmd.watch ? 'ON' : 'OFF'}` : `TYPING ${cmd.target}`);
    case 'THREAD':
      return line(cmd.limit === undefined ? `THREAD ${cmd.target} ${cmd.root}` : `THREAD ${cmd.target} ${cmd.root} ${cmd.limit}`);
    case 'REG':
      return line(cmd.password === undefined ? `REG ${cmd.handle}` : `REG ${cmd.handle} ${cmd.password}`);
    case 'JOIN':
    case 'LEAVE':
      return line(`${cmd.type} ${cmd.channel}`);
    case 'CREATE':
      return line(cmd.private ? `CREATE ${cmd.channel} private` : `CREATE ${cmd.channel}`);
    case 'INVITE':
      return line(`INVITE ${cmd.channel} ${cmd.handle}`);
    case 'USRS':
      return line(cmd.channel === undefined ? 'USRS' : `USRS ${cmd.channel}`);
    case 'HISTORY': {
      let s = `HISTORY ${cmd.target}`;
      if (cmd.limit !== undefined) s += ` ${cmd.limit}`;
      if (cmd.before !== undefined) s += ` before ${cmd.before}`;
      else if (cmd.after !== undefined) s += ` after ${cmd.after}`;
      else if (cmd.around !== undefined) s += ` around ${cmd.around}`;
      return line(s);
    }
    case 'PING':
      return line(cmd.token === undefined ? 'PING' : `PING ${cmd.token}`);
    case 'READ':
      return line(cmd.thread === undefined ? `READ ${cmd.target} ${cmd.id}` : `READ ${cmd.target} ${cmd.id} THREAD ${cmd.thread}`);
    case 'MODE':
      return line(cmd.mode === undefined ? 'MODE' : `MODE ${cmd.mode}`);
    case 'PREF':
      return line(cmd.value === undefined || cmd.value === '' ? `PREF ${cmd.key}` : `PREF ${cmd.key} ${cmd.value}`);
    case 'PASSWORD':
      return line(cmd.current === undefined ? `PASSWORD ${cmd.next}` : `PASSWORD ${cmd.current} ${cmd.next}`);
    case 'TOPIC':
      return line(cmd.text === undefined ? `TOPIC ${cmd.channel}` : `TOPIC ${cmd.channel} ${cmd.text}`);
    case 'RESUME':
      return line(`RESUME ${cmd.handle} ${cmd.token}`);
    case 'SIGNOUT':
      return line(cmd.all ? 'SIGNOUT ALL' : 'SIGNOUT');
    case 'CHNS': {
      let s = 'CHNS';
      if (cmd.limit !== undefined) s += ` ${cmd.limit}`;
      if (cmd.after !== undefined) s += ` after ${cmd.after}`;
      return line(s);
    }
    case 'SEARCH':
      return line(`SEARCH ${oneLine(cmd.text)}`);
    case 'BLOCK':
    case 'UNBLOCK':
      return line(`${cmd.type} ${cmd.handle}`);
    case 'MUTE':
    case 'UNMUTE':
    case 'HELP':
    case 'TIME':
    case 'UNREAD':
    case 'PREFS':
    case 'BLOCKS':
    case 'TOKEN':
    case 'QUIT':
    case 'THREADS':
      return line(cmd.type);
  }
}

/** A list of users in a state line (REACTION, REPLIES): comma-separated, `-` for none. */
const users = (by: readonly string[]): string => (by.length === 0 ? '-' : by.join(','));

/**
 * The text form of a frame's line (what a telnet user reads), line end excluded. A frame
 * with a body (MSG, REPLY, EDIT, FOUND) gives its head line, length included, without the body.
 */
export function serverLine(frame: ServerFrame): string {
  switch (frame.type) {
    case 'MSG':
      return `MSG ${frame.target} ${frame.from} ${frame.id} ${frame.ts} ${frame.body.length}`;
    case 'REPLY':
      return `REPLY ${frame.target} ${frame.from} ${frame.id} ${frame.ts} ${frame.root} ${frame.body.length}${frame.also ? ' ALSO' : ''}`;
    case 'EDIT':
      return `EDIT ${frame.target} ${frame.from} ${frame.id} ${frame.ts} ${frame.of} ${frame.body.length}`;
    case 'FOUND':
      return `FOUND ${frame.target} ${frame.from} ${frame.id} ${frame.ts} ${frame.body.length}`;
    case 'DELETE':
      return `DELETE ${frame.target} ${frame.from} ${frame.id} ${frame.ts} ${frame.of}`;
    case 'REACT':
    case 'UNREACT':
      return `${frame.type} ${frame.target} ${frame.from} ${frame.id} ${frame.ts} ${frame.of} ${oneWord(frame.reaction)}`;
    case 'TYPING':
      return `TYPING ${frame.target} ${frame.from}`;
    case 'EDITED':
      return `EDITED ${frame.target} ${frame.id} ${frame.ts}`;
    case 'DELETED':
      return `DELETED ${frame.target} ${frame.id}`;
    case 'REACTION':
      return `REACTION ${frame.target} ${frame.id} ${oneWord(frame.reaction)} ${users(frame.by)}`;
    case 'REPLIES':
      return `REPLIES ${frame.target} ${frame.id} ${frame.count} ${frame.lastId} ${frame.lastTs} ${users(frame.by)}`;
    case 'FOLLOWING':
      return `FOLLOWING ${frame.target} ${frame.root} ${frame.replies} ${frame.unread} ${frame.mentions} ${frame.lastId} ${frame.lastTs}`;
    case 'HELLO':
      return `HELLO ${frame.server} ${frame.version} ${frame.clientId} ${oneLine(frame.text)}`;
    case 'OK':
      return frame.args.length === 0 ? 'OK' : `OK ${frame.args.join(' ')}`;
    case 'ERR':
      return `ERR ${frame.code} ${oneLine(frame.text)}`;
    case 'JOINED':
    case 'LEFT':
      return `${frame.type} ${frame.channel} ${frame.user}`;
    case 'ONLINE':
    case 'OFFLINE':
    case 'BLOCKED':
    case 'UNBLOCKED':
      return `${frame.type} ${frame.user}`;
    case 'KICKED':
    case 'BANNED':
      return `${frame.type} ${frame.channel} ${frame.user} ${frame.by}${frame.reason === '' ? '' : ` ${oneLine(frame.reason)}`}`;
    case 'ROLE':
      return `ROLE ${frame.channel} ${frame.user} ${frame.role} ${frame.by}`;
    case 'BAN':
      return `BAN ${frame.channel} ${frame.user} ${frame.by} ${frame.ts}${frame.reason === '' ? '' : ` ${oneLine(frame.reason)}`}`;
    case 'MOD':
      return `MOD ${frame.ts} ${frame.action} ${frame.by} ${frame.whom} ${frame.channel} ${frame.id ?? '-'}${frame.reason === '' ? '' : ` ${oneLine(frame.reason)}`}`;
    case 'CHN':
      return frame.private ? `CHN ${frame.channel} ${frame.members} private` : `CHN ${frame.channel} ${frame.members}`;
    case 'USR':
      return `USR ${frame.user} ${frame.online ? 'online' : 'offline'}${frame.guest ? ' guest' : ''}`;
    case 'TOPIC':
      return frame.text === '' ? `TOPIC ${frame.channel} ${frame.by}` : `TOPIC ${frame.channel} ${frame.by} ${oneLine(frame.text)}`;
    case 'READ':
      return `READ ${frame.target} ${frame.id}`;
    case 'PREF':
      return frame.value === '' ? `PREF ${frame.key}` : `PREF ${frame.key} ${oneLine(frame.value)}`;
    case 'UNREAD':
      return `UNREAD ${frame.target} ${frame.unread} ${frame.mentions} ${frame.readId} ${frame.lastId}`;
    case 'INFO':
      return `INFO ${oneLine(frame.text)}`;
    case 'NOTICE':
      return `NOTICE ${oneLine(frame.text)}`;
    case 'TIME':
      return `TIME ${frame.time}`;
    case 'PONG':
      return frame.token === undefined ? 'PONG' : `PONG ${frame.token}`;
    case 'END':
      return frame.more === undefined ? `END ${frame.of} ${frame.count}` : `END ${frame.of} ${frame.count} MORE ${frame.more}`;
    case 'BYE':
      return `BYE ${frame.reason} ${oneLine(frame.text)}`;
  }
}

/** A reaction is one word on the wire: one emoji (validated where it enters), so this only guards. */
function oneWord(text: string): string {
  const w = oneLine(text).replace(/[ \t]+/g, '');
  return w === '' ? '?' : w;
}

export function encodeServerFrame(frame: ServerFrame): Uint8Array {
  switch (frame.type) {
    case 'MSG':
      return encodeDelivery(frame.target, frame.from, frame.id, frame.ts, frame.body);
    case 'REPLY':
      return withBody(`REPLY ${frame.target} ${frame.from} ${frame.id} ${frame.ts} ${frame.root}`, frame.body, frame.also ? ' ALSO' : '');
    case 'EDIT':
      return withBody(`EDIT ${frame.target} ${frame.from} ${frame.id} ${frame.ts} ${frame.of}`, frame.body);
    case 'FOUND':
      return withBody(`FOUND ${frame.target} ${frame.from} ${frame.id} ${frame.ts}`, frame.body);
    default:
      return line(serverLine(frame));
  }
}
