/**
 * What one socket write costs on this machine, without SLCK: `npm run bench:load -- ...`
 * is bounded by it, so docs/PERFORMANCE.md quotes it. Run: `npx tsx bench/load/write-cost.ts`.
 *
 * 1,000 loopback TCP connections, their reading ends in two child processes (as the load
 * generator has them); the parent writes to every socket, waits 10 ms, and does it again,
 * counting its own CPU time (user + system) per socket written. Three ways to write K
 * frames of 100 bytes to one socket:
 *   - one frame (K = 1): what a fan-out of one message costs per recipient;
 *   - Buffer.concat of K frames, one write (what gateway/hub/hub.ts does);
 *   - cork, K writes, uncork (one writev, no copy).
 */
import net from 'node:net';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SOCKETS = 1000;
const ROUNDS = 50;

if (process.argv[2] === 'reader') {
  const port = Number(process.argv[3]);
  let open = 0;
  for (let i = 0; i < SOCKETS / 2; i++) {
    const s = net.connect(port, '127.0.0.1', () => {
      if (++open === SOCKETS / 2) process.send!('ready');
    });
    s.on('data', () => {});
    s.on('error', () => {});
  }
  process.on('disconnect', () => process.exit(0));
} else {
  const sockets: net.Socket[] = [];
  const server = net.createServer({ noDelay: true }, (s) => sockets.push(s));
  server.listen(0, '127.0.0.1', async () => {
    const port = (server.address() as net.AddressInfo).port;
    const self = fileURLToPath(import.meta.url);
    const readers = [0, 1].map(() => fork(self, ['reader', String(port)], { execArgv: ['--import', 'tsx'] }));
    await Promise.all(readers.map((r) => new Promise((ok) => r.once('message', ok))));
    while (sockets.length < SOCKETS) await new Promise((r) => setTimeout(r, 10));
    const slab = new ArrayBuffer(64 * 104);
    const frames = Array.from({ length: 64 }, (_, i) => new Uint8Array(slab, i * 104, 100));
    const ways: [string, number, (s: net.Socket, k: number) => void][] = [
      ['one 100-byte frame', 1, (s) => s.write(frames[0])],
      ['10 frames, Buffer.concat', 10, (s, k) => s.write(Buffer.concat(frames.slice(0, k), k * 100))],
      ['10 frames, cork/uncork', 10, (s, k) => {
        s.cork();
        for (let i = 0; i < k; i++) s.write(frames[i]);
        s.uncork();
      }],
      ['40 frames, Buffer.concat', 40, (s, k) => s.write(Buffer.concat(frames.slice(0, k), k * 100))],
      ['40 frames, cork/uncork', 40, (s, k) => {
        s.cork();
        for (let i = 0; i < k; i++) s.write(frames[i]);
        s.uncork();
      }],
    ];
    console.log(`CPU per socket written (${SOCKETS} sockets x ${ROUNDS} rounds, best of 3), node ${process.version}`);
    for (const [name, k, write] of ways) {
      let best = { user: Infinity, system: Infinity };
      for (let trial = 0; trial < 4; trial++) {
        const before = process.cpuUsage();
        for (let round = 0; round < ROUNDS; round++) {
          for (const s of sockets) write(s, k);
          await new Promise((r) => setTimeout(r, 10));
        }
        const used = process.cpuUsage(before);
        // The first trial warms up the JIT.
        if (trial > 0 && used.user + used.system < best.user + best.system) best = used;
      }
      const per = (us: number) => (us / (ROUNDS * SOCKETS)).toFixed(2);
      console.log(`  ${name.padEnd(26)} ${per(best.user + best.system)} us  (user ${per(best.user)}, system ${per(best.system)})`);
    }
    for (const r of readers) r.disconnect();
    for (const s of sockets) s.destroy();
    server.close();
  });
}
