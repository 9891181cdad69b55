/**
 * The model's rules for the chat-feature commands (docs/PROTOCOL.md section 2: UNREAD and
 * READ, TOKEN and SIGNOUT, TOPIC, PREFS and PREF, BLOCK, CREATE and INVITE), kept apart from model.ts so each stays readable. Like the
 * rest of the model they are written from the spec text, not from core/: for a command, the
 * replies the spec allows, given what the model knows of the session (whether it has
 * registered, the channels it joined). A syntax error may come before or after
 * NOT_REGISTERED; where the spec does not order two checks, both codes are allowed.
 */
export type ChatSession = { registered: boolean; joined: Set<string> };

const isNameByte = (b: number) =>
  (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b === 95 || b === 45 || b === 46;
const name = (w: Uint8Array, sigil: number) =>
  w[0] === sigil && w.length >= 2 && w.length <= 33 && w.subarray(1).every(isNameByte);
const text = (w: Uint8Array) => Buffer.from(w.buffer, w.byteOffset, w.length).toString('latin1');
const key = (w: Uint8Array) => text(w).toLowerCase();
const digits = (w: Uint8Array, max: number) => w.length >= 1 && w.length <= max && w.every((b) => b >= 48 && b <= 57);

/** Codes for a conversation target (READ): a channel or a user; empty when it is fine. */
function targetProblems(w: Uint8Array): string[] {
  if (w[0] === 35) return name(w, 35) ? [] : ['ERR:BAD_CHANNEL', 'ERR:BAD_TARGET'];
  if (w[0] === 64) return name(w, 64) ? [] : ['ERR:BAD_HANDLE', 'ERR:BAD_TARGET'];
  return ['ERR:BAD_TARGET'];
}

/**
 * The replies owed for `verb` (upper case), or null when it is not one of these commands.
 * `rest`: the bytes of the line after the first argument and the blanks after it (TOPIC's
 * free text), line end and trailing blanks removed.
 */
export function chatReplies(verb: string, args: Uint8Array[], rest: Uint8Array, s: ChatSession): string[] | null {
  const needsReg = (syntax: string[], ok: string[]) => (s.registered ? (syntax.length ? syntax : ok) : [...syntax, 'ERR:NOT_REGISTERED']);
  switch (verb) {
    case 'UNREAD':
      return needsReg(args.length ? ['ERR:BAD_SYNTAX'] : [], ['END:UNREAD']);
    case 'TOKEN':
      // The fuzzer's user may be a guest (no token) or claimed (a token).
      return needsReg(args.length ? ['ERR:BAD_SYNTAX'] : [], ['ERR:NOT_CLAIMED', 'OK-TOKEN']);
    case 'SIGNOUT': {
      const ok = args.length === 0 || (args.length === 1 && key(args[0]) === 'all');
      return needsReg(ok ? [] : ['ERR:BAD_SYNTAX'], ['OK']);
    }
    case 'READ': {
      if (args.length !== 2) return needsReg(['ERR:BAD_SYNTAX'], []);
      const syntax = [...targetProblems(args[0])];
      if (!digits(args[1], 15)) syntax.push('ERR:BAD_SYNTAX');
      if (syntax.length) return needsReg(syntax, []);
      if (args[0][0] === 64) return needsReg([], ['OK', 'ERR:NO_SUCH_USER']);
      return needsReg([], s.joined.has(key(args[0])) ? ['OK'] : ['ERR:NOT_MEMBER', 'ERR:NO_SUCH_CHANNEL']);
    }
    case 'TOPIC': {
      if (args.length === 0) return needsReg(['ERR:BAD_SYNTAX'], []);
      if (!name(args[0], 35)) return needsReg(['ERR:BAD_CHANNEL'], []);
      if (args.length === 1) return needsReg([], ['END:TOPIC', 'ERR:NO_SUCH_CHANNEL']);
      // A topic is printable (no byte under 32, no DEL) and at most 250 bytes of UTF-8.
      const control = rest.some((b) => b < 32 || b === 127);
      const ascii = rest.every((b) => b < 128);
      const member = s.joined.has(key(args[0])) ? ['OK'] : ['ERR:NOT_MEMBER', 'ERR:NO_SUCH_CHANNEL'];
      if (control) return needsReg(['ERR:BAD_SYNTAX'], []);
      // Bytes that are not valid UTF-8 are read as U+FFFD, which changes the length: either.
      if (!ascii) return needsReg([], ['ERR:BAD_SYNTAX', ...member]);
      return needsReg(rest.length > 250 ? ['ERR:BAD_SYNTAX'] : [], member);
    }
    case 'PREFS':
      // The fuzzer's user may be a guest (who keeps no settings) or claimed.
      return needsReg(args.length ? ['ERR:BAD_SYNTAX'] : [], ['END:PREFS', 'ERR:NOT_CLAIMED']);
    case 'PREF': {
      if (args.length === 0 || args[0].length > 64 || !args[0].every(isPrefKeyByte)) return needsReg(['ERR:BAD_SYNTAX'], []);
      if (args.length === 1) return needsReg([], ['OK', 'ERR:NOT_CLAIMED']);
      // A value: UTF-8 text of at most 256 bytes, no byte under 32, no DEL.
      if (rest.length > 256 || rest.some((b) => b < 32 || b === 127) || !isUtf8(rest)) return needsReg(['ERR:BAD_SYNTAX'], []);
      // The fuzzer keeps a few keys, never the 100 a user may have.
      return needsReg([], ['OK', 'ERR:NOT_CLAIMED']);
    }
    case 'BLOCK':
    case 'UNBLOCK':
      if (args.length !== 1) return needsReg(['ERR:BAD_SYNTAX'], []);
      if (!name(args[0], 64)) return needsReg(['ERR:BAD_HANDLE'], []);
      // Yourself: SELF_TARGET; someone never registered: NO_SUCH_USER.
      return needsReg([], ['OK', 'ERR:NO_SUCH_USER', 'ERR:SELF_TARGET']);
    case 'BLOCKS':
      return needsReg(args.length ? ['ERR:BAD_SYNTAX'] : [], ['END:BLOCKS']);
    case 'OP':
    case 'DEOP':
    case 'OWNER':
    case 'UNBAN':
    case 'KICK':
    case 'BAN': {
      // `#channel @handle`, KICK and BAN a reason after (the rest of the line: printable, at most 250 bytes).
      const withReason = verb === 'KICK' || verb === 'BAN';
      if (args.length < 2 || (!withReason && args.length > 2)) return needsReg(['ERR:BAD_SYNTAX'], []);
      const syntax = [...(name(args[0], 35) ? [] : ['ERR:BAD_CHANNEL']), ...(name(args[1], 64) ? [] : ['ERR:BAD_HANDLE'])];
      if (syntax.length === 0 && withReason && badReason(args.slice(2))) syntax.push('ERR:BAD_SYNTAX');
      if (syntax.length) return needsReg(syntax, []);
      // The cases name handles nobody registers, and no fuzz user is an admin: never an OK.
      return needsReg([], ['ERR:NO_SUCH_CHANNEL', 'ERR:NO_SUCH_USER', 'ERR:NOT_OP', 'ERR:NOT_ADMIN']);
    }
    case 'SUSPEND':
    case 'UNSUSPEND': {
      if (args.length < 1 || (verb === 'UNSUSPEND' && args.length > 1)) return needsReg(['ERR:BAD_SYNTAX'], []);
      if (!name(args[0], 64)) return needsReg(['ERR:BAD_HANDLE'], []);
      if (badReason(args.slice(1))) return needsReg(['ERR:BAD_SYNTAX'], []);
      return needsReg([], ['ERR:NOT_ADMIN', 'ERR:NO_SUCH_USER']);
    }
    case 'ROLES':
      // Bare: one's own roles (none is an admin; a claimed fuzz user owns the channels it creates).
      if (args.length > 1) return needsReg(['ERR:BAD_SYNTAX'], []);
      if (args.length === 0) return needsReg([], ['END:ROLES']);
      if (!name(args[0], 35)) return needsReg(['ERR:BAD_CHANNEL'], []);
      return needsReg([], ['END:ROLES', 'ERR:NO_SUCH_CHANNEL']);
    case 'BANS':
      if (args.length !== 1) return needsReg(['ERR:BAD_SYNTAX'], []);
      if (!name(args[0], 35)) return needsReg(['ERR:BAD_CHANNEL'], []);
      return needsReg([], ['END:BANS', 'ERR:NO_SUCH_CHANNEL', 'ERR:NOT_OP']);
    case 'MODLOG': {
      const n = args.length === 1 && digits(args[0], 3) ? Number(text(args[0])) : -1;
      if (args.length > 1 || (args.length === 1 && (n < 1 || n > 200))) return needsReg(['ERR:BAD_SYNTAX'], []);
      // Owners and ops read their channels' log (a claimed fuzz user owns the channels it creates); others may not.
      return needsReg([], ['END:MODLOG', 'ERR:NOT_OP']);
    }
    case 'CREATE': {
      // The cases create only #general, which exists: CHANNEL_TAKEN (spec: CREATE).
      if (args.length === 0 || args.length > 2) return needsReg(['ERR:BAD_SYNTAX'], []);
      const syntax = name(args[0], 35) ? [] : ['ERR:BAD_CHANNEL'];
      if (args.length === 2 && key(args[1]) !== 'private') syntax.push('ERR:BAD_SYNTAX');
      return needsReg(syntax, ['ERR:CHANNEL_TAKEN']);
    }
    case 'INVITE': {
      if (args.length !== 2) return needsReg(['ERR:BAD_SYNTAX'], []);
      const syntax = [...(name(args[0], 35) ? [] : ['ERR:BAD_CHANNEL']), ...(name(args[1], 64) ? [] : ['ERR:BAD_HANDLE'])];
      if (syntax.length) return needsReg(syntax, []);
      // Never an OK: the cases invite handles nobody registers.
      return needsReg([], s.joined.has(key(args[0])) ? ['ERR:NO_SUCH_USER'] : ['ERR:NOT_MEMBER', 'ERR:NO_SUCH_CHANNEL', 'ERR:NO_SUCH_USER']);
    }
    default:
      return null;
  }
}

/** A reason's words (joined by one space in the cases): a byte under 32 or DEL, past 250 bytes, or not UTF-8. */
export function badReason(words: Uint8Array[]): boolean {
  if (words.length === 0) return false;
  const bytes = Buffer.concat(words.flatMap((w, i) => (i === 0 ? [Buffer.from(w)] : [Buffer.from(' '), Buffer.from(w)])));
  return bytes.length > 250 || bytes.some((c) => c < 32 || c === 127) || !isUtf8(bytes);
}

/** A setting's key: ASCII letters, digits and `_ . : # @ -`. */
const isPrefKeyByte = (b: number) => isNameByte(b) || b === 58 || b === 35 || b === 64;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
function isUtf8(b: Uint8Array): boolean {
  try {
    strictUtf8.decode(b);
    return true;
  } catch {
    return false;
  }
}
