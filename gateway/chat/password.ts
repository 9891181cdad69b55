import { hashPassword, verifyPassword } from './passwords.ts';
import { refuse, type Refusal } from '../sentences.ts';
import { nameKey } from '../store/keys.ts';
import type { Caller } from './chat.ts';
import type { RegisterDeps } from './register.ts';

/**
 * PASSWORD without signing out. A guest claims the handle it is signed in as
 * (`PASSWORD <new>`): from then on the handle takes that password, and nobody can take it
 * over while it is offline. A claimed user changes theirs (`PASSWORD <current> <new>`): the
 * current one is checked as a sign-in is (and counted, so this is no way around the limits
 * on guessing), and every session token but this connection's stops working, so a device
 * signed in with a token before the change (a lost phone) must sign in again.
 */
export async function changePassword(
  chat: RegisterDeps, user: Caller, address: string, current: string | undefined, next: string, keepToken: string | null,
): Promise<Refusal | null> {
  const key = nameKey(user.handle);
  const stored = await chat.store.getUser(key);
  if (stored === undefined) return refuse.noSuchUser(user.handle);
  if (!stored.passwordHash) {
    if (current !== undefined) return refuse.guestHasNoPassword(stored.handle);
    const claimWait = await chat.signIn.claimWait(address);
    if (claimWait > 0) return refuse.tooManyClaims(claimWait);
    const hash = await hashPassword(next);
    if ((await chat.commits.stage([{ op: 'setPassword', handle: stored.handle, passwordHash: hash }])) === null) {
      return refuse.notStored(`Could not claim ${stored.handle}`);
    }
    await chat.signIn.claimed(address, key);
    chat.emit({ t: 'user', handle: stored.handle, claimed: true });
    return null;
  }
  if (current === undefined) return refuse.currentPasswordRequired();
  const begun = await chat.signIn.attempt(key, address);
  if (begun > 0) return refuse.tooManyAttempts(begun);
  if (!(await verifyPassword(current, stored.passwordHash))) {
    chat.log.warn({ client: user.conn, user: stored.handle }, 'wrong current password');
    return refuse.wrongPassword(stored.handle);
  }
  await chat.signIn.succeed(key, address);
  const hash = await hashPassword(next);
  const writes = [
    { op: 'setPassword' as const, handle: stored.handle, passwordHash: hash },
    { op: 'revokeSessions' as const, handle: stored.handle, except: keepToken ?? undefined },
  ];
  if ((await chat.commits.stage(writes)) === null) return refuse.notStored('Could not change the password');
  return null;
}
