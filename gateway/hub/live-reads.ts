import type { Caller } from '../chat/chat.ts';
import type { Conn } from './conn.ts';

/** How often, at most, a conversation's read mark moves for what a person was shown live. */
export const LIVE_READ_MS = 1_000;

type Pending = { caller: Caller; marks: Map<string, number> };

/**
 * What a person has been shown live counts as read (spec: UNREAD and READ): a person
 * connection that is sent a message moves its user's read mark to it, through the chat
 * rules' READ (stored, and told to the user's other connections). Marks are gathered, the
 * newest id per conversation per user, and handed over at most once a second, and when a
 * person connection closes, so a busy channel costs one mark a second, not one a message.
 * A program's deliveries never count: a program has not read what it was sent.
 */
export class LiveReads {
  /** user key -> the newest id shown per conversation (as the user names it), not yet marked. */
  private readonly pending = new Map<string, Pending>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly mark: (user: Caller, target: string, id: number) => void,
    private readonly everyMs = LIVE_READ_MS,
  ) {}

  /** `conn`, a person's, was sent message `id` of `target` live. */
  shown(conn: Conn, target: string, id: number): void {
    const user = conn.user;
    if (user === null) return;
    let p = this.pending.get(user.key);
    if (p === undefined) this.pending.set(user.key, (p = { caller: { key: user.key, handle: user.handle, conn: conn.session.id }, marks: new Map() }));
    const had = p.marks.get(target);
    if (had === undefined || id > had) p.marks.set(target, id);
    if (this.timer === null) this.timer = setTimeout(this.flush, this.everyMs).unref();
  }

  /** Hand over one user's marks now (their person connection is closing). */
  flushUser(userKey: string): void {
    const p = this.pending.get(userKey);
    if (p === undefined) return;
    this.pending.delete(userKey);
    for (const [target, id] of p.marks) this.mark(p.caller, target, id);
  }

  /** Hand over every mark gathered. */
  readonly flush = (): void => {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const key of [...this.pending.keys()]) this.flushUser(key);
  };
}
