import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { channelItem, dmItem, openApp, screenshot, seeMessage, signIn, TcpUser, until, useServerAndBrowser } from './browser.ts';

const PASSWORD = 'read-state-pass';

async function createChannel(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: 'Browse channels' }).click();
  await page.getByLabel('Create or join a channel').fill(name);
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByTestId('conversation-title').filter({ hasText: name }).waitFor();
}

async function open(page: Page, name: string): Promise<void> {
  await (name.startsWith('#') ? channelItem(page, name) : dmItem(page, name)).click();
  await page.getByTestId('conversation-title').filter({ hasText: name }).waitFor();
}

/** A conversation's badges as a person reads them: the unread count and the "@n" of mentions. */
async function badges(page: Page, item: ReturnType<typeof channelItem>) {
  const unread = item.getByTestId('unread');
  const mentions = item.getByTestId('mentions');
  return {
    unread: (await unread.count()) ? await unread.innerText() : '',
    mentions: (await mentions.count()) ? await mentions.innerText() : '',
    red: (await unread.count()) ? (await unread.getAttribute('data-calls')) === 'true' : false,
  };
}

/** What Rae's sidebar should show once she is back: the counts the server kept for her. */
async function expectBadges(page: Page): Promise<void> {
  await channelItem(page, '#alpha').getByTestId('unread').filter({ hasText: /^2$/ }).waitFor();
  expect(await badges(page, channelItem(page, '#alpha'))).toEqual({ unread: '2', mentions: '', red: false });
  expect(await badges(page, channelItem(page, '#beta'))).toEqual({ unread: '3', mentions: '@1', red: true });
  expect(await badges(page, dmItem(page, '@tom'))).toEqual({ unread: '1', mentions: '', red: true });
  expect(await badges(page, dmItem(page, '@uma'))).toEqual({ unread: '1', mentions: '', red: true });
  expect(await badges(page, channelItem(page, '#general'))).toEqual({ unread: '', mentions: '', red: false });
  // Most recent first: Uma wrote after Tom.
  expect(await page.getByTestId('dm-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')))).toEqual(['@uma', '@tom']);
  // Three messages call for her (the mention, two direct messages) of seven unread.
  await until(async () => (await page.title()) === '(@3 · 7) #general · SLCK', 'the tab title to count 3 calls of 7 unread');
}

// Issue item 2: the server keeps what each user has read, so unread counts survive signing
// out, a new browser, and follow the user from device to device.
describe('read state kept by the server', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('brings badges back after signing in again, to a new browser too, and clears them everywhere once read', async () => {
    const laptop = await openApp(browser, server.httpUrl);
    await signIn(laptop.page, 'rae', PASSWORD);
    await createChannel(laptop.page, '#alpha');
    await createChannel(laptop.page, '#beta');
    const tom = await TcpUser.as(server.tcpPort, '@tom', '#alpha', '#beta');
    const uma = await TcpUser.as(server.tcpPort, '@uma');
    // Rae over telnet too (a claimed handle may be signed in several times): she hears every
    // READ her browsers send.
    const raeTcp = await TcpUser.connect(server.tcpPort);
    await raeTcp.client.reg('@rae', PASSWORD);
    const reads: string[] = [];
    raeTcp.client.on('read', (r) => reads.push(`${r.target} ${r.id}`));

    // She reads #alpha's first message where it arrives: the page marks it read.
    await open(laptop.page, '#alpha');
    await tom.client.msg('#alpha', 'alpha one, read');
    await seeMessage(laptop.page, 'alpha one, read');
    await until(() => reads.includes('#alpha 1'), 'the page to mark #alpha read up to 1');

    // Signed out, she misses two messages in #alpha, three in #beta (one for her) and two
    // direct messages.
    await open(laptop.page, '#general');
    await laptop.page.getByRole('button', { name: 'Sign out' }).click();
    await laptop.page.getByLabel('Handle').waitFor();
    await tom.client.msg('#alpha', 'alpha two');
    await tom.client.msg('#alpha', 'alpha three');
    await tom.client.msg('#beta', 'beta one');
    await tom.client.msg('#beta', 'hey @rae, look at this');
    await tom.client.msg('#beta', 'beta three');
    const psst = await tom.client.msg('@rae', 'psst, rae');
    // Uma writes a moment later (the server orders conversations by their newest message's time).
    await until(() => 'ts' in psst && Date.now() > Date.parse(psst.ts), 'the clock to pass the last message');
    await uma.client.msg('@rae', 'hi from uma');

    await signIn(laptop.page, 'rae', PASSWORD);
    await expectBadges(laptop.page);
    await screenshot(laptop.page, 'read-state-badges');

    // A browser that has never seen Rae shows the same: the direct conversations too.
    const phone = await openApp(browser, server.httpUrl);
    await signIn(phone.page, 'rae', PASSWORD);
    await expectBadges(phone.page);

    // Opening #alpha there: the "New" divider sits between what she had read and what not.
    await open(phone.page, '#alpha');
    await seeMessage(phone.page, 'alpha three');
    const around = await phone.page.getByTestId('new-divider').evaluate((divider) => ({
      before: divider.previousElementSibling?.querySelector('[data-testid="message-body"]')?.textContent,
      after: divider.nextElementSibling?.querySelector('[data-testid="message-body"]')?.textContent,
    }));
    expect(around).toEqual({ before: 'alpha one, read', after: 'alpha two' });
    expect(await phone.page.getByTestId('new-divider').count()).toBe(1);

    // Read on the phone, cleared on the laptop, and only there: #beta still waits.
    await until(() => reads.includes('#alpha 3'), 'the phone to mark #alpha read up to 3');
    await channelItem(laptop.page, '#alpha').getByTestId('unread').waitFor({ state: 'detached' });
    expect(await badges(laptop.page, channelItem(laptop.page, '#beta'))).toEqual({ unread: '3', mentions: '@1', red: true });
    await until(async () => (await laptop.page.getByTestId('menu-button').getAttribute('aria-label'))?.includes('5 unread'), 'the laptop to count 5 unread');
    await until(async () => (await laptop.page.title()) === '(@3 · 5) #general · SLCK', 'the laptop title to drop #alpha');

    // The divider stays while she looks; new messages do not move it.
    await tom.client.msg('#alpha', 'alpha four');
    await seeMessage(phone.page, 'alpha four');
    expect(await phone.page.getByTestId('new-divider').evaluate((d) => d.nextElementSibling?.textContent)).toContain('alpha two');
    await until(() => reads.includes('#alpha 4'), 'the phone to mark the new message read too');

    // Next time she opens #alpha, with nothing unread, there is no divider.
    await open(phone.page, '#general');
    await open(phone.page, '#alpha');
    await seeMessage(phone.page, 'alpha four');
    expect(await phone.page.getByTestId('new-divider').count()).toBe(0);

    // A direct conversation read on the laptop clears on the phone.
    await open(laptop.page, '@tom');
    await seeMessage(laptop.page, 'psst, rae');
    await dmItem(phone.page, '@tom').getByTestId('unread').waitFor({ state: 'detached' });

    for (const p of [laptop, phone]) expect(p.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await Promise.all([laptop.context.close(), phone.context.close()]);
    await Promise.all([tom.quit(), uma.quit(), raeTcp.quit()]);
  });

  // Issue item 10: Esc marks the conversation on screen read, wherever one is in it.
  it('Esc marks the open conversation read while scrolled back in it', async () => {
    const page = (await openApp(browser, server.httpUrl)).page;
    await signIn(page, 'ivy', PASSWORD);
    await createChannel(page, '#long');
    const bob = await TcpUser.as(server.tcpPort, '@bob-esc', '#long');
    const ivyTcp = await TcpUser.connect(server.tcpPort);
    await ivyTcp.client.reg('@ivy', PASSWORD);
    const reads: string[] = [];
    ivyTcp.client.on('read', (r) => reads.push(`${r.target} ${r.id}`));
    for (let i = 1; i <= 60; i++) void bob.client.msg('#long', `line ${i}`);
    await seeMessage(page, 'line 60');
    await until(() => reads.includes('#long 60'), 'the page to mark what it shows read');
    // Scrolled back to the top, a new message arrives below, out of view: not read yet.
    await page.getByTestId('message-list').evaluate((el) => (el.scrollTop = 0));
    await bob.client.msg('#long', 'below the fold');
    await page.getByText('below the fold').waitFor({ state: 'attached' });
    expect(reads).not.toContain('#long 61');
    await page.keyboard.press('Escape');
    await until(() => reads.includes('#long 61'), 'Esc to mark #long read up to 61');
    await Promise.all([bob.quit(), ivyTcp.quit()]);
  });
});
