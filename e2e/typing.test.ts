import { describe, expect, it } from 'vitest';
import type { Browser, WebSocket } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { composer, openApp, screenshot, seeMessage, signIn, TcpUser, until, useServerAndBrowser } from './browser.ts';
import { frameFor, watchLog } from './living.ts';

// Issue 17 §5 and §6, typing: two browsers (alice, bob) and telnet users (carol, dan).
describe('typing', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('"is typing…" for one, two and several, until their message comes or 6 s pass; at most one TYPING per 3 s', async () => {
    const carol = await TcpUser.as(server.tcpPort, '@carol', '#general');
    const dan = await TcpUser.as(server.tcpPort, '@dan', '#general');
    const carolLog = watchLog(carol);
    const danLog = watchLog(dan);
    // A telnet user gets typing events only if asked.
    await carol.client.typingEvents(true);
    const a = await openApp(browser, server.httpUrl);
    const b = await openApp(browser, server.httpUrl);
    // What alice's page sends: its TYPING commands (watched from a reload on: the page
    // opened its socket as it loaded).
    const typingSent: number[] = [];
    a.page.on('websocket', (ws: WebSocket) =>
      ws.on('framesent', (f) => {
        if (String(f.payload).startsWith('TYPING #general')) typingSent.push(Date.now());
      }),
    );
    await a.page.reload();
    await signIn(a.page, 'alice');
    await signIn(b.page, 'bob');
    const line = b.page.getByTestId('typing');

    // alice types, key by key: bob sees it, carol (who asked) is sent it, dan (who did not) is not.
    const started = Date.now();
    await composer(a.page).pressSequentially('are we still on for', { delay: 20 });
    const typedFor = Date.now() - started;
    await line.filter({ hasText: /^@alice is typing…$/ }).waitFor();
    await frameFor(carolLog, 'TYPING', (f) => f.from === '@alice' && f.target === '#general', "alice's typing");
    // One TYPING per 3 s at most, however many keys.
    expect(typingSent.length).toBeGreaterThanOrEqual(1);
    expect(typingSent.length).toBeLessThanOrEqual(Math.floor(typedFor / 3000) + 1);

    // carol types at her terminal too: two names; then dan: several.
    await carol.client.typing('#general');
    await line.filter({ hasText: /^@alice and @carol are typing…$/ }).waitFor();
    await dan.client.typing('#general');
    await line.filter({ hasText: /^Several people are typing…$/ }).waitFor();
    await screenshot(b.page, '17-typing');

    // alice's message arrives: she is no longer typing; the others still are.
    await composer(a.page).press('Enter');
    await seeMessage(b.page, 'are we still on for');
    await line.filter({ hasText: /^@carol and @dan are typing…$/ }).waitFor();
    // carol and dan send nothing: after 6 s the line goes.
    await until(async () => (await line.textContent()) === '', 'the typing line to go', 15_000);
    expect(dan.messages.map((m) => m.from)).toEqual(['@alice']);
    expect(danLog.filter((f) => f.type === 'TYPING')).toEqual([]);

    for (const p of [a, b]) expect(p.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await carol.quit();
    await dan.quit();
  });
});
