/**
 * The overload governor (overload.ts): while many recipients have deep fan-out queues the
 * server reads less from publishers, so what waits in it stays bounded. What a user sees:
 * a publisher's messages are slowed, never refused or reordered, and each is acknowledged
 * and delivered; a bystander is answered meanwhile; readers that never read are still cut
 * off by --max-outbound rather than holding everyone back; one deep reader alone holds
 * nobody. Then the governor's arithmetic on its own, with a clock of the test's.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../core/index.ts';
import type { Conn } from '../hub/conn.ts';
import { OverloadGovernor } from '../hub/overload.ts';
import type { Session } from '../transport/session.ts';
import { perTestServer } from './support/per-test-server.ts';
import { TestClient, type Received } from './support/client.ts';

const BODY = 60_000;
const MSGS = 200;
const body = (i: number) => `${String(i).padStart(6, '0')} ${'x'.repeat(BODY - 7)}`;
/** OKs that acknowledge a MSG (`OK id ts`), not those of REG and JOIN. */
const oks = (c: TestClient) => c.frames.filter((f) => !(f instanceof ProtocolError) && f.type === 'OK' && f.args.length === 2).length;
const isType = (type: string) => (f: Received) => !(f instanceof ProtocolError) && f.type === type;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const { start, user: signedIn } = perTestServer();

async function user(handle: string, ...channels: string[]): Promise<TestClient> {
  const c = await signedIn(handle, ...channels);
  // Out of #general, where every new user is put: its comings and goings are not the traffic
  // under test, and would reach the readers that have stopped reading.
  await c.ok('LEAVE #general');
  return c;
}

/** `n` members of #deep that stop reading, and a publisher in #deep that pipelines MSGS 60 KB messages. */
async function deepChannel(n: number): Promise<{ readers: TestClient[]; publisher: TestClient }> {
  const readers: TestClient[] = [];
  for (let i = 0; i < n; i++) readers.push(await user(`@reader${i}`, '#deep'));
  const publisher = await user('@publisher', '#deep');
  for (const r of readers) r.pause();
  let all = '';
  for (let i = 0; i < MSGS; i++) all += `MSG #deep ${BODY}\r\n${body(i)}`;
  publisher.write(all);
  return { readers, publisher };
}

describe('a publisher into many deep queues', () => {
  it('is held while they are deep, a bystander is answered, and then every message is acknowledged and delivered in order', async () => {
    // A bound no reader reaches here: only the governor is at work.
    const server = await start({ msgRate: 0, maxOutbound: 64 * 1024 * 1024 });
    const { readers, publisher } = await deepChannel(40);
    // Loopback holds a couple of MB per socket; past that, 40 readers' queues are deep.
    await publisher.waitFor(() => server.server.hub.overload.stats().held > 0, 'the publisher to be held');
    // MSGs that ran before the hold still get their OKs once their commit is done, and the
    // client reads them a little later: wait until its count settles.
    let heldAt = -1;
    for (let i = 0, still = 0; i < 50 && still < 3; i++) {
      still = oks(publisher) === heldAt ? still + 1 : 0;
      heldAt = oks(publisher);
      await sleep(100);
    }
    await sleep(150);
    expect(oks(publisher)).toBe(heldAt);
    expect(heldAt).toBeLessThan(MSGS);
    const bystander = await user('@bystander');
    expect(await bystander.cmd('PING still-there')).toEqual(['PONG still-there']);

    for (const r of readers) r.resume();
    await publisher.waitFor(() => oks(publisher) === MSGS, `${MSGS} OKs`, 30_000);
    for (const r of readers) {
      await r.waitFor(() => r.msgs.filter((m) => m.target === '#deep').length === MSGS, `${MSGS} messages`, 30_000);
      const seen = r.msgs.filter((m) => m.target === '#deep').map((m) => Number(Buffer.from(m.body.subarray(0, 6)).toString()));
      expect(seen).toEqual(Array.from({ length: MSGS }, (_, i) => i));
    }
    expect(publisher.frames.filter(isType('ERR'))).toEqual([]);
    expect(readers.flatMap((r) => r.frames.filter(isType('BYE')))).toEqual([]);
    expect(server.server.hub.overload.stats().held).toBe(0);
  }, 60_000);

  it('goes on when they never read: the readers are cut off as slow consumers instead', async () => {
    const server = await start({ msgRate: 0, maxOutbound: 4 * 1024 * 1024 });
    // The member who reads runs in a process of its own, as a user's client would: in this
    // busy process it would fall behind by itself and be cut off too.
    const watcher = watchInChild(server.tcpPort);
    await watcher.ready;
    const { publisher } = await deepChannel(40);
    // Held for about a second at most: the readers stop counting once they are seen not to read.
    await publisher.waitFor(() => oks(publisher) === MSGS, `${MSGS} OKs`, 30_000);
    expect(publisher.frames.filter(isType('ERR'))).toEqual([]);
    expect(await watcher.done).toEqual({ offline: 40, messages: MSGS, bye: 0 });
  }, 60_000);

  it('is not held for one deep reader alone', async () => {
    const server = await start({ msgRate: 0, maxOutbound: 64 * 1024 * 1024 });
    const { publisher } = await deepChannel(1);
    await publisher.waitFor(() => oks(publisher) === MSGS, `${MSGS} OKs`, 30_000);
    expect(server.server.hub.overload.stats().episodes).toBe(0);
  }, 60_000);
});

/**
 * @watcher in #deep, in a child process: it counts OFFLINE lines and #deep messages until it
 * has seen 40 and MSGS of them (or a BYE), and prints the counts.
 */
function watchInChild(port: number): { ready: Promise<void>; done: Promise<{ offline: number; messages: number; bye: number }> } {
  const script = `
    const net = require('node:net');
    const s = net.connect(${port}, '127.0.0.1');
    let buf = Buffer.alloc(0), offline = 0, messages = 0, bye = 0, joined = false;
    s.write('REG @watcher\\r\\nJOIN #deep\\r\\n');
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const nl = buf.indexOf(10);
        if (nl < 0) break;
        const line = buf.subarray(0, nl).toString().trim();
        const m = /^MSG (\\S+) \\S+ \\d+ \\S+ (\\d+)$/.exec(line);
        if (m) {
          const len = Number(m[2]);
          if (buf.length < nl + 1 + len) break;
          if (m[1] === '#deep') messages++;
          buf = buf.subarray(nl + 1 + len);
          continue;
        }
        buf = buf.subarray(nl + 1);
        if (line.startsWith('JOINED #deep @watcher') && !joined) { joined = true; console.log('ready'); }
        if (line.startsWith('OFFLINE ')) offline++;
        if (line.startsWith('BYE')) bye++;
      }
      if ((offline >= 40 && messages >= ${MSGS}) || bye > 0) {
        console.log(JSON.stringify({ offline, messages, bye }));
        process.exit(0);
      }
    });
    setTimeout(() => { console.log(JSON.stringify({ offline, messages, bye })); process.exit(0); }, 30000);
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const ready = new Promise<void>((ok) => child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('ready')) ok();
  }));
  const done = new Promise<{ offline: number; messages: number; bye: number }>((ok) =>
    child.on('close', () => ok(JSON.parse(out.trim().split('\n').pop()!))));
  return { ready, done };
}

describe('OverloadGovernor', () => {
  let time = 0;
  const fakeConn = (backlog: { n: number }) =>
    ({ closed: false, owed: 0, session: { get backlog() { return backlog.n; } } as unknown as Session }) as unknown as Conn;
  const opts = { highBytes: 1000, lowBytes: 200, perConnBytes: 300, floorBytes: 10, stuckMs: 100, checkMs: 1_000_000 };
  const check = (g: OverloadGovernor) => (g as unknown as { check(): void }).check();

  it('engages past the high mark, counting each connection up to its share, and lets go below the low one', async () => {
    time = 0;
    const g = new OverloadGovernor(opts, () => time);
    const b = Array.from({ length: 5 }, () => ({ n: 0 }));
    const conns = b.map(fakeConn);
    // One very deep connection counts for 300 only.
    b[0].n = 50_000;
    g.wrote(conns[0], b[0].n);
    expect(g.engaged).toBe(false);
    for (let i = 1; i < 4; i++) g.wrote(conns[i], (b[i].n = 300));
    expect(g.stats().counted).toBe(1200);
    expect(g.engaged).toBe(true);
    let resumed = 0;
    g.hold(() => resumed++);
    // Draining to between the marks: still held.
    for (let i = 1; i < 4; i++) b[i].n = 5;
    check(g);
    expect(g.stats().counted).toBe(300);
    expect(g.engaged).toBe(true);
    b[0].n = 150;
    check(g);
    expect(g.engaged).toBe(false);
    await sleep(1);
    expect(resumed).toBe(1);
    g.close();
  });

  it('stops counting a connection that stays backlogged without draining', async () => {
    time = 0;
    const g = new OverloadGovernor(opts, () => time);
    const b = Array.from({ length: 4 }, () => ({ n: 400 }));
    const conns = b.map(fakeConn);
    conns.forEach((c, i) => g.wrote(c, b[i].n));
    expect(g.engaged).toBe(true);
    let resumed = 0;
    g.hold(() => resumed++);
    time = 99;
    check(g);
    expect(g.engaged).toBe(true);
    time = 100;
    check(g);
    expect(g.stats()).toMatchObject({ counted: 0, backlogged: 4 });
    expect(g.engaged).toBe(false);
    await sleep(1);
    expect(resumed).toBe(1);
    // Stuck stays stuck, however much more is written to it, until it drains.
    g.wrote(conns[0], 5_000);
    expect(g.stats().counted).toBe(0);
    b[0].n = 0;
    check(g);
    g.wrote(conns[0], 400);
    expect(g.stats().counted).toBe(300);
    g.close();
  });
});
