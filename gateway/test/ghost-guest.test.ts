import { afterAll, beforeAll, expect, it } from 'vitest';
import { FreezableProxy } from '../../e2e/freezable-proxy.ts';
import { startServer, type TestServer } from './support/server.ts';
import { TestClient } from './support/client.ts';

// A guest whose link died silently (Wi-Fi gone: nothing closed, nothing answered) holds its
// handle until the server notices. When the same person comes back on a new connection and
// asks for the handle, the holder is asked at once (a WebSocket ping): no answer within a
// few seconds, and it is closed, so the next try gets in. Before, only the heartbeat (30 s by
// default, a minute here) let it go.

let server: TestServer;
let proxy: FreezableProxy;
const clients: TestClient[] = [];

beforeAll(async () => {
  server = await startServer({ heartbeatMs: 60_000 });
  proxy = await FreezableProxy.start(server.httpPort);
});
/** A WebSocket client past its HELLO. */
async function connect(url: string): Promise<TestClient> {
  const c = await TestClient.ws(url);
  clients.push(c);
  expect((await c.lines(1))[0]).toMatch(/^HELLO /);
  return c;
}

afterAll(async () => {
  for (const c of clients) c.destroy();
  await proxy.close();
  await server.close();
});

it('a guest back on a new link gets its handle once the silent old link fails a ping', async () => {
  const old = await connect(`ws://127.0.0.1:${proxy.port}/ws`);
  expect((await old.cmd('REG @wanderer'))[0]).toBe('OK');
  proxy.freeze();

  const back = await connect(server.wsUrl);
  const first = await back.cmd('REG @wanderer');
  expect(first[0]).toMatch(/^ERR HANDLE_TAKEN /);
  // As the web app does: ask again every second, until it gets in (or a deadline well short
  // of the heartbeat).
  const deadline = Date.now() + 20_000;
  let answer = first;
  while (answer[0].startsWith('ERR HANDLE_TAKEN') && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1_000));
    answer = await back.cmd('REG @wanderer');
  }
  expect(answer[0]).toBe('OK');
  await back.settle('signed-in');
  expect(await back.cmd('SAY #general back again')).toEqual([expect.stringMatching(/^OK \d+ /)]);
});

it('a holder that answers the ping keeps its handle', async () => {
  const here = await connect(server.wsUrl);
  expect((await here.cmd('REG @present'))[0]).toBe('OK');
  await here.settle('signed-in');
  const other = await connect(server.wsUrl);
  expect((await other.cmd('REG @present'))[0]).toMatch(/^ERR HANDLE_TAKEN /);
  // Past the probe's few seconds, the holder is still signed in and answered.
  await new Promise((r) => setTimeout(r, 4_000));
  expect(await here.cmd('PING still')).toEqual(['PONG still']);
  expect((await other.cmd('REG @present'))[0]).toMatch(/^ERR HANDLE_TAKEN /);
});
