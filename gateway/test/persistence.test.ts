import { describe, expect, it } from 'vitest';
import { perTestServer } from './support/per-test-server.ts';
import { TestClient, msg } from './support/client.ts';

// What survives a restart with a data directory (SQLite): users, channels, membership,
// messages with their ids and times, and mail for users who were away.

const perTest = perTestServer();
const { start, close, clients, user, tcp } = perTest;
const tempDir = () => perTest.tempDir('slck-persist-');
async function anon(): Promise<TestClient> {
  const c = await tcp();
  await c.lines(1);
  return c;
}
/** Close every client and the server, waiting until the server has seen them go. */
async function stop(): Promise<void> {
  for (const c of clients.splice(0)) {
    c.end();
    await c.waitClosed();
  }
  await close();
}
/** `OK <id> <ts>` of a MSG: the frame a recipient or HISTORY will show for it. */
const sent = (ok: string, target: string, from: string, body: string) => {
  const [, id, ts] = ok.split(' ');
  return `MSG ${target} ${from} ${id} ${ts} ${Buffer.byteLength(body)}\n${body}`;
};

describe('a restart on the same data directory', () => {
  it('keeps history (same ids and times), users, channels and membership', async () => {
    const dataDir = tempDir();
    await start({ dataDir });
    const jane = await user('@Jane', '#general', '#dev');
    const john = await user('@john', '#general');
    const kim = await user('@kim', '#dev');
    expect(await kim.cmd('LEAVE #dev')).toEqual(['LEFT #dev @kim', 'OK']);
    // Kim leaves #general too, where she was put when she registered.
    expect(await kim.cmd('LEAVE #general')).toEqual(['LEFT #general @kim', 'OK']);
    const general: string[] = [];
    for (const [c, from, body] of [[jane, '@Jane', 'one'], [john, '@john', 'two'], [jane, '@Jane', 'three']] as const) {
      general.push(sent(await c.ok(msg('#general', body)), '#general', from, body));
    }
    const dev = sent(await jane.ok(msg('#dev', 'dev talk')), '#dev', '@Jane', 'dev talk');
    const dm = sent(await john.ok(msg('@jane', 'psst')), '@Jane', '@john', 'psst');
    await stop();

    await start({ dataDir });
    const visitor = await anon();
    expect(await visitor.cmd('USRS')).toEqual(['USR @Jane offline guest', 'USR @john offline guest', 'USR @kim offline guest', 'END USRS 3']);
    expect(await visitor.cmd('CHNS')).toEqual(['CHN #dev 1', 'CHN #general 2', 'END CHNS 2']);
    expect(await visitor.cmd('USRS #general')).toEqual(['USR @Jane offline guest', 'USR @john offline guest', 'END USRS 2']);
    expect(await visitor.cmd('USRS #dev')).toEqual(['USR @Jane offline guest', 'END USRS 1']);
    // @kim left #dev and #general before the restart: back with no channels (not put in
    // #general again: that is for a new user only).
    const kimBack = await anon();
    expect(await kimBack.cmd('REG @kim')).toEqual(['OK']);
    expect(await kimBack.settle()).toEqual([]);

    // A returning user is back in their channels: JOINED for each, after OK.
    const back = await anon();
    const reg = await back.cmd('REG @jane');
    expect(reg).toEqual(['OK']);
    expect((await back.lines(2)).sort()).toEqual(['JOINED #dev @Jane', 'JOINED #general @Jane']);
    expect(await back.settle()).toEqual([]); // the DM was delivered live: nothing is owed
    expect(await back.cmd('HISTORY #general')).toEqual([...general, 'END HISTORY 3']);
    expect(await back.cmd('HISTORY #dev')).toEqual([dev, 'END HISTORY 1']);
    expect(await back.cmd('HISTORY @john')).toEqual([dm, 'END HISTORY 1']);
    expect(await visitor.cmd('USRS #general')).toEqual(['USR @Jane online guest', 'USR @john offline guest', 'END USRS 2']);

    // Ids go on increasing after the restart.
    const lastId = Number(dm.split(' ')[3]);
    const [, id] = (await back.ok(msg('#general', 'four'))).split(' ');
    expect(Number(id)).toBeGreaterThan(lastId);
  });
});

describe('offline delivery', () => {
  for (const store of ['memory', 'sqlite', 'sqlite across a restart'] as const) {
    it(`keeps direct messages for a known user who is away (${store})`, async () => {
      const dataDir = store === 'memory' ? null : tempDir();
      await start({ dataDir });
      const bob = await user('@bob');
      bob.end();
      await bob.waitClosed();
      const alice = await user('@alice');
      expect(await alice.cmd(msg('@nobody', 'hi'))).toEqual(['ERR NO_SUCH_USER @nobody has never registered']);
      const expected: string[] = [];
      for (const body of ['first', 'second', 'third\r\nwith a line break']) {
        const ok = await alice.ok(msg('@bob', body));
        expect(ok).toMatch(/^OK \d+ \d{4}-\S+Z$/);
        expected.push(sent(ok, '@bob', '@alice', body));
      }
      if (store === 'sqlite across a restart') {
        await stop();
        await start({ dataDir });
      }
      const back = await anon();
      expect(await back.cmd('REG @bob')).toEqual(['OK']);
      // His channel (#general, where he was put when new), then what was kept for him.
      expect(await back.lines(4)).toEqual(['JOINED #general @bob', ...expected]);
      expect(await back.settle()).toEqual([]);
      // Handed over once: the next registration owes nothing.
      back.end();
      await back.waitClosed();
      const again = await anon();
      expect(await again.cmd('REG @bob')).toEqual(['OK']);
      expect(await again.settle()).toEqual(['JOINED #general @bob']);
      expect(await again.cmd('HISTORY @alice')).toEqual([...expected, 'END HISTORY 3']);
    });
  }

  it('puts kept messages after the JOINED lines', async () => {
    await start({ dataDir: tempDir() });
    const bob = await user('@bob', '#team');
    bob.end();
    await bob.waitClosed();
    const alice = await user('@alice', '#team');
    const kept = sent(await alice.ok(msg('@bob', 'while you were out')), '@bob', '@alice', 'while you were out');
    const back = await anon();
    expect(await back.cmd('REG @bob')).toEqual(['OK']);
    expect(await back.lines(3)).toEqual(['JOINED #general @bob', 'JOINED #team @bob', kept]);
    expect(await alice.settle()).toEqual(['ONLINE @bob']);
  });
});
