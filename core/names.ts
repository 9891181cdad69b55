import { LIMITS } from './limits.ts';
import { ErrorCode, ProtocolError } from './errors.ts';

/**
 * Name rules. A handle is `@` and a channel `#`, then 1 to 32 of: ASCII letters, digits,
 * `_`, `-`, `.`. Names keep the case they were first written in and are unique without
 * regard to case: `@Jane` and `@jane` are one user.
 */
const NAME_BODY = /^[A-Za-z0-9_.-]+$/;

export type NameKind = 'handle' | 'channel';

/** Why `name` is not a valid handle or channel, or null when it is. */
export function nameProblem(name: string, kind: NameKind): ProtocolError | null {
  const sigil = kind === 'handle' ? '@' : '#';
  const code = kind === 'handle' ? ErrorCode.BAD_HANDLE : ErrorCode.BAD_CHANNEL;
  const what = kind === 'handle' ? 'Handle' : 'Channel';
  if (name.length === 0) return new ProtocolError(code, `${what} is missing`);
  if (name[0] !== sigil) return new ProtocolError(code, `${what} must begin with ${sigil}`);
  const body = name.slice(1);
  if (body.length === 0) return new ProtocolError(code, `${what} cannot be blank after ${sigil}`);
  if (body.length > LIMITS.maxName) {
    return new ProtocolError(code, `${what} is longer than ${LIMITS.maxName} characters after ${sigil}`);
  }
  if (!NAME_BODY.test(body)) {
    return new ProtocolError(code, `${what} may use only letters, digits, _ - and . after ${sigil}`);
  }
  return null;
}

export const isHandle = (s: string): boolean => nameProblem(s, 'handle') === null;
export const isChannel = (s: string): boolean => nameProblem(s, 'channel') === null;

/** The key two names are compared by. */
export const nameKey = (name: string): string => name.toLowerCase();

export const DEFAULT_CHANNEL = '#general';
