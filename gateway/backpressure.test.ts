/**
 * The outbound bound (spec §7) cuts off a client that falls behind on other people's
 * traffic (fanout.test.ts), never one that is reading the large answer it asked for. A
 * client that asks for more than the bound without reading is not read from until it
 * catches up.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ProtocolError } from '../core/index.ts';
import { startServer, type TestServer } from './test-server.ts';
import { TestClient, type Received } from './test-client.ts';

const MAX_OUTBOUND = 256 * 1024;
const BODY = 'x'.repeat(60_000);

let server: TestServer;
const clients: TestClient[] = [];

beforeEach(async () => {
  server = await startServer({ maxOutbound: MAX_OUTBOUND });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server.close();
});

async function user(handle: string, ...channels: string[]): Promise<TestClient> {
  const c = await TestClient.user(server.tcpPort, handle, ...channels);
  clients.push(c);
  return c;
}

/** Post `n` 60 KB messages to #big: twenty times the bound in all. */
async function fill(n: number): Promise<void> {
  const poster = await user('@poster', '#big');
  for (let i = 0; i < n; i++) await poster.ok(`MSG #big ${BODY.length}\r\n${BODY}`);
}

const isEnd = (f: Received) => !(f instanceof ProtocolError) && f.type === 'END';
const byes = (c: TestClient) => c.frames.filter((f) => !(f instanceof ProtocolError) && f.type === 'BYE');

it('a reader gets a HISTORY reply many times the bound, and stays connected', async () => {
  await fill(80);
  const reader = await user('@reader', '#big');
  reader.write('HISTORY #big 80\r\n');
  await reader.until(isEnd, 30_000);
  expect(reader.msgs.filter((m) => m.target === '#big')).toHaveLength(80);
  expect(await reader.cmd('PING still-here')).toEqual(['PONG still-here']);
  expect(byes(reader)).toEqual([]);
});

it('a client that asks for a lot without reading is held, not cut off, and gets it all once it reads', async () => {
  await fill(20);
  const greedy = await user('@greedy', '#big');
  greedy.pause();
  // Ten replies of 1.2 MB each, asked for at once: about fifty times the bound.
  greedy.write('HISTORY #big 20\r\n'.repeat(10) + 'PING done\r\n');
  // Meanwhile the server goes on serving others.
  const other = await user('@other');
  expect(await other.cmd('PING ok')).toEqual(['PONG ok']);
  greedy.resume();
  await greedy.until((f) => !(f instanceof ProtocolError) && f.type === 'PONG', 30_000);
  expect(greedy.frames.filter(isEnd)).toHaveLength(10);
  expect(byes(greedy)).toEqual([]);
});
