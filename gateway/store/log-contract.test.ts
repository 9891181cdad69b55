import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogEntry, NewChange, Store, StoreWrite, StoredMessage } from './store.ts';
import { append, bodies, nextTime, read, text, useBackends, users, type TestDb } from './contract-backends.ts';

/**
 * The log of issue 17, one contract for the three stores: replies, edits, deletes and
 * reactions taking their conversation's next id; history as the main flow in its current
 * state; the log replayed from the current state; threads, who follows them, and thread
 * read marks.
 */
const backends = useBackends();

const change = (c: NewChange): StoreWrite => ({ op: 'change', change: c });
const edit = (target: string, from: string, of: number, body: string): StoreWrite =>
  change({ kind: 'edit', target, from, ts: nextTime(), of, body: text(body) });
const remove = (target: string, from: string, of: number): StoreWrite => change({ kind: 'delete', target, from, ts: nextTime(), of });
const react = (target: string, from: string, of: number, reaction: string, kind: 'react' | 'unreact' = 'react'): StoreWrite =>
  change({ kind, target, from, ts: nextTime(), of, reaction });
const reply = (target: string, from: string, root: number, body: string, more: { also?: boolean; mentions?: string[]; offlineFor?: string } = {}): StoreWrite =>
  ({ ...(append(target, from, body, more.offlineFor) as Extract<StoreWrite, { op: 'append' }>), root, ...(more.also ? { also: true } : {}), ...(more.mentions ? { mentions: more.mentions } : {}) });
const mentioning = (target: string, from: string, body: string, mentions: string[]): StoreWrite =>
  ({ ...(append(target, from, body) as Extract<StoreWrite, { op: 'append' }>), mentions });
const threadRead = (handle: string, conversation: string, root: number, id: number): StoreWrite => ({ op: 'markThreadRead', handle, conversation, root, id });

/** A message as a line: id, body, and its state. */
function line(m: StoredMessage): string {
  const parts = [`${m.id} ${m.from} ${read(m.body)}`];
  if (m.root !== undefined) parts.push(`re ${m.root}${m.also ? ' also' : ''}`);
  if (m.edited !== undefined) parts.push('edited');
  if (m.deleted) parts.push('deleted');
  for (const r of m.reactions ?? []) parts.push(`${r.reaction} ${r.by.join(',')}`);
  if (m.thread) parts.push(`thread ${m.thread.count} last ${m.thread.lastId} by ${m.thread.by.join(',')}`);
  return parts.join(' | ');
}
const entry = (e: LogEntry): string =>
  e.kind === 'msg' ? `msg ${line(e)}` : `${e.kind} ${e.id} ${e.from} of ${e.of}${e.body ? ` "${read(e.body)}"` : ''}${e.reaction ? ` ${e.reaction}` : ''}`;

for (const backend of backends) {
  describe(`Log contract: ${backend.name}`, () => {
    let db: TestDb;
    let store: Store;
    const ok = async (writes: StoreWrite[]): Promise<number[]> => {
      const result = await store.commit(writes);
      expect(result, String(store.lastFailure)).not.toBeNull();
      return result!.ids;
    };
    const history = async (channel = '#general', limit = 50) => (await store.channelHistory(channel, { limit })).map(line);
    const replay = async (conversation = '#general', after = 0, limit = 100) => (await store.log(conversation, after, limit)).map(entry);
    const unread = async (handle: string, channels: string[]) =>
      (await store.conversationsOf(handle, channels)).map((c) => `${c.target} ${c.unread}/${c.mentions} of ${c.lastId}`);
    const threads = async (handle: string) =>
      (await store.threadsOf(handle)).map((t) => `${t.target} ${t.root}: ${t.replies} last ${t.lastId} read ${t.readId} unread ${t.unread}/${t.mentions}`);

    beforeEach(async () => {
      db = await backend.fresh();
      store = await db.open();
      await ok([...users('@Jane', '@john', '@kim', '@lee'), { op: 'addChannel', name: '#General' },
        ...['@jane', '@john', '@kim'].map((handle): StoreWrite => ({ op: 'addMember', channel: '#general', handle }))]);
    });
    afterEach(async () => {
      await store.close();
      await db.cleanup();
    });

    it('a change takes the next id of its conversation, in the batch order, and is the newest log id', async () => {
      expect(await ok([append('#general', '@jane', 'one'), append('@john', '@jane', 'dm')])).toEqual([1, 1]);
      expect(await ok([
        edit('#general', '@jane', 1, 'one!'), append('#general', '@kim', 'two'), react('#general', '@kim', 1, '👍'),
        react('@jane', '@john', 1, '🎉'), remove('#general', '@kim', 3),
      ])).toEqual([2, 3, 4, 2, 5]);
      expect(await store.lastIds(['#general', '@jane @john'])).toEqual(new Map([['#general', 5], ['@jane @john', 2]]));
      const [general] = await store.conversationsOf('@john', ['#general']);
      expect(general).toMatchObject({ lastId: 5, lastTs: expect.stringMatching(/^2026-/) });
    });

    it('an edit overwrites the body and marks it edited; a replay shows the current text everywhere', async () => {
      await ok([append('#general', '@jane', 'helo'), append('#general', '@kim', 'hi')]);
      await ok([edit('#general', '@jane', 1, 'hello')]);
      await ok([edit('#general', '@jane', 1, 'hello all')]);
      expect(await history()).toEqual(['1 @jane hello all | edited', '2 @kim hi']);
      const [m] = await store.channelHistory('#general', { limit: 1, around: 1 });
      expect(m.edited).toMatch(/^2026-/);
      expect(await replay()).toEqual(['msg 1 @jane hello all | edited', 'msg 2 @kim hi', 'edit 3 @jane of 1 "hello all"', 'edit 4 @jane of 1 "hello all"']);
      expect(await replay('#general', 2, 1)).toEqual(['edit 3 @jane of 1 "hello all"']);
      expect(await replay('#general', 4)).toEqual([]);
      expect(line((await store.message('#general', 1))!)).toBe('1 @jane hello all | edited');
      expect((await store.message('#general', 1))!.conversation).toBe('#general');
    });

    it('a delete leaves a tombstone: empty body, no reactions, no mentions, out of offline queues; its edits replay empty', async () => {
      await ok([mentioning('#general', '@kim', '@jane see', ['@jane']), append('@jane', '@kim', 'psst', '@jane'), append('@jane', '@kim', 'stays', '@jane')]);
      await ok([edit('#general', '@kim', 1, '@jane look'), react('#general', '@john', 1, '👀')]);
      expect(await unread('@jane', ['#general'])).toEqual(['#General 1/1 of 3', '@kim 2/0 of 2']);
      await ok([remove('#general', '@kim', 1), remove('@jane', '@kim', 1)]);
      expect(await history()).toEqual(['1 @kim  | edited | deleted']);
      expect(await store.message('#general', 1)).toMatchObject({ id: 1, deleted: true, body: new Uint8Array(0) });
      expect(await replay()).toEqual(['msg 1 @kim  | edited | deleted', 'edit 2 @kim of 1 ""', 'react 3 @john of 1 👀', 'delete 4 @kim of 1']);
      expect(await unread('@jane', ['#general'])).toEqual(['@kim 1/0 of 3', '#General 0/0 of 4']);
      expect(bodies(await store.offlineFor('@jane'))).toEqual(['stays']);
      // Deleting again, or editing a tombstone, changes nothing but takes its id.
      expect(await ok([remove('#general', '@kim', 1), edit('#general', '@kim', 1, 'back?')])).toEqual([5, 6]);
      expect(await history()).toEqual(['1 @kim  | edited | deleted']);
    });

    it('message() finds messages and replies only: not a change, not past the end, not 0', async () => {
      await ok([append('#general', '@jane', 'a'), react('#general', '@kim', 1, '👍')]);
      await ok([reply('#general', '@kim', 1, 'r')]);
      expect(await store.message('#general', 3)).toMatchObject({ id: 3, root: 1, also: false });
      for (const id of [0, 2, 4, 99]) expect(await store.message('#general', id)).toBeUndefined();
      expect(await store.message('#nowhere', 1)).toBeUndefined();
    });

    it('reactions: one per user and emoji, in the order first added, users in the order they reacted; repeats change nothing', async () => {
      await ok([append('#general', '@jane', 'news')]);
      await ok([react('#general', '@kim', 1, '👍'), react('#general', '@John', 1, '🎉'), react('#general', '@jane', 1, '👍')]);
      expect(await history()).toEqual(['1 @jane news | 👍 @kim,@jane | 🎉 @John']);
      // A second 👍 by kim, and an UNREACT of what john does not have: nothing fails, nothing changes.
      await ok([react('#general', '@KIM', 1, '👍'), react('#general', '@john', 1, '👍', 'unreact')]);
      expect(await history()).toEqual(['1 @jane news | 👍 @kim,@jane | 🎉 @John']);
      // Back after taking it away: last of its users; 👍 keeps its place while jane's stays.
      await ok([react('#general', '@kim', 1, '👍', 'unreact')]);
      await ok([react('#general', '@kim', 1, '👍')]);
      expect(await history()).toEqual(['1 @jane news | 👍 @jane,@kim | 🎉 @John']);
      await ok([react('#general', '@john', 1, '🎉', 'unreact')]);
      expect(await history()).toEqual(['1 @jane news | 👍 @jane,@kim']);
      expect(await replay('#general', 7)).toEqual(['react 8 @kim of 1 👍', 'unreact 9 @john of 1 🎉']);
    });

    it('a reply joins its root\'s thread: summary, repliers most recent first (5 at most), not in the main flow unless also', async () => {
      await ok([append('#general', '@jane', 'root'), append('#general', '@kim', 'other')]);
      const ids = await ok([
        reply('#general', '@kim', 1, 'r1'), reply('#general', '@john', 1, 'r2'), reply('#general', '@kim', 1, 'r3', { also: true }),
      ]);
      expect(ids).toEqual([3, 4, 5]);
      expect(await history()).toEqual(['1 @jane root | thread 3 last 5 by @kim,@john', '2 @kim other', '5 @kim r3 | re 1 also']);
      await ok(['@a', '@b', '@c', '@d'].flatMap((h) => [...users(h), reply('#general', h, 1, `from ${h}`)]));
      const [root] = await store.channelHistory('#general', { limit: 1, before: 2 });
      expect(root.thread).toEqual({ count: 7, lastId: 9, lastTs: expect.stringMatching(/^2026-/), by: ['@d', '@c', '@b', '@a', '@kim'] });
      expect((await store.thread('#general', 1, 3)).map(line)).toEqual([
        '1 @jane root | thread 7 last 9 by @d,@c,@b,@a,@kim', '7 @b from @b | re 1', '8 @c from @c | re 1', '9 @d from @d | re 1',
      ]);
      // A reply's id finds its root's thread; a limit of 0, the root alone; no such message, nothing.
      expect((await store.thread('#general', 4, 2)).map((m) => m.id)).toEqual([1, 8, 9]);
      expect((await store.thread('#general', 1, 0)).map((m) => m.id)).toEqual([1]);
      expect(await store.thread('#general', 99, 5)).toEqual([]);
      expect(await replay('#general', 2, 2)).toEqual(['msg 3 @kim r1 | re 1', 'msg 4 @john r2 | re 1']);
    });

    it('history pages the main flow only: latest, before, around and after step over replies and changes', async () => {
      await ok([append('#general', '@jane', 'm1'), append('#general', '@jane', 'm2')]);
      await ok([reply('#general', '@kim', 1, 'r1'), react('#general', '@kim', 2, '👍'), append('#general', '@jane', 'm3')]);
      await ok([reply('#general', '@kim', 1, 'r2', { also: true }), edit('#general', '@jane', 5, 'm3!'), append('#general', '@jane', 'm4')]);
      const page = async (q: { limit: number; before?: number; after?: number; around?: number }) => bodies(await store.channelHistory('#general', q));
      expect(await page({ limit: 3 })).toEqual(['m3!', 'r2', 'm4']);
      expect(await page({ limit: 2, before: 5 })).toEqual(['m1', 'm2']);
      expect(await page({ limit: 2, after: 2 })).toEqual(['m3!', 'r2']);
      expect(await page({ limit: 3, around: 5 })).toEqual(['m2', 'm3!', 'r2']);
      expect(await page({ limit: 3, around: 4 })).toEqual(['m2', 'm3!', 'r2']);
    });

    it('unread counts count main-flow messages from others: not edits, reactions, deletes, deleted ones or thread-only replies', async () => {
      await ok([{ op: 'markRead', handle: '@john', conversation: '#general', id: 0 }, append('#general', '@jane', 'a'), append('#general', '@jane', 'b')]);
      await ok([edit('#general', '@jane', 1, 'a!'), react('#general', '@kim', 1, '👍'), reply('#general', '@kim', 1, 'thread only', { mentions: ['@john'] })]);
      await ok([reply('#general', '@kim', 1, 'also @john', { also: true, mentions: ['@john'] }), remove('#general', '@jane', 2)]);
      expect(await unread('@john', ['#general'])).toEqual(['#General 2/1 of 7']);
      expect(await unread('@kim', ['#general'])).toEqual(['#General 1/0 of 7']);
    });

    it('a thread is followed by its root\'s author, its repliers and those named in replies; unread replies from others after the mark', async () => {
      await ok([append('#general', '@jane', 'root'), append('@john', '@kim', 'dm root')]);
      await ok([reply('#general', '@kim', 1, 'r1', { mentions: ['@lee', '*'] })]);
      await ok([reply('@kim', '@John', 1, 'dm r1'), reply('#general', '@john', 1, 'r2 @lee', { mentions: ['@lee'] })]);
      expect(await threads('@jane')).toEqual(['#General 1: 2 last 3 read 0 unread 2/1']);
      expect(await threads('@lee')).toEqual(['#General 1: 2 last 3 read 0 unread 2/2']);
      expect(await threads('@kim')).toEqual(['#General 1: 2 last 3 read 0 unread 1/0', '@john 1: 1 last 2 read 0 unread 1/0']);
      expect(await threads('@JOHN')).toEqual(['#General 1: 2 last 3 read 0 unread 1/1', '@kim 1: 1 last 2 read 0 unread 0/0']);
      // Read marks only move forward, and reading a thread does not follow it.
      await ok([threadRead('@lee', '#general', 1, 3), threadRead('@lee', '#general', 1, 2), threadRead('@kim', '@john @kim', 1, 2)]);
      await ok([threadRead('@bob', '#general', 1, 3)]);
      expect(await threads('@lee')).toEqual(['#General 1: 2 last 3 read 3 unread 0/0']);
      expect(await threads('@bob')).toEqual([]);
      // Unread first, then the most recent.
      await ok([reply('#general', '@jane', 1, 'r3')]);
      expect(await threads('@kim')).toEqual(['#General 1: 3 last 4 read 0 unread 2/0', '@john 1: 1 last 2 read 2 unread 0/0']);
      await ok([threadRead('@kim', '#general', 1, 4)]);
      await ok([reply('@kim', '@john', 1, 'dm r2')]);
      expect(await threads('@kim')).toEqual(['@john 1: 2 last 3 read 2 unread 1/0', '#General 1: 3 last 4 read 4 unread 0/0']);
      await ok([threadRead('@kim', '@john @kim', 1, 3)]);
      expect(await threads('@kim')).toEqual(['@john 1: 2 last 3 read 3 unread 0/0', '#General 1: 3 last 4 read 4 unread 0/0']);
      // A deleted reply is not unread.
      await ok([reply('#general', '@jane', 1, 'oops')]);
      await ok([remove('#general', '@jane', 5)]);
      expect(await threads('@kim')).toEqual(['#General 1: 4 last 5 read 4 unread 0/0', '@john 1: 2 last 3 read 3 unread 0/0']);
    });

    it('offline messages come in their current state', async () => {
      await ok([append('@lee', '@jane', 'hullo', '@lee'), append('@lee', '@jane', 'second', '@lee')]);
      await ok([edit('@lee', '@jane', 1, 'hello'), react('@lee', '@jane', 2, '👍')]);
      expect((await store.offlineFor('@lee')).map(line)).toEqual(['1 @jane hello | edited', '2 @jane second']);
    });

    it('keeps nothing of a failed batch of changes and replies', async () => {
      await ok([append('#general', '@jane', 'root')]);
      const failed = await store.commit([
        reply('#general', '@kim', 1, 'lost'), edit('#general', '@jane', 1, 'lost edit'), react('#general', '@kim', 1, '👍'),
        threadRead('@kim', '#general', 1, 2), { op: 'addMember', channel: '#nowhere', handle: '@kim' },
      ]).catch(() => null);
      expect(failed).toBeNull();
      expect(await history()).toEqual(['1 @jane root']);
      expect(await replay()).toEqual(['msg 1 @jane root']);
      expect(await threads('@kim')).toEqual([]);
      expect(await store.lastIds(['#general'])).toEqual(new Map([['#general', 1]]));
      expect(await ok([react('#general', '@kim', 1, '🎉')])).toEqual([2]);
    });

    if (backend.persistent) {
      it('keeps the log, reactions, threads and thread marks across a reopen', async () => {
        await ok([append('#general', '@jane', 'root'), reply('#general', '@kim', 1, 'r1'), react('#general', '@kim', 1, '👍'), edit('#general', '@jane', 1, 'root!')]);
        await ok([threadRead('@jane', '#general', 1, 2)]);
        const before = { history: await history(), log: await replay(), threads: await threads('@jane') };
        await store.close();
        store = await db.open();
        expect({ history: await history(), log: await replay(), threads: await threads('@jane') }).toEqual(before);
        expect(before.history).toEqual(['1 @jane root! | edited | 👍 @kim | thread 1 last 2 by @kim']);
      });
    }
  });
}
