import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { msg } from './support/client.ts';
import { eventually, streamUpload, uploaded, useFilesBench } from './support/files.ts';

// What the server holds for files is bounded and let go: the size of one, a user's quota, the
// upload rate, files nobody shared, files of deleted messages (docs/PROTOCOL.md, "Files").

const bench = useFilesBench();
const KiB = 1024;

describe('files: limits', () => {
  it('an oversize upload is refused from its Content-Length before the body is sent, and nothing is kept', async () => {
    const b = await bench({ maxFileSize: 64 * KiB });
    const { token } = await b.user('@jane s3cret-pass');
    // Only the head is sent: the answer must come without the body.
    const res = await streamUpload(b.server.httpUrl, token, [], 1600 * KiB);
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ code: 'FILE_TOO_LARGE', message: 'The file is larger than 64 KiB, the most this server takes' });
    expect(b.onDisk()).toEqual({ files: [], tmp: [] });
    // Past the quota is refused as early.
    const small = await bench({ fileQuota: 64 * KiB });
    const kim = await small.user('@kim k1m-password');
    expect((await streamUpload(small.server.httpUrl, kim.token, [], 100 * KiB)).body).toMatchObject({ code: 'QUOTA_EXCEEDED' });
  });

  it('an oversize upload without a Content-Length is cut off while it streams, and the partial file removed', async () => {
    const b = await bench({ maxFileSize: 64 * KiB });
    const { token } = await b.user('@jane s3cret-pass');
    const chunks = Array.from({ length: 100 }, () => Buffer.alloc(16 * KiB, 2));
    const res = await streamUpload(b.server.httpUrl, token, chunks);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: 'FILE_TOO_LARGE' });
    expect(res.sent).toBeLessThan(chunks.length);
    expect(b.onDisk()).toEqual({ files: [], tmp: [] });
    // A file of exactly the limit is taken.
    const exact = await uploaded(await b.upload(token, 'exact.bin', Buffer.alloc(64 * KiB, 3)));
    expect(exact.size).toBe(64 * KiB);
  });

  it('an upload the client cancels halfway leaves nothing behind', async () => {
    const b = await bench();
    const { token } = await b.user('@jane s3cret-pass');
    const boundary = 'x-slck-boundary';
    const req = http.request(`${b.server.httpUrl}/files`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    req.on('error', () => {});
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.bin"\r\n\r\n`);
    req.write(Buffer.alloc(256 * KiB, 9));
    const tmp = path.join(b.dir, 'files', 'tmp');
    await eventually(() => fs.readdirSync(tmp).length === 1, 'the upload begun on disk');
    req.destroy();
    await eventually(() => fs.readdirSync(tmp).length === 0, 'the partial file removed');
    expect(b.onDisk()).toEqual({ files: [], tmp: [] });
    // An empty file is a file.
    expect(await uploaded(await b.upload(token, 'empty.txt', Buffer.alloc(0)))).toMatchObject({ size: 0, type: 'text/plain; charset=utf-8' });
  });

  it('an upload that stalls is cut off after --line-timeout-ms, and its partial file removed', async () => {
    const b = await bench({ lineTimeoutMs: 300 });
    const { token } = await b.user('@jane s3cret-pass');
    const req = http.request(`${b.server.httpUrl}/files`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'multipart/form-data; boundary=xx' },
    });
    const closed = new Promise<void>((resolve) => req.on('error', () => resolve()).on('close', () => resolve()));
    req.write('--xx\r\nContent-Disposition: form-data; name="file"; filename="slow.bin"\r\n\r\n');
    req.write(Buffer.alloc(64 * KiB, 5));
    await eventually(() => b.onDisk().tmp.length === 1, 'the upload begun on disk');
    // Nothing more is sent: the server closes the connection and lets the file go.
    await closed;
    await eventually(() => b.onDisk().tmp.length === 0, 'the partial file removed');
  });

  it('a user\'s files stay within the quota; deleting the message that shared one frees its room', async () => {
    const b = await bench({ fileQuota: 100 * KiB });
    const jane = await b.user('@jane s3cret-pass', '#dev');
    const kim = await b.user('@kim k1m-password');
    const first = await uploaded(await b.upload(jane.token, 'a.bin', Buffer.alloc(60 * KiB)));
    const over = await b.upload(jane.token, 'b.bin', Buffer.alloc(60 * KiB));
    expect(over.status).toBe(413);
    expect(await over.json()).toEqual({ code: 'QUOTA_EXCEEDED', message: 'Your files would pass your 100 KiB quota; delete messages that share old ones first' });
    expect(b.onDisk().files).toEqual([first.id, `${first.id}.json`].sort());
    // Another user's quota is their own.
    await uploaded(await b.upload(kim.token, 'k.bin', Buffer.alloc(60 * KiB)));
    const id = (await jane.c.ok(msg('#dev', first.url))).split(' ')[1];
    await jane.c.ok(`DELETE #dev ${id}`);
    await eventually(async () => (await b.upload(jane.token, 'b.bin', Buffer.alloc(60 * KiB))).status === 201, 'room after the delete');
  });

  it('a user may start only so many uploads a minute', async () => {
    const b = await bench({ fileUploadRate: 2 });
    const { token } = await b.user('@jane s3cret-pass');
    await uploaded(await b.upload(token, 'a', Buffer.from('a')));
    await uploaded(await b.upload(token, 'b', Buffer.from('b')));
    const res = await b.upload(token, 'c', Buffer.from('c'));
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({ code: 'TOO_MANY_UPLOADS', message: 'You can upload 2 files a minute; wait a moment' });
    const other = await b.user('@kim k1m-password');
    await uploaded(await b.upload(other.token, 'k', Buffer.from('k')));
  });
});

describe('files: removal', () => {
  it('a file no message shared in time is removed; a shared one stays', async () => {
    const b = await bench({ unsharedFileTtlMs: 1_000 });
    const jane = await b.user('@jane s3cret-pass', '#dev');
    const lonely = await uploaded(await b.upload(jane.token, 'lonely.txt', Buffer.from('nobody')));
    const kept = await uploaded(await b.upload(jane.token, 'kept.txt', Buffer.from('shared')));
    await jane.c.ok(msg('#dev', kept.url));
    await eventually(async () => (await b.get(lonely.url, { token: jane.token })).status === 404, 'the unshared file removed');
    await eventually(() => b.onDisk().files.length === 2, 'its bytes and sidecar gone from disk');
    expect(b.onDisk()).toEqual({ files: [kept.id, `${kept.id}.json`].sort(), tmp: [] });
    expect((await b.get(kept.url, { token: jane.token })).status).toBe(200);
  });

  it('deleting a message removes the files only it shared, once the delete has committed', async () => {
    const b = await bench();
    const jane = await b.user('@jane s3cret-pass', '#dev');
    const kim = await b.user('@kim k1m-password', '#dev');
    const both = await uploaded(await b.upload(jane.token, 'both.txt', Buffer.from('twice')));
    const once = await uploaded(await b.upload(jane.token, 'once.txt', Buffer.from('once')));
    const first = (await jane.c.ok(msg('#dev', `${both.url}\n${once.url}`))).split(' ')[1];
    const second = (await jane.c.ok(msg('#dev', `again\n${both.url}`))).split(' ')[1];
    await jane.c.ok(`DELETE #dev ${first}`);
    await eventually(async () => (await b.get(once.url, { token: kim.token })).status === 404, 'the file only it shared removed');
    expect((await b.get(once.url, { token: jane.token })).status).toBe(404);
    expect((await b.get(both.url, { token: kim.token })).status).toBe(200);
    await jane.c.ok(`DELETE #dev ${second}`);
    await eventually(() => b.onDisk().files.length === 0, 'the last file removed from disk');
  });

  it('files and their shares survive a restart', async () => {
    const b = await bench();
    const jane = await b.user('@jane s3cret-pass', '#dev');
    const f = await uploaded(await b.upload(jane.token, 'keep.txt', Buffer.from('durable')));
    await jane.c.ok(msg('#dev', f.url));
    jane.c.destroy();
    const { dataDir } = { dataDir: b.dir };
    await b.server.close();
    const again = await bench({ dataDir });
    const kim = await again.user('@kim k1m-password', '#dev');
    const res = await again.get(f.url, { token: kim.token });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('durable');
  });
});
