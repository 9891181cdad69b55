import { beforeEach, describe, expect, it } from 'vitest';
import { perTestServer } from './support/per-test-server.ts';
import { TestClient } from './support/client.ts';

// Bad input never knocks a connection out of step (the next PING gets its PONG) and never
// reaches anyone else: @watcher shares a channel with the offender and must see nothing.

const { start, user, tcp } = perTestServer();
let bad: TestClient;
let watcher: TestClient;

beforeEach(async () => {
  await start();
  watcher = await user('@watcher', '#room');
  bad = await user('@bad', '#room');
  await watcher.settle();
});

/** Raw bytes from a string whose every character is one byte ('\xff' is 0xFF). */
const bytes = (s: string) => Buffer.from(s, 'latin1');

/** The offender is still in step and nobody else saw a thing. */
async function expectUnharmed(): Promise<void> {
  expect(await bad.cmd('PING still-here')).toEqual(['PONG still-here']);
  expect(await watcher.settle()).toEqual([]);
  expect(await watcher.cmd('HISTORY #room')).toEqual(['END HISTORY 0']);
}

/** Send raw bytes, then read `n` replies. */
async function send(raw: string, n: number): Promise<string[]> {
  bad.write(bytes(raw));
  return bad.lines(n);
}

describe('bad input', () => {
  // A bridge that builds MSG lines from untrusted text must not be made to run commands: the
  // last word of a MSG line announces its body, and a refused line still skips it.
  it.each([
    ['a word between the target and the length', 'MSG #room 5 6\r\nQUIT\r\n'],
    ['a non-number before the length', 'MSG #room x 11\r\nQUIT\r\nPING '],
    ['no target', 'MSG 5\r\nQUIT\n'],
  ])('a refused MSG with %s has its body skipped, never run', async (_label, raw) => {
    const replies = await send(`${raw}\r\nPING z\r\n`, 2);
    expect(replies[0]).toMatch(/^ERR BAD_SYNTAX /);
    expect(replies[1]).toBe('PONG z');
    expect(bad.closed).toBe(false);
    await expectUnharmed();
  });

  it('garbage bytes: one ERR per line', async () => {
    const replies = await send('\x01\x02\x03garbage\x7f\r\n\x1b[A\x1b[B\r\n', 2);
    expect(replies.every((l) => l.startsWith('ERR UNKNOWN_COMMAND '))).toBe(true);
    await expectUnharmed();
  });

  it('NUL bytes, alone and inside a command', async () => {
    const replies = await send('\0\r\nJO\0IN #room\r\nPING a\0\r\n\0\0\0\0\n', 4);
    expect(replies[0]).toMatch(/^ERR UNKNOWN_COMMAND /);
    expect(replies[1]).toMatch(/^ERR UNKNOWN_COMMAND /);
    expect(replies[2]).toBe('ERR BAD_SYNTAX PING token must be printable');
    expect(replies[3]).toMatch(/^ERR UNKNOWN_COMMAND /);
    await expectUnharmed();
  });

  it('0xFF bytes that are no telnet command, and invalid UTF-8', async () => {
    // (An IAC command would make this a telnet connection: gateway/transport/telnet.test.ts.)
    const replies = await send('\xff\x01\r\n\xff\xff\xff\xff\r\nREG \xc3\x28\r\n', 3);
    expect(replies[0]).toMatch(/^ERR UNKNOWN_COMMAND /);
    expect(replies[1]).toMatch(/^ERR UNKNOWN_COMMAND /);
    expect(replies[2]).toMatch(/^ERR BAD_HANDLE /);
    await expectUnharmed();
  });

  it('a line over 4096 bytes: LINE_TOO_LONG, the rest of the line is skipped', async () => {
    expect(await send(`${'A'.repeat(5000)}\r\n`, 1)).toEqual(['ERR LINE_TOO_LONG Line is longer than 4096 bytes']);
    // Exactly 4096 bytes is allowed (an unknown verb, but read as one line).
    expect(await send(`${'B'.repeat(4096)}\r\n`, 1)).toEqual([expect.stringMatching(/^ERR UNKNOWN_COMMAND /)]);
    // An over-long line that arrives in pieces, and a one-line MSG whose body makes it too long.
    for (let i = 0; i < 5; i++) bad.write('C'.repeat(3000));
    expect(await send('\r\n', 1)).toEqual(['ERR LINE_TOO_LONG Line is longer than 4096 bytes']);
    expect(await send(`MSG #room 5000\\r\\n${'D'.repeat(5000)}\r\n`, 1)).toEqual(['ERR LINE_TOO_LONG Line is longer than 4096 bytes']);
    await expectUnharmed();
  });

  it('negative, non-numeric, zero and missing lengths: answered at once, the body read as lines', async () => {
    const replies = await send('MSG #room -5\r\nhello\r\nMSG #room abc\r\nhello\r\nMSG #room 0\r\nMSG #room\r\n', 6);
    expect(replies).toEqual([
      'ERR BAD_LENGTH Body length must be a whole number of bytes',
      expect.stringMatching(/^ERR UNKNOWN_COMMAND /),
      'ERR BAD_LENGTH Body length must be a whole number of bytes',
      expect.stringMatching(/^ERR UNKNOWN_COMMAND /),
      'ERR BAD_LENGTH Body length must be at least 1',
      expect.stringMatching(/^ERR (BAD_LENGTH|BAD_SYNTAX) /),
    ]);
    await expectUnharmed();
  });

  it('huge lengths: BODY_TOO_LARGE; a body sent anyway is skipped, never run as commands', async () => {
    // Over the limit but plausible: the body (here, commands) is read and dropped.
    const body = 'LEAVE #room\r\n'.repeat(5042).slice(0, 65537);
    const replies = await send(`MSG #room 65537\r\n${body}\r\nMSG #room 99999999999999999999999999\r\nhi\r\n`, 3);
    expect(replies).toEqual([
      'ERR BODY_TOO_LARGE Body of 65537 bytes is over the 65536-byte limit; its bytes are skipped',
      // Past 1 MiB it cannot be a body: nothing is skipped, and the next line is a command.
      'ERR BODY_TOO_LARGE Body is larger than 65536 bytes',
      expect.stringMatching(/^ERR UNKNOWN_COMMAND /),
    ]);
    expect(await bad.cmd('USRS #room')).toEqual(['USR @bad online guest', 'USR @watcher online guest', 'END USRS 2']);
    // The largest body allowed goes through.
    const big = 'x'.repeat(65536);
    expect((await bad.cmd(`MSG #room 65536\r\n${big}\r\n`))[0]).toMatch(/^OK \d+ /);
    await watcher.until((f) => 'type' in f && f.type === 'MSG');
    expect(watcher.msgs.map((m) => m.body.length)).toEqual([65536]);
    expect(await bad.cmd('PING still-here')).toEqual(['PONG still-here']);
    expect(await watcher.settle()).toEqual([]);
  });

  it('a MSG to a bad name: its body is skipped, so commands in it do not run', async () => {
    const replies = await send('MSG bob 11\r\nLEAVE #room\r\nMSG #ro!om 4\r\nQUIT\r\n', 2);
    expect(replies).toEqual([
      'ERR BAD_TARGET Recipient must be a channel (#name) or a user (@name)',
      expect.stringMatching(/^ERR BAD_CHANNEL /),
    ]);
    expect(await bad.cmd('PING still-here')).toEqual(['PONG still-here']);
    expect(await watcher.settle()).toEqual([]);
  });

  it('a body shorter than its length, then a close: dropped; the server carries on', async () => {
    bad.write('MSG #room 100\r\nonly part of it');
    bad.end();
    await bad.waitClosed();
    expect(await watcher.settle()).toEqual(['OFFLINE @bad']);
    expect(await watcher.cmd('HISTORY #room')).toEqual(['END HISTORY 0']);
    const next = await user('@bad', '#room');
    expect(await next.cmd('PING ok')).toEqual(['PONG ok']);
    expect(await watcher.settle()).toEqual(['ONLINE @bad']);
  });

  it('commands before REG: NOT_REGISTERED, bodies still framed', async () => {
    const anon = await tcp();
    await anon.lines(1);
    anon.write('JOIN #room\r\nMSG #room 11\r\nJOIN #room\n\r\nHISTORY #room\r\nLEAVE #room\r\nMUTE\r\n');
    expect(await anon.lines(5)).toEqual(Array(5).fill('ERR NOT_REGISTERED Register first: REG @handle'));
    expect(await anon.cmd('PING ok')).toEqual(['PONG ok']);
    await expectUnharmed();
  });
});
