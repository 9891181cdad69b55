/**
 * File uploads, measured: `npx tsx bench/files-upload.ts [-- options]`.
 *
 * A fresh server (`gateway/main.ts`, or the build with --built, a child process on 127.0.0.1,
 * SQLite and files in a temp directory) gets --uploads concurrent uploads of --mib MiB each
 * (multipart, streamed, one claimed user with a session token). Reports the throughput (all
 * bytes over the wall time, from the first byte sent to the last 201) and the server's
 * resident memory: before (after one warm-up upload), its peak while the uploads run (sampled
 * from /proc every 20 ms), and the growth. The issue's targets: >= 200 MB/s on disk, RSS
 * growth <= 50 MB.
 *
 * Options: --uploads 10 --mib 25 --built --postgres (files in a real PostgreSQL, as several
 * nodes keep them: the server gets --database-url and --redis-url of fresh test servers)
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { runServer, TestClient } from '../gateway/test/support/client.ts';
import { startPostgres, startRedis } from '../gateway/test/support/services.ts';

const { values: opts } = parseArgs({
  options: {
    uploads: { type: 'string', default: '10' }, mib: { type: 'string', default: '25' }, built: { type: 'boolean', default: false },
    postgres: { type: 'boolean', default: false },
  },
});
const uploads = Number(opts.uploads);
const bytes = Number(opts.mib) * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x5a);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slck-bench-files-'));
const services = opts.postgres ? await Promise.all([startPostgres(), startRedis()]) : null;
const cluster = services === null ? [] : ['--database-url', services[0].url, '--redis-url', services[1].url];
const server = runServer(['--data-dir', dir, '--tcp-port', '0', '--http-port', '0', '--log-level', 'warn', '--max-file-size', `${opts.mib}M`, ...cluster],
  // As `npm start` runs it: a small young generation (package.json).
  { entry: ['--max-semi-space-size=2', ...(opts.built ? ['dist/server/main.js'] : ['--import', 'tsx', 'gateway/main.ts'])] });
await server.waitOutput((s) => /web app:\s+http:\/\/[^\s:]+:(\d+)/.test(s) && /telnet:\s+telnet \S+ (\d+)/.test(s));
const httpPort = Number(/web app:\s+http:\/\/[^\s:]+:(\d+)/.exec(server.stdout())![1]);
const tcpPort = Number(/telnet:\s+telnet \S+ (\d+)/.exec(server.stdout())![1]);

const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${server.proc.pid}/status`, 'utf8'))![1]) * 1024;

function upload(token: string, size: number): Promise<number> {
  const boundary = 'bench-boundary';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: httpPort, method: 'POST', path: '/files',
      headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + size + tail.length },
    }, (res) => {
      res.resume().on('end', () => (res.statusCode === 201 ? resolve(size) : reject(new Error(`upload answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.write(head);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const n = Math.min(CHUNK.length, size - sent);
        sent += n;
        if (!req.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end(tail);
    };
    pump();
  });
}

try {
  const c = await TestClient.user(tcpPort, '@bench b3nch-pass');
  const token = (await c.cmd('TOKEN'))[0].split(' ')[1];
  await upload(token, 1024 * 1024);
  const before = rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), 20);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: uploads }, () => upload(token, bytes)));
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const mb = (n: number) => (n / 1e6).toFixed(1);
  console.log(`${uploads} concurrent uploads of ${opts.mib} MiB (${opts.built ? 'built server' : 'sources via tsx'}), ${services === null ? `files on disk in ${os.tmpdir()}` : 'files in PostgreSQL'}`);
  console.log(`throughput: ${mb((uploads * bytes) / seconds)} MB/s (${seconds.toFixed(2)} s for ${mb(uploads * bytes)} MB)`);
  console.log(`server RSS: ${mb(before)} MB before, ${mb(peak)} MB at peak, growth ${mb(peak - before)} MB`);
  c.destroy();
} finally {
  server.proc.kill('SIGTERM');
  await server.exited;
  fs.rmSync(dir, { recursive: true, force: true });
  await Promise.all(services?.map((s) => s.stop()) ?? []);
}
