import { writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { perTestServer } from './support/per-test-server.ts';
import type { SqliteStore } from '../store/sqlite-store.ts';
import { TestClient, msg, runServer, show, spawnServer, type ServerProcess } from './support/client.ts';

// `OK <id> <ts>` means stored: it survives kill -9, a full disk refuses a message instead of
// acknowledging it, and a data directory that cannot be used stops the server at start-up.

const perTest = perTestServer();
const { start, hold } = perTest;
let child: ServerProcess | undefined;
afterEach(() => {
  if (child && child.proc.exitCode === null) child.proc.kill('SIGKILL');
  child = undefined;
});

const tempDir = () => perTest.tempDir('slck-durable-');
const user = async (port: number, handle: string, ...channels: string[]) => hold(await TestClient.user(port, handle, ...channels));
// --msg-rate 0: the bursts here test durability, not flood control (flood.test.ts).
const serverArgs = (dataDir: string) => ['--data-dir', dataDir, '--tcp-port', '0', '--http-port', '0', '--log-level', 'warn', '--msg-rate', '0'];

/** Every message of a channel, oldest first, as `id body`, read 500 at a time. */
async function wholeHistory(c: TestClient, channel: string): Promise<string[]> {
  const all: string[] = [];
  let after = 0;
  for (;;) {
    const page = (await c.cmd(`HISTORY ${channel} 500 after ${after}`)).filter((l) => l.startsWith('MSG'));
    if (page.length === 0) return all;
    for (const m of page) all.push(`${m.split(' ')[3]} ${m.split('\n')[1]}`);
    after = Number(page[page.length - 1].split(' ')[3]);
  }
}

describe('durability', () => {
  it('every acknowledged message survives SIGKILL', async () => {
    const dataDir = tempDir();
    child = await spawnServer(serverArgs(dataDir));
    const bob = await user(child.tcpPort, '@bob');
    bob.end();
    await bob.waitClosed();
    const jane = await user(child.tcpPort, '@jane', '#durable');
    const acked: string[] = [];
    const ack = (ok: string, body: string) => acked.push(`${ok.split(' ')[1]} ${body}`);
    // One at a time, each OK awaited ...
    for (let i = 0; i < 100; i++) ack(await jane.ok(msg('#durable', `one-by-one ${i}`)), `one-by-one ${i}`);
    const dm = await jane.ok(msg('@bob', 'kept for bob'));
    // ... then a pipelined burst, killed while OKs are still coming back.
    let burst = '';
    for (let i = 0; i < 3000; i++) burst += `${msg('#durable', `burst ${i}`)}\r\n`;
    jane.drain();
    jane.write(burst);
    await jane.waitFor(() => jane.frames.length - jane.at >= 300, '300 OKs of the burst', 30_000);
    child.proc.kill('SIGKILL');
    const oks = jane.drain();
    oks.forEach((f, i) => {
      if ('type' in f && f.type === 'OK') ack(`OK ${f.args.join(' ')}`, `burst ${i}`);
    });
    expect((await child.exited).signal).toBe('SIGKILL');
    await jane.waitClosed();

    child = await spawnServer(serverArgs(dataDir));
    const reader = await user(child.tcpPort, '@jane');
    const stored = await wholeHistory(reader, '#durable');
    const storedSet = new Set(stored);
    expect(acked.filter((a) => !storedSet.has(a))).toEqual([]);
    // Nothing is stored twice or out of order (unacknowledged messages may or may not be).
    expect(stored.slice(0, acked.length)).toEqual(acked);
    // Signing in hands over the kept message (user() reads past what sign-in sends).
    const bobAgain = await user(child.tcpPort, '@bob');
    expect(bobAgain.msgs.map(show)).toEqual([`MSG @bob @jane ${dm.split(' ')[1]} ${dm.split(' ')[2]} 12\nkept for bob`]);
  });

  it('a full disk: the sender gets STORE_FAILED, nobody gets the message, and the server carries on', async () => {
    const server = await start({ dataDir: tempDir() });
    const jane = await user(server.tcpPort, '@jane', '#disk');
    const john = await user(server.tcpPort, '@john', '#disk');
    await jane.settle();
    await jane.ok(msg('#disk', 'before'));
    await john.until((f) => 'type' in f && f.type === 'MSG');

    const db = (server.server.store as SqliteStore).db;
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);
    const big = 'x'.repeat(60_000); // needs new pages: more than fit in what is free
    expect(await jane.cmd(msg('#disk', big))).toEqual(['ERR STORE_FAILED Message to #disk was not stored; try again']);
    // A HISTORY in the same packet as the refused message does not show it.
    jane.write(msg('#disk', big) + 'HISTORY #disk\r\n');
    const [refused, replay, end] = await jane.lines(3);
    expect(refused).toBe('ERR STORE_FAILED Message to #disk was not stored; try again');
    expect(replay).toMatch(/^MSG #disk @jane \d+ \S+ 6\nbefore$/);
    expect(end).toBe('END HISTORY 1');
    expect(await john.settle()).toEqual([]);
    expect(await jane.cmd('PING up')).toEqual(['PONG up']);

    db.pragma('max_page_count = 1073741823');
    const ok = await jane.ok(msg('#disk', `after ${big}`));
    const m = await john.until((f) => 'type' in f && f.type === 'MSG');
    expect('id' in m && m.id).toBe(Number(ok.split(' ')[1]));
    expect((await wholeHistory(john, '#disk')).map((l) => l.slice(0, 20))).toEqual([
      expect.stringMatching(/^\d+ before$/),
      expect.stringMatching(/^\d+ after x+$/),
    ]);
  });
});

describe('start-up errors', () => {
  it('a data directory under a regular file: exits non-zero, naming the path', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), 'not a directory');
    for (const dataDir of [join(dir, 'file'), join(dir, 'file', 'data')]) {
      const p = runServer(serverArgs(dataDir));
      const { code } = await p.exited;
      expect(code).not.toBe(0);
      expect(p.stderr()).toContain(dataDir);
    }
  });

  it('a corrupt slck.db: exits non-zero, naming the file', async () => {
    const dataDir = join(tempDir(), 'data');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'slck.db'), randomBytes(64 * 1024));
    const p = runServer(serverArgs(dataDir));
    const { code } = await p.exited;
    expect(code).not.toBe(0);
    expect(p.stderr()).toContain(join(dataDir, 'slck.db'));
    expect(p.stderr()).toMatch(/not a usable SLCK database/);
  });
});
