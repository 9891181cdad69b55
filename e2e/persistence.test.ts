import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer } from '../gateway/test/support/server.ts';
import {
  channelItem, connectionState, dmItem, launchBrowser, openApp, person, screenshot, seeMessage, send, signIn, TcpUser, text,
} from './browser.ts';

// Spec 8: with a SQLite store, history survives a server restart and a page reload, and a
// direct message to an offline telnet user reaches them when they next sign in.
describe('persistence', () => {
  let dataDir: string;
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let browser: Browser;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'slck-e2e-'));
    server = await startServer({ dataDir });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows history after a restart and a reload; delivers a DM to a user who was offline', async () => {
    // @otto registers once over telnet, then leaves.
    const ottoOnce = await TcpUser.as(server!.tcpPort, '@otto');
    await ottoOnce.quit();

    const { page, problems } = await openApp(browser, server!.httpUrl);
    await signIn(page, 'nina');
    await send(page, 'remember this, please');
    await seeMessage(page, 'remember this, please');

    const httpPort = server!.httpPort;
    await server!.close();
    server = await startServer({ dataDir, httpPort });
    // Posted as soon as the server is back, most likely before the page has reconnected:
    // the page then fetches it with HISTORY … after <id>.
    const vera = await TcpUser.as(server.tcpPort, '@vera', '#general');
    await vera.client.msg('#general', 'posted while you were away');
    await connectionState(page, 'online', 20_000);
    await seeMessage(page, 'posted while you were away');
    await vera.quit();

    // A reload starts the page from nothing: it signs in again and loads #general's history.
    await page.reload();
    await connectionState(page, 'online');
    await channelItem(page, '#general').waitFor();
    await seeMessage(page, 'remember this, please');
    await screenshot(page, '08-history-after-reload');

    // Otto is offline but known: Nina writes to him.
    await person(page, '@otto').and(page.locator('[data-online="false"]')).click();
    await page.getByTestId('conversation-title').filter({ hasText: '@otto' }).waitFor();
    await send(page, 'Otto, read this when you are back 📬');
    await seeMessage(page, 'Otto, read this when you are back 📬');

    const otto = await TcpUser.connect(server.tcpPort);
    await otto.client.reg('@otto');
    const dm = await otto.waitForMessage((m) => m.from === '@nina', 'the DM sent while offline');
    expect(dm.target.toLowerCase()).toBe('@otto');
    expect(text(dm.body)).toBe('Otto, read this when you are back 📬');

    // Otto answers; after another reload Nina still has the conversation and its history.
    await otto.client.msg('@nina', 'Got it, thanks');
    await seeMessage(page, 'Got it, thanks');
    await page.reload();
    await connectionState(page, 'online');
    await dmItem(page, '@otto').click();
    await seeMessage(page, 'Otto, read this when you are back 📬');
    await seeMessage(page, 'Got it, thanks');
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await otto.quit();
  });
});
