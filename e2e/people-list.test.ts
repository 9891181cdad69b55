import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { dmItem, openApp, person, signIn, TcpUser, useServerAndBrowser } from './browser.ts';

const CLEAN = { errors: [], cspViolations: [], dialogs: [] };
const names = (page: Page, list: string) => page.getByTestId(list).getByTestId('person').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')));

/** A telnet user in no channel at all. */
async function loner(port: number, handle: string): Promise<TcpUser> {
  const u = await TcpUser.as(port, handle);
  await u.client.leave('#general').catch(() => {});
  return u;
}

// Issue 15, item 11: "People" listed every handle ever used, by name. Now those online and
// those you share a conversation with come first, the others after, and a filter finds anyone.
describe('the People list', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('puts the people near you first and filters', async () => {
    const port = server.tcpPort;
    const bea = await loner(port, '@bea');
    await bea.quit();
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'pam');
    const zed = await TcpUser.as(port, '@zed', '#general');
    const dan = await TcpUser.as(port, '@dan', '#general');
    const cal = await loner(port, '@cal');
    const eve = await loner(port, '@eve');
    await eve.client.msg('@pam', 'hi pam');
    await dmItem(page, '@eve').waitFor();
    await dan.quit();
    await eve.quit();
    await person(page, '@dan').and(page.locator('[data-online="false"]')).waitFor();
    await person(page, '@eve').and(page.locator('[data-online="false"]')).waitFor();
    await person(page, '@cal').and(page.locator('[data-online="true"]')).waitFor();

    // Online first (me, and those online, in a channel with me or not), then offline people
    // I share a channel or a direct conversation with; the rest under "Others".
    expect(await names(page, 'people-list')).toEqual(['@cal', '@pam', '@zed', '@dan', '@eve']);
    expect(await names(page, 'people-others')).toEqual(['@bea']);

    const filter = page.getByRole('searchbox', { name: 'Filter people' });
    await filter.fill('E');
    expect(await names(page, 'people-list')).toEqual(['@zed', '@eve']);
    expect(await names(page, 'people-others')).toEqual(['@bea']);
    await filter.fill('@be');
    expect(await names(page, 'people-list')).toEqual([]);
    expect(await names(page, 'people-others')).toEqual(['@bea']);
    await filter.fill('nobody');
    await page.getByText('Nobody matches “nobody”.').waitFor();
    await filter.fill('');
    expect(await names(page, 'people-list')).toEqual(['@cal', '@pam', '@zed', '@dan', '@eve']);

    expect(problems).toEqual(CLEAN);
    await zed.quit();
    await cal.quit();
  });
});
