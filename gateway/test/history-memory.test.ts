/**
 * What HISTORY can make the server hold (spec §7, gateway/hub/reply-budget.ts). 54 bytes of
 * pipelined `HISTORY #c 500` over 64 KiB messages once pinned 33 MB for a client that did
 * not read. Now a reply stops at a byte budget, the hub stops reading a client owed more
 * than --max-outbound of its own answers, and past --max-reply-memory server-wide a HISTORY
 * waits. What is held is read from the server object: the bytes queued for a connection and
 * those its socket has not yet handed to the kernel.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../core/index.ts';
import { perTestServer } from './support/per-test-server.ts';
import { peak as peakWhile } from './support/peak.ts';
import { TestClient, type Received } from './support/client.ts';
import type { Conn } from '../hub/conn.ts';

const BODY = 'm'.repeat(64 * 1024);
const MESSAGES = 100;

// msgRate 0: the set-up posts 6.5 MB as fast as it can.
const { start, server, user } = perTestServer({ msgRate: 0 });
const hub = () => server().server.hub;
const connOf = (handle: string): Conn => [...hub().conns].find((c) => c.user?.handle === handle)!;
/** What the server holds for a connection now: queued, and not yet taken by the kernel. */
const held = (c: Conn) => c.queued + c.session.backlog;
const isType = (type: string) => (f: Received) => !(f instanceof ProtocolError) && f.type === type;

/** #c gets 100 messages of 64 KiB; returns their ids. */
async function fill(): Promise<number[]> {
  const poster = await user('@poster', '#c');
  poster.write(`MSG #c ${BODY.length}\r\n${BODY}\r\n`.repeat(MESSAGES) + 'PING filled\r\n');
  await poster.until(isType('PONG'), 30_000);
  const ids = poster.frames.filter((f) => isType('OK')(f) && (f as { args: string[] }).args.length > 0).map((f) => Number((f as { args: string[] }).args[0]));
  expect(ids).toHaveLength(MESSAGES);
  return ids;
}

/** Gives up sooner than the test's own 30 s, so a failure names the peak. */
const peak = (measure: () => number, until: () => boolean, timeoutMs = 20_000) => peakWhile(measure, until, timeoutMs);

/** The replies a reader got, each as the ids of its MSG frames, checked against its END count. */
function replies(c: TestClient): number[][] {
  const out: number[][] = [];
  let current: number[] = [];
  for (const f of c.frames) {
    if (f instanceof ProtocolError) throw f;
    if (f.type === 'MSG' && f.target === '#c') current.push(f.id);
    if (f.type === 'END' && f.of === 'HISTORY') {
      expect(current).toHaveLength(f.count);
      out.push(current);
      current = [];
    }
  }
  return out;
}

describe('HISTORY and memory', () => {
  it('one reply stops at its byte budget and keeps the newest; paging with before gets everything', async () => {
    await start({ maxOutbound: 1024 * 1024 });
    const ids = await fill();
    const reader = await user('@reader', '#c');
    const budget = hub().replies.perReply;
    expect(budget).toBe(256 * 1024);
    const page = (await reader.cmd('HISTORY #c 500')).at(-1)!;
    // 64 KiB messages: three fit a 256 KiB budget.
    expect(page).toBe('END HISTORY 3');
    expect(reader.msgs.map((m) => m.id)).toEqual(ids.slice(-3));
    // From the other side, `after` keeps the oldest.
    reader.msgs.length = 0;
    expect((await reader.cmd('HISTORY #c 500 after 0')).at(-1)).toBe('END HISTORY 3');
    expect(reader.msgs.map((m) => m.id)).toEqual(ids.slice(0, 3));
    // Paging back from the oldest one got, until an empty reply, gives every message once.
    const seen: number[] = [];
    let before = ids[ids.length - 1] + 1;
    for (;;) {
      reader.msgs.length = 0;
      const end = (await reader.cmd(`HISTORY #c 500 before ${before}`)).at(-1)!;
      if (end === 'END HISTORY 0') break;
      seen.unshift(...reader.msgs.map((m) => m.id));
      before = reader.msgs[0].id;
    }
    expect(seen).toEqual(ids);
  });

  it('a reply around an id keeps the id and trims the far ends to the byte budget', async () => {
    await start({ maxOutbound: 1024 * 1024 });
    const ids = await fill();
    const reader = await user('@reader', '#c');
    // 64 KiB messages: three fit a 256 KiB budget, the asked-for one in the middle.
    expect((await reader.cmd(`HISTORY #c 50 around ${ids[40]}`)).at(-1)).toBe('END HISTORY 3');
    expect(reader.msgs.map((m) => m.id)).toEqual(ids.slice(39, 42));
    reader.msgs.length = 0;
    // At the start of the conversation the room goes to what follows.
    expect((await reader.cmd(`HISTORY #c 50 around ${ids[0]}`)).at(-1)).toBe('END HISTORY 3');
    expect(reader.msgs.map((m) => m.id)).toEqual(ids.slice(0, 3));
  });

  it('a message larger than the budget still comes, alone: a reply holds at least one', async () => {
    await start({ maxOutbound: 64 * 1024 });
    const big = await user('@big', '#c');
    await big.ok(`MSG #c ${BODY.length}\r\n${BODY}`);
    await big.ok(`MSG #c ${BODY.length}\r\n${BODY}`);
    expect(hub().replies.perReply).toBe(16 * 1024);
    expect((await big.cmd('HISTORY #c 5')).at(-1)).toBe('END HISTORY 1');
    expect(big.msgs).toHaveLength(1);
  });

  it('a client pipelining 20 HISTORY #c 500 without reading is held near --max-outbound, then gets every reply in order', async () => {
    const maxOutbound = 1024 * 1024;
    await start({ maxOutbound, maxReplyMemory: 0 });
    const ids = await fill();
    const reader = await user('@reader', '#c');
    reader.pause();
    reader.write('HISTORY #c 500\r\n'.repeat(20) + 'PING done\r\n');
    const conn = connOf('@reader');
    // Sample until the server has stopped reading it, then a little longer.
    const stopped = () => conn.inbox !== null && conn.inbox.length > 0;
    let max = await peak(() => held(conn), stopped);
    const until = Date.now() + 300;
    max = Math.max(max, await peak(() => held(conn), () => Date.now() > until));
    // At most the bound plus one reply (and one frame of slack) is ever held for it.
    expect(max).toBeLessThanOrEqual(maxOutbound + hub().replies.perReply + 70_000);

    reader.resume();
    await reader.until(isType('PONG'), 30_000);
    const got = replies(reader);
    expect(got).toHaveLength(20);
    for (const r of got) expect(r).toEqual(ids.slice(-3));
    expect(reader.frames.filter(isType('BYE'))).toEqual([]);
  });

  it('past --max-reply-memory server-wide, HISTORY waits until readers take theirs; PING does not wait', async () => {
    const total = 512 * 1024;
    await start({ maxOutbound: 8 * 1024 * 1024, maxReplyMemory: total });
    await fill();
    const perReply = hub().replies.perReply;
    expect(perReply).toBe(1024 * 1024);
    // Four readers ask for 20 MiB each, far more than loopback's kernel buffers take, and
    // read nothing: without the server-wide budget each would be held up to --max-outbound.
    const readers = await Promise.all(['@r1', '@r2', '@r3', '@r4'].map((h) => user(h, '#c')));
    for (const r of readers) {
      r.pause();
      r.write('HISTORY #c 500\r\n'.repeat(20) + 'PING done\r\n');
    }
    const conns = ['@r1', '@r2', '@r3', '@r4'].map(connOf);
    const sum = () => conns.reduce((s, c) => s + held(c), 0);
    let max = await peak(sum, () => hub().replies.waiting > 0);
    // A late-comer's HISTORY waits its turn; a PING from anyone is answered meanwhile.
    const late = await user('@late', '#c');
    late.write('HISTORY #c 1\r\n');
    const lateConn = connOf('@late');
    max = Math.max(max, await peak(sum, () => hub().replies.isWaiting(lateConn)));
    const pinger = await user('@pinger');
    await pinger.settle('meanwhile');
    // (Whether the late-comer is still waiting now depends on how much the kernel's socket
    // buffers have taken meanwhile; that it waited is what isWaiting showed above.)
    const until = Date.now() + 300;
    max = Math.max(max, await peak(sum, () => Date.now() > until));
    // Held in all: at most the budget plus one reply (and a frame of slack) past it.
    expect(max).toBeLessThanOrEqual(total + perReply + 70_000);

    for (const r of readers) r.resume();
    await Promise.all(readers.map((r) => r.until(isType('PONG'), 60_000)));
    for (const r of readers) {
      const got = replies(r);
      expect(got).toHaveLength(20);
      expect(new Set(got.map((ids) => ids.join())).size).toBe(1);
      expect(got[0].length).toBeGreaterThan(1);
    }
    await late.until(isType('END'), 30_000);
    expect(late.msgs).toHaveLength(1);
  });

  it('clients that hold the server-wide budget unread while others wait are cut off, biggest first', async () => {
    const total = 512 * 1024;
    await start({ maxOutbound: 8 * 1024 * 1024, maxReplyMemory: total, replyStallMs: 300 });
    await fill();
    const names = ['@h1', '@h2', '@h3', '@h4'];
    const hoarders = await Promise.all(names.map((h) => user(h, '#c')));
    for (const h of hoarders) {
      h.pause();
      h.write('HISTORY #c 500\r\n'.repeat(40));
    }
    // Their sockets fill, their own next HISTORY waits for room that never comes (they do not
    // read), and after replyStallMs the biggest holder is cut off to make room.
    await peak(() => 0, () => hub().ended.some((r) => r.left === 'slow consumer'), 30_000);
    // Someone who reads asks for one message, and gets it, though no hoarder ever reads.
    const late = await user('@late', '#c');
    late.write('HISTORY #c 1\r\n');
    await late.until(isType('END'), 30_000);
    expect(late.msgs).toHaveLength(1);
    // (A paused client does not see its close; the server's record of who left, and how, does.)
    const cut = hub().ended.filter((r) => r.left === 'slow consumer').map((r) => r.user);
    expect(cut.length).toBeGreaterThan(0);
    expect(names).toEqual(expect.arrayContaining(cut));
  });
});
