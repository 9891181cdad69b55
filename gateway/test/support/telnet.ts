import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { startServer, type TestServer } from './server.ts';
import { TestClient } from './client.ts';

/**
 * A real server on a fresh SQLite file for each test of a file, and telnet users on it: what
 * the read-state, session and topic tests share. `restart` reopens the same file, as an
 * operator's restart would, and drops the clients of before.
 */
export type TelnetBench = {
  readonly server: TestServer;
  /** Connected, banner read, not signed in. */
  connect(): Promise<TestClient>;
  /** Signed in with `reg` (`@jane` or `@jane <password>`) and in these channels. */
  user(reg: string, ...channels: string[]): Promise<TestClient>;
  readonly clients: TestClient[];
  restart(): Promise<void>;
};

export function useTelnetServer(prefix: string): TelnetBench {
  let server: TestServer | undefined;
  let dir = '';
  const clients: TestClient[] = [];
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `slck-${prefix}-`));
    server = await startServer({ dataDir: dir });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    get server() {
      return server!;
    },
    clients,
    async connect() {
      const c = await TestClient.tcp(server!.tcpPort);
      clients.push(c);
      await c.lines(1);
      return c;
    },
    async user(reg, ...channels) {
      const c = await TestClient.user(server!.tcpPort, reg, ...channels);
      clients.push(c);
      return c;
    },
    async restart() {
      await server!.close();
      for (const c of clients.splice(0)) c.destroy();
      server = await startServer({ dataDir: dir });
    },
  };
}

/**
 * Signed in on the bench as a program (MODE exact: SAY, RE and FIX are read back as exact
 * frames, not rendered for a person), and every client of the bench past the JOINED and
 * ONLINE lines that signing in sent them.
 */
export async function programUser(bench: TelnetBench, reg: string, ...channels: string[]): Promise<TestClient> {
  const c = await bench.user(reg, ...channels);
  await c.ok('MODE exact');
  for (const other of bench.clients) await other.settle();
  return c;
}

/** Lines with each ISO time read as TS: times vary from run to run. */
export const noTs = (lines: string[]): string[] => lines.map((l) => l.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, 'TS'));

/** The id of an `OK <id> <ts>` line. */
export const idOf = (ok: string): number => Number(ok.split(' ')[1]);

