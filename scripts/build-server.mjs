// Builds the server into plain JavaScript (dist/server/*.js) once, so that the serving
// process runs `node` alone: no TypeScript loader and no compiler in it (tsx cost 25-30 MB
// of RSS and a slower start). Dependencies stay imports from node_modules; only our own
// gateway/ and core/ code is bundled.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
  // Without comments and indentation, and in ASCII: V8 keeps each module's whole source in
  // the heap, and one non-ASCII character (a comment's "…") made it two bytes a character.
  // 876 KB of source strings became ~300 KB (issue 16). Names are not shortened (no
  // minifyIdentifiers): an error's stack says which function threw, even without source maps.
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii',
  // The sources stay readable in a stack trace: `node --enable-source-maps`.
  sourcemap: 'linked',
  logLevel: 'warning',
});
// esbuild escapes strings but not a regex literal's characters: one left would double its
// whole file's memory again (see charset above). Write it as \uXXXX in the source.
for (const file of readdirSync(outdir).filter((f) => f.endsWith('.js'))) {
  const at = readFileSync(`${outdir}/${file}`).findIndex((byte) => byte > 0x7f);
  if (at >= 0) console.warn(`build-server: ${outdir}/${file} is not ASCII at byte ${at}; V8 will hold it as two bytes a character`);
}
console.log(`server built: ${entries.map((e) => `${outdir}/${e}.js`).join(', ')}`);
