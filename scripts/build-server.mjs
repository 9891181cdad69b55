// Builds the server into plain JavaScript (dist/server/*.js) once, so that the serving
// process runs `node` alone: no TypeScript loader and no compiler in it (tsx cost 25-30 MB
// of RSS and a slower start). Dependencies stay imports from node_modules; only our own
// gateway/ and core/ code is bundled.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const entries = ['main', 'backup'].filter((name) => existsSync(`gateway/${name}.ts`));
// `--outdir DIR` builds elsewhere (a test builds its own copy while others run this one).
const at = process.argv.indexOf('--outdir');
const outdir = at > 0 ? process.argv[at + 1] : 'dist/server';
rmSync(outdir, { recursive: true, force: true });
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

await build({
  entryPoints: Object.fromEntries(entries.map((name) => [name, `gateway/${name}.ts`])),
  outdir,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  packages: 'external',
  // app.ts reads package.json beside the sources; the build says the version itself.
  define: { __SLCK_VERSION__: JSON.stringify(version) },
  // The sources stay readable in a stack trace: `node --enable-source-maps`.
  sourcemap: 'linked',
  logLevel: 'warning',
});
console.log(`server built: ${entries.map((e) => `${outdir}/${e}.js`).join(', ')}`);
