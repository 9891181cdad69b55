import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startServer, type TestServer } from '../gateway/test/support/server.ts';
import { startCluster, type Cluster } from '../gateway/test/cluster/test-cluster.ts';
import { startPostgres, startRedis, type TestPostgres, type TestRedis } from '../gateway/test/support/services.ts';
import {
  channelItem, composer, connectionState, launchBrowser, openApp, screenshot, seeMessage, signIn, TcpUser, text, until, useServerAndBrowser,
} from './browser.ts';
import { axeViolations, expectNoNewViolations } from './living.ts';

// Issue 19, "Done when", the Playwright items files.test.ts leaves: an HTML file and an SVG
// carrying a script are uploaded and opened and no script runs; a non-member and an expired
// URL get nothing; a restart keeps every file. Browsers side by side with a telnet user, who
// reads the files' URLs and fetches them with the token TOKEN gave, as curl would.

/** A PNG of one colour, as sharp writes it (no EXIF: the server keeps it byte for byte). */
const png = (width: number, height: number): Promise<Buffer> =>
  sharp({ create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 } } }).png().toBuffer();

/**
 * What a hostile file's script would do if it ever ran: mark every place a test can look
 * (the document's title, the origin's localStorage) and call a server the test watches.
 */
const payload = (watch: string, tag: string) =>
  `document.title='PWNED';try{localStorage.setItem('pwned','${tag}')}catch(e){}` +
  `fetch('${watch}/${tag}',{mode:'no-cors'}).catch(function(){});new Image().src='${watch}/${tag}-img';`;

/** Choose files with the paperclip, through the system's file chooser. */
async function attach(page: Page, files: { name: string; mimeType: string; buffer: Buffer }[]): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Attach files' }).click();
  await (await chooser).setFiles(files);
  await until(async () => (await page.locator('[data-testid="upload"][data-state="done"]').count()) === files.length, `${files.length} files uploaded`);
}

/** Attach files, type a line and send it: one message that shares them all. */
async function share(page: Page, line: string, files: { name: string; mimeType: string; buffer: Buffer }[]): Promise<void> {
  await attach(page, files);
  await composer(page).fill(line);
  await composer(page).press('Enter');
  await page.getByTestId('upload').first().waitFor({ state: 'detached' });
  await page.locator('[data-testid="message"][data-from]').filter({ hasText: line }).waitFor();
}

/** A telnet user with a password (so TOKEN gives a session token), in these channels. */
async function terminalUser(port: number, handle: string, ...channels: string[]): Promise<{ user: TcpUser; token: string }> {
  const user = await TcpUser.connect(port);
  await user.client.reg(handle, `${handle.slice(1)}-terminal-pass`);
  for (const ch of channels) await user.client.join(ch);
  return { user, token: (await user.client.token()).token };
}

/** The files' URLs in the message the telnet user was sent with `line` in it, by name. */
async function urlsIn(user: TcpUser, line: string): Promise<Record<string, string>> {
  const m = await user.waitForMessage((d) => text(d.body).includes(line), `the message "${line}"`);
  return Object.fromEntries(text(m.body).split('\n').filter((l) => l.includes('/files/')).map((l) => [decodeURIComponent(l.split('#')[0].split('/').pop()!), l]));
}

/** GET as curl would, with the terminal user's token. */
const curl = (url: string, token?: string) => fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

/** Open `url` in a new tab of `context`, as a person pasting it in the address bar: the answer's status. */
async function openInTab(context: BrowserContext, url: string): Promise<{ tab: Page; status: number | undefined }> {
  const tab = await context.newPage();
  const res = await tab.goto(url);
  return { tab, status: res?.status() };
}

/** Open `url` in a new tab when it is a download: the download (nothing is rendered). */
async function downloadInTab(context: BrowserContext, url: string): Promise<{ tab: Page; bytes: Buffer; name: string }> {
  const tab = await context.newPage();
  const download = tab.waitForEvent('download');
  // Chromium aborts the navigation once it sees `attachment`; Playwright reports that as an error.
  await tab.goto(url).then(
    (res) => expect.fail(`${url} was rendered (status ${res?.status()}), not downloaded`),
    (e: Error) => expect(e.message).toMatch(/Download is starting|net::ERR_ABORTED/),
  );
  const got = await download;
  return { tab, bytes: readFileSync((await got.path())!), name: got.suggestedFilename() };
}

const clean = { errors: [], cspViolations: [], dialogs: [] };

describe('files are never a way to run script, and reach only those who may read them', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]), { msgRate: 0 });

  // A server the hostile files' scripts would call: every request it gets is recorded.
  let watcher: Server;
  let watch = '';
  const hits: string[] = [];
  beforeAll(async () => {
    watcher = createServer((req, res) => {
      hits.push(req.url!);
      // The control page: the same payload, served as a page, to show the watching works.
      if (req.url === '/control.html') {
        res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>control</title><script>${payload(watch, 'control')}</script>`);
      } else res.writeHead(204).end();
    });
    await new Promise<void>((r) => watcher.listen(0, '127.0.0.1', r));
    watch = `http://127.0.0.1:${(watcher.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => watcher.close(() => r())));

  it('an HTML file and an SVG carrying script are downloads, never rendered; an image opened on its own shows and runs nothing', async () => {
    const { user: tess, token } = await terminalUser(server.tcpPort, '@tess', '#general');
    const ann = await openApp(browser, server.httpUrl);
    const seen: string[] = [];
    ann.context.on('request', (r) => seen.push(r.url()));
    await signIn(ann.page, 'ann', 'ann-safety-pass');
    await ann.page.getByTestId('conversation-title').filter({ hasText: '#general' }).waitFor();
    const axeBefore = await axeViolations(ann.page);

    const html = Buffer.from(`<!doctype html><html><body onload="${payload(watch, 'html-onload').replace(/'/g, '&#39;')}"><h1>invoice</h1><script>${payload(watch, 'html')}</script></body></html>\n`);
    const svg = Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" onload="${payload(watch, 'svg-onload').replace(/'/g, '&#39;')}">` +
        `<script>${payload(watch, 'svg')}</script><circle cx="50" cy="50" r="40" fill="red"/></svg>\n`,
    );
    // A real PNG with a page after its last chunk: read as an image, it is only an image.
    const image = await png(64, 48);
    const polyglot = Buffer.concat([image, Buffer.from(`<html><script>${payload(watch, 'png')}</script></html>`)]);
    await share(ann.page, 'the invoice, the logo, the chart', [
      { name: 'invoice.html', mimeType: 'text/html', buffer: html },
      { name: 'logo.svg', mimeType: 'image/svg+xml', buffer: svg },
      { name: 'chart.png', mimeType: 'image/png', buffer: polyglot },
    ]);

    // At the terminal: three URLs. Fetched as curl would, the HTML and the SVG are
    // attachments in a sandbox, never to be sniffed; the image is inline, its bytes as sent.
    const urls = await urlsIn(tess, 'the invoice, the logo, the chart');
    expect(Object.keys(urls)).toEqual(['invoice.html', 'logo.svg', 'chart.png']);
    for (const [name, bytes] of [['invoice.html', html], ['logo.svg', svg]] as const) {
      const res = await curl(urls[name], token);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${name}"; filename*=UTF-8''${name}`);
      expect(res.headers.get('content-security-policy')).toBe('sandbox');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-type')).not.toMatch(/html|svg|xml/);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);
    }
    const pngRes = await curl(urls['chart.png'], token);
    expect([pngRes.headers.get('content-type'), pngRes.headers.get('content-disposition'), pngRes.headers.get('content-security-policy')])
      .toEqual(['image/png', `inline; filename="chart.png"; filename*=UTF-8''chart.png`, 'sandbox']);
    expect(Buffer.from(await pngRes.arrayBuffer())).toEqual(polyglot);

    // In the app: the HTML and the SVG are cards, the image a thumbnail.
    const message = ann.page.locator('[data-testid="message"]').filter({ hasText: 'the invoice, the logo, the chart' });
    const cards = message.getByTestId('file-card');
    await until(async () => (await cards.count()) === 2, 'two cards');
    expect(await cards.locator('.name').allInnerTexts()).toEqual(['invoice.html', 'logo.svg']);
    const thumb = message.getByTestId('file-thumb').locator('img');
    await until(() => thumb.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth === 64), 'the thumbnail');
    await screenshot(ann.page, '19-files-safety-cards');
    await expectNoNewViolations(ann.page, axeBefore, 'cards of an HTML file and an SVG');

    // Ann opens each as a person would: the card's Download, then the URL in a tab of its
    // own. Each time it is a download of the same bytes; nothing is rendered.
    for (const [name, bytes] of [['invoice.html', html], ['logo.svg', svg]] as const) {
      const download = ann.page.waitForEvent('download');
      await cards.filter({ hasText: name }).getByRole('link', { name: `Download ${name}` }).click();
      const got = await download;
      expect([got.suggestedFilename(), readFileSync((await got.path())!)]).toEqual([name, bytes]);
      const inTab = await downloadInTab(ann.context, urls[name]);
      expect([inTab.name, inTab.bytes]).toEqual([name, bytes]);
    }

    // The image opened on its own: Chromium's image document shows it, and nothing runs
    // (its trailing page is bytes of a PNG, and the document is sandboxed besides).
    const { tab: imageTab, status } = await openInTab(ann.context, urls['chart.png']);
    expect(status).toBe(200);
    await until(() => imageTab.evaluate(() => document.images.length === 1 && document.images[0].naturalWidth === 64), 'the image shown');
    expect(await imageTab.evaluate(() => document.contentType)).toBe('image/png');
    await screenshot(imageTab, '19-files-safety-image-tab');

    // The control: the same payload served as a page does run, and is seen. By the time its
    // call arrives, the files opened before it have long had their chance.
    const control = await browser.newContext();
    await (await control.newPage()).goto(`${watch}/control.html`);
    await until(() => hits.includes('/control'), 'the control page to call the watcher');
    await control.close();

    // No script of the files ran: no call to the watcher but the control's, no page of
    // Ann's browser renamed, nothing written to the app's storage.
    expect(hits.filter((h) => !h.startsWith('/control') && h !== '/favicon.ico')).toEqual([]);
    expect(seen.filter((u) => u.startsWith(watch))).toEqual([]);
    for (const p of ann.context.pages()) expect(await p.title()).not.toBe('PWNED');
    expect(await ann.page.evaluate(() => localStorage.getItem('pwned'))).toBeNull();
    expect(ann.problems).toEqual(clean);
    await tess.quit();
  });

  it('a non-member, a signed-out browser and a URL kept after sign-out get 404', async () => {
    const { user: tess, token: tessToken } = await terminalUser(server.tcpPort, '@tessa');
    const dana = await openApp(browser, server.httpUrl);
    await signIn(dana.page, 'dana', 'dana-safety-pass');
    const axeBefore = await axeViolations(dana.page);

    // Dana opens #ops and shares a plan there (Tessa, at a terminal, is in it too), and a
    // menu in #general.
    await dana.page.getByRole('button', { name: 'Browse channels' }).click();
    await dana.page.getByLabel('Create or join a channel').fill('ops');
    await dana.page.getByRole('button', { name: 'Create' }).click();
    await dana.page.getByTestId('conversation-title').filter({ hasText: '#ops' }).waitFor();
    await tess.client.join('#ops');
    await share(dana.page, 'ops only: the plan', [{ name: 'plan.png', mimeType: 'image/png', buffer: await png(900, 600) }]);
    const ops = (await urlsIn(tess, 'ops only: the plan'))['plan.png'];
    const opsId = ops.split('/')[4];
    await channelItem(dana.page, '#general').click();
    await share(dana.page, 'lunch for everyone', [{ name: 'menu.txt', mimeType: 'text/plain', buffer: Buffer.from('soup\nbread\n') }]);
    const menu = (await urlsIn(tess, 'lunch for everyone'))['menu.txt'];
    await expectNoNewViolations(dana.page, axeBefore, 'files shared in two channels');
    // A member may: Tessa, with her token, as curl.
    expect((await curl(ops, tessToken)).status).toBe(200);

    // Bob is signed in (a password, so a files cookie) and in #general, not #ops.
    const bob = await openApp(browser, server.httpUrl);
    await signIn(bob.page, 'bob', 'bob-safety-pass');
    await seeMessage(bob.page, 'lunch for everyone');
    // His cookie works: the description of the menu, shared in #general, opens in a tab.
    expect((await openInTab(bob.context, menu.replace('menu.txt', 'meta'))).status).toBe(200);
    // #ops's plan does not, nor its description, nor its thumbnail: the same 404 as a file
    // that does not exist, so the answer tells nothing.
    const nowhere = await bob.context.request.get(`${server.httpUrl}/files/${'A'.repeat(22)}/plan.png`);
    expect(nowhere.status()).toBe(404);
    for (const url of [ops, `${server.httpUrl}/files/${opsId}/meta`, `${server.httpUrl}/files/${opsId}/thumb`]) {
      const { tab, status } = await openInTab(bob.context, url);
      expect(status, url).toBe(404);
      expect(await tab.locator('body').innerText()).toBe(await nowhere.text());
      await tab.close();
    }
    await screenshot(bob.page, '19-files-safety-non-member');

    // A browser with nobody signed in (no cookie): 404, for both files.
    const stranger = await browser.newContext();
    for (const url of [ops, menu]) expect((await (await stranger.newPage()).goto(url))?.status(), url).toBe(404);
    await stranger.close();

    // Once Bob joins #ops, the same URL opens for him: the 404 was for not being a member.
    await bob.page.getByRole('button', { name: 'Browse channels' }).click();
    await bob.page.getByLabel('Create or join a channel').fill('ops');
    await bob.page.getByRole('button', { name: 'Create' }).click();
    await bob.page.getByTestId('conversation-title').filter({ hasText: '#ops' }).waitFor();
    expect((await openInTab(bob.context, ops)).status).toBe(200);

    // An expired URL. A file's URL carries no secret and never expires by itself: what lets
    // it open is the reader's session, the HttpOnly files cookie for a browser, the token for
    // curl (docs/PROTOCOL.md §11). So a URL pasted anywhere works for nobody without that
    // session, and stops working for its owner the moment the session ends: at sign-out.
    expect((await openInTab(dana.context, ops)).status).toBe(200);
    await dana.page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await dana.page.getByLabel('Handle').waitFor();
    await until(async () => (await dana.context.cookies()).length === 0, 'the cookie cleared at sign-out');
    // Asked of the server with her browser's cookies, and opened in a tab as she would: a
    // file her browser has a copy of is asked for again (no-cache, ETag), so the copy does not
    // outlive her access, for her or whoever signs in next on that browser.
    for (const url of [ops, menu]) expect((await dana.context.request.get(url)).status(), url).toBe(404);
    expect((await openInTab(dana.context, ops)).status).toBe(404);
    // A URL her browser never fetched, opened in a tab: 404.
    expect((await openInTab(dana.context, `${server.httpUrl}/files/${opsId}/thumb`)).status).toBe(404);
    // At the terminal, the same: after SIGNOUT the token opens nothing.
    await tess.client.signOut();
    expect((await curl(ops, tessToken)).status).toBe(404);

    expect(dana.problems).toEqual(clean);
    expect(bob.problems).toEqual(clean);
    await tess.quit();
  });
});

describe('a restart keeps every file', () => {
  let dataDir: string;
  let server: TestServer | undefined;
  let browser: Browser;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'slck-e2e-files-'));
    server = await startServer({ dataDir, msgRate: 0 });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the thumbnail and the card after the server restarts on the same data dir, and serves the same bytes', async () => {
    const { user: tess, token } = await terminalUser(server!.tcpPort, '@tess', '#general');
    const ann = await openApp(browser, server!.httpUrl);
    await signIn(ann.page, 'ann', 'ann-restart-pass');
    const photo = await png(800, 400);
    const notes = Buffer.from('02:13 disk full on db-2\n02:14 rotated logs\n');
    await share(ann.page, 'before the restart', [
      { name: 'photo.png', mimeType: 'image/png', buffer: photo },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: notes },
    ]);
    const urls = await urlsIn(tess, 'before the restart');
    await tess.quit();

    const message = () => ann.page.locator('[data-testid="message"]').filter({ hasText: 'before the restart' });
    /** The thumbnail loaded at its size, the card with its size, and both files' bytes as uploaded. */
    const filesShown = async (when: string) => {
      const img = message().getByTestId('file-thumb').locator('img');
      // 800x400 is past 720x480: the box shows the thumbnail made at upload, 720x360.
      await until(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth === 720 && el.naturalHeight === 360), `the thumbnail ${when}`);
      const card = message().getByTestId('file-card');
      await card.filter({ hasText: `notes.txt ${notes.length} bytes` }).waitFor();
      // The image itself, at the URL its message carries (the box shows its thumbnail).
      expect(Buffer.from(await (await ann.context.request.get(urls['photo.png'])).body()), `the image ${when}`).toEqual(photo);
      const download = ann.page.waitForEvent('download');
      await card.getByRole('link', { name: 'Download notes.txt' }).click();
      expect(readFileSync((await (await download).path())!), `the download ${when}`).toEqual(notes);
    };
    await filesShown('before the restart');

    const httpPort = server!.httpPort;
    await server!.close();
    server = await startServer({ dataDir, httpPort, msgRate: 0 });
    await connectionState(ann.page, 'online', 20_000);
    await filesShown('once the page has reconnected');
    // A reload starts the page from nothing: history, descriptions and bytes all from the
    // restarted server.
    await ann.page.reload();
    await connectionState(ann.page, 'online');
    await seeMessage(ann.page, 'before the restart');
    await filesShown('after a reload');
    await screenshot(ann.page, '19-files-after-restart');

    // At the terminal, the token from before the restart fetches the same bytes.
    for (const [name, bytes] of [['photo.png', photo], ['notes.txt', notes]] as const) {
      const res = await curl(urls[name], token);
      expect([res.status, Buffer.from(await res.arrayBuffer())]).toEqual([200, bytes]);
    }
    // And the big image's thumbnail, made at upload, is still there.
    const meta = await (await curl(urls['photo.png'].replace('photo.png', 'meta'), token)).json();
    const thumb = await curl(`${server!.httpUrl}${meta.thumb}`, token);
    expect([meta.thumb, thumb.status, thumb.headers.get('content-type')]).toEqual([`/files/${meta.id}/thumb`, 200, 'image/webp']);
    expect(ann.problems).toEqual(clean);
  });
});

describe('a file uploaded on one node is viewed on another', () => {
  let pg: TestPostgres | undefined;
  let redis: TestRedis | undefined;
  let cluster: Cluster | undefined;
  // Ann's browser reaches node 1, Bob's node 2, at one address, as a balancer that keeps
  // each person on one node would give them: the same origin, so the same file URLs.
  const site = 'http://chat.test';
  const browsers: Browser[] = [];
  const reaching = (port: number) => launchBrowser([`--host-resolver-rules=MAP chat.test 127.0.0.1:${port}`, `--unsafely-treat-insecure-origin-as-secure=${site}`]);
  beforeAll(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    cluster = await startCluster({ nodes: 2, databaseUrl: pg.url, redisUrl: redis.url, extraArgs: ['--msg-rate', '0', '--log-level', 'warn', '--public-url', site] });
    browsers.push(await reaching(cluster.nodes[0].httpPort), await reaching(cluster.nodes[1].httpPort));
  }, 90_000);
  afterAll(async () => {
    for (const b of browsers) await b.close();
    await cluster?.stop();
    await redis?.stop();
    await pg?.stop();
  });

  it('Ann shares an image through node 1; Bob on node 2 sees its thumbnail and opens the viewer; Carol fetches it through node 2', async () => {
    const [n1, n2] = cluster!.nodes;
    const { user: carol, token } = await terminalUser(n2.tcpPort, '@carol', '#general');
    const ann = await openApp(browsers[0], site);
    await signIn(ann.page, 'ann', 'ann-cluster-pass');
    const bob = await openApp(browsers[1], site);
    await signIn(bob.page, 'bob', 'bob-cluster-pass');
    await bob.page.getByTestId('conversation-title').filter({ hasText: '#general' }).waitFor();
    const axeBefore = await axeViolations(bob.page);

    const photo = await png(800, 400);
    await share(ann.page, 'the dashboard at noon', [{ name: 'dashboard.png', mimeType: 'image/png', buffer: photo }]);

    // Bob, on node 2: the thumbnail, its bytes fetched from node 2, and the viewer.
    await seeMessage(bob.page, 'the dashboard at noon');
    const thumb = bob.page.locator('[data-testid="message"]').filter({ hasText: 'the dashboard at noon' }).getByTestId('file-thumb');
    await until(() => thumb.locator('img').evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth === 720), "the thumbnail (720x360, made through node 1) on node 2");
    await thumb.click();
    const viewer = bob.page.getByRole('dialog', { name: 'dashboard.png' });
    await viewer.waitFor();
    await until(() => viewer.locator('img').evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth === 800), 'the full image in the viewer');
    await screenshot(bob.page, '19-files-viewer-other-node');
    await expectNoNewViolations(bob.page, axeBefore, 'the viewer of a file kept through another node');
    await bob.page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });

    // Carol, at a terminal on node 2, fetches the URL's path from node 2: the same bytes.
    const url = (await urlsIn(carol, 'the dashboard at noon'))['dashboard.png'];
    expect(url.startsWith(`${site}/files/`)).toBe(true);
    const res = await curl(`http://127.0.0.1:${n2.httpPort}${new URL(url).pathname}`, token);
    expect([res.status, Buffer.from(await res.arrayBuffer())]).toEqual([200, photo]);

    expect(ann.problems).toEqual(clean);
    expect(bob.problems).toEqual(clean);
    await carol.quit();
  });
});
