import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { channelItem, openApp, screenshot, seeMessage, signIn, TcpUser, until, useServerAndBrowser } from './browser.ts';

// Spec 4: the unread count rises for a channel not in view and clears when it is opened.
describe('unread counts', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('counts messages in a channel not in view, and clears on opening it', async () => {
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'erin');
    await page.getByRole('button', { name: 'Browse channels' }).click();
    await page.getByLabel('Create or join a channel').fill('#ops');
    await page.getByRole('button', { name: 'Create' }).click();
    await channelItem(page, '#ops').waitFor();

    // Erin reads #general while a telnet user talks in #ops.
    await channelItem(page, '#general').click();
    await page.getByTestId('conversation-title').filter({ hasText: '#general' }).waitFor();
    const fred = await TcpUser.as(server.tcpPort, '@fred', '#ops', '#general');
    for (const n of [1, 2, 3]) await fred.client.msg('#ops', `ops update ${n}`);
    await fred.client.msg('#general', 'hello general');

    await seeMessage(page, 'hello general');
    const badge = channelItem(page, '#ops').getByTestId('unread');
    await badge.filter({ hasText: /^3$/ }).waitFor();
    // The channel in view does not count as unread.
    expect(await channelItem(page, '#general').getByTestId('unread').count()).toBe(0);
    await until(async () => (await page.title()) === '(3) #general · SLCK', 'the tab title to count 3 unread');
    await screenshot(page, '06-unread');

    await channelItem(page, '#ops').click();
    await seeMessage(page, 'ops update 3');
    await badge.waitFor({ state: 'detached' });
    expect(await page.title()).toBe('#ops · SLCK');

    // A message to the channel in view leaves it read.
    await fred.client.msg('#ops', 'ops update 4');
    await seeMessage(page, 'ops update 4');
    expect(await badge.count()).toBe(0);
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await fred.quit();
  });
});
