import { ErrorCode, ProtocolError } from './errors.ts';
import type { Command } from './frames.ts';
import { LIMITS } from './limits.ts';
import { hasControl, skipSpaces, tokenEnd } from './tokens.ts';
import { nameProblem } from './names.ts';
import { utf8Length } from './bytes.ts';
import { decodeThreadCommand } from './decode-thread.ts';

/**
 * The moderation commands (spec: OP, KICK, BAN, SUSPEND, MODLOG) and DELETE with a reason.
 * A reason is the rest of the line after the words before it, spaces kept: printable, on one
 * line (it is shown to the removed user, on terminals too), at most LIMITS.maxReason bytes.
 */
export const MODERATION_VERBS: ReadonlySet<string> = new Set(['OP', 'DEOP', 'OWNER', 'KICK', 'BAN', 'UNBAN', 'SUSPEND', 'UNSUSPEND', 'MODLOG', 'ROLES', 'BANS', 'DELETE']);

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const err = (code: ProtocolError['code'], text: string) => new ProtocolError(code, text);
const syntax = (usage: string) => err(ErrorCode.BAD_SYNTAX, `Usage: ${usage}`);

/** The text after the first `n` words of the line; a ProtocolError when it is no reason. */
function reasonAfter(buf: Uint8Array, start: number, end: number, n: number): string | ProtocolError {
  let at = start;
  for (let i = 0; i < n; i++) at = skipSpaces(buf, tokenEnd(buf, skipSpaces(buf, at, end), end), end);
  let text: string;
  try {
    text = strictUtf8.decode(buf.subarray(at, end)).replace(/[ \t]+$/, '');
  } catch {
    return err(ErrorCode.BAD_SYNTAX, 'A reason must be UTF-8 text');
  }
  if (hasControl(text)) return err(ErrorCode.BAD_SYNTAX, 'A reason must be printable, on one line');
  if (utf8Length(text) > LIMITS.maxReason) return err(ErrorCode.BAD_SYNTAX, `A reason is at most ${LIMITS.maxReason} bytes`);
  return text;
}

export function decodeModeration(verb: string, args: string[], buf: Uint8Array, start: number, end: number): Command | ProtocolError {
  switch (verb) {
    case 'OP':
    case 'DEOP':
    case 'OWNER':
    case 'UNBAN':
      if (args.length !== 2) return syntax(`${verb} #channel @handle`);
      return nameProblem(args[0], 'channel') ?? nameProblem(args[1], 'handle') ?? { type: verb, channel: args[0], handle: args[1] };
    case 'KICK':
    case 'BAN': {
      if (args.length < 2) return syntax(`${verb} #channel @handle [reason]`);
      const bad = nameProblem(args[0], 'channel') ?? nameProblem(args[1], 'handle');
      if (bad) return bad;
      if (args.length === 2) return { type: verb, channel: args[0], handle: args[1] };
      const reason = reasonAfter(buf, start, end, 3);
      return typeof reason === 'string' ? { type: verb, channel: args[0], handle: args[1], reason } : reason;
    }
    case 'SUSPEND': {
      if (args.length < 1) return syntax('SUSPEND @handle [reason]');
      const bad = nameProblem(args[0], 'handle');
      if (bad) return bad;
      if (args.length === 1) return { type: 'SUSPEND', handle: args[0] };
      const reason = reasonAfter(buf, start, end, 2);
      return typeof reason === 'string' ? { type: 'SUSPEND', handle: args[0], reason } : reason;
    }
    case 'UNSUSPEND':
      if (args.length !== 1) return syntax('UNSUSPEND @handle');
      return nameProblem(args[0], 'handle') ?? { type: 'UNSUSPEND', handle: args[0] };
    case 'ROLES':
      if (args.length > 1) return syntax('ROLES [#channel]');
      if (args.length === 0) return { type: 'ROLES' };
      return nameProblem(args[0], 'channel') ?? { type: 'ROLES', channel: args[0] };
    case 'BANS':
      if (args.length !== 1) return syntax('BANS #channel');
      return nameProblem(args[0], 'channel') ?? { type: 'BANS', channel: args[0] };
    case 'MODLOG': {
      if (args.length > 1) return syntax(`MODLOG [n], n at most ${LIMITS.maxModlog}`);
      if (args.length === 0) return { type: 'MODLOG' };
      if (!/^\d{1,3}$/.test(args[0]) || Number(args[0]) < 1 || Number(args[0]) > LIMITS.maxModlog) {
        return err(ErrorCode.BAD_SYNTAX, `MODLOG takes a number from 1 to ${LIMITS.maxModlog}`);
      }
      return { type: 'MODLOG', limit: Number(args[0]) };
    }
    default: {
      // DELETE <target> <id> [reason]: the two words as before; a reason for a moderator's deletion.
      const head = decodeThreadCommand('DELETE', args.slice(0, 2));
      if (head instanceof ProtocolError || args.length <= 2) return args.length < 2 ? decodeThreadCommand('DELETE', args) : head;
      const reason = reasonAfter(buf, start, end, 3);
      return typeof reason === 'string' ? { ...(head as Extract<Command, { type: 'DELETE' }>), reason } : reason;
    }
  }
}
