import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { channelItem, dmItem, openApp, seeMessage, signIn, TcpUser, until, useServerAndBrowser } from './browser.ts';

const PASSWORD = 'permalinks-pass';
const line = (i: number) => `general line ${i}`;

const title = (page: Page) => page.getByTestId('conversation-title');
/** The conversation on screen, as its header names it. */
const showing = async (page: Page, name: string) => {
  await title(page).filter({ hasText: name }).waitFor();
};
const hashOf = (page: Page) => new URL(page.url()).hash;

/** The message with this id is held, highlighted or not, and whether it is in the list's view. */
const messageState = (page: Page, id: number) =>
  page.getByTestId('message-list').evaluate((list, wanted) => {
    const row = list.querySelector<HTMLElement>(`[data-testid="message"][data-id="${wanted}"]`);
    if (!row) return { held: false, highlighted: false, inView: false };
    const r = row.getBoundingClientRect();
    const v = list.getBoundingClientRect();
    return { held: true, highlighted: row.dataset.highlighted === 'true', inView: r.top >= v.top && r.bottom <= v.bottom };
  }, id);

/** Ids of the messages held, lowest and highest. */
const heldRange = (page: Page) =>
  page.getByTestId('message').evaluateAll((rows) => {
    const ids = rows.map((r) => Number((r as HTMLElement).dataset.id));
    return { low: Math.min(...ids), high: Math.max(...ids) };
  });

// Issue 15 item 10: every conversation and every message has an address; Back and Forward
// move between conversations, a pasted link opens the message in context, and a reload
// stays where you were. The tab title names the conversation.
describe('addresses of conversations and messages', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]), { msgRate: 0 });

  it('moves Back and Forward between conversations, reloads in place, and names them in the title', async () => {
    const bob = await TcpUser.as(server.tcpPort, '@bob', '#general');
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'carol', PASSWORD);
    await showing(page, '#general');
    await until(() => hashOf(page) === '#/c/general', 'the address to name #general');
    await until(async () => (await page.title()) === '#general · SLCK', 'the title to name #general');

    await page.getByRole('button', { name: 'Browse channels' }).click();
    await page.getByLabel('Create or join a channel').fill('#dev');
    await page.getByRole('button', { name: 'Create' }).click();
    await showing(page, '#dev');
    expect(hashOf(page)).toBe('#/c/dev');
    await bob.client.msg('@carol', 'hello carol');
    await dmItem(page, '@bob').click();
    await showing(page, '@bob');
    expect(hashOf(page)).toBe('#/c/@bob');
    await until(async () => (await page.title()) === '@bob · SLCK', 'the title to name @bob');

    // Back and Forward step through what was opened, the title following.
    await page.goBack();
    await showing(page, '#dev');
    await until(async () => (await page.title()) === '#dev · SLCK', 'the title to name #dev after Back');
    await page.goBack();
    await showing(page, '#general');
    expect(hashOf(page)).toBe('#/c/general');
    await page.goForward();
    await showing(page, '#dev');
    expect(hashOf(page)).toBe('#/c/dev');

    // Unread counts stay at the start of the title, before the name.
    await bob.client.msg('#general', '@carol a word');
    await until(async () => (await page.title()) === '(@1) #dev · SLCK', 'the title to count the mention, then name #dev');

    // A reload stays where it was.
    await dmItem(page, '@bob').click();
    await showing(page, '@bob');
    await page.reload();
    await showing(page, '@bob');
    await seeMessage(page, 'hello carol');
    expect(hashOf(page)).toBe('#/c/@bob');
    // ... and Back still goes to the conversation before.
    await page.goBack();
    await showing(page, '#dev');

    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await page.context().close();
    await bob.quit();
  });

  it('copies a link to a message, which opens it in context, highlighted, for someone else', async () => {
    const bob = await TcpUser.as(server.tcpPort, '@bob2', '#general');
    await Promise.all(Array.from({ length: 120 }, (_, i) => bob.client.msg('#general', line(i + 1))));
    const carol = await openApp(browser, server.httpUrl);
    await carol.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.httpUrl });
    await signIn(carol.page, 'carol', PASSWORD);
    await channelItem(carol.page, '#general').click();
    await showing(carol.page, '#general');
    // She opens it at her first unread message.
    await seeMessage(carol.page, line(20));

    // "Copy link" on bob's 20th message (ids count every message of #general).
    const row = carol.page.getByTestId('message').filter({ hasText: line(20) });
    const id = Number(await row.getAttribute('data-id'));
    await row.hover();
    await row.getByTestId('copy-link').click();
    await row.getByRole('status').filter({ hasText: 'Link copied' }).waitFor({ state: 'attached' });
    const link = await carol.page.evaluate(() => navigator.clipboard.readText());
    expect(link).toBe(`${server.httpUrl}/#/c/general/${id}`);

    // Dave opens the link in his own browser: after signing in he sees that message,
    // highlighted and in view, with the history around it (not the latest page).
    const target = id + 10; // a message away from both ends
    const older = link.replace(/\/\d+$/, `/${target}`);
    const dave = await openApp(browser, older);
    await signIn(dave.page, 'dave');
    await showing(dave.page, '#general');
    await until(async () => (await messageState(dave.page, target)).highlighted, `message ${target} highlighted`);
    await until(async () => (await messageState(dave.page, target)).inView, `message ${target} in view`);
    const range = await heldRange(dave.page);
    expect(range.low).toBeLessThan(target);
    expect(range.high).toBeGreaterThan(target);
    // The latest page would start at #72.
    expect(range.high).toBeLessThan(72);
    expect(await dave.page.locator('[data-highlighted="true"]').count()).toBe(1);
    expect(hashOf(dave.page)).toBe(`#/c/general/${target}`);

    // A reload keeps the message in view, highlighted.
    await dave.page.reload();
    await showing(dave.page, '#general');
    await until(async () => (await messageState(dave.page, target)).highlighted, `message ${target} highlighted after the reload`);

    // The link pasted into Carol's open tab takes her there; Back returns to where she was.
    await carol.page.getByRole('button', { name: 'Browse channels' }).click();
    await carol.page.getByLabel('Create or join a channel').fill('#side');
    await carol.page.getByRole('button', { name: 'Create' }).click();
    await showing(carol.page, '#side');
    await carol.page.evaluate((hash) => (location.hash = hash), `#/c/general/${target}`);
    await showing(carol.page, '#general');
    await until(async () => (await messageState(carol.page, target)).highlighted, `message ${target} highlighted for Carol`);
    await until(async () => (await messageState(carol.page, target)).inView, `message ${target} in view for Carol`);
    await carol.page.goBack();
    await showing(carol.page, '#side');
    await carol.page.goForward();
    await showing(carol.page, '#general');
    await until(async () => (await messageState(carol.page, target)).highlighted, `message ${target} highlighted again after Forward`);

    for (const p of [carol, dave]) expect(p.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await Promise.all([carol.context.close(), dave.context.close()]);
    await bob.quit();
  });

  it('offers to join a channel a link names that one is not in', async () => {
    const bob = await TcpUser.as(server.tcpPort, '@bob3', '#hidden');
    await bob.client.msg('#hidden', 'only for members');
    const { page, problems } = await openApp(browser, `${server.httpUrl}/#/c/hidden/1`);
    await signIn(page, 'erin');
    const offer = page.getByTestId('not-member');
    await offer.waitFor();
    expect(await offer.innerText()).toContain('#hidden');
    expect(await channelItem(page, '#hidden').count()).toBe(0);
    await page.getByRole('button', { name: 'Join #hidden' }).click();
    await showing(page, '#hidden');
    await seeMessage(page, 'only for members');
    await until(async () => (await messageState(page, 1)).highlighted, 'message 1 highlighted once joined');
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await page.context().close();
    await bob.quit();
  });
});
