import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewMessage, Store } from './store.ts';
import { MemoryStore } from './memory-store.ts';
import { openSqliteStore } from './sqlite-store.ts';

/**
 * One contract, two implementations. The SQLite variant runs on a real file in a fresh temp
 * directory; its persistence and failure behaviour is tested in sqlite-store.test.ts.
 */
const implementations: { name: string; open: (dir: string) => Store }[] = [
  { name: 'MemoryStore', open: () => new MemoryStore() },
  { name: 'SqliteStore', open: (dir) => openSqliteStore(dir) },
];

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const read = (b: Uint8Array): string => new TextDecoder().decode(b);
let clock = Date.UTC(2026, 10, 22, 10, 0, 0);
const msg = (target: string, from: string, body: string): NewMessage => ({
  target,
  from,
  ts: new Date(clock++).toISOString(),
  body: text(body),
});
const bodies = (messages: { body: Uint8Array }[]): string[] => messages.map((m) => read(m.body));

for (const impl of implementations) {
  describe(`Store contract: ${impl.name}`, () => {
    let dir: string;
    let store: Store;

    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slck-store-'));
      store = impl.open(dir);
    });
    afterEach(() => {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('keeps users by case-insensitive handle, in the case first registered', () => {
      expect(store.getUser('@jane')).toBeUndefined();
      store.addUser('@Jane');
      store.addUser('@JANE');
      store.addUser('@bob');
      expect(store.getUser('@jane')).toEqual({ handle: '@Jane', passwordHash: null });
      store.setPassword('@jAnE', 'scrypt$16384$8$1$c2FsdA==$aGFzaA==');
      expect(store.getUser('@JANE')).toEqual({
        handle: '@Jane',
        passwordHash: 'scrypt$16384$8$1$c2FsdA==$aGFzaA==',
      });
      expect(store.listUsers()).toEqual(['@bob', '@Jane']);
    });

    it('keeps channels and their members, in join order, until they leave', () => {
      store.addUser('@jane');
      store.addUser('@John');
      store.addChannel('#General');
      store.addChannel('#general');
      store.addChannel('#random');
      store.addMember('#general', '@john');
      store.addMember('#GENERAL', '@Jane');
      store.addMember('#general', '@JOHN');
      expect(store.listChannels()).toEqual([
        { name: '#General', members: ['@John', '@jane'] },
        { name: '#random', members: [] },
      ]);
      store.removeMember('#general', '@JOHN');
      store.removeMember('#random', '@jane');
      store.removeMember('#general', '@jane');
      expect(store.listChannels()).toEqual([
        { name: '#General', members: [] },
        { name: '#random', members: [] },
      ]);
    });

    it('refuses members of channels or users it does not know', () => {
      store.addUser('@jane');
      store.addChannel('#general');
      expect(() => store.addMember('#nowhere', '@jane')).toThrow(/#nowhere/);
      expect(() => store.addMember('#general', '@nobody')).toThrow(/@nobody/);
    });

    it('hands out increasing ids, and dirty says whether a batch is open', () => {
      expect(store.dirty).toBe(false);
      expect(store.commit()).toBe(true);
      const first = store.append(msg('#general', '@jane', 'one'));
      expect(store.dirty).toBe(true);
      const second = store.append(msg('#general', '@jane', 'two'));
      expect(store.commit()).toBe(true);
      expect(store.dirty).toBe(false);
      const third = store.append(msg('@john', '@jane', 'three'));
      expect(store.commit()).toBe(true);
      expect(first).toBeGreaterThan(0);
      expect(second).toBeGreaterThan(first);
      expect(third).toBeGreaterThan(second);
      store.addUser('@jane');
      expect(store.dirty).toBe(true);
      expect(store.commit()).toBe(true);
    });

    it('shows writes of the open batch to reads before commit', () => {
      store.addUser('@jane');
      store.addChannel('#general');
      store.addMember('#general', '@jane');
      const id = store.append(msg('#general', '@jane', 'not yet committed'));
      expect(store.getUser('@jane')?.handle).toBe('@jane');
      expect(store.listChannels()).toEqual([{ name: '#general', members: ['@jane'] }]);
      expect(store.channelHistory('#general', { limit: 10 }).map((m) => m.id)).toEqual([id]);
    });

    it('pages channel history: latest, before, after, oldest first', () => {
      const ids: number[] = [];
      for (let i = 1; i <= 10; i++) {
        ids.push(store.append(msg('#General', '@jane', `g${i}`)));
        store.append(msg('#random', '@jane', `r${i}`));
        store.append(msg('@john', '@jane', `d${i}`));
      }
      store.commit();
      const page = (q: Parameters<Store['channelHistory']>[1]) => bodies(store.channelHistory('#GENERAL', q));
      expect(page({ limit: 3 })).toEqual(['g8', 'g9', 'g10']);
      expect(page({ limit: 3, before: ids[7] })).toEqual(['g5', 'g6', 'g7']);
      expect(page({ limit: 3, before: ids[1] })).toEqual(['g1']);
      expect(page({ limit: 3, before: ids[0] })).toEqual([]);
      expect(page({ limit: 3, after: ids[1] })).toEqual(['g3', 'g4', 'g5']);
      expect(page({ limit: 3, after: ids[8] })).toEqual(['g10']);
      expect(page({ limit: 3, after: ids[9] })).toEqual([]);
      expect(page({ limit: 50 })).toHaveLength(10);
      expect(page({ limit: 0 })).toEqual([]);
      expect(store.channelHistory('#nowhere', { limit: 10 })).toEqual([]);

      const [latest] = store.channelHistory('#general', { limit: 1 });
      expect(latest).toMatchObject({ id: ids[9], target: '#General', from: '@jane' });
      expect(latest.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });

    it('returns direct history of both directions, and only that pair', () => {
      store.append(msg('@John', '@jane', 'hi john'));
      store.append(msg('@bob', '@jane', 'hi bob'));
      store.append(msg('@jane', '@John', 'hi jane'));
      store.append(msg('#general', '@John', 'hi all'));
      store.append(msg('@JOHN', '@Jane', 'how are you'));
      store.commit();
      const fromJane = store.directHistory('@jane', '@john', { limit: 10 });
      const fromJohn = store.directHistory('@JOHN', '@JANE', { limit: 10 });
      expect(fromJohn).toEqual(fromJane);
      expect(fromJane.map((m) => [m.target, m.from, read(m.body)])).toEqual([
        ['@John', '@jane', 'hi john'],
        ['@jane', '@John', 'hi jane'],
        ['@JOHN', '@Jane', 'how are you'],
      ]);
      expect(bodies(store.directHistory('@jane', '@john', { limit: 2 }))).toEqual(['hi jane', 'how are you']);
      const after = { limit: 1, after: fromJane[0].id };
      expect(bodies(store.directHistory('@john', '@jane', after))).toEqual(['hi jane']);
      expect(bodies(store.directHistory('@bob', '@jane', { limit: 10 }))).toEqual(['hi bob']);
    });

    it('keeps any bytes of a body, and not the caller buffer', () => {
      const raw = new Uint8Array([0, 13, 10, 255, 0xc3, 0x28, 104, 105]);
      const empty = new Uint8Array(0);
      const sent = raw.slice();
      store.append({ target: '#bin', from: '@jane', ts: new Date(clock).toISOString(), body: sent });
      store.append({ target: '#bin', from: '@jane', ts: new Date(clock).toISOString(), body: empty });
      sent.fill(7);
      store.commit();
      const [a, b] = store.channelHistory('#bin', { limit: 2 });
      expect(a.body).toBeInstanceOf(Uint8Array);
      expect([...a.body]).toEqual([...raw]);
      expect(b.body.byteLength).toBe(0);
    });

    it('queues messages for an offline user, handed over once, oldest first', () => {
      store.addUser('@john');
      store.addUser('@jane');
      store.commit();
      const first = store.append(msg('@john', '@jane', 'one'), '@John');
      store.append(msg('#general', '@jane', 'channel'));
      store.append(msg('@jane', '@bob', 'not for john'), '@jane');
      store.commit();
      const second = store.append(msg('@john', '@bob', 'two'), '@JOHN');
      store.commit();
      const queued = store.takeOffline('@JOHN');
      expect(queued.map((m) => [m.id, m.target, m.from, read(m.body)])).toEqual([
        [first, '@john', '@jane', 'one'],
        [second, '@john', '@bob', 'two'],
      ]);
      expect(store.dirty).toBe(true);
      expect(store.commit()).toBe(true);
      expect(store.takeOffline('@john')).toEqual([]);
      expect(store.takeOffline('@nobody')).toEqual([]);
      // Handing them over does not remove them from the conversation.
      expect(bodies(store.directHistory('@john', '@jane', { limit: 10 }))).toEqual(['one']);
      expect(bodies(store.takeOffline('@jane'))).toEqual(['not for john']);
    });

    it('refuses to queue for a user it does not know', () => {
      expect(() => store.append(msg('@ghost', '@jane', 'boo'), '@ghost')).toThrow(/@ghost/);
    });
  });
}
