import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { channelItem, messageBodies, openApp, seeMessage, signIn, TcpUser, until, useServerAndBrowser } from './browser.ts';

const body = (i: number) => `message ${i} of the day`;

/** Where the message whose text is `text` is, relative to the list's top edge (undefined if not held). */
const rowOffset = (page: Page, text: string) =>
  page.getByTestId('message-list').evaluate((list, t) => {
    const b = [...list.querySelectorAll('[data-testid="message-body"]')].find((e) => e.textContent === t);
    return b ? b.getBoundingClientRect().top - list.getBoundingClientRect().top : undefined;
  }, text);

/** The message is wholly inside the list's visible area. */
const inView = (page: Page, text: string) =>
  page.getByTestId('message-list').evaluate((list, t) => {
    const b = [...list.querySelectorAll('[data-testid="message-body"]')].find((e) => e.textContent === t);
    if (!b) return false;
    const r = b.getBoundingClientRect();
    const l = list.getBoundingClientRect();
    return r.top >= l.top && r.bottom <= l.bottom;
  }, text);

const atBottom = (page: Page) =>
  page.getByTestId('message-list').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 5);

/** Scroll the list so that this message's top is at the list's top edge, and let the page see the scroll. */
const scrollToTop = (page: Page, text: string) =>
  page.getByTestId('message-list').evaluate(
    (list, t) =>
      new Promise<void>((done) => {
        const b = [...list.querySelectorAll('[data-testid="message-body"]')].find((e) => e.textContent === t);
        const row = b?.closest('[data-testid="message"]');
        if (!row) throw new Error(`${t} is not in the list`);
        list.addEventListener('scroll', () => done(), { once: true });
        list.scrollTop += row.getBoundingClientRect().top - list.getBoundingClientRect().top;
      }),
    text,
  );

async function open(page: Page, channel: string) {
  await channelItem(page, channel).click();
  await page.getByTestId('conversation-title').filter({ hasText: channel }).waitFor();
}

// Issue item 1: switching to another conversation and back keeps your place: the bottom if
// you were there, else the message you were reading; "New messages" only for new ones.
describe('returning to a channel', () => {
  let server: TestServer;
  let browser: Browser;
  // The set-up posts 200 messages at once: no rate limit.
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]), { msgRate: 0 });

  it('opens where the reader left it', async () => {
    const sam = await TcpUser.as(server.tcpPort, '@sam', '#general');
    await Promise.all(Array.from({ length: 200 }, (_, i) => sam.client.msg('#general', body(i + 1))));
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'tess');
    await seeMessage(page, body(200));
    await until(() => inView(page, body(200)), 'message 200 in view');
    const newBelow = page.getByTestId('new-below');

    // A second channel to switch to.
    await page.getByRole('button', { name: 'Browse channels' }).click();
    await page.getByLabel('Create or join a channel').fill('#elsewhere');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByTestId('conversation-title').filter({ hasText: '#elsewhere' }).waitFor();

    // At the bottom, back at the bottom.
    await open(page, '#general');
    await until(() => inView(page, body(200)), 'message 200 in view after coming back');
    expect(await atBottom(page)).toBe(true);
    expect(await newBelow.count()).toBe(0);

    // Reading message 120 (two pages back): back to it, to the pixel.
    const list = page.getByTestId('message-list');
    await until(async () => {
      await list.evaluate((el) => el.scrollTo(0, 0));
      return (await messageBodies(page).count()) >= 150;
    }, 'messages 51 to 200 to be loaded');
    await page.getByText('Loading messages…').waitFor({ state: 'detached' });
    await scrollToTop(page, body(120));
    const reading = await rowOffset(page, body(120));
    expect(Math.abs(reading ?? Infinity)).toBeLessThanOrEqual(2);
    await open(page, '#elsewhere');
    await open(page, '#general');
    await until(async () => Math.abs((await rowOffset(page, body(120)) ?? Infinity) - reading!) <= 2, 'message 120 back in place');
    expect(await newBelow.count()).toBe(0);

    // Something new while away, left at the bottom: coming back shows it.
    await list.evaluate(
      (el) =>
        new Promise((done) => {
          el.addEventListener('scroll', done, { once: true });
          el.scrollTop = el.scrollHeight;
        }),
    );
    await open(page, '#elsewhere');
    await sam.client.msg('#general', body(201));
    await channelItem(page, '#general').getByTestId('unread').filter({ hasText: /^1$/ }).waitFor();
    await open(page, '#general');
    await until(() => inView(page, body(201)), 'message 201 in view');
    expect(await atBottom(page)).toBe(true);
    expect(await newBelow.count()).toBe(0);

    // Something new while away, left reading: the same place, and the button offers it.
    await scrollToTop(page, body(120));
    const again = (await rowOffset(page, body(120)))!;
    await open(page, '#elsewhere');
    await sam.client.msg('#general', body(202));
    await channelItem(page, '#general').getByTestId('unread').filter({ hasText: /^1$/ }).waitFor();
    await open(page, '#general');
    await newBelow.waitFor();
    expect(Math.abs((await rowOffset(page, body(120)))! - again)).toBeLessThanOrEqual(2);
    expect(await inView(page, body(202))).toBe(false);
    await newBelow.click();
    await until(() => inView(page, body(202)), 'message 202 in view after the jump');
    await newBelow.waitFor({ state: 'detached' });

    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await sam.quit();
  });
});
