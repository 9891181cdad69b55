import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { openApp, signIn, until, useServerAndBrowser } from './browser.ts';

// The server closes connections that never sign in (--register-timeout-ms). A sign-in page
// left open is such a connection: it must not show a problem, nor reconnect again and again,
// and signing in later just works.
describe('a sign-in page left open', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]), { registerTimeoutMs: 700 });

  it('is closed by the server once, shows nothing wrong, and signs in when asked', async () => {
    const { page, problems } = await openApp(browser, server.httpUrl);
    const timedOut = () => server.server.hub.ended.filter((r) => r.left === 'timeout').length;
    await until(() => timedOut() >= 1, 'the server to close the idle link');
    // Three more timeouts' worth of waiting: a page that reconnected would be closed again.
    await page.waitForTimeout(2500);
    expect(timedOut()).toBe(1);
    expect(server.server.hub.conns.size).toBe(0);
    await expect(page.getByText(/Cannot reach the server|Connecting to the server/).count()).resolves.toBe(0);
    await signIn(page, 'late');
    expect(server.server.hub.users.has('@late')).toBe(true);
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
  });
});
