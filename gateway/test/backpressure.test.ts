/**
 * The outbound bound (spec §7) cuts off a client that falls behind on other people's
 * traffic (fanout.test.ts), never one that is reading the large answers it asked for. A
 * client that asks for more than the bound without reading is not read from until it
 * catches up. (A single reply is bounded in bytes too: history-memory.test.ts.)
 */
import { beforeEach, expect, it } from 'vitest';
import { ProtocolError } from '../../core/index.ts';
import { perTestServer } from './support/per-test-server.ts';
import { TestClient, type Received } from './support/client.ts';

const MAX_OUTBOUND = 256 * 1024;
const BODY = 'x'.repeat(60_000);

const { start, user } = perTestServer();

beforeEach(async () => {
  // The posts are the set-up, not a flood: the message rate is off (flood.test.ts).
  await start({ maxOutbound: MAX_OUTBOUND, msgRate: 0 });
});

/** Post `n` 60 KB messages to #big: twenty times the bound in all. */
async function fill(n: number): Promise<void> {
  const poster = await user('@poster', '#big');
  for (let i = 0; i < n; i++) await poster.ok(`MSG #big ${BODY.length}\r\n${BODY}`);
}

const isEnd = (f: Received) => !(f instanceof ProtocolError) && f.type === 'END';
const byes = (c: TestClient) => c.frames.filter((f) => !(f instanceof ProtocolError) && f.type === 'BYE');

it('a reader gets HISTORY answers many times the bound, and stays connected', async () => {
  await fill(80);
  const reader = await user('@reader', '#big');
  // A reply stops at a quarter of the bound (at least one message): 60 KB messages come one
  // a reply, so forty replies are about ten times the bound.
  reader.write('HISTORY #big 80\r\n'.repeat(40));
  await reader.waitFor(() => reader.frames.filter(isEnd).length === 40, '40 replies', 30_000);
  expect(reader.frames.filter(isEnd).map((f) => (f as { count: number }).count)).toEqual(Array(40).fill(1));
  expect(reader.msgs.filter((m) => m.target === '#big')).toHaveLength(40);
  expect(await reader.settle('still-here')).toBeDefined();
  expect(byes(reader)).toEqual([]);
});

it('a client that asks for a lot without reading is held, not cut off, and gets it all once it reads', async () => {
  await fill(20);
  const greedy = await user('@greedy', '#big');
  greedy.pause();
  // A hundred replies of 60 KB each, asked for at once: over twenty times the bound.
  greedy.write('HISTORY #big 20\r\n'.repeat(100) + 'PING done\r\n');
  // Meanwhile the server goes on serving others.
  const other = await user('@other');
  expect(await other.cmd('PING ok')).toEqual(['PONG ok']);
  greedy.resume();
  await greedy.until((f) => !(f instanceof ProtocolError) && f.type === 'PONG', 30_000);
  expect(greedy.frames.filter(isEnd)).toHaveLength(100);
  expect(byes(greedy)).toEqual([]);
});
