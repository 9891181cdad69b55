import { describe, expect, it } from 'vitest';
import type { TestServer } from './support/server.ts';
import { perTestServer } from './support/per-test-server.ts';
import type { SqliteStore } from '../store/sqlite-store.ts';
import { TestClient, msg } from './support/client.ts';

// A store batch that fails to commit (here: a real SQLite file that has run out of pages, as
// on a full disk) must not corrupt anyone's stream, and nothing it held may have been
// acknowledged: an OK means committed, for every state change.

const perTest = perTestServer();
const { start, close, hold } = perTest;
const tempDir = () => perTest.tempDir('slck-failed-commit-');
const user = async (port: number, handle: string, ...channels: string[]) => hold(await TestClient.user(port, handle, ...channels));

async function connect(port: number): Promise<TestClient> {
  const c = hold(await TestClient.tcp(port));
  await c.next(); // HELLO
  return c;
}

/** Make every write that needs a new page fail, as a full disk does. */
function fillDisk(s: TestServer): () => void {
  const db = (s.server.store as SqliteStore).db;
  const pages = db.pragma('page_count', { simple: true }) as number;
  db.pragma(`max_page_count = ${pages}`);
  return () => db.pragma('max_page_count = 1073741823');
}

/**
 * Make every write fail, as when the kernel remounts a failing disk read-only (SQLite's
 * SQLITE_READONLY): unlike a full disk, even a write that fits in a page that is there fails.
 */
function readOnlyDisk(s: TestServer): () => void {
  const db = (s.server.store as SqliteStore).db;
  db.pragma('query_only = 1');
  return () => db.pragma('query_only = 0');
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
    const server = await start({ dataDir: tempDir() });
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

  it('refuses a claim it could not store, so the handle is not left unclaimed after an OK', async () => {
    const dataDir = tempDir();
    let server = await start({ dataDir });
    const restore = readOnlyDisk(server);
    const jane = await connect(server.tcpPort);
    expect(await jane.cmd('REG @newbie s3cret')).toEqual(['ERR STORE_FAILED Could not claim @newbie: the server could not store it; try again']);
    expect(await jane.cmd('JOIN #x')).toEqual(['ERR NOT_REGISTERED Register first: REG @handle']);
    expect(await jane.cmd('REG @guest')).toEqual(['ERR STORE_FAILED Could not register @guest: the server could not store it; try again']);
    restore();
    expect(await jane.cmd('REG @newbie s3cret')).toEqual(['OK']);
    jane.destroy();

    // What was acknowledged is on disk: after a restart the handle is still claimed.
    await close();
    server = await start({ dataDir });
    const other = await connect(server.tcpPort);
    expect(await other.cmd('REG @newbie')).toEqual(['ERR PASSWORD_REQUIRED @newbie is claimed: REG @newbie <password>']);
    expect(await other.cmd('USRS')).toEqual(['USR @newbie offline', 'END USRS 1']);
    // And in #general, where it was put in the same commit; the refused @guest nowhere.
    expect(await other.cmd('USRS #general')).toEqual(['USR @newbie offline', 'END USRS 1']);
  });

  it('refuses a JOIN and a LEAVE it could not store: nobody hears of them, and nothing changes', async () => {
    const dataDir = tempDir();
    let server = await start({ dataDir });
    const jane = await user(server.tcpPort, '@jane', '#disk');
    const john = await user(server.tcpPort, '@john', '#disk');
    await jane.settle();
    const restore = readOnlyDisk(server);
    expect(await jane.cmd('JOIN #new')).toEqual(['ERR STORE_FAILED Could not join #new: the server could not store it; try again']);
    expect(await jane.cmd('LEAVE #disk')).toEqual(['ERR STORE_FAILED Could not leave #disk: the server could not store it; try again']);
    expect(await john.cmd('JOIN #new')).toEqual(['ERR STORE_FAILED Could not join #new: the server could not store it; try again']);
    expect(await john.settle()).toEqual([]);
    expect(await jane.cmd('CHNS')).toEqual(['CHN #disk 2', 'CHN #general 2', 'END CHNS 2']);
    restore();
    // Jane is still in #disk: she gets John's message.
    await john.ok('MSG #disk 5\r\nstill');
    expect(await jane.settle()).toEqual([expect.stringMatching(/^MSG #disk @john \d+ \S+ 5\nstill$/)]);
    expect(await jane.cmd('JOIN #new')).toEqual(['JOINED #new @jane', 'OK']);
    jane.destroy();

    await close();
    server = await start({ dataDir });
    const again = await connect(server.tcpPort);
    expect(await again.cmd('REG @jane')).toEqual(['OK']);
    // After a restart a user's channels come in name order.
    expect(await again.settle()).toEqual(['JOINED #disk @jane', 'JOINED #general @jane', 'JOINED #new @jane']);
  });
});
