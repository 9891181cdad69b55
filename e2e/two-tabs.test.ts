import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { connectionState, dmItem, openApp, seeMessage, send, signIn, TcpUser, text, until, useServerAndBrowser } from './browser.ts';

const mineIn = (page: Page, body: string) =>
  page.locator('[data-testid="message"][data-mine="true"] [data-testid="message-body"]').filter({ hasText: body }).first();

// A claimed handle signed in from two tabs at once: each tab is a full client, and a
// conversation reads the same in both.
describe('two tabs of one claimed user', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('both get channel and direct messages, and each shows what the other sent', async () => {
    const ulf = await TcpUser.as(server.tcpPort, '@ulf', '#general');
    const { context, page: first, problems } = await openApp(browser, server.httpUrl);
    await signIn(first, 'tia', 'two-tabs-pass');

    // The second tab signs in by itself (the session token), and is not told the handle is
    // already online: a claimed handle may be signed in many times.
    const second = await context.newPage();
    const secondErrors: string[] = [];
    second.on('pageerror', (e) => secondErrors.push(e.message));
    await second.goto(server.httpUrl);
    await connectionState(second, 'online');
    expect(await second.getByTestId('signin-error').count()).toBe(0);
    await second.getByTestId('conversation-title').filter({ hasText: '#general' }).waitFor();

    await ulf.client.msg('#general', 'hello, both tabs');
    await ulf.client.msg('@tia', 'a direct word');
    for (const page of [first, second]) {
      await seeMessage(page, 'hello, both tabs');
      await dmItem(page, '@ulf').getByTestId('unread').filter({ hasText: /^1$/ }).waitFor();
    }

    // What the first tab sends shows in the second, as hers.
    await send(first, 'sent from the first tab');
    await mineIn(second, 'sent from the first tab').waitFor();
    await ulf.waitForMessage((m) => text(m.body) === 'sent from the first tab');

    // Reading the direct message in one tab clears it in the other; a reply from there shows
    // here, in the same conversation.
    await dmItem(second, '@ulf').click();
    await seeMessage(second, 'a direct word');
    await dmItem(first, '@ulf').getByTestId('unread').waitFor({ state: 'detached' });
    await send(second, 'answered from the second tab');
    await ulf.waitForMessage((m) => text(m.body) === 'answered from the second tab' && m.target.toLowerCase() === '@ulf');
    await dmItem(first, '@ulf').click();
    await mineIn(first, 'answered from the second tab').waitFor();
    expect(await first.getByTestId('message-body').allInnerTexts()).toEqual(['a direct word', 'answered from the second tab']);

    // Closing one tab leaves her online: once the server has seen it go, the other is still
    // signed in, and Ulf was never told she left.
    const tiaConnections = () => [...server.server.hub.conns].filter((c) => c.user?.handle === '@tia').length;
    expect(tiaConnections()).toBe(2);
    await second.close();
    await until(() => tiaConnections() === 1, 'the server to see the second tab close');
    await ulf.client.msg('#general', 'still there?');
    await first.locator('[data-testid="channel-item"][data-name="#general" i]').click();
    await seeMessage(first, 'still there?');
    expect(ulf.events.some((e) => e.type === 'OFFLINE' && e.user === '@tia')).toBe(false);

    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    expect(secondErrors).toEqual([]);
    await context.close();
    await ulf.quit();
  });
});
