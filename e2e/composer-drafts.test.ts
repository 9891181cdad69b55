import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { channelItem, composer, connectionState, dmItem, openApp, person, signIn, TcpUser, text, useServerAndBrowser } from './browser.ts';

const CLEAN = { errors: [], cspViolations: [], dialogs: [] };

async function open(page: Page, item: ReturnType<typeof channelItem>, title: string): Promise<void> {
  await item.click();
  await page.getByTestId('conversation-title').filter({ hasText: title }).waitFor();
}

// Issue 15, item 11: a half-written message survived a look at another conversation but not
// a reload. Drafts are now kept per handle and conversation in the browser.
describe('drafts', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('are kept per conversation through a reload, cleared on send, and forgotten at sign-out', async () => {
    const ike = await TcpUser.as(server.tcpPort, '@ike', '#general');
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'hana');

    await open(page, channelItem(page, '#general'), '#general');
    await composer(page).fill('half-written in general');
    await open(page, person(page, '@ike'), '@ike');
    await composer(page).fill('half-written to ike');

    await page.reload();
    await connectionState(page, 'online');
    await open(page, channelItem(page, '#general'), '#general');
    expect(await composer(page).inputValue()).toBe('half-written in general');
    await open(page, dmItem(page, '@ike'), '@ike');
    expect(await composer(page).inputValue()).toBe('half-written to ike');

    await composer(page).press('Enter');
    await ike.waitForMessage((m) => text(m.body) === 'half-written to ike', 'the draft, sent');
    expect(await composer(page).inputValue()).toBe('');
    await page.reload();
    await connectionState(page, 'online');
    await open(page, dmItem(page, '@ike'), '@ike');
    expect(await composer(page).inputValue()).toBe('');
    await open(page, channelItem(page, '#general'), '#general');
    expect(await composer(page).inputValue()).toBe('half-written in general');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, 'hana');
    await open(page, channelItem(page, '#general'), '#general');
    expect(await composer(page).inputValue()).toBe('');
    expect(problems).toEqual(CLEAN);
    await ike.quit();
  });
});
