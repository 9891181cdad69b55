/**
 * Seeded fuzz cases. Case `i` of seed `s` depends only on (s, i), so any failure can be
 * replayed alone (`npm run fuzz -- --seed s --case i`), on any connection, in any order.
 *
 * A case is bytes a client sends: valid commands (odd but legal spellings included), the
 * framing corners of the body rule, over-long lines, random bytes, and mutations of all of
 * these. Each is sent with its padding (model.ts) and the sentinel PING, split at random
 * points, so every parser state is met at a chunk boundary.
 */
import { MAX_BODY, MAX_LINE, WireModel, freshSession, type Session } from './model.ts';
import { TelnetInput } from './model-telnet.ts';
import { changeCommand, logCase, type LogPlan } from './cases-log.ts';
import { ALPHABET, CHANNELS, Rng, USERS, afterBody, b, body, bodyLength, eol, line, oneLineText, sep, target, verb } from './gen.ts';

export { Rng };

export type Case = {
  seed: number;
  index: number;
  kind: string;
  /** The case itself. */
  bytes: Uint8Array;
  /** What brings the stream back to a line boundary (model.ts `closingBytes`). */
  pad: Uint8Array;
  /** Offsets into bytes + pad + sentinel where the sending is split. */
  splits: number[];
  /** Over a WebSocket: send the chunks as text messages (which carry bytes too, section 9). */
  textFrames: boolean;
  /** A case on a channel made for it, which a partner connection fills first (cases-log.ts). */
  log?: LogPlan;
};

export const sentinelToken = (index: number): string => `z${index}`;
export const sentinelBytes = (index: number): Buffer => Buffer.from(`PING ${sentinelToken(index)}\r\n`);

function validCommand(r: Rng): Buffer {
  switch (r.int(19)) {
    case 16:
    case 17:
    case 18:
      return changeCommand(r);
    case 0:
      return line(r, 'PING', ...(r.chance(0.8) ? [r.pick(['abc', 'x'.repeat(r.range(1, 80)), 'h\xc3\xa9llo', 'h\xe9llo', '\x1b[31m', 'a\x00b'])] : []));
    case 1:
      return line(r, r.pick(['TIME', 'HELP', 'CHNS', 'MUTE', 'UNMUTE']));
    case 2:
      return line(r, 'USRS', ...(r.chance(0.5) ? [r.pick(CHANNELS)] : []));
    case 3:
      return line(r, 'HISTORY', target(r), ...(r.chance(0.7) ? [String(r.range(1, 5))] : []), ...(r.chance(0.4) ? [r.pick(['before', 'after', 'around']), String(r.range(0, 99))] : []));
    case 4:
      return line(r, r.pick(['JOIN', 'LEAVE']), r.pick(CHANNELS));
    case 5:
      return line(r, 'REG', r.pick(USERS), ...(r.chance(0.3) ? ['s3cret'] : []));
    case 6:
      return r.chance(0.5) ? b(r.pick(['\r\n', '\n', ' \t \r\n', '\t\n'])) : chatCommand(r);
    case 7:
    case 8: {
      // The one-line form, its length right, one or two over (LF, CRLF), or wrong.
      const text = oneLineText(r, r.range(0, 40));
      const typed = Buffer.byteLength(text, 'utf8');
      const len = r.pick([typed, typed, typed + 1, typed + 2, typed + r.range(3, 9), Math.max(0, typed - 1)]);
      return oneLine(r, target(r), len, text);
    }
    default: {
      const len = bodyLength(r);
      return Buffer.concat([line(r, 'MSG', target(r), String(len)), body(r, len), b(afterBody(r))]);
    }
  }
}

const PREF_KEYS = ['mute:#general', 'mute:@fz1r0', 'theme', 'k', 'a.b-c_d:#@', 'K'.repeat(64), 'K'.repeat(65), 'mute/#x', 'caf\xc3\xa9', '\xff'];
const PREF_VALUES = ['1', '0', 'dark, high contrast', '  spaced  out  ', 'caf\xc3\xa9 \xe2\x9c\x93', 'caf\xe9', 'red \x1b[31m', 'a\x7fb', '\xc2\x9b2J'];

/**
 * BLOCK's targets: none a fuzz user registers as, so no case blocks another's DMs (which would
 * refuse them: the model of MSG does not follow blocks), and the bad forms.
 */
const BLOCK_TARGETS = ['@never-registered', '@Never-Registered', '#general', 'bob', '@bad!', `@${'x'.repeat(33)}`];

/**
 * CREATE's names: #general, which exists from the start (so a valid CREATE is always refused
 * CHANNEL_TAKEN: one that created a channel would put the user in it, which the model of MSG
 * would have to guess), and bad forms. INVITE's: BLOCK's never-registered handles.
 */
const CREATE_NAMES = ['#general', '#GENERAL', 'general', '#bad!', '@fz1r0', `#${'x'.repeat(33)}`];

/** Moderation reasons: words, a control character, one past 250 bytes. */
const REASONS = ['spam', 'link farming, twice', 'caf\xc3\xa9', 'red \x1b[31m', 'r'.repeat(251)];

/**
 * The moderation commands (OP, DEOP, OWNER, KICK, BAN, UNBAN, SUSPEND, UNSUSPEND, ROLES, BANS, MODLOG), of
 * handles nobody registers (no fuzz user is an admin, and none is removed from a channel the
 * model of MSG follows), and their bad forms.
 */
function moderationCommand(r: Rng): Buffer {
  const channel = () => (r.chance(0.9) ? [r.pick([...CHANNELS, 'general', '#bad!'])] : []);
  const handle = () => (r.chance(0.9) ? [r.pick(BLOCK_TARGETS)] : []);
  switch (r.int(5)) {
    case 0:
      return line(r, r.pick(['OP', 'DEOP', 'OWNER', 'UNBAN', 'op']), ...channel(), ...handle(), ...(r.chance(0.1) ? ['@two'] : []));
    case 1:
      return line(r, r.pick(['KICK', 'BAN', 'kick']), ...channel(), ...handle(), ...(r.chance(0.5) ? [r.pick(REASONS)] : []));
    case 2:
      return line(r, r.pick(['SUSPEND', 'UNSUSPEND']), ...handle(), ...(r.chance(0.4) ? [r.pick(REASONS)] : []));
    case 3:
      return line(r, r.pick(['ROLES', 'BANS']), ...channel(), ...(r.chance(0.1) ? ['#two'] : []));
    default:
      return line(r, 'MODLOG', ...(r.chance(0.6) ? [r.pick(['1', '50', '200', '201', '0', 'all'])] : []));
  }
}

/** The chat-feature commands (UNREAD, READ, TOKEN, SIGNOUT, TOPIC, PREFS, PREF, BLOCK, CREATE, INVITE, moderation), valid and not. */
function chatCommand(r: Rng): Buffer {
  switch (r.int(10)) {
    case 9:
      return moderationCommand(r);
    case 8:
      if (r.chance(0.5)) return line(r, r.pick(['CREATE', 'create']), ...(r.chance(0.9) ? [r.pick(CREATE_NAMES)] : []), ...(r.chance(0.4) ? [r.pick(['private', 'PRIVATE', 'secret'])] : []));
      return line(r, 'INVITE', ...(r.chance(0.9) ? [r.pick([...CHANNELS, 'general', '#bad!'])] : []), ...(r.chance(0.9) ? [r.pick(BLOCK_TARGETS)] : []), ...(r.chance(0.1) ? ['@two'] : []));
    case 7:
      if (r.chance(0.25)) return line(r, 'BLOCKS', ...(r.chance(0.2) ? ['@x'] : []));
      return line(r, r.pick(['BLOCK', 'UNBLOCK', 'block']), ...(r.chance(0.9) ? [r.pick(BLOCK_TARGETS)] : []), ...(r.chance(0.1) ? ['@two'] : []));
    case 5:
      return line(r, 'PREFS', ...(r.chance(0.15) ? ['all'] : []));
    case 6: {
      const value = r.chance(0.1) ? 'v'.repeat(r.range(250, 262)) : r.pick(PREF_VALUES);
      return line(r, 'PREF', ...(r.chance(0.95) ? [r.pick(PREF_KEYS)] : []), ...(r.chance(0.7) ? [value] : []));
    }
    case 0:
      return line(r, 'UNREAD', ...(r.chance(0.2) ? ['#general'] : []));
    case 1:
      return line(r, 'READ', ...(r.chance(0.9) ? [target(r)] : []), ...(r.chance(0.9) ? [r.pick(['1', '0', '42', 'x', '-1', '9'.repeat(16)])] : []));
    case 2:
      return line(r, r.pick(['TOKEN', 'SIGNOUT']), ...(r.chance(0.3) ? [r.pick(['ALL', 'all', 'now'])] : []));
    default:
      return line(r, 'TOPIC', r.pick([...CHANNELS, 'general', '#bad!']), ...(r.chance(0.7) ? [r.pick(['Release on Friday', '-', 'caf\xc3\xa9 time', 't'.repeat(r.range(240, 260)), 'red \x1b[31m'])] : []));
  }
}

function oneLine(r: Rng, t: string, len: number | string, text: string): Buffer {
  return Buffer.concat([b(`${verb(r, 'MSG')}${sep(r)}${t}${sep(r)}${len}\\r\\n`), Buffer.from(text, 'utf8'), b(eol(r))]);
}

/** The corners of the body rule (section 7) and of the line limit. */
function tricky(r: Rng): Buffer {
  const n = r.range(1, 12);
  const bytes = (len: number) => Buffer.concat([body(r, len), b(afterBody(r))]);
  const commands = () => Buffer.concat([line(r, 'PING', 'after'), validCommand(r)]);
  switch (r.int(23)) {
    case 22: return b(r.pick(['/\r\n', '/ join #general\r\n', '//join #general\r\n', '/ping a\r\n', '/\tPING b\r\n', '/MSG #general 3\r\nabc\r\n', '/jion #general\r\n', 'b\xc3\xa9\r\n']));
    case 0: return Buffer.concat([line(r, 'MSG', '#general', String(n), String(n + 1)), bytes(n + 1)]); // a word too many
    case 1: return Buffer.concat([line(r, 'MSG', String(n)), bytes(n)]); // no target
    case 2: return Buffer.concat([line(r, 'MSG', r.pick(['bob', '#bad!', '@', '#', '@x'.repeat(20), '\xff']), String(n)), bytes(n)]);
    case 3: { // over the body limit: refused, and its bytes skipped
      const len = r.range(MAX_BODY + 1, 80_000);
      return Buffer.concat([line(r, 'MSG', target(r), String(len)), bytes(len)]);
    }
    case 4: return r.chance(0.02) ? Buffer.concat([line(r, 'MSG', '#general', '1048576'), bytes(1_048_576)]) : commands();
    case 5: return Buffer.concat([line(r, 'MSG', '#general', r.pick(['1048577', '99999999', '0', '-5', '+5', '5.0', '0x5', '1e3', '\xef\xbc\x95', 'five'])), commands()]);
    case 6: return Buffer.concat([line(r, 'MSG', target(r), '0'.repeat(r.range(1, 9)) + String(n)), bytes(n)]); // leading zeros
    case 7: return Buffer.concat([line(r, 'MSG', '#general', String(n), 'x'), commands()]); // last word not a number
    case 8: return oneLine(r, target(r), n, `Hello ${n + 1}`); // one-line form wins over the last word
    case 9: return Buffer.concat([b(`MSG #general x ${n}\\r\\nab ${n}\r\n`), bytes(n)]); // W2 is not digits: the last word counts
    case 10: return Buffer.concat([b(`MSG #general ${n}\\r\\n\r\n`), commands()]); // one-line form, empty body
    case 11: return Buffer.concat([b(`MSG ${r.pick(['#general', 'bob', '#bad!'])} ${n}\\r\\n${'\xc3\xa9'.repeat(n)}\r\n`), commands()]);
    case 12: return Buffer.concat([b(`${r.pick(['MSGX', 'XMSG', 'MSG\x00', 'MS', 'M\xd3G'])} #general ${n}\r\n`), commands()]);
    case 13: return Buffer.concat([line(r, r.pick(['JOIN', 'HISTORY', 'PING', 'USRS']), '#general', String(n)), commands()]);
    case 14: return Buffer.concat([line(r, 'MSG', '#general', `${n}   `), bytes(n)]);
    case 15: { // over-long lines, some that look like MSG with a length
      const len = r.range(MAX_LINE + 1, MAX_LINE + 3000);
      const head = r.pick(['MSG #general ', 'PING ', 'xx ', `MSG #general ${n}\\r\\n`]);
      return Buffer.concat([b(head), b('a'.repeat(len - head.length)), b(r.pick([` ${n}\r\n`, ` ${n}\n`, '\r\n'])), bytes(n)]);
    }
    case 16: { // lines of exactly the limit, with and without a CR that does not count
      const len = MAX_LINE - r.range(0, 1);
      return Buffer.concat([b('PING '), b('p'.repeat(len - 5)), b(r.pick(['\r\n', '\n', '\r\r\n', 'q\r\n', 'qq\n']))]);
    }
    case 17: return Buffer.concat([b(`MSG #general ${MAX_LINE}\\r\\n`), b('y'.repeat(MAX_LINE - 14 - r.range(0, 2))), b('\r\n')]);
    case 18: return Buffer.concat([line(r, 'MSG', '#general', String(n)), bytes(n), line(r, 'MSG', '#general', String(n)), b('\r'), bytes(n - 1)]);
    case 19: return b(r.pick(['\r\r\n', '\r \n', 'PING a\rb\r\n', 'PING \x1b[31m\r\n', 'PING \xff\xfe\r\n', 'PING a b\r\n', `PING ${'\xc3\xa9'.repeat(70)}\r\n`]));
    case 20: return line(r, r.pick(['HISTORY', 'CHNS', 'USRS', 'REG', 'TIME', 'HELP']), ...Array.from({ length: r.range(0, 5) }, () => r.pick(['#general', '0', '5', 'before', 'AFTER', '@nobody', 'x', '9'.repeat(20)])));
    default: return Buffer.concat([b(`${verb(r, 'MSG')}\t#general\t${n}\r\n`), bytes(n)]);
  }
}

function randomBytes(r: Rng): Buffer {
  const out = Buffer.alloc(r.chance(0.05) ? r.range(MAX_LINE - 10, MAX_LINE + 10) : r.range(1, 200));
  for (let i = 0; i < out.length; i++) out[i] = r.chance(0.7) ? ALPHABET[r.int(ALPHABET.length)] : r.int(256);
  return out;
}

const SNIPPETS = ['\r\n', '\n', '\r', ' ', '\t', '\\r\\n', 'MSG ', '#general ', '5', '0', '00000', '\x00', '\xff', '1048576', '65537', 'PING ', ' 7\r\n', 'msg #general 3\n', '\xff\xf4', '\xff\xff', '\xff\xfd\x06', '\xff\xf6'].map(b);

/** Small edits of a valid or tricky sequence: bytes changed, inserted, deleted, repeated. */
function mutate(r: Rng, input: Buffer): Buffer {
  let x = input;
  for (let m = r.range(1, 4); m > 0; m--) {
    const at = r.int(x.length + 1);
    switch (r.int(6)) {
      case 0: if (at < x.length) (x = Buffer.from(x))[at] = r.pick(SNIPPETS)[0] ?? 0; break;
      case 1: x = Buffer.concat([x.subarray(0, at), r.pick(SNIPPETS), x.subarray(at)]); break;
      case 2: x = Buffer.concat([x.subarray(0, at), x.subarray(Math.min(x.length, at + r.range(1, 8)))]); break;
      case 3: x = Buffer.concat([x.subarray(0, at), x.subarray(at, at + r.range(1, 20)), x.subarray(at)]); break;
      case 4: { // another number where there was one
        const s = x.toString('latin1');
        const runs = [...s.matchAll(/\d+/g)];
        if (runs.length) {
          const d = r.pick(runs);
          const v = r.pick(['0', '1', '2', String(r.range(1, 20)), '65536', '65537', '1048576', '1048577', '007']);
          x = Buffer.concat([x.subarray(0, d.index), b(v), x.subarray(d.index! + d[0].length)]);
        }
        break;
      }
      default: x = Buffer.concat([x.subarray(0, at), b(x.subarray(at, at + 8).toString('latin1').toLowerCase()), x.subarray(at + 8)]);
    }
  }
  return x;
}

const TELNET_OPTIONS = [0, 1, 3, 6, 6, 24, 31, 34, 39, 200, 255];

/** One telnet sequence a client may send (docs/PROTOCOL.md section 1, "Telnet"). */
function iac(r: Rng): Buffer {
  switch (r.int(8)) {
    case 0: return b(r.pick(['\xff\xf1', '\xff\xf9', '\xff\xf2', '\xff\xf7', '\xff\xf0', '\xff\x41', '\xff\x00'])); // no effect, or no command
    case 1: return b(r.pick(['\xff\xf4', '\xff\xf5', '\xff\xf8', '\xff\xf3'])); // IP AO EL BRK: the line is dropped
    case 2: return b('\xff\xf4\xff\xfd\x06'); // Ctrl-C, as telnet sends it
    case 3: return b('\xff\xf6'); // AYT
    case 4: return Buffer.from([0xff, r.pick([0xfb, 0xfc, 0xfd, 0xfe]), r.pick(TELNET_OPTIONS)]);
    case 5: { // subnegotiation, a 0xFF in it doubled; now and then ended by a command, not SE
      const inner = Array.from({ length: r.range(0, 12) }, () => r.pick([0, 1, 24, 0x41, 0xff, 0xf0]));
      const content = Buffer.from(inner.flatMap((x) => (x === 0xff ? [0xff, 0xff] : [x])));
      return Buffer.concat([b('\xff\xfa'), Buffer.from([r.pick([24, 31, 32])]), content, b(r.chance(0.8) ? '\xff\xf0' : '\xff\xf4')]);
    }
    default: return b('\xff\xff'); // a 0xFF, escaped
  }
}

/** How many bytes of `bytes` are data once telnet is spoken (what a body's length counts). */
function dataAfterTelnet(bytes: Uint8Array): number {
  let n = 0;
  new TelnetInput('on', { data: (d) => (n += d.length), inBody: () => false, spoke: () => {}, discard: () => {}, ayt: () => {} }).feed(bytes);
  return n;
}

/** Commands with telnet among them; the first IAC command makes the connection speak it. */
function telnetCase(r: Rng): Buffer {
  const parts: Buffer[] = [];
  if (r.chance(0.7)) parts.push(iac(r));
  for (let k = r.range(1, 4); k > 0; k--) {
    switch (r.int(6)) {
      case 0:
        parts.push(iac(r));
        break;
      case 1: // a half line, a telnet command, then the rest (✓ typed before BINARY: `\xe2` BRK `\x93`)
        parts.push(b(r.pick(['PING oops', 'PING ab', 'MSG #general 5', 'JOIN #gen', 'PING \xe2'])), iac(r), r.chance(0.4) ? b('\x93 done\r\n') : validCommand(r));
        break;
      case 2: { // a body with telnet in it, its length counted after telnet is removed (or not)
        const text = Buffer.concat(Array.from({ length: r.range(1, 5) }, () => (r.chance(0.5) ? iac(r) : body(r, r.range(1, 8)))));
        const len = r.pick([dataAfterTelnet(text), dataAfterTelnet(text), text.length, r.range(1, 20)]) || 1;
        parts.push(line(r, 'MSG', target(r), String(len)), text, b(afterBody(r)));
        break;
      }
      case 3: { // Ctrl-C in the middle of a body
        const len = r.range(5, 40);
        parts.push(line(r, 'MSG', target(r), String(len)), body(r, r.range(0, len - 1)), iac(r), validCommand(r));
        break;
      }
      default: { // a command with a telnet sequence somewhere in it
        const cmd = validCommand(r);
        const at = r.int(Math.min(cmd.length, 200) + 1);
        parts.push(cmd.subarray(0, at), iac(r), cmd.subarray(at));
      }
    }
  }
  return Buffer.concat(parts);
}

const sequence = (r: Rng, gen: (r: Rng) => Buffer, n: number) => Buffer.concat(Array.from({ length: n }, () => gen(r)));
const mixed = (r: Rng) => (r.chance(0.5) ? validCommand(r) : tricky(r));

/** Where to split the wire bytes: nowhere, a few random places, at line ends, or everywhere. */
function splitPoints(r: Rng, wire: Buffer): number[] {
  const p = r.int(100);
  const pts = new Set<number>();
  if (p < 35) return [];
  if (p < 75) for (let i = r.range(1, 3); i > 0; i--) pts.add(r.range(1, wire.length - 1));
  else if (p < 88) {
    // Right before, at and after each CR and LF, and around each literal backslash.
    for (let i = 0; i < wire.length && pts.size < 200; i++) {
      if ((wire[i] === 10 || wire[i] === 13 || wire[i] === 92) && r.chance(0.6)) pts.add(i + r.range(0, 1));
    }
  } else if (p < 95 || wire.length > 300) for (let i = r.range(4, 20); i > 0; i--) pts.add(r.range(1, wire.length - 1));
  else for (let i = 1; i < wire.length; i++) pts.add(i);
  return [...pts].filter((x) => x > 0 && x < wire.length).sort((a, c) => a - c);
}

/**
 * The bytes that bring a stream back to a line boundary (and out of a telnet sequence) on a
 * connection in `session`'s state; null if that needs a QUIT.
 */
export function padFor(bytes: Uint8Array, session: Session = freshSession()): Uint8Array | null {
  const m = new WireModel(session).feed(bytes);
  const pads: Uint8Array[] = [];
  for (let next = m.closingBytes(); next !== null && pads.length < 16; next = m.closingBytes()) {
    pads.push(next);
    m.feed(next);
  }
  return m.quit ? null : Buffer.concat(pads);
}

/** A case for given bytes (a replay or a shrink), split nowhere unless told. */
export function caseOf(bytes: Uint8Array, index: number, splits: number[] = [], textFrames = false, seed = 0, log?: LogPlan): Case | null {
  const pad = padFor(bytes);
  return pad === null ? null : { seed, index, kind: 'replay', bytes, pad, splits, textFrames, log };
}

export function makeCase(seed: number, index: number): Case {
  const r = new Rng((Math.imul(seed >>> 0, 0x2545f491) ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  // QUIT would end the connection: a case that turns out to hold one is drawn again.
  for (;;) {
    const p = r.int(100);
    const kind = p < 18 ? 'log' : p < 40 ? 'valid' : p < 62 ? 'tricky' : p < 85 ? 'mutated' : p < 94 ? 'telnet' : 'random';
    // A log case, now and then mutated: the partner's prelude still runs, the model still knows it.
    const logged = kind === 'log' || (kind === 'mutated' && r.chance(0.2)) ? logCase(r, index) : null;
    const bytes =
      logged !== null ? (kind === 'log' ? logged.bytes : mutate(r, logged.bytes))
      : kind === 'valid' ? sequence(r, validCommand, r.range(1, 6))
      : kind === 'tricky' ? sequence(r, mixed, r.range(1, 4))
      : kind === 'mutated' ? mutate(r, r.chance(0.8) ? sequence(r, mixed, r.range(1, 4)) : telnetCase(r))
      : kind === 'telnet' ? telnetCase(r)
      : randomBytes(r);
    const pad = padFor(bytes);
    // The same bytes read otherwise where telnet is spoken, or is not spoken at all (a WebSocket).
    if (pad === null || padFor(bytes, { ...freshSession(), telnet: 'on' }) === null || padFor(bytes, { ...freshSession(), telnet: 'off' }) === null) continue;
    const wire = Buffer.concat([bytes, pad, sentinelBytes(index)]);
    return { seed, index, kind, bytes, pad, splits: splitPoints(r, wire), textFrames: r.chance(0.3), log: logged?.log };
  }
}

/**
 * Bytes as a JavaScript expression of latin1 strings, long runs as `.repeat()`, so a report
 * can be pasted back: `Buffer.from("MSG #general 5 6\r\n" + ".".repeat(6), "latin1")`.
 */
export function escapeBytes(bytes: Uint8Array, maxLen = 2000): string {
  const parts: string[] = [];
  let lit = '';
  const esc = (c: number) =>
    c === 34 ? '\\"' : c === 92 ? '\\\\' : c >= 32 && c < 127 ? String.fromCharCode(c)
    : c === 13 ? '\\r' : c === 10 ? '\\n' : c === 9 ? '\\t' : `\\x${c.toString(16).padStart(2, '0')}`;
  for (let i = 0; i < bytes.length; ) {
    let j = i;
    while (j < bytes.length && bytes[j] === bytes[i]) j++;
    if (j - i >= 16) {
      if (lit) parts.push(`"${lit}"`);
      lit = '';
      parts.push(`"${esc(bytes[i])}".repeat(${j - i})`);
    } else for (let k = i; k < j; k++) lit += esc(bytes[k]);
    i = j;
  }
  if (lit) parts.push(`"${lit}"`);
  const s = parts.join(' + ') || '""';
  return s.length > maxLen ? `${s.slice(0, maxLen)} …(${bytes.length} bytes in all)` : s;
}
