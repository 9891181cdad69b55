import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { dmItem, openApp, person, seeMessage, signIn, TcpUser, useServerAndBrowser } from './browser.ts';

// A telnet user who shares no channel with the browser user writes to them directly: the
// sender shows up under People, online.
describe('presence of a direct-message sender', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('lists a channel-less sender as online', async () => {
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'uma');

    // Vic registers after Uma's page has read the people list, and joins no channel.
    const vic = await TcpUser.as(server.tcpPort, '@vic');
    await vic.client.msg('@uma', 'psst, Uma');

    await person(page, '@vic').and(page.locator('[data-online="true"]')).waitFor();
    await dmItem(page, '@vic').click();
    await seeMessage(page, 'psst, Uma');
    const title = page.getByTestId('conversation-title');
    await title.filter({ hasText: '@vic' }).waitFor();
    expect(await title.innerText()).not.toContain('offline');
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await vic.quit();
  });
});
