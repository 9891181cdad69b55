/**
 * Cases for issue 17's commands (docs/PROTOCOL.md section 2: REPLY, RE, EDIT, FIX, DELETE,
 * REACT, UNREACT, TYPING, THREAD, THREADS, READ … THREAD, HISTORY's state lines and `after`).
 *
 * - `changeCommand`: one such command on any target with any id, among the other valid
 *   commands: its syntax is checked exactly, its outcome loosely (the model has not seen
 *   those conversations).
 * - `logCase`: a conversation the model knows from its first id: a channel made for the case
 *   (`#lg<index>`), where a partner connection first posts, replies, edits, deletes and reacts
 *   (the prelude, so that there are others' messages), then the case's connection joins and
 *   acts on ids that exist, ids of edits and reactions, ids past the end, others' messages,
 *   deleted ones. The generator follows the log as it writes (model-log.ts), to pick ids.
 */
import { ConvLog } from './model-log.ts';
import { Rng, b, body, eol, line, oneLineText, sep, target, verb } from './gen.ts';

/** One command of a partner's prelude: always well formed, so that each is `OK`. */
export type PreludeOp =
  | { cmd: 'MSG'; text: string }
  | { cmd: 'REPLY'; id: number; text: string; also: boolean }
  | { cmd: 'EDIT'; id: number; text: string }
  | { cmd: 'DELETE'; id: number }
  | { cmd: 'REACT'; id: number; reaction: string };

export type LogPlan = { channel: string; prelude: PreludeOp[] };

/** Reactions: emoji (with a skin tone, a ZWJ sequence, a flag, a heart without its VS16), shortcodes, and not. */
const GOOD = ['👍', ':+1:', '🎉', ':tada:', '❤', '❤️', ':heart:', '👍🏽', '🇫🇷', '👨‍👩‍👧', '🚀', ':eyes:', '😄'];
const BAD = ['yes', '👍👍', 'a', '1', '#', ':)', '\xff', 'x'.repeat(65), '\u200d', '🇫'];
const reaction = (r: Rng) => (r.chance(0.8) ? r.pick(GOOD) : r.pick(BAD));
const utf8 = (s: string) => Buffer.from(s, 'utf8');
/** Bytes of a line whose words may hold UTF-8 (a reaction): the words as UTF-8, the rest latin1. */
const lineU = (r: Rng, v: string, ...args: string[]) => Buffer.from(line(r, v, ...args.map((a) => utf8(a).toString('latin1'))).toString('latin1'), 'latin1');
const id = (r: Rng) => r.pick(['1', '2', '3', String(r.range(1, 40)), '0', '00', '9'.repeat(16), 'x', '-1']);

/** One of issue 17's commands with any target and id: valid and not. */
export function changeCommand(r: Rng): Buffer {
  const t = target(r);
  switch (r.int(11)) {
    case 0: {
      const len = r.range(1, 30);
      const also = r.chance(0.3) ? [r.pick(['ALSO', 'also', 'Also'])] : [];
      return Buffer.concat([line(r, 'REPLY', t, id(r), String(len), ...also), body(r, len), b(eol(r))]);
    }
    case 1: {
      const len = r.range(1, 30);
      return Buffer.concat([line(r, 'EDIT', t, id(r), String(len)), body(r, len), b(eol(r))]);
    }
    case 2:
      return line(r, r.pick(['RE', 'FIX']), t, id(r), ...(r.chance(0.9) ? [oneLineText(r, r.range(1, 20)) || 'x'] : []));
    case 3:
      return line(r, 'DELETE', t, ...(r.chance(0.9) ? [id(r)] : []));
    case 4:
    case 5:
      return lineU(r, r.pick(['REACT', 'UNREACT']), t, id(r), ...(r.chance(0.95) ? [reaction(r)] : []), ...(r.chance(0.05) ? ['👍'] : []));
    case 6:
      return line(r, 'TYPING', ...(r.chance(0.95) ? [r.pick([t, t, 'ON', 'OFF', 'on', 'maybe'])] : []));
    case 7:
      return line(r, 'THREAD', t, id(r), ...(r.chance(0.3) ? [r.pick(['1', '5', '0', '500', '501', 'x'])] : []));
    case 8:
      return line(r, 'THREADS', ...(r.chance(0.1) ? ['#general'] : []));
    case 9:
      return line(r, 'READ', t, id(r), r.pick(['THREAD', 'THREAD', 'thread', 'FOO']), id(r));
    default:
      return Buffer.concat([line(r, 'REPLY', t, id(r), ...(r.chance(0.5) ? ['ALSO'] : []))]); // no length: nothing announced
  }
}

const ME = '@me';
const PARTNER = '@p';

/** An id to act on, of the kind a test wants most: a message, a reply, an edit's id, one past the end, 0. */
function pickId(r: Rng, log: ConvLog): number {
  const ms = [...log.messages.values()];
  const kinds: number[][] = [
    ms.filter((m) => m.from === ME && !m.deleted).map((m) => m.id),
    ms.filter((m) => m.from === ME && !m.deleted).map((m) => m.id),
    ms.filter((m) => m.from === PARTNER && !m.deleted).map((m) => m.id),
    ms.filter((m) => m.root !== undefined).map((m) => m.id),
    ms.filter((m) => m.deleted).map((m) => m.id),
    log.entries.filter((e) => e.kind !== 'msg').map((e) => e.id),
    [log.lastId + r.range(1, 3)],
    [0],
  ].filter((k) => k.length > 0);
  return r.pick(r.pick(kinds));
}

/** The partner's prelude: a few messages of its own, a reply, maybe an edit, a delete, a reaction. */
function prelude(r: Rng, log: ConvLog): PreludeOp[] {
  const ops: PreludeOp[] = [];
  const apply = (op: PreludeOp) => {
    ops.push(op);
    const t = utf8('text' in op ? op.text : '');
    if (op.cmd === 'MSG') log.msg(PARTNER, t);
    else if (op.cmd === 'REPLY') log.reply(PARTNER, op.id, t, op.also);
    else if (op.cmd === 'EDIT') log.edit(PARTNER, op.id, t);
    else if (op.cmd === 'DELETE') log.delete(PARTNER, op.id);
    else log.react(PARTNER, op.id, op.reaction, true);
  };
  for (let n = r.range(1, 3); n > 0; n--) apply({ cmd: 'MSG', text: r.pick(['Hello', 'Second one', 'h\u00e9llo @me', 'bye']) });
  if (r.chance(0.6)) apply({ cmd: 'REPLY', id: r.range(1, log.lastId), text: 'In thread', also: r.chance(0.3) });
  const own = () => [...log.messages.values()].filter((m) => !m.deleted).map((m) => m.id);
  if (r.chance(0.4)) apply({ cmd: 'EDIT', id: r.pick(own()), text: 'Edited by its author' });
  if (r.chance(0.4)) apply({ cmd: 'REACT', id: r.pick(own()), reaction: r.pick(['👍', '🎉', '❤️']) });
  if (r.chance(0.4)) apply({ cmd: 'DELETE', id: r.pick(own()) });
  return ops;
}

/** The bytes of a prelude command (one-line bodies are not used: each body is length-counted). */
export function preludeBytes(channel: string, op: PreludeOp): Buffer {
  const t = 'text' in op ? utf8(op.text) : Buffer.alloc(0);
  switch (op.cmd) {
    case 'MSG':
      return Buffer.concat([b(`MSG ${channel} ${t.length}\r\n`), t, b('\r\n')]);
    case 'REPLY':
      return Buffer.concat([b(`REPLY ${channel} ${op.id} ${t.length}${op.also ? ' ALSO' : ''}\r\n`), t, b('\r\n')]);
    case 'EDIT':
      return Buffer.concat([b(`EDIT ${channel} ${op.id} ${t.length}\r\n`), t, b('\r\n')]);
    case 'DELETE':
      return b(`DELETE ${channel} ${op.id}\r\n`);
    default:
      return Buffer.concat([b(`REACT ${channel} ${op.id} `), utf8(op.reaction), b('\r\n')]);
  }
}

/** 51 distinct emoji (U+1F600 on): the 51st on one message is one too many. */
const MANY = Array.from({ length: 51 }, (_, i) => String.fromCodePoint(0x1f600 + i));

/** A case on a fresh channel whose log the model knows; see the file's comment. */
export function logCase(r: Rng, index: number): { bytes: Buffer; log: LogPlan } {
  const channel = `#lg${index}`;
  const log = new ConvLog(channel);
  const plan: LogPlan = { channel, prelude: prelude(r, log) };
  const parts: Buffer[] = [];
  if (r.chance(0.95)) parts.push(line(r, 'JOIN', channel));
  const body1 = () => (r.chance(0.85) ? b(oneLineText(r, r.range(1, 24)) || 'x') : body(r, r.range(1, 60)));
  for (let n = r.range(2, 10); n > 0; n--) {
    const at = pickId(r, log);
    switch (r.int(14)) {
      case 0: {
        const t = body1();
        parts.push(line(r, 'MSG', channel, String(t.length)), t, b(eol(r)));
        log.msg(ME, t);
        break;
      }
      case 1:
      case 2: {
        const t = body1();
        const also = r.chance(0.3);
        parts.push(line(r, 'REPLY', channel, String(at), String(t.length), ...(also ? ['ALSO'] : [])), t, b(eol(r)));
        log.reply(ME, at, t, also);
        break;
      }
      case 3: {
        const t = oneLineText(r, r.range(1, 20)).trim() || 'ok';
        parts.push(b(`${verb(r, 'RE')}${sep(r)}${channel}${sep(r)}${at}${sep(r)}${t}${eol(r)}`));
        log.reply(ME, at, utf8(t), false);
        break;
      }
      case 4:
      case 5: {
        const t = body1();
        if (r.chance(0.5)) parts.push(line(r, 'EDIT', channel, String(at), String(t.length)), t, b(eol(r)));
        else parts.push(b(`${verb(r, 'FIX')}${sep(r)}${channel}${sep(r)}${at}${sep(r)}`), b(t.toString('latin1').replace(/[\r\n]/g, '.').trim() || 'ok'), b(eol(r)));
        log.edit(ME, at, t);
        break;
      }
      case 6:
        parts.push(line(r, 'DELETE', channel, String(at)));
        log.delete(ME, at);
        break;
      case 7:
      case 8: {
        const x = r.chance(0.5) ? r.pick(GOOD.slice(0, 3)) : reaction(r);
        const add = r.chance(0.7);
        parts.push(lineU(r, add ? 'REACT' : 'UNREACT', channel, String(at), x));
        log.react(ME, at, x, add); // (the simulation's reaction names need not be the emoji)
        break;
      }
      case 9:
        parts.push(line(r, 'TYPING', channel));
        break;
      case 10:
        parts.push(line(r, 'THREAD', channel, String(at), ...(r.chance(0.3) ? [String(r.range(1, 3))] : [])));
        break;
      case 11: {
        const dir = r.pick([[], [], ['after', String(r.range(0, log.lastId))], ['before', String(r.range(0, log.lastId + 1))], ['around', String(r.range(1, log.lastId + 1))]]);
        parts.push(line(r, 'HISTORY', channel, ...(r.chance(0.4) ? [String(r.range(1, 6))] : []), ...dir));
        break;
      }
      case 12:
        parts.push(line(r, 'READ', channel, String(at), 'THREAD', String(pickId(r, log))));
        break;
      default:
        if (r.chance(0.08)) {
          // The cap: 51 distinct reactions on one message of the partner's.
          const target = [...log.messages.values()].find((m) => !m.deleted);
          for (const e of target === undefined ? [] : MANY) {
            parts.push(lineU(r, 'REACT', channel, String(target!.id), e));
            log.react(ME, target!.id, e, true);
          }
        } else parts.push(line(r, 'THREADS'));
    }
  }
  // Read it all back at the end, now and then: the page, and the replay.
  if (r.chance(0.5)) parts.push(line(r, 'HISTORY', channel, ...(r.chance(0.5) ? ['after', '0'] : [])));
  if (r.chance(0.25)) parts.push(line(r, 'THREADS'));
  return { bytes: Buffer.concat(parts), log: plan };
}
