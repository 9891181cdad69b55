import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startServer, type TestServer } from '../gateway/test/support/server.ts';
import {
  composer, connectionState, cut, installSocketCutter, launchBrowser, messageBodies, openApp, person, restore, screenshot,
  seeMessage, send, setDeaf, setMute, signIn, socketsMade, TcpUser, text, until,
} from './browser.ts';

const pending = (page: Page) => page.getByTestId('pending-message');
const pendingBodies = (page: Page) => page.getByTestId('pending-body').allInnerTexts();
const pendingStates = (page: Page) => page.getByTestId('pending-status').allInnerTexts();
/** What `user` got from `from`, in order. */
const bodiesFrom = (user: TcpUser, from: string) => user.messages.filter((m) => m.from === from).map((m) => text(m.body));
/** The messages from `from` the page shows as sent (the tests share #general). */
const shownFrom = (page: Page, from: string) =>
  page.locator(`[data-testid="message"][data-from="${from}" i] [data-testid="message-body"]`).allInnerTexts();

/** The app with the socket cutter in it, signed in as `handle`. */
async function cuttableApp(browser: Browser, url: string, handle: string) {
  const app = await openApp(browser, url);
  await app.context.addInitScript(installSocketCutter);
  await app.page.reload();
  await signIn(app.page, handle);
  return app;
}

// Issue item 9: during an outage the message box still works. What is sent waits, shown as
// waiting, and goes out after the reconnect, in order and once each; a refused one says why
// and can be sent again or dropped.
describe('the outbox', () => {
  let server: TestServer | undefined;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('holds what is sent during an outage, through a reload, and sends it once, in order, after reconnecting', async () => {
    const { page, problems } = await cuttableApp(browser, server!.httpUrl, 'olive');
    const tess = await TcpUser.as(server!.tcpPort, '@tess', '#general');
    await person(page, '@tess').and(page.locator('[data-online="true"]')).waitFor();

    await cut(page);
    await connectionState(page, 'offline');
    await until(() => tess.events.some((e) => e.type === 'OFFLINE' && e.user === '@olive'), 'the server to see Olive go');
    expect(await composer(page).isEditable()).toBe(true);
    await page.getByTestId('composer-offline').waitFor();
    await send(page, 'first, while away');
    await send(page, 'second, while away');
    await until(async () => (await pending(page).count()) === 2, 'two messages waiting');
    expect(await pendingBodies(page)).toEqual(['first, while away', 'second, while away']);
    expect(await pendingStates(page)).toEqual(['Waiting to send…', 'Waiting to send…']);
    expect(await composer(page).inputValue()).toBe('');
    await screenshot(page, 'outbox-waiting');

    // A reload while still offline keeps them (this tab's sessionStorage).
    await page.reload();
    await restore(page);
    await connectionState(page, 'online', 20_000);
    await tess.waitForMessage((m) => text(m.body) === 'second, while away', 'the second message');
    await seeMessage(page, 'second, while away');
    await page.getByTestId('outbox').waitFor({ state: 'detached' });

    // Nothing else was waiting: the next message comes right after them, and each came once.
    await send(page, 'and now online');
    await tess.waitForMessage((m) => text(m.body) === 'and now online', 'the message sent online');
    const expected = ['first, while away', 'second, while away', 'and now online'];
    expect(bodiesFrom(tess, '@olive')).toEqual(expected);
    await seeMessage(page, 'and now online');
    expect(await shownFrom(page, '@olive')).toEqual(expected);
    // Shown as sent: with the server's ids, in order.
    const ids = await page.locator('[data-testid="message"][data-from="@olive" i]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id'))));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(3);
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await page.context().close();
    await tess.quit();
  });

  it('does not send again a message whose reply was lost, and does send again one that never arrived', async () => {
    const { page, problems } = await cuttableApp(browser, server!.httpUrl, 'pablo');
    const una = await TcpUser.as(server!.tcpPort, '@una', '#general');
    await person(page, '@una').and(page.locator('[data-online="true"]')).waitFor();

    // The server stores the message, but its OK never reaches the page before the link drops.
    await setDeaf(page, true);
    await send(page, 'stored, reply lost');
    await una.waitForMessage((m) => text(m.body) === 'stored, reply lost', 'the message');
    await cut(page);
    await connectionState(page, 'offline');
    expect(await pendingBodies(page)).toEqual(['stored, reply lost']);
    await restore(page);
    await connectionState(page, 'online', 20_000);
    // Found in the history after the reconnect: shown as sent, not sent again.
    await seeMessage(page, 'stored, reply lost');
    await page.getByTestId('outbox').waitFor({ state: 'detached' });

    // This one never reaches the server: after the reconnect it goes again.
    await setMute(page, true);
    await send(page, 'lost on the way');
    await pending(page).and(page.locator('[data-state="sending"]')).waitFor();
    await cut(page);
    await connectionState(page, 'offline');
    await restore(page);
    await connectionState(page, 'online', 20_000);
    await una.waitForMessage((m) => text(m.body) === 'lost on the way', 'the message sent again');

    await send(page, 'last');
    await una.waitForMessage((m) => text(m.body) === 'last', 'the last message');
    const expected = ['stored, reply lost', 'lost on the way', 'last'];
    expect(bodiesFrom(una, '@pablo')).toEqual(expected);
    await seeMessage(page, 'last');
    expect(await shownFrom(page, '@pablo')).toEqual(expected);
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await page.context().close();
    await una.quit();
  });

  it('reconnects within about a second of a graceful restart; a refused message says why, and can be retried or discarded', async () => {
    const { page, problems } = await cuttableApp(browser, server!.httpUrl, 'quinn');
    const ravi = await TcpUser.as(server!.tcpPort, '@ravi', '#general');
    await person(page, '@ravi').click();
    await page.getByTestId('conversation-title').filter({ hasText: '@ravi' }).waitFor();

    // The server stops (BYE SHUTDOWN); it keeps nothing, so after it is back @ravi is unknown.
    const httpPort = server!.httpPort;
    await server!.close();
    server = undefined;
    await connectionState(page, 'offline');
    const before = await socketsMade(page);
    await send(page, 'are you there?');
    await send(page, 'never mind');
    await until(async () => (await pending(page).count()) === 2, 'two messages waiting');

    // While it restarts the page tries about every second (200 to 1,000 ms): six tries in
    // ten seconds. The usual backoff (1/4 s, 1/2 s, 1 s, 2 s, 4 s, 8 s, at the quickest)
    // would take over fifteen.
    await until(async () => (await socketsMade(page)) - before >= 6, 'six reconnect attempts', 10_000);
    server = await startServer({ httpPort });
    await connectionState(page, 'online', 5_000);

    // Both are refused: the server has never heard of @ravi.
    const failed = pending(page).and(page.locator('[data-state="failed"]'));
    await until(async () => (await failed.count()) === 2, 'both messages refused');
    expect(await pendingBodies(page)).toEqual(['are you there?', 'never mind']);
    for (const row of await failed.all()) {
      expect(await row.getByRole('alert').innerText()).toContain('Not sent: @ravi has never registered');
    }
    await screenshot(page, 'outbox-failed');

    // @ravi is back: Retry sends the first; Discard drops the second.
    const ravi2 = await TcpUser.as(server.tcpPort, '@ravi');
    await failed.first().getByRole('button', { name: 'Retry' }).click();
    await ravi2.waitForMessage((m) => text(m.body) === 'are you there?', 'the retried message');
    await seeMessage(page, 'are you there?');
    await failed.getByRole('button', { name: 'Discard' }).click();
    await page.getByTestId('outbox').waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('composer-input');

    await send(page, 'back again');
    await ravi2.waitForMessage((m) => text(m.body) === 'back again', 'the next message');
    expect(bodiesFrom(ravi2, '@quinn')).toEqual(['are you there?', 'back again']);
    // The page shows it as sent once its OK is back, which may come after ravi has it.
    await seeMessage(page, 'back again');
    expect(await messageBodies(page).allInnerTexts()).toEqual(['are you there?', 'back again']);
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await page.context().close();
    await Promise.all([ravi.quit(), ravi2.quit()]);
  });
});
