/**
 * Files on several nodes (docs/CLUSTER.md, "Files"): two node processes on one PostgreSQL and
 * one Redis. A file uploaded through one node is fetched through the other by whoever may
 * read the conversation it was shared in, and by nobody else; a user's quota counts the
 * files kept through every node.
 */
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, startRedis, type TestPostgres, type TestRedis } from './support/services.ts';
import { TestClient, isMsg, msg } from './support/client.ts';
import { eventually, streamUpload, uploaded } from './support/files.ts';
import { startCluster, type Cluster } from './cluster/test-cluster.ts';

const KiB = 1024;
let pg: TestPostgres;
let redis: TestRedis;
let cluster: Cluster;
const clients: TestClient[] = [];

beforeAll(async () => {
  [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  cluster = await startCluster({
    nodes: 2, databaseUrl: pg.url, redisUrl: redis.url,
    extraArgs: ['--msg-rate', '0', '--log-level', 'warn', '--file-quota', '1M', '--file-upload-rate', '0'],
  });
}, 90_000);
afterAll(async () => {
  await cluster?.stop();
  await Promise.allSettled([redis?.stop(), pg?.stop()]);
});
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});

const base = (i: number) => `http://127.0.0.1:${cluster.nodes[i].httpPort}`;

/** A telnet user on node `i` with a password, in these channels, and its session token. */
async function user(i: number, reg: string, ...channels: string[]): Promise<{ c: TestClient; token: string }> {
  const c = await TestClient.user(cluster.nodes[i].tcpPort, reg, ...channels);
  clients.push(c);
  const [ok] = await c.cmd('TOKEN');
  expect(ok).toMatch(/^OK \S{43} /);
  return { c, token: ok.split(' ')[1] };
}

function upload(i: number, token: string, name: string, bytes: Buffer, type = 'application/octet-stream'): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)], { type }), name);
  return fetch(`${base(i)}/files`, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } });
}

const get = (i: number, path: string, token: string) => fetch(base(i) + path, { headers: { authorization: `Bearer ${token}` } });

describe('files on two nodes', () => {
  it('a file uploaded through node 1 and shared there is fetched through node 2 by a member, and is 404 to a non-member', async () => {
    const jane = await user(0, '@jane s3cret-pass', '#pics');
    const kim = await user(1, '@kim k1m-password', '#pics');
    const bob = await user(1, '@bob b0b-password');
    // Several chunks' worth, so the bytes cross nodes in more than one piece.
    const bytes = Buffer.from(Array.from({ length: 600 * KiB }, (_, i) => (i * 7) % 251));
    const file = await uploaded(await upload(0, jane.token, 'trace.log', bytes));
    // Not shared yet: only its uploader may read it, through either node.
    expect((await get(1, file.url, jane.token)).status).toBe(200);
    expect((await get(1, file.url, kim.token)).status).toBe(404);
    await jane.c.ok(msg('#pics', `the trace\n${base(0)}${file.url}`));
    await kim.c.until((f) => isMsg(f) && f.target === '#pics');
    const res = await get(1, file.url, kim.token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="trace.log"/);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);
    expect(await (await get(1, `/files/${file.id}/meta`, kim.token)).json()).toMatchObject({ id: file.id, name: 'trace.log', size: bytes.length });
    // Bob is in no conversation that shared it: the same 404 as for no file at all.
    const denied = await get(1, file.url, bob.token);
    expect(denied.status).toBe(404);
    expect(await denied.json()).toMatchObject({ code: 'NOT_FOUND' });
    expect((await get(0, file.url, bob.token)).status).toBe(404);
  });

  it('the quota counts a user\'s files kept through every node; deleting the message on node 2 frees it on node 1', async () => {
    const ann = await user(0, '@ann ann-password', '#quota');
    await user(1, '@ann ann-password');
    const annOn2 = clients.at(-1)!;
    const [tokenOn2] = (await annOn2.cmd('TOKEN'))[0].split(' ').slice(1);
    const first = await uploaded(await upload(0, ann.token, 'a.bin', Buffer.alloc(700 * KiB, 1)));
    // 700 KiB kept through node 1: node 2 refuses another 700 KiB (the quota is 1 MiB).
    // (Refused from its Content-Length, before the body: only the head is sent.)
    const over = await streamUpload(base(1), tokenOn2, [], 700 * KiB);
    expect(over).toMatchObject({ status: 413, body: { code: 'QUOTA_EXCEEDED' } });
    const ok = await ann.c.ok(msg('#quota', `${base(0)}${first.url}`));
    const id = Number(ok.split(' ')[1]);
    // The share is recorded as the message is published: a member sees the file once it is.
    const ray = await user(1, '@ray ray-password', '#quota');
    await eventually(async () => (await get(1, first.url, ray.token)).status === 200, 'the share recorded');
    await annOn2.ok(`DELETE #quota ${id}`);
    await eventually(async () => (await get(0, first.url, ann.token)).status === 404, 'the file removed with its message');
    expect((await upload(1, tokenOn2, 'b.bin', Buffer.alloc(700 * KiB, 2))).status).toBe(201);
  });

  it('a big photo taken through node 1 is served through node 2 without its EXIF, and so is its thumbnail', async () => {
    const lea = await user(0, '@lea lea-password', '#photos');
    const max = await user(1, '@max max-password', '#photos');
    const photo = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#3a6' } })
      .jpeg().withExif({ IFD0: { Make: 'PhoneCo' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 2643/100' } }).toBuffer();
    const file = await uploaded(await upload(0, lea.token, 'beach.jpg', photo, 'image/jpeg'));
    expect(file).toMatchObject({ type: 'image/jpeg', width: 1600, height: 1200, thumb: `/files/${file.id}/thumb` });
    await lea.c.ok(msg('#photos', `${base(0)}${file.url}`));
    await max.c.until((f) => isMsg(f) && f.target === '#photos');
    const full = await get(1, file.url, max.token);
    expect(full.status).toBe(200);
    const served = await sharp(Buffer.from(await full.arrayBuffer())).metadata();
    expect([served.format, served.width, served.exif]).toEqual(['jpeg', 1600, undefined]);
    const thumb = await get(1, file.thumb!, max.token);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    expect(await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()).toMatchObject({ format: 'webp', width: 640, height: 480 });
  });
});
