/**
 * Makes docs/screenshot.png for the README: a real server, a few telnet users and one
 * browser user in a lively #general. Run: `npx tsx e2e/readme-screenshot.ts` (after
 * `npm run build`).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { startServer } from '../gateway/test/support/server.ts';
import { launchBrowser, openApp, seeMessage, send, signIn, TcpUser } from './browser.ts';

const OUT = resolve(import.meta.dirname, '../docs/screenshot.png');

const server = await startServer();
const browser = await launchBrowser();
try {
  const maya = await TcpUser.as(server.tcpPort, '@maya', '#general', '#release');
  const theo = await TcpUser.as(server.tcpPort, '@theo', '#general', '#release');
  const ops = await TcpUser.as(server.tcpPort, '@ops-bot', '#general');
  await maya.client.msg('#general', 'Morning all! The 0.1 build is up on the staging box 🚀');
  await theo.client.msg('#general', 'Nice. I am on telnet today, so be gentle.');
  await theo.client.msg('#general', 'Logs from last night:\n  02:13 backup ok\n  04:00 rotate ok');

  const { page } = await openApp(browser, server.httpUrl, { width: 1100, height: 700 });
  await signIn(page, 'jules');
  await page.getByRole('button', { name: 'Browse channels' }).click();
  await page.getByRole('button', { name: 'Join #release' }).click();
  await page.locator('[data-testid="channel-item"][data-name="#general"]').click();
  await seeMessage(page, 'Logs from last night');
  await send(page, 'Looks great from the browser side. Shipping the docs next 📚');
  await ops.client.msg('#general', 'Deploy finished in 42 s ✅');
  await maya.client.msg('#release', 'Release notes draft is ready for review.');
  await maya.client.msg('#release', 'Tag goes out at 15:00.');
  await seeMessage(page, 'Deploy finished');
  await page.locator('[data-testid="channel-item"][data-name="#release"] [data-testid="unread"]').waitFor();
  await page.getByTestId('composer').fill('Sounds good, I will');
  await page.screenshot({ path: OUT });
  console.log(`wrote ${OUT} (${Math.round(statSync(OUT).size / 1024)} KB)`);
  for (const u of [maya, theo, ops]) await u.quit();
} finally {
  await browser.close();
  await server.close();
}
