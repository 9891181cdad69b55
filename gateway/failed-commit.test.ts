import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './test-server.ts';
import type { SqliteStore } from './store/sqlite-store.ts';
import { TestClient, msg } from './test-client.ts';

// A store batch that fails to commit (here: a real SQLite file that has run out of pages, as
// on a full disk) must not corrupt anyone's stream, and nothing it held may have been
// acknowledged: an OK means committed, for every state change.

let server: TestServer | undefined;
const clients: TestClient[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server?.close();
  server = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'slck-failed-commit-'));
  dirs.push(d);
  return d;
}

async function user(port: number, handle: string, ...channels: string[]): Promise<TestClient> {
  const c = await TestClient.user(port, handle, ...channels);
  clients.push(c);
  return c;
}

async function connect(port: number): Promise<TestClient> {
  const c = await TestClient.tcp(port);
  clients.push(c);
  await c.next(); // HELLO
  return c;
}

/** Make every write that needs a new page fail, as a full disk does. */
function fillDisk(s: TestServer): () => void {
  const db = (s.server.hub.store as SqliteStore).db;
  const pages = db.pragma('page_count', { simple: true }) as number;
  db.pragma(`max_page_count = ${pages}`);
  return () => db.pragma('max_page_count = 1073741823');
}

/**
 * Hold this process's event loop (the server runs in it) so that what several clients have
 * written is all read in one turn of the server, and so lands in one store batch.
 */
function holdLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy: nothing else may run
  }
}

const BIG = 'x'.repeat(60_000); // needs more pages than a full disk has

describe('a failed commit', () => {
  it("leaves other people's streams intact: no bytes in place of the withdrawn delivery", async () => {
    server = await startServer({ dataDir: tempDir() });
    const jane = await user(server.tcpPort, '@jane', '#disk');
    const john = await user(server.tcpPort, '@john', '#disk');
    await jane.settle();
    const restore = fillDisk(server);
    // In one turn: John's two PINGs and Jane's message to him, whose batch fails.
    john.write('PING x\r\nPING y\r\n');
    jane.write(msg('#disk', BIG));
    holdLoop(100);
    expect(await jane.lines(1)).toEqual(['ERR STORE_FAILED Message to #disk was not stored; try again']);
    john.write('PING z\r\n');
    expect(await john.lines(3)).toEqual(['PONG x', 'PONG y', 'PONG z']);
    expect(await john.settle()).toEqual([]);
    restore();
  });
});
