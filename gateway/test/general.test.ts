import { describe, expect, it } from 'vitest';
import { useTelnetServer } from './support/telnet.ts';

// A new user is in #general (issue 15, item 3): every newly registered handle, guest or
// claimed, is joined to #general in the commit that registers it, so the banner's
// "SAY #general <text> to talk" works at once. Over TCP, on a real SQLite file.

const t = useTelnetServer('general');
const { connect, user } = t;

describe('a new user is in #general', () => {
  it('a new guest follows the banner: REG, then SAY #general works; members see it join', async () => {
    const old = await user('@old');
    await old.settle();
    old.drain();
    const tess = await connect();
    expect(await tess.cmd('REG @tess')).toEqual(['OK']);
    expect((await tess.settle()).filter((l) => l.startsWith('JOINED'))).toEqual(['JOINED #general @tess']);
    expect(await tess.ok('SAY #general after the banner')).toMatch(/^OK \d+ /);
    expect((await old.settle()).filter((l) => !l.startsWith('MSG'))).toEqual(['JOINED #general @tess', 'ONLINE @tess']);
    expect(await tess.cmd('USRS #general')).toEqual(['USR @old online guest', 'USR @tess online guest', 'END USRS 2']);
  });

  it('a new claimed handle too, and the membership is stored before the OK: it outlives a restart', async () => {
    const jane = await connect();
    expect(await jane.cmd('REG @Jane s3cret-pass')).toEqual(['OK']);
    expect(await jane.ok('SAY #general hello')).toMatch(/^OK 1 /);
    await t.restart();
    const back = await connect();
    expect(await back.cmd('REG @jane s3cret-pass')).toEqual(['OK']);
    expect((await back.settle()).filter((l) => l.startsWith('JOINED'))).toEqual(['JOINED #general @Jane']);
  });

  it('the channel reads as read up to the join: what #general said before is history, not news', async () => {
    const old = await user('@old');
    await old.ok('SAY #general before you came');
    const kim = await user('@kim k1m-pass');
    await kim.settle();
    expect(await kim.cmd('UNREAD')).toEqual(['UNREAD #general 0 0 1 1', 'END UNREAD 1']);
  });

  it('one who left #general is not put back at a later sign-in, guest or claimed, nor by claiming the handle', async () => {
    for (const reg of ['@wanderer', '@roamer r0am-pass']) {
      const first = await user(reg);
      await first.settle();
      expect(await first.cmd('LEAVE #general')).toEqual([`LEFT #general ${reg.split(' ')[0]}`, 'OK']);
      first.end();
      await first.waitClosed();
      const again = await connect();
      expect(await again.cmd(`REG ${reg}`)).toEqual(['OK']);
      expect((await again.settle()).filter((l) => l.startsWith('JOINED'))).toEqual([]);
      expect(await again.cmd('SAY #general hi')).toEqual(['ERR NOT_MEMBER Join #general before posting to it']);
      again.end();
      await again.waitClosed();
    }
    // A guest handle claimed later is not a new handle.
    const claimed = await connect();
    expect(await claimed.cmd('REG @wanderer n3w-pass')).toEqual(['OK']);
    expect(await claimed.cmd('SAY #general hi')).toEqual(['ERR NOT_MEMBER Join #general before posting to it']);
  });
});
