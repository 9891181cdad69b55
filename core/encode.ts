import type { Command, ServerFrame } from './frames.ts';
import { textEncoder, utf8, writeAscii } from './bytes.ts';
import { oneLine } from './tokens.ts';

/**
 * Encoders. Every frame ends in CRLF, which telnet shows as a line break. A frame with a
 * body is `<line> <len>\r\n<body>\r\n`: its bytes are built once, into one allocation, and
 * the server writes those same bytes to every recipient.
 */

const CRLF = '\r\n';

/** `head` is ASCII (verbs, names, numbers, timestamps), so it is written byte by byte. */
function withBody(head: string, body: Uint8Array): Uint8Array {
  const len = String(body.length);
  const out = new Uint8Array(head.length + 1 + len.length + 2 + body.length + 2);
  let at = writeAscii(out, 0, head);
  out[at++] = 32;
  at = writeAscii(out, at, len);
  out[at++] = 13;
  out[at++] = 10;
  out.set(body, at);
  at += body.length;
  out[at++] = 13;
  out[at] = 10;
  return out;
}

const line = (text: string): Uint8Array => utf8(text + CRLF);

/** A delivery: `MSG <target> <from> <id> <ts> <len>` CRLF body CRLF. */
export function encodeDelivery(target: string, from: string, id: number, ts: string, body: Uint8Array): Uint8Array {
  return withBody(`MSG ${target} ${from} ${id} ${ts}`, body);
}

/** `MSG <target> <len>` CRLF body CRLF, as a client sends it. */
export function encodeMsg(target: string, body: Uint8Array | string): Uint8Array {
  return withBody(`MSG ${target}`, typeof body === 'string' ? textEncoder.encode(body) : body);
}

export function encodeCommand(cmd: Command): Uint8Array {
  switch (cmd.type) {
    case 'MSG':
      return encodeMsg(cmd.target, cmd.body);
    case 'REG':
      return line(cmd.password === undefined ? `REG ${cmd.handle}` : `REG ${cmd.handle} ${cmd.password}`);
    case 'JOIN':
    case 'LEAVE':
      return line(`${cmd.type} ${cmd.channel}`);
    case 'USRS':
      return line(cmd.channel === undefined ? 'USRS' : `USRS ${cmd.channel}`);
    case 'HISTORY': {
      let s = `HISTORY ${cmd.target}`;
      if (cmd.limit !== undefined) s += ` ${cmd.limit}`;
      if (cmd.before !== undefined) s += ` before ${cmd.before}`;
      else if (cmd.after !== undefined) s += ` after ${cmd.after}`;
      return line(s);
    }
    case 'PING':
      return line(cmd.token === undefined ? 'PING' : `PING ${cmd.token}`);
    case 'CHNS':
    case 'MUTE':
    case 'UNMUTE':
    case 'HELP':
    case 'TIME':
    case 'QUIT':
      return line(cmd.type);
  }
}

/** The text form of a frame without a body (what a telnet user reads), line end excluded. */
export function serverLine(frame: Exclude<ServerFrame, { type: 'MSG' }>): string {
  switch (frame.type) {
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
      return `${frame.type} ${frame.user}`;
    case 'CHN':
      return `CHN ${frame.channel} ${frame.members}`;
    case 'USR':
      return `USR ${frame.user} ${frame.online ? 'online' : 'offline'}`;
    case 'INFO':
      return `INFO ${oneLine(frame.text)}`;
    case 'NOTICE':
      return `NOTICE ${oneLine(frame.text)}`;
    case 'TIME':
      return `TIME ${frame.time}`;
    case 'PONG':
      return frame.token === undefined ? 'PONG' : `PONG ${frame.token}`;
    case 'END':
      return `END ${frame.of} ${frame.count}`;
    case 'BYE':
      return `BYE ${frame.reason} ${oneLine(frame.text)}`;
  }
}

export function encodeServerFrame(frame: ServerFrame): Uint8Array {
  if (frame.type === 'MSG') return encodeDelivery(frame.target, frame.from, frame.id, frame.ts, frame.body);
  return line(serverLine(frame));
}
