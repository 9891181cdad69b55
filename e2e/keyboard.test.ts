import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { channelItem, dmItem, openApp, signIn, TcpUser, until, useServerAndBrowser } from './browser.ts';

const title = (page: Page) => page.getByTestId('conversation-title');
/** Wait until the conversation header names `name` (and nothing longer). */
const inConversation = (page: Page, name: string) =>
  until(async () => (await title(page).innerText()).split(/\s/)[0] === name, `the header to show ${name}`);

const switcher = (page: Page) => page.getByRole('dialog', { name: 'Jump to a conversation' });
const optionNames = (page: Page) =>
  page.getByTestId('switcher-option').evaluateAll((els) => els.map((el) => el.getAttribute('data-name')));
const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');
const focusedText = (page: Page) => page.evaluate(() => (document.activeElement as HTMLElement | null)?.innerText.trim() ?? '');

async function createChannel(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: 'Browse channels' }).click();
  await page.getByLabel('Create or join a channel').fill(name);
  await page.getByRole('button', { name: 'Create' }).click();
  await channelItem(page, `#${name}`).waitFor();
  await inConversation(page, `#${name}`);
}

// Issue item 10: the quick switcher, Alt+arrows between conversations, and a Leave that asks.
describe('keyboard and leaving', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('jumps with Ctrl+K, steps with Alt+arrows, and confirms before leaving', async () => {
    const zed = await TcpUser.as(server.tcpPort, '@zed', '#general');
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'kim');
    await inConversation(page, '#general');
    await createChannel(page, 'devops');
    await createChannel(page, 'backend-dev');
    await zed.client.msg('@kim', 'ping');
    await dmItem(page, '@zed').waitFor();
    // Sidebar order: #backend-dev, #devops, #general, then @zed.

    // Ctrl+K from the message box: the switcher opens with focus in its input.
    await channelItem(page, '#general').click();
    await inConversation(page, '#general');
    await page.getByTestId('composer').focus();
    await page.keyboard.press('Control+k');
    await switcher(page).waitFor();
    expect(await focusedId(page)).toBe('switcher-input');
    expect(await optionNames(page)).toEqual(['#backend-dev', '#devops', '#general', '@zed']);

    // Typing filters, names starting with the text first; the arrows move the pick (wrapping).
    await page.keyboard.type('DEV');
    await until(async () => (await optionNames(page)).join() === '#devops,#backend-dev', 'the list to filter to "dev"');
    const picked = page.getByRole('option', { selected: true });
    expect(await picked.getAttribute('data-name')).toBe('#devops');
    const input = page.getByRole('combobox', { name: 'Jump to a conversation' });
    expect(await input.getAttribute('aria-activedescendant')).toBe(await picked.getAttribute('id'));
    await page.keyboard.press('ArrowDown');
    await until(async () => (await picked.getAttribute('data-name')) === '#backend-dev', '#backend-dev to be picked');
    await page.keyboard.press('ArrowDown');
    await until(async () => (await picked.getAttribute('data-name')) === '#devops', 'the pick to wrap to #devops');
    await page.keyboard.press('Enter');
    await switcher(page).waitFor({ state: 'detached' });
    await inConversation(page, '#devops');
    await until(async () => (await focusedId(page)) === 'composer-input', 'focus in the message box');

    // ⌘K opens it too; Escape closes it, changes nothing, and gives focus back.
    await page.keyboard.press('Meta+k');
    await switcher(page).waitFor();
    await page.keyboard.type('ze');
    await until(async () => (await optionNames(page)).join() === '@zed', 'the list to filter to "ze"');
    await page.keyboard.press('Escape');
    await switcher(page).waitFor({ state: 'detached' });
    await inConversation(page, '#devops');
    expect(await focusedId(page)).toBe('composer-input');

    // Alt+↓ / Alt+↑ step through the sidebar's order from the message box, stopping at the end.
    await page.keyboard.press('Alt+ArrowDown');
    await inConversation(page, '#general');
    await until(async () => (await focusedId(page)) === 'composer-input', 'focus in the new message box');
    await page.keyboard.press('Alt+ArrowDown');
    await inConversation(page, '@zed');
    await page.keyboard.press('Alt+ArrowDown'); // the last one: stays
    await page.keyboard.press('Alt+ArrowUp');
    await inConversation(page, '#general');
    await page.keyboard.press('Alt+ArrowUp');
    await inConversation(page, '#devops');

    // Leave asks first. Cancel (where focus starts) keeps you in, and focus goes back to Leave.
    const leave = page.getByRole('button', { name: 'Leave', exact: true });
    const confirm = page.getByRole('alertdialog', { name: 'Leave #devops?' });
    await leave.click();
    await confirm.waitFor();
    expect(await focusedText(page)).toBe('Cancel');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    expect(await focusedText(page)).toBe('Leave');
    await inConversation(page, '#devops');
    expect(await channelItem(page, '#devops').count()).toBe(1);

    // From the keyboard: Enter on Leave asks again, Escape is Cancel.
    await page.keyboard.press('Enter');
    await confirm.waitFor();
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    await inConversation(page, '#devops');

    // Confirming leaves, and lands in another conversation: #general.
    await leave.click();
    await confirm.getByRole('button', { name: 'Leave #devops' }).click();
    await channelItem(page, '#devops').waitFor({ state: 'detached' });
    await inConversation(page, '#general');
    await page.keyboard.press('Control+k');
    await switcher(page).waitFor();
    expect(await optionNames(page)).toEqual(['#backend-dev', '#general', '@zed']);
    await page.keyboard.press('Escape');
    await switcher(page).waitFor({ state: 'detached' });

    // Leaving #general itself still lands somewhere: the first channel left.
    await leave.click();
    await page.getByRole('alertdialog', { name: 'Leave #general?' }).getByRole('button', { name: 'Leave #general' }).click();
    await channelItem(page, '#general').waitFor({ state: 'detached' });
    await inConversation(page, '#backend-dev');

    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await page.context().close();
    await zed.quit();
  });
});
