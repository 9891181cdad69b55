import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { connectionState, openApp, person, screenshot, seeMessage, send, signIn, TcpUser, useServerAndBrowser } from './browser.ts';

/** Try to sign in and return what the form says went wrong. */
async function refused(page: Page, handle: string, password = ''): Promise<string> {
  await page.getByLabel('Handle').fill(handle);
  await page.getByLabel(/^Password/).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const error = page.getByTestId('signin-error');
  await error.waitFor();
  return error.innerText();
}

const settings = (page: Page) => page.getByRole('dialog', { name: 'Settings' });

async function openSettings(page: Page) {
  await page.getByRole('button', { name: 'Settings' }).click();
  await settings(page).waitFor();
}

/** Fill the settings panel's password form and submit it. */
async function submitPassword(page: Page, next: string, current?: string) {
  const dialog = settings(page);
  if (current !== undefined) await dialog.getByLabel('Current password', { exact: true }).fill(current);
  await dialog.getByLabel('New password', { exact: true }).fill(next);
  await dialog.getByLabel('New password again', { exact: true }).fill(next);
  await dialog.getByRole('button', { name: current === undefined ? 'Set password' : 'Change password' }).click();
}

const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');

// Issue item 7: a guest handle is one anybody may take while its owner is away, direct
// messages and all. The app says so where it matters, and lets a guest claim the handle
// without signing out.
describe('guest handles', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('says on the sign-in page what signing in without a password means', async () => {
    const { page, problems } = await openApp(browser, server.httpUrl);
    const password = page.getByLabel(/^Password/);
    const hint = page.locator(`#${await password.getAttribute('aria-describedby')}`);
    expect(await hint.innerText()).toBe(
      "No password? You get a guest handle: anyone can sign in as it while you're away and read its direct messages. Add a password to keep it.",
    );
    expect(await hint.isVisible()).toBe(true);
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await page.context().close();
  });

  it('lets a guest claim the handle from settings: a reload needs no password, and nobody else can take it', async () => {
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'gwen');
    await openSettings(page);
    await settings(page).getByRole('heading', { name: 'Set a password' }).waitFor();
    expect(await settings(page).innerText()).toContain('@gwen is a guest handle');

    // The two copies must agree; the mistake is shown under the fields, and focus goes there.
    const dialog = settings(page);
    await dialog.getByLabel('New password', { exact: true }).fill('gwen-secret');
    await dialog.getByLabel('New password again', { exact: true }).fill('gwen-secrte');
    await dialog.getByRole('button', { name: 'Set password' }).click();
    expect(await dialog.getByTestId('password-error').innerText()).toBe('The two new passwords are not the same');
    expect(await focusedId(page)).toBe('password-again');

    await submitPassword(page, 'gwen-secret');
    await dialog.getByTestId('password-done').waitFor();
    expect(await dialog.getByTestId('password-done').innerText()).toMatch(/^Password set: @gwen is yours now/);
    // Claimed now: the form is the one for changing it, and signing out everywhere is offered.
    await dialog.getByRole('heading', { name: 'Change password' }).waitFor();
    await dialog.getByRole('button', { name: 'Sign out everywhere' }).waitFor();
    await screenshot(page, 'guest-claimed');
    await dialog.getByRole('button', { name: 'Close' }).click();

    // Like a password sign-in, the claim earned a session token: a reload signs in by itself.
    await page.reload();
    await connectionState(page, 'online');
    expect(await page.getByLabel('Handle').count()).toBe(0);
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    expect(stored).toContain('slck.token');
    expect(stored).not.toContain('gwen-secret');

    // Someone else, in another browser, can no longer sign in as @gwen without the password.
    const other = await openApp(browser, server.httpUrl);
    expect(await refused(other.page, 'gwen')).toMatch(/@gwen is claimed/);
    await signIn(other.page, 'gwen', 'gwen-secret');
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    expect(other.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await Promise.all([page.context().close(), other.context.close()]);
  });

  it('lets a claimed user change the password: a wrong current one is refused, the old one stops working', async () => {
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'hugo', 'first-secret');
    await openSettings(page);
    const dialog = settings(page);
    await dialog.getByRole('heading', { name: 'Change password' }).waitFor();

    await submitPassword(page, 'second-secret', 'not-it');
    await dialog.getByTestId('password-error').waitFor();
    expect(await dialog.getByTestId('password-error').innerText()).toBe('That is not your current password.');
    expect(await focusedId(page)).toBe('password-current');
    expect(await dialog.getByLabel('Current password', { exact: true }).getAttribute('aria-invalid')).toBe('true');

    await submitPassword(page, 'second-secret', 'first-secret');
    await dialog.getByTestId('password-done').waitFor();
    expect(await dialog.getByTestId('password-done').innerText()).toMatch(/^Password changed/);
    expect(await dialog.getByTestId('password-error').count()).toBe(0);
    await dialog.getByRole('button', { name: 'Close' }).click();

    // This tab keeps working.
    await send(page, 'still here after the change');
    await seeMessage(page, 'still here after the change');

    // Elsewhere the old password no longer works; the new one does.
    const other = await openApp(browser, server.httpUrl);
    expect(await refused(other.page, 'hugo', 'first-secret')).toBe('Wrong password for @hugo');
    await signIn(other.page, 'hugo', 'second-secret');
    await seeMessage(other.page, 'still here after the change');
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    expect(other.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await Promise.all([page.context().close(), other.context.close()]);
  });

  it('warns above the message box of a direct conversation with a guest, and not with a claimed user', async () => {
    const kim = await TcpUser.as(server.tcpPort, '@kim');
    const lou = await TcpUser.connect(server.tcpPort);
    await lou.client.reg('@lou', 'lou-secret');
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'ivy', 'ivy-secret');

    await person(page, '@kim').click();
    await page.getByTestId('conversation-title').filter({ hasText: '@kim' }).waitFor();
    const warning = page.getByTestId('guest-warning');
    await warning.waitFor();
    expect(await warning.innerText()).toBe('@kim is a guest handle: whoever signs in as @kim next can read this conversation.');
    // The message box's description includes it, for a screen reader.
    const describedBy = (await page.getByTestId('composer').getAttribute('aria-describedby'))!.split(' ');
    expect(describedBy).toContain(await warning.getAttribute('id'));
    await send(page, 'hello kim');
    await kim.waitForMessage((m) => m.from === '@ivy', "ivy's message");
    await screenshot(page, 'guest-warning');

    await person(page, '@lou').click();
    await page.getByTestId('conversation-title').filter({ hasText: '@lou' }).waitFor();
    await send(page, 'hello lou');
    await lou.waitForMessage((m) => m.from === '@ivy', "ivy's message");
    expect(await warning.count()).toBe(0);
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await page.context().close();
    await Promise.all([kim.quit(), lou.quit()]);
  });
});
