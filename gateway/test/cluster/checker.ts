/**
 * Judges the logs of a multi-node run (chat-log.ts) against what SLCK promises:
 *
 * - an `OK <id>` means stored and delivered: every intended receiver gets the message, under
 *   that id, and it is in the database;
 * - per receiver and conversation, deliveries come in id order, each once, and without holes:
 *   ids are per conversation and gapless (PostgreSQL bumps a counter in the inserting
 *   transaction), so a skipped id is a message someone missed.
 *
 * A send whose reply never came (`unknown`) may have been stored or not. If nobody ever saw
 * it, it is neither lost nor anything else; once anyone saw it, it was stored, and it is
 * held to the same rules as an acknowledged one (every receiver, once, one id).
 *
 * Each problem is reported once, under the most telling verdict: a hole in a receiver's ids
 * that is a known lost message is reported as lost, not also as a gap.
 */
import type { ClientLog, LogEntry, Via } from './chat-log.ts';
import { committedKey, dmKey } from './chat-log.ts';
import { nameKey } from '../../../core/index.ts';

type Got = Extract<LogEntry, { kind: 'got' }>;

export type CheckOptions = {
  /**
   * Per conversation (`#room`, or `dmKey(a, b)`), the handles that were members for the whole
   * run: they must receive every message in it (the sender excepted). A DM not named here
   * is owed to its other party; a channel not named here is owed to nobody.
   */
  receivers?: Map<string, string[]>;
  /** `committedKey(conversation, id)` of every message stored, read from PostgreSQL or HISTORY after the run. */
  committed?: Set<string>;
};

export type Lost = { conversation: string; id: number | null; body: string; sender: string; receiver: string; fate: 'ok' | 'unknown' };
export type Duplicate =
  /** One client received the same (conversation, id) more than once by the same route. */
  | { kind: 'delivered-twice'; receiver: string; conversation: string; id: number; times: number; via: Via }
  /** One send was seen under more than one id: it was stored twice. */
  | { kind: 'stored-twice'; conversation: string; body: string; ids: number[] };
export type Gap = { receiver: string; conversation: string; after: number; before: number; missing: number[] };
export type Reordered = { receiver: string; conversation: string; via: Via; id: number; afterId: number };
/** `acked`: an OK whose message is not stored; `delivered`: a delivery of something not stored. */
export type NotCommitted = { conversation: string; id: number; body: string; sender: string; why: 'acked' | 'delivered' };
export type IdMismatch = { receiver: string; body: string; expected: { conversation: string; id: number | null; from: string }; got: { conversation: string; id: number; from: string } };

export type CheckResult = {
  lost: Lost[];
  duplicates: Duplicate[];
  gaps: Gap[];
  reordered: Reordered[];
  okWithoutCommit: NotCommitted[];
  idMismatches: IdMismatch[];
};

/** One send, from its `sent` entry and whatever followed it. */
type Sent = { sender: string; conversation: string; target: string; body: string; fate: 'ok' | 'err' | 'unknown'; okId: number | null };

/** What each send became: its reply if one came, `unknown` if the log ends without one. */
function sendsOf(logs: ClientLog[]): Map<string, Sent> {
  const byBody = new Map<string, Sent>();
  for (const log of logs) {
    const bySeq = new Map<number, Sent>();
    for (const e of log.entries) {
      if (e.kind === 'sent') {
        if (byBody.has(e.body)) throw new Error(`two sends have the body ${JSON.stringify(e.body)}: tags must be unique in a run`);
        const s: Sent = { sender: log.handle, conversation: e.conversation, target: e.target, body: e.body, fate: 'unknown', okId: null };
        bySeq.set(e.seq, s);
        byBody.set(e.body, s);
      } else if (e.kind === 'ok' || e.kind === 'err' || e.kind === 'unknown') {
        const s = bySeq.get(e.seq);
        if (s === undefined) continue;
        s.fate = e.kind;
        if (e.kind === 'ok') s.okId = e.id;
      }
    }
  }
  return byBody;
}

const gotsOf = (log: ClientLog): Got[] => log.entries.filter((e): e is Got => e.kind === 'got');
const same = (a: string, b: string) => nameKey(a) === nameKey(b);

/** Who must receive a message of `conversation` from `sender`. */
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
  const result: CheckResult = { lost: [], duplicates: [], gaps: [], reordered: [], okWithoutCommit: [], idMismatches: [] };
  const logOf = new Map(logs.map((l) => [nameKey(l.handle), l]));
  const gots = new Map(logs.map((l) => [l.handle, gotsOf(l)]));

  // Every (conversation, id) anyone saw, with its sender: to tell which holes are owed to whom.
  const senderOfId = new Map<string, string>();
  for (const s of sends.values()) if (s.okId !== null) senderOfId.set(committedKey(s.conversation, s.okId), s.sender);
  for (const gs of gots.values()) for (const g of gs) if (!senderOfId.has(committedKey(g.target, g.id))) senderOfId.set(committedKey(g.target, g.id), g.from);

  // Per send: the ids it was seen under, and whether it must be delivered.
  const lostFor = new Set<string>(); // `${receiver} ${conversation}:${id}`, so gaps skip them
  for (const s of sends.values()) {
    const seen: Array<{ receiver: string; g: Got }> = [];
    for (const [receiver, gs] of gots) for (const g of gs) if (g.body === s.body) seen.push({ receiver, g });
    const ids = [...new Set(seen.map((x) => x.g.id))].sort((a, b) => a - b);
    if (ids.length > 1) result.duplicates.push({ kind: 'stored-twice', conversation: s.conversation, body: s.body, ids });
    for (const { receiver, g } of seen) {
      // Of an unknown send no id is expected: several ids are reported as stored twice.
      const idOk = s.okId === null || g.id === s.okId;
      if (!idOk || g.target !== s.conversation || !same(g.from, s.sender)) {
        result.idMismatches.push({
          receiver, body: s.body,
          expected: { conversation: s.conversation, id: s.okId ?? ids[0], from: s.sender },
          got: { conversation: g.target, id: g.id, from: g.from },
        });
      }
    }
    // An error was not stored; an unknown nobody saw may never have been.
    const owed = s.fate === 'ok' || (s.fate === 'unknown' && seen.length > 0);
    if (!owed) continue;
    const id = s.okId ?? ids[0] ?? null;
    for (const receiver of owedTo(s.conversation, s.sender, receivers)) {
      const log = logOf.get(nameKey(receiver));
      if (log !== undefined && gots.get(log.handle)!.some((g) => g.body === s.body)) continue;
      result.lost.push({ conversation: s.conversation, id, body: s.body, sender: s.sender, receiver, fate: s.fate === 'ok' ? 'ok' : 'unknown' });
      if (id !== null) lostFor.add(`${nameKey(receiver)} ${committedKey(s.conversation, id)}`);
    }
    if (s.fate === 'ok' && opts.committed && !opts.committed.has(committedKey(s.conversation, s.okId!))) {
      result.okWithoutCommit.push({ conversation: s.conversation, id: s.okId!, body: s.body, sender: s.sender, why: 'acked' });
    }
  }

  for (const log of logs) {
    const byConversation = new Map<string, Got[]>();
    for (const g of gots.get(log.handle)!) {
      const list = byConversation.get(g.target);
      if (list === undefined) byConversation.set(g.target, [g]);
      else list.push(g);
    }
    for (const [conversation, gs] of byConversation) {
      orderAndDuplicates(log.handle, conversation, gs, result);
      const whole = owedTo(conversation, '', receivers).some((h) => same(h, log.handle));
      if (whole) gapsOf(log, conversation, gs, senderOfId, lostFor, sends, result);
      if (opts.committed) notCommitted(conversation, gs, opts.committed, result);
    }
  }
  return result;
}

/** Per route (live, history), ids must rise: a repeat is a duplicate, a fall a reorder. */
function orderAndDuplicates(receiver: string, conversation: string, gs: Got[], result: CheckResult): void {
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
 * Holes between the ids a whole-run member received. Not holes: its own messages (never
 * delivered back to it), ones already reported lost, and as many unattributed ids as it has
 * sends of unknown fate never seen (one of those may be its own message, stored).
 */
function gapsOf(
  log: ClientLog, conversation: string, gs: Got[], senderOfId: Map<string, string>, lostFor: Set<string>,
  sends: Map<string, Sent>, result: CheckResult,
): void {
  const ids = [...new Set(gs.map((g) => g.id))].sort((a, b) => a - b);
  const seenBodies = new Set([...gs.map((g) => g.body)]);
  let ownUnseenUnknowns = [...sends.values()].filter(
    (s) => same(s.sender, log.handle) && s.conversation === conversation && s.fate === 'unknown' && !seenBodies.has(s.body),
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

/** A delivery of a message the database does not have: told before it was committed, or never. */
function notCommitted(conversation: string, gs: Got[], committed: Set<string>, result: CheckResult): void {
  for (const g of gs) {
    if (committed.has(committedKey(conversation, g.id))) continue;
    if (result.okWithoutCommit.some((n) => n.conversation === conversation && n.id === g.id)) continue;
    result.okWithoutCommit.push({ conversation, id: g.id, body: g.body, sender: g.from, why: 'delivered' });
  }
}

export const isClean = (r: CheckResult): boolean => Object.values(r).every((list) => list.length === 0);

const SHOWN = 20;
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
    `${l.conversation} id ${l.id ?? '?'} ${quote(l.body)} from ${l.sender} (${l.fate === 'ok' ? 'acknowledged' : 'fate unknown, seen by others'}) never reached ${l.receiver}`);
  section(r.duplicates, 'duplicates', (d) =>
    d.kind === 'stored-twice'
      ? `${quote(d.body)} in ${d.conversation} was stored under ids ${d.ids.join(', ')}`
      : `${d.receiver} received ${d.conversation} id ${d.id} ${d.times} times (${d.via})`);
  section(r.gaps, 'gaps', (g) => `${g.receiver} in ${g.conversation} went from id ${g.after} to ${g.before}, missing ${g.missing.join(', ')}`);
  section(r.reordered, 'reordered', (o) => `${o.receiver} in ${o.conversation} received id ${o.id} after id ${o.afterId} (${o.via})`);
  section(r.okWithoutCommit, 'not in the database', (n) =>
    `${n.conversation} id ${n.id} ${quote(n.body)} from ${n.sender} was ${n.why === 'acked' ? 'acknowledged' : 'delivered'} but is not stored`);
  section(r.idMismatches, 'id mismatches', (m) =>
    `${m.receiver} saw ${quote(m.body)} as ${m.got.conversation} id ${m.got.id} from ${m.got.from}; ` +
    `expected ${m.expected.conversation} id ${m.expected.id ?? '?'} from ${m.expected.from}`);
  return parts.join('\n');
}

/** Throw, listing every verdict, unless the run was clean. */
export function assertClean(r: CheckResult): void {
  if (!isClean(r)) throw new Error(`the cluster run broke its promises\n${explain(r)}`);
}
