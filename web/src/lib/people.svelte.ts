import { SvelteMap } from 'svelte/reactivity';
import type { UserInfo } from '../../../core/client.ts';
import { nameKey } from '../../../core/names.ts';
import type { Session } from './session.svelte.ts';
import { Blocks } from './blocks.svelte.ts';

/** `guest`: the handle has no password (USRS says so); undefined until a USRS has listed them. */
export type Person = { name: string; online: boolean; guest?: boolean };

/** How long a read of the directory counts as fresh, for knowing who is a guest. */
const GUEST_CHECK_MS = 30_000;

export const byName = (a: { name: string }, b: { name: string }): number => nameKey(a.name).localeCompare(nameKey(b.name));

/**
 * The people directory and who is online. Presence is only known while registered and
 * caught up: while the link is down nobody shows as online, and we are online exactly when
 * our link is up.
 */
export class People {
  readonly people = new SvelteMap<string, Person>();
  /** Whom I block: their DMs are refused, their channel messages collapsed. */
  readonly blocks: Blocks;
  /** The directory has been read (USRS) since this REG: deliveries are live. */
  synced = false;
  private readonly session: Session;
  /** When the directory was last read (epoch ms). */
  private readAt = 0;
  private reading: Promise<void> | undefined;

  list = $derived(
    [...this.people.values()]
      .map((p) => ({ ...p, online: this.session.ready && (this.session.isMe(p.name) || p.online) }))
      .sort((a, b) => Number(b.online) - Number(a.online) || byName(a, b)),
  );

  constructor(session: Session) {
    this.session = session;
    this.blocks = new Blocks(session);
    const c = session.client;
    c.on('online', (e) => this.setPresence(e.user, true));
    c.on('offline', (e) => this.setPresence(e.user, false));
    session.onRegister(() => (this.synced = false));
    session.link.onClose(() => (this.synced = false));
    session.onReset(() => this.people.clear());
  }

  isOnline(name: string): boolean {
    if (!this.session.ready) return false;
    if (this.session.isMe(name)) return true;
    return this.people.get(nameKey(name))?.online ?? false;
  }

  /**
   * Whoever signs in next as a guest handle reads its direct messages, so a direct
   * conversation with one carries a warning. For me: a guest unless I signed in with a
   * password (or its token) or claimed the handle since.
   */
  isGuest(name: string): boolean {
    if (this.session.isMe(name)) return !this.session.claimed;
    return this.people.get(nameKey(name))?.guest === true;
  }

  setPresence(user: string, online: boolean, guest?: boolean): void {
    const key = nameKey(user);
    const known = this.people.get(key);
    this.people.set(key, { name: known?.name ?? user, online, guest: guest ?? known?.guest });
  }

  /**
   * A direct conversation was opened: make sure whether its person is a guest is known and
   * recent (a guest may have claimed the handle meanwhile, and someone new is only known
   * from ONLINE, which does not say). One USRS, at most every half minute unless unknown.
   */
  async checkGuest(name: string): Promise<void> {
    if (!this.session.ready || this.session.isMe(name)) return;
    const unknown = this.people.get(nameKey(name))?.guest === undefined;
    if (!unknown && Date.now() - this.readAt < GUEST_CHECK_MS) return;
    this.reading ??= this.session.client
      .usrs()
      .then((users) => this.set(users))
      .catch(() => {}) // the warning stays as it was; the next sign-in reads the directory again
      .finally(() => (this.reading = undefined));
    await this.reading;
  }

  /**
   * Someone's message reached us. Once the directory has been read on this connection,
   * deliveries are live, so the sender is online; before that they may be direct messages
   * kept while we were away, so an unknown sender is only listed.
   */
  noteSender(user: string): void {
    if (this.synced) this.setPresence(user, true);
    else if (!this.people.has(nameKey(user))) this.people.set(nameKey(user), { name: user, online: false });
  }

  set(users: readonly UserInfo[]): void {
    this.synced = true;
    this.readAt = Date.now();
    this.people.clear();
    for (const u of users) {
      this.people.set(nameKey(u.user), { name: u.user, online: u.online, guest: u.guest === true });
      if (this.session.isMe(u.user)) this.session.me = u.user; // the case the server first saw
    }
  }
}
