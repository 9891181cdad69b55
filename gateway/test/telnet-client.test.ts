/**
 * People on Debian's real `telnet` client, in tmux, on a real server (issue 15, item 1): the
 * client's own control codes (Ctrl-C, and the 8-bit bytes of `✓` and `”` that it reads as
 * keys) must neither freeze the typist's session, nor reach the store as 0xFF bytes, nor
 * disconnect a bystander. What is asserted is what each person's screen shows.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './support/server.ts';
import { TelnetTerminal } from './support/telnet-terminal.ts';
import { TestClient } from './support/client.ts';
import { fromUtf8 } from '../../core/index.ts';

/** An answer to a MSG or SAY: the message's id and time. */
const POSTED = /^OK \d+ \S+Z$/;

let server: TestServer;
const terminals: TelnetTerminal[] = [];
const clients: TestClient[] = [];

beforeEach(async () => {
  server = await startServer();
});

afterEach(async () => {
  for (const t of terminals.splice(0)) await t.close();
  for (const c of clients.splice(0)) c.destroy();
  await server.close();
});

/** A person on telnet, signed in as `handle` and in #general. */
async function person(handle: string): Promise<TelnetTerminal> {
  const t = await TelnetTerminal.open(server.tcpPort, handle);
  terminals.push(t);
  expect(await t.command(`REG ${handle}`)).toBe('OK');
  expect(await t.command('JOIN #general')).toBe('OK');
  return t;
}

/** A program in #general that keeps every body as bytes. */
async function program(): Promise<TestClient> {
  const c = await TestClient.user(server.tcpPort, '@bot', '#general');
  clients.push(c);
  return c;
}

describe('Debian telnet, in tmux', () => {
  it('Ctrl-C drops the line being typed, and the session goes on showing output', async () => {
    const tess = await person('@tess');
    const bob = await person('@bob');
    const bot = await program();
    await tess.typeOnly('SAY #general oops');
    await tess.keys('C-c');
    // The client now sends IAC IP IAC DO TIMING-MARK and shows nothing more until the server
    // answers the DO: a later SAY's OK on the typist's screen is the proof.
    expect(await tess.command('SAY #general after ctrl-c')).toMatch(POSTED);
    expect(await tess.command('SAY #general and again')).toMatch(POSTED);
    await bob.waitFor('and again');
    const seen = await bob.screen();
    expect(seen).toContain('after ctrl-c');
    expect(seen).not.toContain('oops');
    await bot.waitFor(() => bot.msgs.some((m) => fromUtf8(m.body) === 'and again'), 'and again');
    expect(bot.msgs.map((m) => fromUtf8(m.body))).toEqual(['after ctrl-c', 'and again']);
  });

  it('typing é, ✓ and ” never stores a 0xFF byte, never freezes the typist, and the bystander stays and reads', async () => {
    const tess = await person('@tess');
    const bob = await person('@bob');
    const bot = await program();
    // é (C3 A9): no byte the client takes for a key, before or after it speaks telnet.
    expect(await tess.command('SAY #general café')).toMatch(POSTED);
    await bob.waitFor('café');
    // ✓ (E2 9C 93) as the first 8-bit character: until the server has asked for BINARY the
    // client strips the 8th bit looking for its keys, and 0x9C is Ctrl-\ (quit), so it sends
    // `SAY #general tick \xE2`, IAC BRK IAC DO TIMING-MARK, then `\x93 done`. A key pressed in
    // the middle of a character is that byte: the server puts the 0x9C back, answers the
    // timing mark and asks for BINARY, and the line is posted as typed.
    expect(await tess.command('SAY #general tick ✓ done')).toMatch(POSTED);
    await bob.waitFor('tick ✓ done');
    // From then on the client sends 8-bit bytes as they are: ✓ and ” (E2 80 9D: 0x9D is the
    // client's escape key, Ctrl-]) arrive whole.
    expect(await tess.command('SAY #general ✓ and ” now')).toMatch(POSTED);
    expect(await tess.command('SAY #general café ✓ ”')).toMatch(POSTED);
    await bob.waitFor('café ✓ ”');
    expect(await bob.screen()).toContain('✓ and ” now');
    // The bystander's client was sent no IAC, so it answered none: it has no half line with
    // the server (which 30 s later would have been BYE TIMEOUT), and its next SAY is answered.
    expect(await bob.command('SAY #general still here')).toMatch(POSTED);
    expect(await bob.screen()).not.toMatch(/^BYE /m);
    await tess.waitFor('still here');
    // What was stored is what was typed, without a 0xFF byte.
    await bot.waitFor(() => bot.msgs.some((m) => fromUtf8(m.body) === 'still here'), 'still here');
    expect(bot.msgs.map((m) => fromUtf8(m.body))).toEqual(['café', 'tick ✓ done', '✓ and ” now', 'café ✓ ”', 'still here']);
    for (const m of bot.msgs) expect(m.body.includes(0xff)).toBe(false);
  });

  it('a telnet user reads a 0xFF byte a program sent without their client taking it for a command', async () => {
    const tess = await person('@tess');
    const bot = await program();
    // Tess's client speaks telnet (Ctrl-C), so the server escapes 0xFF to her as IAC IAC.
    await tess.keys('C-c');
    expect(await tess.command('SAY #general ready')).toMatch(POSTED);
    // A body with IAC DO TIMING-MARK in it, as a program may send any bytes.
    const answer = await bot.cmd(new Uint8Array([...Buffer.from('MSG #general 9\r\nab'), 0xff, 0xfd, 0x06, ...Buffer.from('cd'), 0xff, 0x0a, 0x0d, 0x0a]));
    expect(answer.at(-1)).toMatch(POSTED);
    await tess.waitFor(/ab[^\n]*cd/);
    expect(await tess.command('SAY #general after the bytes')).toMatch(POSTED);
    expect(await tess.screen()).not.toMatch(/^BYE /m);
  });
});
