import { describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { channelItem, openApp, seeMessage, signIn, TcpUser, until, useServerAndBrowser } from './browser.ts';

const PASSWORD = 'unread-place-pass';
const line = (i: number) => (i === 80 ? `dev line ${i}, @alice have a look` : `dev line ${i}`);

const list = (page: Page): Locator => page.getByTestId('message-list');

/** Whether the element matched by `selector` inside the list is at least partly in its visible area. */
const inView = (page: Page, selector: string) =>
  list(page).evaluate((el, sel) => {
    const target = el.querySelector(sel);
    if (!target) return false;
    const r = target.getBoundingClientRect();
    const v = el.getBoundingClientRect();
    return r.bottom > v.top && r.top < v.bottom;
  }, selector);

/**
 * The newest message shown whole on screen (`whole`), and the newest with any part of it on
 * screen (`part`); 0 when none.
 */
const newestShown = (page: Page) =>
  list(page).evaluate((el) => {
    const v = el.getBoundingClientRect();
    let whole = 0;
    let part = 0;
    for (const m of el.querySelectorAll<HTMLElement>('[data-testid="message"]')) {
      const r = m.getBoundingClientRect();
      if (r.bottom > v.top && r.top < v.bottom) part = Math.max(part, Number(m.dataset.id));
      if (r.top >= v.top && r.bottom <= v.bottom) whole = Math.max(whole, Number(m.dataset.id));
    }
    return { whole, part };
  });

/** The badge counts what is below the newest message shown: never less (read past what was shown). */
async function badgeCountsBelow(page: Page, item: Locator, total: number): Promise<number> {
  const { whole, part } = await newestShown(page);
  await until(async () => (await unreadCount(item)) <= total - whole, `the badge to count at most what is below #${whole}`);
  const count = await unreadCount(item);
  expect(count).toBeGreaterThanOrEqual(total - part);
  return count;
}

/** The count on a sidebar item's unread badge (0 when it shows none). */
async function unreadCount(item: Locator): Promise<number> {
  const badge = item.getByTestId('unread');
  return (await badge.count()) ? Number((await badge.innerText()).replace(/\D/g, '')) : 0;
}

/** Scroll the list down by most of a screen and wait for the page to see the scroll. */
const scrollDown = (page: Page) =>
  list(page).evaluate(
    (el) =>
      new Promise<void>((done) => {
        el.addEventListener('scroll', () => done(), { once: true });
        el.scrollTop += el.clientHeight * 0.8;
      }),
  );

async function open(page: Page, channel: string) {
  await channelItem(page, channel).click();
  await page.getByTestId('conversation-title').filter({ hasText: channel }).waitFor();
}

// Issue 15 item 7: a conversation with many unread messages opens at the first unread, and
// only what has been on screen is marked read: the badge goes down as the reader scrolls.
describe('opening at the first unread message', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]), { msgRate: 0 });

  it('shows the New line near the top, marks read only what was shown, and jumps both ways', async () => {
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'alice', PASSWORD);
    await page.getByRole('button', { name: 'Browse channels' }).click();
    await page.getByLabel('Create or join a channel').fill('#dev');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByTestId('conversation-title').filter({ hasText: '#dev' }).waitFor();
    const bob = await TcpUser.as(server.tcpPort, '@bob', '#dev');
    // Alice on telnet too: she hears every READ her browser sends.
    const aliceTcp = await TcpUser.connect(server.tcpPort);
    await aliceTcp.client.reg('@alice', PASSWORD);
    const reads: number[] = [];
    aliceTcp.client.on('read', (r) => reads.push(r.id));

    // She reads the first 20 where they arrive.
    for (let i = 1; i <= 20; i++) await bob.client.msg('#dev', line(i));
    await seeMessage(page, line(20));
    await until(() => reads.includes(20), 'the page to mark #dev read up to 20');

    // Away in #general, 120 more arrive, one of them (#80) for her.
    await open(page, '#general');
    await Promise.all(Array.from({ length: 120 }, (_, i) => bob.client.msg('#dev', line(21 + i))));
    const dev = channelItem(page, '#dev');
    await dev.getByTestId('unread').filter({ hasText: /^120$/ }).waitFor();
    await dev.getByTestId('mentions').filter({ hasText: '@1' }).waitFor();

    // Opening #dev: the New line, above #21, is in view near the top, #20 just above it.
    await open(page, '#dev');
    const divider = page.getByTestId('new-divider');
    await divider.waitFor();
    await until(() => inView(page, '[data-testid="new-divider"]'), 'the New line in view');
    const around = await divider.evaluate((d) => ({
      before: d.previousElementSibling?.querySelector('[data-testid="message-body"]')?.textContent,
      after: d.nextElementSibling?.querySelector('[data-testid="message-body"]')?.textContent,
      fromTop: d.getBoundingClientRect().top - d.parentElement!.getBoundingClientRect().top,
      height: d.parentElement!.clientHeight,
    }));
    expect(around.before).toBe(line(20));
    expect(around.after).toBe(line(21));
    expect(around.fromTop).toBeLessThan(around.height / 3);
    expect(await inView(page, '[data-id="140"]')).toBe(false);

    // Read only as far as shown: the badge went down by what is on screen, not to nothing.
    const left = await badgeCountsBelow(page, dev, 140);
    expect(left).toBeGreaterThan(80);
    await until(() => reads.includes(140 - left), `the page to mark read up to #${140 - left}`);
    expect(Math.max(...reads)).toBe(140 - left);
    expect(await dev.getByTestId('mentions').innerText()).toBe('@1');
    expect(await page.title()).toMatch(/^\(@1 · \d+\) #dev · SLCK$/);

    // Scrolling up reads on into what came before (#1..#20 are held above the line).
    await page.getByTestId('jump-latest').waitFor();
    expect(await page.getByTestId('message').first().getAttribute('data-id')).toBe('1');

    // Scrolling down: the badge goes down a screen at a time, the mention once #80 is shown.
    let before = await unreadCount(dev);
    let steps = 0;
    while (before > 0) {
      await scrollDown(page);
      const now = await badgeCountsBelow(page, dev, 140);
      expect(now).toBeLessThan(before);
      if (140 - now < 80) expect(await dev.getByTestId('mentions').count()).toBe(1);
      else await dev.getByTestId('mentions').waitFor({ state: 'detached' });
      before = now;
      steps++;
    }
    expect(steps).toBeGreaterThan(2);
    await until(() => reads.includes(140), 'the page to mark everything read once shown');
    await until(async () => (await page.title()) === '#dev · SLCK', 'the title to count nothing');

    // Away again, 60 more; back: "Jump to latest" goes to the newest, "Jump to first unread" back.
    await open(page, '#general');
    await Promise.all(Array.from({ length: 60 }, (_, i) => bob.client.msg('#dev', line(141 + i))));
    await dev.getByTestId('unread').filter({ hasText: /^60$/ }).waitFor();
    await open(page, '#dev');
    await until(() => inView(page, '[data-testid="new-divider"]'), 'the New line in view');
    expect(await inView(page, '[data-id="200"]')).toBe(false);
    await page.getByTestId('jump-latest').click();
    await until(() => inView(page, '[data-id="200"]'), 'the newest message in view after the jump');
    await page.getByTestId('jump-latest').waitFor({ state: 'detached' });
    await until(() => reads.includes(200), 'the jump to mark read up to the newest');
    // The New line is out of view, above: the way back to it.
    const jumpUnread = page.getByTestId('jump-unread');
    await jumpUnread.waitFor();
    expect(await jumpUnread.innerText()).toContain('Jump to first unread');
    await jumpUnread.click();
    await until(() => inView(page, '[data-testid="new-divider"]'), 'the New line in view after jumping back');
    expect(await page.getByTestId('new-divider').evaluate((d) => d.nextElementSibling?.querySelector('[data-testid="message-body"]')?.textContent)).toBe(line(141));

    // A fresh page (a reload) holds nothing of #dev. Away, 200 more arrive; opening #dev holds
    // the page around its first unread and fetches newer pages only as the reader nears them,
    // so five more, arriving now, are counted but not shown. Esc reads everything; coming
    // back, #dev opens at its newest message.
    await open(page, '#general');
    await Promise.all(Array.from({ length: 200 }, (_, i) => bob.client.msg('#dev', line(201 + i))));
    await dev.getByTestId('unread').filter({ hasText: /^200$/ }).waitFor();
    await page.reload();
    await open(page, '#dev');
    // A cold page loads #dev's unread state and a page around it first: on a busy machine
    // (a whole suite in parallel) that took over the 10 s default once, so allow 30 s.
    await until(() => inView(page, '[data-testid="new-divider"]'), 'the New line in view after the reload', 30_000);
    const shownBefore = await badgeCountsBelow(page, dev, 400);
    await Promise.all(Array.from({ length: 5 }, (_, i) => bob.client.msg('#dev', line(401 + i))));
    await until(async () => (await unreadCount(dev)) === shownBefore + 5, 'the five new ones counted');
    expect(await page.locator('[data-id="405"]').count()).toBe(0);
    await page.keyboard.press('Escape');
    await until(() => reads.includes(405), 'Esc to mark read up to the newest, not held');
    await dev.getByTestId('unread').waitFor({ state: 'detached' });
    await open(page, '#general');
    await open(page, '#dev');
    await until(() => inView(page, '[data-id="405"]'), 'the newest message in view on coming back');
    expect(await page.getByTestId('new-divider').count()).toBe(0);

    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await Promise.all([bob.quit(), aliceTcp.quit()]);
  });
});
