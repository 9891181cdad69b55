import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type TestServer } from '../gateway/test/support/server.ts';
import { makeCert, Terminal, type TestCert } from '../gateway/test/support/tls.ts';
import { launchBrowser, openApp, seeMessage, send, signIn } from './browser.ts';

// TLS end to end: Chromium on https:// (its socket to /ws is then wss://) and a person on
// `openssl s_client` on the TLS TCP port talk in #general. The certificate is self-signed,
// made at run time; Chromium is told not to mind (--ignore-certificate-errors).
describe('a browser over HTTPS and WSS, and openssl s_client over TLS', () => {
  let dir = '';
  let cert: TestCert;
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'slck-e2e-tls-'));
    cert = makeCert(dir, 'server');
    server = await startServer({ tlsCert: cert.cert, tlsKey: cert.key, tlsTcpPort: 0 });
    browser = await launchBrowser(['--ignore-certificate-errors']);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exchange messages both ways', async () => {
    const bob = Terminal.openssl(server.server.tlsTcp!.address!.port, cert.cert);
    try {
      await bob.see(/HELLO slck /);
      bob.line('REG @bob');
      await bob.see(/JOINED #general @bob/);

      const { page, problems } = await openApp(browser, `https://127.0.0.1:${server.httpPort}/`);
      await signIn(page, 'alice');
      expect(new URL(page.url()).protocol).toBe('https:');
      // The page's socket: on the HTTP port, which speaks nothing but TLS now, so wss://.
      expect(server.server.ws.connections).toBe(1);

      await send(page, 'Hello over WSS');
      await bob.see(/MSG #general @alice \d+ \S+ \d+\r\n[^\n]*Hello over WSS/);
      bob.line('SAY #general Hi from s_client');
      await seeMessage(page, 'Hi from s_client');
      expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    } finally {
      bob.close();
    }
  });
});
