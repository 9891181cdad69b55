import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PREFS_PER_USER, type Store, type StoreWrite } from './store.ts';
import { refused, useBackends, users, type TestDb } from './contract-backends.ts';

/** Users' settings (PREF), one contract for the three stores: kept per user, bounded, ordered. */
const backends = useBackends();

const set = (handle: string, key: string, value: string | null): StoreWrite => ({ op: 'setPref', handle, key, value });

for (const backend of backends) {
  describe(`Prefs contract: ${backend.name}`, () => {
    let db: TestDb;
    let store: Store;
    const ok = async (writes: StoreWrite[]) => expect(await store.commit(writes), String(store.lastFailure)).not.toBeNull();

    beforeEach(async () => {
      db = await backend.fresh();
      store = await db.open();
      await ok(users('@Jane', '@kim'));
    });
    afterEach(async () => {
      await store.close();
      await db.cleanup();
    });

    it('keeps each user\'s settings by key, in byte order; a later value replaces, null clears', async () => {
      expect(await store.prefs('@jane')).toEqual([]);
      await ok([set('@jane', 'mute:#dev', '1'), set('@JANE', 'Theme', 'dark, high contrast'), set('@kim', 'mute:#dev', 'kim')]);
      await ok([set('@jane', 'mute:@bob', '1'), set('@jane', 'note', 'é ✓ 日本')]);
      expect(await store.prefs('@JaNe')).toEqual([
        { key: 'Theme', value: 'dark, high contrast' },
        { key: 'mute:#dev', value: '1' },
        { key: 'mute:@bob', value: '1' },
        { key: 'note', value: 'é ✓ 日本' },
      ]);
      await ok([set('@jane', 'mute:#dev', '0'), set('@jane', 'mute:@bob', null), set('@jane', 'never-set', null)]);
      expect(await store.prefs('@jane')).toEqual([
        { key: 'Theme', value: 'dark, high contrast' },
        { key: 'mute:#dev', value: '0' },
        { key: 'note', value: 'é ✓ 日本' },
      ]);
      // Keys are exact: another case is another key. Another user's are their own.
      await ok([set('@jane', 'theme', 'light')]);
      expect((await store.prefs('@jane')).map((p) => p.key)).toEqual(['Theme', 'mute:#dev', 'note', 'theme']);
      expect(await store.prefs('@kim')).toEqual([{ key: 'mute:#dev', value: 'kim' }]);
      expect(await store.prefs('@nobody')).toEqual([]);
    });

    it(`keeps at most ${PREFS_PER_USER} per user: a new key past them is not kept, a change of one is`, async () => {
      await ok(Array.from({ length: PREFS_PER_USER }, (_, i) => set('@jane', `k${String(i).padStart(3, '0')}`, `${i}`)));
      await ok([set('@jane', 'one-too-many', 'x'), set('@jane', 'k000', 'changed')]);
      const kept = await store.prefs('@jane');
      expect(kept).toHaveLength(PREFS_PER_USER);
      expect(kept[0]).toEqual({ key: 'k000', value: 'changed' });
      expect(kept.some((p) => p.key === 'one-too-many')).toBe(false);
      await ok([set('@jane', 'k001', null), set('@jane', 'now-it-fits', 'y')]);
      expect((await store.prefs('@jane')).at(-1)).toEqual({ key: 'now-it-fits', value: 'y' });
    });

    it('refuses a setting of a user it does not know, keeping nothing of the batch', async () => {
      expect(await refused(store.commit([set('@jane', 'a', '1'), set('@ghost', 'a', '1')]))).toBeNull();
      expect(await store.prefs('@jane')).toEqual([]);
    });

    const persistent = backend.persistent ? it : () => {};
    persistent('keeps settings across a reopen', async () => {
      await ok([set('@jane', 'mute:#dev', '1')]);
      await store.close();
      store = await db.open();
      expect(await store.prefs('@jane')).toEqual([{ key: 'mute:#dev', value: '1' }]);
    });
  });
}
