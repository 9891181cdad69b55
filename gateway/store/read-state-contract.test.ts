import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UNREAD_CAP, type Store, type StoreWrite } from './store.ts';
import { append, useBackends, users, type TestDb } from './contract-backends.ts';

/**
 * Read state, one contract for the three stores: marks per user and conversation that only
 * move forward, unread and mention counts from them, and the user's conversations (their
 * channels and everyone they have direct messages with) most recent first.
 */
const backends = useBackends();

const mentioning = (target: string, from: string, body: string, mentions: string[]): StoreWrite =>
  ({ ...(append(target, from, body) as Extract<StoreWrite, { op: 'append' }>), mentions });
const join = (channel: string, handle: string): StoreWrite[] =>
  [{ op: 'addChannel', name: channel }, { op: 'addMember', channel, handle }];
const mark = (handle: string, conversation: string, id: number): StoreWrite => ({ op: 'markRead', handle, conversation, id });

for (const backend of backends) {
  describe(`Read state contract: ${backend.name}`, () => {
    let db: TestDb;
    let store: Store;
    const ok = async (writes: StoreWrite[]): Promise<number[]> => {
      const result = await store.commit(writes);
      expect(result, String(store.lastFailure)).not.toBeNull();
      return result!.ids;
    };
    const summary = async (handle: string, channels: string[]) =>
      (await store.conversationsOf(handle, channels)).map((c) => `${c.target} ${c.unread}/${c.mentions} read ${c.readId} of ${c.lastId}`);

    beforeEach(async () => {
      db = await backend.fresh();
      store = await db.open();
      await ok([...users('@Jane', '@john', '@kim'), ...join('#General', '@Jane')]);
    });
    afterEach(async () => {
      await store.close();
      await db.cleanup();
    });

    it('joining reads the channel up to then; what others post after is unread, your own is not', async () => {
      await ok([append('#General', '@kim', 'before jane? no, after: she joined first')]);
      await ok(join('#general', '@john'));
      await ok([append('#general', '@Jane', 'hi'), append('#general', '@kim', 'hey'), append('#general', '@kim', 'there')]);
      expect(await summary('@john', ['#general'])).toEqual(['#General 3/0 read 1 of 4']);
      expect(await summary('@jane', ['#general'])).toEqual(['#General 3/0 read 0 of 4']);
      // Rejoining reads it up to then as well.
      await ok([{ op: 'removeMember', channel: '#general', handle: '@john' }]);
      await ok(join('#general', '@john'));
      expect(await summary('@john', ['#general'])).toEqual(['#General 0/0 read 4 of 4']);
    });

    it('a mark only moves forward, and counts what is after it', async () => {
      await ok([append('#general', '@kim', 'a'), append('#general', '@kim', 'b'), append('#general', '@kim', 'c')]);
      await ok([mark('@jane', '#general', 2)]);
      expect(await summary('@Jane', ['#general'])).toEqual(['#General 1/0 read 2 of 3']);
      await ok([mark('@jane', '#general', 1)]);
      expect(await summary('@jane', ['#general'])).toEqual(['#General 1/0 read 2 of 3']);
      await ok([mark('@jane', '#general', 3)]);
      expect(await summary('@jane', ['#general'])).toEqual(['#General 0/0 read 3 of 3']);
      // Marks are per user: kim's mark changes nothing for jane.
      await ok([append('#general', '@kim', 'd'), mark('@kim', '#general', 4)]);
      expect(await summary('@jane', ['#general'])).toEqual(['#General 1/0 read 3 of 4']);
    });

    it('counts mentions of the user and of everyone, each message once, never your own', async () => {
      await ok([
        mentioning('#general', '@kim', '@jane look', ['@jane']),
        mentioning('#general', '@kim', '@channel and @jane', ['*', '@jane']),
        mentioning('#general', '@kim', '@john only', ['@john']),
        mentioning('#general', '@Jane', '@channel from me', ['*']),
        append('#general', '@kim', 'plain'),
      ]);
      expect(await summary('@jane', ['#general'])).toEqual(['#General 4/2 read 0 of 5']);
      await ok([mark('@jane', '#general', 1)]);
      expect(await summary('@jane', ['#general'])).toEqual(['#General 3/1 read 1 of 5']);
    });

    it('lists the channels given and every direct conversation, most recent first, each named as the user names it', async () => {
      await ok([append('@john', '@Jane', 'to john')]);
      await ok([append('#general', '@kim', 'news')]);
      await ok([append('@Jane', '@kim', 'to jane')]);
      await ok(join('#empty', '@jane'));
      expect(await summary('@jane', ['#general', '#empty'])).toEqual([
        '@kim 1/0 read 0 of 1', '#General 1/0 read 0 of 1', '@john 0/0 read 0 of 1', '#empty 0/0 read 0 of 0',
      ]);
      // The other side sees the same direct conversation, named for them.
      expect(await summary('@john', [])).toEqual(['@Jane 1/0 read 0 of 1']);
      expect(await summary('@nobody', [])).toEqual([]);
      const [dm] = await store.conversationsOf('@kim', []);
      expect(dm).toMatchObject({ conversation: '@jane @kim', target: '@Jane', lastId: 1 });
      expect(dm.lastTs).toMatch(/^2026-/);
    });

    it('stops counting at the cap, however far behind the mark is', async () => {
      const burst = Array.from({ length: UNREAD_CAP + 5 }, (_, i) => mentioning('#general', '@kim', `@jane ${i}`, ['@jane']));
      await ok(burst);
      expect(await summary('@jane', ['#general'])).toEqual([`#General ${UNREAD_CAP}/${UNREAD_CAP} read 0 of ${UNREAD_CAP + 5}`]);
    });

    it('a failed batch leaves marks and counts as they were', async () => {
      await ok([append('#general', '@kim', 'a')]);
      const refused = await store.commit([mark('@jane', '#general', 1), { op: 'addMember', channel: '#nowhere', handle: '@jane' }]).catch(() => null);
      expect(refused).toBeNull();
      expect(await summary('@jane', ['#general'])).toEqual(['#General 1/0 read 0 of 1']);
    });

    it('a direct conversation of a failed batch is not listed; once one commits, it is', async () => {
      // The second message is queued for a user who does not exist: the batch fails after the
      // first has been written inside it.
      const failing = [append('@john', '@kim', 'lost'), append('@john', '@kim', 'also lost', '@ghost')];
      expect(await store.commit(failing).catch(() => null)).toBeNull();
      expect(await summary('@john', [])).toEqual([]);
      await ok([append('@john', '@kim', 'kept')]);
      expect(await summary('@john', [])).toEqual(['@kim 1/0 read 0 of 1']);
    });
  });
}
