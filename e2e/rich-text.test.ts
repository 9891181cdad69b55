import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { messageBodies, openApp, screenshot, seeMessage, send, signIn, TcpUser, until, useServerAndBrowser } from './browser.ts';

const CLEAN = { errors: [], cspViolations: [], dialogs: [] };

// Issue item 8: bodies show a little Markdown and links, sanitised (render.ts); @mentions of
// the reader mark the message. The Markdown stage is unit-tested in web/src/lib/render.test.ts;
// here the whole of it runs in Chromium, DOMPurify included, under the app's CSP.
describe('rich text in message bodies', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('shows Markdown and safe links from a telnet user, and never runs markup', async () => {
    const ivan = await TcpUser.as(server.tcpPort, '@ivan', '#general');
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'judy');

    const inline =
      '**bold** _it_ `code` https://example.com/x javascript:alert(1) <img src=x onerror=alert(1)> [click](javascript:alert(2))';
    await ivan.client.msg('#general', inline);
    await ivan.client.msg('#general', '```\nif (a < b) **not bold**\n```');
    await ivan.client.msg('#general', '> a quoted line\n> and another');
    await ivan.client.msg('#general', '\x1b[1;31mred alert\x1b[0m ding\x07 \x1b]0;title\x07done');
    await seeMessage(page, 'red alert');

    const list = page.getByTestId('message-list');
    const first = messageBodies(page).filter({ hasText: 'bold' }).first();
    expect(await first.locator('strong').innerText()).toBe('bold');
    expect(await first.locator('em').innerText()).toBe('it');
    expect(await first.locator('code').innerText()).toBe('code');

    // One link: the https one, opening in a new tab that cannot reach back.
    const links = first.getByRole('link');
    expect(await links.count()).toBe(1);
    expect(await links.innerText()).toBe('https://example.com/x');
    expect(await links.getAttribute('href')).toBe('https://example.com/x');
    expect(await links.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await links.getAttribute('target')).toBe('_blank');
    // javascript: and the tag are shown as typed.
    expect(await first.innerText()).toContain('javascript:alert(1) <img src=x onerror=alert(1)> [click](javascript:alert(2))');
    expect(await list.locator('img, script, [onerror]').count()).toBe(0);
    expect(await list.locator('a:not([href^="https:"]):not([href^="http:"]):not([href^="mailto:"])').count()).toBe(0);

    // A fenced block keeps its text as written; a quote is a quote.
    expect((await list.locator('pre code').innerText()).trimEnd()).toBe('if (a < b) **not bold**');
    expect(await list.locator('pre strong').count()).toBe(0);
    expect(await list.locator('blockquote').innerText()).toBe('a quoted line\nand another');

    // Terminal colour codes are gone; the bell shows as a visible picture of one.
    const ansi = messageBodies(page).filter({ hasText: 'red alert' });
    expect(await ansi.innerText()).toBe('red alert ding\u2407 done');
    // ...drawn from the app's own font for them: few systems have one (this one has none).
    await until(
      () => page.evaluate(async () => {
        await document.fonts.ready;
        return [...document.fonts].some((f) => f.family.includes('Control Pictures') && f.status === 'loaded');
      }),
      'the Control Pictures font to load',
    );

    await screenshot(page, 'rich-text');
    expect(problems).toEqual(CLEAN);
    await ivan.quit();
  });

  it('marks a message that mentions the reader, not one that quotes the name in code', async () => {
    const alice = await openApp(browser, server.httpUrl);
    const bob = await openApp(browser, server.httpUrl);
    await signIn(alice.page, 'alice');
    await signIn(bob.page, 'bob');

    await send(bob.page, '`@alice` is her handle');
    await send(bob.page, 'hey @alice');
    await seeMessage(alice.page, 'hey @alice');

    const row = alice.page.locator('[data-testid="message"]').filter({ hasText: 'hey @alice' });
    // Seen: an accent edge, and the name picked out. Heard: "Mentions you".
    await row.getByText('Mentions you.').waitFor({ state: 'attached' });
    expect(await row.getAttribute('class')).toContain('mentions-me');
    const edge = await row.evaluate((el) => getComputedStyle(el).borderLeftColor);
    expect(edge).not.toBe('rgba(0, 0, 0, 0)');
    expect(await row.locator('.mention.me').innerText()).toBe('@alice');

    // The name in code is only code: that message is not marked.
    const quoted = alice.page.locator('[data-testid="message"]').filter({ hasText: 'is her handle' });
    expect(await quoted.locator('code').innerText()).toBe('@alice');
    expect(await quoted.locator('.mention').count()).toBe(0);
    expect(await quoted.getByText('Mentions you.').count()).toBe(0);
    expect(await alice.page.getByText('Mentions you.').count()).toBe(1);

    // Bob sees the mention picked out, but his own message is not a call to him.
    const sent = bob.page.locator('[data-testid="message"]').filter({ hasText: 'hey @alice' });
    expect(await sent.locator('.mention').innerText()).toBe('@alice');
    expect(await sent.locator('.mention.me').count()).toBe(0);
    expect(await bob.page.getByText('Mentions you.').count()).toBe(0);

    await screenshot(alice.page, 'mention');
    for (const p of [alice, bob]) expect(p.problems).toEqual(CLEAN);
  });
});
