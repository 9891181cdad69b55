import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { ServerError } from '../core/client.ts';
import { channelItem, member, openApp, screenshot, seeMessage, send, signIn, TcpUser, useServerAndBrowser } from './browser.ts';
import { axeViolations, expectNoNewViolations } from './living.ts';

const title = (page: Page) => page.getByTestId('conversation-title');
const lock = (within: ReturnType<Page['locator']>) => within.getByRole('img', { name: 'private', exact: true });
const directoryItem = (page: Page, name: string) => page.locator(`[data-testid="directory-item"][data-name="${name}" i]`);

/** The error a command got, as code and sentence. */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ServerError) return `${e.code} ${e.message}`;
    throw e;
  }
  throw new Error('the command was not refused');
}

async function showMembers(page: Page): Promise<void> {
  if (!(await page.getByTestId('member-list').isVisible())) await page.getByTestId('members-toggle').click();
  await page.getByTestId('member-list').waitFor();
}

// Issue 18 item 8 (in the browser), rule 1: a Private switch where channels are made, a lock
// wherever a private channel is named, Invite in the member list, and the invited user's
// sidebar gaining the channel live. A telnet user outside it sees nothing of it.
describe('private channels in the browser', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('Ann makes #plans private with the switch, invites Bob, who sees it appear and reads it; a guest invite gets the server\'s sentence', async () => {
    const eve = await TcpUser.as(server.tcpPort, '@eve', '#general');
    const gus = await TcpUser.as(server.tcpPort, '@gus');
    const ann = await openApp(browser, server.httpUrl);
    await signIn(ann.page, 'ann', 'ann-secret-1');
    await title(ann.page).filter({ hasText: '#general' }).waitFor();
    const bob = await openApp(browser, server.httpUrl, { width: 390, height: 844 });
    await signIn(bob.page, 'bob', 'bob-secret-1');
    const axeBefore = await axeViolations(ann.page);

    // The create form: a real switch, labelled, with its one line.
    await ann.page.getByRole('button', { name: 'Browse channels' }).click();
    const privateSwitch = ann.page.getByRole('switch', { name: 'Private' });
    expect(await privateSwitch.isChecked()).toBe(false);
    expect(await ann.page.locator(`#${await privateSwitch.getAttribute('aria-describedby')}`).innerText()).toBe('Only people you invite can see it');
    await ann.page.getByLabel('Create or join a channel').fill('plans');
    await privateSwitch.check();
    await expectNoNewViolations(ann.page, axeBefore, 'the create form with its Private switch');
    await screenshot(ann.page, 'private-channel-create');
    await ann.page.getByRole('button', { name: 'Create' }).click();

    // It opens with a lock in the header and in the sidebar.
    await title(ann.page).filter({ hasText: '#plans' }).waitFor();
    await lock(title(ann.page)).waitFor();
    await lock(channelItem(ann.page, '#plans')).waitFor();
    expect(await lock(channelItem(ann.page, '#general')).count()).toBe(0);
    await send(ann.page, 'Friday: the launch plan');
    await seeMessage(ann.page, 'Friday: the launch plan');

    // And in the channel browser.
    await ann.page.getByRole('button', { name: 'Browse channels' }).click();
    await lock(directoryItem(ann.page, '#plans')).waitFor();
    expect(await lock(directoryItem(ann.page, '#general')).count()).toBe(0);
    await directoryItem(ann.page, '#plans').getByRole('button', { name: 'Open' }).click();
    await title(ann.page).filter({ hasText: '#plans' }).waitFor();

    // Eve, on telnet and not in it: HISTORY is answered as for a channel that does not exist,
    // and CHNS does not list it.
    expect(await refusal(eve.client.history('#plans'))).toBe('NO_SUCH_CHANNEL #plans does not exist');
    expect(await refusal(eve.client.history('#nowhere'))).toBe('NO_SUCH_CHANNEL #nowhere does not exist');
    const listed = (await eve.client.chns()).map((c) => c.channel);
    expect(listed).toContain('#general');
    expect(listed).not.toContain('#plans');

    // Bob, on his phone, has the channel list open: no #plans yet.
    await bob.page.getByRole('button', { name: 'Show channels and people' }).click();
    await channelItem(bob.page, '#general').waitFor();
    expect(await channelItem(bob.page, '#plans').count()).toBe(0);

    // Ann invites him from the member list; the box suggests him.
    await showMembers(ann.page);
    const handle = ann.page.getByLabel('Invite to #plans');
    await handle.pressSequentially('bo');
    await ann.page.locator('#invite-suggestions option[value="@bob"]').waitFor({ state: 'attached' });
    await handle.fill('@bob');
    await ann.page.getByRole('button', { name: 'Invite', exact: true }).click();
    await member(ann.page, '@bob').waitFor();
    expect(await ann.page.getByTestId('invite-result').innerText()).toBe('@bob is in #plans now');

    // #plans appears in Bob's sidebar as it is, with its lock; he reads what was said before.
    await lock(channelItem(bob.page, '#plans')).waitFor();
    await screenshot(bob.page, 'private-channel-phone-sidebar');
    await channelItem(bob.page, '#plans').click();
    await lock(title(bob.page)).waitFor();
    await seeMessage(bob.page, 'Friday: the launch plan');
    expect(await bob.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(bob.page, 'private-channel-phone');
    await send(bob.page, 'count me in');
    await seeMessage(ann.page, 'count me in');

    // A guest cannot be in a private channel: the server's sentence, under the box.
    await handle.fill('@gus');
    await ann.page.getByRole('button', { name: 'Invite', exact: true }).click();
    const result = ann.page.getByTestId('invite-result');
    await result.filter({ hasText: 'guest' }).waitFor();
    expect(await result.innerText()).toBe('@gus is a guest handle: only handles with a password may be in a private channel');
    expect(await handle.getAttribute('aria-invalid')).toBe('true');
    expect(await member(ann.page, '@gus').count()).toBe(0);
    await expectNoNewViolations(ann.page, axeBefore, 'the member list with Invite and a refusal');
    await screenshot(ann.page, 'private-channel-invite-refused');

    // Still nothing for Eve.
    expect(await refusal(eve.client.history('#plans'))).toBe('NO_SUCH_CHANNEL #plans does not exist');

    await eve.quit();
    await gus.quit();
    expect(ann.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    expect(bob.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await ann.context.close();
    await bob.context.close();
  });

  it('a guest finds the switch off, with the reason and the way to a password; a taken name is joined, or refused if private', async () => {
    const { page, problems, context } = await openApp(browser, server.httpUrl);
    await signIn(page, 'gwen');
    await page.getByRole('button', { name: 'Browse channels' }).click();
    const privateSwitch = page.getByRole('switch', { name: 'Private' });
    expect(await privateSwitch.isDisabled()).toBe(true);
    const help = page.locator(`#${await privateSwitch.getAttribute('aria-describedby')}`);
    expect(await help.innerText()).toBe('Only people you invite can see it. Guests cannot make one: set a password in Settings → Account');
    await help.getByRole('button', { name: 'Settings → Account' }).click();
    await page.getByRole('heading', { name: 'Set a password' }).waitFor();
    await page.keyboard.press('Escape');

    // Without the switch the form creates or joins: a public channel's name joins it; the
    // private #plans's is refused with the server's sentence, which tells nothing more.
    const ray = await TcpUser.as(server.tcpPort, '@ray', '#random');
    await page.getByLabel('Create or join a channel').fill('random');
    await page.getByRole('button', { name: 'Create' }).click();
    await title(page).filter({ hasText: '#random' }).waitFor();
    await member(page, '@ray').waitFor();
    await page.getByRole('button', { name: 'Browse channels' }).click();
    await page.getByLabel('Create or join a channel').fill('plans');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('alert').filter({ hasText: 'plans' }).waitFor();
    expect(await page.getByRole('alert').innerText()).toBe('#plans is not available; choose another name');
    expect(await channelItem(page, '#plans').count()).toBe(0);
    await ray.quit();
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await context.close();
  });
});
