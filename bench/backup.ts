/**
 * How long `npm run backup` takes on a store of 100,000 messages, with the server running
 * and with it stopped; how long the running server's PING answers wait meanwhile; and, in
 * this process, the copy alone and the longest turn of the event loop while it runs.
 *
 *   npx tsx bench/backup.ts [--messages 100000] [--body-bytes 120]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { openSqliteStore } from '../gateway/store/sqlite-store.ts';
import type { StoreWrite } from '../gateway/store/store.ts';
import { ROOT, TestClient, spawnServer } from '../gateway/test/support/client.ts';

const { values } = parseArgs({ options: { messages: { type: 'string' }, 'body-bytes': { type: 'string' } } });
const MESSAGES = Number(values.messages ?? 100_000);
const BODY_BYTES = Number(values['body-bytes'] ?? 120);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slck-bench-backup-'));
const dataDir = path.join(dir, 'data');

function fill(): void {
  const store = openSqliteStore(dataDir);
  const people = ['@jane', '@john', '@kim', '@lee'];
  void store.commit([...people.map((handle): StoreWrite => ({ op: 'addUser', handle })), { op: 'addChannel', name: '#general' }]);
  const body = new TextEncoder().encode('m'.repeat(BODY_BYTES));
  for (let done = 0; done < MESSAGES; done += 1000) {
    const batch: StoreWrite[] = [];
    for (let i = done; i < Math.min(MESSAGES, done + 1000); i++) {
      const target = i % 10 === 0 ? '@john' : '#general'; // a tenth are direct messages
      batch.push({ op: 'append', message: { target, from: people[i % 4], ts: new Date().toISOString(), body } });
    }
    void store.commit(batch);
  }
  void store.close();
}

function backup(dest: string): Promise<{ ms: number; stdout: string; code: number | null }> {
  const started = performance.now();
  return new Promise((ok) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'gateway/backup.ts', dest, '--data-dir', dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    p.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    p.on('close', (code) => ok({ ms: performance.now() - started, stdout, code }));
  });
}

try {
  let t = performance.now();
  fill();
  const size = fs.statSync(path.join(dataDir, 'slck.db')).size + (fs.statSync(path.join(dataDir, 'slck.db-wal'), { throwIfNoEntry: false })?.size ?? 0);
  console.log(`store: ${MESSAGES} messages of ${BODY_BYTES} bytes, ${(size / 1e6).toFixed(1)} MB, filled in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const server = await spawnServer(['--data-dir', dataDir, '--tcp-port', '0', '--http-port', '0', '--log-level', 'info', '--log-format', 'json']);
  try {
    // PINGs one after another while the backup runs: the longest wait is how long the copy held the server up.
    const probe = await TestClient.tcp(server.tcpPort);
    await probe.lines(1);
    let copying = true;
    const rtts: number[] = [];
    const pinging = (async () => {
      for (let i = 0; copying; i++) {
        t = performance.now();
        await probe.cmd(`PING p${i}`);
        rtts.push(performance.now() - t);
      }
    })();
    const online = await backup(path.join(dir, 'online.db'));
    copying = false;
    await pinging;
    probe.destroy();
    const logged = /"ms":(\d+),"msg":"backup written/.exec(server.stdout());
    console.log(`running server: command ${(online.ms / 1000).toFixed(2)} s end to end (exit ${online.code}), copy inside the server ${logged?.[1] ?? '?'} ms`);
    console.log(`  ${online.stdout.trim()}`);
    rtts.sort((a, b) => a - b);
    console.log(`  PING during it: ${rtts.length} answered, median ${rtts[Math.floor(rtts.length / 2)].toFixed(2)} ms, max ${rtts[rtts.length - 1].toFixed(2)} ms`);
  } finally {
    server.proc.kill('SIGTERM');
    await server.exited;
  }
  // In this process: the copy alone, and the longest the event loop waited between two turns
  // meanwhile, without a second process starting up beside it.
  const store = openSqliteStore(dataDir);
  for (let i = 0; i < 3; i++) {
    let last = performance.now();
    let longest = 0;
    let on = true;
    const turn = () => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      if (on) setImmediate(turn);
    };
    setImmediate(turn);
    t = performance.now();
    await store.backup(path.join(dir, `in-process-${i}.db`));
    on = false;
    console.log(`in process: copy ${(performance.now() - t).toFixed(0)} ms, longest event-loop turn meanwhile ${longest.toFixed(1)} ms`);
  }
  await store.close();

  const offline = await backup(path.join(dir, 'offline.db'));
  console.log(`stopped server: command ${(offline.ms / 1000).toFixed(2)} s end to end (exit ${offline.code})`);
  console.log(`  ${offline.stdout.trim()}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
