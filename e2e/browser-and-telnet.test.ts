import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { channelItem, connectionState, messageBodies, openApp, screenshot, seeMessage, send, signIn, TcpUser, text, useServerAndBrowser } from './browser.ts';

// Spec 1: a browser user and a telnet user in #general talk both ways.
describe('browser and telnet users in #general', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('exchange messages both ways', async () => {
    const bob = await TcpUser.as(server.tcpPort, '@bob', '#general');
    const { page, problems } = await openApp(browser, server.httpUrl);
    await screenshot(page, '01-sign-in');
    await signIn(page, 'alice');

    // Signing in lands in #general, with the telnet user listed as a member.
    await channelItem(page, '#general').waitFor();
    await page.getByTestId('conversation-title').filter({ hasText: '#general' }).waitFor();

    await send(page, 'Hello from the browser 👋');
    const got = await bob.waitForMessage((m) => m.from === '@alice', 'the browser message');
    expect(got.target).toBe('#general');
    expect(text(got.body)).toBe('Hello from the browser 👋');
    // Own messages are shown once (the server does not echo them) and set apart.
    await seeMessage(page, 'Hello from the browser 👋');
    expect(await page.locator('[data-testid="message"][data-mine="true"]').count()).toBe(1);

    await bob.client.msg('#general', 'Hi from telnet\nsecond line');
    await seeMessage(page, 'Hi from telnet');
    const last = messageBodies(page).last();
    expect(await last.innerText()).toBe('Hi from telnet\nsecond line');
    const bobsMessage = page.locator('[data-testid="message"][data-from="@bob"]');
    expect(await bobsMessage.getAttribute('data-mine')).toBe('false');
    expect(await bobsMessage.getByTestId('message-from').innerText()).toBe('@bob');

    // Consecutive messages from one sender share one header.
    await bob.client.msg('#general', 'and a third');
    await seeMessage(page, 'and a third');
    expect(await page.locator('[data-testid="message"][data-from="@bob"] [data-testid="message-from"]').count()).toBe(1);

    await connectionState(page, 'online');
    await screenshot(page, '02-general');
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await bob.quit();
  });
});
