import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './test-server.ts';
import { TestClient } from './test-client.ts';

// Password guessing is limited per account across addresses, without locking the owner out,
// and claiming new handles is limited per address. Clients come from several loopback
// addresses (127.0.0.x), as people behind different networks do.

let server: TestServer;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server.close();
});

async function from(address: string): Promise<TestClient> {
  const c = await TestClient.tcp(server.tcpPort, address);
  clients.push(c);
  await c.next(); // HELLO
  return c;
}

/** One attempt from a fresh connection at `address`: the reply, and the connection closed. */
async function attempt(address: string, line: string): Promise<string> {
  const c = await from(address);
  const [reply] = await c.cmd(line);
  c.destroy();
  return reply;
}

const code = (reply: string) => reply.split(' ').slice(0, 2).join(' ');

describe('sign-in limits', () => {
  it('guesses from many addresses are limited per account; the address the owner signs in from is not', async () => {
    server = await startServer();
    expect(await attempt('127.0.0.2', 'REG @vault open-sesame')).toBe('OK');
    const answers: string[] = [];
    for (let i = 0; i < 14; i++) answers.push(code(await attempt(`127.0.0.${10 + i}`, `REG @vault guess${i}`)));
    // One guess per address would never trip a per-address limit; the account's does.
    expect(answers.slice(0, 10)).toEqual(Array(10).fill('ERR WRONG_PASSWORD'));
    expect(answers.slice(10)).toEqual(Array(4).fill('ERR RATE_LIMITED'));
    // The owner, from where they signed in before, still gets in ...
    expect(await attempt('127.0.0.2', 'REG @vault open-sesame')).toBe('OK');
    // ... while an address the account has never signed in from waits like the guessers.
    expect(await attempt('127.0.0.99', 'REG @vault open-sesame')).toMatch(/^ERR RATE_LIMITED Too many attempts; wait \d+ s$/);
  });

  it('a stranger guessing other accounts from the owner\'s address does not lock the owner out', async () => {
    server = await startServer();
    for (const h of ['@a', '@b', '@c', '@d', '@e']) expect(await attempt('127.0.0.4', `REG ${h} their-secret`)).toBe('OK');
    expect(await attempt('127.0.0.3', 'REG @mine my-secret')).toBe('OK');
    // Behind the same NAT (the same address), someone guesses at the other accounts.
    const stranger = await from('127.0.0.3');
    const answers: string[] = [];
    for (const h of ['@a', '@b', '@c', '@d', '@e']) answers.push(code((await stranger.cmd(`REG ${h} guess`))[0]));
    expect(answers).toEqual(['ERR WRONG_PASSWORD', 'ERR WRONG_PASSWORD', 'ERR WRONG_PASSWORD', 'ERR RATE_LIMITED', 'ERR RATE_LIMITED']);
    expect(await attempt('127.0.0.3', 'REG @mine my-secret')).toBe('OK');
  });

  it('claims of new handles are limited per address; guest handles and other addresses are not', async () => {
    server = await startServer({ claimsPerHour: 3 });
    for (const h of ['@c1', '@c2', '@c3']) expect(await attempt('127.0.0.5', `REG ${h} secret`)).toBe('OK');
    expect(await attempt('127.0.0.5', 'REG @c4 secret')).toMatch(/^ERR RATE_LIMITED Too many new claims from your address; wait \d+ s$/);
    expect(await attempt('127.0.0.5', 'REG @c4')).toBe('OK');
    expect(await attempt('127.0.0.6', 'REG @c5 secret')).toBe('OK');
    // Signing in to a handle already claimed is not a new claim.
    expect(await attempt('127.0.0.5', 'REG @c1 secret')).toBe('OK');
  });
});
