import { textEncoder, utf8Length } from '../../../core/bytes.ts';
import { LIMITS } from '../../../core/limits.ts';
import type { Conversation, MessageItem } from './conversation.svelte.ts';
import type { Conversations } from './conversations.svelte.ts';
import { applyLogged, type LoggedFrame } from './live-log.ts';
import { reactedBy } from './message-state.ts';
import type { Session } from './session.svelte.ts';

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** What a logged command's OK said: the entry's id and time, or nothing when nothing changed. */
type Logged = { id: number; ts: string } | undefined | null | void;

const asLogged = (ok: unknown): { id: number; ts: string } | undefined =>
  ok && typeof ok === 'object' && 'id' in ok && 'ts' in ok && typeof ok.id === 'number' ? (ok as { id: number; ts: string }) : undefined;

/**
 * What a person does to a message (issue 17): edit and delete their own, react to any. The
 * server does not send a connection's own change back to it, so an acknowledged change is
 * applied here as the others get it (the same frame, through the same path).
 */
export class MessageActions {
  /** The message being edited in place, and where: its conversation and whether in the thread pane. */
  editing = $state.raw<{ key: string; id: number; inThread: boolean } | null>(null);
  /** The last action that failed, said near the message (an ERR's sentence). */
  problem = $state.raw<{ key: string; id: number; text: string } | null>(null);

  private readonly session: Session;
  private readonly conversations: Conversations;

  constructor(session: Session, conversations: Conversations) {
    this.session = session;
    this.conversations = conversations;
    session.onReset(() => {
      this.editing = null;
      this.problem = null;
    });
  }

  /** Is message `id` being edited here (the thread pane, or the conversation: a reply sent also may be in both)? */
  isEditing(conv: Conversation, id: number, inThread = false): boolean {
    return this.editing?.key === conv.key && this.editing.id === id && this.editing.inThread === inThread;
  }

  startEdit(conv: Conversation, id: number, inThread = false): void {
    this.problem = null;
    this.editing = { key: conv.key, id, inThread };
  }

  cancelEdit(): void {
    this.editing = null;
  }

  /** ↑ in an empty composer: my last message in the main flow that can still be edited. */
  lastEditable(conv: Conversation): number | undefined {
    for (let i = conv.items.length - 1; i >= 0; i--) {
      const item = conv.items[i];
      if (item.kind === 'msg' && item.mine && !item.deleted) return item.id;
    }
    return undefined;
  }

  /** Save an edit. Returns a problem sentence, or '' (then editing ends). */
  async saveEdit(conv: Conversation, m: MessageItem, body: string): Promise<string> {
    if (body.trim() === '') return 'A message cannot be empty: delete it instead';
    const size = utf8Length(body);
    if (size > LIMITS.maxBody) return `Message is ${size.toLocaleString('en')} bytes; the limit is ${LIMITS.maxBody.toLocaleString('en')}`;
    if (body === m.body) {
      this.editing = null;
      return '';
    }
    if (!this.session.ready) return 'Not connected: try again once back';
    try {
      const ok = asLogged(await this.session.client.edit(conv.name, m.id, body));
      if (ok) this.apply(conv, { type: 'EDIT', target: conv.name, from: this.session.me, id: ok.id, ts: ok.ts, of: m.id, body: textEncoder.encode(body) });
      this.editing = null;
      return '';
    } catch (e) {
      return errorText(e);
    }
  }

  /**
   * Delete my message, or (an op's, with `reason`) someone else's (the person has confirmed).
   * Returns a problem sentence, or ''.
   */
  async remove(conv: Conversation, m: MessageItem, reason?: string): Promise<string> {
    if (!this.session.ready) return 'Not connected: try again once back';
    try {
      const ok = asLogged(await this.session.client.delete(conv.name, m.id, reason || undefined));
      this.apply(conv, { type: 'DELETE', target: conv.name, from: this.session.me, id: ok?.id ?? 0, ts: ok?.ts ?? '', of: m.id });
      if (this.editing?.key === conv.key && this.editing.id === m.id) this.editing = null;
      return '';
    } catch (e) {
      return errorText(e);
    }
  }

  /** Click on a pill, or a pick from the emoji picker: add my reaction, or take it back if I had it. */
  async toggleReaction(conv: Conversation, m: MessageItem, reaction: string): Promise<void> {
    const had = m.reactions.some((r) => r.reaction === reaction && reactedBy(r, this.session.me));
    await this.react(conv, m, reaction, !had);
  }

  async react(conv: Conversation, m: MessageItem, reaction: string, on: boolean): Promise<void> {
    this.problem = null;
    if (!this.session.ready) {
      this.problem = { key: conv.key, id: m.id, text: 'Not connected: try again once back' };
      return;
    }
    try {
      const client = this.session.client;
      const ok: Logged = on ? await client.react(conv.name, m.id, reaction) : await client.unreact(conv.name, m.id, reaction);
      const logged = asLogged(ok);
      const frame = { target: conv.name, from: this.session.me, id: logged?.id ?? 0, ts: logged?.ts ?? '', of: m.id, reaction };
      // A bare OK: nothing changed on the server (I had it already, or not): apply anyway, idempotent.
      this.apply(conv, on ? { type: 'REACT', ...frame } : { type: 'UNREACT', ...frame });
    } catch (e) {
      this.problem = { key: conv.key, id: m.id, text: errorText(e) };
    }
  }

  /**
   * An acknowledged change, applied as the log would bring it (to the conversation and the
   * thread pane). A bare OK (nothing logged) has id 0, which moves no log mark.
   */
  private apply(conv: Conversation, frame: LoggedFrame): void {
    applyLogged(this.conversations, conv, frame, false);
  }
}
