import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type TestServer } from '../gateway/test/support/server.ts';
import { launchBrowser, messageBodies, openApp, seeMessage, signIn, TcpUser, until } from './browser.ts';

// A HISTORY reply stops at a byte budget (spec: HISTORY), so a page of long messages holds
// fewer than the app asked for while older ones exist. Scrolling back must not take a short
// page for the beginning of the conversation.
describe('scrollback through pages cut short by the byte budget', () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    // --max-outbound 256 KiB makes the reply budget 64 KiB: about ten of these messages a
    // page, where the app asks for fifty. The message rate is off: the set-up posts at once.
    server = await startServer({ maxOutbound: 256 * 1024, msgRate: 0 });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('pages back to the first message', async () => {
    const sam = await TcpUser.as(server.tcpPort, '@sam', '#general');
    const long = (i: number) => `long ${i} ${'lorem ipsum '.repeat(500)}`;
    await Promise.all(Array.from({ length: 30 }, (_, i) => sam.client.msg('#general', long(i + 1))));
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'tess');
    await seeMessage(page, 'long 30 ');
    const list = page.getByTestId('message-list');
    await until(async () => {
      await list.evaluate((el) => el.scrollTo(0, 0));
      return (await messageBodies(page).count()) === 30;
    }, 'all 30 messages to be loaded', 20_000);
    await page.getByText('This is the very beginning of #general.').waitFor();
    const bodies = await messageBodies(page).allInnerTexts();
    expect(bodies.map((b) => b.split(' ').slice(0, 2).join(' '))).toEqual(Array.from({ length: 30 }, (_, i) => `long ${i + 1}`));
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await sam.quit();
  });
});
