import fs from 'node:fs';
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
  upload(token: string | null, name: string, bytes: Uint8Array, type?: string): Promise<Response>;
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
        form.append('file', new Blob([bytes], { type }), name);
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
export async function uploaded(res: Response): Promise<{ id: string; name: string; type: string; size: number; url: string }> {
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body;
}
