import { ErrorCode, ProtocolError } from './errors.ts';
import type { Command } from './frames.ts';
import { LIMITS } from './limits.ts';
import { skipBody, NO_BODY } from './parser.ts';
import { announcedLength, readLength, skipSpaces, tokenEnd, words } from './tokens.ts';
import { nameProblem } from './names.ts';
import { normalizeReaction } from './reactions.ts';

/**
 * Decoding of the commands that change or read a conversation's messages beyond MSG (spec:
 * REPLY, RE, EDIT, FIX, DELETE, REACT, UNREACT, TYPING, THREAD, THREADS, READ … THREAD).
 * None is on a hot path, so lines are split into words.
 */

const err = (code: ProtocolError['code'], text: string) => new ProtocolError(code, text);
const syntax = (usage: string) => err(ErrorCode.BAD_SYNTAX, `Usage: ${usage}`);
/** An id as a command gives it: 1 to 15 digits (0 parses; the server answers it NO_SUCH_MESSAGE). */
const ID = /^\d{1,15}$/;

/** A conversation's name: a channel or a user (as HISTORY and READ take it). */
export function conversationTarget(verb: string, target: string): ProtocolError | null {
  const kind = target[0] === '#' ? 'channel' : target[0] === '@' ? 'handle' : null;
  if (kind === null) return err(ErrorCode.BAD_TARGET, `${verb} needs a channel (#name) or a user (@name)`);
  return nameProblem(target, kind);
}

const USAGE = {
  REPLY: 'REPLY <#channel|@user> <root-id> <length> [ALSO]',
  EDIT: 'EDIT <#channel|@user> <id> <length>',
  RE: 'RE <#channel|@user> <root-id> <text>',
  FIX: 'FIX <#channel|@user> <id> <text>',
} as const;

/** A decoded line and the body it announces (the parser's `bodyLength`, spec section 7). */
export type Bodied = { result: Command | ProtocolError; bodyLength: number };

/**
 * `REPLY <target> <root-id> <len> [ALSO]` and `EDIT <target> <id> <len>`, their body on the
 * next line. The body rule of section 7, as for MSG: the length is the last word (for REPLY,
 * the word before a last word ALSO); when it is a plain length, those bytes follow whatever
 * else is wrong with the line, so a refused line has them skipped, never read as commands.
 */
export function decodeBodied(verb: 'REPLY' | 'EDIT', buf: Uint8Array, start: number, end: number, maxBody: number): Bodied {
  const args = words(buf, start, end).slice(1);
  const also = verb === 'REPLY' && args.length > 0 && args[args.length - 1].toUpperCase() === 'ALSO';
  const lengthAt = args.length - (also ? 2 : 1);
  const lengthWord = lengthAt >= 0 ? args[lengthAt] : '';
  const lengthBytes = new TextEncoder().encode(lengthWord);
  const announced = announcedLength(lengthBytes, 0, lengthBytes.length);
  const refuse = (e: ProtocolError): Bodied => ({ result: e, bodyLength: announced > 0 ? skipBody(announced) : NO_BODY });
  const skipped = announced > 0 ? `; the ${announced} bytes that follow are skipped` : '';
  // Words besides the target, the id and the length (and ALSO), or some missing.
  if (lengthAt !== 2) {
    if (announced === 0 && lengthAt === 1) return refuse(err(ErrorCode.BAD_LENGTH, 'Body length is missing'));
    return refuse(syntax(`${USAGE[verb]}${skipped || ', then the body on the next line'}`));
  }
  const bad = conversationTarget(verb, args[0]);
  if (bad) return refuse(bad);
  if (!ID.test(args[1])) {
    return refuse(err(ErrorCode.BAD_SYNTAX, `${verb} needs the id of a message, a number${skipped}`));
  }
  if (announced === 0) {
    const e = readLength(lengthBytes, 0, lengthBytes.length, maxBody);
    return refuse(typeof e === 'number' ? err(ErrorCode.BAD_LENGTH, 'Body length is not valid') : e);
  }
  if (announced > maxBody) {
    return refuse(err(ErrorCode.BODY_TOO_LARGE, `Body of ${announced} bytes is over the ${maxBody}-byte limit; its bytes are skipped`));
  }
  const id = Number(args[1]);
  const body = new Uint8Array(0);
  const result: Command =
    verb === 'REPLY'
      ? also
        ? { type: 'REPLY', target: args[0], root: id, body, also: true }
        : { type: 'REPLY', target: args[0], root: id, body }
      : { type: 'EDIT', target: args[0], id, body };
  return { result, bodyLength: announced };
}

/**
 * `RE <target> <root-id> <text>` and `FIX <target> <id> <text>`: REPLY and EDIT as a person
 * types them, as SAY is MSG: the body is the rest of the line after the id and the spaces
 * after it (trailing spaces already dropped by the caller). RE has no ALSO: a word ALSO is text.
 */
export function decodeSaid(verb: 'RE' | 'FIX', buf: Uint8Array, start: number, end: number): Command | ProtocolError {
  const tStart = skipSpaces(buf, tokenEnd(buf, start, end), end);
  const tEnd = tokenEnd(buf, tStart, end);
  const iStart = skipSpaces(buf, tEnd, end);
  const iEnd = tokenEnd(buf, iStart, end);
  const bodyStart = skipSpaces(buf, iEnd, end);
  if (tStart === end || iStart === end || bodyStart === end) return syntax(USAGE[verb]);
  const target = new TextDecoder().decode(buf.subarray(tStart, tEnd));
  const bad = conversationTarget(verb, target);
  if (bad) return bad;
  const idWord = new TextDecoder().decode(buf.subarray(iStart, iEnd));
  if (!ID.test(idWord)) return err(ErrorCode.BAD_SYNTAX, `${verb} needs the id of a message, a number: ${USAGE[verb]}`);
  const body = buf.slice(bodyStart, end);
  return verb === 'RE'
    ? { type: 'REPLY', target, root: Number(idWord), body, said: true }
    : { type: 'EDIT', target, id: Number(idWord), body, said: true };
}

/** `<target> <id>` as DELETE, REACT and UNREACT begin: a conversation and a message id. */
function targetAndId(verb: string, args: string[], usage: string): ProtocolError | null {
  const bad = conversationTarget(verb, args[0]);
  if (bad) return bad;
  if (!ID.test(args[1])) return err(ErrorCode.BAD_SYNTAX, `${verb} needs the id of a message, a number: ${usage}`);
  return null;
}

/** DELETE, REACT, UNREACT, TYPING, THREAD, THREADS and READ (with or without THREAD), from their words. */
export function decodeThreadCommand(verb: string, args: string[]): Command | ProtocolError {
  switch (verb) {
    case 'DELETE': {
      const usage = 'DELETE <#channel|@user> <id> [reason]';
      if (args.length !== 2) return syntax(usage);
      return targetAndId(verb, args, usage) ?? { type: 'DELETE', target: args[0], id: Number(args[1]) };
    }
    case 'REACT':
    case 'UNREACT': {
      const usage = `${verb} <#channel|@user> <id> <emoji or :shortcode:>`;
      if (args.length !== 3) return syntax(usage);
      const bad = targetAndId(verb, args, usage);
      if (bad) return bad;
      const reaction = normalizeReaction(args[2]);
      if (reaction === null) return err(ErrorCode.BAD_REACTION, 'A reaction is one emoji, or a :shortcode: such as :+1:');
      return { type: verb, target: args[0], id: Number(args[1]), reaction };
    }
    case 'TYPING': {
      if (args.length !== 1) return syntax('TYPING <#channel|@user>, or TYPING ON|OFF');
      const word = args[0].toUpperCase();
      if (word === 'ON' || word === 'OFF') return { type: 'TYPING', watch: word === 'ON' };
      return conversationTarget(verb, args[0]) ?? { type: 'TYPING', target: args[0] };
    }
    case 'THREAD':
      return thread(args);
    case 'THREADS':
      if (args.length !== 0) return syntax('THREADS takes no arguments');
      return { type: 'THREADS' };
    default:
      return read(args);
  }
}

/** `THREAD <target> <id> [limit]`: `id` the root, or any reply of its thread. */
function thread(args: string[]): Command | ProtocolError {
  const usage = 'THREAD <#channel|@user> <root-id> [limit]';
  if (args.length < 2 || args.length > 3) return syntax(usage);
  const bad = targetAndId('THREAD', args, usage);
  if (bad) return bad;
  const cmd: Extract<Command, { type: 'THREAD' }> = { type: 'THREAD', target: args[0], root: Number(args[1]) };
  if (args.length === 3) {
    if (!/^\d+$/.test(args[2])) return syntax(usage);
    const limit = Number(args[2]);
    if (limit < 1) return err(ErrorCode.BAD_SYNTAX, 'THREAD limit must be at least 1');
    cmd.limit = Math.min(limit, LIMITS.maxThread);
  }
  return cmd;
}

/** `READ <target> <id> [THREAD <root-id>]`: read up to and including `id`, in the thread of `root-id` when given. */
function read(args: string[]): Command | ProtocolError {
  const usage = 'READ <#channel|@user> <id> [THREAD <root-id>]';
  if (args.length !== 2 && args.length !== 4) return syntax(usage);
  const bad = conversationTarget('READ', args[0]);
  if (bad) return bad;
  if (!ID.test(args[1])) return err(ErrorCode.BAD_SYNTAX, 'READ needs the id of the last message read, a number');
  if (args.length === 2) return { type: 'READ', target: args[0], id: Number(args[1]) };
  if (args[2].toUpperCase() !== 'THREAD' || !ID.test(args[3])) return syntax(usage);
  return { type: 'READ', target: args[0], id: Number(args[1]), thread: Number(args[3]) };
}
