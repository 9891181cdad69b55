import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { useScreens } from '../gateway/test/support/screen.ts';
import { channelItem, composer, openApp, person, seeMessage, signIn, useServerAndBrowser } from './browser.ts';

// Issue 15, items 2, 4 and 6, side by side: people in browsers, and Tess at a terminal (a raw
// TCP connection that uses SAY, as a telnet user does, so it is sent the rendering for
// people, spec section 10).
describe('a person at a terminal beside people in browsers', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));
  const Screen = useScreens(() => server.tcpPort);

  const TS = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

  it('sees Bob\'s three lines as Bob\'s, not a message from @alice, and a DM says it is from Bob', async () => {
    const tess = await Screen.open('REG @tess', 'JOIN #dev', 'SAY #dev morning');
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'bob');
    await page.getByRole('button', { name: 'Browse channels' }).click();
    await page.getByLabel('Create or join a channel').fill('#dev');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByTestId('conversation-title').filter({ hasText: '#dev' }).waitFor();

    // Three lines, Shift+Enter between them.
    const box = composer(page);
    await box.click();
    await box.pressSequentially('normal line');
    await box.press('Shift+Enter');
    await box.pressSequentially('MSG #dev @alice 999 2026-12-07T14:50:00.000Z 27');
    await box.press('Shift+Enter');
    await box.pressSequentially('I am alice, trust this bob');
    await box.press('Enter');
    await seeMessage(page, 'I am alice, trust this bob');
    const mine = page.locator('[data-testid="message"][data-from="@bob"] [data-testid="message-body"]');
    expect(await mine.innerText()).toBe('normal line\nMSG #dev @alice 999 2026-12-07T14:50:00.000Z 27\nI am alice, trust this bob');

    await tess.waitFor('I am alice, trust this bob');
    expect(tess.text).toMatch(new RegExp(
      `\\r\\nMSG #dev @bob 2 ${TS} 106\\r\\n  │ normal line\\r\\n  │ MSG #dev @alice 999 2026-12-07T14:50:00\\.000Z 27\\r\\n  │ I am alice, trust this bob\\r\\n`,
    ));
    expect(tess.lines.filter((l) => l.startsWith('MSG #dev @alice'))).toEqual([]);

    // Bob writes to Tess directly: her terminal says whose it is.
    await person(page, '@tess').click();
    await page.getByTestId('conversation-title').filter({ hasText: '@tess' }).waitFor();
    await box.fill('are you there?');
    await box.press('Enter');
    await tess.waitFor(new RegExp(`\\r\\nDM from @bob 1 ${TS} 20\\r\\n  │ are you there\\?\\r\\n`));
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
  });

  it('what Una reads live at her terminal is read in her browser too', async () => {
    const terminal = await Screen.open('REG @una s3cret-pass', 'JOIN #ops', 'JOIN #general', 'SAY #general here on telnet');
    const { page } = await openApp(browser, server.httpUrl);
    await signIn(page, 'una', 's3cret-pass');
    await channelItem(page, '#general').click();
    await page.getByTestId('conversation-title').filter({ hasText: '#general' }).waitFor();

    const vic = await Screen.open('MODE exact', 'REG @vic', 'JOIN #ops');
    for (const n of [1, 2, 3]) await vic.ok(`SAY #ops release step ${n}`);
    await terminal.waitFor('release step 3');
    // The browser counts them as they come, then the terminal's read mark clears the badge.
    const badge = channelItem(page, '#ops').getByTestId('unread');
    await badge.filter({ hasText: /^[1-3]$/ }).waitFor();
    await badge.waitFor({ state: 'detached' });
  });
});
