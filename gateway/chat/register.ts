import { hashPassword, verifyPassword } from './passwords.ts';
import { refuse, type Refusal } from '../sentences.ts';
import { nameKey } from '../store/keys.ts';
import type { Registered } from './chat.ts';
import type { Directory } from './directory.ts';
import type { ChatEvent } from './events.ts';
import type { GroupCommit } from './group-commit.ts';
import type { Logger } from '../logger.ts';
import type { Presence } from '../presence/presence.ts';
import type { SignInLimits } from '../limits/sign-in-limits.ts';
import type { Store, StoreWrite } from '../store/store.ts';
import { DEFAULT_CHANNEL } from '../../core/index.ts';

/** What signing in needs of the chat service (service.ts passes itself). */
export type RegisterDeps = {
  readonly store: Store;
  readonly presence: Presence;
  readonly signIn: SignInLimits;
  readonly log: Logger;
  readonly directory: Directory;
  readonly commits: GroupCommit;
  /** --require-passwords: no guest handles; every handle is claimed with a password. */
  readonly requirePasswords: boolean;
  emit(event: ChatEvent): void;
  /** A guest handle asked for is held: let its holder be checked, if it is on this node. */
  probeHolder(userKey: string): void;
};

type Request = { conn: string; address: string; handle: string; password?: string };

/**
 * REG @handle [password]. A guest handle is free to whoever asks while it is offline; a
 * password claims it. A guest handle is held by one connection across every node: the hold
 * is taken in Presence (Redis for several nodes) before anything else, and kept until
 * sign-off. A claimed handle takes no hold: whoever has the password may sign in from
 * several tabs, devices and telnet at once.
 *
 * Guessing is slowed per handle and address, per address, and per account (SignInLimits).
 * Each attempt counts as a failure from the start, so that many attempts sent at once are
 * limited as if sent one after another; a right password takes it back.
 */
export async function register(chat: RegisterDeps, req: Request): Promise<Registered | Refusal> {
  const key = nameKey(req.handle);
  const stored = await chat.store.getUser(key);
  if (stored === undefined) {
    // A new handle may not pass for one the directory knows (confusable.ts); one stored
    // already, even beside a lookalike from before this rule, signs in as ever.
    const lookalike = chat.directory.handleLookalikes.lookalikeOf(req.handle);
    if (lookalike !== null) return refuse.handleConfusable(req.handle, lookalike);
  }
  if (chat.requirePasswords && req.password === undefined) {
    return stored?.passwordHash ? refuse.passwordRequired(stored.handle) : refuse.guestsOff(stored?.handle ?? req.handle);
  }
  if (!stored?.passwordHash && req.password === undefined) {
    // A known guest handle changes nothing stored; a new one is stored before the OK.
    return hold(chat, req, stored?.handle ?? req.handle, () => (stored === undefined ? store(chat, req.handle, null, true) : stillGuest(chat, key)));
  }
  const wait = await chat.signIn.wait(key, req.address);
  if (wait > 0) return refuse.tooManyAttempts(wait);
  if (stored?.passwordHash) {
    if (req.password === undefined) return refuse.passwordRequired(stored.handle);
    // Checked again as it is counted, in one step: others may have begun since `wait`.
    const begun = await chat.signIn.attempt(key, req.address);
    if (begun > 0) return refuse.tooManyAttempts(begun);
    if (!(await verifyPassword(req.password, stored.passwordHash))) {
      chat.log.warn({ client: req.conn, user: stored.handle }, 'wrong password');
      return refuse.wrongPassword(stored.handle);
    }
    await chat.signIn.succeed(key, req.address);
    chat.directory.addUser(stored.handle, true);
    return enter(chat, req, stored.handle);
  }
  // Claiming a guest handle (or a new one) with a password: a few per address per hour.
  const claimWait = await chat.signIn.claimWait(req.address);
  if (claimWait > 0) return refuse.tooManyClaims(claimWait);
  const hash = await hashPassword(req.password!);
  return hold(chat, req, stored?.handle ?? req.handle, async () => {
    const now = await chat.store.getUser(key);
    if (now?.passwordHash) return refuse.handleJustClaimed(now.handle);
    const failed = await store(chat, now?.handle ?? req.handle, hash, now === undefined);
    if (failed === null) await chat.signIn.claimed(req.address, key);
    return failed;
  });
}

/** A claimed user whose credentials have checked out (a password, or a session token): in. */
export function enter(chat: RegisterDeps, req: Request, handle: string): Promise<Registered | Refusal> {
  return hold(chat, req, handle, () => null, false);
}

/**
 * Take the handle for this connection (`exclusive`: a guest's, or one being claimed), run
 * `then` (a write to commit first, or a last check), and on success gather what sign-in
 * hands over. On any refusal the hold is let go.
 */
async function hold(
  chat: RegisterDeps, req: Request, handle: string, then: () => null | Refusal | Promise<null | Refusal>, exclusive = true,
): Promise<Registered | Refusal> {
  const key = nameKey(handle);
  // A suspended user does not sign in (spec: SUSPEND); told only after their password or token checked out.
  if (chat.directory.roles.isSuspended(key)) return refuse.suspended(chat.directory.users.get(key)?.handle ?? handle);
  const letGo = () => (exclusive ? chat.presence.release(key, req.conn).catch(() => {}) : Promise.resolve());
  if (exclusive) {
    let held: boolean;
    try {
      held = await chat.presence.hold(key, req.conn);
    } catch (err) {
      chat.log.warn({ err, user: handle }, 'presence unreachable: sign-in refused');
      return refuse.serverBusy();
    }
    if (!held) {
      // Still refused now; but a holder whose link has died is found out within seconds, so
      // the person asking again (a page reconnecting after its network came back) gets in.
      chat.probeHolder(key);
      return refuse.handleOnline(handle);
    }
  }
  try {
    const refused = await then();
    if (refused !== null) {
      await letGo();
      return refused;
    }
    const display = chat.directory.users.get(key)?.handle ?? handle;
    const channels = chat.directory.channelsOf(key);
    const [offline, lastIds, direct] = await Promise.all([
      chat.store.offlineFor(key),
      chat.store.lastIds(channels.map((c) => c.key)),
      chat.store.conversationsOf(key, []),
    ]);
    return {
      handle: display,
      channels: channels.map((c) => ({ name: c.name, lastId: lastIds.get(c.key) ?? 0 })),
      offline,
      direct: direct.map((c) => ({ conversation: c.conversation, lastId: c.lastId })),
    };
  } catch (err) {
    await letGo();
    chat.log.warn({ err, user: handle }, 'sign-in failed: the store is unreachable');
    return refuse.notStored(`Could not sign in as ${handle}`);
  }
}

/**
 * A new handle, or a claim: stored first, and only once that has committed is the user in.
 * A new handle (`isNew`) is put in #general in the same commit, as a JOIN would: a new user
 * has somewhere to talk at once, as the banner says. Only then: one who leaves #general is
 * not put back at the next sign-in.
 */
async function store(chat: RegisterDeps, handle: string, hash: string | null, isNew: boolean): Promise<Refusal | null> {
  const writes: StoreWrite[] = [{ op: 'addUser', handle }];
  if (hash !== null) writes.push({ op: 'setPassword', handle, passwordHash: hash });
  const general = chat.directory.channel(DEFAULT_CHANNEL)?.name ?? DEFAULT_CHANNEL;
  if (isNew) writes.push({ op: 'addChannel', name: general }, { op: 'addMember', channel: general, handle });
  if ((await chat.commits.stage(writes)) === null) {
    return refuse.notStored(`Could not ${hash === null ? 'register' : 'claim'} ${handle}`);
  }
  chat.emit({ t: 'user', handle, claimed: hash !== null });
  if (isNew) chat.emit({ t: 'joined', channel: general, user: handle });
  return null;
}

/** A guest handle may have been claimed (on any node) between the first look and the hold. */
async function stillGuest(chat: RegisterDeps, key: string): Promise<Refusal | null> {
  const now = await chat.store.getUser(key);
  return now?.passwordHash ? refuse.passwordRequired(now.handle) : null;
}
