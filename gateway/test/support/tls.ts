/**
 * TLS for tests: self-signed certificates made by `openssl` at run time, and the clients a
 * person uses to reach the TLS port (`openssl s_client`, or a program on Node's `tls`), seen
 * as the text they show.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import tls, { type ConnectionOptions, type TLSSocket } from 'node:tls';

export type TestCert = {
  cert: string;
  key: string;
  /** The certificate's PEM, to trust it as a CA. */
  pem: Buffer;
  /** SHA-256 fingerprint, as `getPeerCertificate().fingerprint256` shows it. */
  fingerprint: string;
};

/** A new self-signed certificate for 127.0.0.1 and localhost, valid one day, in `dir`/`name`.{crt,key}. */
export function makeCert(dir: string, name: string): TestCert {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert,
  ], { stdio: 'pipe' });
  const pem = readFileSync(cert);
  return { cert, key, pem, fingerprint: new X509Certificate(pem).fingerprint256 };
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * What a person at a text client sees, and what they type into it. `see` waits for a pattern
 * in the text not yet looked at, so the same line arriving twice is seen twice.
 */
export class Terminal {
  shown = '';
  closed = false;
  private at = 0;
  private readonly wakers = new Set<() => void>();
  private readonly input: (text: string) => void;
  private readonly hangUp: () => void;

  constructor(input: (text: string) => void, hangUp: () => void) {
    this.input = input;
    this.hangUp = hangUp;
  }

  /** `openssl s_client -quiet -connect 127.0.0.1:<port>`, verifying the server against `ca`. */
  static openssl(port: number, caFile: string): Terminal & { proc: ChildProcess; stderr(): string } {
    const proc = spawn('openssl', [
      's_client', '-quiet', '-connect', `127.0.0.1:${port}`, '-CAfile', caFile, '-verify_return_error', '-verify_ip', '127.0.0.1',
    ], { stdio: ['pipe', 'pipe', 'pipe'] });
    const t = new Terminal((s) => void proc.stdin!.write(s), () => proc.kill());
    let err = '';
    proc.stdout!.setEncoding('utf8').on('data', (s: string) => t.received(s));
    proc.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
    proc.on('close', () => t.ended());
    return Object.assign(t, { proc, stderr: () => err });
  }

  /** A program on Node's `tls`; resolves once the handshake is done. */
  static tls(port: number, options: ConnectionOptions): Promise<Terminal & { socket: TLSSocket }> {
    return new Promise((ok, fail) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ...options });
      const t = new Terminal((s) => void socket.write(s), () => socket.destroy());
      socket.setEncoding('utf8').on('data', (s: string) => t.received(s));
      socket.on('close', () => t.ended());
      socket.once('secureConnect', () => {
        socket.off('error', fail);
        socket.on('error', () => {}); // a reset shows as 'close'
        ok(Object.assign(t, { socket }));
      });
      socket.once('error', fail);
    });
  }

  /** Type a line (LF, as `nc` and `s_client` send it). */
  line(text: string): void {
    this.input(`${text}\n`);
  }

  /** Wait for `pattern` in what arrived since the last match; returns the match. */
  see(pattern: RegExp, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RegExpExecArray> {
    return new Promise((ok, fail) => {
      const check = () => {
        const m = pattern.exec(this.shown.slice(this.at));
        if (m === null && !this.closed) return;
        clearTimeout(timer);
        this.wakers.delete(check);
        if (m === null) return fail(new Error(`closed before ${pattern} was shown; it showed:\n${this.shown}`));
        this.at += m.index + m[0].length;
        ok(m);
      };
      const timer = setTimeout(() => {
        this.wakers.delete(check);
        fail(new Error(`${pattern} not shown in ${timeoutMs} ms; it showed:\n${this.shown}`));
      }, timeoutMs);
      this.wakers.add(check);
      check();
    });
  }

  /** Resolves once the connection is gone. */
  whenClosed(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    return new Promise((ok, fail) => {
      const check = () => {
        if (!this.closed) return;
        clearTimeout(timer);
        this.wakers.delete(check);
        ok();
      };
      const timer = setTimeout(() => {
        this.wakers.delete(check);
        fail(new Error(`still open after ${timeoutMs} ms; it showed:\n${this.shown}`));
      }, timeoutMs);
      this.wakers.add(check);
      check();
    });
  }

  close(): void {
    this.hangUp();
  }

  private received(text: string): void {
    this.shown += text;
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
