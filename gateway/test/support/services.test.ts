import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createClient } from 'redis';
import { startPostgres, startRedis, type TestPostgres, type TestRedis } from './services.ts';

// The real servers the multi-node tests run on: they start on free ports, keep what they
// commit across a crash (PostgreSQL), and can be stalled and killed (Redis).

let postgres: TestPostgres;
let redis: TestRedis;

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
});
afterAll(async () => {
  await Promise.all([postgres?.stop(), redis?.stop()]);
});

describe('test services', () => {
  it('PostgreSQL runs with fsync and synchronous commit on, and keeps a commit across a crash', async () => {
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    const settings = await client.query("SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit') ORDER BY name");
    expect(settings.rows).toEqual([{ name: 'fsync', setting: 'on' }, { name: 'synchronous_commit', setting: 'on' }]);
    await client.query('CREATE TABLE kept (v text)');
    await client.query("INSERT INTO kept VALUES ('committed')");
    client.on('error', () => {}); // the crash below ends this connection
    await postgres.crash();
    await postgres.start();
    const again = new pg.Client({ connectionString: postgres.url });
    await again.connect();
    expect((await again.query('SELECT v FROM kept')).rows).toEqual([{ v: 'committed' }]);
    await again.end();
  });

  it('Redis answers, and comes back empty after a kill', async () => {
    const client = createClient({ url: redis.url });
    client.on('error', () => {});
    await client.connect();
    await client.set('k', 'v');
    expect(await client.get('k')).toBe('v');
    client.destroy();
    await redis.kill();
    await redis.start();
    const again = createClient({ url: redis.url });
    await again.connect();
    expect(await again.get('k')).toBeNull();
    again.destroy();
  });
});
