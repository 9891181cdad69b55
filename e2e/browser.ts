import { mkdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startServer, type TestServer } from '../gateway/test/support/server.ts';
import type { Config } from '../gateway/config.ts';
import { SlckClient, type Delivery } from '../core/client.ts';
import type { ServerFrame } from '../core/frames.ts';

/** Helpers for browser tests: Debian's Chromium, a signed-in page, a telnet-side user. */

export const RESULTS_DIR = resolve(import.meta.dirname, '../test-results');

/** Chromium as every spec runs it; `extraArgs` for the one spec that needs more (tls: `--ignore-certificate-errors`). */
export function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

/**
 * A real server (in memory, port 0) and Chromium for the specs of one file: started before
 * them, stopped after. `use` receives both once they are up.
 */
export function useServerAndBrowser(use: (server: TestServer, browser: Browser) => void, options: Partial<Config> = {}): void {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    server = await startServer(options);
    browser = await launchBrowser();
    use(server, browser);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
}

/** What went wrong inside a page that no assertion on the screen would show. */
export type PageProblems = { errors: string[]; cspViolations: string[]; dialogs: string[] };

export type AppPage = { context: BrowserContext; page: Page; problems: PageProblems };

/**
 * A fresh browser profile (its own storage, like a different person) with the app open.
 * Uncaught errors, CSP violations and dialogs are recorded for the test to check.
 */
export async function openApp(
  browser: Browser,
  url: string,
  viewport: { width: number; height: number } = { width: 1100, height: 700 },
  colorScheme: 'light' | 'dark' = 'light',
): Promise<AppPage> {
  const context = await browser.newContext({ viewport, colorScheme });
  // Well under the test timeout, so a stuck wait fails with Playwright's own description.
  context.setDefaultTimeout(10_000);
  const problems: PageProblems = { errors: [], cspViolations: [], dialogs: [] };
  await context.exposeFunction('__reportCsp', (v: string) => problems.cspViolations.push(v));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __reportCsp(v: string): void }).__reportCsp(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.errors.push(e.message));
  page.on('dialog', (d) => {
    problems.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(url);
  return { context, page, problems };
}

export async function signIn(page: Page, handle: string, password = ''): Promise<void> {
  await page.getByLabel('Handle').fill(handle);
  if (password) await page.getByLabel(/^Password/).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await connectionState(page, 'online');
}

export const statusLocator = (page: Page): Locator => page.getByTestId('connection-status');

/** The sidebar's connection status (hidden at phone width, where the sidebar is folded away). */
export async function connectionState(page: Page, state: 'online' | 'connecting' | 'offline', timeout = 15_000) {
  await page.locator(`[data-testid="connection-status"][data-state="${state}"]`).waitFor({ state: 'attached', timeout });
}

export const channelItem = (page: Page, name: string): Locator =>
  page.locator(`[data-testid="channel-item"][data-name="${name}" i]`);
export const dmItem = (page: Page, name: string): Locator =>
  page.locator(`[data-testid="dm-item"][data-name="${name}" i]`);
export const person = (page: Page, name: string): Locator =>
  page.locator(`[data-testid="person"][data-name="${name}" i]`);
export const member = (page: Page, name: string): Locator =>
  page.locator(`[data-testid="member"][data-name="${name}" i]`);
export const messageBodies = (page: Page): Locator => page.getByTestId('message-body');
export const composer = (page: Page): Locator => page.getByTestId('composer');

/** Type a message and press Enter, as a person would. */
export async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
}

/**
 * Put a long text in the composer at once, as a paste does, and press Enter. (Chromium's
 * text insertion, behind `fill`, takes time quadratic in the number of line breaks.)
 */
export async function sendPasted(page: Page, text: string): Promise<void> {
  await composer(page).evaluate((el, value) => {
    (el as HTMLTextAreaElement).value = value;
    el.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertFromPaste' }));
  }, text);
  await composer(page).press('Enter');
}

/** Wait until a message body with exactly this text is on screen. */
export async function seeMessage(page: Page, text: string, timeout = 10_000): Promise<void> {
  await messageBodies(page).filter({ hasText: text }).first().waitFor({ timeout });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  await page.screenshot({ path: resolve(RESULTS_DIR, `${name}.png`) });
}

type CutWindow = Window & { __sockets: WebSocket[]; __blockWs: boolean; __deaf: boolean; __mute: boolean };

/**
 * An init script (`context.addInitScript(installSocketCutter)`) that lets a test cut the
 * page's WebSocket while the server keeps running, and keep it cut: while blocked (`cut`,
 * until `restore`; kept in sessionStorage, so across a reload too) new sockets go to a
 * closed port and fail. `setDeaf` drops what the server sends (its replies are lost on the
 * way), `setMute` what the page sends (its commands never arrive). `__sockets` lists every
 * socket the page made, in order.
 */
export function installSocketCutter(): void {
  const w = window as unknown as CutWindow;
  const Native = window.WebSocket;
  const onmessage = Object.getOwnPropertyDescriptor(Native.prototype, 'onmessage')!;
  w.__sockets = [];
  w.__blockWs = sessionStorage.getItem('test.blockWs') === '1';
  w.__deaf = false;
  w.__mute = false;
  window.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(w.__blockWs ? 'ws://127.0.0.1:9/' : url, protocols);
      w.__sockets.push(this);
      const send = this.send.bind(this);
      this.send = (data) => {
        if (!w.__mute) send(data);
      };
      Object.defineProperty(this, 'onmessage', {
        get: () => onmessage.get!.call(this),
        set: (fn: ((ev: MessageEvent) => void) | null) =>
          onmessage.set!.call(this, fn && ((ev: MessageEvent) => {
            if (!w.__deaf) fn.call(this, ev);
          })),
      });
    }
  };
}

/** Close the page's sockets and fail new ones, until `restore`. */
export const cut = (page: Page): Promise<void> =>
  page.evaluate(() => {
    const w = window as unknown as CutWindow;
    w.__blockWs = true;
    sessionStorage.setItem('test.blockWs', '1');
    for (const ws of w.__sockets) ws.close();
  });
export const restore = (page: Page): Promise<void> =>
  page.evaluate(() => {
    const w = window as unknown as CutWindow;
    w.__blockWs = false;
    w.__deaf = false;
    w.__mute = false;
    sessionStorage.removeItem('test.blockWs');
  });
export const setDeaf = (page: Page, on: boolean): Promise<void> =>
  page.evaluate((v) => void ((window as unknown as CutWindow).__deaf = v), on);
export const setMute = (page: Page, on: boolean): Promise<void> =>
  page.evaluate((v) => void ((window as unknown as CutWindow).__mute = v), on);
/** How many sockets the page has opened so far (each reconnect attempt is one). */
export const socketsMade = (page: Page): Promise<number> =>
  page.evaluate(() => (window as unknown as CutWindow).__sockets.length);

/** Poll until `check` returns a truthy value; fails with `what` after `timeout`. */
export async function until<T>(check: () => T | Promise<T>, what: string, timeout = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/**
 * A telnet-side user: a raw TCP socket speaking SLCK through the core parser. Every
 * delivery and event is recorded (bodies copied byte for byte).
 */
export class TcpUser {
  readonly client: SlckClient;
  readonly messages: Delivery[] = [];
  readonly events: ServerFrame[] = [];
  private closed = false;

  private constructor(private readonly socket: Socket) {
    this.client = new SlckClient((bytes) => socket.write(bytes));
    socket.on('data', (chunk) => this.client.receive(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.client.reset();
    });
    this.client.on('message', (m) => this.messages.push({ ...m, body: new Uint8Array(m.body) }));
    for (const ev of ['joined', 'left', 'online', 'offline', 'notice', 'topic', 'bye'] as const) {
      this.client.on(ev, (f) => this.events.push(f));
    }
  }

  static connect(port: number): Promise<TcpUser> {
    return new Promise((res, rej) => {
      const socket = connect({ host: '127.0.0.1', port }, () => res(new TcpUser(socket)));
      socket.once('error', rej);
    });
  }

  /** Connect and register; optionally join channels. */
  static async as(port: number, handle: string, ...channels: string[]): Promise<TcpUser> {
    const user = await TcpUser.connect(port);
    await user.client.reg(handle);
    for (const ch of channels) await user.client.join(ch);
    return user;
  }

  waitForMessage(match: (m: Delivery) => boolean, what = 'a message'): Promise<Delivery> {
    return until(() => this.messages.find(match), `TCP user to receive ${what}`);
  }

  async quit(): Promise<void> {
    if (this.closed) return;
    await this.client.quit().catch(() => {});
    this.socket.destroy();
  }

  close(): void {
    this.socket.destroy();
  }
}

export const text = (body: Uint8Array): string => new TextDecoder().decode(body);
