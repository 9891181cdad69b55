import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../gateway/test/support/server.ts';
import type { ServerFrameOf } from '../core/frames.ts';
import { connectionState, openApp, screenshot, signIn, TcpUser, until, useServerAndBrowser } from './browser.ts';

const topic = (page: Page) => page.getByTestId('topic');
const editButton = (page: Page) => page.getByRole('button', { name: 'Edit topic' });
const topicField = (page: Page) => page.getByRole('textbox', { name: 'Topic of #general' });
const focusedName = (page: Page) => page.evaluate(() => (document.activeElement as HTMLElement | null)?.innerText.trim() ?? '');

/** Whether the telnet user has been told this topic (text '' for cleared). */
const heard = (user: TcpUser, by: string, text: string) =>
  user.events.some((e) => e.type === 'TOPIC' && (e as ServerFrameOf<'TOPIC'>).by === by && (e as ServerFrameOf<'TOPIC'>).text === text);

// Issue item 10: the header shows the channel's topic; members set it from the browser or
// from telnet, and everyone in the channel sees the change at once.
describe('channel topics', () => {
  let server: TestServer;
  let browser: Browser;
  useServerAndBrowser((s, b) => ([server, browser] = [s, b]));

  it('is set from the browser and from telnet, shows live, and is there after a reload', async () => {
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'tara');
    const telly = await TcpUser.as(server.tcpPort, '@telly', '#general');
    expect(await topic(page).count()).toBe(0);

    // Edit, Enter: saved; focus goes back to the button.
    await editButton(page).click();
    await topicField(page).fill('Release on Friday');
    await topicField(page).press('Enter');
    await topic(page).filter({ hasText: 'Release on Friday' }).waitFor();
    expect(await topic(page).getAttribute('title')).toBe('Set by @tara');
    expect(await focusedName(page)).toBe('Edit topic');
    await until(() => heard(telly, '@tara', 'Release on Friday'), 'the telnet user to get the TOPIC line');
    await page.getByTestId('system-line').filter({ hasText: 'You set the topic: Release on Friday' }).waitFor();

    // Escape: nothing changes.
    await editButton(page).click();
    expect(await topicField(page).inputValue()).toBe('Release on Friday');
    await topicField(page).fill('never mind');
    await topicField(page).press('Escape');
    await editButton(page).waitFor();
    expect(await topic(page).innerText()).toContain('Release on Friday');
    expect(await topicField(page).count()).toBe(0);

    // A telnet user sets it: the header follows at once, and says who set it.
    await telly.client.setTopic('#general', 'Deploy freeze until Monday');
    await topic(page).filter({ hasText: 'Deploy freeze until Monday' }).waitFor();
    expect(await topic(page).getAttribute('title')).toBe('Set by @telly');
    await page.getByTestId('system-line').filter({ hasText: '@telly set the topic: Deploy freeze until Monday' }).waitFor();
    await screenshot(page, 'topic');

    // A reload asks the server for it.
    await page.reload();
    await connectionState(page, 'online');
    await topic(page).filter({ hasText: 'Deploy freeze until Monday' }).waitFor();
    expect(await topic(page).getAttribute('title')).toBe('Set by @telly');

    // Saving it empty clears it, for everyone.
    await editButton(page).click();
    await topicField(page).fill('');
    await topicField(page).press('Enter');
    await topic(page).waitFor({ state: 'detached' });
    await until(() => telly.events.filter((e) => e.type === 'TOPIC').length === 3, 'the telnet user to hear the topic cleared');
    expect(await telly.client.topic('#general')).toEqual({ channel: '#general', by: '-', text: '' });
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await telly.quit();
  });

  it('shows why a topic is refused, in the field', async () => {
    const { page, problems } = await openApp(browser, server.httpUrl);
    await signIn(page, 'uma');
    await editButton(page).click();
    await topicField(page).fill('x'.repeat(251));
    await topicField(page).press('Enter');
    const error = page.getByTestId('topic-error');
    await error.waitFor();
    expect(await error.innerText()).toBe('A topic is at most 250 bytes; this one is 251');
    expect(await topicField(page).getAttribute('aria-invalid')).toBe('true');
    expect(problems).toEqual({ errors: [], cspViolations: [], dialogs: [] });
    await page.context().close();
  });
});
