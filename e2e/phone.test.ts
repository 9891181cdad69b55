import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { channelItem, openApp, screenshot, seeMessage, send, signIn, TcpUser, text, useServerAndBrowser } from './browser.ts';

// The app at phone width (375 px): sidebar and conversation take turns.
describe('phone width', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

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

  it('on a touch screen Enter adds a line, Send sends, and Escape folds the menu away', async () => {
    const quinn = await TcpUser.as(server.tcpPort, '@quinn2', '#general');
    const browserContext = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    browserContext.setDefaultTimeout(10_000);
    const page = await browserContext.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.httpUrl);
    await signIn(page, 'tess');
    expect(await page.evaluate(() => matchMedia('(pointer: coarse)').matches)).toBe(true);

    const box = page.getByTestId('composer');
    await box.click();
    await page.keyboard.type('first line');
    await page.keyboard.press('Enter');
    await page.keyboard.type('second line');
    expect(await box.inputValue()).toBe('first line\nsecond line');
    await page.getByTestId('send').click();
    await quinn.waitForMessage((m) => m.from === '@tess' && text(m.body) === 'first line\nsecond line');
    expect(await box.inputValue()).toBe('');

    // ☰ shows that something arrived elsewhere.
    await quinn.client.msg('@tess', 'psst');
    await page.getByTestId('menu-unread').waitFor();
    const menu = page.getByRole('button', { name: 'Show channels and people' });
    expect(await menu.getAttribute('aria-label')).toContain('1 unread');

    // Opening the menu takes focus into the sidebar; Escape closes it and gives focus back to ☰.
    await menu.click();
    await channelItem(page, '#general').waitFor();
    expect(await page.evaluate(() => !!document.activeElement?.closest('.sidebar'))).toBe(true);
    await page.keyboard.press('Escape');
    await page.getByTestId('composer').waitFor();
    expect(await channelItem(page, '#general').isVisible()).toBe(false);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('menu-button');

    // The Back button closes it too.
    await menu.click();
    await page.getByRole('button', { name: 'Back' }).click();
    expect(await channelItem(page, '#general').isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await browserContext.close();
    await quinn.quit();
  });
});
