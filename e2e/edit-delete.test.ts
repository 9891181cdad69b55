import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { composer, dmItem, messageBodies, openApp, screenshot, seeMessage, send, signIn, TcpUser, text, until, useServerAndBrowser } from './browser.ts';
import { act, axeViolations, expectNoNewViolations, frameFor, idOf, rowById, watchLog } from './living.ts';

// Issue 17 §3, §4 and §6, edits and deletes: two browsers (alice, bob) and a telnet user (carol).
describe('edits and deletes', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('↑ edits my last message (Esc cancels); everyone sees the new text live, marked (edited); only mine offer Edit and Delete', async () => {
    const carol = await TcpUser.as(server.tcpPort, '@carol', '#general');
    const carolLog = watchLog(carol);
    const a = await openApp(browser, server.httpUrl);
    const b = await openApp(browser, server.httpUrl);
    await signIn(a.page, 'alice');
    await signIn(b.page, 'bob');
    const axeBefore = await axeViolations(a.page);

    await send(a.page, 'teh plan is ready');
    const id = await idOf(a.page, 'teh plan is ready');
    await seeMessage(b.page, 'teh plan is ready');

    // ↑ in the empty composer opens the editor on it; Escape cancels, back to the composer.
    await composer(a.page).focus();
    await a.page.keyboard.press('ArrowUp');
    const editor = rowById(a.page, id).getByTestId('edit-input');
    await editor.waitFor();
    expect(await editor.inputValue()).toBe('teh plan is ready');
    await expectNoNewViolations(a.page, axeBefore, 'the message editor');
    await a.page.keyboard.press('Escape');
    await editor.waitFor({ state: 'detached' });
    expect(await composer(a.page).evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await rowById(a.page, id).getByTestId('message-body').innerText()).toBe('teh plan is ready');

    // ↑ again, fix it, Enter: the new text, "(edited)", here and at bob's, live.
    await a.page.keyboard.press('ArrowUp');
    await editor.fill('the plan is ready');
    await editor.press('Enter');
    for (const p of [a.page, b.page]) {
      const row = rowById(p, id);
      await row.getByTestId('message-body').filter({ hasText: /^the plan is ready$/ }).waitFor();
      await row.getByTestId('message-edited').waitFor();
    }
    const edit = await frameFor(carolLog, 'EDIT', (f) => f.of === id, "alice's edit");
    expect(text(edit.body)).toBe('the plan is ready');

    // carol fixes hers from the terminal.
    const hers = await carol.client.msg('#general', 'carol was hree');
    if ('muted' in hers) throw new Error('muted');
    await seeMessage(a.page, 'carol was hree');
    await carol.client.edit('#general', hers.id, 'carol was here');
    await rowById(a.page, hers.id).getByTestId('message-body').filter({ hasText: /^carol was here$/ }).waitFor();
    await rowById(b.page, hers.id).getByTestId('message-edited').waitFor();

    // Edit and Delete are offered on my messages only.
    const bobsView = rowById(b.page, id);
    await bobsView.hover();
    expect(await bobsView.getByTestId('action-edit').count()).toBe(0);
    expect(await bobsView.getByTestId('action-delete').count()).toBe(0);
    expect(await rowById(a.page, hers.id).getByTestId('action-edit').count()).toBe(0);
    await screenshot(a.page, '17-edited');

    // A reload (HISTORY) shows the message as it is now.
    await b.page.reload();
    await rowById(b.page, id).getByTestId('message-edited').waitFor();
    expect(await rowById(b.page, id).getByTestId('message-body').innerText()).toBe('the plan is ready');
    for (const p of [a, b]) expect(p.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await carol.quit();
  });

  it('Delete asks first; then the message is gone for everyone, with its reactions; a deleted root keeps its replies', async () => {
    const carol = await TcpUser.as(server.tcpPort, '@carol2', '#general');
    const carolLog = watchLog(carol);
    const a = await openApp(browser, server.httpUrl);
    const b = await openApp(browser, server.httpUrl);
    await signIn(a.page, 'ana');
    await signIn(b.page, 'ben');

    await send(a.page, 'wrong channel, sorry');
    const id = await idOf(a.page, 'wrong channel, sorry');
    await carol.client.react('#general', id, ':+1:');
    await rowById(b.page, id).locator('[data-testid="reaction"]').waitFor();
    await carol.client.reply('#general', id, 'no worries');
    await rowById(b.page, id).getByTestId('thread-summary').waitFor();

    // Delete, by keyboard: the confirmation starts on Cancel, which keeps it.
    await act(rowById(a.page, id), 'delete');
    const dialog = a.page.getByRole('alertdialog', { name: 'Delete this message?' });
    await dialog.waitFor();
    await a.page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    expect(await rowById(a.page, id).getByTestId('message-body').innerText()).toBe('wrong channel, sorry');

    await act(rowById(a.page, id), 'delete');
    await screenshot(a.page, '17-delete-confirm');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    for (const p of [a.page, b.page]) {
      const row = rowById(p, id);
      await row.getByTestId('message-deleted').filter({ hasText: 'This message was deleted.' }).waitFor();
      expect(await row.locator('[data-testid="reaction"]').count()).toBe(0);
      // Its thread stays.
      await row.getByTestId('thread-summary').filter({ hasText: '1 reply' }).waitFor();
    }
    expect(await messageBodies(b.page).allInnerTexts()).not.toContain('wrong channel, sorry');
    const del = await frameFor(carolLog, 'DELETE', (f) => f.of === id, "ana's delete");
    expect(del.from).toBe('@ana');

    // The thread of the deleted root still opens, with the reply.
    await rowById(b.page, id).getByTestId('thread-summary').click();
    const pane = b.page.getByTestId('thread-pane');
    await pane.getByTestId('message-deleted').waitFor();
    await pane.getByTestId('message-body').filter({ hasText: 'no worries' }).waitFor();
    // It takes no more replies (the server would refuse them), and says so.
    await pane.getByTestId('thread-closed').waitFor();
    expect(await pane.getByTestId('thread-composer').count()).toBe(0);
    await screenshot(b.page, '17-deleted-root-thread');

    // A new browser never sees the deleted body (HISTORY: a tombstone).
    const c = await openApp(browser, server.httpUrl);
    await signIn(c.page, 'cy');
    await rowById(c.page, id).getByTestId('message-deleted').waitFor();
    expect(await messageBodies(c.page).allInnerTexts()).not.toContain('wrong channel, sorry');
    for (const p of [a, b, c]) expect(p.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await carol.quit();
  });

  it('a direct message edited, or deleted, while its reader is offline reaches them only as it ends up', async () => {
    const gil = await TcpUser.as(server.tcpPort, '@gil');
    const first = await openApp(browser, server.httpUrl);
    await signIn(first.page, 'hal', 'hal-password');
    await first.context.close();
    await until(async () => !(await gil.client.usrs()).find((u) => u.user === '@hal')?.online, 'hal to be offline');

    const typo = await gil.client.msg('@hal', 'helo hal, the kee is under the mat');
    const oops = await gil.client.msg('@hal', 'my bank pin is 1234');
    if ('muted' in typo || 'muted' in oops) throw new Error('muted');
    await gil.client.edit('@hal', typo.id, 'hello hal, the key is with Ann');
    await gil.client.delete('@hal', oops.id);

    const again = await openApp(browser, server.httpUrl);
    await signIn(again.page, 'hal', 'hal-password');
    await dmItem(again.page, '@gil').click();
    await seeMessage(again.page, 'hello hal, the key is with Ann');
    await rowById(again.page, typo.id).getByTestId('message-edited').waitFor();
    const shown = await again.page.getByTestId('message-list').innerText();
    expect(shown).not.toContain('kee is under the mat');
    expect(shown).not.toContain('1234');
    expect(again.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await gil.quit();
  });
});
