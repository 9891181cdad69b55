import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startCluster, type Cluster } from '../gateway/test/cluster/test-cluster.ts';
import { startPostgres, startRedis, type TestPostgres, type TestRedis } from '../gateway/test/support/services.ts';
import { composer, launchBrowser, openApp, screenshot, seeMessage, send, signIn, TcpUser, text, until } from './browser.ts';
import { act, frameFor, idOf, pickEmoji, pill, rowById, rowWith, watchLog } from './living.ts';

// Issue 17 §7 in the browser: a thread, a reaction, an edit, a delete and typing, with alice
// on node 1, bob on node 2 (browsers) and carol at a terminal on node 2.
describe('threads, reactions, edits, deletes and typing across two nodes', () => {
  let pg: TestPostgres | undefined;
  let redis: TestRedis | undefined;
  let cluster: Cluster | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    cluster = await startCluster({ nodes: 2, databaseUrl: pg.url, redisUrl: redis.url, extraArgs: ['--msg-rate', '0', '--log-level', 'warn'] });
    browser = await launchBrowser();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
    await redis?.stop();
    await pg?.stop();
  });

  it('each reaches the users on the other node, live', async () => {
    const [n1, n2] = cluster!.nodes;
    const carol = await TcpUser.as(n2.tcpPort, '@carol', '#general');
    const carolLog = watchLog(carol);
    await carol.client.typingEvents(true);
    const a = await openApp(browser!, `http://127.0.0.1:${n1.httpPort}`);
    const b = await openApp(browser!, `http://127.0.0.1:${n2.httpPort}`);
    await signIn(a.page, 'alice');
    await signIn(b.page, 'bob');

    // Typing on node 2 shows on node 1 (first: bob has sent no TYPING yet, so none is held back).
    await composer(b.page).pressSequentially('hello from node 2');
    await frameFor(carolLog, 'TYPING', (f) => f.from === '@bob', "bob's typing, on his node");
    await a.page.getByTestId('typing').filter({ hasText: '@bob is typing…' }).waitFor();
    await composer(b.page).press('Enter');
    await seeMessage(a.page, 'hello from node 2');
    // His message is in: he is no longer shown typing.
    await until(async () => (await a.page.getByTestId('typing').textContent()) === '', 'the typing line to go');

    // A message from node 1, a thread reply from node 2's terminal, one from node 2's browser.
    await send(a.page, 'Release at five?');
    const root = await idOf(a.page, 'Release at five?');
    await seeMessage(b.page, 'Release at five?');
    await carol.client.reply('#general', root, 'fine by me');
    await rowById(a.page, root).getByTestId('thread-summary').filter({ hasText: '1 reply' }).waitFor();
    await act(rowById(b.page, root), 'reply');
    await b.page.getByTestId('thread-composer').fill('me too');
    await b.page.getByTestId('thread-composer').press('Enter');
    await rowById(a.page, root).getByTestId('thread-summary').filter({ hasText: '2 replies' }).waitFor();
    const fromBob = await frameFor(carolLog, 'REPLY', (f) => f.from === '@bob', "bob's reply");
    expect([fromBob.root, text(fromBob.body)]).toEqual([root, 'me too']);
    // alice follows it (her root): its replies count for her.
    await a.page.getByTestId('threads-badge').filter({ hasText: '2' }).waitFor();

    // A reaction from node 1 reaches node 2, browser and terminal.
    await act(rowById(a.page, root), 'react');
    await pickEmoji(a.page, 'tada');
    await pill(rowById(a.page, root), '🎉').filter({ hasText: '1' }).waitFor();
    await pill(rowById(b.page, root), '🎉').filter({ hasText: '1' }).waitFor();
    await frameFor(carolLog, 'REACT', (f) => f.from === '@alice' && f.reaction === '🎉', "alice's reaction");
    // …and one from node 2's terminal reaches node 1.
    await carol.client.react('#general', root, ':+1:');
    await pill(rowById(a.page, root), '👍').filter({ hasText: '1' }).waitFor();

    // An edit from node 2, a delete from node 1.
    await send(b.page, 'one more thing');
    await seeMessage(a.page, 'one more thing');
    const bobs = await idOf(b.page, 'one more thing');
    await composer(b.page).press('ArrowUp');
    await rowById(b.page, bobs).getByTestId('edit-input').fill('one more thing: docs');
    await rowById(b.page, bobs).getByTestId('edit-input').press('Enter');
    await rowById(a.page, bobs).getByTestId('message-body').filter({ hasText: /^one more thing: docs$/ }).waitFor();
    await rowById(a.page, bobs).getByTestId('message-edited').waitFor();
    await frameFor(carolLog, 'EDIT', (f) => f.of === bobs, "bob's edit");

    await send(a.page, 'oops, wrong place');
    const oops = await idOf(a.page, 'oops, wrong place');
    await seeMessage(b.page, 'oops, wrong place');
    await act(rowWith(a.page, 'oops, wrong place'), 'delete');
    await a.page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await rowById(b.page, oops).getByTestId('message-deleted').waitFor();
    await frameFor(carolLog, 'DELETE', (f) => f.of === oops, "alice's delete");
    await screenshot(b.page, '17-two-nodes');

    for (const p of [a, b]) expect(p.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await carol.quit();
  });
});
