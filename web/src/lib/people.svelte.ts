import { SvelteMap } from 'svelte/reactivity';
import type { UserInfo } from '../../../core/client.ts';
import { nameKey } from '../../../core/names.ts';
import type { Session } from './session.svelte.ts';

export type Person = { name: string; online: boolean };

export const byName = (a: { name: string }, b: { name: string }): number => nameKey(a.name).localeCompare(nameKey(b.name));

/**
 * The people directory and who is online. Presence is only known while registered and
 * caught up: while the link is down nobody shows as online, and we are online exactly when
 * our link is up.
 */
export class People {
  readonly people = new SvelteMap<string, Person>();
  /** The directory has been read (USRS) since this REG: deliveries are live. */
  synced = false;
  private readonly session: Session;

  list = $derived(
    [...this.people.values()]
      .map((p) => ({ ...p, online: this.session.ready && (this.session.isMe(p.name) || p.online) }))
      .sort((a, b) => Number(b.online) - Number(a.online) || byName(a, b)),
  );

  constructor(session: Session) {
    this.session = session;
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

  setPresence(user: string, online: boolean): void {
    const key = nameKey(user);
    const known = this.people.get(key);
    this.people.set(key, { name: known?.name ?? user, online });
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
    this.people.clear();
    for (const u of users) {
      this.people.set(nameKey(u.user), { name: u.user, online: u.online });
      if (this.session.isMe(u.user)) this.session.me = u.user; // the case the server first saw
    }
  }
}
