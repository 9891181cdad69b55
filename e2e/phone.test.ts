import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer } from '../gateway/test-server.ts';
import { channelItem, launchBrowser, openApp, screenshot, seeMessage, send, signIn, TcpUser, text } from './browser.ts';

// The app at phone width (375 px): sidebar and conversation take turns.
describe('phone width', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('navigates with the menu button and sends', async () => {
    const quinn = await TcpUser.as(server.tcpPort, '@quinn', '#general');
    await quinn.client.msg('#general', 'Morning! Anyone around? ☕');
    const { page, problems } = await openApp(browser, server.httpUrl, { width: 375, height: 700 });
    await screenshot(page, '10-phone-sign-in');
    await signIn(page, 'rosa');
    await seeMessage(page, 'Morning! Anyone around? ☕');
    await send(page, 'Here, on my phone 📱');
    await quinn.waitForMessage((m) => m.from === '@rosa' && text(m.body) === 'Here, on my phone 📱');
    // Nothing spills sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await screenshot(page, '11-phone-conversation');

    await page.getByRole('button', { name: 'Show channels and people' }).click();
    await channelItem(page, '#general').waitFor();
    await screenshot(page, '12-phone-sidebar');
    await channelItem(page, '#general').click();
    await page.getByTestId('composer').waitFor();
    expect(await channelItem(page, '#general').isVisible()).toBe(false);
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await quinn.quit();
  });
});
