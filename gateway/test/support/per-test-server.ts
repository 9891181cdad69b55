import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { Config } from '../../config.ts';
import { startServer, type TestServer } from './server.ts';
import { TestClient } from './client.ts';

/**
 * A server per test, for a test file that calls this once at its top: `start(opts)` runs one
 * (over `defaults`), and the afterEach this registers destroys every client the test made
 * through it, then closes the server, then removes the test's temporary directories, so a
 * test that fails half-way leaves nothing open for the next.
 */
export function perTestServer(defaults: Partial<Config> = {}) {
  let current: TestServer | undefined;
  let lastOpts: Partial<Config> = {};
  /** Clients made through `user`, `tcp`, `exactUser` and `hold`, in order. */
  const clients: TestClient[] = [];
  /** Anything else a test opened that must go with it (a bare peer of its own). */
  const others: { destroy(): void }[] = [];
  const dirs: string[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    for (const o of others.splice(0)) o.destroy();
    await current?.close();
    current = undefined;
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  const server = (): TestServer => {
    if (!current) throw new Error('no server: the test calls start() first');
    return current;
  };
  const start = async (opts: Partial<Config> = {}): Promise<TestServer> => {
    lastOpts = opts;
    current = await startServer({ ...defaults, ...opts });
    return current;
  };
  const held = <T extends TestClient>(c: T): T => {
    clients.push(c);
    return c;
  };

  return {
    clients,
    server,
    start,
    /** The server closed now; the clients stay (as the server left them), for the test to look at or start again. */
    async close(): Promise<void> {
      await current?.close();
      current = undefined;
    },
    /** The clients gone and the server closed, then started again as it last was (its data kept, if on disk). */
    async restart(): Promise<TestServer> {
      for (const c of clients.splice(0)) c.destroy();
      await current?.close();
      current = undefined;
      return start(lastOpts);
    },
    /** A directory of its own for this test (a `dataDir`), removed after the server closes. */
    tempDir(prefix: string): string {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
    /** Signed in as `handle` (`@h` or `@h password`) and in `channels`: TestClient.user. */
    user: async (handle: string, ...channels: string[]): Promise<TestClient> =>
      held(await TestClient.user(server().tcpPort, handle, ...channels)),
    /** A bare TCP connection from `from` (127.0.0.1 unless given), nothing read yet. */
    tcp: async (from?: string): Promise<TestClient> => held(await TestClient.tcp(server().tcpPort, from)),
    /**
     * Signed in as a program (MODE exact), in `channels`; everyone else read past what that
     * told them, so each test's next reply is its own.
     */
    async exactUser(reg: string, ...channels: string[]): Promise<TestClient> {
      const c = held(await TestClient.user(server().tcpPort, reg));
      await c.ok('MODE exact');
      for (const ch of channels) await c.ok(`JOIN ${ch}`);
      for (const other of clients) await other.settle();
      return c;
    },
    /** Every client read past what it has been told so far. */
    async settleAll(): Promise<void> {
      for (const c of clients) await c.settle();
    },
    /** A client made elsewhere (on another server, or a server in a child process), kept among the clients. */
    hold: held,
    /** Destroyed after the test with the clients. */
    track<T extends { destroy(): void }>(thing: T): T {
      others.push(thing);
      return thing;
    },
  };
}
