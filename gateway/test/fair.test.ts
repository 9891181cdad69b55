/**
 * Fair service under abuse (spec §7, issue 16 §7), both attacks as they were found:
 *
 * - A: guest connections from one address pipeline HISTORY and never read. They once filled
 *   the server-wide reply memory, and every other user's HISTORY waited for it. Now an
 *   address holds at most its share (gateway/hub/reply-budget.ts) and only its own HISTORY
 *   waits.
 * - B: one client pipelines reads. Its whole batch once ran before anyone else was served.
 *   Now each connection gets a share of each event-loop turn (gateway/hub/hub.ts), and
 *   expensive reads draw on a bucket like MSG (gateway/limits/flood.ts).
 *
 * Attackers connect from 127.0.0.2 (all of 127.0.0.0/8 is loopback on Linux), bystanders
 * from 127.0.0.1: two addresses, as on the internet.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../core/index.ts';
import { perTestServer } from './support/per-test-server.ts';
import { peak } from './support/peak.ts';
import { TestClient, type Received } from './support/client.ts';
import type { Conn } from '../hub/conn.ts';

const ATTACKER = '127.0.0.2';
const { start, server, tcp } = perTestServer({ msgRate: 0 });
/** Signed in as a guest from `from` (127.0.0.1 by default), in `channels`. */
async function user(handle: string, channels: string[], from?: string): Promise<TestClient> {
  const c = await tcp(from);
  await c.until(is('HELLO'));
  await c.ok(`REG ${handle}`);
  await c.settle('signed-in');
  for (const ch of channels) await c.ok(`JOIN ${ch}`);
  return c;
}
const hub = () => server().server.hub;
const connOf = (handle: string): Conn => [...hub().conns].find((c) => c.user?.handle === handle)!;
const is = (type: string) => (f: Received) => !(f instanceof ProtocolError) && f.type === type;
const ends = (c: TestClient) => c.frames.filter(is('END')).length;

describe('A: connections that pipeline HISTORY and never read', () => {
  it('hold at most their address\'s share, and a bystander from another address is answered while they wait', async () => {
    // 8 MiB in all, 1 MiB per address, 1 MiB per reply; the stall cut is far off, so nothing
    // but the share can make room for the bystander.
    await start({ maxReplyMemory: 8 * 1024 * 1024, replyStallMs: 600_000 });
    const poster = await user('@poster', ['#c']);
    const body = 'm'.repeat(64 * 1024);
    poster.write(`MSG #c ${body.length}\r\n${body}\r\n`.repeat(40));
    await poster.settle('filled');
    const budget = hub().replies;

    // Six guests from one address ask for 100 MiB each, far more than loopback's kernel
    // buffers take, and read nothing.
    const names = Array.from({ length: 6 }, (_, i) => `@hoarder${i}`);
    const hoarders = await Promise.all(names.map((h) => user(h, ['#c'], ATTACKER)));
    for (const h of hoarders) {
      h.pause();
      h.write('HISTORY #c 500\r\n'.repeat(100));
    }
    const conns = names.map(connOf);
    const held = () => conns.reduce((s, c) => s + c.queued + c.session.backlog, 0);
    let max = await peak(held, () => budget.waiting > 0 && held() > 0);
    // A second for their kernel buffers to fill: from then on they hold what they hold.
    const settled = Date.now() + 1000;
    max = Math.max(max, await peak(held, () => Date.now() > settled));

    // Someone from another address reads #c while they wait, and again.
    const reader = await user('@reader', ['#c']);
    expect((await reader.cmd('HISTORY #c 1')).at(-1)).toBe('END HISTORY 1');
    expect((await reader.cmd('HISTORY #c 500')).at(-1)).toMatch(/^END HISTORY (\d\d)$/);
    expect(budget.isWaiting(connOf('@reader'))).toBe(false);
    // The hoarders are still waiting, unread, and none was cut off to make that room.
    expect(budget.waiting).toBeGreaterThan(0);
    const until = Date.now() + 300;
    max = Math.max(max, await peak(held, () => Date.now() > until));
    // What the address made the server hold: its share, the reply that passed it, a frame.
    expect(budget.perAddress).toBe(1024 * 1024);
    expect(max).toBeLessThanOrEqual(budget.perAddress + budget.perReply + 70_000);
    expect(hub().ended.filter((r) => r.left === 'slow consumer')).toEqual([]);
  });

  it('a stall cuts off the address\'s own biggest holder, never a bystander; a new hoarder every cut keeps only its own address waiting', async () => {
    await start({ maxOutbound: 1024 * 1024, maxReplyMemory: 4 * 1024 * 1024, replyStallMs: 300 });
    const poster = await user('@poster', ['#c']);
    const body = 'm'.repeat(64 * 1024);
    poster.write(`MSG #c ${body.length}\r\n${body}\r\n`.repeat(40));
    await poster.settle('filled');
    // A bystander who has read a page, and reads slowly: it holds a reply now and then.
    const reader = await user('@reader', ['#c']);
    await reader.cmd('HISTORY #c 500');
    const hoard = async (name: string) => {
      const h = await user(name, ['#c'], ATTACKER);
      h.pause();
      h.write('HISTORY #c 500\r\n'.repeat(100));
      return h;
    };
    for (let i = 0; i < 4; i++) await hoard(`@h${i}`);
    await peak(() => 0, () => hub().ended.some((r) => r.left === 'slow consumer'));
    // One more hoarder arrives after the cut; the reader is answered meanwhile, each time.
    await hoard('@h4');
    for (let i = 0; i < 3; i++) expect((await reader.cmd('HISTORY #c 500')).at(-1)).toBe('END HISTORY 3');
    const cut = hub().ended.filter((r) => r.left === 'slow consumer').map((r) => r.user);
    expect(['@h0', '@h1', '@h2', '@h3', '@h4']).toEqual(expect.arrayContaining(cut));
  });
});

describe('B: one client pipelines reads', () => {
  it('a pipeline of 3,000 HISTORY is served a share per turn: another member\'s message reaches it early in the batch', async () => {
    // The read rate off: this is the per-turn share alone.
    await start({ readRate: 0 });
    const reader = await user('@reader', ['#c', '#side']);
    const other = await user('@other', ['#c', '#side']);
    for (let i = 0; i < 5; i++) await other.ok(`MSG #c ${String(i).length}\r\n${i}`);
    const N = 3000;
    reader.write('HISTORY #c 5\r\n'.repeat(N));
    await reader.waitFor(() => ends(reader) > 0, 'the first END HISTORY');
    // The other member speaks once the batch has begun: on the reader's connection, that
    // message lands among its replies where the server sent it. It once came after the
    // whole batch had run.
    await other.ok('MSG #side 5\r\nhello');
    await reader.waitFor(() => reader.msgs.some((m) => m.target === '#side'), 'the #side message');
    const before = reader.frames.findIndex((f) => is('MSG')(f) && (f as { target: string }).target === '#side');
    const endsBefore = reader.frames.slice(0, before).filter(is('END')).length;
    expect(endsBefore).toBeLessThan(N / 2);
    // And the whole batch is answered, in order.
    await reader.waitFor(() => ends(reader) === N, `${N} END HISTORY`, 30_000);
    expect(reader.frames.filter(is('END')).every((f) => (f as { count: number }).count === 5)).toBe(true);
  });

  it('HISTORY past the read burst waits for the read rate, in order, and a bystander is answered meanwhile', async () => {
    await start({ readRate: 50, readBurst: 10 });
    const reader = await user('@reader', ['#c']);
    const bystander = await user('@bystander', ['#c'], ATTACKER);
    await reader.ok('MSG #c 1\r\nx');
    reader.write(`${'HISTORY #c 1\r\n'.repeat(300)}PING last\r\n`);
    await reader.waitFor(() => ends(reader) > 0, 'the first END HISTORY');
    // 290 past the burst at 50 a second take about 6 s: the bystander's reads are answered
    // long before.
    expect((await bystander.cmd('HISTORY #c 1')).at(-1)).toBe('END HISTORY 1');
    expect(await bystander.settle('bystander')).toEqual([]);
    expect(ends(reader)).toBeLessThan(300);
    await reader.until(is('PONG'), 30_000);
    expect(ends(reader)).toBe(300);
    const tail = reader.frames.filter((f) => is('END')(f) || is('PONG')(f)).at(-1);
    expect(is('PONG')(tail!)).toBe(true);
  });

  it('SEARCH, MODLOG and BANS draw on the read rate too: a pipeline of them past the burst waits, in order', async () => {
    await start({ readRate: 1, readBurst: 3 });
    const reader = await user('@searcher', ['#c']);
    const from = reader.frames.length;
    const answers = () => reader.frames.slice(from).filter((f) => is('END')(f) || is('ERR')(f)).length;
    // (The guest moderates nothing: its MODLOG and BANS are refused, and still count as reads asked.)
    reader.write(`${'SEARCH hello\r\nMODLOG\r\nBANS #c\r\n'.repeat(2)}PING last\r\n`);
    await reader.waitFor(() => answers() >= 3, 'the burst of three answered');
    // The other three come one a second: they were all still owed a moment ago.
    expect(answers()).toBeLessThan(6);
    await reader.until(is('PONG'), 20_000);
    expect(answers()).toBe(6);
    const kinds = reader.frames.slice(from).filter((f) => is('END')(f) || is('ERR')(f) || is('PONG')(f)).map((f) => {
      const g = f as { type: string; of?: string; code?: string };
      return g.of ?? g.code ?? g.type;
    });
    expect(kinds).toEqual(['SEARCH', 'NOT_OP', 'NOT_OP', 'SEARCH', 'NOT_OP', 'NOT_OP', 'PONG']);
  });

  it('a --rate-exempt bot has no read rate', async () => {
    await start({ readRate: 1, readBurst: 1, rateExempt: ['@bot'] });
    const bot = await tcp();
    await bot.until(is('HELLO'));
    await bot.ok('REG @bot s3cret-pass');
    // At one a second, 100 would take 100 s.
    bot.write(`${'CHNS\r\n'.repeat(100)}PING done\r\n`);
    await bot.until(is('PONG'), 20_000);
    expect(ends(bot)).toBe(100);
  });
});
