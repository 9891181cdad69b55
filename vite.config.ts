import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const OUT_DIR = '../dist/web';

/**
 * Brotli and gzip copies of every text asset, made once at build time at the highest levels
 * (too slow per request, free here), beside the originals: the gateway's static server picks
 * one by Accept-Encoding (`preCompressed`). Tiny files are left alone.
 */
function precompress(): Plugin {
  let outDir = '';
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
  return {
    name: 'slck-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      for (const file of walk(outDir)) {
        if (!/\.(js|css|html|svg|json|txt|map|woff)$/.test(file)) continue;
        const raw = readFileSync(file);
        if (raw.length < 1024) continue;
        writeFileSync(`${file}.br`, brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }));
        writeFileSync(`${file}.gz`, gzipSync(raw, { level: 9 }));
      }
    },
  };
}

// The web app lives in web/; the built files go to dist/web, which the gateway serves.
// In dev (`npm run dev`), Vite serves the app and proxies /ws to a gateway on :8080.
export default defineConfig({
  root: 'web',
  plugins: [svelte(), precompress()],
  build: { outDir: OUT_DIR, emptyOutDir: true, target: 'es2022' },
  server: {
    proxy: {
      '/ws': { target: `ws://127.0.0.1:${process.env.SLCK_HTTP_PORT ?? 8080}`, ws: true },
      '/healthz': { target: `http://127.0.0.1:${process.env.SLCK_HTTP_PORT ?? 8080}` },
      // Uploads, file bytes and the files cookie (issue 19) are the gateway's too.
      '/files': { target: `http://127.0.0.1:${process.env.SLCK_HTTP_PORT ?? 8080}` },
    },
  },
});
