/**
 * The fuzzer's model of one conversation's log (docs/PROTOCOL.md sections 2 and 6, issue 17),
 * written from the spec text, not from gateway/chat or the store: every logged change (a
 * message, a thread reply, an edit, a delete, a reaction added or taken back) takes the next
 * id; a message carries its current state (text as last edited, tombstone, reactions, a
 * root's thread summary). It predicts the exact reply of REPLY, EDIT, DELETE, REACT and
 * UNREACT, and the exact frames of HISTORY (a page, or `after` a replay) and THREAD.
 *
 * The model only knows a conversation whose whole history it has seen: a fresh channel made
 * for one case (cases.ts, "log" cases). Where the spec leaves an outcome open, the caller
 * allows every reading and forgets the log (it is no longer known).
 */

export type Kind = 'msg' | 'edit' | 'delete' | 'react' | 'unreact';
/** `body`: a message's or an edit's text when it was logged (what was sent live then). */
export type Entry = { id: number; kind: Kind; from: string; of?: number; reaction?: string; body?: Uint8Array };
export type Message = {
  id: number;
  from: string;
  body: Uint8Array;
  root?: number;
  also: boolean;
  edited: boolean;
  deleted: boolean;
  reactions: { reaction: string; by: string[] }[];
  /** A root's replies: how many, the newest's id, the repliers most recent first. */
  thread?: { count: number; lastId: number; by: string[] };
  /** Set when the summary depends on a rule the spec leaves open (a reply deleted). */
  threadUnsure?: boolean;
};

/** The outcome of a change: an id (`OK <id> <ts>`), a bare `OK`, an ERR code, or several readings. */
export type Outcome = { allow: string[]; /** the log can no longer be predicted */ unsure?: boolean };

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');

export class ConvLog {
  entries: Entry[] = [];
  messages = new Map<number, Message>();
  /** TYPINGs this connection sent here and had answered OK (not logged: section 2, TYPING). */
  typing = 0;

  /** `target`: the channel as first written (frames carry it so). */
  constructor(readonly target: string) {}

  clone(): ConvLog {
    const c = new ConvLog(this.target);
    c.typing = this.typing;
    c.entries = this.entries.map((e) => ({ ...e }));
    for (const [id, m] of this.messages) {
      c.messages.set(id, {
        ...m,
        reactions: m.reactions.map((r) => ({ reaction: r.reaction, by: [...r.by] })),
        thread: m.thread && { ...m.thread, by: [...m.thread.by] },
      });
    }
    return c;
  }

  get lastId(): number {
    return this.entries.length;
  }

  /** A message or reply that can be changed: not deleted, and a message at all. */
  private live(id: number): Message | undefined {
    const m = this.messages.get(id);
    return m && !m.deleted ? m : undefined;
  }

  private log(e: Omit<Entry, 'id'>): string {
    const id = this.entries.length + 1;
    this.entries.push({ id, ...e });
    return `OK-MSG:${id}`;
  }

  msg(from: string, body: Uint8Array): Outcome {
    const key = this.log({ kind: 'msg', from, body });
    this.messages.set(this.lastId, { id: this.lastId, from, body, also: false, edited: false, deleted: false, reactions: [] });
    return { allow: [key] };
  }

  reply(from: string, rootId: number, body: Uint8Array, also: boolean): Outcome {
    const target = this.messages.get(rootId);
    if (target === undefined || target.deleted) return { allow: ['ERR:NO_SUCH_MESSAGE'] };
    const rootOf = target.root ?? rootId;
    const root = this.messages.get(rootOf)!;
    // A reply to a reply of a deleted root: the spec says only that a deleted message cannot
    // be replied to, and that a reply to a reply joins its root's thread.
    if (root.deleted) return { allow: ['ERR:NO_SUCH_MESSAGE', 'OK-MSG'], unsure: true };
    const key = this.log({ kind: 'msg', from, body });
    const id = this.lastId;
    this.messages.set(id, { id, from, body, root: rootOf, also, edited: false, deleted: false, reactions: [] });
    const t = (root.thread ??= { count: 0, lastId: 0, by: [] });
    t.count++;
    t.lastId = id;
    t.by = [from, ...t.by.filter((u) => !same(u, from))];
    return { allow: [key] };
  }

  /** EDIT and DELETE: only the author, of a message that is there. */
  private ownChange(from: string, id: number): Message | string[] {
    const m = this.messages.get(id);
    if (m === undefined) return ['ERR:NO_SUCH_MESSAGE'];
    const mine = same(m.from, from);
    if (m.deleted) return mine ? ['ERR:NO_SUCH_MESSAGE'] : ['ERR:NO_SUCH_MESSAGE', 'ERR:NOT_AUTHOR'];
    return mine ? m : ['ERR:NOT_AUTHOR'];
  }

  edit(from: string, id: number, body: Uint8Array): Outcome {
    const m = this.ownChange(from, id);
    if (Array.isArray(m)) return { allow: m };
    m.body = body;
    m.edited = true;
    return { allow: [this.log({ kind: 'edit', from, of: id, body })] };
  }

  delete(from: string, id: number): Outcome {
    const m = this.ownChange(from, id);
    if (Array.isArray(m)) return { allow: m };
    m.body = new Uint8Array(0);
    m.deleted = true;
    m.edited = false;
    m.reactions = [];
    // What a deleted reply does to its root's summary the spec does not say.
    if (m.root !== undefined) this.messages.get(m.root)!.threadUnsure = true;
    return { allow: [this.log({ kind: 'delete', from, of: id })] };
  }

  /** `reaction`: the emoji it stands for (normalizeReaction), already checked. */
  react(from: string, id: number, reaction: string, add: boolean): Outcome {
    const m = this.live(id);
    if (m === undefined) return { allow: ['ERR:NO_SUCH_MESSAGE'] };
    const r = m.reactions.find((x) => x.reaction === reaction);
    const has = r !== undefined && r.by.some((u) => same(u, from));
    if (add === has) return { allow: ['OK'] };
    if (add) {
      if (r === undefined && m.reactions.length >= 50) return { allow: ['ERR:TOO_MANY_REACTIONS'] };
      if (r === undefined) m.reactions.push({ reaction, by: [from] });
      else r.by.push(from);
    } else {
      r!.by = r!.by.filter((u) => !same(u, from));
      if (r!.by.length === 0) m.reactions = m.reactions.filter((x) => x !== r);
    }
    return { allow: [this.log({ kind: add ? 'react' : 'unreact', from, of: id, reaction })] };
  }

  // ---- What HISTORY and THREAD show. A frame is a line, its time as `*TS*`, and for a frame
  // with a body ` |` and the body; a line ending ` *` stands for any rest (a rule left open).

  private mainFlow(): Message[] {
    return [...this.messages.values()].filter((m) => m.root === undefined || m.also).sort((a, b) => a.id - b.id);
  }

  /** A message's frame as a live delivery shows it (MSG, or REPLY for a thread reply). */
  private frame(m: Message): string {
    const body = ` |${latin1(m.body)}`;
    if (m.root === undefined) return `MSG ${this.target} ${m.from} ${m.id} *TS* ${m.body.length}${body}`;
    return `REPLY ${this.target} ${m.from} ${m.id} *TS* ${m.root} ${m.body.length}${m.also ? ' ALSO' : ''}${body}`;
  }

  private stateLines(m: Message): string[] {
    const out: string[] = [];
    if (m.deleted) out.push(`DELETED ${this.target} ${m.id}`);
    else if (m.edited) out.push(`EDITED ${this.target} ${m.id} *TS*`);
    for (const r of m.reactions) out.push(`REACTION ${this.target} ${m.id} ${r.reaction} ${r.by.join(',')}`);
    const t = m.thread;
    if (m.threadUnsure) out.push(`REPLIES ${this.target} ${m.id} *`);
    else if (t && t.count > 0) out.push(`REPLIES ${this.target} ${m.id} ${t.count} ${t.lastId} *TS* ${t.by.slice(0, 5).join(',')}`);
    return out;
  }

  private withState(ms: Message[]): string[] {
    return ms.flatMap((m) => [this.frame(m), ...this.stateLines(m)]);
  }

  /** `HISTORY <target> [limit] [before|after|around <id>]`: its frames, then the END count. */
  history(limit: number, dir: string | null, at: number): { frames: string[]; count: number } {
    const n = Math.min(limit, 500);
    if (dir === 'after') {
      const es = this.entries.filter((e) => e.id > at).slice(0, n);
      return { frames: es.map((e) => this.replay(e)), count: es.length };
    }
    const flow = this.mainFlow();
    let page: Message[];
    if (dir === 'before') page = flow.filter((m) => m.id < at).slice(-n);
    else if (dir === 'around') {
      const before = Math.floor((n - 1) / 2);
      const older = before > 0 ? flow.filter((m) => m.id < at).slice(-before) : [];
      page = [...older, ...flow.filter((m) => m.id >= at).slice(0, n - older.length)];
    } else page = flow.slice(-n);
    return { frames: this.withState(page), count: page.length };
  }

  /** One entry of an `after` replay, from the current state. */
  private replay(e: Entry): string {
    const head = (verb: string) => `${verb} ${this.target} ${e.from} ${e.id} *TS* ${e.of}`;
    switch (e.kind) {
      case 'msg':
        return this.frame(this.messages.get(e.id)!);
      case 'edit': {
        const m = this.messages.get(e.of!)!;
        return `${head('EDIT')} ${m.body.length} |${latin1(m.body)}`;
      }
      case 'delete':
        return head('DELETE');
      default:
        return `${head(e.kind.toUpperCase())} ${e.reaction}`;
    }
  }

  /** `THREAD <target> <id> [limit]`: its frames and count, or the ERR. */
  thread(id: number, limit: number): { frames: string[]; count: number } | null {
    const m = this.messages.get(id);
    if (m === undefined) return null;
    const root = this.messages.get(m.root ?? id)!;
    const replies = [...this.messages.values()].filter((x) => x.root === root.id).sort((a, b) => a.id - b.id).slice(-Math.min(limit, 500));
    return { frames: this.withState([root, ...replies]), count: 1 + replies.length };
  }

  /**
   * THREADS' lines of this conversation for `who`: the threads they follow (wrote the root or
   * replied; the generator's texts mention no one), unread and mentions and time left open
   * (`*`), by root id (the server's order depends on other conversations too); null when a
   * deleted reply leaves the spec silent.
   */
  following(who: string): string[] | null {
    const out: string[] = [];
    for (const root of this.messages.values()) {
      const t = root.thread;
      if (t === undefined || t.count === 0) continue;
      if (root.threadUnsure) return null;
      const replied = [...this.messages.values()].some((m) => m.root === root.id && same(m.from, who));
      if (same(root.from, who) || replied) out.push(`FOLLOWING ${this.target} ${root.id} ${t.count} * * ${t.lastId} *TS*`);
    }
    return out; // by root id, as the messages are kept
  }

  /** The frames a member other than `from` is sent live for the entries after `after`. */
  liveFrames(after: number): string[] {
    return this.entries.filter((e) => e.id > after).map((e) => this.liveFrame(e));
  }

  /** A logged change as it was sent live: with the text it had then. */
  private liveFrame(e: Entry): string {
    if (e.kind === 'msg') return this.frame({ ...this.messages.get(e.id)!, body: e.body! });
    if (e.kind === 'edit') return `EDIT ${this.target} ${e.from} ${e.id} *TS* ${e.of} ${e.body!.length} |${latin1(e.body!)}`;
    return this.replay(e);
  }
}

/** Unicode's recommended emoji (the `v` flag is built at run time, as Node 20 has it). */
const RGI = new RegExp('^\\p{RGI_Emoji}$', 'v');
const VS16 = '\ufe0f';
/** Shortcodes the generator uses, from the spec's examples and the app's light set. */
export const SHORTCODES: Record<string, string> = { '+1': '👍', '-1': '👎', tada: '🎉', heart: '❤️', smile: '😄', rocket: '🚀', eyes: '👀' };
const strict = new TextDecoder('utf-8', { fatal: true });

/**
 * What a reaction word stands for: the emoji, `null` when it is none, or `'?'` when the spec
 * leaves it to the app's set (a shortcode the model does not list).
 */
export function reactionOf(word: Uint8Array): string | null | '?' {
  if (word.length === 0 || word.length > 64) return null;
  let text: string;
  try {
    text = strict.decode(word);
  } catch {
    return null;
  }
  if (RGI.test(text)) return text;
  if (RGI.test(text + VS16)) return text + VS16;
  const code = /^:([a-z0-9_+-]{1,40}):$/.exec(text);
  if (code === null) return null;
  return SHORTCODES[code[1]] ?? '?';
}
