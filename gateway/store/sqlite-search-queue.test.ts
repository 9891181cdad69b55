import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoreWrite } from './store.ts';
import { openSqliteStore, type SqliteStore } from './sqlite-store.ts';

// SEARCH's index on SQLite is written behind the messages (sqlite-search-queue.ts): what a
// user must never see of that. A search right after an OK finds the message; an edit or a
// delete of a message the index has not taken yet comes out right; a crash leaves nothing
// unfound; a message whose time is earlier than one indexed is found all the same.

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const read = (b: Uint8Array): string => new TextDecoder().decode(b);
const GENERAL = '#general';
const time = (minute: number): string => new Date(Date.UTC(2026, 11, 1, 10, minute)).toISOString();
const at = (ts: string, body: string): StoreWrite => ({ op: 'append', message: { target: GENERAL, from: '@jane', ts, body: text(body) } });
const edit = (of: number, body: string): StoreWrite =>
  ({ op: 'change', change: { kind: 'edit', target: GENERAL, from: '@jane', ts: time(50), of, body: text(body) } });
const erase = (of: number): StoreWrite => ({ op: 'change', change: { kind: 'delete', target: GENERAL, from: '@jane', ts: time(50), of } });

describe('SQLite: the search index written behind the messages', () => {
  let dir: string;
  let store: SqliteStore;

  const ok = async (writes: StoreWrite[]): Promise<number[]> => {
    const result = await store.commit(writes);
    expect(result, String(store.lastFailure)).not.toBeNull();
    return result!.ids;
  };
  /** The bodies of the messages that have every word, newest first. */
  const find = async (...words: string[]): Promise<string[]> =>
    (await store.search({ conversations: [GENERAL], words, phrases: [], excluded: [], limit: 50 })).map((m) => read(m.body));
  /** How many messages the FTS5 table holds (a row of its docsize table each). */
  const inIndex = (): number => store.db.prepare('SELECT count(*) FROM messages_search_docsize').pluck().get() as number;
  /** What a power cut leaves: the file as committed, nothing done at close. */
  const crash = (): void => void store.db.close();
  const reopen = (): SqliteStore => (store = openSqliteStore(dir));

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slck-search-queue-'));
    store = openSqliteStore(dir);
    await ok([{ op: 'addUser', handle: '@jane' }, { op: 'addChannel', name: GENERAL }]);
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finds a message right after its commit, before any slice has run', async () => {
    await ok([at(time(1), 'first words'), at(time(2), 'second words')]);
    expect(inIndex()).toBe(0); // the commit wrote no index row: a slice will, or the search
    expect(await find('words')).toEqual(['second words', 'first words']);
    expect(inIndex()).toBe(2);
  });

  it('indexes on its own, in slices after the commits, without a search', async () => {
    await ok(Array.from({ length: 300 }, (_, i) => at(time(1), `bulk message ${i}`)));
    await vi.waitFor(() => expect(inIndex()).toBe(300));
    expect(await find('bulk', '299')).toEqual(['bulk message 299']);
  });

  it('takes edits and deletes of messages not yet indexed, and of those indexed', async () => {
    const [one, two] = await ok([at(time(1), 'alpha one'), at(time(2), 'beta two')]);
    expect(await find('alpha')).toEqual(['alpha one']); // both indexed now
    const [four, five] = await ok([at(time(4), 'delta four'), at(time(5), 'epsilon five')]);
    const [six] = await ok([at(time(6), 'zeta six'), edit(one, 'alpha changed'), erase(two), edit(four, 'delta revised'), erase(five)]);
    await ok([edit(six, 'zeta again')]);
    const check = async () => {
      expect(await find('one')).toEqual([]);
      expect(await find('alpha')).toEqual(['alpha changed']);
      expect(await find('beta')).toEqual([]);
      expect(await find('four')).toEqual([]);
      expect(await find('delta')).toEqual(['delta revised']);
      expect(await find('epsilon')).toEqual([]);
      expect(await find('six')).toEqual([]);
      expect(await find('zeta')).toEqual(['zeta again']);
    };
    await check();
    // The same after a restart, and after a crash with the edits not yet indexed.
    await store.close();
    reopen();
    await check();
    const [seven] = await ok([at(time(7), 'eta seven')]);
    await ok([edit(seven, 'eta edited')]);
    crash();
    reopen();
    expect(await find('eta')).toEqual(['eta edited']);
    expect(await find('seven')).toEqual([]);
  });

  it('after a crash, indexes the messages the index had not taken, at start', async () => {
    await ok([at(time(1), 'kept before')]);
    expect(await find('kept')).toEqual(['kept before']);
    const [two, three] = await ok([at(time(2), 'not yet indexed'), at(time(3), 'nor this')]);
    await ok([erase(two)]);
    crash();
    reopen();
    await vi.waitFor(() => expect(inIndex()).toBe(2)); // the deleted one is not
    expect(await find('indexed')).toEqual([]);
    expect(await find('nor')).toEqual(['nor this']);
    // Edits and deletes while it catches up from the file.
    await ok([at(time(4), 'after restart'), edit(three, 'nor that')]);
    expect(await find('that')).toEqual(['nor that']);
    expect(await find('restart')).toEqual(['after restart']);
  });

  it('finds a message whose time is earlier than one indexed (a clock stepped back), also after a crash', async () => {
    await ok([at(time(10), 'later message')]);
    expect(await find('message')).toEqual(['later message']);
    const [earlier] = await ok([at(time(5), 'earlier message')]);
    expect(await find('message')).toEqual(['later message', 'earlier message']);
    const [earliest] = await ok([at(time(4), 'earliest words')]);
    await ok([edit(earliest, 'earliest message')]);
    crash();
    reopen();
    expect(await find('message')).toEqual(['later message', 'earlier message', 'earliest message']);
    expect(await find('words')).toEqual([]);
    const [back] = await ok([at(time(3), 'back again'), edit(earlier, 'earlier edited')]);
    await ok([erase(back)]);
    expect(await find('again')).toEqual([]);
    expect(await find('earlier')).toEqual(['earlier edited']);
  });

  it('keeps pace with batches larger than a slice: at most the last one is left to index', async () => {
    for (let b = 0; b < 8; b++) await ok(Array.from({ length: 3000 }, (_, i) => at(time(1), `batch ${b} message ${i}`)));
    // A slice ran after each commit and took all it brought (the last one's may still be to come).
    expect(inIndex()).toBeGreaterThanOrEqual(7 * 3000);
    expect(await find('batch', '7', '2999')).toEqual(['batch 7 message 2999']);
  });

  it('keeps a bounded queue in memory: past it, slices read the messages back', async () => {
    // One batch larger than the queue's bound (20,000): its words are not kept in memory.
    const many = Array.from({ length: 20_001 }, (_, i) => at(time(1), `load ${i === 0 ? 'first' : i === 20_000 ? 'last' : 'middle'}`));
    const ids = await ok(many);
    await ok([edit(ids[1], 'load edited'), erase(ids[2])]);
    expect(await find('first')).toEqual(['load first']);
    expect(await find('last')).toEqual(['load last']);
    expect(await find('edited')).toEqual(['load edited']);
    expect(inIndex()).toBe(20_000);
  });
});
