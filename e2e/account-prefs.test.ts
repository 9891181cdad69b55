import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { channelItem, connectionState, cut, installSocketCutter, openApp, restore, signIn, TcpUser, until, useServerAndBrowser } from './browser.ts';

const CLEAN = { errors: [], cspViolations: [], dialogs: [] };
const muteButton = (page: Page) => page.getByRole('button', { name: 'Mute #general' });
const pressed = (page: Page) => muteButton(page).getAttribute('aria-pressed');

async function openGeneral(page: Page): Promise<void> {
  await channelItem(page, '#general').click();
  await page.getByTestId('conversation-title').filter({ hasText: '#general' }).waitFor();
}

async function openSettings(page: Page) {
  await page.getByRole('button', { name: 'Settings' }).click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  await dialog.waitFor();
  return dialog;
}

// Issue 15, item 11: mutes were kept per browser. A claimed handle's mutes, desktop
// notifications and sound are now kept on the server (PREFS/PREF): a new browser has them,
// and a change on one device holds on the other at once. A guest keeps them in the browser.
describe('settings that follow a person', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('a new browser has the mutes and notification choices; a change applies on the other device live', async () => {
    const laptop = await openApp(browser, server.httpUrl);
    await signIn(laptop.page, 'mia', 'mia-secret-1');
    await openGeneral(laptop.page);
    await muteButton(laptop.page).click();
    expect(await pressed(laptop.page)).toBe('true');
    const dialog = await openSettings(laptop.page);
    expect(await dialog.getByTestId('settings-kept').getAttribute('data-kept-on')).toBe('server');
    await dialog.getByLabel('Play a sound for direct messages and mentions').check();
    await dialog.getByRole('button', { name: 'Close' }).click();

    // What the server keeps, as a program sees it.
    const tcp = await TcpUser.connect(server.tcpPort);
    await tcp.client.reg('@mia', 'mia-secret-1');
    await until(async () => (await tcp.client.prefs()).get('notify.sound') === 'on', 'the sound setting on the server');
    expect(Object.fromEntries(await tcp.client.prefs())).toEqual({ 'mute:#general': '1', 'notify.sound': 'on' });
    await tcp.quit();

    // Another browser, a fresh profile: the same settings.
    const phone = await openApp(browser, server.httpUrl);
    await signIn(phone.page, 'mia', 'mia-secret-1');
    await openGeneral(phone.page);
    expect(await pressed(phone.page)).toBe('true');
    const phoneSettings = await openSettings(phone.page);
    expect(await phoneSettings.getByLabel('Play a sound for direct messages and mentions').isChecked()).toBe(true);
    await phoneSettings.getByRole('button', { name: 'Close' }).click();

    // Unmuted on the phone: the laptop follows, without a reload.
    await muteButton(phone.page).click();
    expect(await pressed(phone.page)).toBe('false');
    await until(async () => (await pressed(laptop.page)) === 'false', 'the laptop to show #general unmuted');
    await muteButton(laptop.page).click();
    await until(async () => (await pressed(phone.page)) === 'true', 'the phone to show #general muted again');

    expect(laptop.problems).toEqual(CLEAN);
    expect(phone.problems).toEqual(CLEAN);
    await laptop.context.close();
    await phone.context.close();
  });

  it('what a browser kept before goes up once, and a change made offline goes up on reconnecting', async () => {
    const { context, page, problems } = await openApp(browser, server.httpUrl);
    await context.addInitScript(installSocketCutter);
    // Settings this browser kept for @nia before they followed the person.
    await page.evaluate(() => localStorage.setItem('slck.settings', JSON.stringify({ theme: 'system', desktop: false, sound: false, muted: { '@nia': ['#general'] } })));
    await page.reload();
    await signIn(page, 'nia', 'nia-secret-1');
    const tcp = await TcpUser.connect(server.tcpPort);
    await tcp.client.reg('@nia', 'nia-secret-1');
    expect(Object.fromEntries(await tcp.client.prefs())).toEqual({ 'mute:#general': '1', 'notify.desktop': 'off' });

    await openGeneral(page);
    await cut(page);
    await connectionState(page, 'offline');
    await muteButton(page).click();
    expect(await pressed(page)).toBe('false');
    await restore(page);
    await connectionState(page, 'online', 20_000);
    await until(async () => !(await tcp.client.prefs()).has('mute:#general'), 'the offline unmute on the server');
    expect(problems).toEqual(CLEAN);
    await tcp.quit();
    await context.close();
  });

  it('a guest keeps them in the browser, through a reload', async () => {
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'gil');
    await openGeneral(page);
    await muteButton(page).click();
    const dialog = await openSettings(page);
    expect(await dialog.getByTestId('settings-kept').getAttribute('data-kept-on')).toBe('browser');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.reload();
    await connectionState(page, 'online');
    await openGeneral(page);
    expect(await pressed(page)).toBe('true');
    expect(problems).toEqual(CLEAN);
    await page.context().close();
  });
});
