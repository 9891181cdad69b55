import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { connectionState, openApp, screenshot, signIn, TcpUser, useServerAndBrowser } from './browser.ts';

async function attempt(page: Page, handle: string, password = ''): Promise<string> {
  await page.getByLabel('Handle').fill(handle);
  await page.getByLabel(/^Password/).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const error = page.getByTestId('signin-error');
  await error.waitFor();
  return error.innerText();
}

// Sign-in problems are explained on the form, in the server's words.
describe('signing in', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('explains a bad, taken or claimed handle, and a wrong password', async () => {
    const owen = await TcpUser.as(server.tcpPort, '@owen');
    const { page, problems } = await openApp(browser, server.httpUrl);
    expect(await attempt(page, 'two words')).toBe('Handle may use only letters, digits, _ - and . after @');
    expect(await attempt(page, 'owen')).toBe('@owen is already online');
    await screenshot(page, '09-sign-in-error');

    // Claim @pia with a password, sign out, and come back.
    await signIn(page, 'pia', 'opensesame');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Handle').waitFor();
    expect(await attempt(page, 'pia')).toBe('@pia is claimed: enter its password');
    expect(await attempt(page, 'pia', 'guess')).toBe('Wrong password for @pia');
    await signIn(page, 'pia', 'opensesame');

    // A reload signs in again with the session token the password earned (spec: TOKEN); the
    // password itself is kept nowhere in the browser.
    await page.reload();
    await connectionState(page, 'online');
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    expect(stored).not.toContain('opensesame');
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await owen.quit();
  });
});
