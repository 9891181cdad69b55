import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { messageBodies, openApp, screenshot, seeMessage, signIn, TcpUser, text, until, useServerAndBrowser } from './browser.ts';
import { act, axeViolations, expectNoNewViolations, frameFor, hideTab, idOf, recordNotifications, rowById, rowWith, shownNotifications, watchLog } from './living.ts';

// Issue 17 §1 and §6, threads: two browsers (alice, bob) and a telnet user (carol) in #general.
describe('threads, in the browser and at a terminal', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('a root shows its replies live for everyone; replies stay out of the main flow unless also sent there; a telnet user sees the root id', async () => {
    const carol = await TcpUser.as(server.tcpPort, '@carol', '#general');
    const carolLog = watchLog(carol);
    const a = await openApp(browser, server.httpUrl);
    const b = await openApp(browser, server.httpUrl);
    await signIn(a.page, 'alice');
    await signIn(b.page, 'bob');
    const axeBefore = await axeViolations(a.page);
    expect(axeBefore, 'axe before the thread').toEqual([]);

    const root = await carol.client.msg('#general', 'Plan for Friday?');
    if ('muted' in root) throw new Error('muted');
    await seeMessage(a.page, 'Plan for Friday?');
    await seeMessage(b.page, 'Plan for Friday?');

    // alice: Reply in thread (the hover action) opens the pane beside the conversation.
    await act(rowWith(a.page, 'Plan for Friday?'), 'reply');
    const pane = a.page.getByTestId('thread-pane');
    await pane.getByTestId('message-body').filter({ hasText: 'Plan for Friday?' }).waitFor();
    await pane.getByTestId('thread-composer').fill('I can bring snacks');
    await pane.getByTestId('thread-composer').press('Enter');
    await pane.getByTestId('message-body').filter({ hasText: 'I can bring snacks' }).waitFor();

    // bob sees the root's summary change live, and not the reply in the main flow.
    const bobRoot = rowById(b.page, root.id);
    await bobRoot.getByTestId('thread-summary').filter({ hasText: '1 reply' }).waitFor();
    expect(await bobRoot.getByTestId('thread-summary').innerText()).toContain('@alice');
    expect(await messageBodies(b.page).allInnerTexts()).not.toContain('I can bring snacks');
    // Not following it, bob is not badged.
    expect(await b.page.getByTestId('threads-badge').count()).toBe(0);

    // carol, at a terminal, gets the reply with its root's id.
    const reply = await frameFor(carolLog, 'REPLY', (f) => text(f.body) === 'I can bring snacks', "alice's reply");
    expect(reply).toMatchObject({ target: '#general', from: '@alice', root: root.id, also: false });

    // carol replies from the terminal: alice's pane shows it live, both summaries count 2.
    await carol.client.reply('#general', root.id, 'Snacks yes, @alice');
    await pane.getByTestId('message-body').filter({ hasText: 'Snacks yes, @alice' }).waitFor();
    await bobRoot.getByTestId('thread-summary').filter({ hasText: '2 replies' }).waitFor();

    // "Also send to #general": the reply shows in bob's main flow too, marked as a reply.
    await pane.getByTestId('thread-also').check();
    await pane.getByTestId('thread-composer').fill('Everyone welcome, see the thread');
    await pane.getByTestId('thread-send').click();
    await seeMessage(b.page, 'Everyone welcome, see the thread');
    await rowWith(b.page, 'Everyone welcome, see the thread').getByTestId('replied-in-thread').waitFor();
    await bobRoot.getByTestId('thread-summary').filter({ hasText: '3 replies' }).waitFor();
    const also = await frameFor(carolLog, 'REPLY', (f) => text(f.body) === 'Everyone welcome, see the thread', 'the reply sent also');
    expect(also.also).toBe(true);

    // ↑ in the thread's empty box edits my last reply there; it changes in bob's main flow too.
    await pane.getByTestId('thread-composer').press('ArrowUp');
    const editor = pane.getByTestId('edit-input');
    await editor.fill('Everyone welcome, see the thread!');
    await editor.press('Enter');
    await rowWith(b.page, 'Everyone welcome, see the thread!').getByTestId('message-edited').waitFor();
    await frameFor(carolLog, 'EDIT', (f) => text(f.body) === 'Everyone welcome, see the thread!', 'the edited reply');
    expect(await pane.getByTestId('thread-composer').evaluate((el) => el === document.activeElement)).toBe(true);

    // The thread read from a terminal: THREAD gives the root and its replies, oldest first.
    const thread = await carol.client.thread('#general', root.id);
    expect(thread.frames.map((f) => ('body' in f ? text(f.body) : f.type))).toEqual([
      'Plan for Friday?', 'I can bring snacks', 'Snacks yes, @alice', 'Everyone welcome, see the thread!',
    ]);

    await expectNoNewViolations(a.page, axeBefore, 'the thread pane open');
    await screenshot(a.page, '17-thread-pane');
    await a.page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(a.page, '17-thread-pane-dark');
    await expectNoNewViolations(a.page, axeBefore, 'the thread pane, dark');
    await a.page.emulateMedia({ colorScheme: 'light' });
    // bob, by keyboard alone: Tab from the message list to the root's Reply in thread, Enter,
    // type, Enter; Escape closes the pane and gives focus back.
    await b.page.getByTestId('message-list').focus();
    const focusedAction = () => b.page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return `${el?.closest('[data-testid="message"]')?.getAttribute('data-id') ?? ''} ${el?.dataset.testid ?? ''}`;
    });
    for (let i = 0; i < 40 && (await focusedAction()) !== `${root.id} action-reply`; i++) await b.page.keyboard.press('Tab');
    expect(await focusedAction()).toBe(`${root.id} action-reply`);
    expect(await bobRoot.getByTestId('action-reply').isVisible()).toBe(true);
    await screenshot(b.page, '17-keyboard-focus');
    await b.page.keyboard.press('Enter');
    const bobPane = b.page.getByTestId('thread-pane');
    await bobPane.getByTestId('message-body').filter({ hasText: 'Snacks yes, @alice' }).waitFor();
    await until(() => bobPane.getByTestId('thread-composer').evaluate((el) => el === document.activeElement), 'focus in the thread box');
    await b.page.keyboard.type('bob, by keyboard');
    await b.page.keyboard.press('Enter');
    await pane.getByTestId('message-body').filter({ hasText: 'bob, by keyboard' }).waitFor();
    await b.page.keyboard.press('Escape');
    await bobPane.waitFor({ state: 'detached' });
    expect(await focusedAction()).toBe(`${root.id} action-reply`);
    // The summary opens it too.
    await bobRoot.getByTestId('thread-summary').focus();
    await b.page.keyboard.press('Enter');
    await bobPane.waitFor();
    await b.page.keyboard.press('Escape');
    await bobPane.waitFor({ state: 'detached' });

    for (const p of [a, b]) expect(p.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await carol.quit();
  });

  it('the Threads view lists the threads I follow, unread first; reading one clears its count, on the server too', async () => {
    const dan = await TcpUser.as(server.tcpPort, '@dan', '#general');
    const e = await openApp(browser, server.httpUrl);
    await signIn(e.page, 'erin');
    await e.page.getByTestId('composer').fill('erin asks: lunch?');
    await e.page.getByTestId('composer').press('Enter');
    const older = await idOf(e.page, 'erin asks: lunch?');
    await e.page.getByTestId('composer').fill('erin asks: coffee?');
    await e.page.getByTestId('composer').press('Enter');
    const newer = await idOf(e.page, 'erin asks: coffee?');

    // Replies to her messages: she follows both threads (their roots are hers).
    await dan.client.reply('#general', newer, 'coffee at 3');
    await dan.client.reply('#general', older, 'lunch at 12');
    await e.page.getByTestId('threads-badge').filter({ hasText: '2' }).waitFor();

    await e.page.getByTestId('threads-item').click();
    const list = e.page.getByTestId('followed-thread');
    await until(async () => (await list.count()) === 2, 'two threads listed');
    // Both unread: the most recent reply first.
    expect(await list.evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-root'))))).toEqual([older, newer]);
    await list.first().getByText('erin asks: lunch?').waitFor();
    await screenshot(e.page, '17-threads-view');
    const axeBefore = await axeViolations(e.page);
    expect(axeBefore, 'axe on the Threads view').toEqual([]);

    // Opening one shows it beside its conversation and reads it: one unread left.
    await list.first().click();
    await e.page.getByTestId('thread-pane').getByTestId('message-body').filter({ hasText: 'lunch at 12' }).waitFor();
    await e.page.getByTestId('threads-badge').filter({ hasText: '1' }).waitFor();
    // The server has the mark: a reload lists that thread read, the other still unread.
    await e.page.reload();
    await e.page.getByTestId('threads-item').click();
    await until(async () => (await list.count()) === 2, 'two threads listed after the reload');
    expect(await list.evaluateAll((els) => els.map((el) => [Number(el.getAttribute('data-root')), Number(el.getAttribute('data-unread'))]))).toEqual([
      [newer, 1],
      [older, 0],
    ]);
    await e.page.setViewportSize({ width: 390, height: 844 });
    await e.page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(e.page, '17-threads-view-phone-dark');
    // On a phone the sidebar (and its Threads badge) is folded away: the ☰ button counts the unread reply.
    expect(await e.page.getByTestId('menu-button').first().getAttribute('aria-label')).toBe('Show channels and people, 1 unread');
    expect(e.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await dan.quit();
  });

  it('a link to a reply opens its thread with the reply highlighted; on a phone the pane covers the conversation', async () => {
    const fay = await TcpUser.as(server.tcpPort, '@fay', '#general');
    const root = await fay.client.msg('#general', 'Root for the link');
    if ('muted' in root) throw new Error('muted');
    const reply = await fay.client.reply('#general', root.id, 'The reply a link names');
    if ('muted' in reply) throw new Error('muted');

    const phone = await openApp(browser, `${server.httpUrl}/#/c/general/${reply.id}`, { width: 390, height: 844 });
    await signIn(phone.page, 'gus');
    const pane = phone.page.getByTestId('thread-pane');
    const linked = pane.locator(`[data-testid="message"][data-id="${reply.id}"]`);
    await linked.waitFor();
    expect(await linked.getAttribute('data-highlighted')).toBe('true');
    // It covers the conversation.
    const box = await pane.boundingBox();
    expect(box?.width).toBeGreaterThanOrEqual(380);
    await screenshot(phone.page, '17-thread-phone');

    // A link to a newer reply, followed in the same tab (the conversation is open, and nothing
    // in its main flow comes after the reply): its thread opens again, at that reply.
    const later = await fay.client.reply('#general', root.id, 'A later reply');
    if ('muted' in later) throw new Error('muted');
    await pane.locator(`[data-id="${later.id}"]`).waitFor();
    await pane.getByTestId('thread-close').click();
    await pane.waitFor({ state: 'detached' });
    await phone.page.evaluate((id) => (location.hash = `#/c/general/${id}`), later.id);
    await pane.locator(`[data-testid="message"][data-id="${later.id}"][data-highlighted="true"]`).waitFor();
    for (const scheme of ['dark'] as const) {
      const dark = await openApp(browser, `${server.httpUrl}/#/c/general/${reply.id}`, { width: 390, height: 844 }, scheme);
      await signIn(dark.page, 'gus-dark');
      await dark.page.getByTestId('thread-pane').locator(`[data-id="${reply.id}"]`).waitFor();
      await screenshot(dark.page, '17-thread-phone-dark');
      await dark.context.close();
    }
    expect(phone.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await fay.quit();
  });

  it('a thread reply that mentions me notifies while the tab is hidden; one that does not, does not', async () => {
    const kai = await TcpUser.as(server.tcpPort, '@kai', '#general');
    const { context, page, problems } = await openApp(browser, server.httpUrl);
    await context.grantPermissions(['notifications'], { origin: server.httpUrl });
    await context.addInitScript(recordNotifications);
    await page.reload();
    await signIn(page, 'lea');
    const root = await kai.client.msg('#general', 'who is on call?');
    if ('muted' in root) throw new Error('muted');
    await seeMessage(page, 'who is on call?');
    await hideTab(page);
    await kai.client.reply('#general', root.id, 'not me');
    await kai.client.reply('#general', root.id, '@lea you are, I think');
    await until(async () => (await shownNotifications(page)).length >= 1, 'a notification');
    expect(await shownNotifications(page)).toEqual([{ title: '@kai in #general', body: '@lea you are, I think' }]);
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await kai.quit();
  });
});
