/**
 * Judges the logs of a multi-node run (chat-log.ts) against what SLCK promises for every
 * entry of a conversation's log: messages, thread replies, edits, deletes, reactions added
 * and taken back (issue 17: one gapless id sequence per conversation):
 *
 * - an `OK <id>` means stored and delivered: every intended receiver gets the entry, under
 *   that id, as the frame its act makes (MSG, REPLY, EDIT, DELETE, REACT, UNREACT), and it is
 *   in the database;
 * - per receiver and conversation, logged frames come in id order, each once, and without
 *   holes: ids are per conversation and gapless, so a skipped id is a change someone missed;
 * - given the final states (final-state.ts), every message reads the same on every node, and
 *   what each whole-run member's frames fold up to is what the nodes show.
 *
 * A send whose reply never came (`unknown`) may have been stored or not. If nobody ever saw
 * it, it is neither lost nor anything else; once anyone saw it, it was stored, and it is
 * held to the same rules as an acknowledged one (every receiver, once, one id). A bare `OK`
 * (`unchanged`: a reaction one already had) logged nothing and is owed to nobody.
 *
 * Each problem is reported once, under the most telling verdict: a hole in a receiver's ids
 * that is a known lost entry is reported as lost, not also as a gap.
 */
import type { Act, ClientLog, Got, LoggedFrameType, SentEntry, Via } from './chat-log.ts';
import { FRAME_OF, committedKey, dmKey } from './chat-log.ts';
import { describe, fold, sameState, type ConversationState, type FoldEntry } from './final-state.ts';
import { nameKey } from '../../../core/index.ts';

export type CheckOptions = {
  /**
   * Per conversation (`#room`, or `dmKey(a, b)`), the handles that were members for the whole
   * run: they must receive every entry in it (the sender excepted). A DM not named here
   * is owed to its other party; a channel not named here is owed to nobody.
   */
  receivers?: Map<string, string[]>;
  /** `committedKey(conversation, id)` of every log entry stored, read from PostgreSQL after the run. */
  committed?: Set<string>;
  /**
   * Each conversation's final state as read on each node (`readState`): compared with each
   * other, and with what each whole-run member's log folds up to.
   */
  finalStates?: ConversationState[];
};

export type Lost = { conversation: string; id: number | null; act: Act; what: string; sender: string; receiver: string; fate: 'ok' | 'unknown' };
export type Duplicate =
  /** One client received the same (conversation, id) more than once by the same route. */
  | { kind: 'delivered-twice'; receiver: string; conversation: string; id: number; times: number; via: Via }
  /** One send was seen under more than one id: it was stored twice. */
  | { kind: 'stored-twice'; conversation: string; what: string; ids: number[] };
export type Gap = { receiver: string; conversation: string; after: number; before: number; missing: number[] };
export type Reordered = { receiver: string; conversation: string; via: Via; id: number; afterId: number };
/** `acked`: an OK whose entry is not stored; `delivered`: a delivery of something not stored. */
export type NotCommitted = { conversation: string; id: number; what: string; sender: string; why: 'acked' | 'delivered' };
/** A delivery of a send that is not what the send was: another id, conversation, sender, kind or target message. */
export type IdMismatch = { receiver: string; what: string; expected: Shape; got: Shape };
type Shape = { conversation: string; id: number | null; from: string; frame: LoggedFrameType; of?: number; reaction?: string };
/**
 * A reaction act the log got wrong: `logged-twice`, an acknowledged REACT of a reaction its
 * user had already at that point of the log (or UNREACT of one they did not have: the log
 * holds a change that changed nothing, and every receiver was told it); `dropped`, a bare OK
 * to an act that would have changed something after the same client's own acknowledged act
 * before it (REACT, then UNREACT answered "nothing to take back").
 */
export type Misapplied = { kind: 'logged-twice' | 'dropped'; conversation: string; id: number | null; of: number; reaction: string; sender: string };
/** A message whose final state differs: between two nodes, or between a node and a member's fold. */
export type Divergent = { conversation: string; id: number; where: string; expected: string; got: string; reference: string };

export type CheckResult = {
  lost: Lost[];
  duplicates: Duplicate[];
  gaps: Gap[];
  reordered: Reordered[];
  okWithoutCommit: NotCommitted[];
  idMismatches: IdMismatch[];
  misapplied: Misapplied[];
  divergent: Divergent[];
};

/** One send, from its `sent` entry and whatever followed it; `id`: its OK's, or the one it was seen under. */
type Sent = SentEntry & { sender: string; fate: 'ok' | 'unchanged' | 'err' | 'unknown'; okId: number | null; id: number | null };

/** What each send became: its reply if one came, `unknown` if the log ends without one. */
function sendsOf(logs: ClientLog[]): Sent[] {
  const tags = new Set<string>();
  const out: Sent[] = [];
  for (const log of logs) {
    const bySeq = new Map<number, Sent>();
    for (const e of log.entries) {
      if (e.kind === 'sent') {
        if (tags.has(e.tag)) throw new Error(`two sends have the tag ${JSON.stringify(e.tag)}: tags must be unique in a run`);
        tags.add(e.tag);
        const s: Sent = { ...e, sender: log.handle, fate: 'unknown', okId: null, id: null };
        bySeq.set(e.seq, s);
        out.push(s);
      } else if (e.kind === 'ok' || e.kind === 'unchanged' || e.kind === 'err' || e.kind === 'unknown') {
        const s = bySeq.get(e.seq);
        if (s === undefined) continue;
        s.fate = e.kind;
        if (e.kind === 'ok') s.okId = s.id = e.id;
      }
    }
  }
  return out;
}

/** A delivery, its frame named. */
type Delivery = Got & { frame: LoggedFrameType };
/** A log's deliveries (a frame not named is a MSG). */
const gotsOf = (log: ClientLog): Delivery[] =>
  log.entries.filter((e): e is Got => e.kind === 'got').map((g) => (g.frame === undefined ? { ...g, frame: 'MSG' } : g) as Delivery);
const same = (a: string, b: string) => nameKey(a) === nameKey(b);
const what = (s: Sent) => (s.body !== '' ? s.body : `${s.tag} ${s.act} of ${s.of}${s.reaction ? ` ${s.reaction}` : ''}`);

/** Whether delivery `g` is send `s`, told by what it carries (for sends whose id is not known). */
function carries(g: Delivery, s: Sent): boolean {
  if (g.frame !== FRAME_OF[s.act] || g.target !== s.conversation || !same(g.from, s.sender)) return false;
  // A message's or reply's body is its own until its author edits it, and the burst edits only
  // messages it has an id for; an edit's text stays its own until the next edit of the message.
  if (s.act === 'msg' || s.act === 'reply') return g.body === s.body;
  if (s.act === 'edit') return g.of === s.of && g.body === s.body;
  return g.of === s.of && g.reaction === s.reaction;
}

/** Who must receive an entry of `conversation` from `sender`. */
function owedTo(conversation: string, sender: string, receivers: Map<string, string[]>): string[] {
  const named = receivers.get(conversation);
  if (named !== undefined) return named.filter((h) => !same(h, sender));
  if (conversation.startsWith('#')) return [];
  return conversation.split(' ').filter((h) => !same(h, sender));
}

/** `receivers` with its keys normalised, so `#Room` and `#room` are one conversation. */
function normalise(receivers: Map<string, string[]> = new Map()): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of receivers) {
    const key = k.includes(' ') ? dmKey(...(k.split(' ') as [string, string])) : nameKey(k);
    out.set(key, v);
  }
  return out;
}

export function check(logs: ClientLog[], opts: CheckOptions = {}): CheckResult {
  const receivers = normalise(opts.receivers);
  const sends = sendsOf(logs);
  const result: CheckResult = { lost: [], duplicates: [], gaps: [], reordered: [], okWithoutCommit: [], idMismatches: [], misapplied: [], divergent: [] };
  const logOf = new Map(logs.map((l) => [nameKey(l.handle), l]));
  const gots = new Map(logs.map((l) => [l.handle, gotsOf(l)]));
  const acked = new Map<string, Sent>();
  for (const s of sends) if (s.okId !== null) acked.set(committedKey(s.conversation, s.okId), s);

  // Every (conversation, id) anyone saw or was given, with its sender: to tell which holes are owed to whom.
  const senderOfId = new Map<string, string>();
  for (const [key, s] of acked) senderOfId.set(key, s.sender);
  for (const gs of gots.values()) for (const g of gs) if (!senderOfId.has(committedKey(g.target, g.id))) senderOfId.set(committedKey(g.target, g.id), g.from);

  const lostFor = new Set<string>(); // `${receiver} ${conversation}:${id}`, so gaps skip them
  for (const s of sends) {
    if (s.fate === 'err' || s.fate === 'unchanged') continue;
    // Where it was seen: under its OK's id; of an unknown send, by what it carries, at ids no OK claims.
    const seen: Array<{ receiver: string; g: Delivery }> = [];
    for (const [receiver, gs] of gots) {
      for (const g of gs) {
        const key = committedKey(g.target, g.id);
        if (s.okId !== null ? key === committedKey(s.conversation, s.okId) : !acked.has(key) && carries(g, s)) seen.push({ receiver, g });
        // A message or reply seen under another id than its OK's (an edit's text may come back
        // under an earlier edit's id, replayed in the current state: not a sign).
        else if (s.okId !== null && (s.act === 'msg' || s.act === 'reply') && carries(g, s)) seen.push({ receiver, g });
      }
    }
    const ids = [...new Set(seen.map((x) => x.g.id))].sort((a, b) => a - b);
    if (ids.length > 1) result.duplicates.push({ kind: 'stored-twice', conversation: s.conversation, what: what(s), ids });
    s.id ??= ids[0] ?? null;
    for (const { receiver, g } of seen) mismatch(receiver, g, s, result);
    // An unknown nobody saw may never have been stored.
    if (s.fate === 'unknown' && seen.length === 0) continue;
    for (const receiver of owedTo(s.conversation, s.sender, receivers)) {
      const log = logOf.get(nameKey(receiver));
      if (log !== undefined && seen.some((x) => x.receiver === log.handle)) continue;
      result.lost.push({ conversation: s.conversation, id: s.id, act: s.act, what: what(s), sender: s.sender, receiver, fate: s.fate === 'ok' ? 'ok' : 'unknown' });
      if (s.id !== null) lostFor.add(`${nameKey(receiver)} ${committedKey(s.conversation, s.id)}`);
    }
    if (s.fate === 'ok' && opts.committed && !opts.committed.has(committedKey(s.conversation, s.okId!))) {
      result.okWithoutCommit.push({ conversation: s.conversation, id: s.okId!, what: what(s), sender: s.sender, why: 'acked' });
    }
  }
  for (const s of sends) if (s.fate === 'unknown' && s.id !== null) senderOfId.set(committedKey(s.conversation, s.id), s.sender);

  for (const log of logs) {
    const byConversation = new Map<string, Delivery[]>();
    for (const g of gots.get(log.handle)!) {
      const list = byConversation.get(g.target);
      if (list === undefined) byConversation.set(g.target, [g]);
      else list.push(g);
    }
    for (const [conversation, gs] of byConversation) {
      orderAndDuplicates(log.handle, conversation, gs, result);
      if (wholeMember(log.handle, conversation, receivers)) gapsOf(log, conversation, gs, senderOfId, lostFor, sends, result);
      if (opts.committed) notCommitted(conversation, gs, opts.committed, result);
    }
  }
  reactionActs(logs, sends, result);
  if (opts.finalStates) finalStates(logs, sends, opts.finalStates, receivers, result);
  return result;
}

/** Reactions the log holds twice (or takes back when not there), and takes-back answered as no change. */
function reactionActs(logs: ClientLog[], sends: Sent[], result: CheckResult): void {
  // Every reaction entry anyone saw or was acknowledged, once per (conversation, id), in log order.
  const entries = new Map<string, { conversation: string; id: number; frame: LoggedFrameType; from: string; of: number; reaction: string }>();
  for (const log of logs) {
    for (const g of gotsOf(log)) {
      if ((g.frame === 'REACT' || g.frame === 'UNREACT') && g.of !== undefined && g.reaction !== undefined) {
        entries.set(committedKey(g.target, g.id), { conversation: g.target, id: g.id, frame: g.frame, from: g.from, of: g.of, reaction: g.reaction });
      }
    }
  }
  for (const s of sends) {
    if ((s.act === 'react' || s.act === 'unreact') && s.id !== null) {
      entries.set(committedKey(s.conversation, s.id), { conversation: s.conversation, id: s.id, frame: FRAME_OF[s.act], from: s.sender, of: s.of!, reaction: s.reaction! });
    }
  }
  const has = new Set<string>();
  for (const e of [...entries.values()].sort((a, b) => a.conversation.localeCompare(b.conversation) || a.id - b.id)) {
    const key = `${e.conversation} ${e.of} ${e.reaction} ${nameKey(e.from)}`;
    if ((e.frame === 'REACT') === has.has(key)) {
      result.misapplied.push({ kind: 'logged-twice', conversation: e.conversation, id: e.id, of: e.of, reaction: e.reaction, sender: e.from });
    }
    if (e.frame === 'REACT') has.add(key);
    else has.delete(key);
  }
  // Per client, in the order it sent them: a bare OK right after its own acknowledged opposite act.
  const last = new Map<string, Sent>();
  for (const s of sends) {
    if (s.act !== 'react' && s.act !== 'unreact') continue;
    const key = `${nameKey(s.sender)} ${s.conversation} ${s.of} ${s.reaction}`;
    const before = last.get(key);
    if (s.fate === 'unchanged' && before !== undefined && before.fate === 'ok' && before.act !== s.act) {
      result.misapplied.push({ kind: 'dropped', conversation: s.conversation, id: null, of: s.of!, reaction: s.reaction!, sender: s.sender });
    }
    if (s.fate === 'ok' || s.fate === 'unchanged') last.set(key, s);
  }
}

const wholeMember = (handle: string, conversation: string, receivers: Map<string, string[]>) =>
  owedTo(conversation, '', receivers).some((h) => same(h, handle));

/** A delivery of `s` that is not what `s` was. */
function mismatch(receiver: string, g: Delivery, s: Sent, result: CheckResult): void {
  const expected: Shape = { conversation: s.conversation, id: s.okId ?? s.id, from: s.sender, frame: FRAME_OF[s.act] };
  const gotShape: Shape = { conversation: g.target, id: g.id, from: g.from, frame: g.frame };
  if (s.of !== undefined) [expected.of, gotShape.of] = [s.of, g.of];
  if (s.reaction !== undefined) [expected.reaction, gotShape.reaction] = [s.reaction, g.reaction];
  // Of an unknown send no id is expected: several ids are reported as stored twice.
  const fields = (Object.keys(expected) as Array<keyof Shape>).filter((k) => k !== 'id' || s.okId !== null);
  const off = fields.some((k) => (k === 'from' ? !same(expected.from, gotShape.from) : expected[k] !== gotShape[k]));
  if (off) result.idMismatches.push({ receiver, what: what(s), expected, got: gotShape });
}

/**
 * The nodes' final states against each other (the first read of a conversation is the
 * reference), then each whole-run member's fold of its log against that reference.
 */
function finalStates(logs: ClientLog[], sends: Sent[], states: ConversationState[], receivers: Map<string, string[]>, result: CheckResult): void {
  const byConversation = new Map<string, ConversationState[]>();
  for (const st of states) byConversation.set(st.conversation, [...(byConversation.get(st.conversation) ?? []), st]);
  for (const [conversation, [reference, ...others]] of byConversation) {
    const diverge = (id: number, where: string, a: Parameters<typeof describe>[0], b: Parameters<typeof describe>[0]) =>
      result.divergent.push({ conversation, id, where, expected: describe(a), got: describe(b), reference: reference.where });
    for (const other of others) {
      for (const id of new Set([...reference.messages.keys(), ...other.messages.keys()])) {
        const a = reference.messages.get(id);
        const b = other.messages.get(id);
        if (a === undefined || b === undefined || !sameState(a, b, true)) diverge(id, other.where, a, b);
      }
    }
    for (const log of logs) {
      if (!wholeMember(log.handle, conversation, receivers) && !conversation.split(' ').includes(nameKey(log.handle))) continue;
      const entries: FoldEntry[] = gotsOf(log).filter((g) => g.target === conversation);
      // Its own changes come back to it only in a replay: its OKs (or, unknown, where others saw them) say what they were.
      for (const s of sends) {
        if (!same(s.sender, log.handle) || s.conversation !== conversation || s.id === null) continue;
        entries.push({ frame: FRAME_OF[s.act], id: s.id, from: s.sender, body: s.body, of: s.of, reaction: s.reaction });
      }
      const folded = fold(entries);
      for (const id of new Set([...reference.messages.keys(), ...folded.keys()])) {
        const a = reference.messages.get(id);
        const b = folded.get(id);
        if (a === undefined || b === undefined || !sameState(a, b, false)) diverge(id, `the log of ${log.handle}`, a, b);
      }
    }
  }
}

/** Per route (live, history), ids must rise: a repeat is a duplicate, a fall a reorder. */
function orderAndDuplicates(receiver: string, conversation: string, gs: Delivery[], result: CheckResult): void {
  // A catch-up's HISTORY may repeat what came live just before it (the spec allows it), so
  // routes are judged apart; `unsure` frames (a HISTORY cut off) are not judged at all.
  for (const via of ['live', 'history'] as const) {
    const times = new Map<number, number>();
    let highest = -Infinity;
    for (const g of gs) {
      if (g.via !== via) continue;
      times.set(g.id, (times.get(g.id) ?? 0) + 1);
      if (times.get(g.id)! > 1) continue;
      if (g.id < highest) result.reordered.push({ receiver, conversation, via, id: g.id, afterId: highest });
      highest = Math.max(highest, g.id);
    }
    for (const [id, n] of times) if (n > 1) result.duplicates.push({ kind: 'delivered-twice', receiver, conversation, id, times: n, via });
  }
}

/**
 * Holes between the ids a whole-run member received. Not holes: its own entries (never
 * delivered back to it), ones already reported lost, and as many unattributed ids as it has
 * sends of unknown fate never seen (one of those may be its own entry, stored).
 */
function gapsOf(
  log: ClientLog, conversation: string, gs: Delivery[], senderOfId: Map<string, string>, lostFor: Set<string>,
  sends: Sent[], result: CheckResult,
): void {
  const ids = [...new Set(gs.map((g) => g.id))].sort((a, b) => a - b);
  let ownUnseenUnknowns = sends.filter(
    (s) => same(s.sender, log.handle) && s.conversation === conversation && s.fate === 'unknown' && s.id === null,
  ).length;
  for (let i = 1; i < ids.length; i++) {
    const missing: number[] = [];
    for (let m = ids[i - 1] + 1; m < ids[i]; m++) {
      const key = committedKey(conversation, m);
      const sender = senderOfId.get(key);
      if (sender !== undefined && same(sender, log.handle)) continue;
      if (lostFor.has(`${nameKey(log.handle)} ${key}`)) continue;
      if (sender === undefined && ownUnseenUnknowns > 0) {
        ownUnseenUnknowns--;
        continue;
      }
      missing.push(m);
    }
    if (missing.length > 0) result.gaps.push({ receiver: log.handle, conversation, after: ids[i - 1], before: ids[i], missing });
  }
}

/** A delivery of an entry the database does not have: told before it was committed, or never. */
function notCommitted(conversation: string, gs: Delivery[], committed: Set<string>, result: CheckResult): void {
  for (const g of gs) {
    if (committed.has(committedKey(conversation, g.id))) continue;
    if (result.okWithoutCommit.some((n) => n.conversation === conversation && n.id === g.id)) continue;
    result.okWithoutCommit.push({ conversation, id: g.id, what: g.body !== '' ? g.body : `${g.frame} of ${g.of}`, sender: g.from, why: 'delivered' });
  }
}

export const isClean = (r: CheckResult): boolean => Object.values(r).every((list) => list.length === 0);

const SHOWN = 20;
const shape = (x: Shape) =>
  `${x.frame} ${x.conversation} id ${x.id ?? '?'} from ${x.from}${x.of !== undefined ? ` of ${x.of}` : ''}${x.reaction !== undefined ? ` ${x.reaction}` : ''}`;
const quote = (body: string) => JSON.stringify(body.length > 60 ? `${body.slice(0, 60)}…` : body);

/** The verdicts as sentences, one a line, at most SHOWN per kind. */
export function explain(r: CheckResult): string {
  const parts: string[] = [];
  const section = <T>(list: T[], title: string, line: (x: T) => string) => {
    if (list.length === 0) return;
    const more = list.length > SHOWN ? [`  … and ${list.length - SHOWN} more`] : [];
    parts.push(`${list.length} ${title}:`, ...list.slice(0, SHOWN).map((x) => `  ${line(x)}`), ...more);
  };
  section(r.lost, 'lost', (l) =>
    `${l.conversation} id ${l.id ?? '?'} ${l.act} ${quote(l.what)} from ${l.sender} (${l.fate === 'ok' ? 'acknowledged' : 'fate unknown, seen by others'}) never reached ${l.receiver}`);
  section(r.duplicates, 'duplicates', (d) =>
    d.kind === 'stored-twice'
      ? `${quote(d.what)} in ${d.conversation} was stored under ids ${d.ids.join(', ')}`
      : `${d.receiver} received ${d.conversation} id ${d.id} ${d.times} times (${d.via})`);
  section(r.gaps, 'gaps', (g) => `${g.receiver} in ${g.conversation} went from id ${g.after} to ${g.before}, missing ${g.missing.join(', ')}`);
  section(r.reordered, 'reordered', (o) => `${o.receiver} in ${o.conversation} received id ${o.id} after id ${o.afterId} (${o.via})`);
  section(r.okWithoutCommit, 'not in the database', (n) =>
    `${n.conversation} id ${n.id} ${quote(n.what)} from ${n.sender} was ${n.why === 'acked' ? 'acknowledged' : 'delivered'} but is not stored`);
  section(r.idMismatches, 'id mismatches', (m) => `${m.receiver} saw ${quote(m.what)} as ${shape(m.got)}; expected ${shape(m.expected)}`);
  section(r.misapplied, 'reactions misapplied', (m) =>
    m.kind === 'dropped'
      ? `${m.sender}'s take-back of ${m.reaction} on ${m.conversation} ${m.of} was answered as no change, after its own acknowledged act the other way`
      : `${m.conversation} id ${m.id}: ${m.sender}'s ${m.reaction} on ${m.of} was logged though it changed nothing`);
  section(r.divergent, 'divergent final states', (d) =>
    `${d.conversation} id ${d.id}: ${d.where} has ${d.got}, ${d.reference} has ${d.expected}`);
  return parts.join('\n');
}

/** Throw, listing every verdict, unless the run was clean. */
export function assertClean(r: CheckResult): void {
  if (!isClean(r)) throw new Error(`the cluster run broke its promises\n${explain(r)}`);
}
