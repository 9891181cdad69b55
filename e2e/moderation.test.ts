import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ServerFrame } from '../core/frames.ts';
import type { TestServer } from '../gateway/test/support/server.ts';
import { channelItem, member, openApp, screenshot, seeMessage, send, signIn, TcpUser, until, useServerAndBrowser } from './browser.ts';
import { axeViolations, expectNoNewViolations, frameFor, rowById, rowWith, watchLog } from './living.ts';

const title = (page: Page) => page.getByTestId('conversation-title');

async function showMembers(page: Page): Promise<void> {
  if (!(await page.getByTestId('member-list').isVisible())) await page.getByTestId('members-toggle').click();
  await page.getByTestId('member-list').waitFor();
}

/** The actions under a member's row, shown. */
async function memberActions(page: Page, name: string) {
  const row = page.getByTestId('member-list').locator('li').filter({ has: member(page, name) });
  if ((await row.getByTestId('member-actions').count()) === 0) await row.getByRole('button', { name: `Actions for ${name}` }).click();
  return row;
}

async function invite(page: Page, handle: string): Promise<void> {
  await page.getByLabel(/^Invite to/).fill(handle);
  await page.getByRole('button', { name: 'Invite', exact: true }).click();
  await member(page, handle).waitFor();
}

// Issue 18 item 8 and its Playwright "done when": three users, Carl on telnet. Ann (a server
// admin, started with --admins @ann) makes a private channel, invites, deletes Carl's message
// with a reason, makes him an op, kicks Bob (who is told, live), bans Carl (his JOIN refused)
// and unbans him; Bob blocks Carl from the member list; Ann suspends Bob from the moderation
// page (his browser goes back to sign-in, which is then refused); then she searches and jumps.
describe('moderation in the browser', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]), { admins: ['@ann'] });

  it('private channel, invite, delete with a reason, op, kick, ban and unban, block, suspend, search', async () => {
    const carl = await TcpUser.connect(server.tcpPort);
    await carl.client.reg('@carl', 'carl-secret-1');
    await carl.client.join('#general');
    const carlSaw: ServerFrame[] = watchLog(carl);
    for (const ev of ['kicked', 'banned', 'role'] as const) carl.client.on(ev, (f) => carlSaw.push(f));

    const ann = await openApp(browser, server.httpUrl);
    await signIn(ann.page, 'ann', 'ann-secret-1');
    await title(ann.page).filter({ hasText: '#general' }).waitFor();
    const bob = await openApp(browser, server.httpUrl);
    await signIn(bob.page, 'bob', 'bob-secret-1');
    await title(bob.page).filter({ hasText: '#general' }).waitFor();
    const axeBefore = await axeViolations(ann.page);

    // Ann makes #plans, private, and invites Bob and Carl.
    await ann.page.getByRole('button', { name: 'Browse channels' }).click();
    await ann.page.getByLabel('Create or join a channel').fill('plans');
    await ann.page.getByRole('switch', { name: 'Private' }).check();
    await ann.page.getByRole('button', { name: 'Create' }).click();
    await title(ann.page).filter({ hasText: '#plans' }).waitFor();
    await send(ann.page, 'the launch is on Friday');
    await showMembers(ann.page);
    await invite(ann.page, '@bob');
    await invite(ann.page, '@carl');
    // She created it: she owns it, and the panel says so.
    expect(await member(ann.page, '@ann').getAttribute('data-role')).toBe('owner');

    // Bob moderates nothing: Carl's actions offer Block, and no Kick or Ban. He blocks Carl.
    await channelItem(bob.page, '#plans').click();
    await title(bob.page).filter({ hasText: '#plans' }).waitFor();
    await showMembers(bob.page);
    // Bob saw no ROLE line for Ann: the panel asks the server (ROLES) and shows her as owner.
    await until(async () => (await member(bob.page, '@ann').getAttribute('data-role')) === 'owner', "Ann's owner badge for Bob");
    const carlForBob = await memberActions(bob.page, '@carl');
    expect(await carlForBob.getByRole('button', { name: /^Kick/ }).count()).toBe(0);
    expect(await carlForBob.getByRole('button', { name: /^Ban/ }).count()).toBe(0);
    // Nor the channel's bans: they are for those who may lift them.
    expect(await bob.page.getByTestId('ban-list').count()).toBe(0);
    await carlForBob.getByRole('button', { name: 'Block @carl' }).click();
    await carlForBob.getByTestId('member-result').filter({ hasText: '@carl is blocked' }).waitFor();
    expect(await carlForBob.getByRole('button', { name: 'Unblock @carl' }).getAttribute('aria-pressed')).toBe('true');
    await expect(carl.client.msg('@bob', 'let me in')).rejects.toMatchObject({ code: 'UNDELIVERABLE' });

    // Carl spams; Ann deletes it from the message's actions, with a reason. Esc cancels first.
    await carl.client.msg('#plans', 'cheap watches here');
    await seeMessage(ann.page, 'cheap watches here');
    // By id: once deleted, its body (which rowWith looks for) is gone.
    const spam = rowById(ann.page, Number(await rowWith(ann.page, 'cheap watches here').getAttribute('data-id')));
    await spam.hover();
    await spam.getByRole('button', { name: "Delete @carl's message" }).click();
    const dialog = ann.page.getByTestId('reason-dialog');
    await dialog.waitFor();
    await expect.poll(() => ann.page.evaluate(() => document.activeElement?.id)).toBe('reason-input');
    await expectNoNewViolations(ann.page, axeBefore, 'the reason dialog');
    await ann.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await seeMessage(ann.page, 'cheap watches here');
    await spam.hover();
    await spam.getByRole('button', { name: "Delete @carl's message" }).click();
    await ann.page.getByLabel('Reason (optional)').fill('spam');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await dialog.waitFor({ state: 'detached' });
    await spam.getByText('This message was deleted.').waitFor();
    await frameFor(carlSaw, 'DELETE', (f) => f.from === '@ann', 'the DELETE by @ann');
    // Bob, who does not moderate, has no such action on Ann's message.
    const annsRow = rowWith(bob.page, 'the launch is on Friday');
    await annsRow.hover();
    expect(await annsRow.getByTestId('action-moderate-delete').count()).toBe(0);

    // Ann makes Carl an op: the panel shows it, and Carl is told.
    const carlForAnn = await memberActions(ann.page, '@carl');
    await carlForAnn.getByRole('button', { name: 'Make op' }).click();
    await until(async () => (await member(ann.page, '@carl').getAttribute('data-role')) === 'op', "Carl's op role in the panel");
    await frameFor(carlSaw, 'ROLE', (f) => f.user === '@carl' && f.role === 'op', 'ROLE op');
    await expectNoNewViolations(ann.page, axeBefore, 'the member panel with actions');

    // Ann kicks Bob: #plans leaves his sidebar at once, and he is told who and why.
    const bobForAnn = await memberActions(ann.page, '@bob');
    await bobForAnn.getByRole('button', { name: 'Kick…' }).click();
    await ann.page.getByLabel('Reason (optional)').fill('off topic');
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await dialog.waitFor({ state: 'detached' });
    await member(ann.page, '@bob').waitFor({ state: 'detached' });
    await ann.page.getByTestId('system-line').filter({ hasText: '@bob was removed from #plans by @ann: off topic' }).waitFor();
    await channelItem(bob.page, '#plans').waitFor({ state: 'detached' });
    const notice = bob.page.getByTestId('moderation-notice');
    expect(await notice.locator('span').innerText()).toBe('You were removed from #plans by @ann: off topic');
    await title(bob.page).filter({ hasText: '#general' }).waitFor();

    // Ann bans Carl (an op: the owner outranks him). His JOIN is refused until she unbans him.
    await (await memberActions(ann.page, '@carl')).getByRole('button', { name: 'Ban…' }).click();
    await ann.page.getByLabel('Reason (optional)').fill('spam again');
    await dialog.getByRole('button', { name: 'Ban' }).click();
    await member(ann.page, '@carl').waitFor({ state: 'detached' });
    await frameFor(carlSaw, 'BANNED', (f) => f.user === '@carl' && f.reason === 'spam again', 'his BANNED line');
    // His JOIN is refused: as a private channel's name is to anyone not in it (BANNED would
    // tell him it exists). Ann's Invite is refused with the server's sentence, until UNBAN.
    await expect(carl.client.join('#plans')).rejects.toMatchObject({ code: 'CHANNEL_TAKEN' });
    await ann.page.getByLabel(/^Invite to/).fill('@carl');
    await ann.page.getByRole('button', { name: 'Invite', exact: true }).click();
    await ann.page.getByTestId('invite-result').filter({ hasText: 'banned' }).waitFor();
    expect(await ann.page.getByTestId('invite-result').innerText()).toBe('@carl is banned from #plans; UNBAN #plans @carl first');
    // The panel lists the channel's bans (BANS): who, by whom, when, why; Unban from the list.
    const carlBanned = ann.page.getByTestId('ban').filter({ hasText: '@carl' });
    await carlBanned.waitFor();
    expect(await carlBanned.innerText()).toMatch(/^@carl\s+by @ann, .+: spam again\s+Unban$/);
    expect(await ann.page.getByTestId('ban').count()).toBe(1);
    await expectNoNewViolations(ann.page, axeBefore, 'the ban list');
    await screenshot(ann.page, '18-ban-list');
    await carlBanned.getByRole('button', { name: 'Unban @carl' }).click();
    await ann.page.getByTestId('ban-result').filter({ hasText: '@carl may join #plans again' }).waitFor();
    await carlBanned.waitFor({ state: 'detached' });
    await ann.page.getByTestId('ban-list').getByText('Nobody is banned from #plans.').waitFor();
    await invite(ann.page, '@carl');
    // Unban by handle (the same form as Invite) answers with the server's word: nothing to lift is OK.
    await ann.page.getByLabel('Unban from #plans').fill('carl');
    await ann.page.getByRole('button', { name: 'Unban', exact: true }).click();
    await ann.page.getByTestId('unban-result').filter({ hasText: '@carl may join #plans again' }).waitFor();

    // Bob, no admin, opens the moderation page: the log is not his to read, and Suspend is not offered.
    await bob.page.getByRole('button', { name: /^Settings/ }).click();
    await bob.page.getByRole('button', { name: 'Open the moderation page' }).click();
    await title(bob.page).filter({ hasText: 'Moderation' }).waitFor();
    await bob.page.getByTestId('modlog-problem').waitFor();
    expect(await bob.page.getByTestId('suspend-section').count()).toBe(0);
    expect(await bob.page.getByRole('button', { name: 'Suspend', exact: true }).count()).toBe(0);

    // The moderation page (from Settings): the log, and Suspend. Ann suspends Bob.
    await ann.page.getByRole('button', { name: /^Settings/ }).click();
    await ann.page.getByRole('button', { name: 'Open the moderation page' }).click();
    await title(ann.page).filter({ hasText: 'Moderation' }).waitFor();
    // Ann is a server admin (a bare ROLES told her app): Suspend is hers.
    await ann.page.getByTestId('suspend-section').waitFor();
    const log = ann.page.getByTestId('modlog-entry');
    await until(async () => (await log.count()) >= 4, 'the moderation log');
    expect(await log.evaluateAll((es) => es.map((e) => (e as HTMLElement).dataset.action))).toEqual(['unban', 'ban', 'kick', 'delete']);
    expect(await log.nth(2).innerText()).toContain('@ann removed @bob from #plans: off topic');
    await ann.page.getByLabel('Handle').fill('@bob');
    await ann.page.getByLabel('Reason (optional)').fill('abuse');
    await ann.page.getByRole('button', { name: 'Suspend', exact: true }).click();
    await ann.page.getByTestId('suspend-result').filter({ hasText: '@bob is suspended' }).waitFor();
    await expectNoNewViolations(ann.page, axeBefore, 'the moderation page');
    await screenshot(ann.page, '18-moderation-page');

    // Bob's browser: the server's sentence, on the sign-in page; signing in again is refused.
    const signInError = bob.page.getByTestId('signin-error');
    await signInError.filter({ hasText: 'suspended' }).waitFor();
    expect(await signInError.innerText()).toBe('You were suspended from this server by @ann: abuse');
    await bob.page.getByLabel(/^Password/).fill('bob-secret-1');
    await bob.page.getByRole('button', { name: 'Sign in' }).click();
    await signInError.filter({ hasText: 'ask a server admin' }).waitFor();
    expect(await signInError.innerText()).toBe('@bob is suspended from this server; ask a server admin');

    // Search, then jump to a result in its conversation.
    await channelItem(ann.page, '#general').click();
    await title(ann.page).filter({ hasText: '#general' }).waitFor();
    await ann.page.keyboard.press('Control+f');
    await ann.page.getByTestId('search-input').fill('launch');
    await ann.page.getByTestId('search-input').press('Enter');
    const result = ann.page.getByTestId('search-result').filter({ hasText: 'the launch is on Friday' });
    await result.waitFor();
    const id = Number(await result.getAttribute('data-id'));
    await result.click();
    await title(ann.page).filter({ hasText: '#plans' }).waitFor();
    const row = ann.page.locator(`[data-testid="message"][data-id="${id}"]`);
    await until(async () => (await row.getAttribute('data-highlighted')) === 'true', 'the result highlighted in #plans');

    // The member panel with its actions, on a phone.
    await ann.page.setViewportSize({ width: 390, height: 844 });
    // A phone folds the panel away; it opens over the conversation.
    await ann.page.getByTestId('member-list').waitFor({ state: 'detached' });
    await showMembers(ann.page);
    await memberActions(ann.page, '@carl');
    expect(await ann.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(ann.page, '18-member-actions-phone');

    expect(ann.problems.errors).toEqual([]);
    expect(ann.problems.cspViolations).toEqual([]);
    expect(bob.problems.errors).toEqual([]);
    await carl.quit();
  });
});
