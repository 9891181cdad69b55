import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { dmItem, openApp, person, screenshot, seeMessage, send, signIn, useServerAndBrowser } from './browser.ts';

// Spec 2: two browsers exchange direct messages; closing one shows it offline to the other.
describe('direct messages between two browsers', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('both ways, then presence goes offline when one closes', async () => {
    const ann = await openApp(browser, server.httpUrl);
    const ben = await openApp(browser, server.httpUrl);
    await signIn(ann.page, 'ann');
    await signIn(ben.page, 'ben');

    // Ann starts a conversation from Ben's name in the People list.
    await person(ann.page, '@ben').and(ann.page.locator('[data-online="true"]')).waitFor();
    await person(ann.page, '@ben').click();
    await ann.page.getByTestId('conversation-title').filter({ hasText: '@ben' }).waitFor();
    await send(ann.page, 'Hi Ben, got a minute? 🙂');
    await seeMessage(ann.page, 'Hi Ben, got a minute? 🙂');

    // Ben gets a new conversation with an unread badge, opens it and answers.
    const fromAnn = dmItem(ben.page, '@ann');
    await fromAnn.getByTestId('unread').filter({ hasText: '1' }).waitFor();
    await fromAnn.click();
    await seeMessage(ben.page, 'Hi Ben, got a minute? 🙂');
    expect(await fromAnn.getByTestId('unread').count()).toBe(0);
    await send(ben.page, 'Sure.\nWhat is up?');

    await seeMessage(ann.page, 'What is up?');
    const reply = ann.page.locator('[data-testid="message"][data-from="@ben"] [data-testid="message-body"]');
    expect(await reply.innerText()).toBe('Sure.\nWhat is up?');
    await screenshot(ann.page, '03-direct-message');

    // Ben closes his tab: Ann sees him go offline, in People and in the conversation header.
    await ben.context.close();
    await person(ann.page, '@ben').and(ann.page.locator('[data-online="false"]')).waitFor();
    await ann.page.getByTestId('conversation-title').filter({ hasText: 'offline' }).waitFor();
    expect(ann.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    expect(ben.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
  });
});
