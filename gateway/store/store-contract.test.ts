import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HistoryQuery, Store, StoreWrite } from './store.ts';
import { append, bodies, nextTime, read, refused, useBackends, users, type TestDb } from './contract-backends.ts';

/**
 * One contract, three implementations: memory, SQLite on a real file in a fresh temp
 * directory, and a real PostgreSQL (one server for the file, a fresh database per test).
 * What only one of them does (SQLite's open-time checks, PostgreSQL's concurrent nodes and
 * outages) is tested in sqlite-store.test.ts and postgres-store.test.ts.
 */
const backends = useBackends();

for (const backend of backends) {
  describe(`Store contract: ${backend.name}`, () => {
    let db: TestDb;
    let store: Store;
    const opened: Store[] = [];
    const open = async (): Promise<Store> => {
      const s = await db.open();
      opened.push(s);
      return s;
    };
    const reopen = async (): Promise<Store> => {
      opened.splice(opened.indexOf(store), 1);
      await store.close();
      store = await open();
      return store;
    };
    const ok = async (writes: StoreWrite[]): Promise<number[]> => {
      const result = await store.commit(writes);
      expect(result, String(store.lastFailure)).not.toBeNull();
      return result!.ids;
    };

    beforeEach(async () => {
      db = await backend.fresh();
      store = await open();
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      await db.cleanup();
    });

    it('keeps users by case-insensitive handle, in the case first registered', async () => {
      expect(await store.getUser('@jane')).toBeUndefined();
      expect(await store.commit(users('@Jane', '@JANE'))).toEqual({ ids: [] });
      await ok(users('@jane', '@bob'));
      expect(await store.getUser('@jane')).toEqual({ handle: '@Jane', passwordHash: null });
      await ok([{ op: 'setPassword', handle: '@jAnE', passwordHash: 'scrypt$16384$8$1$c2FsdA==$aGFzaA==' }]);
      expect(await store.getUser('@JANE')).toEqual({ handle: '@Jane', passwordHash: 'scrypt$16384$8$1$c2FsdA==$aGFzaA==' });
      // A password for a handle not yet known registers it.
      await ok([{ op: 'setPassword', handle: '@Zed', passwordHash: 'scrypt$z' }]);
      expect(await store.getUser('@zed')).toEqual({ handle: '@Zed', passwordHash: 'scrypt$z' });
      expect(await store.listUsers()).toEqual(['@bob', '@Jane', '@Zed']);
      expect(await store.commit([])).toEqual({ ids: [] });
      expect(store.lastFailure).toBeNull();
    });

    it('keeps channels and their members, in join order, until they leave', async () => {
      await ok([...users('@jane', '@John'), { op: 'addChannel', name: '#General' }, { op: 'addChannel', name: '#general' }]);
      await ok([
        { op: 'addChannel', name: '#random' },
        { op: 'addMember', channel: '#general', handle: '@john' },
        { op: 'addMember', channel: '#GENERAL', handle: '@Jane' },
      ]);
      await ok([{ op: 'addMember', channel: '#general', handle: '@JOHN' }]);
      expect(await store.listChannels()).toEqual([
        { name: '#General', topic: null, members: ['@John', '@jane'] },
        { name: '#random', topic: null, members: [] },
      ]);
      await ok([
        { op: 'removeMember', channel: '#general', handle: '@JOHN' },
        { op: 'removeMember', channel: '#random', handle: '@jane' },
      ]);
      expect(await store.listChannels()).toEqual([
        { name: '#General', topic: null, members: ['@jane'] },
        { name: '#random', topic: null, members: [] },
      ]);
      // Leaving and joining again puts a member last.
      await ok([{ op: 'addMember', channel: '#general', handle: '@john' }]);
      await ok([{ op: 'removeMember', channel: '#general', handle: '@jane' }, { op: 'addMember', channel: '#general', handle: '@jane' }]);
      expect((await store.listChannels())[0].members).toEqual(['@John', '@jane']);
      await ok([{ op: 'removeMember', channel: '#general', handle: '@jane' }, { op: 'removeMember', channel: '#general', handle: '@john' }]);
      expect((await store.listChannels())[0]).toEqual({ name: '#General', topic: null, members: [] });
    });

    it('keeps a private channel private (CREATE #name private); private makes a stored name private, and nothing makes it public again', async () => {
      await ok([...users('@jane', '@john'), { op: 'addChannel', name: '#open' }, { op: 'addChannel', name: '#Secret', private: true }]);
      await ok([{ op: 'addMember', channel: '#secret', handle: '@jane' }, { op: 'addChannel', name: '#quiet', private: false }]);
      // Adding a stored name again keeps its case; public does not undo private, private
      // makes it private (two nodes creating one name at a time: spec, CREATE).
      await ok([{ op: 'addChannel', name: '#SECRET' }, { op: 'addChannel', name: '#SECRET', private: false }, { op: 'addChannel', name: '#QUIET', private: true }]);
      expect(await store.listChannels()).toEqual([
        { name: '#open', topic: null, members: [] },
        { name: '#quiet', topic: null, members: [], private: true },
        { name: '#Secret', topic: null, members: ['@jane'], private: true },
      ]);
      expect((await store.listChannels()).map((c) => c.private ?? false)).toEqual([false, true, true]);
      // A failed batch takes the change back.
      expect(await refused(store.commit([{ op: 'addChannel', name: '#open', private: true }, { op: 'addMember', channel: '#nowhere', handle: '@jane' }]))).toBeNull();
      expect((await store.listChannels())[0]).toEqual({ name: '#open', topic: null, members: [] });
    });

    it('refuses members of channels or users it does not know, keeping nothing of the batch', async () => {
      await ok([...users('@jane'), { op: 'addChannel', name: '#general' }]);
      expect(await refused(store.commit([
        { op: 'addChannel', name: '#lost' },
        append('#general', '@jane', 'lost'),
        { op: 'addMember', channel: '#nowhere', handle: '@jane' },
      ]))).toBeNull();
      expect(await refused(store.commit([{ op: 'addMember', channel: '#general', handle: '@nobody' }]))).toBeNull();
      expect(store.lastFailure).not.toBeNull();
      expect(await store.listChannels()).toEqual([{ name: '#general', topic: null, members: [] }]);
      expect(await store.lastIds(['#general'])).toEqual(new Map([['#general', 0]]));
      expect(await ok([append('#general', '@jane', 'kept')])).toEqual([1]);
      expect(store.lastFailure).toBeNull();
    });

    it('numbers messages per conversation from 1, gapless, whatever the batches', async () => {
      expect(await ok([append('#general', '@jane', 'g1')])).toEqual([1]);
      // One batch over three conversations: each counts on from its own last id.
      expect(await ok([
        append('#general', '@jane', 'g2'),
        append('#random', '@jane', 'r1'),
        append('@john', '@jane', 'd1'),
        append('#GENERAL', '@john', 'g3'),
        append('@Jane', '@John', 'd2'),
      ])).toEqual([2, 1, 1, 3, 2]);
      expect(await ok([{ op: 'addChannel', name: '#general' }])).toEqual([]);
      expect(await ok([append('#random', '@bob', 'r2'), append('@bob', '@jane', 'other pair')])).toEqual([2, 1]);
      expect(await ok([append('#general', '@jane', 'g4')])).toEqual([4]);
      expect((await store.channelHistory('#general', { limit: 10 })).map((m) => m.id)).toEqual([1, 2, 3, 4]);
      expect((await store.directHistory('@jane', '@john', { limit: 10 })).map((m) => m.id)).toEqual([1, 2]);
      expect(await store.lastIds(['#general', '#random', '@jane @john', '@bob @jane', '#none', '@jane @nobody'])).toEqual(new Map([
        ['#general', 4], ['#random', 2], ['@jane @john', 2], ['@bob @jane', 1], ['#none', 0], ['@jane @nobody', 0],
      ]));
      expect(await store.lastIds([])).toEqual(new Map());
    });

    it('pages channel history: latest, before, after, oldest first', async () => {
      const batch: StoreWrite[] = [];
      for (let i = 1; i <= 10; i++) {
        batch.push(append('#General', '@jane', `g${i}`), append('#random', '@jane', `r${i}`), append('@john', '@jane', `d${i}`));
      }
      await ok(batch.slice(0, 12));
      await ok(batch.slice(12));
      const page = async (q: HistoryQuery) => bodies(await store.channelHistory('#GENERAL', q));
      expect(await page({ limit: 3 })).toEqual(['g8', 'g9', 'g10']);
      expect(await page({ limit: 3, before: 8 })).toEqual(['g5', 'g6', 'g7']);
      expect(await page({ limit: 3, before: 2 })).toEqual(['g1']);
      expect(await page({ limit: 3, before: 1 })).toEqual([]);
      expect(await page({ limit: 3, after: 2 })).toEqual(['g3', 'g4', 'g5']);
      expect(await page({ limit: 3, after: 9 })).toEqual(['g10']);
      expect(await page({ limit: 3, after: 10 })).toEqual([]);
      expect(await page({ limit: 3, after: 2, before: 4 })).toEqual(['g3']);
      expect(await page({ limit: 50 })).toHaveLength(10);
      expect(await page({ limit: 0 })).toEqual([]);
      expect(await page({ limit: -1 })).toEqual([]);
      expect(await store.channelHistory('#nowhere', { limit: 10 })).toEqual([]);

      const [latest] = await store.channelHistory('#general', { limit: 1 });
      expect(latest).toMatchObject({ id: 10, target: '#General', from: '@jane' });
      expect(latest.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });

    it('pages history around an id: up to half the limit before it, the id, the rest after', async () => {
      const batch: StoreWrite[] = [];
      for (let i = 1; i <= 10; i++) batch.push(append('#general', '@jane', `g${i}`), append('@john', '@jane', `d${i}`));
      await ok(batch);
      const page = async (q: HistoryQuery) => bodies(await store.channelHistory('#General', q));
      // floor((limit - 1) / 2) before: 2 of 5, 2 of 6 (the odd one out goes after).
      expect(await page({ limit: 5, around: 5 })).toEqual(['g3', 'g4', 'g5', 'g6', 'g7']);
      expect(await page({ limit: 6, around: 5 })).toEqual(['g3', 'g4', 'g5', 'g6', 'g7', 'g8']);
      expect(await page({ limit: 1, around: 5 })).toEqual(['g5']);
      expect(await page({ limit: 2, around: 5 })).toEqual(['g5', 'g6']);
      // Near the start, fewer before: the rest of the limit goes after.
      expect(await page({ limit: 5, around: 1 })).toEqual(['g1', 'g2', 'g3', 'g4', 'g5']);
      expect(await page({ limit: 5, around: 2 })).toEqual(['g1', 'g2', 'g3', 'g4', 'g5']);
      // Near the end, what there is.
      expect(await page({ limit: 5, around: 10 })).toEqual(['g8', 'g9', 'g10']);
      // An id past the newest: the messages before it.
      expect(await page({ limit: 5, around: 40 })).toEqual(['g9', 'g10']);
      expect(await page({ limit: 50, around: 5 })).toHaveLength(10);
      expect(await page({ limit: 0, around: 5 })).toEqual([]);
      expect(await store.channelHistory('#nowhere', { limit: 5, around: 3 })).toEqual([]);
      expect(bodies(await store.directHistory('@JOHN', '@jane', { limit: 3, around: 4 }))).toEqual(['d3', 'd4', 'd5']);
    });

    it('returns direct history of both directions, and only that pair', async () => {
      await ok([
        append('@John', '@jane', 'hi john'),
        append('@bob', '@jane', 'hi bob'),
        append('@jane', '@John', 'hi jane'),
        append('#general', '@John', 'hi all'),
      ]);
      await ok([append('@JOHN', '@Jane', 'how are you')]);
      const fromJane = await store.directHistory('@jane', '@john', { limit: 10 });
      expect(await store.directHistory('@JOHN', '@JANE', { limit: 10 })).toEqual(fromJane);
      expect(fromJane.map((m) => [m.id, m.target, m.from, read(m.body)])).toEqual([
        [1, '@John', '@jane', 'hi john'],
        [2, '@jane', '@John', 'hi jane'],
        [3, '@JOHN', '@Jane', 'how are you'],
      ]);
      expect(bodies(await store.directHistory('@jane', '@john', { limit: 2 }))).toEqual(['hi jane', 'how are you']);
      expect(bodies(await store.directHistory('@john', '@jane', { limit: 1, after: 1 }))).toEqual(['hi jane']);
      expect(bodies(await store.directHistory('@john', '@jane', { limit: 5, before: 3 }))).toEqual(['hi john', 'hi jane']);
      expect(bodies(await store.directHistory('@bob', '@jane', { limit: 10 }))).toEqual(['hi bob']);
      expect(await store.directHistory('@bob', '@john', { limit: 10 })).toEqual([]);
    });

    it('keeps any bytes of a body, and not the caller buffer', async () => {
      const raw = new Uint8Array([0, 13, 10, 255, 0xc3, 0x28, 104, 105]);
      const big = new Uint8Array(65536).map((_, i) => i % 256);
      const sent = raw.slice();
      const ts = nextTime();
      await ok([
        { op: 'append', message: { target: '#bin', from: '@jane', ts, body: sent } },
        { op: 'append', message: { target: '#bin', from: '@jane', ts, body: new Uint8Array(0) } },
        { op: 'append', message: { target: '#bin', from: '@jane', ts, body: big } },
      ]);
      sent.fill(7);
      const [a, b, c] = await store.channelHistory('#bin', { limit: 3 });
      expect(a.body).toBeInstanceOf(Uint8Array);
      expect([...a.body]).toEqual([...raw]);
      expect(b.body.byteLength).toBe(0);
      expect(Buffer.from(c.body).equals(Buffer.from(big))).toBe(true);
    });

    it('queues messages for an offline user until delivered, oldest first', async () => {
      await ok(users('@john', '@jane', '@bob'));
      await ok([append('@john', '@jane', 'one', '@John'), append('#general', '@jane', 'channel'), append('@jane', '@bob', 'not for john', '@jane')]);
      await ok([append('@john', '@bob', 'two', '@JOHN'), append('@john', '@jane', 'three', '@john')]);
      const queued = await store.offlineFor('@JOHN');
      expect(queued.map((m) => [m.conversation, m.id, m.target, m.from, read(m.body)])).toEqual([
        ['@jane @john', 1, '@john', '@jane', 'one'],
        ['@bob @john', 1, '@john', '@bob', 'two'],
        ['@jane @john', 2, '@john', '@jane', 'three'],
      ]);
      // Reading the queue does not empty it: only `delivered` does.
      expect(await store.offlineFor('@john')).toEqual(queued);
      expect(await store.offlineFor('@nobody')).toEqual([]);
      await ok([{ op: 'delivered', handle: '@John', messages: queued.map(({ conversation, id }) => ({ conversation, id })) }]);
      expect(await store.offlineFor('@john')).toEqual([]);
      // Handing them over does not remove them from the conversation, nor others' queues.
      expect(bodies(await store.directHistory('@john', '@jane', { limit: 10 }))).toEqual(['one', 'three']);
      expect(bodies(await store.offlineFor('@jane'))).toEqual(['not for john']);
    });

    it('delivered removes exactly the messages listed, not one queued after the read', async () => {
      await ok(users('@jane', '@john'));
      await ok([append('@john', '@jane', 'one', '@john'), append('#ops', '@jane', 'ops', '@john'), append('@john', '@jane', 'two', '@john')]);
      const read1 = await store.offlineFor('@john');
      expect(bodies(read1)).toEqual(['one', 'ops', 'two']);
      await ok([append('@john', '@jane', 'three', '@john')]);
      await ok([{ op: 'delivered', handle: '@john', messages: read1.slice(0, 2).map(({ conversation, id }) => ({ conversation, id })) }]);
      expect(bodies(await store.offlineFor('@john'))).toEqual(['two', 'three']);
      // Delivering what is not queued (again, or for someone else) changes nothing.
      await ok([{ op: 'delivered', handle: '@jane', messages: [{ conversation: '@jane @john', id: 2 }] }]);
      await ok([{ op: 'delivered', handle: '@john', messages: [{ conversation: '@jane @john', id: 1 }, { conversation: '#ops', id: 9 }] }]);
      expect((await store.offlineFor('@john')).map((m) => [m.conversation, m.id])).toEqual([['@jane @john', 2], ['@jane @john', 3]]);
      await ok([{ op: 'delivered', handle: '@john', messages: [] }]);
      expect(await store.offlineFor('@john')).toHaveLength(2);
    });

    it('refuses to queue for a user it does not know', async () => {
      await ok(users('@jane'));
      expect(await refused(store.commit([append('#general', '@jane', 'fine'), append('@ghost', '@jane', 'boo', '@ghost')]))).toBeNull();
      expect(await store.lastIds(['#general', '@ghost @jane'])).toEqual(new Map([['#general', 0], ['@ghost @jane', 0]]));
      expect(await store.channelHistory('#general', { limit: 10 })).toEqual([]);
    });

    // Only a store with storage that can fail has this case (memory cannot): it is not registered for the others.
    const withFailingStorage = backend.breakStorage === undefined ? () => {} : it;
    withFailingStorage('keeps nothing of a batch that fails, and commits the next', async () => {
      await ok([...users('@jane', '@john'), { op: 'addChannel', name: '#general' }]);
      await ok([append('#general', '@jane', 'g1'), append('@john', '@jane', 'd1', '@john')]);
      const queued = (await store.offlineFor('@john')).map(({ conversation, id }) => ({ conversation, id }));
      const repair = await backend.breakStorage!(db, store);
      const batch = (): StoreWrite[] => [
        { op: 'addChannel', name: '#ops' },
        { op: 'addMember', channel: '#general', handle: '@jane' },
        { op: 'setPassword', handle: '@jane', passwordHash: 'scrypt$lost' },
        { op: 'delivered', handle: '@john', messages: queued },
        append('#general', '@jane', 'g2'),
        append('@john', '@jane', 'd2', '@john'),
      ];
      expect(await store.commit(batch())).toBeNull();
      expect(store.lastFailure).toBeInstanceOf(Error);
      expect(await store.commit(batch())).toBeNull();
      expect(await store.listChannels()).toEqual([{ name: '#general', topic: null, members: [] }]);
      expect((await store.getUser('@jane'))?.passwordHash).toBeNull();
      expect(bodies(await store.offlineFor('@john'))).toEqual(['d1']);
      expect(bodies(await store.channelHistory('#general', { limit: 10 }))).toEqual(['g1']);
      expect(await store.lastIds(['#general', '@jane @john'])).toEqual(new Map([['#general', 1], ['@jane @john', 1]]));
      await repair();
      // The failed batch's ids were never handed out: the next one takes them, gapless.
      expect(await ok(batch())).toEqual([2, 2]);
      expect(store.lastFailure).toBeNull();
      expect(await store.listChannels()).toEqual([{ name: '#general', topic: null, members: ['@jane'] }, { name: '#ops', topic: null, members: [] }]);
      expect(bodies(await store.offlineFor('@john'))).toEqual(['d2']);
    });

    it('has an epoch of its own database, the same after a reopen', async () => {
      const epoch = store.epoch;
      expect(typeof epoch).toBe('string');
      expect(epoch.length).toBeGreaterThanOrEqual(16);
      const other = await backend.fresh();
      const elsewhere = await other.open();
      expect(elsewhere.epoch).not.toBe(epoch);
      await elsewhere.close();
      await other.cleanup();
      if (!backend.persistent) return;
      await ok([...users('@jane'), append('#general', '@jane', 'before'), append('@jane', '@bob', 'dm', '@jane')]);
      const again = await reopen();
      expect(again.epoch).toBe(epoch);
      expect(await store.lastIds(['#general', '@bob @jane'])).toEqual(new Map([['#general', 1], ['@bob @jane', 1]]));
      expect(await ok([append('#general', '@jane', 'after'), append('@bob', '@jane', 'dm 2')])).toEqual([2, 2]);
      expect(bodies(await store.offlineFor('@jane'))).toEqual(['dm']);
    });
  });
}
