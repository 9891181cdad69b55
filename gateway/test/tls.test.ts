/**
 * TLS, as people reach it: `openssl s_client` and Node's `tls` on the TLS TCP port beside a
 * plain telnet user, HTTPS and WSS on the HTTP port, TLS 1.1 refused, and a certificate
 * renewed by SIGHUP while a client stays connected. Certificates are made by `openssl` here.
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls, { type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMsg, runServer, TestClient, type Received } from './support/client.ts';
import { startServer, type TestServer } from './support/server.ts';
import { makeCert, Terminal, type TestCert } from './support/tls.ts';
import { fromUtf8 } from '../../core/index.ts';

const HELLO = /HELLO slck [^\n]*\n/;
/** A delivery in #general as a text client shows it (a person at a terminal may get the body set off). */
const delivered = (from: string, text: string) => new RegExp(`MSG #general ${from} \\d+ \\S+ \\d+\r\n[^\n]*${text}`);
const msgFrom = (from: string, text: string) => (f: Received) => isMsg(f) && f.from === from && fromUtf8(f.body).includes(text);

let dir = '';
let first: TestCert;
let second: TestCert;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'slck-tls-'));
  first = makeCert(dir, 'first');
  second = makeCert(dir, 'second');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a server with a certificate', () => {
  let server: TestServer;
  let tlsPort = 0;
  beforeAll(async () => {
    server = await startServer({ tlsCert: first.cert, tlsKey: first.key, tlsTcpPort: 0 });
    tlsPort = server.server.tlsTcp!.address!.port;
  });
  afterAll(() => server.close());

  it('talks SLCK to openssl s_client on the TLS port, beside a plain telnet user', async () => {
    const pat = await TestClient.user(server.tcpPort, '@pat');
    const sam = Terminal.openssl(tlsPort, first.cert);
    try {
      // The server speaks first, once the handshake is done, as on the plain port.
      await sam.see(HELLO);
      // Signing in puts a user in #general.
      sam.line('REG @sam');
      await sam.see(/^OK\r\nJOINED #general @sam\r\n/);
      sam.line('SAY #general hello over TLS');
      await sam.see(/OK \d+ /);
      await pat.until(msgFrom('@sam', 'hello over TLS'));
      await pat.ok('SAY #general hello in the clear');
      await sam.see(delivered('@pat', 'hello in the clear'));
      sam.line('QUIT');
      await sam.see(/BYE QUIT/);
      await sam.whenClosed();
      // -verify_return_error: the session ended because we quit, not on a certificate it doubted.
      expect(sam.stderr()).toContain('verify return:1');
    } finally {
      sam.close();
      pat.destroy();
    }
  });

  it('chats with Node\'s tls trusting the certificate, and refuses a client limited to TLS 1.1', async () => {
    const pat = await TestClient.user(server.tcpPort, '@pat2');
    const ada = await Terminal.tls(tlsPort, { ca: first.pem });
    try {
      expect(ada.socket.getProtocol()).toMatch(/^TLSv1\.[23]$/);
      expect(ada.socket.getPeerCertificate().fingerprint256).toBe(first.fingerprint);
      await ada.see(HELLO);
      ada.line('REG @ada');
      ada.line('MSG #general 5');
      ada.line('hello');
      await ada.see(/OK \d+ /);
      await pat.until(msgFrom('@ada', 'hello'));
      await pat.ok('SAY #general hi ada');
      await ada.see(delivered('@pat2', 'hi ada'));
      // Commands sent, then our side shut: every reply comes before the server's close.
      ada.line('USRS');
      ada.socket.end();
      await ada.see(/END USRS/);
      await ada.whenClosed();
    } finally {
      ada.close();
      pat.destroy();
    }

    // The client offers TLS 1.0 and 1.1 only (at OpenSSL's security level 0, where it still
    // may): the server answers with a protocol_version alert.
    const refused = await Terminal.tls(tlsPort, { ca: first.pem, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })
      .then(() => null, (e: NodeJS.ErrnoException) => e.code);
    expect(refused).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
  });

  it('serves HTTPS and WSS on the HTTP port', async () => {
    const health = await new Promise<{ status: number; body: string; cert: string }>((ok, fail) => {
      https.get(`https://127.0.0.1:${server.httpPort}/healthz`, { ca: first.pem, agent: false }, (res) => {
        const cert = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        let body = '';
        res.setEncoding('utf8').on('data', (s: string) => (body += s));
        res.on('end', () => ok({ status: res.statusCode!, body, cert }));
      }).on('error', fail);
    });
    expect(health).toEqual({ status: 200, body: '{"status":"ok","store":"ok","bus":"none"}', cert: first.fingerprint });

    const pat = await TestClient.user(server.tcpPort, '@pat3');
    const web = await TestClient.ws(`wss://127.0.0.1:${server.httpPort}/ws`, { ca: first.pem });
    try {
      await web.next();
      await web.ok('REG @web');
      await web.ok('SAY #general from a secure socket');
      await pat.until(msgFrom('@web', 'from a secure socket'));
    } finally {
      web.destroy();
      pat.destroy();
    }
  });
});

describe('the TLS port\'s admission', () => {
  it('counts with the plain port against one cap per address; the next one is refused over TLS', async () => {
    const server = await startServer({ tlsCert: first.cert, tlsKey: first.key, tlsTcpPort: 0, maxConnectionsPerAddress: 2, connectionCapExempt: [] });
    const tlsPort = server.server.tlsTcp!.address!.port;
    const plain = await TestClient.tcp(server.tcpPort);
    const secure = await Terminal.tls(tlsPort, { ca: first.pem });
    try {
      await plain.next();
      await secure.see(HELLO);
      const third = await Terminal.tls(tlsPort, { ca: first.pem });
      await third.whenClosed();
      expect(third.shown).toMatch(/^ERR TOO_MANY_CONNECTIONS Too many connections from 127\.0\.0\.1 \(the limit is 2\); [^\n]*\r\n$/);
    } finally {
      plain.destroy();
      secure.close();
      await server.close();
    }
  });
});

/** The SHA-256 fingerprint a new TLS connection to `port` is shown. */
function certificateSeen(port: number): Promise<string> {
  return new Promise((ok, fail) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      ok(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    });
    socket.on('error', fail);
  });
}

describe('SIGHUP', () => {
  it('swaps the certificate for new connections while a TLS client keeps chatting; a bad file keeps the old one', async () => {
    // The paths the server is given, as /etc/letsencrypt/live/<name>/ are: renewed in place.
    const cert = join(dir, 'live.crt');
    const key = join(dir, 'live.key');
    writeFileSync(cert, first.pem);
    writeFileSync(key, readFileSync(first.key));
    const server = runServer(['--memory', '--tcp-port', '0', '--http-port', '0', '--tls-tcp-port', '0', '--tls-cert', cert, '--tls-key', key]);
    try {
      await server.waitOutput((s) => /telnet over TLS: openssl s_client -quiet -connect 127\.0\.0\.1:\d+/.test(s));
      const out = server.stdout();
      expect(out).toMatch(/web app:\s+https:\/\//);
      const tlsPort = Number(/-connect 127\.0\.0\.1:(\d+)/.exec(out)![1]);
      const httpPort = Number(/web app:\s+https:\/\/[^\s:]+:(\d+)/.exec(out)![1]);
      const tcpPort = Number(/telnet:\s+telnet \S+ (\d+)/.exec(out)![1]);
      const reloads = () => (server.stdout().match(/TLS certificate reloaded/g) ?? []).length;

      const pat = await TestClient.user(tcpPort, '@pat');
      const ada = await Terminal.tls(tlsPort, { ca: [first.pem, second.pem] });
      expect(ada.socket.getPeerCertificate().fingerprint256).toBe(first.fingerprint);
      await ada.see(HELLO);
      ada.line('REG @ada');
      await ada.see(/JOINED #general @ada\r\n/);

      // Renewed: new files moved into place, then the signal (a deploy hook's two steps).
      writeFileSync(`${cert}.new`, second.pem);
      writeFileSync(`${key}.new`, readFileSync(second.key));
      renameSync(`${key}.new`, key);
      renameSync(`${cert}.new`, cert);
      server.proc.kill('SIGHUP');
      await server.waitOutput(() => reloads() === 1);
      expect(await certificateSeen(tlsPort)).toBe(second.fingerprint);
      expect(await certificateSeen(httpPort)).toBe(second.fingerprint);
      // The connection made before goes on, on the certificate it began with.
      ada.line('SAY #general still here');
      await pat.until(msgFrom('@ada', 'still here'));
      await pat.ok('SAY #general welcome back');
      await ada.see(delivered('@pat', 'welcome back'));

      // A half-written or wrong file: logged, and the certificate in use stays.
      writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
      server.proc.kill('SIGHUP');
      await server.waitOutput((s) => s.includes('TLS certificate not reloaded, the current one stays'));
      expect(server.stdout()).toContain(`${cert} is not a PEM certificate`);
      expect(await certificateSeen(tlsPort)).toBe(second.fingerprint);
      ada.line('SAY #general and still');
      await pat.until(msgFrom('@ada', 'and still'));
      const late = await Terminal.tls(tlsPort, { ca: second.pem });
      await late.see(HELLO);
      late.close();
      expect(reloads()).toBe(1);
      ada.close();
      pat.destroy();
    } finally {
      server.proc.kill('SIGTERM');
      await server.exited;
    }
  });

  it('a certificate that cannot be read stops the start, by name', async () => {
    const server = runServer(['--memory', '--tcp-port', '0', '--http-port', '0', '--tls-cert', join(dir, 'missing.crt'), '--tls-key', first.key]);
    expect((await server.exited).code).toBe(1);
    expect(server.stderr()).toContain(`slck: cannot start: cannot read the TLS certificate ${join(dir, 'missing.crt')}`);
  });
});
