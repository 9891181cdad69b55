import { deflateSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import { useScreens } from '../gateway/test/support/screen.ts';
import { composer, openApp, screenshot, seeMessage, signIn, until, useServerAndBrowser } from './browser.ts';
import { act, axeViolations, expectNoNewViolations, rowWith } from './living.ts';

// Issue 19, "In the browser": files attached with the paperclip, pasted and dropped, several
// at once, each with its progress and a cancel; the message that shares them shows images as
// thumbnails (a viewer on click, Esc closes it) and other files as cards; an oversize file
// refused with the server's sentence; a guest told to set a password. Ann and Gus in
// browsers, Bob on a phone, Tess at a terminal, who reads the files' URLs.

/** A PNG of `width`×`height`, one colour: real bytes the server sniffs as image/png. */
function png(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x5a)]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', header), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0))]);
}

const MAX = 1024 * 1024;
const uploads = (page: Page) => page.getByTestId('upload');
const inBrowser = (bytes: Buffer) => bytes.toString('base64');

/** Paste `name` into the message box, as a screenshot pasted from the clipboard arrives. */
async function paste(page: Page, name: string, type: string, bytes: Buffer): Promise<void> {
  await composer(page).evaluate(
    (el, [name, type, b64]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name, { type }));
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    },
    [name, type, inBrowser(bytes)],
  );
}

/** Drag `name` over the conversation (the drop zone shows), then drop it there. */
async function dragAndDrop(page: Page, name: string, type: string, bytes: Buffer): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    ([name, type, b64]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name, { type }));
      return dt;
    },
    [name, type, inBrowser(bytes)],
  );
  const conversation = page.locator('section.conversation');
  await conversation.dispatchEvent('dragenter', { dataTransfer });
  await conversation.dispatchEvent('dragover', { dataTransfer });
  await page.getByTestId('drop-zone').filter({ hasText: 'Drop files to share them in #general' }).waitFor();
  await conversation.dispatchEvent('drop', { dataTransfer });
  await page.getByTestId('drop-zone').waitFor({ state: 'detached' });
}

/** Choose files with the paperclip, through the system's file chooser. */
async function attach(page: Page, files: { name: string; mimeType: string; buffer: Buffer }[]): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Attach files' }).click();
  await (await chooser).setFiles(files);
}

const allReady = (page: Page, n: number) =>
  until(async () => (await page.locator('[data-testid="upload"][data-state="done"]').count()) === n, `${n} files uploaded`);

describe('sharing files in the browser', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]), { msgRate: 0, maxFileSize: MAX });
  const Screen = useScreens(() => server.tcpPort);

  it('attaches, pastes and drops files, shows progress and cancel, and shares them as thumbnails and cards', async () => {
    const tess = await Screen.open('REG @tess', 'JOIN #general');
    const ann = await openApp(browser, server.httpUrl);
    const { page, context } = ann;
    await signIn(page, 'ann', 'ann-files-pass');
    await page.getByTestId('conversation-title').filter({ hasText: '#general' }).waitFor();
    const axeBefore = await axeViolations(page);

    // Progress and cancel: on a slow uplink (Chromium's own throttling) the bar moves, and
    // × stops the upload and takes the row away.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 128 * 1024 });
    await attach(page, [{ name: 'slow.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(900 * 1024, 7) }]);
    await page.getByRole('progressbar', { name: 'Uploading slow.bin' }).waitFor();
    await page.waitForFunction(() => {
      const bar = document.querySelector<HTMLProgressElement>('[data-testid="upload-progress"]');
      return bar !== null && bar.value > 0 && bar.value < 1;
    });
    expect(await page.getByTestId('send').isDisabled(), 'Send waits for the upload').toBe(true);
    await page.getByRole('button', { name: 'Cancel uploading slow.bin' }).click();
    await uploads(page).first().waitFor({ state: 'detached' });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

    // Several at once with the paperclip, one pasted, one dropped: a row each, ready in turn.
    const photo = png(800, 400);
    const notes = Buffer.from('02:13 disk full on db-2\n02:14 rotated logs\n');
    await attach(page, [
      { name: 'photo.png', mimeType: 'image/png', buffer: photo },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: notes },
    ]);
    await paste(page, 'shot.png', 'image/png', png(300, 600));
    await dragAndDrop(page, 'report.pdf', 'application/pdf', Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n', 'latin1'));
    await allReady(page, 4);
    expect(await page.getByTestId('uploads').locator('.name').allInnerTexts()).toEqual(['photo.png', 'notes.txt', 'shot.png', 'report.pdf']);
    await screenshot(page, '19-files-uploads');
    await expectNoNewViolations(page, axeBefore, 'the rows of uploads');

    // The typed text becomes the message, with a line per file.
    await composer(page).fill('from last night');
    await composer(page).press('Enter');
    await uploads(page).first().waitFor({ state: 'detached' });
    const message = page.locator('[data-testid="message"][data-from="@ann"]').filter({ hasText: 'from last night' });
    await message.waitFor();

    // At the terminal: the text and the four URLs, one a line, to fetch with a token.
    // An image's line ends with its size (#800x400), which reserves its box for every reader.
    const url = (name: string, size = '') => `${server.httpUrl}/files/[A-Za-z0-9_-]{22}/${name.replace('.', '\\.')}${size}`;
    await tess.waitFor('report.pdf\r\n');
    expect(tess.text).toMatch(new RegExp(
      `\\r\\nMSG #general @ann \\d+ \\S+ \\d+\\r\\nfrom last night\\n${url('photo.png', '#800x400')}\\n${url('notes.txt')}\\n${url('shot.png', '#300x600')}\\n${url('report.pdf')}\\r\\n`,
    ));

    // Images as thumbnails, fitted in 360×240, fetched with the page's cookie.
    const thumbs = message.getByTestId('file-thumb');
    await until(async () => (await thumbs.count()) === 2, 'two thumbnails');
    // Both are bigger than 720x480, so each shows the server's thumbnail, made within it.
    for (const [i, [w, h]] of [[720, 360], [240, 480]].entries()) {
      const img = thumbs.nth(i).locator('img');
      await until(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0), `thumbnail ${i} loaded`);
      expect(await img.evaluate((el: HTMLImageElement) => [el.naturalWidth, el.naturalHeight])).toEqual([w, h]);
      const box = await img.boundingBox();
      expect(box!.width).toBeLessThanOrEqual(360);
      expect(box!.height).toBeLessThanOrEqual(240);
    }
    expect(await thumbs.nth(0).getAttribute('aria-haspopup')).toBe('dialog');

    // Anything else as a card: its name, size, and a Download link that downloads it.
    const cards = message.getByTestId('file-card');
    await until(async () => (await cards.allInnerTexts()).length === 2 && !(await cards.first().innerText()).match(/^\s*notes\.txt\s*Download/), 'the cards with their sizes');
    expect((await cards.nth(0).innerText()).replace(/\s+/g, ' ').trim()).toBe(`notes.txt ${notes.length} bytes Download notes.txt`);
    expect(await cards.nth(1).innerText()).toContain('report.pdf');
    const download = page.waitForEvent('download');
    await cards.nth(0).getByRole('link', { name: 'Download notes.txt' }).click();
    const got = await download;
    expect(got.suggestedFilename()).toBe('notes.txt');
    expect(readFileSync(await got.path())).toEqual(notes);
    await screenshot(page, '19-files-message');
    await expectNoNewViolations(page, axeBefore, 'a message with thumbnails and cards');

    // The viewer: the whole image, a dialog; Esc closes it and focus is back on the thumbnail.
    await thumbs.nth(0).click();
    const viewer = page.getByRole('dialog', { name: 'photo.png' });
    await viewer.waitFor();
    await until(() => viewer.locator('img').evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth === 800), 'the full image');
    await expectNoNewViolations(page, axeBefore, 'the image viewer');
    await page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('file-thumb');
    // By keyboard: Enter on the thumbnail opens it, the Close button closes it.
    await page.keyboard.press('Enter');
    await viewer.waitFor();
    await viewer.getByRole('button', { name: 'Close' }).click();
    await viewer.waitFor({ state: 'detached' });

    // Too large: refused at once, the server's sentence on the row; nothing to send.
    await attach(page, [{ name: 'huge.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(2 * MAX, 1) }]);
    const refused = page.locator('[data-testid="upload"][data-state="failed"]');
    await refused.waitFor();
    expect(await refused.getByTestId('upload-error').innerText()).toBe('The file is larger than 1 MiB, the most this server takes');
    expect(await page.getByTestId('send').isDisabled()).toBe(true);
    await screenshot(page, '19-files-refused');
    await expectNoNewViolations(page, axeBefore, 'a refused upload');
    await page.getByRole('button', { name: 'Remove huge.bin' }).click();
    await refused.waitFor({ state: 'detached' });

    // In a thread: its own paperclip; the reply carries the file.
    await act(rowWith(page, 'from last night'), 'reply');
    const pane = page.getByTestId('thread-pane');
    const chooser = page.waitForEvent('filechooser');
    await pane.getByRole('button', { name: 'Attach files to the reply' }).click();
    await (await chooser).setFiles([{ name: 'trace.log', mimeType: 'text/plain', buffer: Buffer.from('trace\n') }]);
    await pane.locator('[data-testid="upload"][data-state="done"]').waitFor();
    await pane.getByTestId('thread-composer').press('Enter');
    await pane.getByTestId('file-card').filter({ hasText: 'trace.log' }).waitFor();
    await pane.getByTestId('thread-close').click();

    // On a phone: Bob opens the image in the viewer.
    const bob = await openApp(browser, server.httpUrl, { width: 390, height: 844 });
    await signIn(bob.page, 'bob', 'bob-files-pass');
    await seeMessage(bob.page, 'from last night');
    const bobThumb = bob.page.getByTestId('file-thumb').first();
    await until(() => bobThumb.locator('img').evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0), 'Bob sees the thumbnail');
    const bobBox = await bobThumb.boundingBox();
    expect(bobBox!.x + bobBox!.width).toBeLessThanOrEqual(390);
    await bobThumb.click();
    await bob.page.getByRole('dialog', { name: 'photo.png' }).waitFor();
    await until(() => bob.page.getByRole('dialog').locator('img').evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth === 800), 'the full image on the phone');
    await screenshot(bob.page, '19-file-viewer-phone');
    expect(await axeViolations(bob.page), 'axe on the phone viewer').toEqual([]);
    await bob.page.keyboard.press('Escape');

    // The cookie opens files in Ann's browser while she is signed in, and no longer after.
    const src = (await thumbs.nth(0).locator('img').getAttribute('src'))!;
    expect((await context.request.get(src)).status()).toBe(200);
    expect((await context.cookies()).map((c) => [c.name, c.httpOnly, c.sameSite, c.path])).toEqual([['slck_files', true, 'Strict', '/files']]);
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByLabel('Handle').waitFor();
    await until(async () => (await context.cookies()).length === 0, 'the cookie cleared at sign-out');
    expect((await context.request.get(src)).status()).toBe(404);

    expect(ann.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    expect(bob.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
  });

  it('tells a guest to set a password to share files, and shows the files it cannot open as links', async () => {
    const ann = await openApp(browser, server.httpUrl);
    await signIn(ann.page, 'ann2', 'ann2-files-pass');
    await attach(ann.page, [{ name: 'map.png', mimeType: 'image/png', buffer: png(40, 30) }]);
    await allReady(ann.page, 1);
    await composer(ann.page).fill('the map');
    await composer(ann.page).press('Enter');
    await ann.page.locator('[data-testid="message"]').filter({ hasText: 'the map' }).getByTestId('file-thumb').waitFor();

    const gus = await openApp(browser, server.httpUrl);
    await signIn(gus.page, 'gus');
    await seeMessage(gus.page, 'the map');
    // Gus has no session token, so no cookie: the file is not his to open, and shows as its URL.
    const link = gus.page.getByTestId('file-link').last();
    await link.waitFor();
    expect(await link.innerText()).toMatch(new RegExp(`^${server.httpUrl}/files/[A-Za-z0-9_-]{22}/map\\.png$`));
    await gus.page.getByRole('button', { name: 'Attach files (needs a password)' }).click();
    await gus.page.getByTestId('upload-note').filter({ hasText: 'Set a password to share files.' }).waitFor();
    // Dropped files are refused the same way, with nothing sent.
    await dragAndDrop(gus.page, 'x.txt', 'text/plain', Buffer.from('x'));
    expect(await uploads(gus.page).count()).toBe(0);
    await gus.page.getByRole('button', { name: 'Settings → Account' }).click();
    await gus.page.getByRole('heading', { name: 'Account' }).waitFor();

    expect(ann.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    expect(gus.problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
  });
});
