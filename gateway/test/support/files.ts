import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect } from 'vitest';
import type { Config } from '../../config.ts';
import { startServer, type TestServer } from './server.ts';
import { TestClient } from './client.ts';

/** A 1×1 PNG. */
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

export type FilesBench = {
  server: TestServer;
  dir: string;
  /** Signed in over telnet with a password, in these channels, and the session token TOKEN gave. */
  user(reg: string, ...channels: string[]): Promise<{ c: TestClient; token: string }>;
  /** POST /files with one `file` part, as curl -F would send it. */
  upload(token: string | null, name: string, bytes: Buffer, type?: string): Promise<Response>;
  get(pathOrUrl: string, auth?: { token?: string; cookie?: string }): Promise<Response>;
  /** The entries under <data dir>/files besides tmp/, and those in tmp/. */
  onDisk(): { files: string[]; tmp: string[] };
};

/** A real server on a fresh SQLite data dir per call; everything is closed after the test. */
export function useFilesBench(): (opts?: Partial<Config>) => Promise<FilesBench> {
  const open: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of open.splice(0)) await close();
  });
  return async (opts = {}) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slck-files-'));
    const server = await startServer({ dataDir: dir, ...opts });
    const clients: TestClient[] = [];
    open.push(async () => {
      for (const c of clients) c.destroy();
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const url = (p: string) => (p.startsWith('http') ? p : server.httpUrl + p);
    return {
      server,
      dir,
      async user(reg, ...channels) {
        const c = await TestClient.user(server.tcpPort, reg, ...channels);
        clients.push(c);
        const [ok] = await c.cmd('TOKEN');
        expect(ok).toMatch(/^OK \S{43} /);
        return { c, token: ok.split(' ')[1] };
      },
      upload(token, name, bytes, type = 'application/octet-stream') {
        const form = new FormData();
        form.append('file', new Blob([Buffer.from(bytes)], { type }), name);
        return fetch(url('/files'), { method: 'POST', body: form, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
      },
      get(p, auth = {}) {
        const headers: Record<string, string> = {};
        if (auth.token !== undefined) headers.authorization = `Bearer ${auth.token}`;
        if (auth.cookie !== undefined) headers.cookie = auth.cookie;
        return fetch(url(p), { headers });
      },
      onDisk() {
        const root = path.join(dir, 'files');
        return {
          files: fs.readdirSync(root).filter((n) => n !== 'tmp').sort(),
          tmp: fs.readdirSync(path.join(root, 'tmp')),
        };
      },
    };
  };
}

/** The upload's answer, checked to be a 201. */
export async function uploaded(res: Response): Promise<{ id: string; name: string; type: string; size: number; url: string; width?: number; height?: number; thumb?: string }> {
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body;
}

/** Ask until `check` holds (work the server does after it has answered: a sweep, a removal). */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A multipart upload sent by hand over one socket: the head, then `chunks` one by one while
 * no answer has come (none at all: only the head is sent, and the server must answer without
 * the body). Resolves with the answer and how many chunks were sent before it.
 */
export function streamUpload(base: string, token: string, chunks: Buffer[], contentLength?: number): Promise<{ status: number; body: unknown; sent: number }> {
  const boundary = 'x-slck-boundary';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    let answered = false;
    let sent = 0;
    const req = http.request({
      host: hostname, port, method: 'POST', path: '/files',
      headers: {
        authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}`,
        ...(contentLength !== undefined && { 'content-length': contentLength }),
      },
    }, (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8').on('data', (s: string) => (text += s)).on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text), sent }));
    });
    // The server closes the connection after answering early: what was still being written fails.
    req.on('error', (err) => (answered ? undefined : reject(err)));
    req.write(head);
    const next = () => {
      if (answered) return;
      if (chunks.length === 0) return;
      if (sent === chunks.length) return void req.end(`\r\n--${boundary}--\r\n`);
      req.write(chunks[sent++], () => setTimeout(next, 5));
    };
    next();
  });
}
