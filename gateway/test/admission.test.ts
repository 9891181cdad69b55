/**
 * Who gets a connection and for how long (spec §7, "Connections"), over real sockets: the
 * per-address cap counted across TCP and WebSocket, its exemption list, the global cap that
 * leaves room for /healthz, and the two clocks that close a connection holding a slot without
 * using it (no REG; a line or body left unfinished).
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FALLBACK_FD_LIMIT, FD_HEADROOM, defaultMaxConnections, softFdLimit } from '../limits/admission.ts';
import { perTestServer } from './support/per-test-server.ts';

const WAIT_MS = 10_000;

const { start, track } = perTestServer();

/**
 * A bare TCP or WebSocket peer that keeps what it receives as one string, from any local
 * address (the whole of 127.0.0.0/8 is loopback on Linux, so 127.0.0.2 is another address).
 */
class Peer {
  text = '';
  closed = false;
  private wakers = new Set<() => void>();
  private constructor(
    private readonly sendBytes: (s: string) => void,
    readonly destroy: () => void,
  ) {
    track(this);
  }

  static tcp(port: number, localAddress = '127.0.0.1'): Promise<Peer> {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    const p = new Peer((s) => void socket.write(s), () => socket.destroy());
    socket.on('data', (b) => p.got(b.toString('latin1')));
    socket.on('error', () => {}); // shows as 'close'
    socket.on('close', () => p.ended());
    return new Promise((ok, fail) => {
      socket.once('connect', () => ok(p));
      socket.once('error', fail);
    });
  }

  static ws(url: string, localAddress = '127.0.0.1'): Promise<Peer> {
    const ws = new WebSocket(url, { localAddress });
    const p = new Peer((s) => ws.send(s), () => ws.terminate());
    ws.on('message', (b: Buffer) => p.got(b.toString('latin1')));
    ws.on('error', () => {});
    ws.on('close', () => p.ended());
    return new Promise((ok, fail) => {
      ws.once('open', () => ok(p));
      ws.once('error', fail);
    });
  }

  send(s: string): void {
    this.sendBytes(s);
  }

  /** The first line the server sent (HELLO, or the ERR of a refusal). */
  async first(): Promise<string> {
    await this.waitFor(() => this.text.includes('\r\n'), 'a first line');
    return this.text.split('\r\n')[0];
  }

  /** Send a command and wait for `expected` among what was received. */
  async expect(send: string, expected: string): Promise<void> {
    this.send(send);
    await this.waitFor(() => this.text.includes(expected), JSON.stringify(expected));
  }

  waitClosed(): Promise<void> {
    return this.waitFor(() => this.closed, 'the server to close the connection');
  }

  waitFor(done: () => boolean, what: string): Promise<void> {
    return new Promise((ok, fail) => {
      const wake = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.wakers.delete(wake);
        ok();
      };
      const timer = setTimeout(() => {
        this.wakers.delete(wake);
        fail(new Error(`timed out waiting for ${what}; ${this.closed ? 'closed' : 'open'}, got ${JSON.stringify(this.text)}`));
      }, WAIT_MS);
      this.wakers.add(wake);
      wake();
    });
  }

  private got(s: string): void {
    this.text += s;
    this.wake();
  }
  private ended(): void {
    this.closed = true;
    this.wake();
  }
  private wake(): void {
    for (const w of [...this.wakers]) w();
  }
}

const HELLO = /^HELLO slck /;
const PER_ADDRESS = /^ERR TOO_MANY_CONNECTIONS Too many connections from 127\.0\.0\.1 \(the limit is 2\); close one and try again$/;

/**
 * The first line of a connection opened once the server has taken note of one that ended:
 * the place is given back when the server sees the socket close, a few turns after the
 * client does, so a connection opened at once may still be refused. Tries a few times.
 */
async function admittedSoon(open: () => Promise<Peer>): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const p = await open();
    await p.waitFor(() => p.text.includes('\r\n') || p.closed, 'a first line');
    const line = await p.first();
    if (!line.startsWith('ERR') || attempt === 50) return line;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The refused peer got exactly one ERR line and nothing else, then was closed. */
async function refused(p: Peer, pattern: RegExp): Promise<void> {
  await p.waitClosed();
  expect(p.text.split('\r\n')).toEqual([expect.stringMatching(pattern), '']);
}

describe('connections per address', () => {
  it('counts TCP and WebSocket together; the next one gets one ERR and is closed', async () => {
    const { tcpPort, wsUrl } = await start({ maxConnectionsPerAddress: 2, connectionCapExempt: [] });
    const tcp = await Peer.tcp(tcpPort);
    const ws = await Peer.ws(wsUrl);
    expect(await tcp.first()).toMatch(HELLO);
    expect(await ws.first()).toMatch(HELLO);

    await refused(await Peer.tcp(tcpPort), PER_ADDRESS);
    await refused(await Peer.ws(wsUrl), PER_ADDRESS);

    // Another address has its own count; the two inside carry on.
    const other = await Peer.tcp(tcpPort, '127.0.0.2');
    expect(await other.first()).toMatch(HELLO);
    const otherWs = await Peer.ws(wsUrl, '127.0.0.2');
    expect(await otherWs.first()).toMatch(HELLO);
    await tcp.expect('PING still\r\n', 'PONG still\r\n');
    await ws.expect('PING still\r\n', 'PONG still\r\n');

    // A connection that ends gives its place back.
    tcp.destroy();
    await tcp.waitClosed();
    expect(await admittedSoon(() => Peer.ws(wsUrl))).toMatch(HELLO);
  });

  it('does not cap an address on the exemption list (a proxy in front of everyone)', async () => {
    const { tcpPort, wsUrl } = await start({ maxConnectionsPerAddress: 1, connectionCapExempt: ['127.0.0.1'] });
    const all = [await Peer.tcp(tcpPort), await Peer.ws(wsUrl), await Peer.tcp(tcpPort), await Peer.ws(wsUrl)];
    for (const p of all) expect(await p.first()).toMatch(HELLO);
    // An address not on the list is still capped.
    expect(await (await Peer.tcp(tcpPort, '127.0.0.2')).first()).toMatch(HELLO);
    const second = await Peer.tcp(tcpPort, '127.0.0.2');
    await refused(second, /^ERR TOO_MANY_CONNECTIONS Too many connections from 127\.0\.0\.2 \(the limit is 1\); /);
  });
});

describe('the global connection cap', () => {
  it('refuses chat connections cleanly at the cap while /healthz still answers', async () => {
    const { tcpPort, wsUrl, httpUrl } = await start({ maxConnections: 2, maxConnectionsPerAddress: 0 });
    const a = await Peer.tcp(tcpPort);
    const b = await Peer.ws(wsUrl, '127.0.0.2');
    expect(await a.first()).toMatch(HELLO);
    expect(await b.first()).toMatch(HELLO);

    const full = /^ERR SERVER_FULL The server is at its limit of 2 connections; try again later$/;
    await refused(await Peer.tcp(tcpPort, '127.0.0.3'), full);
    await refused(await Peer.ws(wsUrl, '127.0.0.3'), full);
    const health = await fetch(`${httpUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', store: 'ok', bus: 'none' });

    await a.expect('QUIT\r\n', 'BYE QUIT');
    await a.waitClosed();
    expect(await admittedSoon(() => Peer.tcp(tcpPort, '127.0.0.3'))).toMatch(HELLO);
  });
});

describe('a connection that holds a slot without using it', () => {
  it('is closed with BYE TIMEOUT when it leaves half a line (slowloris), over TCP and WebSocket', async () => {
    const { tcpPort, wsUrl } = await start({ lineTimeoutMs: 200 });
    // Connected and idle between lines since before the others started: idleness is fine.
    const idle = await Peer.tcp(tcpPort);
    await idle.expect('REG @idle\r\n', 'OK\r\n');

    const loris = await Peer.tcp(tcpPort);
    await loris.expect('REG @loris\r\n', 'OK\r\n');
    loris.send('MSG #gen');
    await loris.waitClosed();
    expect(loris.text).toMatch(/\r\nBYE TIMEOUT A line or message body was left unfinished for 0\.2 s\r\n$/);

    const ws = await Peer.ws(wsUrl);
    await ws.first();
    ws.send('PING hal');
    await ws.waitClosed();
    expect(ws.text).toMatch(/\r\nBYE TIMEOUT A line or message body was left unfinished for 0\.2 s\r\n$/);

    await idle.expect('PING still\r\n', 'PONG still\r\n');
    expect(idle.closed).toBe(false);
  });

  it('is closed with BYE TIMEOUT when a message body stops short', async () => {
    const { tcpPort } = await start({ lineTimeoutMs: 200 });
    const c = await Peer.tcp(tcpPort);
    await c.expect('REG @short\r\nJOIN #general\r\n', 'JOINED #general @short\r\nOK\r\n');
    c.send('MSG #general 10\r\nhel');
    await c.waitClosed();
    expect(c.text).toMatch(/\r\nBYE TIMEOUT A line or message body was left unfinished for 0\.2 s\r\n$/);
    expect(c.text).not.toContain('OK 1 ');
  });

  it('is closed with BYE TIMEOUT when it never registers', async () => {
    const { tcpPort, wsUrl } = await start({ registerTimeoutMs: 200 });
    // Registered before the others connected: it outlives their timeout and stays.
    const user = await Peer.tcp(tcpPort);
    await user.expect('REG @early\r\n', 'OK\r\n');

    const lurker = await Peer.tcp(tcpPort);
    expect(await lurker.first()).toMatch(HELLO);
    lurker.send('PING i-am-here\r\n'); // commands other than REG do not count
    await lurker.waitClosed();
    expect(lurker.text).toMatch(/\r\nPONG i-am-here\r\nBYE TIMEOUT No REG within 0\.2 s\r\n$/);

    const ws = await Peer.ws(wsUrl);
    await ws.waitClosed();
    expect(ws.text).toMatch(/^HELLO [^\r]*\r\nBYE TIMEOUT No REG within 0\.2 s\r\n$/);

    await user.expect('PING still\r\n', 'PONG still\r\n');
    expect(user.closed).toBe(false);
  });
});

describe('the default global cap', () => {
  const limits = (soft: string) =>
    'Limit                     Soft Limit           Hard Limit           Units     \n' +
    `Max processes             63448                63448                processes \n` +
    `Max open files            ${soft.padEnd(20)} 524288               files     \n`;

  it('is the soft descriptor limit of /proc/self/limits less the headroom', () => {
    expect(softFdLimit(limits('1024'))).toBe(1024);
    expect(softFdLimit(limits('unlimited'))).toBeNull();
    expect(softFdLimit('no such line')).toBeNull();
    expect(defaultMaxConnections(1024)).toBe(1024 - FD_HEADROOM);
    expect(defaultMaxConnections(100)).toBe(50); // a small limit keeps half for the rest
    expect(defaultMaxConnections(null)).toBe(FALLBACK_FD_LIMIT - FD_HEADROOM);
  });

  it('reads this process\'s own limit on Linux', () => {
    if (process.platform !== 'linux') return;
    const soft = softFdLimit();
    expect(soft).toBeGreaterThan(0);
    expect(defaultMaxConnections()).toBeLessThan(soft!);
  });
});
