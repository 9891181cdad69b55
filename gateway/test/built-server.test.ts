import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT, TestClient, runServer } from './support/client.ts';

// `npm start` runs the server built into plain JavaScript (scripts/build-server.mjs): no
// TypeScript loader or compiler in the serving process. Built here into a directory of its
// own (inside the checkout, so its imports resolve from node_modules), so the suite's copy
// in dist/server is never rewritten under other tests.

const outdir = join(ROOT, 'node_modules/.cache', `slck-built-test-${process.pid}`);
const dataDir = mkdtempSync(join(tmpdir(), 'slck-built-data-'));

beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build-server.mjs', '--outdir', outdir], { cwd: ROOT, stdio: 'pipe' });
}, 60_000);
afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

it('says the package version without its sources beside it', () => {
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  expect(execFileSync(process.execPath, [join(outdir, 'main.js'), '--version'], { cwd: tmpdir(), encoding: 'utf8' }).trim()).toBe(version);
});

it('serves telnet users with plain node, no tsx or TypeScript loaded', async () => {
  const server = runServer(['--tcp-port', '0', '--http-port', '0', '--data-dir', dataDir], { entry: [join(outdir, 'main.js')] });
  try {
    await server.waitOutput((s) => /telnet:\s+telnet \S+ \d+/.test(s));
    const tcpPort = Number(/telnet:\s+telnet \S+ (\d+)/.exec(server.stdout())![1]);
    const c = await TestClient.tcp(tcpPort);
    expect((await c.lines(1))[0]).toMatch(/^HELLO slck 1 /);
    expect(await c.cmd('REG @built')).toContain('OK');
    c.destroy();
    // tsx compiles through an esbuild service process of its own; the built server has none.
    const pid = server.proc.pid!;
    const children = readdirSync(`/proc/${pid}/task`)
      .flatMap((task) => readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/))
      .filter(Boolean);
    expect(children.map((c) => readFileSync(`/proc/${c}/comm`, 'utf8').trim())).toEqual([]);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).not.toContain('tsx');
  } finally {
    server.proc.kill('SIGTERM');
    await server.exited;
  }
});
