import { describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { channelItem, connectionState, openApp, screenshot, seeMessage, signIn, TcpUser, until, useServerAndBrowser } from './browser.ts';

type Logged = { title: string; body: string };
type NotifyWindow = Window & { __notes: Logged[]; __noteObjects: Notification[]; __asked: number };

/**
 * Keeps the real Notification, but logs what the page shows ({title, body}) and how often it
 * asks for permission, so the test can read both.
 */
function recordNotifications(): void {
  const w = window as unknown as NotifyWindow;
  const Real = window.Notification;
  w.__notes = [];
  w.__noteObjects = [];
  w.__asked = 0;
  class Recorded extends Real {
    constructor(title: string, options?: NotificationOptions) {
      w.__notes.push({ title, body: options?.body ?? '' });
      super(title, options);
      w.__noteObjects.push(this);
    }
    static override requestPermission(...args: Parameters<typeof Real.requestPermission>) {
      w.__asked++;
      return Real.requestPermission(...args);
    }
  }
  window.Notification = Recorded;
}

/**
 * Headless Chromium has no windows to cover one another, so every page reports itself
 * visible (bringing another page to the front hides nothing). The app asks the document,
 * so the test makes the document say "hidden" and tells the page, as a browser does when
 * the tab goes to the background.
 */
const setHidden = (page: Page, hidden: boolean) =>
  page.evaluate((h) => {
    if (h) {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    } else {
      delete (document as { visibilityState?: unknown }).visibilityState;
      delete (document as { hidden?: unknown }).hidden;
    }
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);

const notes = (page: Page) => page.evaluate(() => (window as unknown as NotifyWindow).__notes);
const asked = (page: Page) => page.evaluate(() => (window as unknown as NotifyWindow).__asked);
const background = (page: Page, testId: string) =>
  page.getByTestId(testId).first().evaluate((el) => getComputedStyle(el).backgroundColor);

async function withRecorder(context: BrowserContext, page: Page): Promise<void> {
  await context.addInitScript(recordNotifications);
  await page.reload();
}

// Issue items 3 and 4: a mention of you gets its own badge; direct messages and mentions
// notify while the tab is in the background, unless the conversation is muted.
describe('mentions and notifications', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('shows a mention apart from plain unread: sidebar, ☰ button and tab title', async () => {
    // @mia has been in #side before, over telnet: the server puts her back in it.
    await (await TcpUser.as(server.tcpPort, '@mia', '#general', '#side')).quit();
    const nia = await TcpUser.as(server.tcpPort, '@nia', '#side');
    const { page, problems } = await openApp(browser, server.httpUrl, { width: 375, height: 700 });
    await signIn(page, 'mia');
    await page.getByTestId('conversation-title').filter({ hasText: '#general' }).waitFor();
    const menuBadge = page.getByTestId('menu-unread');

    await nia.client.msg('#side', 'plain news');
    await menuBadge.filter({ hasText: /^1$/ }).waitFor();
    const plainColour = await background(page, 'menu-unread');
    expect(await menuBadge.getAttribute('data-calls')).toBe('false');
    await until(async () => (await page.title()) === '(1) #general · SLCK', 'the title to count 1 unread');

    await nia.client.msg('#side', '@mia can you check the build?');
    await menuBadge.filter({ hasText: /^@1$/ }).waitFor();
    expect(await menuBadge.getAttribute('data-calls')).toBe('true');
    expect(await background(page, 'menu-unread')).not.toBe(plainColour);
    const menu = page.getByRole('button', { name: 'Show channels and people' });
    expect(await menu.getAttribute('aria-label')).toBe('Show channels and people, 2 unread, 1 mention');
    await until(async () => (await page.title()) === '(@1 · 2) #general · SLCK', 'the title to show the mention first');
    // The favicon carries a badge too, drawn on a canvas.
    expect(await page.locator('link[rel~="icon"]').getAttribute('href')).toMatch(/^data:image\/png;base64,/);
    await screenshot(page, 'mention-phone-menu');

    // In the sidebar: a red "@1" beside the grey count of 2.
    await menu.click();
    const side = channelItem(page, '#side');
    expect(await side.getByTestId('mentions').innerText()).toBe('@1');
    expect(await side.getByTestId('unread').innerText()).toBe('2');
    expect(await background(page, 'mentions')).not.toBe(await background(page, 'unread'));
    await screenshot(page, 'mention-phone-sidebar');

    // Read: every badge goes, and the page's own icon comes back.
    await side.click();
    await seeMessage(page, '@mia can you check the build?');
    await menuBadge.waitFor({ state: 'detached' });
    await until(async () => (await page.title()) === '#side · SLCK', 'the title to clear');
    expect(await page.locator('link[rel~="icon"]').getAttribute('href')).toBe('/favicon.svg');
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await page.context().close();
    await nia.quit();
  });

  it('notifies of mentions and direct messages while hidden, never for a muted channel', async () => {
    await (await TcpUser.as(server.tcpPort, '@noa', '#general', '#quiet')).quit();
    const pat = await TcpUser.as(server.tcpPort, '@pat', '#general', '#quiet');
    const { context, page, problems } = await openApp(browser, server.httpUrl);
    await context.grantPermissions(['notifications'], { origin: server.httpUrl });
    await withRecorder(context, page);
    await signIn(page, 'noa');

    // Mute #quiet from its header.
    await channelItem(page, '#quiet').click();
    const mute = page.getByRole('button', { name: 'Mute #quiet' });
    await mute.click();
    expect(await mute.getAttribute('aria-pressed')).toBe('true');
    await channelItem(page, '#general').click();
    await page.getByTestId('conversation-title').filter({ hasText: '#general' }).waitFor();

    // While visible, nothing notifies: the person is looking.
    await pat.client.msg('#general', '@noa you there?');
    await seeMessage(page, '@noa you there?');

    await setHidden(page, true);
    await pat.client.msg('#quiet', '@noa in the muted channel');
    await pat.client.msg('#general', 'nothing for noa in particular');
    await pat.client.msg('#general', '@noa standup in 5');
    await pat.client.msg('@noa', 'a word in private');
    await until(async () => (await notes(page)).length >= 2, 'two notifications');
    expect(await notes(page)).toEqual([
      { title: '@pat in #general', body: '@noa standup in 5' },
      { title: '@pat', body: 'a word in private' },
    ]);
    // The muted channel keeps a quiet count, and stays out of the title.
    const quiet = channelItem(page, '#quiet').getByTestId('unread');
    await quiet.filter({ hasText: /^1$/ }).waitFor();
    expect(await quiet.getAttribute('data-muted')).toBe('true');
    expect(await channelItem(page, '#quiet').getByTestId('mentions').count()).toBe(0);
    await until(async () => (await page.title()) === '(@2 · 3) #general · SLCK', 'the title without #quiet');

    // Clicking the direct message's notification opens that conversation.
    await page.evaluate(() => (window as unknown as NotifyWindow).__noteObjects[1].dispatchEvent(new Event('click')));
    await page.getByTestId('conversation-title').filter({ hasText: '@pat' }).waitFor();
    await setHidden(page, false);
    await seeMessage(page, 'a word in private');
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await context.close();
    await pat.quit();
  });

  it('asks for permission only when the person clicks, in the settings panel', async () => {
    const { context, page, problems } = await openApp(browser, server.httpUrl);
    await withRecorder(context, page);
    await signIn(page, 'ora');
    await page.reload();
    await connectionState(page, 'online');
    expect(await asked(page)).toBe(0);
    expect(await page.evaluate(() => Notification.permission)).toBe('default');

    // The panel opens with focus inside it; the browser has not been asked yet.
    const opener = page.getByRole('button', { name: 'Settings' });
    await opener.click();
    const dialog = page.getByRole('dialog', { name: 'Settings' });
    await dialog.waitFor();
    expect(await page.evaluate(() => !!document.activeElement?.closest('dialog'))).toBe(true);
    expect(await dialog.getByRole('checkbox', { name: /Desktop notifications/ }).isChecked()).toBe(true);
    const sound = dialog.getByRole('checkbox', { name: /Play a sound/ });
    expect(await sound.isChecked()).toBe(false);
    expect(await asked(page)).toBe(0);
    await screenshot(page, 'settings-panel');

    await dialog.getByRole('button', { name: 'Allow in browser' }).click();
    await until(async () => (await asked(page)) === 1, 'one permission request, from the click');

    // The sound choice is kept by the browser; Escape closes the panel and focus goes back.
    await sound.check();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('settings-button');
    await page.reload();
    await connectionState(page, 'online');
    await opener.click();
    expect(await page.getByRole('dialog', { name: 'Settings' }).getByRole('checkbox', { name: /Play a sound/ }).isChecked()).toBe(true);
    expect(await asked(page)).toBe(0);
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await context.close();
  });
});
