import { describe, expect, it } from 'vitest';
import { assertClean, check, explain, isClean } from './checker.ts';
import type { ConversationState, MessageState } from './final-state.ts';
import { committedKey, conversationKey, dmKey, type Act, type ClientLog, type LoggedFrameType, type SendFate, type Via } from './chat-log.ts';

/** Synthetic logs, written the way LoggedClient writes them. */
class Run {
  readonly logs = new Map<string, ClientLog>();
  private seqs = new Map<string, number>();
  private at = 0;

  log(handle: string): ClientLog {
    let l = this.logs.get(handle);
    if (l === undefined) this.logs.set(handle, (l = { handle, entries: [] }));
    return l;
  }

  /** A send and its fate (`undefined`: the log ends before any reply); returns the body. */
  send(from: string, target: string, fate: SendFate | undefined, act: Act = 'msg', of?: number, reaction?: string): string {
    const seq = (this.seqs.get(from) ?? 0) + 1;
    this.seqs.set(from, seq);
    const tag = `${from}:${seq}`;
    const body = act === 'msg' || act === 'reply' || act === 'edit' ? `${tag} hello` : '';
    const l = this.log(from);
    l.entries.push({ kind: 'sent', seq, act, tag, target, conversation: conversationKey(target, from), body, of, reaction, at: this.at++ });
    if (fate !== undefined) l.entries.push({ seq, at: this.at++, ...fate });
    return body;
  }

  ok(from: string, target: string, id: number): string {
    return this.send(from, target, { kind: 'ok', id, ts: '2026-11-22T10:00:00.000Z' });
  }

  got(to: string, conversation: string, from: string, id: number, body: string, via: Via = 'live', frame: LoggedFrameType = 'MSG', of?: number, reaction?: string): void {
    this.log(to).entries.push({ kind: 'got', frame, target: conversation, from, id, ts: '2026-11-22T10:00:00.000Z', body, of, reaction, via, at: this.at++ });
  }

  /** `ok` from `from`, and a live delivery of it to each of `to`. */
  deliver(from: string, target: string, id: number, to: string[]): string {
    const body = this.ok(from, target, id);
    for (const h of to) this.got(h, conversationKey(target, from), from, id, body);
    return body;
  }

  all(): ClientLog[] {
    return [...this.logs.values()];
  }
}

const ROOM = new Map([['#room', ['@a', '@b', '@c']]]);

/** A run that keeps every promise: three members of #room and a DM. */
function cleanRun(): Run {
  const r = new Run();
  r.deliver('@a', '#room', 1, ['@b', '@c']);
  r.deliver('@a', '#room', 2, ['@b', '@c']);
  r.deliver('@b', '#room', 3, ['@a', '@c']);
  r.deliver('@a', '@b', 1, ['@b']);
  return r;
}

const empty = { lost: [], duplicates: [], gaps: [], reordered: [], okWithoutCommit: [], idMismatches: [], misapplied: [], divergent: [] };

describe('check', () => {
  it('finds nothing wrong in a clean run', () => {
    const committed = new Set(['#room:1', '#room:2', '#room:3', `${dmKey('@a', '@b')}:1`]);
    const result = check(cleanRun().all(), { receivers: ROOM, committed });
    expect(result).toEqual(empty);
    expect(() => assertClean(result)).not.toThrow();
  });

  it('reports an acknowledged message a member never got as lost, not also as a gap', () => {
    const r = new Run();
    r.deliver('@a', '#room', 1, ['@b', '@c']);
    r.deliver('@a', '#room', 2, ['@b']); // @c never gets id 2
    r.deliver('@a', '#room', 3, ['@b', '@c']);
    const result = check(r.all(), { receivers: ROOM });
    expect(result.lost).toEqual([{ conversation: '#room', id: 2, act: 'msg', what: '@a:2 hello', sender: '@a', receiver: '@c', fate: 'ok' }]);
    expect(result.gaps).toEqual([]);
    expect(() => assertClean(result)).toThrow(/#room id 2 msg "@a:2 hello" from @a \(acknowledged\) never reached @c/);
  });

  it('owes a DM to its other party without being told, and a channel only to the receivers named', () => {
    const r = new Run();
    r.ok('@a', '@b', 1);
    r.ok('@a', '#elsewhere', 1);
    r.log('@b');
    const result = check(r.all(), { receivers: ROOM });
    expect(result.lost).toEqual([expect.objectContaining({ conversation: dmKey('@a', '@b'), receiver: '@b' })]);
  });

  it('reports a message delivered twice by the same route as a duplicate', () => {
    const r = cleanRun();
    r.got('@c', '#room', '@a', 1, '@a:1 hello');
    const result = check(r.all(), { receivers: ROOM });
    expect(result.duplicates).toEqual([{ kind: 'delivered-twice', receiver: '@c', conversation: '#room', id: 1, times: 2, via: 'live' }]);
    expect(result.reordered).toEqual([]);
  });

  it('lets a catch-up HISTORY repeat what came live, but not repeat itself', () => {
    const r = cleanRun();
    r.got('@c', '#room', '@a', 2, '@a:2 hello', 'history');
    r.got('@c', '#room', '@b', 3, '@b:1 hello', 'history');
    expect(check(r.all(), { receivers: ROOM })).toEqual(empty);
    r.got('@c', '#room', '@b', 3, '@b:1 hello', 'history');
    expect(check(r.all(), { receivers: ROOM }).duplicates).toEqual([
      { kind: 'delivered-twice', receiver: '@c', conversation: '#room', id: 3, times: 2, via: 'history' },
    ]);
  });

  it('reports a hole no known message explains as a gap', () => {
    const r = new Run();
    r.deliver('@a', '#room', 1, ['@b', '@c']);
    // Ids 2 and 3 were taken by something nobody logged, then @a's next message came as 4.
    r.deliver('@a', '#room', 4, ['@b', '@c']);
    const result = check(r.all(), { receivers: ROOM });
    expect(result.gaps).toEqual([
      { receiver: '@b', conversation: '#room', after: 1, before: 4, missing: [2, 3] },
      { receiver: '@c', conversation: '#room', after: 1, before: 4, missing: [2, 3] },
    ]);
    expect(result.lost).toEqual([]);
  });

  it('does not count as gaps the receiver\'s own messages, nor holes of a channel it was not in throughout', () => {
    const r = new Run();
    r.deliver('@a', '#room', 1, ['@b', '@c']);
    r.deliver('@b', '#room', 2, ['@a', '@c']);
    r.deliver('@a', '#room', 3, ['@b', '@c']);
    r.got('@late', '#room', '@a', 1, '@a:1 hello');
    r.got('@late', '#room', '@a', 3, '@a:3 hello');
    expect(check(r.all(), { receivers: ROOM })).toEqual(empty);
  });

  it('excuses an unexplained hole when the receiver has a send of unknown fate there', () => {
    const r = new Run();
    r.deliver('@a', '#room', 1, ['@b']);
    r.send('@b', '#room', { kind: 'unknown' }); // stored as id 2 with nobody else to see it
    r.deliver('@a', '#room', 3, ['@b']);
    const receivers = new Map([['#room', ['@a', '@b']]]);
    expect(check(r.all(), { receivers }).gaps).toEqual([]);
    const r2 = new Run();
    r2.deliver('@a', '#room', 1, ['@b']);
    r2.deliver('@a', '#room', 3, ['@b']);
    expect(check(r2.all(), { receivers }).gaps).toHaveLength(1);
  });

  it('reports a smaller id after a larger one as reordered', () => {
    const r = new Run();
    const one = r.ok('@a', '#room', 1);
    const two = r.ok('@a', '#room', 2);
    for (const h of ['@b', '@c']) {
      r.got(h, '#room', '@a', 2, two);
      r.got(h, '#room', '@a', 1, one);
    }
    const result = check(r.all(), { receivers: ROOM });
    expect(result.reordered).toEqual([
      { receiver: '@b', conversation: '#room', via: 'live', id: 1, afterId: 2 },
      { receiver: '@c', conversation: '#room', via: 'live', id: 1, afterId: 2 },
    ]);
    expect(result.gaps).toEqual([]);
  });

  it('lets a send of unknown fate be absent, and holds it to the rules once anyone saw it', () => {
    const absent = cleanRun();
    absent.send('@a', '#room', { kind: 'unknown' });
    absent.send('@c', '#room', undefined); // the log ends before any reply: unknown too
    expect(check(absent.all(), { receivers: ROOM })).toEqual(empty);

    const once = cleanRun();
    const body = once.send('@a', '#room', { kind: 'unknown' });
    once.got('@b', '#room', '@a', 4, body);
    once.got('@c', '#room', '@a', 4, body);
    expect(check(once.all(), { receivers: ROOM })).toEqual(empty);

    const partly = cleanRun();
    const b2 = partly.send('@a', '#room', { kind: 'unknown' });
    partly.got('@b', '#room', '@a', 4, b2);
    expect(check(partly.all(), { receivers: ROOM }).lost).toEqual([
      { conversation: '#room', id: 4, act: 'msg', what: b2, sender: '@a', receiver: '@c', fate: 'unknown' },
    ]);

    const twice = cleanRun();
    const b3 = twice.send('@a', '#room', { kind: 'unknown' });
    for (const h of ['@b', '@c']) twice.got(h, '#room', '@a', 4, b3);
    twice.got('@c', '#room', '@a', 5, b3); // a retry stored it again
    const result = check(twice.all(), { receivers: ROOM });
    expect(result.duplicates).toEqual([{ kind: 'stored-twice', conversation: '#room', what: b3, ids: [4, 5] }]);
    expect(result.idMismatches).toEqual([]);
  });

  it('reports a delivery whose id is not the one the sender was given', () => {
    const r = new Run();
    const body = r.ok('@a', '#room', 2);
    r.got('@b', '#room', '@a', 2, body);
    r.got('@c', '#room', '@a', 5, body);
    const result = check(r.all(), { receivers: ROOM });
    expect(result.idMismatches).toEqual([
      { receiver: '@c', what: body, expected: { conversation: '#room', id: 2, from: '@a', frame: 'MSG' }, got: { conversation: '#room', id: 5, from: '@a', frame: 'MSG' } },
    ]);
    expect(result.lost).toEqual([]);
    expect(explain(result)).toMatch(/@c saw "@a:1 hello" as MSG #room id 5 from @a; expected MSG #room id 2 from @a/);
  });

  it('reports acknowledged and delivered messages the database does not hold', () => {
    const r = cleanRun();
    const committed = new Set(['#room:1', '#room:3', committedKey(dmKey('@a', '@b'), 1)]);
    const result = check(r.all(), { receivers: ROOM, committed });
    expect(result.okWithoutCommit).toEqual([{ conversation: '#room', id: 2, what: '@a:2 hello', sender: '@a', why: 'acked' }]);

    const phantom = cleanRun();
    phantom.got('@c', '#room', '@x', 4, 'from a client nobody logged');
    const all = new Set([...committed, '#room:2']);
    expect(check(phantom.all(), { receivers: ROOM, committed: all }).okWithoutCommit).toEqual([
      { conversation: '#room', id: 4, what: 'from a client nobody logged', sender: '@x', why: 'delivered' },
    ]);
  });

  it('matches names without regard to case', () => {
    const r = new Run();
    r.deliver('@A', '#Room', 1, ['@b', '@C']);
    r.deliver('@b', '@a', 1, ['@A']);
    expect(isClean(check(r.all(), { receivers: new Map([['#ROOM', ['@a', '@B', '@c']]]) }))).toBe(true);
  });

  it('refuses logs whose bodies are not unique', () => {
    const r = new Run();
    r.ok('@a', '#room', 1);
    const l = r.log('@a');
    l.entries.push({ ...(l.entries[0] as Extract<ClientLog['entries'][number], { kind: 'sent' }>), seq: 9 });
    expect(() => check(r.all())).toThrow(/tags must be unique/);
  });
});

/** A message's state as a node shows it. */
const state = (from: string, text: string, more: Partial<MessageState> = {}): MessageState =>
  ({ from, text, edited: false, deleted: false, reactions: [], replies: 0, ...more });
const TS = '2026-11-22T10:00:00.000Z';

/**
 * #room's log: 1 a message from @a; 2 @b reacts 👍 to it; 3 @a edits it; 4 @c replies to it;
 * 5 @b sends a message; 6 @b deletes it; 7 @c reacts 🎉 to 1, 8 takes it back. Every entry
 * reaches each other member live. Its final state, as every node should show it, is `FINAL`.
 */
function changesRun(): Run {
  const r = new Run();
  const m1 = r.deliver('@a', '#room', 1, ['@b', '@c']);
  const act = (from: string, id: number, act: Act, of?: number, reaction?: string) => {
    const body = r.send(from, '#room', { kind: 'ok', id, ts: TS }, act, of, reaction);
    const frame = ({ msg: 'MSG', reply: 'REPLY', edit: 'EDIT', delete: 'DELETE', react: 'REACT', unreact: 'UNREACT' } as const)[act];
    for (const to of ['@a', '@b', '@c'].filter((h) => h !== from)) r.got(to, '#room', from, id, body, 'live', frame, of, reaction);
    return body;
  };
  act('@b', 2, 'react', 1, '👍');
  act('@a', 3, 'edit', 1);
  act('@c', 4, 'reply', 1);
  act('@b', 5, 'msg');
  act('@b', 6, 'delete', 5);
  act('@c', 7, 'react', 1, '🎉');
  act('@c', 8, 'unreact', 1, '🎉');
  void m1;
  return r;
}
const FINAL = new Map<number, MessageState>([
  [1, state('@a', '@a:2 hello', { edited: true, reactions: ['👍 @b'], replies: 1 })],
  [4, state('@c', '@c:1 hello', { root: 1 })],
  [5, state('@b', '', { deleted: true })],
]);
const nodes = (...maps: Array<Map<number, MessageState>>): ConversationState[] =>
  maps.map((messages, i) => ({ where: `n${i + 1}`, conversation: '#room', messages }));
const ALL_COMMITTED = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((id) => committedKey('#room', id)));

describe('check: edits, deletes, reactions and replies (one log)', () => {
  it('finds nothing wrong when every change reaches everyone and every node and log agree', () => {
    const result = check(changesRun().all(), { receivers: ROOM, committed: ALL_COMMITTED, finalStates: nodes(FINAL, FINAL) });
    expect(result).toEqual(empty);
  });

  it('owes nothing for a bare OK (a reaction one already had) and nothing for an error', () => {
    const r = changesRun();
    r.send('@b', '#room', { kind: 'unchanged' }, 'react', 1, '👍');
    r.send('@a', '#room', { kind: 'err', code: 'NO_SUCH_MESSAGE' }, 'edit', 5);
    expect(check(r.all(), { receivers: ROOM, finalStates: nodes(FINAL) })).toEqual(empty);
  });

  it('reports an acknowledged edit a member never got as lost (not as a gap), and its log folding up to the old text', () => {
    const r = changesRun();
    const log = r.log('@c');
    log.entries = log.entries.filter((e) => !(e.kind === 'got' && e.id === 3));
    const result = check(r.all(), { receivers: ROOM, finalStates: nodes(FINAL) });
    expect(result.lost).toEqual([{ conversation: '#room', id: 3, act: 'edit', what: '@a:2 hello', sender: '@a', receiver: '@c', fate: 'ok' }]);
    expect(result.gaps).toEqual([]);
    expect(result.divergent).toEqual([{
      conversation: '#room', id: 1, where: 'the log of @c', reference: 'n1',
      expected: '@a message "@a:2 hello" edited [👍 @b] 1 replies', got: '@a message "@a:1 hello" [👍 @b] 1 replies',
    }]);
    expect(explain(result)).toMatch(/#room id 3 edit "@a:2 hello" from @a \(acknowledged\) never reached @c/);
  });

  it('reports a change nobody logged sending as a gap in the ids of the frames around it', () => {
    const r = changesRun();
    for (const h of ['@a', '@b', '@c']) r.log(h).entries = r.log(h).entries.filter((e) => !(e.kind === 'sent' && e.seq === 1 && h === '@b') && !(e.kind === 'got' && e.id === 2));
    // Without @b's send of the reaction, id 2 is a hole nobody can explain (not to @a, whose
    // first frame is 3: its own message is 1).
    const result = check(r.all(), { receivers: ROOM });
    expect(result.gaps).toEqual([
      { receiver: '@b', conversation: '#room', after: 1, before: 3, missing: [2] },
      { receiver: '@c', conversation: '#room', after: 1, before: 3, missing: [2] },
    ]);
  });

  it('reports a reaction delivered twice as a duplicate, and the node that shows it twice as divergent', () => {
    const r = changesRun();
    r.got('@c', '#room', '@b', 2, '', 'live', 'REACT', 1, '👍');
    const twice = new Map(FINAL);
    twice.set(1, { ...FINAL.get(1)!, reactions: ['👍 @b,@b'] });
    const result = check(r.all(), { receivers: ROOM, finalStates: nodes(FINAL, twice) });
    expect(result.duplicates).toEqual([{ kind: 'delivered-twice', receiver: '@c', conversation: '#room', id: 2, times: 2, via: 'live' }]);
    expect(result.divergent).toEqual([expect.objectContaining({ id: 1, where: 'n2', got: '@a message "@a:2 hello" edited [👍 @b,@b] 1 replies' })]);
  });

  it('reports a delete that came before an earlier change as reordered', () => {
    const r = changesRun();
    const log = r.log('@a');
    const i5 = log.entries.findIndex((e) => e.kind === 'got' && e.id === 5);
    const i6 = log.entries.findIndex((e) => e.kind === 'got' && e.id === 6);
    [log.entries[i5], log.entries[i6]] = [log.entries[i6], log.entries[i5]];
    const result = check(r.all(), { receivers: ROOM, finalStates: nodes(FINAL) });
    expect(result.reordered).toEqual([{ receiver: '@a', conversation: '#room', via: 'live', id: 5, afterId: 6 }]);
  });

  it('reports a change delivered as another kind, or naming another message, as a mismatch', () => {
    const r = changesRun();
    const log = r.log('@c');
    const e = log.entries.find((x) => x.kind === 'got' && x.id === 2) as Extract<ClientLog['entries'][number], { kind: 'got' }>;
    e.frame = 'UNREACT';
    e.of = 5;
    const result = check(r.all(), { receivers: ROOM });
    expect(result.idMismatches).toEqual([{
      receiver: '@c', what: '@b:1 react of 1 👍',
      expected: { conversation: '#room', id: 2, from: '@b', frame: 'REACT', of: 1, reaction: '👍' },
      got: { conversation: '#room', id: 2, from: '@b', frame: 'UNREACT', of: 5, reaction: '👍' },
    }]);
  });

  it('reports nodes that disagree on a message\'s final state, and a message one node lacks', () => {
    const other = new Map(FINAL);
    other.set(1, { ...FINAL.get(1)!, text: '@a:1 hello' });
    other.delete(4);
    const result = check(changesRun().all(), { receivers: ROOM, finalStates: nodes(FINAL, FINAL, other) });
    expect(result.divergent).toEqual([
      { conversation: '#room', id: 1, where: 'n3', reference: 'n1', expected: '@a message "@a:2 hello" edited [👍 @b] 1 replies', got: '@a message "@a:1 hello" edited [👍 @b] 1 replies' },
      { conversation: '#room', id: 4, where: 'n3', reference: 'n1', expected: '@c reply to 1 "@c:1 hello"', got: 'absent' },
    ]);
    expect(() => assertClean(result)).toThrow(/2 divergent final states:\n  #room id 1: n3 has @a message "@a:1 hello"/);
  });

  it('folds a catch-up replay in its current state to the same final state (a deleted message\'s empty body, an edit\'s latest text)', () => {
    const r = changesRun();
    // @c missed everything after 1 and came back: HISTORY after 1 replays 2..8 as they are now.
    const log = r.log('@c');
    log.entries = log.entries.filter((e) => !(e.kind === 'got' && e.id > 1));
    r.got('@c', '#room', '@b', 2, '', 'history', 'REACT', 1, '👍');
    r.got('@c', '#room', '@a', 3, '@a:2 hello', 'history', 'EDIT', 1);
    r.got('@c', '#room', '@b', 5, '', 'history', 'MSG');
    r.got('@c', '#room', '@b', 6, '', 'history', 'DELETE', 5);
    r.got('@c', '#room', '@c', 7, '', 'history', 'REACT', 1, '🎉');
    r.got('@c', '#room', '@c', 8, '', 'history', 'UNREACT', 1, '🎉');
    expect(check(r.all(), { receivers: ROOM, committed: ALL_COMMITTED, finalStates: nodes(FINAL, FINAL) })).toEqual(empty);
  });

  it('reports a reaction logged twice, and a take-back answered as no change after the client\'s own reaction', () => {
    // What the server did with REACT and UNREACT pipelined on one connection (see the report).
    const r = changesRun();
    const twice = r.send('@b', '#room', { kind: 'ok', id: 9, ts: TS }, 'react', 1, '👍');
    for (const h of ['@a', '@c']) r.got(h, '#room', '@b', 9, twice, 'live', 'REACT', 1, '👍');
    r.send('@c', '#room', { kind: 'ok', id: 10, ts: TS }, 'react', 1, '🚀');
    for (const h of ['@a', '@b']) r.got(h, '#room', '@c', 10, '', 'live', 'REACT', 1, '🚀');
    r.send('@c', '#room', { kind: 'unchanged' }, 'unreact', 1, '🚀');
    const result = check(r.all(), { receivers: ROOM });
    expect(result.misapplied).toEqual([
      { kind: 'logged-twice', conversation: '#room', id: 9, of: 1, reaction: '👍', sender: '@b' },
      { kind: 'dropped', conversation: '#room', id: null, of: 1, reaction: '🚀', sender: '@c' },
    ]);
    expect(explain(result)).toMatch(/#room id 9: @b's 👍 on 1 was logged though it changed nothing/);
  });
});
