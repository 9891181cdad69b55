import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import {
  channelItem, connectionState, cut, installSocketCutter, messageBodies, openApp, person, restore, seeMessage, signIn, TcpUser, until,
  useServerAndBrowser,
} from './browser.ts';

// The page's link drops while the server keeps running; messages are posted during the
// outage and while the page signs in again. Afterwards the page shows each exactly once, in
// order.
describe('catching up after the link drops', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('shows every message missed during the outage and the reconnect once, in order', async () => {
    const { context, page, problems } = await openApp(browser, server.httpUrl);
    await context.addInitScript(installSocketCutter);
    await page.reload();
    await signIn(page, 'rita');

    const teo = await TcpUser.as(server.tcpPort, '@teo', '#general');
    const expected = ['before the outage'];
    await teo.client.msg('#general', expected[0]);
    await seeMessage(page, expected[0]);
    await person(page, '@teo').and(page.locator('[data-online="true"]')).waitFor();

    await cut(page);
    await connectionState(page, 'offline');
    // The server has seen Rita go: what is posted now does not reach her page.
    await until(() => teo.events.some((e) => e.type === 'OFFLINE' && e.user === '@rita'), 'Rita to go offline');
    // While disconnected, nobody shows as online.
    await person(page, '@teo').and(page.locator('[data-online="false"]')).waitFor();

    for (let i = 0; i < 30; i++) {
      const body = `outage ${i}`;
      await teo.client.msg('#general', body);
      expected.push(body);
    }

    // From the moment Rita registers again, Teo keeps posting until her page is caught up:
    // those messages reach the page live while it is still fetching what it missed.
    let caughtUp = false;
    const registeredAgain = new Promise<void>((resolve) => {
      const off = teo.client.on('online', (e) => {
        if (e.user !== '@rita') return;
        off();
        resolve();
      });
    });
    const posting = (async () => {
      await registeredAgain;
      for (let i = 0; !caughtUp && i < 300; i++) {
        const body = `reconnecting ${i}`;
        await teo.client.msg('#general', body);
        expected.push(body);
      }
    })();
    await restore(page);
    await connectionState(page, 'online', 20_000);
    caughtUp = true;
    await posting;
    expect(expected.some((b) => b.startsWith('reconnecting'))).toBe(true);

    expected.push('after the reconnect');
    await teo.client.msg('#general', 'after the reconnect');
    await seeMessage(page, 'after the reconnect');
    expect(await messageBodies(page).allInnerTexts()).toEqual(expected);
    await person(page, '@teo').and(page.locator('[data-online="true"]')).waitFor();
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await teo.quit();
  });

  it('fills the gap in a channel not yet opened that got live messages before the link dropped', async () => {
    // Over telnet, @sara joined #general and #big earlier: the server restores both when she
    // signs in from the browser, and the page joins nothing else.
    const saraBefore = await TcpUser.as(server.tcpPort, '@sara', '#general', '#big');
    await saraBefore.quit();
    const wes = await TcpUser.as(server.tcpPort, '@wes', '#big');

    const { context, page, problems } = await openApp(browser, server.httpUrl);
    await context.addInitScript(installSocketCutter);
    await page.reload();
    await signIn(page, 'sara');
    await channelItem(page, '#big').waitFor();
    await page.getByTestId('conversation-title').filter({ hasText: '#general' }).waitFor();
    expect(await page.locator('[data-testid="channel-item"]').count()).toBe(2);

    // #big is not open: two messages arrive live and wait there, unread.
    const expected = ['live 0', 'live 1'];
    for (const body of expected) await wes.client.msg('#big', body);
    await channelItem(page, '#big').getByTestId('unread').filter({ hasText: '2' }).waitFor();

    await cut(page);
    await until(() => wes.events.some((e) => e.type === 'OFFLINE' && e.user === '@sara'), 'Sara to go offline');
    for (let i = 0; i < 60; i++) {
      const body = `outage ${i}`;
      await wes.client.msg('#big', body);
      expected.push(body);
    }
    await restore(page);
    await connectionState(page, 'online', 20_000);
    await wes.client.msg('#big', 'after the reconnect');
    expected.push('after the reconnect');
    await channelItem(page, '#big').getByTestId('unread').filter({ hasText: '3' }).waitFor();

    // Opening #big (at its first unread message), reading down to the newest and back up to
    // the start shows everything, once, in order.
    await channelItem(page, '#big').click();
    await seeMessage(page, 'live 0');
    const list = page.getByTestId('message-list');
    await until(async () => {
      await list.evaluate((el) => el.scrollTo(0, el.scrollHeight));
      return page.getByText('after the reconnect').isVisible();
    }, 'the newest message of #big');
    await until(async () => {
      await list.evaluate((el) => el.scrollTo(0, 0));
      return page.getByText('This is the very beginning of #big.').isVisible();
    }, 'the beginning of #big');
    expect(await messageBodies(page).allInnerTexts()).toEqual(expected);
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await wes.quit();
  });
});
