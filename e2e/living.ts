import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import type { ServerFrame } from '../core/frames.ts';
import { composer, TcpUser, until } from './browser.ts';

/**
 * Helpers for the specs of issue 17 (threads, reactions, edits, deletes, typing): rows found
 * by what they say or by id, actions as a person reaches them, what a telnet user was sent,
 * and axe.
 */

/** The row of the message whose body reads `body` (the newest such), in the conversation. */
export const rowWith = (page: Page, body: string, within = page.getByTestId('message-list')): Locator =>
  within.locator('[data-testid="message"]').filter({ has: page.getByTestId('message-body').filter({ hasText: body }) }).last();

/** The row of message `id` in the conversation's list. */
export const rowById = (page: Page, id: number, within = page.getByTestId('message-list')): Locator =>
  within.locator(`[data-testid="message"][data-id="${id}"]`);

/** Hover a row (as a mouse does) and click one of its actions. */
export async function act(row: Locator, action: 'react' | 'reply' | 'edit' | 'delete'): Promise<void> {
  await row.hover();
  await row.getByTestId(`action-${action}`).click();
}

/** The reaction pill of `reaction` on a row. */
export const pill = (row: Locator, reaction: string): Locator => row.locator(`[data-testid="reaction"][data-reaction="${reaction}"]`);

/** Pick an emoji in the open picker by searching for it, with the keyboard (↓ then Enter), as a person could. */
export async function pickEmoji(page: Page, search: string): Promise<void> {
  const picker = page.getByTestId('emoji-picker');
  const box = picker.getByRole('combobox');
  await box.waitFor();
  await box.fill(search);
  await picker.getByRole('option').first().waitFor();
  await box.press('ArrowDown');
  await box.press('Enter');
  await picker.waitFor({ state: 'detached' });
}

/** What a telnet user was sent besides MSG: the log's other frames, and TYPING. */
export function watchLog(user: TcpUser): ServerFrame[] {
  const seen: ServerFrame[] = [];
  for (const ev of ['reply', 'edit', 'delete', 'react', 'unreact', 'typing'] as const) {
    user.client.on(ev, (f) => seen.push({ ...f, ...('body' in f ? { body: new Uint8Array(f.body) } : {}) } as ServerFrame));
  }
  return seen;
}

/** Until the telnet user has been sent a frame that matches. */
export function frameFor<T extends ServerFrame['type']>(
  seen: ServerFrame[],
  type: T,
  match: (f: Extract<ServerFrame, { type: T }>) => boolean,
  what: string,
): Promise<Extract<ServerFrame, { type: T }>> {
  return until(() => seen.find((f): f is Extract<ServerFrame, { type: T }> => f.type === type && match(f as Extract<ServerFrame, { type: T }>)), `the telnet user to be sent ${what}`);
}

/** The id of the newest message in the conversation with this body. */
export async function idOf(page: Page, body: string): Promise<number> {
  const row = rowWith(page, body);
  await row.waitFor();
  return Number(await row.getAttribute('data-id'));
}

/** Type in the conversation's composer as a person does (key by key) and send it with Enter. */
export async function typeAndSend(page: Page, text: string): Promise<void> {
  await composer(page).click();
  await composer(page).pressSequentially(text);
  await composer(page).press('Enter');
  await expect.poll(() => composer(page).inputValue()).toBe('');
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe's violations on the page, as `rule: target` strings. axe goes in through the DevTools
 * protocol (page.evaluate), which the page's CSP does not govern; the page itself loads nothing.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
  });
  return found;
}

/**
 * axe finds nothing on the page that it did not find on `before` (the same page before the
 * feature was on screen): no rule broken on an element it was not broken on then.
 */
export async function expectNoNewViolations(page: Page, before: string[], what: string): Promise<void> {
  const known = new Set(before);
  const now = await axeViolations(page);
  expect(now.filter((v) => !known.has(v)), `axe: ${what}`).toEqual([]);
}

type Shown = { title: string; body: string };

/**
 * An init script: keeps the real Notification, but logs what the page shows, for the test to
 * read (`shownNotifications`). As e2e/mentions-notifications.test.ts does.
 */
export function recordNotifications(): void {
  const w = window as unknown as Window & { __notes: Shown[] };
  const Real = window.Notification;
  w.__notes = [];
  window.Notification = class extends Real {
    constructor(title: string, options?: NotificationOptions) {
      w.__notes.push({ title, body: options?.body ?? '' });
      super(title, options);
    }
  };
}

export const shownNotifications = (page: Page): Promise<Shown[]> => page.evaluate(() => (window as unknown as { __notes: Shown[] }).__notes);

/** Make the document say it is hidden (a tab in the background), as headless Chromium never does by itself. */
export const hideTab = (page: Page): Promise<void> =>
  page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
