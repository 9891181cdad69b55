/**
 * DNS rebinding (spec §9): a page on evil.example whose name has been pointed at this server
 * sends Host and Origin both `evil.example`, so the origin check alone lets it in. The Host of
 * an upgrade must be a name the server answers to: an IP literal, `localhost`, or a host of
 * `--public-url` / `--allowed-hosts`. Raw upgrade requests, so every header is exactly as set.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { perTestServer } from './support/per-test-server.ts';

const { start } = perTestServer();

type Answer = { status: number; head: string; body: string };

/** Send a WebSocket upgrade with these headers (null leaves one out); the server's answer. */
function upgrade(port: number, headers: { host: string | null; origin?: string }): Promise<Answer> {
  const lines = ['GET /ws HTTP/1.1'];
  if (headers.host !== null) lines.push(`Host: ${headers.host}`);
  if (headers.origin !== undefined) lines.push(`Origin: ${headers.origin}`);
  lines.push('Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13');
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let text = '';
    const done = () => {
      const end = text.indexOf('\r\n\r\n');
      const head = end < 0 ? text : text.slice(0, end);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      let body = end < 0 ? '' : text.slice(end + 4);
      // After a 101 the body is WebSocket frames: the server's first (HELLO, unmasked) has a
      // two-byte header, and two more bytes of length when it is 126 bytes or longer.
      if (status === 101) body = body.slice((body.charCodeAt(1) & 0x7f) === 126 ? 4 : 2);
      resolve({ status, head, body });
      socket.destroy();
    };
    socket.on('data', (b) => {
      text += b.toString('latin1');
      // An accepted upgrade stays open: its answer is complete at the first SLCK line.
      if (text.startsWith('HTTP/1.1 101') && /\r\n\r\n[^\r]*\r\n/.test(text)) done();
    });
    socket.on('end', done);
    socket.on('error', reject);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

describe('the Host of a WebSocket upgrade', () => {
  it('refuses evil.example as Host and Origin (DNS rebinding) with 421 and a reason', async () => {
    const { httpPort } = await start();
    for (const host of ['evil.example', `evil.example:${httpPort}`]) {
      const answer = await upgrade(httpPort, { host, origin: `http://${host}` });
      expect(answer.status, host).toBe(421);
      expect(answer.body).toMatch(/^This server does not answer to that name\. /);
      expect(answer.body).toContain('--allowed-hosts');
    }
    expect((await upgrade(httpPort, { host: 'evil.example' })).status).toBe(421);
    expect((await upgrade(httpPort, { host: null })).status).toBe(400);
  });

  it('accepts IP literals and localhost, with and without a port', async () => {
    const { httpPort } = await start();
    for (const host of ['127.0.0.1', `127.0.0.1:${httpPort}`, `localhost:${httpPort}`, 'LOCALHOST', `[::1]:${httpPort}`, '[::1]', '10.1.2.3:8080', '[2001:db8::5]:443']) {
      const answer = await upgrade(httpPort, { host, origin: `http://${host}` });
      expect(answer.status, host).toBe(101);
      expect(answer.body).toMatch(/^HELLO slck /);
    }
  });

  it('accepts the hosts of --allowed-hosts and --public-url, and public-url\'s origin', async () => {
    const { httpPort } = await start({ allowedHosts: ['chat.example.com'], publicUrl: 'https://slck.example.org/' });
    for (const host of ['chat.example.com', `Chat.Example.Com:${httpPort}`, 'slck.example.org']) {
      expect((await upgrade(httpPort, { host, origin: `https://${host}` })).status, host).toBe(101);
    }
    // Behind a proxy that rewrites Host, the page's origin is the public URL's.
    expect((await upgrade(httpPort, { host: `127.0.0.1:${httpPort}`, origin: 'https://slck.example.org' })).status).toBe(101);
    expect((await upgrade(httpPort, { host: `127.0.0.1:${httpPort}`, origin: 'https://other.example.org' })).status).toBe(403);
    expect((await upgrade(httpPort, { host: 'evil.example', origin: 'http://evil.example' })).status).toBe(421);
    expect((await upgrade(httpPort, { host: 'example.com', origin: 'https://example.com' })).status).toBe(421);
  });
});
