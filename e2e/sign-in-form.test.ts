import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { openApp, screenshot, signIn, useServerAndBrowser } from './browser.ts';

const CLEAN = { errors: [], cspViolations: [], dialogs: [] };

/** The box the focus ring draws, from the focused element's outline, in page pixels. */
const ringOf = (page: Page, selector: string) =>
  page.locator(selector).evaluate((el) => {
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    const out = s.outlineStyle === 'none' ? null : parseFloat(s.outlineWidth) + parseFloat(s.outlineOffset);
    return out === null ? null : { left: r.left - out, right: r.right + out, top: r.top - out, bottom: r.bottom + out };
  });

// Issue 15, item 11: the sign-in form spoke protocol (`REG @alice <password>`) to a person,
// and the handle's focus ring left out its `@` and stuck out past the field.
describe('the sign-in form', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('asks for the password of a claimed handle in words, on the password field', async () => {
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'alice', 'wonderland');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Handle').fill('alice');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.getByTestId('signin-error');
    await error.waitFor();
    expect(await error.innerText()).toBe('@alice is claimed: enter its password');
    // Focus and the error's description are on the field to fill in.
    const password = page.getByLabel(/^Password/);
    await page.waitForFunction(() => document.activeElement?.id === 'password');
    expect(await password.getAttribute('aria-invalid')).toBe('true');
    expect(await password.getAttribute('aria-describedby')).toContain('signin-error');
    expect(await page.getByLabel('Handle').getAttribute('aria-invalid')).toBeNull();
    await password.fill('wonderland');
    await password.press('Enter');
    await page.getByTestId('connection-status').and(page.locator('[data-state="online"]')).waitFor();
    expect(problems).toEqual(CLEAN);
    await page.context().close();
  });

  it('rings the whole handle field, its @ included, without sticking out past it', async () => {
    const { page, problems } = await openApp(browser, server.httpUrl, { width: 600, height: 700 });
    await page.getByLabel('Handle').focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    await page.getByLabel('Handle').fill('jane');
    await screenshot(page, 'sign-in-focus-ring');

    // One ring, around the field (the @ and the input), not the input's own.
    expect(await ringOf(page, '#handle')).toBeNull();
    const ring = await ringOf(page, '.handle-field');
    expect(ring).not.toBeNull();
    const sigil = (await page.locator('.handle-field .sigil').boundingBox())!;
    const field = (await page.locator('.handle-field').boundingBox())!;
    const password = (await page.getByLabel(/^Password/).boundingBox())!;
    expect(ring!.left).toBeLessThanOrEqual(sigil.x);
    // It hugs the field: at most a pixel beyond it, so it lines up with the password field.
    expect(ring!.left).toBeGreaterThanOrEqual(field.x - 1);
    expect(ring!.right).toBeLessThanOrEqual(field.x + field.width + 1);
    expect(Math.abs(field.x + field.width - (password.x + password.width))).toBeLessThanOrEqual(1);
    expect(problems).toEqual(CLEAN);
    await page.context().close();
  });
});
