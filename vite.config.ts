import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The web app lives in web/; the built files go to dist/web, which the gateway serves.
// In dev (`npm run dev`), Vite serves the app and proxies /ws to a gateway on :8080.
export default defineConfig({
  root: 'web',
  plugins: [svelte()],
  build: { outDir: '../dist/web', emptyOutDir: true, target: 'es2022' },
  server: {
    proxy: {
      '/ws': { target: `ws://127.0.0.1:${process.env.SLCK_HTTP_PORT ?? 8080}`, ws: true },
      '/healthz': { target: `http://127.0.0.1:${process.env.SLCK_HTTP_PORT ?? 8080}` },
    },
  },
});
