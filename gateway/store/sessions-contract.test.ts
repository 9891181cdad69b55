import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SESSIONS_PER_USER, type Store, type StoreWrite } from './store.ts';
import { useBackends, users, type TestDb } from './contract-backends.ts';

/** Sign-in sessions, one contract for the three stores: found by hash, revoked, bounded. */
const backends = useBackends();

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
const add = (handle: string, tokenHash: string, expires = inDays(30)): StoreWrite => ({ op: 'addSession', handle, tokenHash, expires });

for (const backend of backends) {
  describe(`Sessions contract: ${backend.name}`, () => {
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

    it('finds a session by its hash, with the handle in display case and its expiry', async () => {
      const expires = inDays(30);
      await ok([add('@jane', 'h1', expires)]);
      const s = await store.session('h1');
      expect(s?.handle).toBe('@Jane');
      expect(Date.parse(s!.expires)).toBe(Date.parse(expires));
      expect(await store.session('nope')).toBeUndefined();
    });

    it('revokes one session, or every one of a user, and no one else\'s', async () => {
      await ok([add('@jane', 'j1'), add('@jane', 'j2'), add('@kim', 'k1')]);
      await ok([{ op: 'revokeSession', tokenHash: 'j1' }]);
      expect(await store.session('j1')).toBeUndefined();
      expect(await store.session('j2')).toBeDefined();
      await ok([{ op: 'revokeSessions', handle: '@JANE' }]);
      expect(await store.session('j2')).toBeUndefined();
      expect((await store.session('k1'))?.handle).toBe('@kim');
    });

    it(`keeps at most ${SESSIONS_PER_USER} per user: a new one ends the oldest, and expired ones go`, async () => {
      for (let i = 0; i < SESSIONS_PER_USER; i++) await ok([add('@jane', `s${i}`)]);
      expect(await store.session('s0')).toBeDefined();
      await ok([add('@jane', 'newest')]);
      expect(await store.session('s0')).toBeUndefined();
      expect(await store.session('s1')).toBeDefined();
      expect(await store.session('newest')).toBeDefined();
      await ok([add('@kim', 'old', inDays(-1))]);
      expect(await store.session('old')).toBeDefined();
      await ok([add('@kim', 'fresh')]);
      expect(await store.session('old')).toBeUndefined();
    });
  });
}
