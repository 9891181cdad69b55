import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { messageBodies, openApp, seeMessage, send, signIn, TcpUser, until, useServerAndBrowser } from './browser.ts';

// Opening a conversation loads its latest page; scrolling up loads older pages; new messages
// do not pull away someone reading older ones.
describe('scrollback', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('pages older history in and keeps the reader’s place', async () => {
    const sam = await TcpUser.as(server.tcpPort, '@sam', '#general');
    for (let i = 1; i <= 120; i++) await sam.client.msg('#general', `message number ${i}`);
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'tess');
    await seeMessage(page, 'message number 120');
    expect(await messageBodies(page).count()).toBe(50);

    const list = page.getByTestId('message-list');
    const scroll = () =>
      list.evaluate((el) => ({ top: el.scrollTop, height: el.scrollHeight, client: el.clientHeight }));
    // Opened at the newest message.
    const opened = await scroll();
    expect(opened.height - opened.top - opened.client).toBeLessThan(5);

    // Scrolling to the top fetches older pages until the beginning.
    await until(async () => {
      await list.evaluate((el) => el.scrollTo(0, 0));
      return (await messageBodies(page).count()) === 120;
    }, 'all 120 messages to be loaded');
    await page.getByText('This is the very beginning of #general.').waitFor();
    const bodies = await messageBodies(page).allInnerTexts();
    expect(bodies[0]).toBe('message number 1');
    expect(bodies[119]).toBe('message number 120');

    // Reading in the middle: a new message does not move the view; a button offers it.
    await list.evaluate((el) => el.scrollTo(0, Math.round(el.scrollHeight / 2)));
    const reading = await scroll();
    await sam.client.msg('#general', 'fresh news');
    await page.getByTestId('new-below').waitFor();
    expect((await scroll()).top).toBe(reading.top);
    await page.getByTestId('new-below').click();
    await seeMessage(page, 'fresh news');
    await until(async () => {
      const s = await scroll();
      return s.height - s.top - s.client < 5;
    }, 'the view to reach the newest message');

    // At the bottom, new messages (own or others') keep the view at the bottom.
    await send(page, 'my reply');
    await sam.client.msg('#general', 'and one more');
    await seeMessage(page, 'and one more');
    await until(async () => {
      const s = await scroll();
      return s.height - s.top - s.client < 5;
    }, 'the view to follow new messages');
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await sam.quit();
  });
});
