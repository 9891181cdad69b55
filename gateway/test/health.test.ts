/**
 * `/healthz` answers whether the server is up and nothing more (spec §9): anyone who can reach
 * the port can ask, so the store's path and the connection counts stay out of the answer
 * unless an operator turns on `--health-details`.
 */
import { describe, expect, it } from 'vitest';
import type { Config } from '../config.ts';
import type { SqliteStore } from '../store/sqlite-store.ts';
import type { TestServer } from './support/server.ts';
import { perTestServer } from './support/per-test-server.ts';
import { msg } from './support/client.ts';

const perTest = perTestServer();
const { user } = perTest;

async function start(opts: Partial<Config>): Promise<{ server: TestServer; dataDir: string }> {
  const dataDir = perTest.tempDir('slck-health-');
  return { server: await perTest.start({ dataDir, ...opts }), dataDir };
}

async function health(s: TestServer): Promise<{ status: number; text: string }> {
  const res = await fetch(`${s.httpUrl}/healthz`);
  return { status: res.status, text: await res.text() };
}

describe('/healthz', () => {
  it('says ok, and that the store is and there is no bus: no database path, no counts', async () => {
    const { server: s, dataDir } = await start({});
    const jane = await user('@jane');
    const { status, text } = await health(s);
    expect(status).toBe(200);
    expect(JSON.parse(text)).toEqual({ status: 'ok', store: 'ok', bus: 'none' });
    expect(text).not.toContain(dataDir);
    expect(text).not.toContain('slck.db');
  });

  it('answers 503 unavailable while the store cannot commit, and ok again once it can', async () => {
    const { server: s } = await start({});
    const jane = await user('@jane', '#disk');
    const db = (s.server.store as SqliteStore).db;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    expect(await jane.cmd(msg('#disk', 'x'.repeat(60_000)))).toEqual(['ERR STORE_FAILED Message to #disk was not stored; try again']);
    expect(await health(s)).toEqual({ status: 503, text: '{"status":"unavailable","store":"unavailable","bus":"none"}' });

    db.pragma('max_page_count = 1073741823');
    await jane.ok(msg('#disk', 'fits again'));
    expect(await health(s)).toEqual({ status: 200, text: '{"status":"ok","store":"ok","bus":"none"}' });
  });

  it('shows the details to an operator who asks for them with --health-details', async () => {
    const { server: s, dataDir } = await start({ healthDetails: true });
    const jane = await user('@jane');
    const { status, text } = await health(s);
    expect(status).toBe(200);
    const body = JSON.parse(text);
    expect(body).toMatchObject({ status: 'ok', version: '0.1.0', protocol: '1', users: 1, connections: { tcp: 1, ws: 0 } });
    expect(body.store).toContain(dataDir);
  });
});
