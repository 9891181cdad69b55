import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { perTestServer } from './support/per-test-server.ts';
import { TestClient, show, spawnServer, type ServerProcess } from './support/client.ts';

// Claimed handles (spec, REG): a password claims a handle, later registrations need it,
// guessing is slowed down, and the password appears in no reply and no log.

const { start, server, close, clients, hold, tempDir } = perTestServer();
let child: ServerProcess | undefined;
afterEach(() => {
  if (child && child.proc.exitCode === null) child.proc.kill('SIGKILL');
  child = undefined;
});

async function connect(port = server().tcpPort): Promise<TestClient> {
  const c = hold(await TestClient.tcp(port));
  await c.lines(1);
  return c;
}
async function leave(c: TestClient): Promise<void> {
  c.end();
  await c.waitClosed();
}
/** Every frame any client received, as text. */
const everything = () => clients.flatMap((c) => c.frames.map(show)).join('\n');

describe('accounts', () => {
  it('a password claims a handle: it is required, checked, and accepted', async () => {
    await start();
    const first = await connect();
    expect(await first.cmd('REG @Jane hunter2-correct')).toEqual(['OK']);
    // Whoever has the password may sign in again meanwhile, from another device.
    const second = await connect();
    expect(await second.cmd('REG @jane hunter2-correct')).toEqual(['OK']);
    const rival = await connect();
    expect(await rival.cmd('REG @jane')).toEqual(['ERR PASSWORD_REQUIRED @Jane is claimed: REG @Jane <password>']);
    await leave(first);
    await leave(second);

    const later = await connect();
    expect(await later.cmd('REG @jane')).toEqual(['ERR PASSWORD_REQUIRED @Jane is claimed: REG @Jane <password>']);
    expect(await later.cmd('REG @jane hunter3-wrong')).toEqual(['ERR WRONG_PASSWORD Wrong password for @Jane']);
    expect(await later.cmd('REG @JANE hunter2-correct')).toEqual(['OK']);
    // She was put in #general when she registered: signing in again seats her there.
    expect(await later.cmd('PING')).toEqual(['JOINED #general @Jane', 'PONG']);
    expect(everything()).not.toMatch(/hunter/);
  });

  it('with --require-passwords there are no guest handles: REG needs a password, which claims the handle', async () => {
    await start({ requirePasswords: true });
    const c = await connect();
    expect(await c.cmd('REG @guest')).toEqual(['ERR PASSWORD_REQUIRED This server has no guest handles: REG @guest <password> claims it']);
    expect(await c.cmd('JOIN #general')).toEqual(['ERR NOT_REGISTERED Register first: REG @handle']);
    expect(await c.cmd('REG @guest a-good-password')).toEqual(['OK']);
    await leave(c);
    const again = await connect();
    expect(await again.cmd('REG @guest')).toEqual(['ERR PASSWORD_REQUIRED @guest is claimed: REG @guest <password>']);
  });

  it('a guest handle can be claimed while it is offline, and stays claimed', async () => {
    const dataDir = tempDir('slck-accounts-');
    await start({ dataDir });
    const guest = await connect();
    expect(await guest.cmd('REG @guest')).toEqual(['OK']);
    await leave(guest);
    const anyone = await connect();
    expect(await anyone.cmd('REG @guest')).toEqual(['OK']); // free to whoever asks
    await leave(anyone);
    const claimer = await connect();
    expect(await claimer.cmd('REG @guest mine-now')).toEqual(['OK']);
    await leave(claimer);
    const other = await connect();
    expect(await other.cmd('REG @guest')).toEqual(['ERR PASSWORD_REQUIRED @guest is claimed: REG @guest <password>']);
    expect(await other.cmd('REG @guest mine-now')).toEqual(['OK']);
    await leave(other);
    // The claim is stored: it holds after a restart.
    await close();
    await start({ dataDir });
    const afterRestart = await connect();
    expect(await afterRestart.cmd('REG @guest')).toEqual(['ERR PASSWORD_REQUIRED @guest is claimed: REG @guest <password>']);
    expect(await afterRestart.cmd('REG @guest not-mine')).toEqual(['ERR WRONG_PASSWORD Wrong password for @guest']);
    expect(await afterRestart.cmd('REG @guest mine-now')).toEqual(['OK']);
  });

  it('repeated failures are rate limited, even for the right password, until the wait is over', async () => {
    await start();
    const owner = await connect();
    await owner.ok('REG @vault open-sesame');
    await leave(owner);
    const guesser = await connect();
    for (const guess of ['guess-1', 'guess-2', 'guess-3']) {
      expect(await guesser.cmd(`REG @vault ${guess}`)).toEqual(['ERR WRONG_PASSWORD Wrong password for @vault']);
    }
    const limited = await guesser.cmd('REG @vault open-sesame');
    expect(limited).toEqual([expect.stringMatching(/^ERR RATE_LIMITED Too many attempts; wait \d+ s$/)]);
    expect(await guesser.cmd('REG @vault')).toEqual([limited[0]]);
    // The wait is the server's to name; once it has passed, the right password works.
    const seconds = Number(/wait (\d+) s/.exec(limited[0])![1]);
    await new Promise((r) => setTimeout(r, seconds * 1000 + 50));
    expect(await guesser.cmd('REG @vault open-sesame')).toEqual(['OK']);
    expect(everything()).not.toMatch(/sesame|guess-/);
  });

  it('guesses sent all at once are limited as if sent one after another', async () => {
    await start();
    const owner = await connect();
    expect(await owner.cmd('REG @victim s3cret')).toEqual(['OK']);
    await leave(owner);
    const guessers = await Promise.all(Array.from({ length: 12 }, () => connect()));
    const answers = await Promise.all(guessers.map((g, i) => g.cmd(`REG @victim guess${i}`)));
    const codes = answers.map(([line]) => line.split(' ').slice(0, 2).join(' '));
    // Three free attempts; every other one is refused before its password is even checked.
    expect(codes.filter((c) => c === 'ERR WRONG_PASSWORD')).toHaveLength(3);
    expect(codes.filter((c) => c === 'ERR RATE_LIMITED')).toHaveLength(9);
  });

  it('a password over 128 bytes is refused without echoing it', async () => {
    await start();
    const c = await connect();
    expect(await c.cmd(`REG @long ${'p'.repeat(129)}`)).toEqual(['ERR BAD_PASSWORD Password is longer than 128 bytes']);
    expect(await c.cmd(`REG @long ${'p'.repeat(128)}`)).toEqual(['OK']);
    expect(everything()).not.toContain('p'.repeat(20));
  });

  it('the password never reaches the log file or the console', async () => {
    const dir = tempDir('slck-accounts-log-');
    const logFile = join(dir, 'chat.log');
    child = await spawnServer(['--data-dir', join(dir, 'data'), '--tcp-port', '0', '--http-port', '0',
      '--log-file', logFile, '--log-level', 'debug']);
    const first = await connect(child.tcpPort);
    expect(await first.cmd('REG @jane Tr0ub4dor-secret')).toEqual(['OK']);
    await first.ok('JOIN #general');
    await leave(first);
    const second = await connect(child.tcpPort);
    expect(await second.cmd('REG @jane Tr0ub4dor-wrong')).toEqual(['ERR WRONG_PASSWORD Wrong password for @jane']);
    expect(await second.cmd('REG @jane Tr0ub4dor-secret')).toEqual(['OK']);
    await leave(second);
    child.proc.kill('SIGTERM');
    expect((await child.exited).code).toBe(0);
    const log = readFileSync(logFile, 'utf8');
    expect(log).toMatch(/wrong password/); // the attempt is logged ...
    expect(log).toMatch(/registered/);
    for (const text of [log, child.stdout(), child.stderr(), everything()]) {
      expect(text).not.toMatch(/Tr0ub4dor/); // ... the password is not
    }
  });
});
