import { describe, expect, it } from 'vitest';
import { ISO_TS, msg, show, type TestClient } from './support/client.ts';
import { useTelnetServer } from './support/telnet.ts';

// Session tokens (spec: TOKEN, RESUME, SIGNOUT) on a real SQLite file, over telnet.

const t = useTelnetServer('sessions');
const { connect, user } = t;

/** TOKEN's reply: `OK <token> <expires>`; the token, after checking the form. */
async function tokenOf(c: TestClient): Promise<string> {
  const [ok] = await c.cmd('TOKEN');
  const [, token, expires] = ok.split(' ');
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(expires).toMatch(ISO_TS);
  // Thirty days from now, give or take the test's own time.
  expect(Math.abs(Date.parse(expires) - Date.now() - 30 * 86_400_000)).toBeLessThan(60_000);
  return token;
}

describe('session tokens', () => {
  it('RESUME signs a claimed user in without the password, also after the server restarts', async () => {
    const jane = await user('@jane s3cret-pass', '#dev');
    const token = await tokenOf(jane);
    const tab = await connect();
    expect(await tab.cmd(`RESUME @Jane ${token}`)).toEqual(['OK']);
    await tab.until((f) => show(f) === 'JOINED #dev @jane');
    expect(await tab.cmd(`RESUME @jane ${token}`)).toEqual(['ERR ALREADY_REGISTERED You are already @jane']);

    await t.restart();
    const later = await connect();
    expect(await later.cmd(`RESUME @jane ${token}`)).toEqual(['OK']);
    expect(await later.ok(msg('#dev', 'back without typing it'))).toMatch(/^OK \d+ /);
  });

  it('refuses a wrong, foreign or malformed token, and TOKEN for a guest', async () => {
    const jane = await user('@jane s3cret-pass');
    const token = await tokenOf(jane);
    await user('@kim k1m-password');
    const c = await connect();
    const bad = ['ERR BAD_TOKEN That session has ended (signed out or expired); sign in with your password'];
    expect(await c.cmd(`RESUME @kim ${token}`)).toEqual(bad);
    expect(await c.cmd(`RESUME @jane ${'A'.repeat(43)}`)).toEqual(bad);
    expect(await c.cmd('RESUME @jane not/a+token')).toEqual(['ERR BAD_TOKEN That is not a session token; sign in with your password']);
    expect(await c.cmd('RESUME @jane')).toEqual(['ERR BAD_SYNTAX Usage: RESUME @handle <token>']);
    const guest = await user('@guest');
    expect(await guest.cmd('TOKEN')).toEqual(['ERR NOT_CLAIMED @guest is a guest handle: claim it with a password first']);
    expect(await c.cmd('TOKEN')).toEqual(['ERR NOT_REGISTERED Register first: REG @handle']);
    expect(await c.cmd('PING')).toEqual(['PONG']);
  });

  it('SIGNOUT ends this session; SIGNOUT ALL ends every one and the other connections', async () => {
    const laptop = await user('@jane s3cret-pass');
    const laptopToken = await tokenOf(laptop);
    const phone = await connect();
    const phoneToken = await tokenOf(await user('@jane s3cret-pass'));
    expect(await phone.cmd(`RESUME @jane ${phoneToken}`)).toEqual(['OK']);
    expect(await phone.lines(1)).toEqual(['JOINED #general @jane']);
    const tablet = await user('@jane s3cret-pass');

    // The phone signs out: its token stops working, the laptop's still works.
    expect(await phone.cmd('SIGNOUT')).toEqual(['OK']);
    const again = await connect();
    expect((await again.cmd(`RESUME @jane ${phoneToken}`))[0]).toMatch(/^ERR BAD_TOKEN/);
    expect(await again.cmd(`RESUME @jane ${laptopToken}`)).toEqual(['OK']);

    // The laptop signs out everywhere: every other connection of jane's is closed.
    expect(await laptop.cmd('SIGNOUT ALL')).toEqual(['OK']);
    for (const c of [phone, tablet, again]) {
      await c.until((f) => show(f) === 'BYE SIGNED_OUT @jane signed out everywhere');
      await c.waitClosed();
    }
    expect(await laptop.cmd('PING')).toEqual(['PONG']);
    const fresh = await connect();
    expect((await fresh.cmd(`RESUME @jane ${laptopToken}`))[0]).toMatch(/^ERR BAD_TOKEN/);
    expect(await fresh.cmd('REG @jane s3cret-pass')).toEqual(['OK']);
  });
});
