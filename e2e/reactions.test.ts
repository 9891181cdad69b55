import { describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { openApp, screenshot, seeMessage, signIn, TcpUser, useServerAndBrowser } from './browser.ts';
import { act, axeViolations, expectNoNewViolations, frameFor, pickEmoji, pill, rowById, watchLog } from './living.ts';

// Issue 17 §2 and §6, reactions: two browsers (alice, bob) and a telnet user (carol).
describe('reactions', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('are pills, live for everyone, mine highlighted, a click toggles, the tooltip says who; the picker loads on first use', async () => {
    const carol = await TcpUser.as(server.tcpPort, '@carol', '#general');
    const carolLog = watchLog(carol);
    const a = await openApp(browser, server.httpUrl);
    const b = await openApp(browser, server.httpUrl);
    const pickerRequests: string[] = [];
    a.page.on('request', (r) => {
      if (/emoji-picker|data-.*\.json/.test(r.url())) pickerRequests.push(r.url());
    });
    await signIn(a.page, 'alice');
    await signIn(b.page, 'bob');
    const sent = await carol.client.msg('#general', 'We shipped it');
    if ('muted' in sent) throw new Error('muted');
    await seeMessage(a.page, 'We shipped it');
    await seeMessage(b.page, 'We shipped it');
    const axeBefore = await axeViolations(a.page);
    // Nothing of the picker in the first load.
    expect(pickerRequests).toEqual([]);

    // alice reacts by keyboard alone: focus the row's React button, Enter, search, ↓, Enter.
    const aRow = rowById(a.page, sent.id);
    await aRow.hover();
    await aRow.getByTestId('action-react').focus();
    await a.page.keyboard.press('Enter');
    await pickEmoji(a.page, 'tada');
    expect(pickerRequests.length).toBeGreaterThan(0);
    await pill(aRow, '🎉').filter({ hasText: '1' }).waitFor();
    expect(await pill(aRow, '🎉').getAttribute('aria-pressed')).toBe('true');

    // bob sees it live, not his; the tooltip names alice.
    const bRow = rowById(b.page, sent.id);
    await pill(bRow, '🎉').filter({ hasText: '1' }).waitFor();
    expect(await pill(bRow, '🎉').getAttribute('aria-pressed')).toBe('false');
    expect(await pill(bRow, '🎉').getAttribute('title')).toBe('@alice reacted with 🎉');
    // carol, at a terminal, is sent the REACT.
    const react = await frameFor(carolLog, 'REACT', (f) => f.from === '@alice', "alice's reaction");
    expect(react).toMatchObject({ target: '#general', of: sent.id, reaction: '🎉' });

    // bob clicks the pill: his too, 2, for everyone.
    await pill(bRow, '🎉').click();
    await pill(bRow, '🎉').filter({ hasText: '2' }).waitFor();
    expect(await pill(bRow, '🎉').getAttribute('aria-pressed')).toBe('true');
    await pill(aRow, '🎉').filter({ hasText: '2' }).waitFor();
    expect(await pill(aRow, '🎉').getAttribute('title')).toBe('you and @bob reacted with 🎉');

    // carol reacts with a shortcode from the terminal: a 👍 pill for both.
    await carol.client.react('#general', sent.id, ':+1:');
    await pill(aRow, '👍').filter({ hasText: '1' }).waitFor();
    await pill(bRow, '👍').filter({ hasText: '1' }).waitFor();
    await expectNoNewViolations(a.page, axeBefore, 'reaction pills');
    await screenshot(a.page, '17-reactions');

    // alice clicks hers again: taken back, for everyone; carol is sent the UNREACT.
    await pill(aRow, '🎉').click();
    await pill(aRow, '🎉').filter({ hasText: '1' }).waitFor();
    expect(await pill(aRow, '🎉').getAttribute('aria-pressed')).toBe('false');
    await pill(bRow, '🎉').filter({ hasText: '1' }).waitFor();
    await frameFor(carolLog, 'UNREACT', (f) => f.from === '@alice' && f.reaction === '🎉', "alice's unreaction");

    // HISTORY carries who reacted with what: a new browser shows the same pills and tooltips.
    const c = await openApp(browser, server.httpUrl, { width: 1100, height: 700 }, 'dark');
    await signIn(c.page, 'dora');
    const cRow = rowById(c.page, sent.id);
    await pill(cRow, '🎉').filter({ hasText: '1' }).waitFor();
    expect(await pill(cRow, '🎉').getAttribute('title')).toBe('@bob reacted with 🎉');
    expect(await pill(cRow, '👍').getAttribute('title')).toBe('@carol reacted with 👍');
    await screenshot(c.page, '17-reactions-dark');

    // The picker with the mouse, in the dark theme, and Escape closes it.
    await act(cRow, 'react');
    await c.page.getByTestId('emoji-picker').getByRole('menuitem').first().waitFor();
    await screenshot(c.page, '17-emoji-picker-dark');
    await expectNoNewViolations(c.page, axeBefore, 'the emoji picker open');
    await c.page.keyboard.press('Escape');
    await c.page.getByTestId('emoji-picker').waitFor({ state: 'detached' });

    for (const p of [a, b, c]) expect(p.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await carol.quit();
  });

  it('on a touch screen, a long press shows the actions (there is no hover)', async () => {
    const eve = await TcpUser.as(server.tcpPort, '@eve', '#general');
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.httpUrl);
    await signIn(page, 'tess');
    const sent = await eve.client.msg('#general', 'Press and hold me');
    if ('muted' in sent) throw new Error('muted');
    const row = rowById(page, sent.id);
    await row.waitFor();
    // Only Copy link shows on a touch screen until the row is pressed.
    expect(await row.getByTestId('action-react').isVisible()).toBe(false);
    const box = (await row.getByTestId('message-body').boundingBox())!;
    const cdp = await context.newCDPSession(page);
    const at = { x: box.x + 10, y: box.y + box.height / 2 };
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [at] });
    // Held past the long press (half a second), then let go.
    await new Promise((r) => setTimeout(r, 800));
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await row.getByTestId('action-react').waitFor();
    await screenshot(page, '17-long-press-actions');
    await row.getByTestId('action-react').tap();
    await pickEmoji(page, 'tada');
    await pill(row, '🎉').filter({ hasText: '1' }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
    await eve.quit();
  });
});
