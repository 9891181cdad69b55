import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TestClient, spawnServer, type ServerProcess } from './support/client.ts';

// Seed 002's graceful stop, on the real program: SIGTERM tells every client BYE SHUTDOWN,
// closes them, prints the per-user summary and exits 0; the log file is appended to.

const dir = mkdtempSync(join(tmpdir(), 'slck-shutdown-'));
const logFile = join(dir, 'chat.log');
let child: ServerProcess | undefined;
const clients: TestClient[] = [];

afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
  if (child && child.proc.exitCode === null) child.proc.kill('SIGKILL');
  child = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One server run: two users talk, then `stopWith`. Returns what the process printed. */
async function oneRun(stopWith: NodeJS.Signals = 'SIGTERM'): Promise<string> {
  child = await spawnServer(['--memory', '--tcp-port', '0', '--http-port', '0', '--log-file', logFile]);
  const jane = await TestClient.user(child.tcpPort, '@jane', '#general');
  const john = await TestClient.user(child.tcpPort, '@john', '#general');
  clients.push(jane, john);
  for (let i = 0; i < 3; i++) await jane.ok(`MSG #general 5\r\nhey ${i}`);
  await john.ok('MSG @jane 3\r\nyo!');
  await john.ok('MUTE');
  expect(await john.cmd('MSG #general 4\r\nshh.')).toEqual(['OK MUTED 1']);
  await john.waitFor(() => john.msgs.length === 3, 'three messages');
  await jane.waitFor(() => jane.msgs.length === 1, 'one message');

  child.proc.kill(stopWith);
  for (const c of [jane, john]) {
    const bye = await c.until((f) => 'type' in f && f.type === 'BYE');
    expect(bye).toMatchObject({ type: 'BYE', reason: 'SHUTDOWN', text: 'Server is shutting down' });
    await c.waitClosed();
  }
  const { code, signal } = await child.exited;
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  return child.stdout();
}

describe('graceful shutdown', () => {
  it('says BYE SHUTDOWN, closes, prints the summary and exits 0; the log file is appended', async () => {
    const out = await oneRun();
    expect(out).toMatch(/^Client +Address +Via +User +Sent +Muted +Left by$/m);
    expect(out).toMatch(/^c\d+ +127\.0\.0\.1:\d+ +tcp +@jane +3 +0 +shutdown$/m);
    expect(out).toMatch(/^c\d+ +127\.0\.0\.1:\d+ +tcp +@john +1 +1 +shutdown$/m);
    const firstLog = readFileSync(logFile, 'utf8');
    expect(firstLog.match(/connection summary/g)).toHaveLength(1);
    expect(firstLog).toMatch(/@jane +3 +0 +shutdown/);

    await oneRun();
    const bothLogs = readFileSync(logFile, 'utf8');
    expect(bothLogs.startsWith(firstLog)).toBe(true);
    expect(bothLogs.match(/connection summary/g)).toHaveLength(2);
    expect(bothLogs.match(/signal received, shutting down/g)).toHaveLength(2);
  });

  it('a terminal hanging up (SIGHUP, without TLS to reload) stops it the same graceful way', async () => {
    const out = await oneRun('SIGHUP');
    expect(out).toMatch(/^c\d+ +127\.0\.0\.1:\d+ +tcp +@jane +3 +0 +shutdown$/m);
  });
});
