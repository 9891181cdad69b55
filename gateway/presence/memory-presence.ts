import type { Presence } from './presence.ts';

/**
 * Presence inside one process: the same rules as on Redis (entries expire unless refreshed),
 * so the contract tests hold for both. In a single process nothing dies without the process,
 * so `refresh` runs on a timer only to keep expiry honest.
 */
export class MemoryPresence implements Presence {
  /** user -> conn -> expiry */
  private readonly conns = new Map<string, Map<string, number>>();
  private readonly holders = new Map<string, { conn: string; until: number }>();
  private readonly mine = new Map<string, Set<string>>();
  private readonly timer: NodeJS.Timeout;
  /** Never called: in one process a hold is only let go by its connection. */
  onLost: (user: string, conn: string) => void = () => {};

  constructor(private readonly ttlMs = 30_000, private readonly now: () => number = Date.now) {
    this.timer = setInterval(() => this.refresh(), Math.max(10, Math.floor(ttlMs / 3)));
    this.timer.unref();
  }

  async add(user: string, conn: string): Promise<boolean> {
    const was = this.live(user);
    let m = this.conns.get(user);
    if (m === undefined) this.conns.set(user, (m = new Map()));
    m.set(conn, this.now() + this.ttlMs);
    let own = this.mine.get(user);
    if (own === undefined) this.mine.set(user, (own = new Set()));
    own.add(conn);
    return !was;
  }

  async remove(user: string, conn: string): Promise<boolean> {
    this.mine.get(user)?.delete(conn);
    if (this.mine.get(user)?.size === 0) this.mine.delete(user);
    const m = this.conns.get(user);
    if (m === undefined || !m.delete(conn)) return false;
    if (this.live(user)) return false;
    this.conns.delete(user);
    return true;
  }

  async online(users: string[]): Promise<Set<string>> {
    return new Set(users.filter((u) => this.live(u)));
  }

  async everyone(): Promise<string[]> {
    return [...this.conns.keys()].filter((u) => this.live(u));
  }

  async sweep(): Promise<string[]> {
    const gone: string[] = [];
    for (const u of [...this.conns.keys()]) {
      if (!this.live(u)) {
        this.conns.delete(u);
        gone.push(u);
      }
    }
    return gone;
  }

  async hold(user: string, conn: string): Promise<boolean> {
    const h = this.holders.get(user);
    if (h !== undefined && h.conn !== conn && h.until > this.now()) return false;
    this.holders.set(user, { conn, until: this.now() + this.ttlMs });
    return true;
  }

  async release(user: string, conn: string): Promise<void> {
    if (this.holders.get(user)?.conn === conn) this.holders.delete(user);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
  }

  /** Keep this process's own entries alive. */
  refresh(): void {
    const until = this.now() + this.ttlMs;
    for (const [user, own] of this.mine) {
      const m = this.conns.get(user);
      for (const c of own) m?.set(c, until);
    }
    // Every holder is this process's own: one process is one node.
    for (const h of this.holders.values()) h.until = until;
  }

  private live(user: string): boolean {
    const m = this.conns.get(user);
    if (m === undefined) return false;
    const t = this.now();
    for (const [c, until] of m) if (until <= t) m.delete(c);
    return m.size > 0;
  }
}
