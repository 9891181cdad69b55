import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer } from '../gateway/test/support/server.ts';
import { composer, connectionState, launchBrowser, openApp, screenshot, seeMessage, send, signIn, TcpUser, text } from './browser.ts';

// Spec 5: the server restarts; the page shows it is disconnected, comes back by itself and
// can send again.
describe('reconnecting after a server restart', () => {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the outage, reconnects, rejoins and sends', async () => {
    const { page, problems } = await openApp(browser, server!.httpUrl);
    await signIn(page, 'gina');
    await send(page, 'before the restart');
    await seeMessage(page, 'before the restart');

    const httpPort = server!.httpPort;
    await server!.close();
    server = undefined;
    await connectionState(page, 'offline');
    // The composer stays usable, and says that what is sent waits for the link (outbox.test.ts).
    expect(await composer(page).isEditable()).toBe(true);
    await page.getByTestId('composer-offline').waitFor();
    await screenshot(page, '07-disconnected');

    server = await startServer({ httpPort });
    await connectionState(page, 'online', 20_000);
    await page.getByTestId('composer-offline').waitFor({ state: 'detached' });

    // This server kept nothing in memory: the page joined #general again on its own.
    const hank = await TcpUser.as(server.tcpPort, '@hank', '#general');
    await send(page, 'after the restart');
    const got = await hank.waitForMessage((m) => m.from === '@gina', "gina's message");
    expect(got.target).toBe('#general');
    expect(text(got.body)).toBe('after the restart');
    await seeMessage(page, 'after the restart');
    await hank.client.msg('#general', 'welcome back');
    await seeMessage(page, 'welcome back');
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await hank.quit();
  });
});
