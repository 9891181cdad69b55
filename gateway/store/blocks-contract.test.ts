import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BLOCKS_PER_USER, type Store, type StoreWrite } from './store.ts';
import { refused, useBackends, users, type TestDb } from './contract-backends.ts';

/** Who blocks whom (BLOCK), one contract for the three stores: kept per user, idempotent, bounded. */
const backends = useBackends();

const block = (handle: string, blocked: string): StoreWrite => ({ op: 'block', handle, blocked });
const unblock = (handle: string, blocked: string): StoreWrite => ({ op: 'unblock', handle, blocked });

for (const backend of backends) {
  describe(`Blocks contract: ${backend.name}`, () => {
    let db: TestDb;
    let store: Store;
    const ok = async (writes: StoreWrite[]) => expect(await store.commit(writes), String(store.lastFailure)).not.toBeNull();

    beforeEach(async () => {
      db = await backend.fresh();
      store = await db.open();
      await ok(users('@Jane', '@kim', '@Troll', '@zed'));
    });
    afterEach(async () => {
      await store.close();
      await db.cleanup();
    });

    it("keeps each user's blocks, by key, in display case; twice is once; unblock removes, twice too", async () => {
      expect(await store.blocksOf('@jane')).toEqual([]);
      expect(await store.listBlocks()).toEqual([]);
      await ok([block('@jane', '@zed'), block('@JANE', '@troll'), block('@jane', '@TROLL'), block('@kim', '@troll')]);
      expect(await store.blocksOf('@JaNe')).toEqual(['@Troll', '@zed']);
      expect(await store.blocksOf('@kim')).toEqual(['@Troll']);
      expect(await store.blocksOf('@troll')).toEqual([]);
      expect(await store.listBlocks()).toEqual([
        { by: '@jane', blocked: '@troll' },
        { by: '@jane', blocked: '@zed' },
        { by: '@kim', blocked: '@troll' },
      ]);
      await ok([unblock('@jane', '@Troll'), unblock('@jane', '@troll'), unblock('@jane', '@kim')]);
      expect(await store.blocksOf('@jane')).toEqual(['@zed']);
      expect(await store.listBlocks()).toEqual([{ by: '@jane', blocked: '@zed' }, { by: '@kim', blocked: '@troll' }]);
      // Block, unblock, block again in one batch: in order.
      await ok([block('@kim', '@zed'), unblock('@kim', '@zed'), block('@kim', '@jane')]);
      expect(await store.blocksOf('@kim')).toEqual(['@Jane', '@Troll']);
    });

    it(`keeps at most ${BLOCKS_PER_USER} blocks per user: a new one past them is not kept`, async () => {
      const many = Array.from({ length: BLOCKS_PER_USER }, (_, i) => `@u${String(i).padStart(4, '0')}`);
      await ok(users(...many));
      await ok(many.map((h) => block('@jane', h)));
      await ok([block('@jane', '@troll'), block('@jane', many[0])]);
      const kept = await store.blocksOf('@jane');
      expect(kept).toHaveLength(BLOCKS_PER_USER);
      expect(kept).not.toContain('@Troll');
      await ok([unblock('@jane', many[0]), block('@jane', '@troll')]);
      expect(await store.blocksOf('@jane')).toContain('@Troll');
      expect(await store.blocksOf('@kim')).toEqual([]);
    });

    it('refuses a block of or by a user it does not know, keeping nothing of the batch', async () => {
      expect(await refused(store.commit([block('@jane', '@kim'), block('@jane', '@ghost')]))).toBeNull();
      expect(await refused(store.commit([block('@jane', '@kim'), block('@ghost', '@jane')]))).toBeNull();
      expect(await store.blocksOf('@jane')).toEqual([]);
    });

    const persistent = backend.persistent ? it : () => {};
    persistent('keeps blocks across a reopen', async () => {
      await ok([block('@jane', '@troll')]);
      await store.close();
      store = await db.open();
      expect(await store.blocksOf('@jane')).toEqual(['@Troll']);
      expect(await store.listBlocks()).toEqual([{ by: '@jane', blocked: '@troll' }]);
    });
  });
}
