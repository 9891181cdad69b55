/**
 * Behind a reverse proxy, with real HAProxy and nginx on loopback: the per-address cap, the
 * session's address and the log see the client the proxy names (PROXY protocol v2 on the
 * TCP port; X-Forwarded-For and -Proto on /ws), and only when the proxy is in
 * --trusted-proxies. Clients come from 127.0.0.2 and 127.0.0.3 (all of 127/8 is loopback);
 * the proxies reach the server from 127.0.0.1, the one trusted address.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { type ClientOptions } from 'ws';
import { buildApp, type SlckServer } from '../app.ts';
import { DEFAULTS, type Config } from '../config.ts';
import { startHaproxy, startNginx, type TestProxy } from './support/proxies.ts';
import { makeCert, type TestCert } from './support/tls.ts';

const WAIT_MS = 10_000;
const HELLO = /^HELLO slck /;
const TOO_MANY = (address: string) => new RegExp(`^ERR TOO_MANY_CONNECTIONS Too many connections from ${address.replaceAll('.', '\\.')} \\(the limit is 1\\)`);

let dir = '';
let cert: TestCert;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'slck-proxies-'));
  cert = makeCert(dir, 'proxy');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const peers: Peer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.destroy();
});

/** What a bare client received, as one string; it can wait for a pattern or the close. */
class Peer {
  text = '';
  closed = false;
  private wakers = new Set<() => void>();
  private constructor(private readonly sendText: (s: string) => void, readonly destroy: () => void) {
    peers.push(this);
  }

  static tcp(port: number, localAddress: string): Promise<Peer> {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    const p = new Peer((s) => void socket.write(s), () => socket.destroy());
    socket.on('data', (b) => p.got(b.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => p.ended());
    return new Promise((ok, fail) => {
      socket.once('connect', () => ok(p));
      socket.once('error', fail);
    });
  }

  static ws(url: string, options: ClientOptions): Promise<Peer> {
    const ws = new WebSocket(url, options);
    const p = new Peer((s) => ws.send(s), () => ws.terminate());
    ws.on('message', (b: Buffer) => p.got(b.toString('latin1')));
    ws.on('error', () => {});
    ws.on('close', () => p.ended());
    return new Promise((ok, fail) => {
      ws.once('open', () => ok(p));
      ws.once('unexpected-response', (_req, res) => fail(new Error(`upgrade answered ${res.statusCode}`)));
      ws.once('error', fail);
    });
  }

  send(s: string): void {
    this.sendText(s);
  }

  private got(s: string): void {
    this.text += s;
    for (const w of [...this.wakers]) w();
  }

  private ended(): void {
    this.closed = true;
    for (const w of [...this.wakers]) w();
  }

  until(done: () => boolean, what: string): Promise<void> {
    return new Promise((ok, fail) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.wakers.delete(check);
        ok();
      };
      const timer = setTimeout(() => {
        this.wakers.delete(check);
        fail(new Error(`waited for ${what}; got ${JSON.stringify(this.text)}`));
      }, WAIT_MS);
      this.wakers.add(check);
      check();
    });
  }

  see(pattern: RegExp): Promise<void> {
    return this.until(() => pattern.test(this.text), String(pattern));
  }

  whenClosed(): Promise<void> {
    return this.until(() => this.closed, 'the close');
  }
}

type Running = { server: SlckServer; tcpPort: number; httpPort: number; log(): Array<Record<string, unknown>>; close(): Promise<void> };

/** The server with one connection per address, loopback not exempt, 127.0.0.1 trusted; its log as JSON lines. */
async function startBehindProxy(opts: Partial<Config> = {}): Promise<Running> {
  const logFile = join(mkdtempSync(join(dir, 'server-')), 'slck.log');
  const config: Config = {
    ...DEFAULTS, host: '127.0.0.1', tcpPort: 0, httpPort: 0, dataDir: null, logLevel: 'info',
    maxConnectionsPerAddress: 1, connectionCapExempt: [], trustedProxies: ['127.0.0.1'], ...opts,
  };
  const logger = pino({ level: 'info' }, pino.destination({ dest: logFile, sync: true }));
  const server = await buildApp(config, { logger });
  const { httpPort, tcpPort } = await server.listen();
  return {
    server, tcpPort, httpPort,
    log: () => readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
    close: async () => void (await server.close()),
  };
}

/**
 * The remote addresses the log's "connected" lines give, without ports; less 127.0.0.1, where
 * the helper's probe (is the proxy listening yet?) came from, itself passed on by the proxy.
 */
const connectedFrom = (r: Running) => r.log().filter((l) => l.msg === 'connected')
  .map((l) => String(l.remote).replace(/:[^:]*$/, '')).filter((a) => a !== '127.0.0.1');

describe('HAProxy in TCP mode with send-proxy-v2, in front of the TCP port', () => {
  let slck: Running;
  let haproxy: TestProxy;
  beforeAll(async () => {
    slck = await startBehindProxy();
    haproxy = await startHaproxy('tcp', slck.tcpPort);
  });
  afterAll(async () => {
    await haproxy?.close();
    await slck?.close();
  });

  it('counts each client by the address HAProxy names, and the log shows it', async () => {
    const ann = await Peer.tcp(haproxy.port, '127.0.0.2');
    await ann.see(HELLO);
    ann.send('REG @ann\r\n');
    await ann.see(/^OK\r\n/m);
    // Another address through the same proxy: a place of its own under a cap of 1.
    const bob = await Peer.tcp(haproxy.port, '127.0.0.3');
    await bob.see(HELLO);
    // ann's address again: its one place is taken, and the refusal names the client's address.
    const ann2 = await Peer.tcp(haproxy.port, '127.0.0.2');
    await ann2.see(TOO_MANY('127.0.0.2'));
    await ann2.whenClosed();
    expect(connectedFrom(slck)).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(slck.log().filter((l) => l.msg === 'connection refused').map((l) => String(l.remote))).toEqual([expect.stringMatching(/^127\.0\.0\.2:\d+$/)]);
  });

  it('does not take a PROXY line from a peer that is not trusted: it is an unknown command there', async () => {
    const eve = await Peer.tcp(slck.tcpPort, '127.0.0.4');
    await eve.see(HELLO);
    eve.send('PROXY TCP4 203.0.113.9 127.0.0.1 5555 8081\r\n');
    await eve.see(/\r\nERR \S+ [^\r]*\r\n/);
    eve.send('REG @eve\r\n');
    await eve.see(/\r\nOK\r\n/);
    expect(connectedFrom(slck)).toContain('127.0.0.4');
    expect(JSON.stringify(slck.log())).not.toContain('203.0.113.9');
  });

  it('takes a v1 preamble for an IPv6 client with the first command in the same packet, password check and all', async () => {
    const direct = await Peer.tcp(slck.tcpPort, '127.0.0.1');
    direct.send('PROXY TCP6 2001:db8::9 ::1 4000 8081\r\nREG @zed zed-password-1\r\nPING\r\n');
    await direct.see(/^HELLO slck [^\n]*\n(?:[^\n]*\n)*OK\r\n(?:[^\n]*\n)*PONG/);
    expect(slck.log().filter((l) => l.msg === 'connected').map((l) => l.remote)).toContain('2001:db8::9:4000');
  });

  it('closes a trusted peer\'s connection whose PROXY preamble is malformed, saying why in the log', async () => {
    const direct = await Peer.tcp(slck.tcpPort, '127.0.0.1');
    direct.send('PROXY TCP4 203.0.113.9 127.0.0.1 99999 8081\r\nREG @x\r\n');
    await direct.whenClosed();
    expect(direct.text).toBe('');
    expect(slck.log().filter((l) => l.msg === 'PROXY preamble refused: connection closed').map((l) => l.why)).toContain('PROXY v1 ports are not 0 to 65535');
  });

  it('closes a trusted peer\'s connection that does not open with a PROXY preamble, with a log line', async () => {
    const direct = await Peer.tcp(slck.tcpPort, '127.0.0.1');
    direct.send('REG @mallory\r\n');
    await direct.whenClosed();
    // Nothing was said: no HELLO, no session.
    expect(direct.text).toBe('');
    const refused = slck.log().filter((l) => l.msg === 'PROXY preamble refused: connection closed');
    expect(refused.map((l) => l.why)).toContain('the connection did not start with a PROXY protocol preamble');
  });
});

describe('HAProxy in TCP mode with send-proxy (v1), and the sign-in limits', () => {
  let slck: Running;
  let haproxy: TestProxy;
  beforeAll(async () => {
    slck = await startBehindProxy({ claimsPerHour: 1, maxConnectionsPerAddress: 50 });
    haproxy = await startHaproxy('tcp-v1', slck.tcpPort);
  });
  afterAll(async () => {
    await haproxy?.close();
    await slck?.close();
  });

  /** REG with a password through the proxy from `from`, claiming the handle; what it answered. */
  async function claim(from: string, handle: string): Promise<string> {
    const p = await Peer.tcp(haproxy.port, from);
    await p.see(HELLO);
    p.send(`REG ${handle} correct-horse-battery\r\n`);
    await p.see(/\r\n(OK|ERR [^\r]*)\r\n/);
    return /\r\n(OK|ERR [^\r]*)\r\n/.exec(p.text)![1];
  }

  it('counts new claims per client address: one client at its limit does not stop another', async () => {
    expect(await claim('127.0.0.2', '@ann')).toBe('OK');
    expect(await claim('127.0.0.2', '@abe')).toMatch(/^ERR RATE_LIMITED Too many new claims from your address; wait /);
    // Through the same proxy, another address has its own claim.
    expect(await claim('127.0.0.3', '@bob')).toBe('OK');
    expect(connectedFrom(slck)).toEqual(['127.0.0.2', '127.0.0.2', '127.0.0.3']);
  });
});

describe('HAProxy in HTTP mode with option forwardfor, in front of the web port', () => {
  let slck: Running;
  let haproxy: TestProxy;
  beforeAll(async () => {
    slck = await startBehindProxy();
    haproxy = await startHaproxy('http', slck.httpPort);
  });
  afterAll(async () => {
    await haproxy?.close();
    await slck?.close();
  });

  it('counts WebSocket clients by their X-Forwarded-For address, and serves the app through it', async () => {
    const res = await fetch(`http://127.0.0.1:${haproxy.port}/healthz`);
    expect(await res.json()).toMatchObject({ status: 'ok' });
    const url = `ws://127.0.0.1:${haproxy.port}/ws`;
    const ann = await Peer.ws(url, { localAddress: '127.0.0.2' });
    await ann.see(HELLO);
    const bob = await Peer.ws(url, { localAddress: '127.0.0.3' });
    await bob.see(HELLO);
    const ann2 = await Peer.ws(url, { localAddress: '127.0.0.2' });
    await ann2.see(TOO_MANY('127.0.0.2'));
    expect(connectedFrom(slck)).toEqual(['127.0.0.2', '127.0.0.3']);
  });
});

describe('nginx terminating TLS in front of the web port (WebSocket upgrade)', () => {
  let slck: Running;
  let nginx: TestProxy;
  beforeAll(async () => {
    slck = await startBehindProxy();
    nginx = await startNginx(slck.httpPort, cert);
  });
  afterAll(async () => {
    await nginx?.close();
    await slck?.close();
  });

  it('counts clients by the address nginx adds, not by one a client wrote into X-Forwarded-For', async () => {
    const url = `wss://127.0.0.1:${nginx.port}/ws`;
    const origin = `https://127.0.0.1:${nginx.port}`;
    // A forged header: nginx appends the real peer after it, and only that hop is believed.
    const ann = await Peer.ws(url, { localAddress: '127.0.0.2', ca: cert.pem, origin, headers: { 'X-Forwarded-For': '198.51.100.7' } });
    await ann.see(HELLO);
    ann.send('REG @ann\r\n');
    await ann.see(/\r\nOK\r\n/);
    const bob = await Peer.ws(url, { localAddress: '127.0.0.3', ca: cert.pem, origin });
    await bob.see(HELLO);
    const ann2 = await Peer.ws(url, { localAddress: '127.0.0.2', ca: cert.pem, origin });
    await ann2.see(TOO_MANY('127.0.0.2'));
    expect(connectedFrom(slck)).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(JSON.stringify(slck.log())).not.toContain('198.51.100.7');
  });

  it('takes X-Forwarded-Proto https: a page served over plain http may not open the session', async () => {
    const url = `wss://127.0.0.1:${nginx.port}/ws`;
    await expect(Peer.ws(url, { localAddress: '127.0.0.5', ca: cert.pem, origin: `http://127.0.0.1:${nginx.port}` })).rejects.toThrow('upgrade answered 403');
    const ok = await Peer.ws(url, { localAddress: '127.0.0.5', ca: cert.pem, origin: `https://127.0.0.1:${nginx.port}` });
    await ok.see(HELLO);
  });

  it('ignores X-Forwarded-For and -Proto from a peer that is not trusted', async () => {
    const url = `ws://127.0.0.1:${slck.httpPort}/ws`;
    const headers = { 'X-Forwarded-For': '203.0.113.50', 'X-Forwarded-Proto': 'https' };
    // The forged https would refuse an http page; it counts for nothing here.
    const eve = await Peer.ws(url, { localAddress: '127.0.0.6', origin: `http://127.0.0.1:${slck.httpPort}`, headers });
    await eve.see(HELLO);
    const eve2 = await Peer.ws(url, { localAddress: '127.0.0.6', headers: { 'X-Forwarded-For': '203.0.113.51' } });
    await eve2.see(TOO_MANY('127.0.0.6'));
    expect(connectedFrom(slck)).toContain('127.0.0.6');
    expect(JSON.stringify(slck.log())).not.toContain('203.0.113.5');
  });
});
