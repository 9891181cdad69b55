import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { channelItem, dmItem, member, openApp, screenshot, signIn, TcpUser, until, useServerAndBrowser } from './browser.ts';

const directoryItem = (page: Page, name: string) => page.locator(`[data-testid="directory-item"][data-name="${name}"]`);

// Spec 3: creating, joining and leaving a channel updates channel lists and member lists live.
describe('channels: create, join, leave', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('keeps both people’s lists in step', async () => {
    const cleo = await openApp(browser, server.httpUrl);
    const dan = await openApp(browser, server.httpUrl);
    await signIn(cleo.page, 'cleo');
    await signIn(dan.page, 'dan');

    // Cleo creates #design from the channel browser; it opens, with her as its one member.
    await cleo.page.getByRole('button', { name: 'Browse channels' }).click();
    await cleo.page.getByLabel('Create or join a channel').fill('design');
    await cleo.page.getByRole('button', { name: 'Create' }).click();
    await channelItem(cleo.page, '#design').waitFor();
    await cleo.page.getByTestId('conversation-title').filter({ hasText: '#design' }).waitFor();
    const cleoMembers = cleo.page.getByTestId('member-list');
    if (!(await cleoMembers.isVisible())) await cleo.page.getByTestId('members-toggle').click();
    await member(cleo.page, '@cleo').waitFor();
    expect(await cleoMembers.getByTestId('member').count()).toBe(1);

    // Dan finds it in the channel browser and joins.
    await dan.page.getByRole('button', { name: 'Browse channels' }).click();
    await directoryItem(dan.page, '#design').filter({ hasText: '1 member' }).waitFor();
    await screenshot(dan.page, '04-browse-channels');
    await directoryItem(dan.page, '#design').getByRole('button', { name: 'Join' }).click();
    await channelItem(dan.page, '#design').waitFor();
    await dan.page.getByTestId('conversation-title').filter({ hasText: '#design' }).waitFor();

    // Cleo sees Dan arrive, in the member list and as a line in the conversation.
    await member(cleo.page, '@dan').waitFor();
    await cleo.page.getByTestId('system-line').filter({ hasText: '@dan joined #design' }).waitFor();
    await until(async () => (await cleo.page.getByTestId('members-toggle').innerText()).includes('2'), 'member count 2');
    await screenshot(cleo.page, '05-channel-members');

    // Dan leaves: it goes from his sidebar, and from Cleo's member list.
    await dan.page.getByRole('button', { name: 'Leave', exact: true }).click();
    await dan.page.getByRole('alertdialog').getByRole('button', { name: 'Leave #design' }).click();
    await channelItem(dan.page, '#design').waitFor({ state: 'detached' });
    await member(cleo.page, '@dan').waitFor({ state: 'detached' });
    await cleo.page.getByTestId('system-line').filter({ hasText: '@dan left #design' }).waitFor();
    expect(await channelItem(dan.page, '#general').count()).toBe(1);

    // Cleo leaves too: the channel stays listed in the browser, with no members.
    await cleo.page.getByRole('button', { name: 'Leave', exact: true }).click();
    await cleo.page.getByRole('alertdialog').getByRole('button', { name: 'Leave #design' }).click();
    await channelItem(cleo.page, '#design').waitFor({ state: 'detached' });
    await cleo.page.getByRole('button', { name: 'Browse channels' }).click();
    await directoryItem(cleo.page, '#design').filter({ hasText: '0 members' }).waitFor();
    await directoryItem(cleo.page, '#design').getByRole('button', { name: 'Join' }).waitFor();

    for (const p of [cleo, dan]) expect(p.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
  });

  it('one who left #general is not put back by signing in from a new browser', async () => {
    // A new handle starts in #general (the server puts it there); Gina leaves it over telnet.
    const gina = await TcpUser.as(server.tcpPort, '@gina');
    await gina.client.password('gina-pass-1');
    await gina.client.leave('#general');
    await gina.quit();
    const hal = await TcpUser.as(server.tcpPort, '@hal');

    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'gina', 'gina-pass-1');
    // Once a DM sent after her sign-in shows, the page has done what signing in does.
    await hal.client.msg('@gina', 'still around?');
    await dmItem(page, '@hal').waitFor();
    expect(await channelItem(page, '#general').count()).toBe(0);
    expect(hal.events.filter((e) => e.type === 'JOINED' && e.user === '@gina')).toEqual([]);
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await hal.quit();
  });
});
