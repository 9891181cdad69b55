import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { channelItem, openApp, person, screenshot, seeMessage, signIn, TcpUser, useServerAndBrowser } from './browser.ts';

// Issue 18 rule 5: Ann blocks a telnet user from their direct conversation's header. His
// direct messages are refused; in #general his messages collapse to one line that Show opens.
describe('blocking a user', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('refuses their DMs and collapses their channel messages, which Show expands; Unblock undoes it', async () => {
    const troll = await TcpUser.as(server.tcpPort, '@troll', '#general');
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'ann');
    await page.getByTestId('conversation-title').filter({ hasText: '#general' }).waitFor();
    await troll.client.msg('#general', 'first from the troll');
    await seeMessage(page, 'first from the troll');

    // His name opens the conversation with him; its header has Block.
    await page.locator('[data-testid="message"][data-from="@troll"]').getByTestId('message-from').click();
    await page.getByTestId('conversation-title').filter({ hasText: '@troll' }).waitFor();
    const block = page.getByRole('button', { name: 'Block @troll' });
    expect(await block.getAttribute('aria-pressed')).toBe('false');
    await block.click();
    await page.locator('[data-testid="block-toggle"][aria-pressed="true"]').waitFor();
    await expect(troll.client.msg('@ann', 'let me in')).rejects.toMatchObject({ code: 'UNDELIVERABLE' });

    // Back in #general his message is one line, and the next one joins it.
    await channelItem(page, '#general').click();
    const run = page.getByTestId('blocked-run');
    await run.filter({ hasText: '1 message from a blocked user' }).waitFor();
    expect(await page.getByText('first from the troll').count()).toBe(0);
    await troll.client.msg('#general', 'second from the troll');
    await run.filter({ hasText: '2 messages from a blocked user' }).waitFor();
    expect(await page.getByText('second from the troll').count()).toBe(0);
    // The line on screen reads them: #general has nothing unread.
    await channelItem(page, '#general').getByTestId('unread').waitFor({ state: 'detached' });
    await screenshot(page, 'blocked-collapsed');

    // Show (from the keyboard) expands the run; Hide folds it again.
    const toggle = run.getByRole('button', { name: 'Show' });
    await toggle.focus();
    await page.keyboard.press('Enter');
    await seeMessage(page, 'first from the troll');
    await seeMessage(page, 'second from the troll');
    expect(await run.getByRole('button', { name: 'Hide' }).getAttribute('aria-expanded')).toBe('true');
    await run.getByRole('button', { name: 'Hide' }).click();
    await page.getByText('first from the troll').waitFor({ state: 'detached' });

    // A reload reads the block list again at sign-in.
    await page.reload();
    await page.getByTestId('conversation-title').filter({ hasText: '#general' }).waitFor();
    await run.filter({ hasText: '2 messages from a blocked user' }).waitFor();

    // Unblocking: his messages show, and his DMs come through.
    await person(page, '@troll').click();
    await page.getByTestId('conversation-title').filter({ hasText: '@troll' }).waitFor();
    await page.getByRole('button', { name: 'Block @troll' }).click();
    await page.locator('[data-testid="block-toggle"][aria-pressed="false"]').waitFor();
    await troll.client.msg('@ann', 'sorry');
    await seeMessage(page, 'sorry');
    await channelItem(page, '#general').click();
    await seeMessage(page, 'second from the troll');
    expect(await run.count()).toBe(0);

    await troll.quit();
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
  });
});
