import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { messageBodies, openApp, screenshot, seeMessage, signIn, TcpUser, until, useServerAndBrowser } from './browser.ts';

const CLEAN = { errors: [], cspViolations: [], dialogs: [] };
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

// Issue 15, item 11: what other people write cannot pass for something else. Bidi controls
// show as marks (body and topic), a link's text cannot name another address, a topic's URL
// is a safe link, and `:smile:` shortcodes are emoji outside code. A telnet user writes it
// all; the page renders it in Chromium, DOMPurify and the app's CSP included.
describe('text from others, shown for what it is', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('bidi controls, deceptive links, topics with URLs and shortcodes', async () => {
    const mal = await TcpUser.as(server.tcpPort, '@mal', '#general');
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'vera');

    await mal.client.msg('#general', 'your invoice_\u202egnp.exe is ready');
    await mal.client.msg('#general', 'log in at [https://bank.example](https://evil.example/login) or [our help page](https://evil.example/help)');
    await mal.client.msg('#general', 'shipped :tada: :+1: but `:smile:` is code, and :hedgehog: comes from the full table');
    await mal.client.setTopic('#general', 'Notes: https://example.com/notes and invoice_\u202egnp.exe');
    await seeMessage(page, 'comes from the full table');

    // The override is a visible mark; no bidi control reaches the page's text.
    const bidi = messageBodies(page).filter({ hasText: 'is ready' });
    expect(await bidi.innerText()).toBe('your invoice_\u27eaRLO\u27ebgnp.exe is ready');
    expect(BIDI.test(await page.getByTestId('message-list').innerText())).toBe(false);

    // A link's text that is an address is the address it leads to; words show the real host.
    const deceptive = messageBodies(page).filter({ hasText: 'log in at' });
    const links = deceptive.getByRole('link');
    expect(await links.allInnerTexts()).toEqual(['https://evil.example/login', 'our help page']);
    expect(await deceptive.innerText()).toBe('log in at https://evil.example/login or our help page (evil.example)');
    expect(await deceptive.innerText()).not.toContain('bank.example');

    // Shortcodes: the common ones at once, the rest once the full table has loaded; code keeps them.
    const emoji = messageBodies(page).filter({ hasText: 'shipped' });
    await until(async () => (await emoji.innerText()).includes('\u{1F994}'), 'the hedgehog from the full table');
    expect(await emoji.innerText()).toBe('shipped \u{1F389} \u{1F44D} but :smile: is code, and \u{1F994} comes from the full table');
    expect(await emoji.locator('code').innerText()).toBe(':smile:');

    // The topic: its URL a link that cannot reach back into the app, its override a mark.
    await page.getByTestId('topic').filter({ hasText: 'Notes:' }).waitFor();
    const topicLink = page.getByTestId('topic').getByRole('link');
    expect(await topicLink.innerText()).toBe('https://example.com/notes');
    expect(await topicLink.getAttribute('href')).toBe('https://example.com/notes');
    expect(await topicLink.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await topicLink.getAttribute('target')).toBe('_blank');
    expect(await page.getByTestId('topic').innerText()).toContain('invoice_\u27eaRLO\u27ebgnp.exe');
    const line = page.getByTestId('system-line').filter({ hasText: 'set the topic' });
    expect(await line.innerText()).toContain('invoice_\u27eaRLO\u27ebgnp.exe');
    expect(BIDI.test(await page.locator('header, [data-testid="message-list"]').allInnerTexts().then((t) => t.join('')))).toBe(false);

    await screenshot(page, 'safe-text');
    expect(problems).toEqual(CLEAN);
    await mal.quit();
  });
});
