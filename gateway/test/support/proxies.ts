import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureInstalled, freePort } from './services.ts';

/**
 * Real HAProxy and nginx in front of a test server, from Debian's packages (installed with
 * apt-get when missing, as CI starts from a clean machine). Each runs in the foreground as a
 * child process, its configuration, pid file and logs in a temporary directory, listening on
 * a free port of 127.0.0.1. The configuration is the test's: docs/DEPLOY.md shows the same
 * directives.
 */

const HAPROXY = '/usr/sbin/haproxy';
const NGINX = '/usr/sbin/nginx';

export type TestProxy = {
  /** Where clients connect: 127.0.0.1:port. */
  port: number;
  /** What the proxy wrote to stderr (its errors), for a failing test's message. */
  output(): string;
  close(): Promise<void>;
};

async function start(what: string, proc: ChildProcess, port: number, dir: string, errorLog?: string): Promise<TestProxy> {
  let out = '';
  proc.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
  proc.stderr?.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<void>((ok) => proc.once('close', () => ok()));
  const output = () => out + (errorLog === undefined ? '' : (() => {
    try {
      return readFileSync(errorLog, 'utf8');
    } catch {
      return '';
    }
  })());
  const until = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${what} exited before it listened:\n${output()}`);
    if (await canConnect(port)) break;
    if (Date.now() > until) {
      proc.kill('SIGKILL');
      throw new Error(`${what} did not listen on ${port} within 15 s:\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    output,
    async close() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const killer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      ok(true);
    });
    s.once('error', () => ok(false));
  });
}

/**
 * HAProxy with one frontend and one backend server. `mode: 'tcp'` sends the PROXY protocol
 * v2 header (`send-proxy-v2`), `tcp-v1` the v1 line (`send-proxy`); `mode: 'http'` adds
 * X-Forwarded-For (`option forwardfor`) and passes WebSocket upgrades through.
 */
export async function startHaproxy(kind: 'tcp' | 'tcp-v1' | 'http', backendPort: number): Promise<TestProxy> {
  const mode = kind === 'http' ? 'http' : 'tcp';
  ensureInstalled([{ file: HAPROXY, pkg: 'haproxy' }]);
  const dir = mkdtempSync(join(tmpdir(), 'slck-haproxy-'));
  const port = await freePort();
  const backend = mode === 'tcp'
    ? `  mode tcp\n  server slck 127.0.0.1:${backendPort} ${kind === 'tcp-v1' ? 'send-proxy' : 'send-proxy-v2'}\n`
    : `  mode http\n  option forwardfor\n  http-request set-header X-Forwarded-Proto http\n  server slck 127.0.0.1:${backendPort}\n`;
  const cfg = `global
  pidfile ${join(dir, 'haproxy.pid')}
defaults
  mode ${mode}
  timeout connect 5s
  timeout client 1h
  timeout server 1h
  timeout tunnel 1h
frontend front
  bind 127.0.0.1:${port}
  default_backend slck
backend slck
${backend}`;
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, cfg);
  const proc = spawn(HAPROXY, ['-f', file, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return start('haproxy', proc, port, dir);
}

/**
 * nginx proxying /ws (the WebSocket upgrade) and everything else to the web port, over TLS
 * with the given certificate (it terminates TLS, as in front of a public site), adding
 * X-Forwarded-For and X-Forwarded-Proto.
 */
export async function startNginx(backendPort: number, tls: { cert: string; key: string }): Promise<TestProxy> {
  ensureInstalled([{ file: NGINX, pkg: 'nginx' }]);
  const dir = mkdtempSync(join(tmpdir(), 'slck-nginx-'));
  const port = await freePort();
  const errorLog = join(dir, 'error.log');
  const temp = (name: string) => `${name}_temp_path ${join(dir, name)};`;
  const cfg = `pid ${join(dir, 'nginx.pid')};
error_log ${errorLog} notice;
events { worker_connections 256; }
http {
  access_log off;
  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${tls.cert};
    ssl_certificate_key ${tls.key};
    location / {
      proxy_pass http://127.0.0.1:${backendPort};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_read_timeout 1h;
    }
  }
}
`;
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, cfg);
  const proc = spawn(NGINX, ['-c', file, '-p', dir, '-e', errorLog, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return start('nginx', proc, port, dir, errorLog);
}
