/**
 * Makes docs/screenshot-dark.png for the README: the dark theme, with what this chat shows
 * beyond plain text: a channel topic, markdown and code from a telnet user, a mention of
 * you marked, and unread and mention badges in the sidebar. A claimed user, so the
 * settings show the account. Run: `npx tsx e2e/readme-screenshot-dark.ts` (after `npm run build`).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { startServer } from '../gateway/test/support/server.ts';
import { channelItem, launchBrowser, openApp, seeMessage, send, signIn, TcpUser } from './browser.ts';

const OUT = resolve(import.meta.dirname, '../docs/screenshot-dark.png');

const server = await startServer();
const browser = await launchBrowser();
try {
  const maya = await TcpUser.as(server.tcpPort, '@maya', '#general', '#release', '#ops');
  const theo = await TcpUser.as(server.tcpPort, '@theo', '#general', '#release');
  await maya.client.setTopic('#release', 'v0.2 ships Friday, 15:00 UTC: notes in the wiki');
  await maya.client.msg('#release', 'Release checklist:\n- **tag** the build\n- run `npm test` on CI\n- post the notes');
  await theo.client.msg('#release', '> the build is green\nConfirmed, see https://example.com/ci/412');
  await theo.client.msg('#release', '```\n$ telnet chat.example.com 8081\nHELLO slck 1 c7 Welcome to SLCK.\n```');

  const { page } = await openApp(browser, server.httpUrl, { width: 1100, height: 700 }, 'dark');
  await signIn(page, 'jules', 'a-g00d-passphrase');
  await page.getByRole('button', { name: 'Browse channels' }).click();
  await page.getByRole('button', { name: 'Join #release' }).click();
  await channelItem(page, '#release').click();
  await seeMessage(page, 'telnet chat.example.com');
  await maya.client.msg('#release', '@jules can you check the docs link before we tag?');
  await seeMessage(page, 'can you check the docs link');
  await send(page, 'On it: the **docs** link works _now_ ✅');
  await maya.client.msg('#ops', 'Disk on staging at 81%, rotating logs');
  await maya.client.msg('#general', 'Lunch at noon? @jules');
  await channelItem(page, '#general').getByTestId('unread').waitFor();
  await page.mouse.move(0, 0);
  await page.screenshot({ path: OUT });
  console.log(`wrote ${OUT} (${Math.round(statSync(OUT).size / 1024)} KB)`);
  for (const u of [maya, theo]) await u.quit();
} finally {
  await browser.close();
  await server.close();
}
