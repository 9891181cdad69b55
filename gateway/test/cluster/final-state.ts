/**
 * The final state of every message of a conversation, two ways, for the checker to compare:
 *
 * - as a node shows it: `readState` pages HISTORY (the main flow, each message with its state
 *   lines EDITED/DELETED/REACTION/REPLIES) and reads THREAD of every root, from a client on
 *   that node;
 * - as a client's own log folds up: `fold` applies the logged frames it received (and the
 *   changes it made itself, which are not sent back to it) in id order, as a client would.
 *
 * Both give one `MessageState` per message or thread reply, keyed by id.
 */
import { fromUtf8, nameKey, type ServerFrame } from '../../../core/index.ts';
import type { LoggedClient, LoggedFrameType } from './chat-log.ts';

export type MessageState = {
  from: string;
  /** A thread reply's root. */
  root?: number;
  text: string;
  edited: boolean;
  deleted: boolean;
  /** One per distinct reaction: `<emoji> <@a>,<@b>`. */
  reactions: string[];
  /** A root's replies (deleted ones too: a tombstone keeps its place in the thread). */
  replies: number;
};

/** What one client or node shows of one conversation. */
export type ConversationState = { where: string; conversation: string; messages: Map<number, MessageState> };

/** One log entry, as `fold` takes it: a frame received, or a change the client made itself. */
export type FoldEntry = { frame: LoggedFrameType; id: number; from: string; body: string; of?: number; reaction?: string };

/**
 * The messages a log's entries fold up to, applied in id order, each id once. Reactions are
 * compared as sets (`sameState`): the order a node lists them in is its own to keep.
 */
export function fold(entries: FoldEntry[]): Map<number, MessageState> {
  const byId = new Map<number, FoldEntry>();
  for (const e of entries) if (!byId.has(e.id)) byId.set(e.id, e);
  const out = new Map<number, MessageState>();
  const reactions = new Map<number, Map<string, string[]>>();
  for (const e of [...byId.values()].sort((a, b) => a.id - b.id)) {
    if (e.frame === 'MSG' || e.frame === 'REPLY') {
      out.set(e.id, { from: e.from, ...(e.frame === 'REPLY' ? { root: e.of } : {}), text: e.body, edited: false, deleted: false, reactions: [], replies: 0 });
      const root = e.frame === 'REPLY' ? out.get(e.of!) : undefined;
      if (root !== undefined) root.replies++;
      continue;
    }
    const m = out.get(e.of!);
    if (m === undefined) continue; // a change of a message this log never had: the checker's gaps say so
    if (e.frame === 'EDIT') {
      m.text = e.body;
      m.edited = true;
    } else if (e.frame === 'DELETE') {
      m.deleted = true;
      m.text = '';
      reactions.delete(e.of!);
    } else {
      let r = reactions.get(e.of!);
      if (r === undefined) reactions.set(e.of!, (r = new Map()));
      const users = (r.get(e.reaction!) ?? []).filter((u) => nameKey(u) !== nameKey(e.from));
      if (e.frame === 'REACT') users.push(e.from);
      if (users.length > 0) r.set(e.reaction!, users);
      else r.delete(e.reaction!);
    }
  }
  for (const [id, r] of reactions) {
    const m = out.get(id);
    if (m !== undefined && !m.deleted) m.reactions = [...r].map(([emoji, users]) => `${emoji} ${users.join(',')}`);
  }
  return out;
}

/** A message's state in a few words, for a verdict. */
export function describe(s: MessageState | undefined): string {
  if (s === undefined) return 'absent';
  const parts = [s.from, s.root !== undefined ? `reply to ${s.root}` : 'message'];
  if (s.deleted) parts.push('deleted');
  else {
    parts.push(JSON.stringify(s.text.length > 40 ? `${s.text.slice(0, 40)}…` : s.text));
    if (s.edited) parts.push('edited');
    if (s.reactions.length > 0) parts.push(`[${s.reactions.join('; ')}]`);
  }
  if (s.replies > 0) parts.push(`${s.replies} replies`);
  return parts.join(' ');
}

/**
 * Whether two states are the same. `exact`: reactions in the same order (two nodes reading one
 * database); otherwise as sets (a fold against a node). A tombstone's text, edit mark and
 * reactions are gone, so they are not compared.
 */
export function sameState(a: MessageState, b: MessageState, exact: boolean): boolean {
  const key = (s: MessageState) => {
    const reactions = exact ? s.reactions : s.reactions.map((r) => {
      const [emoji, users] = r.split(' ');
      return `${emoji} ${users.split(',').map(nameKey).sort().join(',')}`;
    }).sort();
    return JSON.stringify([nameKey(s.from), s.root ?? null, s.deleted, s.deleted ? '' : s.text, !s.deleted && s.edited, s.deleted ? [] : reactions, s.replies]);
  };
  return key(a) === key(b);
}

const PAGE = 500;

/**
 * Every message of `target` as the node `client` is on shows it: the main flow by HISTORY,
 * paged back to the first, then THREAD of each root for its replies.
 */
export async function readState(client: LoggedClient, target: string, where: string, conversation: string): Promise<ConversationState> {
  const messages = new Map<number, MessageState>();
  let before: number | null = null;
  for (;;) {
    const page: ServerFrame[] = await client.read(`HISTORY ${target} ${PAGE}${before === null ? '' : ` before ${before}`}`);
    const ids = applyFrames(page, messages);
    if (ids.length === 0) break;
    before = Math.min(...ids);
  }
  for (const [id, m] of [...messages]) {
    if (m.replies === 0 || m.root !== undefined) continue;
    applyFrames(await client.read(`THREAD ${target} ${id} ${PAGE}`), messages);
  }
  return { where, conversation, messages };
}

/** Frames and state lines of a HISTORY or THREAD reply into `messages`; the ids of its frames. */
function applyFrames(frames: ServerFrame[], messages: Map<number, MessageState>): number[] {
  const ids: number[] = [];
  for (const f of frames) {
    if (f.type === 'MSG' || f.type === 'REPLY') {
      ids.push(f.id);
      messages.set(f.id, {
        from: f.from, ...(f.type === 'REPLY' ? { root: f.root } : {}), text: fromUtf8(f.body), edited: false, deleted: false, reactions: [], replies: 0,
      });
      continue;
    }
    const id = 'id' in f ? f.id : undefined;
    const m = id === undefined ? undefined : messages.get(id);
    if (m === undefined) continue;
    if (f.type === 'EDITED') m.edited = true;
    else if (f.type === 'DELETED') m.deleted = true;
    else if (f.type === 'REACTION') m.reactions.push(`${f.reaction} ${f.by.join(',')}`);
    else if (f.type === 'REPLIES') m.replies = f.count;
  }
  return ids;
}
