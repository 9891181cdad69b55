// `npm run dev`: the gateway from the sources, restarted when they change (tsx watch), and
// Vite's dev server for the web app with hot reload, proxying /ws to that gateway. Ctrl-C
// stops both. Options after `--` go to the gateway (e.g. `npm run dev -- --memory`).
import { spawn } from 'node:child_process';

const bin = (name) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
const children = [
  spawn(bin('tsx'), ['watch', '--clear-screen=false', 'gateway/main.ts', ...process.argv.slice(2)], { stdio: 'inherit' }),
  spawn(bin('vite'), [], { stdio: 'inherit' }),
];
const stop = () => children.forEach((c) => c.kill('SIGTERM'));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const c of children) c.on('exit', (code) => {
  stop();
  process.exitCode = code ?? 0;
});
