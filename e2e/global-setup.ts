import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Before any test file runs: make sure Debian's Chromium is installed and the web app is
 * built, when the run includes browser tests. A run filtered to other folders
 * (`vitest run core gateway`) skips both.
 */

const ROOT = resolve(import.meta.dirname, '..');
const CHROMIUM = '/usr/bin/chromium';
const BUILT_INDEX = join(ROOT, 'dist/web/index.html');
/** Sources of the built app: a change in any of them makes the build stale. */
const APP_SOURCES = ['web', 'core', 'vite.config.ts'];

function runIncludesBrowserTests(): boolean {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('-') && a !== 'run' && a !== 'watch');
  // Arguments after an option that takes a value (e.g. `--reporter dot`) look like filters
  // too; they only make this answer "yes" more often, which is the safe side.
  if (args.length === 0) return true;
  const specs = readdirSync(join(ROOT, 'e2e'))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join(ROOT, 'e2e', f));
  return args.some((a) => specs.some((s) => s.includes(a) || s.includes(resolve(a))));
}

/** Newest modification time of the files under `path` that can end up in the bundle. */
function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return /\.test\.ts$/.test(path) ? 0 : st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** Without it emoji render as empty boxes in screenshots; tests pass either way. */
const EMOJI_FONT = '/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf';

function ensureChromium(): void {
  const needBrowser = !existsSync(CHROMIUM);
  const needFont = !existsSync(EMOJI_FONT);
  if (!needBrowser && !needFont) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // As root (CI, containers) apt-get runs directly; otherwise through sudo, which may ask.
  const root = process.getuid?.() === 0;
  const apt = (...args: string[]) =>
    root ? execFileSync('apt-get', args, { stdio: 'inherit', env }) : execFileSync('sudo', ['-E', 'apt-get', ...args], { stdio: 'inherit', env });
  console.log('[e2e] installing chromium and an emoji font with apt-get…');
  try {
    apt('update');
    apt('install', '-y', '--no-install-recommends', ...(needBrowser ? ['chromium'] : []), ...(needFont ? ['fonts-noto-color-emoji'] : []));
  } catch (e) {
    if (needBrowser) {
      throw new Error(`Chromium is needed at ${CHROMIUM} for the browser tests: install it with "sudo apt-get install -y chromium"`, { cause: e });
    }
    console.warn('[e2e] could not install fonts-noto-color-emoji; emoji will not render in screenshots');
  }
}

function ensureBuilt(): void {
  const builtAt = existsSync(BUILT_INDEX) ? statSync(BUILT_INDEX).mtimeMs : 0;
  const sourcesAt = Math.max(...APP_SOURCES.map((p) => newestMtime(join(ROOT, p))));
  if (builtAt > sourcesAt) return;
  console.log(builtAt === 0 ? '[e2e] building the web app…' : '[e2e] web sources changed: rebuilding the web app…');
  execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
}

export default async function setup(): Promise<void> {
  if (!runIncludesBrowserTests()) return;
  ensureChromium();
  ensureBuilt();
}
