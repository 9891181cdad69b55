import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { connectionState, cut, installSocketCutter, messageBodies, openApp, restore, seeMessage, signIn, TcpUser, until, useServerAndBrowser } from './browser.ts';
import { pill, rowById } from './living.ts';

// Issue 17: what changed while the page's link was down (an edit, a reaction, replies, a
// delete, a message) comes back with HISTORY after, a replay of the log, applied once: the
// page then shows each message in its current state, each once.
describe('catching up on changes after the link drops', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('replays edits, reactions, replies and deletes missed, each once, the open thread too', async () => {
    const { context, page, problems } = await openApp(browser, server.httpUrl);
    await context.addInitScript(installSocketCutter);
    await page.reload();
    await signIn(page, 'rita');
    const teo = await TcpUser.as(server.tcpPort, '@teo', '#general');
    const root = await teo.client.msg('#general', 'the root, first version');
    const other = await teo.client.msg('#general', 'soon deleted');
    if ('muted' in root || 'muted' in other) throw new Error('muted');
    await seeMessage(page, 'soon deleted');
    await teo.client.react('#general', root.id, ':+1:');
    await pill(rowById(page, root.id), '👍').filter({ hasText: '1' }).waitFor();
    // The thread is open beside the conversation while the link drops.
    await rowById(page, root.id).hover();
    await rowById(page, root.id).getByTestId('action-reply').click();
    await page.getByTestId('thread-pane').waitFor();

    await cut(page);
    await connectionState(page, 'offline');
    await until(() => teo.events.some((e) => e.type === 'OFFLINE' && e.user === '@rita'), 'Rita to go offline');
    await teo.client.edit('#general', root.id, 'the root, fixed');
    await teo.client.react('#general', root.id, ':tada:');
    await teo.client.reply('#general', root.id, 'a reply while away');
    await teo.client.reply('#general', root.id, 'a reply also in the channel', true);
    await teo.client.delete('#general', other.id);
    await teo.client.msg('#general', 'after all that');

    await restore(page);
    await connectionState(page, 'online', 20_000);
    await seeMessage(page, 'after all that');
    const row = rowById(page, root.id);
    await row.getByTestId('message-body').filter({ hasText: /^the root, fixed$/ }).waitFor();
    await row.getByTestId('message-edited').waitFor();
    await pill(row, '🎉').filter({ hasText: '1' }).waitFor();
    expect(await pill(row, '👍').getAttribute('data-count')).toBe('1');
    await row.getByTestId('thread-summary').filter({ hasText: '2 replies' }).waitFor();
    await rowById(page, other.id).getByTestId('message-deleted').waitFor();
    // The main flow: each once, in order; the reply not sent also stays in its thread.
    const list = page.getByTestId('message-list');
    expect(await list.getByTestId('message-body').allInnerTexts()).toEqual(['the root, fixed', 'a reply also in the channel', 'after all that']);
    // The thread open beside it got both replies, once.
    const pane = page.getByTestId('thread-pane');
    await pane.getByTestId('message-body').filter({ hasText: 'a reply also in the channel' }).waitFor();
    expect(await pane.getByTestId('message-body').allInnerTexts()).toEqual(['the root, fixed', 'a reply while away', 'a reply also in the channel']);
    expect(await messageBodies(page).allInnerTexts()).not.toContain('soon deleted');
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await teo.quit();
  });
});
