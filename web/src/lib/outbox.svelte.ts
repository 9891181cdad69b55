import { ServerError, type Delivery } from '../../../core/client.ts';
import { isChannel, nameKey } from '../../../core/names.ts';
import { LIMITS } from '../../../core/limits.ts';
import { fromUtf8, utf8Length } from '../../../core/bytes.ts';
import type { Conversation } from './conversation.svelte.ts';
import type { Conversations } from './conversations.svelte.ts';
import { matchStored } from './outbox-match.ts';
import type { ReadState } from './read-state.svelte.ts';
import type { Session } from './session.svelte.ts';
import * as storage from './storage.ts';

/**
 * - `queued`: not written to the server yet (offline, or behind others).
 * - `sending`: its MSG is out; the OK has not come.
 * - `unsure`: the link dropped between its MSG and the OK: the server may have stored it.
 * - `failed`: the server refused it (ERR), or whether it was stored could not be found out.
 */
export type OutgoingState = 'queued' | 'sending' | 'unsure' | 'failed';

export type Outgoing = {
  /** This page's number for it: keyed rendering, Retry and Discard. */
  readonly id: number;
  /** The conversation's key, and its name as written (the MSG target). */
  readonly key: string;
  readonly target: string;
  readonly body: string;
  readonly state: OutgoingState;
  /** Why it was not sent (`failed`). */
  readonly error: string;
  /** The conversation's newest id when the MSG was written: if stored, it is newer. */
  readonly after: number;
};

const STATES: readonly OutgoingState[] = ['queued', 'sending', 'unsure', 'failed'];
/** Looking for an unanswered message in the history: pages of this many, newest first… */
const PAGE = LIMITS.maxHistory;
/** …and at most this many pages back (what is older than that is taken as not stored). */
const MAX_PAGES = 4;

/**
 * What this tab sends, from the moment the person presses Enter until the server has stored
 * it: everything goes through here, online or not, in one queue, so messages go out in the
 * order they were written, one at a time, and each once. While the link is down they wait
 * (and show as waiting); once signed in again and caught up they go. A message whose reply
 * the drop lost is looked for in the history before it is sent again (`settle`). The queue
 * is kept in sessionStorage, so a reload does not lose it.
 */
export class Outbox {
  items = $state.raw<Outgoing[]>([]);

  private readonly session: Session;
  private readonly conversations: Conversations;
  private readonly reads: ReadState;
  /** Whose messages these are (a name key): another handle signing in here starts empty. */
  private owner = '';
  private seq = 0;
  private pumping = false;
  private kicked = false;

  constructor(session: Session, conversations: Conversations, reads: ReadState) {
    this.session = session;
    this.conversations = conversations;
    this.reads = reads;
    this.restore();
    session.onRegister(() => {
      const me = nameKey(session.me);
      if (this.owner !== me) this.replace([]);
      this.owner = me;
    });
    // Registered after the other parts' steps: the conversations are caught up by then.
    session.onSync(() => this.settle());
    session.onReady(() => void this.pump());
    session.onReset(() => {
      this.replace([]);
      this.owner = '';
    });
    // We left the channel (from elsewhere, while away): what waited for it cannot go.
    conversations.on('dropped', (key) => this.replace(this.items.filter((i) => i.key !== key)));
  }

  /** What waits for `key`, in the order it was written. */
  of(key: string): Outgoing[] {
    return this.items.filter((i) => i.key === key);
  }

  /** Send a message. Returns a problem sentence (then nothing was queued), or ''. */
  send(conv: Conversation, body: string): string {
    if (body.trim() === '') return '';
    const size = utf8Length(body);
    if (size > LIMITS.maxBody) {
      return `Message is ${size.toLocaleString('en')} bytes; the limit is ${LIMITS.maxBody.toLocaleString('en')}`;
    }
    this.replace([...this.items, { id: ++this.seq, key: conv.key, target: conv.name, body, state: 'queued', error: '', after: 0 }]);
    void this.pump();
    return '';
  }

  /** Send a failed message again, after whatever was written since. */
  retry(id: number): void {
    const item = this.items.find((i) => i.id === id);
    if (!item || item.state !== 'failed') return;
    this.replace([...this.items.filter((i) => i.id !== id), { ...item, state: 'queued', error: '' }]);
    void this.pump();
  }

  discard(id: number): void {
    this.replace(this.items.filter((i) => i.id !== id || i.state !== 'failed'));
  }

  // ------------------------------------------------------------------ sending

  /** The next to send: the first not sent, unless one before it is still unsure. */
  private next(): Outgoing | undefined {
    if (!this.session.ready) return undefined;
    const first = this.items.find((i) => i.state === 'queued' || i.state === 'unsure');
    return first?.state === 'queued' ? first : undefined;
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.kicked = true;
      return;
    }
    this.pumping = true;
    try {
      for (let item = this.next(); item; item = this.next()) await this.deliver(item);
    } finally {
      this.pumping = false;
    }
    if (this.kicked) {
      this.kicked = false;
      void this.pump();
    }
  }

  private async deliver(item: Outgoing): Promise<void> {
    const conv = this.conversationOf(item);
    const after = Math.max(conv?.lastId ?? 0, this.reads.of(item.key).lastId);
    this.patch(item.id, { state: 'sending', after });
    try {
      const sent = await this.session.client.msg(item.target, item.body);
      this.replace(this.items.filter((i) => i.id !== item.id));
      if ('muted' in sent) conv?.addSystem(`You are muted: message held back (${sent.muted} so far)`);
      else if (conv) this.show(conv, sent.id, sent.ts, item.body);
    } catch (e) {
      // An ERR means nothing was stored (spec §3). A drop leaves it open whether the server
      // got the MSG: that is found out after the reconnect (settle).
      if (e instanceof ServerError && e.code !== 'DISCONNECTED') this.patch(item.id, { state: 'failed', error: e.message });
      else this.patch(item.id, { state: 'unsure' });
    }
  }

  private conversationOf(item: Outgoing): Conversation | undefined {
    return this.conversations.get(item.key) ?? (isChannel(item.target) ? undefined : this.conversations.ensureDm(item.target));
  }

  /** Stored: it joins the conversation as any message of mine, with its id and time. */
  private show(conv: Conversation, id: number, ts: string, body: string): void {
    conv.addMessages([{ kind: 'msg', id, ts, from: this.session.me, body, mine: true, reactions: [] }]);
    this.conversations.touch(conv);
  }

  // ------------------------------------------------------------------ after a drop

  /**
   * A sign-in step, after catching up: for each message whose OK the drop lost, did the server
   * store it? If the history holds a message from me with the same body, newer than the
   * conversation's newest when the MSG went out, it did: that is the message, and it is not
   * sent again. Otherwise it goes out again, in its place in the queue.
   */
  private async settle(): Promise<void> {
    const keys = new Set(this.items.filter((i) => i.state === 'unsure').map((i) => i.key));
    for (const key of keys) {
      const unsure = this.items.filter((i) => i.key === key && i.state === 'unsure');
      let history: Delivery[];
      try {
        history = await this.recent(unsure[0].target, Math.min(...unsure.map((u) => u.after)));
      } catch (e) {
        if (e instanceof ServerError && e.code === 'DISCONNECTED') throw e;
        // Sending it blind might send it twice: the person decides (Retry or Discard).
        const error = `Could not find out whether it was sent (${e instanceof Error ? e.message : String(e)})`;
        for (const u of unsure) this.patch(u.id, { state: 'failed', error });
        continue;
      }
      const stored = history.map((d) => ({ id: d.id, ts: d.ts, from: d.from, body: fromUtf8(d.body) }));
      const found = matchStored(unsure, stored, (name) => this.session.isMe(name));
      const conv = this.conversations.get(key);
      for (const u of unsure) {
        const m = found.get(u.id);
        if (!m) {
          this.patch(u.id, { state: 'queued' });
          continue;
        }
        this.replace(this.items.filter((i) => i.id !== u.id));
        if (conv) this.show(conv, m.id, m.ts, m.body);
      }
    }
  }

  /** The messages of `target` newer than `after`, in id order (at most MAX_PAGES pages back). */
  private async recent(target: string, after: number): Promise<Delivery[]> {
    const client = this.session.client;
    const out: Delivery[] = [];
    let before: number | undefined;
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const page = await client.history(target, before === undefined ? { limit: PAGE } : { limit: PAGE, before });
      out.unshift(...page.filter((d) => d.id > after));
      if (page.length === 0 || page[0].id <= after + 1) break;
      before = page[0].id;
    }
    return out;
  }

  // ------------------------------------------------------------------ keeping

  private patch(id: number, change: Partial<Pick<Outgoing, 'state' | 'error' | 'after'>>): void {
    this.replace(this.items.map((i) => (i.id === id ? { ...i, ...change } : i)));
  }

  private replace(items: Outgoing[]): void {
    this.items = items;
    const handle = this.session.me;
    storage.saveOutbox(items.length === 0 || handle === '' ? null : { handle, items: items.map(({ id: _id, ...kept }) => kept) });
  }

  /** After a reload: what this tab had not seen stored. A MSG in flight then is unsure. */
  private restore(): void {
    const saved = storage.loadOutbox();
    const tab = storage.loadSession();
    if (!saved || !tab || nameKey(saved.handle) !== nameKey(tab.handle)) {
      storage.saveOutbox(null);
      return;
    }
    this.owner = nameKey(saved.handle);
    this.items = saved.items.map((i) => {
      const state = STATES.find((s) => s === i.state) ?? 'queued';
      return { ...i, id: ++this.seq, state: state === 'sending' ? 'unsure' : state };
    });
  }
}
