import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { useScreens } from '../gateway/test/support/screen.ts';
import { composer, openApp, person, screenshot, seeMessage, signIn, until, useServerAndBrowser } from './browser.ts';
import { axeViolations, expectNoNewViolations, rowWith } from './living.ts';

const results = (page: Page) => page.getByTestId('search-result');
const resultBodies = (page: Page) => page.getByTestId('search-result-body').allInnerTexts();
/** The words each result shows highlighted, in order. */
const marked = (page: Page) =>
  page.getByTestId('search-result-body').evaluateAll((bodies) => bodies.map((b) => Array.from(b.querySelectorAll('mark'), (m) => m.textContent)));
const chips = (page: Page) => page.locator('[data-testid="search-chip"] > span').allInnerTexts();

/** Ids of the messages the conversation holds, lowest and highest. */
const heldRange = (page: Page) =>
  page.getByTestId('message').evaluateAll((rows) => {
    const ids = rows.map((r) => Number((r as HTMLElement).dataset.id));
    return { low: Math.min(...ids), high: Math.max(...ids) };
  });

async function searchFor(page: Page, query: string): Promise<void> {
  await page.getByTestId('search-input').fill(query);
  await page.getByTestId('search-input').press('Enter');
}

// Issue 18, "In the browser": a search box (Ctrl+F, or / with an empty composer), results
// with the matched words highlighted and each one's conversation and time, filters as
// chips, a click opening the message in its conversation with the history around it. Ann
// and Bob in browsers (Bob on a phone), Tess at a terminal.
describe('searching messages', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]), { msgRate: 0 });
  const Screen = useScreens(() => server.tcpPort);

  it('finds what Ann may read, highlighted, chips for filters, and opens a result in its conversation', async () => {
    const tess = await Screen.open('REG @tess', 'JOIN #general', 'JOIN #vault');
    await tess.ok('SAY #vault the café in the vault is secret');
    for (let i = 1; i <= 5; i++) await tess.ok(`SAY #general earlier ${i}`);
    await tess.ok('SAY #general the Café opens at noon');
    // Enough after it that the conversation's latest page does not hold it.
    for (let i = 1; i <= 60; i++) await tess.ok(`SAY #general filler ${i}`);

    const bob = await openApp(browser, server.httpUrl, { width: 390, height: 844 });
    await signIn(bob.page, 'bob');
    const ann = await openApp(browser, server.httpUrl);
    const { page } = ann;
    await signIn(page, 'ann');
    await seeMessage(page, 'filler 60');
    // A direct message from Bob to Ann; the body would be markup if anything let it run.
    await bob.page.locator('[data-menu-button]').click();
    await person(bob.page, '@ann').click();
    await composer(bob.page).fill('cafe tomorrow? <img src=x onerror="window.__ran=1">');
    await composer(bob.page).press('Enter');
    await seeMessage(bob.page, 'cafe tomorrow?');

    const axeBefore = await axeViolations(page);
    // `/` in a message being written is a slash; with an empty box it opens search.
    await composer(page).fill('and/');
    await composer(page).press('/');
    expect(await composer(page).inputValue()).toBe('and//');
    expect(await page.getByTestId('search-panel').count()).toBe(0);
    await composer(page).fill('');
    await page.keyboard.press('/');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('search-input');
    // A malformed query: the server's sentence under the box.
    await searchFor(page, '"unclosed');
    await until(async () => (await page.getByTestId('search-error').innerText()) === 'ERR BAD_SYNTAX A "phrase" is missing its closing quote', 'the syntax error');

    // `cafe` finds Café (accents folded as the server folds them), from:@tess a chip.
    await searchFor(page, 'cafe from:@tess');
    await until(async () => (await results(page).count()) === 1, 'one result from @tess');
    expect(await page.getByTestId('search-error').innerText()).toBe('');
    expect(await chips(page)).toEqual(['from:@tess']);
    expect(await resultBodies(page)).toEqual(['the Café opens at noon']);
    expect(await marked(page)).toEqual([['Café']]);
    expect(await results(page).first().getAttribute('data-where')).toBe('#general');
    await expectNoNewViolations(page, axeBefore, 'the search panel with results');
    await screenshot(page, '18-search-results');

    // The chip taken off: Bob's DM too, newest first, named by the other person; never #vault.
    await page.getByRole('button', { name: 'Remove filter from:@tess' }).click();
    await until(async () => (await results(page).count()) === 2, 'two results without the filter');
    expect(await chips(page)).toEqual([]);
    expect(await page.getByTestId('search-input').inputValue()).toBe('cafe');
    expect(await resultBodies(page)).toEqual(['cafe tomorrow? <img src=x onerror="window.__ran=1">', 'the Café opens at noon']);
    expect(await results(page).evaluateAll((rs) => rs.map((r) => (r as HTMLElement).dataset.where))).toEqual(['@bob', '#general']);
    expect(await marked(page)).toEqual([['cafe'], ['Café']]);
    expect(await page.evaluate(() => (window as unknown as { __ran?: number }).__ran)).toBeUndefined();
    expect(await page.getByTestId('search-panel').locator('img').count()).toBe(0);

    // Twenty at a time; More results pages on (END SEARCH … MORE).
    await searchFor(page, 'filler in:#general');
    // A page holds at most 20 and never splits a millisecond, so it may hold fewer.
    // The café results stay on screen until the new page comes, so wait for the page itself.
    await until(async () => (await resultBodies(page))[0] === 'filler 60', 'the first page');
    expect(await results(page).count()).toBeLessThanOrEqual(20);
    for (let pages = 1; await page.getByTestId('search-more').isVisible(); pages++) {
      expect(pages, 'pages of 60 results').toBeLessThan(60);
      const before = await results(page).count();
      await page.getByTestId('search-more').click();
      await until(async () => (await results(page).count()) > before || !(await page.getByTestId('search-more').isVisible()), 'the next page');
    }
    expect(await resultBodies(page)).toEqual(Array.from({ length: 60 }, (_, i) => `filler ${60 - i}`));
    expect(await chips(page)).toEqual(['in:#general']);

    // Esc closes it, and Ctrl+F opens it again as it was.
    await page.keyboard.press('Escape');
    await page.getByTestId('search-panel').waitFor({ state: 'detached' });
    await page.keyboard.press('Control+f');
    await page.getByTestId('search-panel').waitFor();
    expect(await results(page).count()).toBe(60);

    // Keyboard only: Enter on a focused result opens the message there, with the history
    // around it (HISTORY … around), highlighted.
    await searchFor(page, 'café');
    await until(async () => (await results(page).count()) === 2, 'both results for café');
    const general = results(page).filter({ hasText: 'opens at noon' });
    const id = Number(await general.getAttribute('data-id'));
    // Tab from the box: Search, Close, then the results in order.
    for (let tabs = 0; (await page.evaluate(() => document.activeElement?.getAttribute('data-id'))) !== String(id); tabs++) {
      expect(tabs, 'Tab presses to reach the #general result').toBeLessThan(4);
      await page.keyboard.press('Tab');
    }
    await page.keyboard.press('Enter');
    await page.getByTestId('search-panel').waitFor({ state: 'detached' });
    await page.getByTestId('conversation-title').filter({ hasText: '#general' }).waitFor();
    const row = page.locator(`[data-testid="message"][data-id="${id}"]`);
    await until(async () => (await row.getAttribute('data-highlighted')) === 'true', 'the result highlighted in #general');
    const held = await heldRange(page);
    expect(held.low).toBeLessThan(id);
    expect(held.high).toBeGreaterThan(id);
    expect(held.high).toBeLessThan(id + 60);
    expect(await rowWith(page, 'earlier 5').count()).toBe(1);
    expect(await rowWith(page, 'filler 1').count()).toBe(1);
    expect(await rowWith(page, 'filler 60').count()).toBe(0);
    await screenshot(page, '18-search-opened');

    // A click on the DM result opens the conversation with Bob at it.
    await page.keyboard.press('Control+f');
    await until(async () => (await results(page).count()) === 2, 'the results kept');
    await results(page).filter({ hasText: 'cafe tomorrow' }).click();
    await page.getByTestId('conversation-title').filter({ hasText: '@bob' }).waitFor();
    await page.locator('[data-testid="message"][data-highlighted="true"]').filter({ hasText: 'cafe tomorrow' }).waitFor();

    // A thread reply (not in the main flow) opens its thread beside #general, highlighted.
    await tess.ok(`REPLY #general ${id} 24\r\nthe lunch menu is posted`);
    await page.keyboard.press('Control+f');
    await searchFor(page, 'menu');
    await until(async () => (await resultBodies(page)).join() === 'the lunch menu is posted', 'the reply found');
    await results(page).first().click();
    await page.getByTestId('conversation-title').filter({ hasText: '#general' }).waitFor();
    await page.getByTestId('thread-pane').locator('[data-testid="message"][data-highlighted="true"]').filter({ hasText: 'the lunch menu is posted' }).waitFor();

    // On a phone: Bob opens search from the menu, finds his own DM, and opens it.
    await bob.page.locator('[data-menu-button]').click();
    await bob.page.getByTestId('search-item').click();
    await searchFor(bob.page, 'CAFÉ in:@ann');
    await until(async () => (await results(bob.page).count()) === 1, 'Bob\'s one result');
    expect(await results(bob.page).first().getAttribute('data-where')).toBe('@ann');
    expect(await chips(bob.page)).toEqual(['in:@ann']);
    expect(await marked(bob.page)).toEqual([['cafe']]);
    await screenshot(bob.page, '18-search-phone');
    const bobAxe = await axeViolations(bob.page);
    expect(bobAxe, 'axe on the phone search panel').toEqual([]);
    await bob.page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(bob.page, '18-search-phone-dark');
    await expectNoNewViolations(bob.page, bobAxe, 'the phone search panel, dark');
    await results(bob.page).first().click();
    await bob.page.getByTestId('conversation-title').filter({ hasText: '@ann' }).waitFor();

    // At the terminal: the results read as FOUND lines, with the message under each.
    const from = tess.text.length;
    tess.type('SEARCH cafe');
    await tess.waitFor('END SEARCH', from);
    const answer = tess.text.slice(from);
    const TS = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';
    expect(answer).toMatch(new RegExp(
      `^FOUND #general @tess 6 ${TS} 29\\r\\n  │ the Café opens at noon\\r\\nFOUND #vault @tess 1 ${TS} 38\\r\\n  │ the café in the vault is secret\\r\\nEND SEARCH 2\\r\\n$`,
    ));

    expect(ann.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    expect(bob.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
  });
});
