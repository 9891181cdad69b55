import { describe, expect, it } from 'vitest';
import { show } from './support/client.ts';
import { useTelnetServer } from './support/telnet.ts';

// Channel topics (spec: TOPIC), and passwords changed while signed in (spec: PASSWORD), over
// telnet on a real SQLite file, so what they store is checked across a restart.

const t = useTelnetServer('topics');
const { connect, user, restart } = t;

describe('TOPIC', () => {
  it('a member sets it, every member is told, anyone may ask it, and it is kept', async () => {
    const jane = await user('@jane', '#dev');
    const kim = await user('@kim', '#dev');
    expect(await kim.cmd('TOPIC #dev')).toEqual(['TOPIC #dev -', 'END TOPIC 1']);
    await jane.settle();
    jane.drain();
    expect(await jane.cmd('TOPIC #dev Release on Friday')).toEqual(['TOPIC #dev @jane Release on Friday', 'OK']);
    await kim.until((f) => show(f) === 'TOPIC #dev @jane Release on Friday');
    const outsider = await user('@out');
    expect(await outsider.cmd('TOPIC #dev')).toEqual(['TOPIC #dev @jane Release on Friday', 'END TOPIC 1']);
    expect(await outsider.cmd('TOPIC #dev mine now')).toEqual(['ERR NOT_MEMBER Join #dev to set its topic']);
    expect(await outsider.cmd('TOPIC #nowhere')).toEqual(['ERR NO_SUCH_CHANNEL #nowhere does not exist']);

    await restart();
    const back = await user('@kim');
    await back.settle();
    back.drain();
    expect(await back.cmd('TOPIC #DEV')).toEqual(['TOPIC #dev @jane Release on Friday', 'END TOPIC 1']);
    expect(await back.cmd('TOPIC #dev -')).toEqual(['TOPIC #dev -', 'OK']);
    expect(await back.cmd('TOPIC #dev')).toEqual(['TOPIC #dev -', 'END TOPIC 1']);
  });
});

describe('PASSWORD', () => {
  it('a guest claims the handle it is signed in as, without signing out', async () => {
    const guest = await user('@jane');
    const watcher = await user('@kim');
    await guest.settle();
    expect(await watcher.cmd('USRS')).toEqual(['USR @jane online guest', 'USR @kim online guest', 'END USRS 2']);
    expect(await guest.cmd('PASSWORD n3w-secret')).toEqual(['OK']);
    expect(await watcher.cmd('USRS')).toEqual(['USR @jane online', 'USR @kim online guest', 'END USRS 2']);
    expect(await guest.cmd('PING')).toEqual(['PONG']);
    guest.end();
    await guest.waitClosed();
    const taker = await connect();
    expect(await taker.cmd('REG @jane')).toEqual(['ERR PASSWORD_REQUIRED @jane is claimed: REG @jane <password>']);
    expect(await taker.cmd('REG @jane n3w-secret')).toEqual(['OK']);
    expect(await taker.lines(1)).toEqual(['JOINED #general @jane']);
    expect(await taker.cmd('PASSWORD again')).toEqual(['ERR PASSWORD_REQUIRED Give your current password first: PASSWORD <current> <new>']);
  });

  it('a claimed user changes it: the current one is checked, the old one stops working, and so do other sessions', async () => {
    const jane = await user('@jane old-secret');
    const [ok] = await (await user('@jane old-secret')).cmd('TOKEN');
    const otherToken = ok.split(' ')[1];
    const [mine] = await jane.cmd('TOKEN');
    const myToken = mine.split(' ')[1];
    expect(await jane.cmd('PASSWORD wrong-guess n3w-secret')).toEqual(['ERR WRONG_PASSWORD Wrong password for @jane']);
    expect(await jane.cmd('PASSWORD old-secret n3w-secret')).toEqual(['OK']);
    const later = await connect();
    expect(await later.cmd('REG @jane old-secret')).toEqual(['ERR WRONG_PASSWORD Wrong password for @jane']);
    expect((await later.cmd(`RESUME @jane ${otherToken}`))[0]).toMatch(/^ERR BAD_TOKEN/);
    expect(await later.cmd(`RESUME @jane ${myToken}`)).toEqual(['OK']);
    const guest = await user('@kim');
    expect(await guest.cmd('PASSWORD a b')).toEqual(['ERR BAD_SYNTAX @kim has no password yet: PASSWORD <new> claims it']);
    expect(t.clients.flatMap((c) => c.frames.map(show)).join('\n')).not.toMatch(/old-secret|n3w-secret|wrong-guess/);
  });
});
