import { createHash, randomBytes } from 'node:crypto';
import { refuse, type Refusal } from '../sentences.ts';
import type { Caller, Registered } from './chat.ts';
import { enter, type RegisterDeps } from './register.ts';

/**
 * Sign-in sessions: a claimed user asks TOKEN once after signing in with the password, and
 * signs in again with RESUME and the token (a reload, a new tab, a restarted server) without
 * it. A token is 32 random bytes; the store keeps only its SHA-256 (a fast hash is right for
 * a secret that long: there is nothing to guess), so a copy of the database signs nobody in.
 * Tokens expire after SESSION_TTL_MS, and SIGNOUT revokes one, or all of the user's.
 */
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export type Issued = { token: string; tokenHash: string; expires: string };

export async function issueToken(chat: RegisterDeps, user: Caller): Promise<Issued | Refusal> {
  // A guest handle is anyone's while it is offline: a token would guard nothing.
  if (!(chat.directory.user(user.handle)?.claimed ?? false)) return refuse.notClaimed(user.handle);
  const token = randomBytes(32).toString('base64url');
  const tokenHash = hashToken(token);
  const expires = new Date(Date.now() + SESSION_TTL_MS).toISOString();
  if ((await chat.commits.stage([{ op: 'addSession', handle: user.handle, tokenHash, expires }])) === null) {
    return refuse.notStored('Could not start a session');
  }
  return { token, tokenHash, expires };
}

/** RESUME @handle <token>: signed in as by the password, once the token checks out. */
export async function resume(chat: RegisterDeps, req: { conn: string; address: string; handle: string; token: string }): Promise<Registered | Refusal> {
  let session;
  try {
    session = await chat.store.session(hashToken(req.token));
  } catch (err) {
    chat.log.warn({ err, user: req.handle }, 'resume failed: the store is unreachable');
    return refuse.notStored(`Could not sign in as ${req.handle}`);
  }
  // One sentence for every way a token can be wrong: it tells a guesser nothing.
  const valid = session !== undefined && session.handle.toLowerCase() === req.handle.toLowerCase() && session.expires > new Date().toISOString();
  if (!valid) return refuse.badToken();
  chat.directory.addUser(session!.handle, true);
  return enter(chat, req, session!.handle);
}

/** SIGNOUT [ALL]: the connection's own session goes, or every one of the user's. */
export async function signOut(chat: RegisterDeps, user: Caller, tokenHash: string | null, all: boolean): Promise<Refusal | null> {
  if (!all && tokenHash === null) return null;
  const write = all ? { op: 'revokeSessions' as const, handle: user.handle } : { op: 'revokeSession' as const, tokenHash: tokenHash! };
  if ((await chat.commits.stage([write])) === null) return refuse.notStored('Could not sign out');
  return null;
}
