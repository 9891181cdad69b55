import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { get, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type TestServer } from './support/server.ts';
import { ROOT, TestClient, msg, show } from './support/client.ts';

// The browser's front door: the same SLCK bytes over /ws, origin checks, and the HTTP side
// (health check, the built app with its caching rules and CSP, deep links).

let server: TestServer;
const clients: TestClient[] = [];

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/web/index.html'))) {
    execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
  }
  server = await startServer();
}, 120_000);
afterAll(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server.close();
});

async function ws(options: WebSocket.ClientOptions = {}): Promise<TestClient> {
  const c = await TestClient.ws(server.wsUrl, options);
  clients.push(c);
  return c;
}

/** The status a WebSocket upgrade is answered with when it is refused. */
function refusedWith(origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(server.wsUrl, { origin });
    socket.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('open', () => reject(new Error(`the upgrade from ${origin} was accepted`)));
    socket.on('error', () => {});
  });
}

describe('WebSocket /ws', () => {
  it('carries the same bytes as TCP, however they are split into messages', async () => {
    const c = await ws();
    expect((await c.lines(1))[0]).toMatch(/^HELLO slck 1 c\d+ /);
    // Two commands in one WebSocket message, then one frame split over three.
    c.write('REG @wes\r\nJOIN #ws-only\r\n');
    expect(await c.lines(4)).toEqual(['OK', 'JOINED #general @wes', 'JOINED #ws-only @wes', 'OK']);
    c.write('MSG #ws-only 5\r\nHe');
    c.write('l');
    c.write('lo\r\nPING done\r\n');
    expect((await c.lines(2)).map((l) => l.replace(/^OK \d+ \S+$/, 'OK <id> <ts>'))).toEqual(['OK <id> <ts>', 'PONG done']);
    expect(await c.cmd('HISTORY #ws-only')).toEqual([expect.stringMatching(/^MSG #ws-only @wes \d+ \S+ 5\nHello$/), 'END HISTORY 1']);
    expect(await c.cmd('QUIT')).toEqual(['BYE QUIT Goodbye @wes']);
    await c.waitClosed();
  });

  it('reads text and binary messages alike, and answers in binary messages', async () => {
    const socket = new WebSocket(server.wsUrl);
    const received: { text: string; binary: boolean }[] = [];
    socket.on('message', (data: Buffer, binary) => received.push({ text: data.toString(), binary }));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send('PING as-text\r\n');
    socket.send(Buffer.from('PING as-binary\r\n'));
    const text = () => received.map((r) => r.text).join('');
    await new Promise<void>((resolve) => socket.on('message', () => text().includes('as-binary') && resolve()));
    expect(text()).toMatch(/^HELLO slck [^\r]*\r\nPONG as-text\r\nPONG as-binary\r\n$/);
    expect(received.every((r) => r.binary)).toBe(true);
    socket.terminate();
  });

  it('refuses a foreign Origin with 403, accepts its own and none', async () => {
    expect(await refusedWith('http://evil.example')).toBe(403);
    expect(await refusedWith(`http://127.0.0.1:${server.httpPort + 1}`)).toBe(403);
    const same = await ws({ origin: `http://127.0.0.1:${server.httpPort}` });
    expect((await same.lines(1))[0]).toMatch(/^HELLO /);
    const none = await ws();
    expect((await none.lines(1))[0]).toMatch(/^HELLO /);
  });

  it('a TCP user and a WebSocket user see each other', async () => {
    const browser = await ws();
    await browser.lines(1);
    await browser.ok('REG @browser');
    await browser.ok('JOIN #mixed');
    const telnet = await TestClient.user(server.tcpPort, '@telnet', '#mixed');
    clients.push(telnet);
    // Both are new, so both are in #general too: the browser sees the telnet user arrive there.
    expect(await browser.settle()).toEqual(['JOINED #general @telnet', 'ONLINE @telnet', 'JOINED #mixed @telnet']);
    await telnet.ok(msg('#mixed', 'from telnet'));
    await browser.ok(msg('#mixed', 'from browser'));
    await browser.ok(msg('@telnet', 'hi'));
    await browser.waitFor(() => browser.msgs.length === 1, 'the telnet message');
    await telnet.waitFor(() => telnet.msgs.length === 2, 'the browser messages');
    expect(browser.msgs.map(show)).toEqual([expect.stringMatching(/^MSG #mixed @telnet \d+ \S+ 11\nfrom telnet$/)]);
    expect(telnet.msgs.map(show)).toEqual([
      expect.stringMatching(/^MSG #mixed @browser \d+ \S+ 12\nfrom browser$/),
      expect.stringMatching(/^MSG @telnet @browser \d+ \S+ 2\nhi$/),
    ]);
    browser.end();
    await browser.waitClosed();
    await telnet.until((f) => 'type' in f && f.type === 'OFFLINE');
    expect(await telnet.settle()).toEqual([]);
  });
});

describe('HTTP', () => {
  it('GET /healthz is 200 JSON, saying ok and nothing more (details: health.test.ts)', async () => {
    const res = await fetch(`${server.httpUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ status: 'ok', store: 'ok', bus: 'none' });
  });

  it('GET / serves the app, never cached, under a CSP', async () => {
    const res = await fetch(`${server.httpUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(await res.text()).toMatch(/<!doctype html>/i);
  });

  it('an unknown path asked for as a page gets the app; otherwise 404', async () => {
    const index = await (await fetch(`${server.httpUrl}/`)).text();
    const deep = await fetch(`${server.httpUrl}/channels/general`, { headers: { accept: 'text/html,*/*' } });
    expect(deep.status).toBe(200);
    expect(deep.headers.get('cache-control')).toBe('no-cache');
    expect(await deep.text()).toBe(index);
    const api = await fetch(`${server.httpUrl}/no/such/thing`, { headers: { accept: 'application/json' } });
    expect(api.status).toBe(404);
  });

  it('hashed assets are cached for good', async () => {
    const index = await (await fetch(`${server.httpUrl}/`)).text();
    const assets = [...index.matchAll(/\/assets\/[\w.-]+\.(?:js|css)/g)].map((m) => m[0]);
    expect(assets.length).toBeGreaterThan(0);
    for (const path of assets) {
      const res = await fetch(`${server.httpUrl}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('cache-control'), path).toContain('immutable');
      await res.arrayBuffer();
    }
  });

  it('scripts and styles go out brotli- or gzip-compressed as the browser accepts, and whole to one that accepts neither', async () => {
    const index = await (await fetch(`${server.httpUrl}/`)).text();
    const assets = [...index.matchAll(/\/assets\/[\w.-]+\.(?:js|css)/g)].map((m) => m[0]);
    for (const path of assets) {
      const plain = await rawGet(path, undefined);
      expect(plain.headers['content-encoding'], path).toBeUndefined();
      // A file under 1 KiB (a small shared chunk) is not worth compressing: the build leaves
      // it alone (vite.config.ts), and it goes out whole whatever the browser accepts.
      if (plain.body.length < 1024) {
        const small = await rawGet(path, 'gzip, deflate, br');
        expect([small.headers['content-encoding'], small.body.equals(plain.body)], path).toEqual([undefined, true]);
        continue;
      }
      const br = await rawGet(path, 'gzip, deflate, br');
      expect(br.headers['content-encoding'], path).toBe('br');
      expect(br.headers.vary, path).toMatch(/accept-encoding/i);
      expect(br.headers['cache-control'], path).toContain('immutable');
      expect(br.body.length, path).toBeLessThan(plain.body.length / 2);
      expect(brotliDecompressSync(br.body).equals(plain.body), path).toBe(true);
      const gz = await rawGet(path, 'gzip');
      expect(gz.headers['content-encoding'], path).toBe('gzip');
      expect(gunzipSync(gz.body).equals(plain.body), path).toBe(true);
    }
  });
});

/** A GET with exactly the Accept-Encoding given (fetch would add its own and decompress). */
function rawGet(path: string, acceptEncoding: string | undefined): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding };
    get(`${server.httpUrl}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}
