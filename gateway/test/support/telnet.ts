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
