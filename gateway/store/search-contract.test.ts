import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSearch } from '../../core/search-query.ts';
import type { KeptMessage, Store, StoreSearch, StoreWrite } from './store.ts';
import { dmPairKey, nameKey } from './keys.ts';
import { nextTime, read, text, useBackends, users, type Backend, type TestDb } from './contract-backends.ts';
import { openSqliteStore } from './sqlite-store.ts';

/**
 * SEARCH, one contract for the three stores (issue 18): words, phrases, excluded terms, from,
 * before and after, the conversations searched and no other, newest first with a limit,
 * accents folded, a CJK run as one word, an edit found by its new text only, a delete never,
 * thread replies, filters alone, and a body that is not UTF-8. Queries are read by
 * core/search-query.ts's parseSearch, as SEARCH reads them.
 */
/** SQLite twice: as it serves, and reading every conversation from the index first (its plan for big ones). */
const backends: Backend[] = [...useBackends()];
backends.splice(2, 0, {
  name: 'SqliteStore, index first',
  persistent: true,
  fresh: async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slck-search-'));
    return { open: async () => openSqliteStore(dir, { searchByKeyBelow: 0 }), cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  },
});

const GENERAL = '#general';
const DEV = '#dev';
const JANE_JOHN = dmPairKey('@jane', '@john');
const ALL = [GENERAL, DEV, JANE_JOHN];

/** A message at a given time (ISO), so before:/after: and the order are known. */
const at = (ts: string, target: string, from: string, body: string | Uint8Array, more: { root?: number; also?: boolean } = {}): StoreWrite =>
  ({ op: 'append', message: { target, from, ts, body: typeof body === 'string' ? text(body) : body }, ...more });
const time = (minute: number): string => new Date(Date.UTC(2026, 11, 1, 10, minute)).toISOString();

for (const backend of backends) {
  describe(`Search contract: ${backend.name}`, () => {
    let db: TestDb;
    let store: Store;
    const ok = async (writes: StoreWrite[]): Promise<number[]> => {
      const result = await store.commit(writes);
      expect(result, String(store.lastFailure)).not.toBeNull();
      return result!.ids;
    };
    /** The results of a typed query, each as `conversation id body`. */
    const find = async (typed: string, conversations = ALL, limit = 20): Promise<string[]> => {
      const q = parseSearch(typed);
      if (q instanceof Error) throw q;
      const query: StoreSearch = {
        conversations, words: q.words, phrases: q.phrases, excluded: q.excluded, limit,
        ...(q.from !== undefined ? { from: nameKey(q.from) } : {}),
        ...(q.before !== undefined ? { before: q.before } : {}),
        ...(q.after !== undefined ? { after: q.after } : {}),
      };
      return (await store.search(query)).map((m: KeptMessage) => `${m.conversation} ${m.id} ${read(m.body)}`);
    };

    beforeEach(async () => {
      db = await backend.fresh();
      store = await db.open();
      await ok([...users('@Jane', '@john', '@kim'), { op: 'addChannel', name: '#General' }, { op: 'addChannel', name: '#dev' },
        ...['@jane', '@john', '@kim'].map((handle): StoreWrite => ({ op: 'addMember', channel: GENERAL, handle }))]);
    });
    afterEach(async () => {
      await store.close();
      await db.cleanup();
    });

    it('finds the messages that have every word, whole words, any case', async () => {
      await ok([
        at(time(1), '#General', '@Jane', 'Deploy the release notes'),
        at(time(2), '#general', '@john', 'the deployed build'),
        at(time(3), '#dev', '@kim', 'DEPLOY it after lunch'),
        at(time(4), '@john', '@jane', 'lunch? deploy later'),
      ]);
      expect(await find('deploy')).toEqual(['@jane @john 1 lunch? deploy later', '#dev 1 DEPLOY it after lunch', '#general 1 Deploy the release notes']);
      expect(await find('deploy lunch')).toEqual(['@jane @john 1 lunch? deploy later', '#dev 1 DEPLOY it after lunch']);
      expect(await find('deployed')).toEqual(['#general 2 the deployed build']);
      expect(await find('deplo')).toEqual([]);
    });

    it('finds a phrase only as adjacent words in order; a typed word that splits is a phrase', async () => {
      await ok([
        at(time(1), GENERAL, '@jane', 'the release notes are out'),
        at(time(2), GENERAL, '@jane', 'notes on the release'),
        at(time(3), GENERAL, '@jane', 'release: the notes'),
        at(time(4), GENERAL, '@jane', 'send an e-mail, then e mail again'),
        at(time(5), GENERAL, '@jane', 'email me'),
      ]);
      expect(await find('"release notes"')).toEqual(['#general 1 the release notes are out']);
      expect(await find('"Release, notes!"')).toEqual(['#general 1 the release notes are out']);
      expect(await find('e-mail')).toEqual(['#general 4 send an e-mail, then e mail again']);
      expect(await find('"notes release"')).toEqual([]);
    });

    it('leaves out excluded words and phrases', async () => {
      await ok([
        at(time(1), GENERAL, '@jane', 'deploy to staging'),
        at(time(2), GENERAL, '@jane', 'deploy to production'),
        at(time(3), GENERAL, '@jane', 'deploy: staging area, production'),
        at(time(4), GENERAL, '@jane', 'staging'),
      ]);
      expect(await find('deploy -staging')).toEqual(['#general 2 deploy to production']);
      expect(await find('deploy -"to staging"')).toEqual(['#general 3 deploy: staging area, production', '#general 2 deploy to production']);
      expect(await find('deploy -staging -production')).toEqual([]);
      // Excluded terms with filters alone: every message the filters allow, but those.
      expect(await find('from:@jane -deploy')).toEqual(['#general 4 staging']);
      expect(await find('from:@jane -staging -"to production"')).toEqual([]);
    });

    it('keeps to from:, before: and after: (exclusive)', async () => {
      await ok([
        at(time(1), GENERAL, '@Jane', 'standup now'),
        at(time(2), GENERAL, '@john', 'standup in five'),
        at(time(3), GENERAL, '@JANE', 'standup done'),
      ]);
      expect(await find('standup from:@jane')).toEqual(['#general 3 standup done', '#general 1 standup now']);
      expect(await find('standup from:@kim')).toEqual([]);
      expect(await find(`standup before:${time(3)}`)).toEqual(['#general 2 standup in five', '#general 1 standup now']);
      expect(await find(`standup after:${time(1)}`)).toEqual(['#general 3 standup done', '#general 2 standup in five']);
      expect(await find(`standup after:${time(1)} before:${time(3)}`)).toEqual(['#general 2 standup in five']);
      expect(await find('standup before:2026-12-01')).toEqual([]);
      expect(await find('standup after:2026-11-30 from:@john')).toEqual(['#general 2 standup in five']);
    });

    it('searches the conversations asked for, never another one', async () => {
      await ok([
        at(time(1), GENERAL, '@jane', 'secret plan'),
        at(time(2), DEV, '@kim', 'secret plan'),
        at(time(3), '@john', '@jane', 'secret plan'),
        at(time(4), '@kim', '@john', 'secret plan'),
      ]);
      expect(await find('secret', [DEV])).toEqual(['#dev 1 secret plan']);
      expect(await find('secret', [GENERAL, JANE_JOHN])).toEqual(['@jane @john 1 secret plan', '#general 1 secret plan']);
      expect(await find('secret', [])).toEqual([]);
      expect(await find('from:@kim', [GENERAL, JANE_JOHN])).toEqual([]);
      expect(await find('from:@kim', [DEV])).toEqual(['#dev 1 secret plan']);
      expect(await find('plan -secret', [DEV])).toEqual([]);
      expect(await find('secret', ['#nowhere'])).toEqual([]);
    });

    it('orders newest first (ts, then conversation, then id descending) and stops at the limit', async () => {
      const same = time(5);
      await ok([
        at(time(1), GENERAL, '@jane', 'ping 1'),
        at(same, DEV, '@jane', 'ping 2'),
        at(same, GENERAL, '@jane', 'ping 3'),
        at(same, GENERAL, '@jane', 'ping 4'),
        at(time(2), DEV, '@jane', 'ping 5'),
      ]);
      const all = ['#dev 1 ping 2', '#general 3 ping 4', '#general 2 ping 3', '#dev 2 ping 5', '#general 1 ping 1'];
      expect(await find('ping')).toEqual(all);
      expect(await find('ping', ALL, 3)).toEqual(all.slice(0, 3));
      expect(await find('ping', ALL, 2)).toEqual(all.slice(0, 2));
      expect(await find('ping', ALL, 0)).toEqual([]);
      // Filters alone: the newest messages they allow, in the same order.
      expect(await find('from:@jane', ALL, 2)).toEqual(all.slice(0, 2));
    });

    it('keeps every message of a crowded millisecond, in order', async () => {
      const crowd = Array.from({ length: 1100 }, (_, i) => at(time(7), GENERAL, '@jane', `crowd ${i}`));
      await ok([at(time(8), GENERAL, '@jane', 'crowd after'), ...crowd]);
      expect(await find('crowd', ALL, 3)).toEqual(['#general 1 crowd after', '#general 1101 crowd 1099', '#general 1100 crowd 1098']);
      expect(await find('crowd 1099')).toEqual(['#general 1101 crowd 1099']);
      expect(await find('crowd 0')).toEqual(['#general 2 crowd 0']);
    });

    it('finds words without their accents, and with them', async () => {
      await ok([
        at(time(1), GENERAL, '@jane', 'Café at 10?'),
        at(time(2), GENERAL, '@jane', 'cafe later'),
        at(time(3), GENERAL, '@jane', 'ΣΟΦΟΣ Ελληνικά, İstanbul'),
      ]);
      expect(await find('cafe')).toEqual(['#general 2 cafe later', '#general 1 Café at 10?']);
      expect(await find('CAFÉ')).toEqual(['#general 2 cafe later', '#general 1 Café at 10?']);
      expect(await find('σοφος ελληνικα istanbul')).toEqual(['#general 3 ΣΟΦΟΣ Ελληνικά, İstanbul']);
    });

    it('reads a run of CJK characters as one word: found whole, not by a part', async () => {
      await ok([
        at(time(1), GENERAL, '@kim', '集合は 東京タワー、10時'),
        at(time(2), GENERAL, '@kim', '明日は東京タワーで会いましょう'),
        at(time(3), GENERAL, '@kim', 'नमस्ते दुनिया'),
      ]);
      expect(await find('東京タワー')).toEqual(['#general 1 集合は 東京タワー、10時']);
      expect(await find('東京')).toEqual([]);
      expect(await find('明日は東京タワーで会いましょう')).toEqual(['#general 2 明日は東京タワーで会いましょう']);
      expect(await find('10時')).toEqual(['#general 1 集合は 東京タワー、10時']);
      // Marks stay inside their words (Devanagari): the word, not its bare letters.
      expect(await find('नमस्ते')).toEqual(['#general 3 नमस्ते दुनिया']);
      expect(await find('नमस')).toEqual([]);
    });

    it('finds an edited message by its new text only, and a deleted one never', async () => {
      const [first, second] = await ok([at(time(1), GENERAL, '@jane', 'meet at noon'), at(time(2), GENERAL, '@jane', 'lunch at noon')]);
      await ok([
        { op: 'change', change: { kind: 'edit', target: GENERAL, from: '@jane', ts: nextTime(), of: first, body: text('meet at one') } },
        { op: 'change', change: { kind: 'delete', target: GENERAL, from: '@jane', ts: nextTime(), of: second } },
      ]);
      expect(await find('noon')).toEqual([]);
      expect(await find('meet one')).toEqual(['#general 1 meet at one']);
      expect(await find('lunch')).toEqual([]);
      expect(await find('from:@jane')).toEqual(['#general 1 meet at one']);
      expect(await find('from:@jane -lunch')).toEqual(['#general 1 meet at one']);
      // An edit of a deleted message changes nothing; a second edit replaces the first.
      await ok([
        { op: 'change', change: { kind: 'edit', target: GENERAL, from: '@jane', ts: nextTime(), of: second, body: text('lunch back') } },
        { op: 'change', change: { kind: 'edit', target: GENERAL, from: '@jane', ts: nextTime(), of: first, body: text('meet at two') } },
      ]);
      expect(await find('lunch')).toEqual([]);
      expect(await find('one')).toEqual([]);
      expect(await find('meet')).toEqual(['#general 1 meet at two']);
    });

    it('finds thread replies, shown in the main flow or not', async () => {
      const [root] = await ok([at(time(1), GENERAL, '@jane', 'release tonight?')]);
      await ok([
        at(time(2), GENERAL, '@john', 'release after the tests', { root }),
        at(time(3), GENERAL, '@kim', 'release: agreed', { root, also: true }),
      ]);
      expect(await find('release')).toEqual(['#general 3 release: agreed', '#general 2 release after the tests', '#general 1 release tonight?']);
      const [reply] = await store.search({ conversations: ALL, words: ['tests'], phrases: [], excluded: [], limit: 20 });
      expect({ root: reply.root, also: reply.also }).toEqual({ root: 1, also: false });
    });

    it('reads a body that is not UTF-8 with replacement characters, which separate words', async () => {
      await ok([at(time(1), GENERAL, '@jane', new Uint8Array([0x61, 0x62, 0xff, 0x63, 0x64, 0x20, 0x65]))]);
      expect(await find('ab cd')).toEqual(['#general 1 ab\uFFFDcd e']);
      expect(await find('"ab cd e"')).toEqual(['#general 1 ab\uFFFDcd e']);
      expect(await find('abcd')).toEqual([]);
    });

    it('takes a word too long for PostgreSQL to index, and a word said 300 times', async () => {
      await ok([at(time(1), GENERAL, '@jane', `huge ${'x'.repeat(2100)} word ${'again '.repeat(300)}end`)]);
      expect(await find('huge word')).toHaveLength(1);
      expect(await find('"word again again"')).toHaveLength(1);
      // Not asserted: "again end". PostgreSQL keeps 256 positions of a word (and none past
      // 16,383), so a phrase at a word's 257th time is found by memory and SQLite only.
    });

    it('finds what it was given before a restart', async () => {
      if (!backend.persistent) return;
      const [id] = await ok([at(time(1), GENERAL, '@jane', 'remember this')]);
      await store.close();
      store = await db.open();
      await ok([{ op: 'change', change: { kind: 'edit', target: GENERAL, from: '@jane', ts: nextTime(), of: id, body: text('remember that') } }]);
      expect(await find('remember')).toEqual(['#general 1 remember that']);
      expect(await find('this')).toEqual([]);
    });

    it('keeps nothing of a batch that failed', async () => {
      if (backend.breakStorage === undefined) return;
      const undo = await backend.breakStorage(db, store);
      expect(await store.commit([at(time(1), GENERAL, '@jane', 'lost words')])).toBeNull();
      await undo();
      await ok([at(time(2), GENERAL, '@jane', 'kept words')]);
      expect(await find('words')).toEqual(['#general 1 kept words']);
    });
  });
}
