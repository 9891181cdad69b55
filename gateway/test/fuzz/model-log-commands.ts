/**
 * The model's rules for issue 17's commands (docs/PROTOCOL.md section 2: REPLY and RE, EDIT
 * and FIX, DELETE, REACT and UNREACT, TYPING, THREAD and THREADS, READ … THREAD), written
 * from the spec text. Syntax first; then, in a conversation whose log the model knows (a
 * channel made fresh for the case, model-log.ts), the exact reply, `OK <id>` included;
 * elsewhere every reply the state of a conversation the model has not seen allows.
 */
import { ConvLog, reactionOf, type Outcome } from './model-log.ts';
import { badReason } from './model-chat.ts';

export type LogSession = {
  registered: boolean;
  joined: Set<string>;
  /** This connection's handle as it registered (`@fz0r0`). */
  handle: string;
  /** Conversations whose whole log the model knows, by lower-case name. */
  logs: Map<string, ConvLog>;
  /** Whether others' TYPING is sent here (TYPING ON/OFF), null once unsure; `typingSet`: a case said ON or OFF. */
  typing: boolean | null;
  typingSet?: boolean;
};

/** One predicted reply: its keys, and for a data reply the exact frames before its END. */
export type Predicted = { allow: string[]; frames?: string[]; only?: string };

const isNameByte = (b: number) =>
  (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b === 95 || b === 45 || b === 46;
const name = (w: Uint8Array, sigil: number) =>
  w[0] === sigil && w.length >= 2 && w.length <= 33 && w.subarray(1).every(isNameByte);
const text = (w: Uint8Array) => Buffer.from(w.buffer, w.byteOffset, w.length).toString('latin1');
const key = (w: Uint8Array) => text(w).toLowerCase();

export function targetProblems(w: Uint8Array | undefined): string[] {
  if (w === undefined) return ['ERR:BAD_TARGET', 'ERR:BAD_SYNTAX'];
  if (w[0] === 35) return name(w, 35) ? [] : ['ERR:BAD_CHANNEL', 'ERR:BAD_TARGET'];
  if (w[0] === 64) return name(w, 64) ? [] : ['ERR:BAD_HANDLE', 'ERR:BAD_TARGET'];
  return ['ERR:BAD_TARGET'];
}

/**
 * An id word: its value, or 'bad' (not digits: BAD_SYNTAX), or 'huge' (digits past what the
 * spec gives a meaning: BAD_SYNTAX or NO_SUCH_MESSAGE, either).
 */
export function idOf(w: Uint8Array | undefined): number | 'bad' | 'huge' {
  if (w === undefined || w.length === 0 || !w.every((b) => b >= 48 && b <= 57)) return 'bad';
  if (w.length > 15) return 'huge';
  return Number(text(w));
}

/** Codes a conversation refuses with before any message is looked at; [] for a member's channel. */
function memberProblems(t: Uint8Array, s: LogSession): string[] | null {
  if (t[0] === 35) return s.joined.has(key(t)) ? null : ['ERR:NOT_MEMBER', 'ERR:NO_SUCH_CHANNEL'];
  return ['ERR:NO_SUCH_USER']; // a direct conversation: the user may not exist
}

type Change = 'reply' | 'edit' | 'delete' | 'react' | 'unreact';

/** Replies a change may get in a conversation the model does not know. */
const LOOSE: Record<Change | 'thread', string[]> = {
  reply: ['OK-MSG', 'ERR:NO_SUCH_MESSAGE'],
  edit: ['OK-MSG', 'ERR:NO_SUCH_MESSAGE', 'ERR:NOT_AUTHOR'],
  delete: ['OK-MSG', 'ERR:NO_SUCH_MESSAGE', 'ERR:NOT_AUTHOR'],
  react: ['OK-MSG', 'OK', 'ERR:NO_SUCH_MESSAGE', 'ERR:TOO_MANY_REACTIONS'],
  unreact: ['OK-MSG', 'OK', 'ERR:NO_SUCH_MESSAGE'],
  thread: ['END:THREAD', 'ERR:NO_SUCH_MESSAGE'],
};

/**
 * A change to message `id` of `t`, its syntax already checked: the exact outcome in a known
 * log (applied to it), else the loose set. `apply` runs the change on the log. A log the
 * outcome of which the spec leaves open is forgotten.
 */
export function change(s: LogSession, t: Uint8Array, id: number | 'huge', kind: Change, apply: (log: ConvLog) => Outcome): string[] {
  const refused = memberProblems(t, s);
  const log = s.logs.get(key(t));
  // An id past 15 digits: no message, or not a number the server reads.
  const huge = id === 'huge' ? ['ERR:BAD_SYNTAX'] : [];
  if (refused !== null && t[0] === 35) return [...huge, ...refused];
  if (log === undefined || refused !== null) return [...huge, ...(refused ?? []), ...LOOSE[kind]];
  if (id === 'huge') return ['ERR:NO_SUCH_MESSAGE', 'ERR:BAD_SYNTAX'];
  const out = apply(log);
  if (out.unsure) s.logs.delete(key(t));
  return out.allow;
}

/**
 * The replies owed for `verb` (upper case), or null when it is not one of these commands.
 * `restFrom(i)`: the line's bytes from word i+1 after the verb to the last word (a one-line body).
 */
export function logReplies(verb: string, args: Uint8Array[], restFrom: (i: number) => Uint8Array, s: LogSession): Predicted | null {
  const needsReg = (syntax: string[], ok: () => string[]): Predicted => ({
    allow: s.registered ? (syntax.length ? syntax : ok()) : [...syntax, 'ERR:NOT_REGISTERED'],
  });
  switch (verb) {
    case 'RE':
    case 'FIX': {
      const syntax = args.length < 3 ? ['ERR:BAD_SYNTAX'] : [...targetProblems(args[0])];
      const id = idOf(args[1]);
      if (id === 'bad') syntax.push('ERR:BAD_SYNTAX');
      if (syntax.length || id === 'bad') return needsReg(syntax, () => []);
      const body = restFrom(2);
      return needsReg([], () =>
        verb === 'RE' ? change(s, args[0], id, 'reply', (log) => log.reply(s.handle, id as number, body, false))
        : change(s, args[0], id, 'edit', (log) => log.edit(s.handle, id as number, body)),
      );
    }
    case 'DELETE': {
      // A third word on is a reason (a moderator's; the rest of the line, printable, at most 250 bytes).
      const syntax = args.length < 2 ? ['ERR:BAD_SYNTAX'] : [...targetProblems(args[0])];
      const id = args.length < 2 ? 'bad' : idOf(args[1]);
      if (id === 'bad' || badReason(args.slice(2))) syntax.push('ERR:BAD_SYNTAX');
      if (syntax.length || id === 'bad') return needsReg(syntax, () => []);
      return needsReg([], () => change(s, args[0], id, 'delete', (log) => log.delete(s.handle, id as number)));
    }
    case 'REACT':
    case 'UNREACT': {
      const syntax = args.length < 3 ? ['ERR:BAD_SYNTAX'] : [...targetProblems(args[0])];
      // A reaction of several words: one that is not a word, or a word too many.
      if (args.length > 3) syntax.push('ERR:BAD_SYNTAX', 'ERR:BAD_REACTION');
      const id = idOf(args[1]);
      if (id === 'bad') syntax.push('ERR:BAD_SYNTAX');
      if (syntax.length || id === 'bad') return needsReg(syntax, () => []);
      const emoji = reactionOf(args[2]);
      const kind = verb === 'REACT' ? 'react' : 'unreact';
      return needsReg([], () => {
        if (emoji === null) {
          // Whether the message or the reaction is looked at first the spec does not say: a
          // trial on a copy gives the message's own errors, which may come first.
          const trial = change({ ...s, logs: new Map(s.logs) }, args[0], id, kind, (log) => log.clone().react(s.handle, id as number, '\0', kind === 'react'));
          return ['ERR:BAD_REACTION', ...trial.filter((k) => k.startsWith('ERR:') && k !== 'ERR:TOO_MANY_REACTIONS')];
        }
        if (emoji === '?') {
          // A shortcode the model does not list: the app's set decides, so the log is unknown.
          s.logs.delete(key(args[0]));
          return ['ERR:BAD_REACTION', ...change(s, args[0], id, kind, () => ({ allow: [] }))];
        }
        return change(s, args[0], id, kind, (log) => log.react(s.handle, id as number, emoji, kind === 'react'));
      });
    }
    case 'TYPING': {
      if (args.length !== 1) return needsReg(['ERR:BAD_SYNTAX'], () => []);
      const w = text(args[0]);
      if (/^(on|off)$/i.test(w)) s.typingSet = true;
      if (w === 'ON' || w === 'OFF') {
        if (s.registered) s.typing = w === 'ON';
        return needsReg([], () => ['OK']);
      }
      // The spec writes ON and OFF in capitals; whether `on` is the same word it does not say.
      if (/^(on|off)$/i.test(w)) {
        s.typing = null;
        return needsReg([], () => ['OK', 'ERR:BAD_TARGET', 'ERR:BAD_SYNTAX']);
      }
      const bad = targetProblems(args[0]);
      if (bad.length) return needsReg([...bad, 'ERR:BAD_SYNTAX'], () => []);
      if (args[0][0] === 64) return needsReg([], () => ['OK', 'ERR:NO_SUCH_USER']);
      if (!s.joined.has(key(args[0]))) return needsReg([], () => ['ERR:NOT_MEMBER', 'ERR:NO_SUCH_CHANNEL']);
      const log = s.registered ? s.logs.get(key(args[0])) : undefined;
      if (log !== undefined) log.typing++;
      return needsReg([], () => ['OK']);
    }
    case 'THREAD': {
      const syntax = args.length < 2 || args.length > 3 ? ['ERR:BAD_SYNTAX'] : [...targetProblems(args[0])];
      const id = idOf(args[1]);
      const limit = args.length === 3 ? idOf(args[2]) : 50;
      if (id === 'bad' || limit === 'bad') syntax.push('ERR:BAD_SYNTAX');
      if (syntax.length || id === 'bad' || limit === 'bad') return needsReg(syntax, () => []);
      // A limit of 0 or past 15 digits: HISTORY calls its 0 a syntax error, THREAD says nothing.
      const odd = limit === 0 || limit === 'huge' || id === 'huge' ? ['ERR:BAD_SYNTAX'] : [];
      if (!s.registered) return needsReg(odd, () => []);
      const refused = memberProblems(args[0], s);
      const log = s.logs.get(key(args[0]));
      if (refused !== null && args[0][0] === 35) return { allow: [...odd, ...refused] };
      if (log === undefined || refused !== null || odd.length || id === 'huge') return { allow: [...odd, ...(refused ?? []), ...LOOSE.thread] };
      const t = log.thread(id, limit as number);
      return t === null ? { allow: ['ERR:NO_SUCH_MESSAGE'] } : { allow: ['END:THREAD'], frames: t.frames };
    }
    case 'THREADS': {
      const p = needsReg(args.length ? ['ERR:BAD_SYNTAX'] : [], () => ['END:THREADS']);
      // The lines of the conversation the model knows (the rest it has not seen).
      const log = [...s.logs.values()][0];
      const lines = p.allow[0] === 'END:THREADS' && log !== undefined ? log.following(s.handle) : null;
      return lines === null ? p : { ...p, frames: lines, only: log!.target };
    }
    default:
      return null;
  }
}

/** `READ <target> <id> THREAD <root-id>`: the thread's mark. Null when it is not that form. */
export function readThread(args: Uint8Array[], s: LogSession): string[] | null {
  if (args.length !== 4) return null;
  const syntax = [...targetProblems(args[0])];
  if (typeof idOf(args[1]) !== 'number' || typeof idOf(args[3]) !== 'number') syntax.push('ERR:BAD_SYNTAX');
  const word = text(args[2]);
  if (word.toUpperCase() !== 'THREAD') syntax.push('ERR:BAD_SYNTAX');
  else if (word !== 'THREAD') syntax.push('either'); // the spec writes it in capitals only
  const real = syntax.filter((x) => x !== 'either');
  const withReg = (x: string[]) => (s.registered ? x : [...x, 'ERR:NOT_REGISTERED']);
  const ok = [...(memberProblems(args[0], s) ?? []), ...(args[0][0] === 35 && !s.joined.has(key(args[0])) ? [] : ['OK'])];
  // A root that is not a message of the conversation: the spec names no error for READ.
  const rooted = [...ok, ...(ok.includes('OK') ? ['ERR:NO_SUCH_MESSAGE'] : [])];
  if (real.length) return withReg(real);
  return withReg(syntax.length ? ['ERR:BAD_SYNTAX', ...rooted] : rooted);
}

/**
 * The reply of an accepted MSG, REPLY or EDIT once its body is known: exact in a known log
 * (the change applied to it), else `prior` (what the line alone allowed).
 */
export function bodiedReply(s: LogSession & { muted: boolean }, prior: string[], target: Uint8Array, verb: string, body: Uint8Array, id: number | 'huge' = 0, also = false): string[] {
  const log = s.logs.get(key(target));
  if (log === undefined || target[0] !== 35) return prior;
  // A muted MSG is only counted: whether membership is checked first the spec does not say.
  if (!s.joined.has(key(target))) return verb === 'MSG' && s.muted ? ['ERR:NOT_MEMBER', 'OK-MUTED'] : ['ERR:NOT_MEMBER'];
  if (verb === 'MSG') return s.muted ? ['OK-MUTED'] : log.msg(s.handle, body).allow;
  if (verb === 'REPLY') return change(s, target, id, 'reply', (l) => l.reply(s.handle, id as number, body, also));
  return change(s, target, id, 'edit', (l) => l.edit(s.handle, id as number, body));
}

/** HISTORY of a channel whose log the model knows: its exact frames (its syntax checked). */
export function knownHistory(s: LogSession, args: Uint8Array[]): { allow: string[]; frames: string[] } | null {
  const log = s.logs.get(key(args[0]));
  if (log === undefined || args[0][0] !== 35) return null;
  if (!s.joined.has(key(args[0]))) return { allow: ['ERR:NOT_MEMBER'], frames: [] };
  const num = (w: Uint8Array | undefined) => (w !== undefined && w.length > 0 && w.every((b) => b >= 48 && b <= 57) ? Number(text(w)) : null);
  let i = 1;
  const limit = num(args[i]);
  if (limit !== null) i++;
  const dir = i < args.length ? text(args[i]) : null;
  return { allow: ['END:HISTORY'], frames: log.history(limit ?? 50, dir, dir === null ? 0 : num(args[i + 1])!).frames };
}
