/**
 * What a burst sends next (burst.ts): a message most of the time, and mixed in with them the
 * other entries of a conversation's log (issue 17), each on a message the sender knows of:
 * a thread reply to a message (not to a reply: that would join its root's thread, and the
 * REPLY frame would name another root than the one sent); an edit or a delete of one of its
 * own acknowledged messages not deleted yet; a reaction on any message it knows, and taking
 * one of its own back.
 *
 * What it knows comes from its client's log: its own OKs, and the frames it received. A
 * message someone else deletes meanwhile makes a reply or reaction to it `ERR
 * NO_SUCH_MESSAGE`, as it would for a person: the checker owes nothing for an error.
 *
 * It does not pipeline a second act on one reaction (a message and an emoji) before the
 * first is answered: the server checks a REACT or UNREACT against the store before the one
 * in flight has committed, so REACT then UNREACT answers the UNREACT with a bare OK and the
 * reaction stays, and REACT twice logs it twice (see the report of this work). The bursts
 * are here to test faults, not that.
 */
import { conversationKey, type Action, type LoggedClient, type SentEntry } from './chat-log.ts';

/** Relative weights of the acts (absent: 0). */
export type Mix = Partial<Record<'msg' | 'reply' | 'edit' | 'delete' | 'react' | 'unreact', number>>;

/** About half messages; the rest as a lively channel goes. */
export const MIXED: Mix = { msg: 50, reply: 12, edit: 10, delete: 5, react: 16, unreact: 7 };

/** Emoji only (a `:shortcode:` comes back as its emoji, and the checker compares what was sent). */
const REACTIONS = ['👍', '🎉', '🚀', '👀'];

type Known = { id: number; mine: boolean; root?: number; deleted: boolean };

export class Mixer {
  /** Per conversation, the messages known, by id. */
  private readonly known = new Map<string, Map<number, Known>>();
  /** `${conversation} ${id} ${emoji}` of the reactions this client has (as far as it sent). */
  private readonly mine = new Set<string>();
  private readonly sent = new Map<number, SentEntry>();
  /** Reactions (`${conversation} ${id} ${emoji}`) with an act in flight. */
  private readonly busy = new Set<string>();
  private read = 0;
  private n = 0;
  private readonly weights: Array<[keyof Mix, number]>;
  private readonly total: number;

  constructor(
    private readonly client: LoggedClient,
    mix: Mix = MIXED,
  ) {
    this.weights = Object.entries(mix).filter(([, w]) => (w ?? 0) > 0) as Array<[keyof Mix, number]>;
    this.total = this.weights.reduce((a, [, w]) => a + w, 0);
  }

  /** The next act to `target`: one of the mix, or a message when the one drawn has nothing to act on. */
  next(target: string): Action {
    this.learn();
    const conversation = conversationKey(target, this.client.handle);
    const known = [...(this.known.get(conversation)?.values() ?? [])].filter((k) => !k.deleted);
    const tag = `${++this.n}`;
    const pick = <T>(xs: T[]): T | undefined => (xs.length === 0 ? undefined : xs[this.random(xs.length)]);
    switch (this.draw()) {
      case 'reply': {
        const root = pick(known.filter((k) => k.root === undefined));
        if (root !== undefined) return { act: 'reply', target, root: root.id, text: `reply ${tag}`, also: this.random(4) === 0 };
        break;
      }
      case 'edit': {
        const m = pick(known.filter((k) => k.mine));
        if (m !== undefined) return { act: 'edit', target, id: m.id, text: `edited ${tag}` };
        break;
      }
      case 'delete': {
        const m = pick(known.filter((k) => k.mine));
        if (m !== undefined) {
          m.deleted = true; // no edit or delete of it after this one, though its OK is not back yet
          return { act: 'delete', target, id: m.id };
        }
        break;
      }
      case 'react': {
        const m = pick(known);
        const emoji = pick(REACTIONS)!;
        const key = `${conversation} ${m?.id} ${emoji}`;
        if (m !== undefined && !this.mine.has(key) && !this.busy.has(key)) {
          this.busy.add(key);
          this.mine.add(`${conversation} ${m.id} ${emoji}`);
          return { act: 'react', target, id: m.id, reaction: emoji };
        }
        break;
      }
      case 'unreact': {
        const had = pick([...this.mine].filter((r) => r.startsWith(`${conversation} `) && !this.busy.has(r)));
        if (had !== undefined) {
          this.mine.delete(had);
          this.busy.add(had);
          const [id, emoji] = had.slice(conversation.length + 1).split(' ');
          return { act: 'unreact', target, id: Number(id), reaction: emoji };
        }
        break;
      }
    }
    return { act: 'msg', target, text: `message ${tag}` };
  }

  /** What the client's log says since last time: its OKs, and the messages and deletes it received. */
  private learn(): void {
    const entries = this.client.log.entries;
    for (; this.read < entries.length; this.read++) {
      const e = entries[this.read];
      if (e.kind === 'sent') this.sent.set(e.seq, e);
      else if (e.kind === 'ok' || e.kind === 'unchanged' || e.kind === 'err' || e.kind === 'unknown') {
        const s = this.sent.get(e.seq);
        if (s?.reaction !== undefined) this.busy.delete(`${s.conversation} ${s.of} ${s.reaction}`);
        if (e.kind !== 'ok') continue;
        if (s?.act === 'msg' || s?.act === 'reply') this.add(s.conversation, { id: e.id, mine: true, root: s.of, deleted: false });
      } else if (e.kind === 'got') {
        if (e.frame === undefined || e.frame === 'MSG' || e.frame === 'REPLY') this.add(e.target, { id: e.id, mine: false, root: e.of, deleted: e.body === '' });
        else if (e.frame === 'DELETE') {
          const k = this.known.get(e.target)?.get(e.of!);
          if (k !== undefined) k.deleted = true;
        }
      }
    }
  }

  private add(conversation: string, k: Known): void {
    let m = this.known.get(conversation);
    if (m === undefined) this.known.set(conversation, (m = new Map()));
    if (!m.has(k.id)) m.set(k.id, k);
  }

  private draw(): keyof Mix {
    let r = this.random(this.total);
    for (const [act, w] of this.weights) if ((r -= w) < 0) return act;
    return 'msg';
  }

  private random(n: number): number {
    return Math.floor(Math.random() * n);
  }
}
