import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModEntry, Store, StoreWrite } from './store.ts';
import { useBackends, users, type TestDb } from './contract-backends.ts';

/** Roles, bans, suspensions and the moderation log (spec: OP, KICK, BAN, SUSPEND, MODLOG), one contract for the three stores. */
const backends = useBackends();

const role = (channel: string, handle: string, r: 'owner' | 'op' | null, ifNoOwner?: true): StoreWrite =>
  ifNoOwner ? { op: 'setRole', channel, handle, role: r, ifNoOwner } : { op: 'setRole', channel, handle, role: r };
const entry = (n: number, action: ModEntry['action'], channel: string | null, reason: string | null = null): ModEntry => ({
  ts: `2026-12-07T10:00:0${n}.000Z`, action, by: '@Jane', whom: '@Troll', channel, id: action === 'delete' ? n : null, reason,
});

for (const backend of backends) {
  describe(`Moderation contract: ${backend.name}`, () => {
    let db: TestDb;
    let store: Store;
    const ok = async (writes: StoreWrite[]) => expect(await store.commit(writes), String(store.lastFailure)).not.toBeNull();

    beforeEach(async () => {
      db = await backend.fresh();
      store = await db.open();
      await ok([...users('@Jane', '@kim', '@Troll', '@zed'), { op: 'addChannel', name: '#Dev' }, { op: 'addChannel', name: '#ops' }]);
    });
    afterEach(async () => {
      await store.close();
      await db.cleanup();
    });

    it('keeps one owner per channel and the ops in the order first granted; ifNoOwner does not take an owned channel', async () => {
      expect(await store.listModeration()).toEqual({ roles: [], bans: [], suspended: [] });
      await ok([role('#Dev', '@Jane', 'owner', true), role('#dev', '@zed', 'owner', true), role('#dev', '@kim', 'op'), role('#DEV', '@Troll', 'op'), role('#dev', '@kim', 'op')]);
      expect((await store.listModeration()).roles).toEqual([
        { channel: '#dev', user: '@jane', role: 'owner' },
        { channel: '#dev', user: '@kim', role: 'op' },
        { channel: '#dev', user: '@troll', role: 'op' },
      ]);
      // A new owner: the one before stays an op, in its place; OP of the owner changes nothing.
      await ok([role('#dev', '@troll', 'owner'), role('#dev', '@troll', 'op'), role('#dev', '@kim', null), role('#ops', '@zed', 'op')]);
      expect((await store.listModeration()).roles).toEqual([
        { channel: '#dev', user: '@jane', role: 'op' },
        { channel: '#dev', user: '@troll', role: 'owner' },
        { channel: '#ops', user: '@zed', role: 'op' },
      ]);
    });

    it('keeps bans per channel and suspensions, idempotent both ways', async () => {
      const ban = (channel: string, handle: string, on: boolean): StoreWrite => ({ op: 'setBan', channel, handle, on });
      const suspend = (handle: string, on: boolean): StoreWrite => ({ op: 'setSuspended', handle, on });
      await ok([ban('#Dev', '@Troll', true), ban('#dev', '@troll', true), ban('#ops', '@zed', true), ban('#ops', '@zed', false), ban('#ops', '@kim', false)]);
      await ok([suspend('@Troll', true), suspend('@troll', true), suspend('@zed', true), suspend('@zed', false), suspend('@kim', false)]);
      expect(await store.listModeration()).toEqual({ roles: [], bans: [{ channel: '#dev', user: '@troll', by: null, ts: null, reason: null }], suspended: ['@troll'] });
    });

    it('gives each ban who made it, when and why: its newest ban entry in the log, that channel\'s, that user\'s', async () => {
      const ban = (channel: string, handle: string, on: boolean): StoreWrite => ({ op: 'setBan', channel, handle, on });
      const log = (e: ModEntry): StoreWrite => ({ op: 'logModeration', entry: e });
      await ok([ban('#dev', '@Troll', true), log(entry(1, 'ban', '#Dev', 'spam'))]);
      await ok([ban('#dev', '@Troll', false), log(entry(2, 'unban', '#Dev'))]);
      // Banned again, later, by another, and banned from #ops with a reason of its own.
      await ok([ban('#dev', '@Troll', true), log({ ...entry(3, 'ban', '#Dev', 'again'), by: '@kim' })]);
      await ok([ban('#ops', '@Troll', true), log(entry(4, 'ban', '#ops', null)), ban('#ops', '@zed', true), log({ ...entry(5, 'kick', '#ops'), whom: '@zed' })]);
      expect((await store.listModeration()).bans).toEqual([
        { channel: '#dev', user: '@troll', by: '@kim', ts: '2026-12-07T10:00:03.000Z', reason: 'again' },
        { channel: '#ops', user: '@troll', by: '@Jane', ts: '2026-12-07T10:00:04.000Z', reason: null },
        { channel: '#ops', user: '@zed', by: null, ts: null, reason: null },
      ]);
    });

    it('lists the log newest first, at most n, all of it or the channels asked for', async () => {
      const log = (e: ModEntry): StoreWrite => ({ op: 'logModeration', entry: e });
      const all = [entry(1, 'kick', '#Dev', 'spam'), entry(2, 'ban', '#ops'), entry(3, 'suspend', null, 'spam everywhere'), entry(4, 'delete', '#Dev', 'a slur'), entry(5, 'unban', '#ops')];
      await ok(all.map(log));
      expect(await store.modlog(null, 50)).toEqual([...all].reverse());
      expect(await store.modlog(null, 2)).toEqual([all[4], all[3]]);
      expect(await store.modlog(['#dev'], 50)).toEqual([all[3], all[0]]);
      expect(await store.modlog(['#dev', '#ops'], 3)).toEqual([all[4], all[3], all[1]]);
      expect(await store.modlog([], 50)).toEqual([]);
    });

    const persistent = backend.persistent ? it : () => {};
    persistent('keeps roles, bans, suspensions and the log across a reopen', async () => {
      await ok([role('#dev', '@jane', 'owner'), { op: 'setBan', channel: '#dev', handle: '@troll', on: true }, { op: 'setSuspended', handle: '@zed', on: true }, { op: 'logModeration', entry: entry(1, 'ban', '#Dev', 'spam') }]);
      await store.close();
      store = await db.open();
      expect(await store.listModeration()).toEqual({ roles: [{ channel: '#dev', user: '@jane', role: 'owner' }], bans: [{ channel: '#dev', user: '@troll', by: '@Jane', ts: '2026-12-07T10:00:01.000Z', reason: 'spam' }], suspended: ['@zed'] });
      expect(await store.modlog(null, 5)).toEqual([entry(1, 'ban', '#Dev', 'spam')]);
    });
  });
}
