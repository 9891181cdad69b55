/**
 * (7) A browser whose node is killed: 3 nodes; the web app, in Chromium, reaches n1 and n2
 * through a TCP balancer (e2e/balancer.ts: each new connection to the first node that
 * accepts it); `@tom` on n3 writes to #general. The page signs in as the guest `alice` and
 * opens #general. Each round kills (SIGKILL) the node the page is on; at once tom writes
 * `away <round>`, which the page can only show once it is signed in again elsewhere and
 * caught up. From the kill: when the page shows it is offline, online again, and showing
 * that message. The killed node is started again (same id, new ports) before the next round,
 * so the page goes back and forth between n1 and n2.
 *
 * The page is this checkout's web app (`dist/web`, from `npm run build`), copied aside so a
 * rebuild during the run changes nothing; the server is SLCK_ROOT's, as for every scenario.
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startBalancer, type Balancer } from '../../e2e/balancer.ts';
import { TestClient, msg } from '../../gateway/test/support/client.ts';
import { fix, sleep, type Context, type Row } from './common.ts';
import { startNode, startNodes, stopNodes, type SlckNode } from './nodes.ts';
import { freshDatabase, startRedis } from './services.ts';

export const BROWSER_ROUNDS = 5;
const CHROMIUM = '/usr/bin/chromium';
const WEB = resolve(import.meta.dirname, '../../dist/web');
/** However slow the machine, a step that takes this long has failed. */
const STEP_MS = 30_000;

export type BrowserRound = {
  from: string;
  to: string;
  /** ms from the kill: the page shows it is not online; online again; shows the message sent after the kill. */
  noticed: number;
  online: number;
  caughtUp: number;
};

export type BrowserResult = { rounds: BrowserRound[]; shownOnce: boolean; problems: string[]; serverErrors: string };

const status = (page: Page, selector: string) =>
  page.locator(`[data-testid="connection-status"]${selector}`).waitFor({ state: 'attached', timeout: STEP_MS });

export async function runBrowser(ctx: Context): Promise<BrowserResult> {
  if (!existsSync(CHROMIUM)) throw new Error(`(7) needs Chromium at ${CHROMIUM} (apt-get install chromium)`);
  if (!existsSync(join(WEB, 'index.html'))) throw new Error(`(7) needs the built web app in ${WEB}: run npm run build first`);
  const webRoot = mkdtempSync(join(tmpdir(), 'slck-bench-web-'));
  cpSync(WEB, webRoot, { recursive: true });
  const redis = await startRedis();
  const db = await freshDatabase(ctx.pg, ctx.dbName('browser'));
  const store = { databaseUrl: db, redisUrl: redis.url };
  const extraArgs = ['--web-root', webRoot];
  const nodes = await startNodes(3, store, ctx.cpuProfDir, extraArgs);
  /** The two nodes behind the balancer, in its order of preference; a restarted one takes its place. */
  const behind: SlckNode[] = [nodes[0], nodes[1]];
  const all = new Set<SlckNode>(nodes);
  let balancer: Balancer | null = null;
  let browser: Browser | null = null;
  let tom: TestClient | null = null;
  try {
    balancer = await startBalancer(() => behind.map((n) => n.httpPort));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'] });
    const page = await (await browser.newContext({ viewport: { width: 1100, height: 700 } })).newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(balancer.url);
    await page.getByLabel('Handle').fill('alice');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await status(page, '[data-state="online"]');
    tom = await TestClient.user(nodes[2].tcpPort, '@tom', '#general');
    await page.locator('[data-testid="channel-item"][data-name="#general" i]').click();
    await page.getByTestId('conversation-title').filter({ hasText: '#general' }).waitFor({ timeout: STEP_MS });
    ctx.log(`(7) a browser through a balancer to n1/n2, @tom on n3; killing the page's node ${BROWSER_ROUNDS} times`);

    const rounds: BrowserRound[] = [];
    for (let round = 1; round <= BROWSER_ROUNDS; round++) {
      await sleep(2_000);
      const port = balancer.routes.at(-1)!.target;
      const i = behind.findIndex((n) => n.httpPort === port);
      if (i < 0) throw new Error(`(7) the page's socket went to port ${port}, not a node behind the balancer`);
      const victim = behind[i];
      const noticed = status(page, ':not([data-state="online"])');
      await victim.kill9();
      const killedAt = Date.now();
      const text = `away ${round}`;
      await tom.ok(msg('#general', text));
      await noticed;
      const noticedAt = Date.now();
      await status(page, '[data-state="online"]');
      const onlineAt = Date.now();
      await page.getByTestId('message-body').filter({ hasText: text }).first().waitFor({ timeout: STEP_MS });
      const caughtUpAt = Date.now();
      const to = behind[1 - i];
      rounds.push({ from: victim.id, to: to.id, noticed: noticedAt - killedAt, online: onlineAt - killedAt, caughtUp: caughtUpAt - killedAt });
      ctx.log(`(7) round ${round}: ${victim.id} killed; the page showed it ${noticedAt - killedAt} ms later, was online on ${to.id} after ${onlineAt - killedAt} ms and showed "${text}" after ${caughtUpAt - killedAt} ms`);
      const again = await startNode({ id: victim.id, store, cpuProfDir: ctx.cpuProfDir, extraArgs });
      all.add(again);
      behind[i] = again;
    }
    const shown = await page.getByTestId('message-body').allInnerTexts();
    const shownOnce = rounds.every((_, k) => shown.filter((s) => s.trim() === `away ${k + 1}`).length === 1);
    return { rounds, shownOnce, problems, serverErrors: [...all].map((n) => n.stderr()).join('').slice(0, 2000) };
  } finally {
    tom?.destroy();
    await browser?.close();
    await balancer?.close();
    await stopNodes([...all]);
    await redis.stop();
    rmSync(webRoot, { recursive: true, force: true });
  }
}

export function browserRows(r: BrowserResult): Row[] {
  const sorted = (f: (x: BrowserRound) => number) => r.rounds.map(f).sort((a, b) => a - b);
  const caught = sorted((x) => x.caughtUp);
  const max = caught.at(-1) ?? NaN;
  return [{
    name: `(7) browser failover: kill -9 of the page's node, ${r.rounds.length} rounds`,
    figure: `caught up in ${r.rounds.map((x) => fix(x.caughtUp / 1000, 1)).join(' / ')} s`,
    p50: fix(caught[caught.length >> 1] ?? NaN),
    p99: '-',
    max: fix(max),
    lostDup: r.shownOnce ? '0/0' : 'MISSING OR TWICE',
    target: '≤ 5,000 ms from the kill',
    verdict: r.shownOnce && max <= 5_000 && r.problems.length === 0 ? 'met' : 'MISSED',
    notes: `from the kill: the page showed it was offline after ${r.rounds.map((x) => x.noticed).join(' / ')} ms, ` +
      `online again after ${r.rounds.map((x) => x.online).join(' / ')} ms; caught up = showing the message sent right after the kill` +
      (r.problems.length ? `; page errors: ${r.problems.slice(0, 3).join(' | ')}` : ''),
  }];
}
