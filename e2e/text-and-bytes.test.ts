import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { messageBodies, openApp, seeMessage, send, sendPasted, signIn, TcpUser, useServerAndBrowser } from './browser.ts';

const MARKUP = '<img src=x onerror=alert(1)>';

// Spec 6: bodies are text, never markup; long multi-line bodies and emoji arrive byte-exact.
describe('message bodies', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('shows markup as text, from telnet and from the browser', async () => {
    const ivan = await TcpUser.as(server.tcpPort, '@ivan', '#general');
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'judy');
    await ivan.client.msg('#general', MARKUP);
    await seeMessage(page, MARKUP);
    await send(page, `<b>bold?</b> ${MARKUP}`);
    await seeMessage(page, '<b>bold?</b>');

    const list = page.getByTestId('message-list');
    expect(await list.locator('img, b, script').count()).toBe(0);
    expect(await messageBodies(page).allInnerTexts()).toEqual([MARKUP, `<b>bold?</b> ${MARKUP}`]);
    expect(problems.dialogs).toEqual([]);
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await ivan.quit();
  });

  it('sends a 2,000-line body with emoji to a telnet user byte for byte', async () => {
    const kim = await TcpUser.as(server.tcpPort, '@kim', '#general');
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'liam');
    // About 30 KB: under the 64 KiB body limit, with 2-, 3- and 4-byte characters and a ZWJ emoji.
    const lines = Array.from({ length: 2000 }, (_, i) => `${i + 1} é→ ${i % 10 === 0 ? '👩‍💻' : '🎉'}`);
    const body = lines.join('\n');
    expect(new TextEncoder().encode(body).length).toBeLessThan(65_536);

    await sendPasted(page, body);
    const got = await kim.waitForMessage((m) => m.from === '@liam', 'the 2,000-line message');
    const expected = new TextEncoder().encode(body);
    expect(got.body.length).toBe(expected.length);
    expect(Buffer.from(got.body).equals(Buffer.from(expected))).toBe(true);

    // The sender sees all of it too, line breaks kept.
    await seeMessage(page, '2000 é→ 🎉');
    const shown = await page.locator('[data-testid="message"][data-mine="true"] [data-testid="message-body"]').innerText();
    expect(shown.split('\n')).toHaveLength(2000);

    // Over the 64 KiB limit: not sent, the reason shown, the text kept for editing.
    const tooBig = '€'.repeat(22_000); // 66,000 bytes in 22,000 characters
    await sendPasted(page, tooBig);
    await page.getByRole('alert').filter({ hasText: 'Not sent: Message is 66,000 bytes; the limit is 65,536' }).waitFor();
    expect(await page.getByTestId('composer').inputValue()).toBe(tooBig);
    await page.getByTestId('composer').fill('');

    // And emoji the other way round.
    await kim.client.msg('#general', 'right back at you 🚀🇫🇷 ñ');
    await seeMessage(page, 'right back at you 🚀🇫🇷 ñ');
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await kim.quit();
  });
});
