import { encodeDelivery, encodeServerFrame, nameKey } from '../../core/index.ts';
import type { Conn, User } from '../conn.ts';
import type { Hub } from '../hub.ts';
import { hashPassword, verifyPassword } from '../passwords.ts';
import type { CommandHandler } from './types.ts';
import { refuse } from '../sentences.ts';

/**
 * REG @handle [password]. A guest handle is free to whoever asks while it is offline; a
 * password claims it. Password checks run scrypt off the event loop, so this handler can be
 * asynchronous: the hub holds the connection's later commands until it is done.
 */
export const reg: CommandHandler<'REG'> = {
  needsUser: false,
  run(hub, conn, { handle, password }) {
    if (conn.user !== null) {
      return hub.reply(conn, refuse.alreadyRegistered(conn.user.handle));
    }
    const key = nameKey(handle);
    if (hub.users.has(key)) return hub.reply(conn, refuse.handleOnline(hub.users.get(key)!.handle));
    if (hub.registering.has(key)) return hub.reply(conn, refuse.handleBeingRegistered(handle));
    const stored = hub.store.getUser(key);
    if (!stored?.passwordHash && password === undefined) {
      // A known guest handle changes nothing stored; a new one is stored before the OK.
      if (stored !== undefined) return void login(hub, conn, stored.handle);
      return register(hub, conn, handle, null).then(() => {});
    }
    // Guessing is slowed per handle and address, per address, and per account (see
    // SignInLimits). Each attempt counts as a failure from the start, so that many attempts
    // sent at once are limited as if sent one after another; a right password takes it back.
    const address = addressOf(conn);
    const wait = hub.signIn.wait(key, address);
    if (wait > 0) return hub.reply(conn, refuse.tooManyAttempts(wait));
    if (stored?.passwordHash) {
      if (password === undefined) {
        return hub.reply(conn, refuse.passwordRequired(stored.handle));
      }
      hub.signIn.attempt(key, address);
      return verifyPassword(password, stored.passwordHash).then((ok) => {
        if (conn.closed) return;
        if (!ok) {
          hub.log.warn({ client: conn.session.id, user: stored.handle }, 'wrong password');
          return hub.reply(conn, refuse.wrongPassword(stored.handle));
        }
        hub.signIn.succeed(key, address);
        if (hub.users.has(key)) return hub.reply(conn, refuse.handleOnline(stored.handle));
        login(hub, conn, stored.handle);
        return;
      });
    }
    // Claiming a guest handle (or a new one) with a password: a few per address per hour.
    const claimWait = hub.signIn.claimWait(address);
    if (claimWait > 0) return hub.reply(conn, refuse.tooManyClaims(claimWait));
    return hashPassword(password!).then((hash) => {
      if (conn.closed) return;
      if (hub.users.has(key)) return hub.reply(conn, refuse.handleOnline(hub.users.get(key)!.handle));
      const now = hub.store.getUser(key);
      if (now?.passwordHash || hub.registering.has(key)) {
        return hub.reply(conn, refuse.handleJustClaimed(now?.handle ?? handle));
      }
      return register(hub, conn, now?.handle ?? handle, hash).then((ok) => {
        if (ok) hub.signIn.claimed(address, key);
      });
    });
  },
};

/**
 * A new handle, or a claim: stored first, and only once that has committed is the user in.
 * Meanwhile the handle is reserved, so nobody else registers or claims it.
 */
function register(hub: Hub, conn: Conn, handle: string, hash: string | null): Promise<boolean> {
  const key = nameKey(handle);
  hub.registering.add(key);
  hub.store.addUser(handle);
  if (hash !== null) hub.store.setPassword(handle, hash);
  return hub.committed().then((stored) => {
    hub.registering.delete(key);
    if (!stored) {
      hub.reply(conn, refuse.notStored(`Could not ${hash === null ? 'register' : 'claim'} ${handle}`));
      return false;
    }
    // The handle is stored whether or not this connection is still here.
    if (!hub.known.has(key)) hub.known.set(key, hub.store.getUser(key)?.handle ?? handle);
    if (!conn.closed) login(hub, conn, hub.known.get(key)!);
    return true;
  });
}

function addressOf(conn: Conn): string {
  const r = conn.session.remote;
  const i = r.lastIndexOf(':');
  return i > 0 ? r.slice(0, i) : r;
}

/** The user is in: OK, their channels, presence to co-members, then mail kept for them. */
function login(hub: Hub, conn: Conn, handle: string): User {
  const key = nameKey(handle);
  const user: User = { key, handle, conn, channels: new Set() };
  hub.users.set(key, user);
  conn.user = user;
  conn.lastHandle = handle;
  hub.reply(conn, { type: 'OK', args: [] });
  for (const ch of hub.channelsOf(key)) {
    hub.seat(user, ch);
    hub.reply(conn, { type: 'JOINED', channel: ch.name, user: handle });
  }
  hub.toCoMembers(user, encodeServerFrame({ type: 'ONLINE', user: handle }));
  for (const m of hub.store.takeOffline(key)) {
    hub.send(conn, encodeDelivery(m.target, m.from, m.id, m.ts, m.body), true);
  }
  hub.log.info({ client: conn.session.id, user: handle }, 'registered');
  return user;
}
