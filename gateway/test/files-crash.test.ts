import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnServer, TestClient, type ServerProcess } from './support/client.ts';
import { eventually, uploaded } from './support/files.ts';

// kill -9 during an upload, with the real server as its own process on a real SQLite data dir.

let child: ServerProcess | undefined;
const dirs: string[] = [];
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  if (child && child.proc.exitCode === null) child.proc.kill('SIGKILL');
  await child?.exited;
  child = undefined;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const serverArgs = (dataDir: string) => ['--data-dir', dataDir, '--tcp-port', '0', '--http-port', '0', '--log-level', 'warn'];

describe('files and kill -9', () => {
  it('an upload cut short by kill -9 leaves no visible file, and the next start clears tmp/', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slck-files-kill-'));
    dirs.push(dataDir);
    child = await spawnServer(serverArgs(dataDir));
    const jane = await TestClient.user(child.tcpPort, '@jane s3cret-pass');
    clients.push(jane);
    const token = (await jane.cmd('TOKEN'))[0].split(' ')[1];
    const base = `http://127.0.0.1:${child.httpPort}`;
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('acknowledged')]), 'kept.txt');
    const kept = await uploaded(await fetch(`${base}/files`, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } }));

    // Half an upload: the head and 256 KiB of the file, and the rest never comes.
    const boundary = 'x-slck-boundary';
    const req = http.request(`${base}/files`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    req.on('error', () => {});
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.bin"\r\n\r\n`);
    req.write(Buffer.alloc(256 * 1024, 7));
    const tmp = path.join(dataDir, 'files', 'tmp');
    const written = () => fs.readdirSync(tmp).reduce((n, f) => n + fs.statSync(path.join(tmp, f)).size, 0);
    await eventually(() => written() >= 128 * 1024, 'the partial upload on disk');

    child.proc.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
    req.destroy();
    const visible = () => fs.readdirSync(path.join(dataDir, 'files')).filter((n) => n !== 'tmp').sort();
    // The partial bytes are only under tmp/: nothing by an id, nothing a GET could find.
    expect(visible()).toEqual([kept.id, `${kept.id}.json`].sort());
    expect(fs.readdirSync(tmp).length).toBe(1);

    child = await spawnServer(serverArgs(dataDir));
    expect(fs.readdirSync(tmp)).toEqual([]);
    expect(visible()).toEqual([kept.id, `${kept.id}.json`].sort());
    const res = await fetch(`http://127.0.0.1:${child.httpPort}${kept.url}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('acknowledged');
  });
});
