import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { connectionState, dmItem, openApp, screenshot, seeMessage, send, signIn, TcpUser, until, useServerAndBrowser } from './browser.ts';

/** Relative luminance (WCAG: 0 is black, 1 is white) of a computed CSS colour. */
function luminance(color: string): number {
  const [r, g, b] = (color.match(/[\d.]+/g) ?? []).slice(0, 3).map((c) => {
    const v = Number(c) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

const bodyColors = (page: Page) =>
  page.evaluate(() => {
    const style = getComputedStyle(document.body);
    return { background: style.backgroundColor, text: style.color, scheme: getComputedStyle(document.documentElement).colorScheme };
  });

const pageIsDark = async (page: Page) => luminance((await bodyColors(page)).background) < 0.05;
const pageIsLight = async (page: Page) => luminance((await bodyColors(page)).background) > 0.9;

/** Every colour custom property the stylesheet declares on :root, as the page resolves it now. */
const palette = (page: Page) =>
  page.evaluate(() => {
    const names = new Set<string>();
    const visit = (rules: CSSRuleList) => {
      for (const rule of rules) {
        if (rule instanceof CSSMediaRule) visit(rule.cssRules);
        else if (rule instanceof CSSStyleRule && rule.selectorText.startsWith(':root')) {
          for (const name of rule.style) if (name.startsWith('--')) names.add(name);
        }
      }
    };
    for (const sheet of document.styleSheets) visit(sheet.cssRules);
    const style = getComputedStyle(document.documentElement);
    return Object.fromEntries([...names].sort().map((n) => [n, style.getPropertyValue(n).trim()]));
  });

const themeRadio = (page: Page, name: 'System' | 'Light' | 'Dark') => page.getByRole('radio', { name, exact: true });

// Issue item 10: a dark theme that follows the system, and a System / Light / Dark choice
// the browser remembers.
describe('theme', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('is dark when the system prefers dark', async () => {
    const quinn = await TcpUser.as(server.tcpPort, '@quinn', '#general');
    await quinn.client.msg('#general', 'Lights off, dark mode on 🌙');
    const { page, problems } = await openApp(browser, server.httpUrl, undefined, 'dark');
    // Dark from the sign-in page on, before any choice was made.
    expect(await pageIsDark(page)).toBe(true);
    await signIn(page, 'dara');
    await seeMessage(page, 'Lights off, dark mode on 🌙');
    await send(page, 'Much easier on the eyes at night');
    await seeMessage(page, 'Much easier on the eyes at night');
    await quinn.client.msg('@dara', 'Looks good in the dark?');
    await dmItem(page, '@quinn').waitFor();

    const colors = await bodyColors(page);
    expect(luminance(colors.background)).toBeLessThan(0.05);
    expect(luminance(colors.text)).toBeGreaterThan(0.6);
    expect(colors.scheme).toBe('dark');
    expect(await themeRadio(page, 'System').isChecked()).toBe(true);
    // The pointer off the messages, so no row shows its hover colour in the picture.
    await page.mouse.move(130, 20);
    await screenshot(page, 'dark-theme');
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await page.context().close();
    await quinn.quit();
  });

  it('is light when the system prefers light', async () => {
    const { page, problems } = await openApp(browser, server.httpUrl, undefined, 'light');
    await signIn(page, 'lena');
    const colors = await bodyColors(page);
    expect(luminance(colors.background)).toBeGreaterThan(0.9);
    expect(luminance(colors.text)).toBeLessThan(0.05);
    expect(colors.scheme).toBe('light');
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await page.context().close();
  });

  it('switches to Dark under a light system, and remembers it across a reload', async () => {
    // What the system's dark scheme looks like, to compare the Dark choice with.
    const system = await openApp(browser, server.httpUrl, undefined, 'dark');
    const systemDark = await palette(system.page);
    await system.context.close();

    const { page, problems } = await openApp(browser, server.httpUrl, undefined, 'light');
    await signIn(page, 'otis');
    expect(await pageIsLight(page)).toBe(true);
    await page.getByRole('group', { name: 'Theme' }).waitFor();

    await themeRadio(page, 'Dark').check();
    await until(() => pageIsDark(page), 'the page to turn dark');
    expect((await bodyColors(page)).scheme).toBe('dark');
    // The Dark choice and the system's dark scheme are one palette.
    expect(await palette(page)).toEqual(systemDark);

    await page.reload();
    // Dark as soon as the page is there, while it is still signing in again.
    expect(await pageIsDark(page)).toBe(true);
    await connectionState(page, 'online');
    expect(await themeRadio(page, 'Dark').isChecked()).toBe(true);
    expect(await pageIsDark(page)).toBe(true);

    // The choice is a radio group: the arrow keys move through it.
    await themeRadio(page, 'Dark').focus();
    await page.keyboard.press('ArrowLeft');
    await until(() => themeRadio(page, 'Light').isChecked(), 'Light to be chosen');
    expect(await pageIsLight(page)).toBe(true);
    await page.keyboard.press('ArrowLeft');
    await until(() => themeRadio(page, 'System').isChecked(), 'System to be chosen');
    expect(await pageIsLight(page)).toBe(true);

    await page.reload();
    await connectionState(page, 'online');
    expect(await themeRadio(page, 'System').isChecked()).toBe(true);
    expect(await pageIsLight(page)).toBe(true);
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await page.context().close();
  });
});
