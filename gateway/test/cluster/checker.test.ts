import { describe, expect, it } from 'vitest';
import { assertClean, check, explain, isClean } from './checker.ts';
import { committedKey, conversationKey, dmKey, type ClientLog, type SendFate, type Via } from './chat-log.ts';

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
  send(from: string, target: string, fate: SendFate | undefined): string {
    const seq = (this.seqs.get(from) ?? 0) + 1;
    this.seqs.set(from, seq);
    const body = `${from}:${seq} hello`;
    const l = this.log(from);
    l.entries.push({ kind: 'sent', seq, target, conversation: conversationKey(target, from), body, at: this.at++ });
    if (fate !== undefined) l.entries.push({ seq, at: this.at++, ...fate });
    return body;
  }

  ok(from: string, target: string, id: number): string {
    return this.send(from, target, { kind: 'ok', id, ts: '2026-11-22T10:00:00.000Z' });
  }

  got(to: string, conversation: string, from: string, id: number, body: string, via: Via = 'live'): void {
    this.log(to).entries.push({ kind: 'got', target: conversation, from, id, ts: '2026-11-22T10:00:00.000Z', body, via, at: this.at++ });
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

const empty = { lost: [], duplicates: [], gaps: [], reordered: [], okWithoutCommit: [], idMismatches: [] };

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
    expect(result.lost).toEqual([{ conversation: '#room', id: 2, body: '@a:2 hello', sender: '@a', receiver: '@c', fate: 'ok' }]);
    expect(result.gaps).toEqual([]);
    expect(() => assertClean(result)).toThrow(/#room id 2 "@a:2 hello" from @a \(acknowledged\) never reached @c/);
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
      { conversation: '#room', id: 4, body: b2, sender: '@a', receiver: '@c', fate: 'unknown' },
    ]);

    const twice = cleanRun();
    const b3 = twice.send('@a', '#room', { kind: 'unknown' });
    for (const h of ['@b', '@c']) twice.got(h, '#room', '@a', 4, b3);
    twice.got('@c', '#room', '@a', 5, b3); // a retry stored it again
    const result = check(twice.all(), { receivers: ROOM });
    expect(result.duplicates).toEqual([{ kind: 'stored-twice', conversation: '#room', body: b3, ids: [4, 5] }]);
    expect(result.idMismatches).toEqual([]);
  });

  it('reports a delivery whose id is not the one the sender was given', () => {
    const r = new Run();
    const body = r.ok('@a', '#room', 2);
    r.got('@b', '#room', '@a', 2, body);
    r.got('@c', '#room', '@a', 5, body);
    const result = check(r.all(), { receivers: ROOM });
    expect(result.idMismatches).toEqual([
      { receiver: '@c', body, expected: { conversation: '#room', id: 2, from: '@a' }, got: { conversation: '#room', id: 5, from: '@a' } },
    ]);
    expect(result.lost).toEqual([]);
    expect(explain(result)).toMatch(/@c saw "@a:1 hello" as #room id 5 from @a; expected #room id 2 from @a/);
  });

  it('reports acknowledged and delivered messages the database does not hold', () => {
    const r = cleanRun();
    const committed = new Set(['#room:1', '#room:3', committedKey(dmKey('@a', '@b'), 1)]);
    const result = check(r.all(), { receivers: ROOM, committed });
    expect(result.okWithoutCommit).toEqual([{ conversation: '#room', id: 2, body: '@a:2 hello', sender: '@a', why: 'acked' }]);

    const phantom = cleanRun();
    phantom.got('@c', '#room', '@x', 4, 'from a client nobody logged');
    const all = new Set([...committed, '#room:2']);
    expect(check(phantom.all(), { receivers: ROOM, committed: all }).okWithoutCommit).toEqual([
      { conversation: '#room', id: 4, body: 'from a client nobody logged', sender: '@x', why: 'delivered' },
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
