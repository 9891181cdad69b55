import { SvelteSet } from 'svelte/reactivity';
import { nameKey } from '../../../core/names.ts';
import type { Session } from './session.svelte.ts';

/**
 * Whom I block (spec: BLOCK). The server refuses their direct messages to me; here, their
 * messages in channels are collapsed. Read with BLOCKS at each sign-in, kept current by my
 * other tabs' BLOCKED / UNBLOCKED lines, and changed with BLOCK / UNBLOCK.
 */
export class Blocks {
  /** Keys (lower case) of the users I block. */
  private readonly keys = new SvelteSet<string>();
  /** What the last BLOCK or UNBLOCK was refused with, for people; '' when it went through. */
  problem = $state('');
  private readonly session: Session;

  constructor(session: Session) {
    this.session = session;
    const c = session.client;
    c.on('blocked', (e) => this.keys.add(nameKey(e.user)));
    c.on('unblocked', (e) => this.keys.delete(nameKey(e.user)));
    session.onSync(() => this.read());
    session.onReset(() => this.keys.clear());
  }

  has(name: string): boolean {
    return this.keys.has(nameKey(name));
  }

  /** Block (`on`) or unblock `name`; resolves once the server has stored it. */
  async set(name: string, on: boolean): Promise<void> {
    this.problem = '';
    try {
      await this.session.client.block(name, on);
      if (on) this.keys.add(nameKey(name));
      else this.keys.delete(nameKey(name));
    } catch (e) {
      this.problem = e instanceof Error ? e.message : String(e);
    }
  }

  private async read(): Promise<void> {
    try {
      const now = await this.session.client.blocks();
      this.keys.clear();
      for (const name of now) this.keys.add(nameKey(name));
    } catch {
      // Kept as it was: a refused or dropped BLOCKS does not hold up signing in; the next one reads it.
    }
  }
}
