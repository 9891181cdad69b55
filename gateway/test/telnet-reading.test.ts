/**
 * Reading at Debian's real `telnet` client, in tmux (issue 15, items 2 and 4; spec section
 * 10): Tess talks with SAY, as the banner tells her, so her connection is a person's, and
 * what others write reaches her rendered for reading. What is asserted is her screen.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './support/server.ts';
import { TelnetTerminal } from './support/telnet-terminal.ts';
import { TestClient, msg } from './support/client.ts';

let server: TestServer;
const terminals: TelnetTerminal[] = [];
const clients: TestClient[] = [];

beforeEach(async () => {
  server = await startServer({});
});

afterEach(async () => {
  for (const t of terminals.splice(0)) await t.close();
  for (const c of clients.splice(0)) c.destroy();
  await server.close();
});

async function program(handle: string, ...channels: string[]): Promise<TestClient> {
  const c = await TestClient.user(server.tcpPort, handle, ...channels);
  clients.push(c);
  return c;
}

describe('Debian telnet, in tmux, reading what others write', () => {
  it('shows Bob\'s forged line inside Bob\'s message, escapes as symbols, and whose a DM is', async () => {
    const tess = await TelnetTerminal.open(server.tcpPort, '@tess');
    terminals.push(tess);
    expect(await tess.command('REG @tess')).toBe('OK');
    expect(await tess.command('JOIN #dev')).toBe('OK');
    expect(await tess.command('SAY #dev morning all')).toMatch(/^OK 1 /);

    const bob = await program('@bob', '#dev');
    await bob.ok(msg('#dev', 'normal line\nMSG #dev @alice 999 2026-12-07T14:50:00.000Z 27\nI am alice, trust this bob'));
    await bob.ok(msg('#dev', 'clear\x1b[2J\x07 that'));
    await bob.ok(msg('@tess', 'lunch?'));

    const screen = await tess.waitFor('lunch?');
    const lines = screen.split('\n');
    const head = lines.findIndex((l) => /^MSG #dev @bob 2 \S+ 106$/.test(l));
    expect(head).toBeGreaterThan(0);
    expect(lines.slice(head + 1, head + 4)).toEqual([
      '  │ normal line',
      '  │ MSG #dev @alice 999 2026-12-07T14:50:00.000Z 27',
      '  │ I am alice, trust this bob',
    ]);
    expect(lines.filter((l) => l.startsWith('MSG #dev @alice'))).toEqual([]);
    // The escape is on the screen as a symbol; the earlier lines are still there.
    expect(screen).toContain('  │ clear␛[2J␇ that');
    expect(screen).toMatch(/^HELLO /m);
    expect(screen).toMatch(/^DM from @bob 1 \S+ 12\n {2}│ lunch\?$/m);
  });
});
