import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestClient } from './support/client.ts';
import { startServer, type TestServer } from './support/server.ts';

// THREADS is bounded (issue 17): anyone can make a user follow a thread by naming them in a
// reply, so the list a user can be made to hold is cut at 200, unread first.

let server: TestServer;
beforeAll(async () => {
  // No flood control: the test makes 410 posts at once.
  server = await startServer({ msgRate: 0, msgBurst: 0 });
});
afterAll(() => server.close());

it('lists at most 200 threads, unread first, however many name you', async () => {
  const ann = await TestClient.user(server.tcpPort, '@ann');
  const bob = await TestClient.user(server.tcpPort, '@bob');
  await bob.cmd('MODE exact');
  const lines: string[] = [];
  for (let i = 1; i <= 205; i++) lines.push(`SAY #general root ${i}`, `RE #general ${2 * i - 1} @ann look`);
  bob.write(lines.map((l) => `${l}\r\n`).join(''));
  await bob.until((f) => !(f instanceof Error) && f.type === 'OK' && f.args[0] === '410', 30_000);
  await ann.settle();
  const threads = await ann.cmd('THREADS');
  expect(threads.at(-1)).toBe('END THREADS 200');
  expect(threads[0]).toMatch(/^FOLLOWING #general 409 1 1 1 410 /);
  ann.destroy();
  bob.destroy();
});
