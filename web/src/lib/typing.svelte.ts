import { SvelteMap } from 'svelte/reactivity';
import { isChannel, nameKey } from '../../../core/names.ts';
import type { Conversation } from './conversation.svelte.ts';
import type { Conversations } from './conversations.svelte.ts';
import type { Session } from './session.svelte.ts';
import { typingLine } from './thread-list.ts';

/** Someone typing is shown this long after their last TYPING (spec: TYPING). */
export const TYPING_SHOWN_MS = 6_000;
/** At most one TYPING per conversation this often: the server passes on no more than that. */
export const TYPING_EVERY_MS = 3_000;

/**
 * Who is typing where (TYPING events, never stored), and telling the others when I type.
 * Someone is shown typing for 6 s after their last TYPING, or until their message arrives.
 */
export class Typing {
  /** Conversation key -> who is typing there, in the order they started. */
  private readonly typing = new SvelteMap<string, string[]>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Conversation key -> when this page last sent TYPING for it. */
  private readonly lastSent = new Map<string, number>();
  private readonly session: Session;

  constructor(session: Session, conversations: Conversations) {
    this.session = session;
    session.client.on('typing', (e) => this.onTyping(e.target, e.from));
    // Their message is in: they have stopped typing it.
    conversations.on('logged', (conv, f) => {
      if (f.type === 'MSG' || f.type === 'REPLY') this.stop(conv.key, f.from);
    });
    session.onReset(() => this.clear());
    session.link.onClose(() => this.clear());
  }

  /** "@alice is typing…" and the like for `key`, or ''. */
  line(key: string): string {
    return typingLine(this.typing.get(key) ?? []);
  }

  /**
   * The composer of `conv` got a keystroke: tell the others, at most once every 3 s (sending
   * a message does not start that over: the server would drop a TYPING sooner than that).
   */
  typed(conv: Conversation): void {
    if (!this.session.ready) return;
    const now = Date.now();
    if (now - (this.lastSent.get(conv.key) ?? 0) < TYPING_EVERY_MS) return;
    this.lastSent.set(conv.key, now);
    // Nothing to do if it fails: typing is a hint, and the next keystroke tries again later.
    this.session.client.typing(conv.name).catch(() => {});
  }

  private onTyping(target: string, from: string): void {
    if (this.session.isMe(from)) return;
    const key = nameKey(isChannel(target) ? target : from);
    const who = this.typing.get(key) ?? [];
    if (!who.some((u) => nameKey(u) === nameKey(from))) this.typing.set(key, [...who, from]);
    const timer = `${key} ${nameKey(from)}`;
    clearTimeout(this.timers.get(timer));
    this.timers.set(timer, setTimeout(() => this.stop(key, from), TYPING_SHOWN_MS));
  }

  private stop(key: string, from: string): void {
    const timer = `${key} ${nameKey(from)}`;
    clearTimeout(this.timers.get(timer));
    this.timers.delete(timer);
    const who = this.typing.get(key);
    if (!who) return;
    const left = who.filter((u) => nameKey(u) !== nameKey(from));
    if (left.length === 0) this.typing.delete(key);
    else if (left.length !== who.length) this.typing.set(key, left);
  }

  private clear(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.typing.clear();
    this.lastSent.clear();
  }
}
