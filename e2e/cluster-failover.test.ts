import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startCluster, type Cluster } from '../gateway/test/cluster/test-cluster.ts';
import { startPostgres, startRedis, type TestPostgres, type TestRedis } from '../gateway/test/support/services.ts';
import { startBalancer, type Balancer } from './balancer.ts';
import {
  channelItem, connectionState, dmItem, launchBrowser, messageBodies, openApp, screenshot, seeMessage, send, signIn,
  TcpUser, text, until,
} from './browser.ts';

/**
 * A killed node's handle holds stand until its heartbeat key expires in Redis (10 s), so the
 * page's REG on the surviving node is refused as taken until then; the app asks again every
 * couple of seconds. The bound leaves room for a loaded machine.
 */
const RESUME_BOUND_MS = 40_000;

/** The bodies of the messages on screen, in order (system lines are not message bodies). */
const bodies = (page: Page): Promise<string[]> => messageBodies(page).allInnerTexts();

/** Until exactly `expected` is on screen, in order and each once; then once more, to be sure. */
async function expectTranscript(page: Page, expected: string[], what: string): Promise<void> {
  const last = expected.at(-1)!;
  await seeMessage(page, last, 15_000);
  const shown = await bodies(page);
  expect(shown, what).toEqual(expected);
  for (const m of expected) expect(shown.filter((s) => s === m), `${what}: "${m}" once`).toHaveLength(1);
}

/**
 * What the page shows while it gets back: each change of the connection status line, the
 * banner above the conversation, and whether it fell back to the sign-in screen or said
 * something there, with the time since `since`.
 */
function watch(page: Page, since: number) {
  const seen: string[] = [];
  let stopped = false;
  let previous = '';
  const done = (async () => {
    while (!stopped) {
      try {
        const snapshot = await page.evaluate(() => {
          const q = (id: string) => document.querySelector(`[data-testid="${id}"]`);
          const status = q('connection-status');
          return [
            `status=${status?.getAttribute('data-state') ?? '-'}:${status?.textContent?.trim().replace(/\s+/g, ' ') ?? ''}`,
            `banner=${q('offline-banner')?.textContent?.trim().replace(/\s+/g, ' ') ?? ''}`,
            q('signin-error') ? `signin-error=${q('signin-error')!.textContent}` : '',
            document.getElementById('handle') ? 'SIGN-IN SCREEN' : '',
          ].filter(Boolean).join(' | ');
        });
        // The countdown ("Retrying in 3 s") changes every second: count it once per wait.
        const key = snapshot.replace(/\d+ s\b/g, 'N s');
        if (key !== previous) {
          previous = key;
          seen.push(`+${((Date.now() - since) / 1000).toFixed(1)} s  ${snapshot}`);
        }
      } catch {
        // The page is between renders: look again.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    seen,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

// A browser on node 1 (through the balancer) and a telnet user on node 2 chat; node 1 is
// killed; the page comes back on node 2 by itself with every message, each once, in order.
describe('a browser resumes on another node after its node is killed', () => {
  let pg: TestPostgres | undefined;
  let redis: TestRedis | undefined;
  let cluster: Cluster | undefined;
  let balancer: Balancer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    cluster = await startCluster({
      nodes: 2, databaseUrl: pg.url, redisUrl: redis.url, extraArgs: ['--msg-rate', '0', '--log-level', 'warn'],
    });
    const nodes = cluster.nodes;
    balancer = await startBalancer(() => nodes.map((n) => n.httpPort));
    browser = await launchBrowser();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await balancer?.close();
    await cluster?.stop();
    await redis?.stop();
    await pg?.stop();
  });

  it('keeps every message, without duplicates, across the failover', async () => {
    const [n1, n2] = cluster!.nodes;
    const lb = balancer!;
    const tom = await TcpUser.as(n2.tcpPort, '@tom', '#general');

    const { page, problems } = await openApp(browser!, lb.url);
    await signIn(page, 'alice');
    await channelItem(page, '#general').waitFor();
    // Page and socket alike went to node 1, the balancer's first choice.
    expect(new Set(lb.routes.map((r) => r.target))).toEqual(new Set([n1.httpPort]));

    // ---- #general, both ways, across the two nodes.
    const general: string[] = [];
    const dm: string[] = [];
    await send(page, 'alice on node 1: hello');
    general.push('alice on node 1: hello');
    // If it never comes, say what the page shows (a message waiting or refused) and what tom got.
    const got = await tom.waitForMessage((m) => m.from === '@alice' && m.target === '#general', "alice's first message").catch(async (e: Error) => {
      const shown = await page.locator('main').innerText().catch(() => '(unreadable)');
      const heard = tom.messages.map((m) => `${m.target} ${m.from} ${text(m.body)}`).join(' | ');
      throw new Error(`${e.message}\nthe page shows:\n${shown}\ntom got: ${heard || 'nothing'}`);
    });
    expect(text(got.body)).toBe('alice on node 1: hello');
    for (const m of ['tom on node 2: hi alice', 'tom on node 2: how is node 1?']) {
      await tom.client.msg('#general', m);
      general.push(m);
    }
    await expectTranscript(page, general, '#general before the kill');

    // ---- A direct conversation, both ways.
    await tom.client.msg('@alice', 'tom, privately: ping');
    dm.push('tom, privately: ping');
    await dmItem(page, '@tom').getByTestId('unread').filter({ hasText: '1' }).waitFor();
    await dmItem(page, '@tom').click();
    await page.getByTestId('conversation-title').filter({ hasText: '@tom' }).waitFor();
    await seeMessage(page, 'tom, privately: ping');
    await send(page, 'alice, privately: pong');
    dm.push('alice, privately: pong');
    const pong = await tom.waitForMessage((m) => m.from === '@alice' && m.target === '@tom', "alice's direct message");
    expect(text(pong.body)).toBe('alice, privately: pong');
    await expectTranscript(page, dm, 'the direct conversation before the kill');

    await channelItem(page, '#general').click();
    await page.getByTestId('conversation-title').filter({ hasText: '#general' }).waitFor();
    await connectionState(page, 'online');
    const routesBefore = lb.routes.length;

    // ---- Node 1 dies. Tom keeps talking, in #general and to alice, while she is away.
    await n1.kill9();
    const killedAt = Date.now();
    const watcher = watch(page, killedAt);
    for (const m of ['tom: node 1 just died', 'tom: are you there?']) {
      await tom.client.msg('#general', m);
      general.push(m);
    }
    await tom.client.msg('@alice', 'tom, privately: you dropped');
    dm.push('tom, privately: you dropped');
    await page.locator('[data-testid="connection-status"]:not([data-state="online"])').waitFor({ state: 'attached' });
    const noticedAt = Date.now();

    // Every 2 s until the page is back (through its reconnect and its refused REGs), one more.
    let n = 0;
    const online = () => page.locator('[data-testid="connection-status"][data-state="online"]').count();
    while (!(await online())) {
      if (Date.now() - killedAt > RESUME_BOUND_MS) break;
      const m = `tom: while alice is away #${++n}`;
      await tom.client.msg('#general', m);
      general.push(m);
      await until(async () => (await online()) > 0 || null, 'a tick', 2_000).catch(() => {});
    }
    await connectionState(page, 'online', Math.max(1, RESUME_BOUND_MS - (Date.now() - killedAt)));
    const resumedAt = Date.now();
    await watcher.stop();
    console.log(
      `[failover] page noticed the drop after ${noticedAt - killedAt} ms; online again on node 2 after ${resumedAt - killedAt} ms;` +
        ` ${n} messages sent while it was away.\n[failover] what the page showed:\n  ${watcher.seen.join('\n  ')}`,
    );

    // The page never went back to the sign-in screen, and its new socket went to node 2.
    expect(watcher.seen.some((s) => s.includes('SIGN-IN SCREEN') || s.includes('signin-error'))).toBe(false);
    const after = lb.routes.slice(routesBefore);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((r) => r.target === n2.httpPort)).toBe(true);

    // ---- Every message once, in order, in both conversations.
    await tom.client.msg('#general', 'tom: welcome back');
    general.push('tom: welcome back');
    await expectTranscript(page, general, '#general after the failover');
    await dmItem(page, '@tom').click();
    await page.getByTestId('conversation-title').filter({ hasText: '@tom' }).waitFor();
    await expectTranscript(page, dm, 'the direct conversation after the failover');

    // ---- And the page can talk again, to tom on node 2.
    await channelItem(page, '#general').click();
    await page.getByTestId('conversation-title').filter({ hasText: '#general' }).waitFor();
    await send(page, 'alice, now on node 2: I missed nothing');
    general.push('alice, now on node 2: I missed nothing');
    const back = await tom.waitForMessage(
      (m) => m.from === '@alice' && text(m.body) === 'alice, now on node 2: I missed nothing', "alice's message after the failover",
    );
    expect(back.target).toBe('#general');
    await expectTranscript(page, general, '#general at the end');
    // Tom got each of alice's #general messages once too.
    const fromAlice = tom.messages.filter((m) => m.from === '@alice' && m.target === '#general').map((m) => text(m.body));
    expect(fromAlice).toEqual(['alice on node 1: hello', 'alice, now on node 2: I missed nothing']);

    await connectionState(page, 'online');
    expect(await page.getByTestId('offline-banner').count()).toBe(0);
    await screenshot(page, 'cluster-failover');
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await tom.quit();
  }, RESUME_BOUND_MS + 60_000);
});
