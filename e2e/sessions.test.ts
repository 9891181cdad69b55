import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startServer } from '../gateway/test/support/server.ts';
import { connectionState, launchBrowser, openApp, seeMessage, signIn, TcpUser } from './browser.ts';

const PASSWORD = 'sessions-pass';

/** What this browser keeps, as one string: the password must never be in it. */
const stored = (page: Page) => page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
const signInForm = (page: Page) => page.getByLabel('Handle');

async function signOutEverywhere(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('dialog', { name: 'Settings' }).getByRole('button', { name: 'Sign out everywhere' }).click();
  await signInForm(page).waitFor();
}

// Issue item 6a: a password sign-in earns a session token, so reloads, new tabs and server
// restarts need no password; signing out everywhere ends every session.
describe('session tokens in the browser', () => {
  let dataDir: string;
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let browser: Browser;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'slck-e2e-sessions-'));
    server = await startServer({ dataDir });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('signs reloads, tabs and a restarted server in without the password, until signed out everywhere', async () => {
    const { context, page: first, problems } = await openApp(browser, server!.httpUrl);
    await signIn(first, 'sol', PASSWORD);
    expect(await stored(first)).toContain('slck.token');
    expect(await stored(first)).not.toContain(PASSWORD);

    // A reload, then a second tab: signed in by themselves.
    await first.reload();
    await connectionState(first, 'online');
    expect(await signInForm(first).count()).toBe(0);
    const second = await context.newPage();
    await second.goto(server!.httpUrl);
    await connectionState(second, 'online');

    // The server restarts (its store on disk): both tabs come back by themselves.
    const httpPort = server!.httpPort;
    await server!.close();
    server = await startServer({ dataDir, httpPort });
    await connectionState(first, 'online', 20_000);
    await connectionState(second, 'online', 20_000);
    const vic = await TcpUser.as(server.tcpPort, '@vic', '#general');
    await vic.client.msg('#general', 'welcome back, sol');
    await seeMessage(first, 'welcome back, sol');
    await seeMessage(second, 'welcome back, sol');

    // Another device, signed in with the password.
    const device = await openApp(browser, server.httpUrl);
    await signIn(device.page, 'sol', PASSWORD);

    // Signing out everywhere from the first tab: the second tab and the device go to the
    // sign-in page, and say why.
    await signOutEverywhere(first);
    await signInForm(second).waitFor();
    expect(await second.getByTestId('signin-error').innerText()).toMatch(/signed out/i);
    await signInForm(device.page).waitFor();
    expect(await device.page.getByTestId('signin-error').innerText()).toBe(
      'You were signed out everywhere, from another tab or device. Sign in with your password.',
    );
    expect(await stored(first)).not.toContain('slck.token');

    // Reloading now asks for the password, with the handle filled in.
    for (const page of [second, device.page]) {
      await page.reload();
      await signInForm(page).waitFor();
      expect(await signInForm(page).inputValue()).toBe('sol');
    }
    await signIn(second, 'sol', PASSWORD);
    // The first tab, on the sign-in page, reloads into the session the second just began.
    await first.reload();
    await connectionState(first, 'online');

    // Plain "Sign out" ends this browser's session and forgets its token: the other tab,
    // which shared it, is signed out too.
    await second.getByRole('button', { name: 'Sign out', exact: true }).click();
    await signInForm(second).waitFor();
    expect(await stored(second)).not.toContain('slck.token');
    await signInForm(first).waitFor();
    expect(await first.getByTestId('signin-error').innerText()).toBe('You signed out in another tab of this browser.');
    await second.reload();
    await signInForm(second).waitFor();

    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    expect(device.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await Promise.all([context.close(), device.context.close()]);
    await vic.quit();
  });

  it('sends a browser with a token that no longer works to the sign-in page, saying so', async () => {
    const { page, problems } = await openApp(browser, server!.httpUrl);
    await signIn(page, 'ned', PASSWORD);
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await signInForm(page).waitFor();
    // A token the server has never issued (or has revoked), as an old browser might hold.
    await page.evaluate(() => localStorage.setItem('slck.token', JSON.stringify({ handle: '@ned', token: 'A'.repeat(43) })));
    await page.reload();
    await page.getByTestId('signin-error').waitFor();
    expect(await page.getByTestId('signin-error').innerText()).toBe(
      'Your session has ended (you signed out, or it expired). Sign in with your password.',
    );
    expect(await signInForm(page).inputValue()).toBe('ned');
    await signIn(page, 'ned', PASSWORD);
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await page.context().close();
  });
});
