/**
 * Inbound (inbound.ts) on a real MemoryStore: whatever order messages arrive in, and
 * whichever of them the bus lost, this node delivers each conversation's messages once, in
 * id order, reading what it missed from the store.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store.ts';
import type { NewMessage } from '../store/store.ts';
import type { ChatHost } from './chat.ts';
import type { MessageEvent } from './events.ts';
import { Inbound } from './inbound.ts';

const text = (s: string) => new TextEncoder().encode(s);
const ts = '2026-12-02T10:00:00.000Z';

async function setup(messages: number, conv = '#room') {
  const store = new MemoryStore();
  await store.commit([{ op: 'addUser', handle: '@jane' }, { op: 'addUser', handle: '@john' }, { op: 'addChannel', name: '#room' }]);
  const target = conv === '#room' ? '#room' : '@john';
  const news: NewMessage[] = Array.from({ length: messages }, (_, i) => ({ target, from: '@jane', ts, body: text(`m${i + 1}`) }));
  const { ids } = (await store.commit(news.map((message) => ({ op: 'append' as const, message }))))!;
  const events: MessageEvent[] = news.map((m, i) => ({ t: 'msg', conv, id: ids[i], ...m }));
  const delivered: string[] = [];
  let interested = true;
  const repairs: Array<[number, string]> = [];
  const host: ChatHost = {
    isHere: () => true,
    interested: () => interested,
    apply: () => {},
    deliver: (m) => delivered.push(`${m.id}:${new TextDecoder().decode(m.body)}`),
    lost: () => {},
    probe: () => {},
  };
  const inbound = new Inbound(store, host, (n, source) => repairs.push([n, source]));
  return { store, events, delivered, inbound, repairs, stopInterest: () => (interested = false) };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('Inbound', () => {
  it('delivers in id order as they come, and drops what it has already delivered', async () => {
    const { events, delivered, inbound } = await setup(3);
    inbound.watch('#room', 0);
    for (const e of [events[0], events[1], events[0], events[2], events[1]]) inbound.accept(e);
    await settle();
    expect(delivered).toEqual(['1:m1', '2:m2', '3:m3']);
  });

  it('reads a gap from the store before what came after it, and holds what arrives meanwhile', async () => {
    const { events, delivered, inbound, repairs } = await setup(6);
    inbound.watch('#room', 0);
    inbound.accept(events[0]);
    inbound.accept(events[3]); // 2 and 3 were lost
    inbound.accept(events[5]); // arrives while the gap is read: waits, and 5 is read too
    inbound.accept(events[4]);
    await settle();
    expect(delivered).toEqual(['1:m1', '2:m2', '3:m3', '4:m4', '5:m5', '6:m6']);
    expect(repairs).toEqual([[2, 'gap']]);
  });

  it('a poll finds what never arrived (a publish that never happened), a poll after it was seen', async () => {
    const { events, delivered, inbound, repairs } = await setup(4, '@jane @john');
    inbound.watch('@jane @john', 0);
    inbound.accept(events[0]);
    // The first poll sees 2-4 committed: they may still be on the bus, so it waits.
    await inbound.poll();
    expect(delivered).toEqual(['1:m1']);
    await inbound.poll();
    expect(delivered).toEqual(['1:m1', '2:m2', '3:m3', '4:m4']);
    expect(repairs).toEqual([[3, 'poll']]);
    // What the bus brings late is not delivered again.
    inbound.accept(events[2]);
    await inbound.poll();
    expect(delivered).toHaveLength(4);
  });

  it('reads back at once while the bus is down', async () => {
    const { delivered, inbound } = await setup(2);
    inbound.watch('#room', 0);
    await inbound.poll(true);
    expect(delivered).toEqual(['1:m1', '2:m2']);
  });

  it('starts from where the user came in, and forgets conversations nobody here follows', async () => {
    const { events, delivered, inbound, stopInterest } = await setup(3);
    inbound.watch('#room', 2);
    inbound.accept(events[2]);
    expect(delivered).toEqual(['3:m3']);
    stopInterest();
    inbound.prune();
    expect(inbound.size).toBe(0);
    inbound.accept(events[2]);
    expect(delivered).toEqual(['3:m3']);
  });

  it('a direct conversation begun after a tracked user signed in is owed from its first id: a lost start is read back', async () => {
    const { events, delivered, inbound, repairs } = await setup(7, '@jane @john');
    inbound.trackDirect('@john');
    inbound.accept(events[6]); // 1-6 were lost on the bus
    await settle();
    expect(delivered).toEqual(['1:m1', '2:m2', '3:m3', '4:m4', '5:m5', '6:m6', '7:m7']);
    expect(repairs).toEqual([[6, 'gap']]);
  });

  it('an untracked direct conversation still starts where its first message comes', async () => {
    const { events, delivered, inbound } = await setup(3, '@jane @john');
    inbound.accept(events[2]);
    await settle();
    expect(delivered).toEqual(['3:m3']);
  });
});
