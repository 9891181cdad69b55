import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { nameProblem } from '../core/names.ts';
import { defaultMaxConnections } from './limits/admission.ts';
import { GUARD_DEFAULTS } from './limits/flood.ts';
import { PRESENCE_DEFAULTS } from './presence/presence.ts';

export type Config = {
  host: string;
  tcpPort: number;
  httpPort: number;
  /** Where the SQLite file lives; null keeps everything in memory (`--memory`). */
  dataDir: string | null;
  logFile: string | null;
  logLevel: string;
  /** How the console log looks: `pretty` lines for a person, or `json` for a collector. */
  logFormat: 'pretty' | 'json';
  maxOutbound: number;
  allowedOrigins: string[];
  heartbeatMs: number;
  /** New claimed handles one address may make per hour; 0 turns the limit off. */
  claimsPerHour: number;
  /** MSGs per second one connection may send once its burst is spent; 0: no limit (flood.ts). */
  msgRate: number;
  /** MSGs one connection may send at once before the rate applies; 0: no limit. */
  msgBurst: number;
  /** HISTORY, SEARCH and the other expensive reads (flood.ts) per second one connection may ask once its burst is spent; 0: no limit. */
  readRate: number;
  /** Those reads one connection may ask at once before the rate applies; 0: no limit. */
  readBurst: number;
  /** Claimed handles (with a password) not held to the message and channel-creation rates. */
  rateExempt: string[];
  /** Server admins (spec: SUSPEND): claimed handles only; a listed handle nobody has claimed is no admin until it is. */
  admins: string[];
  /** Channels one user may be in; 0: no limit. */
  maxChannelsPerUser: number;
  /** New channels one user may create per hour; 0: no limit. */
  channelCreateRate: number;
  /** Bytes of replies held unread for all connections, past which HISTORY waits; 0: no limit. */
  maxReplyMemory: number;
  /** Waiting on a full reply budget this long cuts off the biggest unread holder (no flag: tests shorten it). */
  replyStallMs: number;
  webRoot: string;
  /** Chat connections (TCP and WebSocket) in all; the default stays below `ulimit -n`. */
  maxConnections: number;
  /** Chat connections from one address; 0: no cap. */
  maxConnectionsPerAddress: number;
  /** IPs the per-address cap does not apply to: gateways that everyone comes through. */
  connectionCapExempt: string[];
  /**
   * Proxies (addresses or CIDRs) whose word on the client is taken: X-Forwarded-For and
   * X-Forwarded-Proto on HTTP and /ws, the PROXY protocol on the TCP ports. Nobody else's.
   */
  trustedProxies: string[];
  /** Close a connection that has not registered after this long; 0: never. */
  registerTimeoutMs: number;
  /** Close a connection that leaves a line or body unfinished this long; 0: never. */
  lineTimeoutMs: number;
  /** The address people use (`https://chat.example.com`): its host and origin are allowed. */
  publicUrl: string | null;
  /** Host names a WebSocket upgrade may name besides IP literals and localhost; `*`: any. */
  allowedHosts: string[];
  /** Whether /healthz shows the store, counts and version, or only ok / unavailable. */
  healthDetails: boolean;
  /** PostgreSQL for several nodes (with `redisUrl`); null: the SQLite or memory store. */
  databaseUrl: string | null;
  /** Redis for fan-out between nodes and presence (with `databaseUrl`). */
  redisUrl: string | null;
  /** This node's name among several: in logs, presence and /metrics. Unique per running node. */
  nodeId: string;
  /** Whether GET /metrics serves the Prometheus text format. */
  metrics: boolean;
  /** No guest handles: REG needs a password, which claims a new handle. */
  requirePasswords: boolean;
  /** PEM certificate (chain) and key: with both, HTTPS and WSS on the HTTP port and a TLS TCP port. */
  tlsCert: string | null;
  tlsKey: string | null;
  /** The SLCK protocol over TLS; a second port beside the plain one (IRC's 6667/6697), used only with a certificate. */
  tlsTcpPort: number;
  /** Several nodes: how long a user's presence entry lives unrefreshed; a dead node's users show OFFLINE once it runs out. */
  presenceTtlMs: number;
  /** Several nodes: how often a node renews its heartbeat key and checks that Redis still holds its presence. */
  presenceHeartbeatMs: number;
  /** Several nodes: a node silent this long counts as dead, and its guest handles may be taken elsewhere. */
  nodeTimeoutMs: number;
  /** Bytes one uploaded file may have (refused from Content-Length, or while it streams). */
  maxFileSize: number;
  /** Bytes one user's files may have in all. */
  fileQuota: number;
  /** Uploads one user may start per minute; 0: no limit. */
  fileUploadRate: number;
  /** A file no message shared within this long is removed (no flag: tests shorten it). */
  unsharedFileTtlMs: number;
};

export const DEFAULTS: Config = {
  host: '0.0.0.0',
  tcpPort: 8081,
  httpPort: 8080,
  dataDir: './data',
  logFile: null,
  logLevel: 'info',
  logFormat: process.stdout.isTTY ? 'pretty' : 'json',
  maxOutbound: 4 * 1024 * 1024,
  allowedOrigins: [],
  heartbeatMs: 30_000,
  claimsPerHour: 20,
  // Flood control and reply memory: one set of defaults, kept beside the code that uses them.
  ...GUARD_DEFAULTS,
  rateExempt: [],
  admins: [],
  webRoot: 'dist/web',
  maxConnections: defaultMaxConnections(),
  maxConnectionsPerAddress: 50,
  // A proxy on this machine brings everyone from loopback; a proxy elsewhere is added by hand.
  connectionCapExempt: ['127.0.0.1', '::1'],
  // None by default: a forwarded address from a peer nobody named is a claim anyone can make.
  trustedProxies: [],
  registerTimeoutMs: 60_000,
  lineTimeoutMs: 30_000,
  publicUrl: null,
  allowedHosts: [],
  healthDetails: false,
  databaseUrl: null,
  redisUrl: null,
  // Unique while it runs (host and process); a restarted node is a new one, and its old
  // presence entries expire by themselves.
  nodeId: `${hostname()}-${process.pid}`,
  metrics: true,
  requirePasswords: false,
  // Presence clocks for several nodes: presence/presence.ts and docs/CLUSTER.md say what each trades.
  ...PRESENCE_DEFAULTS,
  tlsCert: null,
  tlsKey: null,
  tlsTcpPort: 8082,
  maxFileSize: 25 * 1024 * 1024,
  fileQuota: 1024 * 1024 * 1024,
  fileUploadRate: 30,
  unsharedFileTtlMs: 10 * 60_000,
};

/** Each option: its flag, the environment variable behind it, and what it does. */
const OPTIONS = {
  host: { env: 'SLCK_HOST', help: 'address to listen on', value: 'ADDR' },
  'tcp-port': { env: 'SLCK_TCP_PORT', help: 'raw TCP (telnet) port; 0 picks a free one', value: 'PORT' },
  'http-port': { env: 'SLCK_HTTP_PORT', help: 'HTTP and WebSocket port; 0 picks a free one', value: 'PORT' },
  'data-dir': { env: 'SLCK_DATA_DIR', help: 'directory of the SQLite store (created if missing)', value: 'DIR' },
  memory: { env: 'SLCK_MEMORY', help: 'keep everything in memory: nothing survives a restart', value: '' },
  'log-file': { env: 'SLCK_LOG_FILE', help: 'also append the log to this file', value: 'FILE' },
  'log-level': { env: 'SLCK_LOG_LEVEL', help: 'fatal, error, warn, info, debug or silent', value: 'LEVEL' },
  'log-format': { env: 'SLCK_LOG_FORMAT', help: 'console log as pretty lines or json (default: pretty on a terminal)', value: 'FORMAT' },
  'max-outbound': { env: 'SLCK_MAX_OUTBOUND', help: 'bytes a client may leave unread before it is cut off', value: 'BYTES' },
  'allowed-origins': { env: 'SLCK_ALLOWED_ORIGINS', help: 'comma-separated origins allowed to open /ws besides the app\'s own', value: 'LIST' },
  'heartbeat-ms': { env: 'SLCK_HEARTBEAT_MS', help: 'WebSocket ping interval; a missed pong disconnects', value: 'MS' },
  'claims-per-hour': { env: 'SLCK_CLAIMS_PER_HOUR', help: 'new claimed (password) handles per address per hour; 0: no limit', value: 'N' },
  'msg-rate': { env: 'SLCK_MSG_RATE', help: 'messages per second per connection after its burst (more wait); 0: no limit', value: 'N' },
  'msg-burst': { env: 'SLCK_MSG_BURST', help: 'messages a connection may send at once before --msg-rate applies; 0: no limit', value: 'N' },
  'read-rate': { env: 'SLCK_READ_RATE', help: 'HISTORY, SEARCH, USRS, CHNS, UNREAD and the other expensive reads per second per connection after its burst (more wait); 0: no limit', value: 'N' },
  'read-burst': { env: 'SLCK_READ_BURST', help: 'those reads a connection may ask at once before --read-rate applies; 0: no limit', value: 'N' },
  'rate-exempt': { env: 'SLCK_RATE_EXEMPT', help: 'comma-separated claimed @handles (bots) without message, read or channel-creation rates', value: 'LIST' },
  admins: { env: 'SLCK_ADMINS', help: 'comma-separated claimed @handles who may moderate any channel and suspend users', value: 'LIST' },
  'max-channels-per-user': { env: 'SLCK_MAX_CHANNELS_PER_USER', help: 'channels one user may be in; 0: no limit', value: 'N' },
  'channel-create-rate': { env: 'SLCK_CHANNEL_CREATE_RATE', help: 'new channels one user may create per hour; 0: no limit', value: 'N' },
  'max-reply-memory': { env: 'SLCK_MAX_REPLY_MEMORY', help: 'bytes of replies held for slow readers in all, past which HISTORY waits; 0: no limit', value: 'BYTES' },
  'web-root': { env: 'SLCK_WEB_ROOT', help: 'directory of the built web app', value: 'DIR' },
  'max-connections': { env: 'SLCK_MAX_CONNECTIONS', help: 'chat connections in all (default: ulimit -n less room for HTTP and files)', value: 'N' },
  'max-connections-per-address': { env: 'SLCK_MAX_CONNECTIONS_PER_ADDRESS', help: 'chat connections from one IP address; 0: no cap', value: 'N' },
  'connection-cap-exempt': { env: 'SLCK_CONNECTION_CAP_EXEMPT', help: 'comma-separated IPs without a per-address cap (proxies), or none', value: 'LIST' },
  'trusted-proxies': { env: 'SLCK_TRUSTED_PROXIES', help: 'comma-separated proxy addresses or CIDRs whose X-Forwarded-For/-Proto (HTTP, /ws) and PROXY protocol (TCP ports, then required) name the client', value: 'LIST' },
  'register-timeout-ms': { env: 'SLCK_REGISTER_TIMEOUT_MS', help: 'close a connection that has not sent REG by then; 0: never', value: 'MS' },
  'line-timeout-ms': { env: 'SLCK_LINE_TIMEOUT_MS', help: 'close a connection that leaves a line or body unfinished that long; 0: never', value: 'MS' },
  'public-url': { env: 'SLCK_PUBLIC_URL', help: 'the URL people open; its host and origin may use /ws', value: 'URL' },
  'allowed-hosts': { env: 'SLCK_ALLOWED_HOSTS', help: 'comma-separated host names /ws answers to besides IPs and localhost', value: 'LIST' },
  'health-details': { env: 'SLCK_HEALTH_DETAILS', help: '/healthz also shows the store, counts and version', value: '' },
  'database-url': { env: 'SLCK_DATABASE_URL', help: 'postgres://… shared by several nodes (with --redis-url)', value: 'URL' },
  'redis-url': { env: 'SLCK_REDIS_URL', help: 'redis://… for fan-out between nodes and presence (with --database-url)', value: 'URL' },
  'node-id': { env: 'SLCK_NODE_ID', help: 'this node\'s name among several (default: host-pid)', value: 'NAME' },
  'presence-ttl-ms': { env: 'SLCK_PRESENCE_TTL_MS', help: 'several nodes: a user\'s presence lives this long unrefreshed; a dead node\'s users show OFFLINE after it', value: 'MS' },
  'presence-heartbeat-ms': { env: 'SLCK_PRESENCE_HEARTBEAT_MS', help: 'several nodes: how often a node renews its heartbeat and checks Redis still has its presence', value: 'MS' },
  'node-timeout-ms': { env: 'SLCK_NODE_TIMEOUT_MS', help: 'several nodes: a node silent this long counts as dead; its guest handles are free (docs/CLUSTER.md)', value: 'MS' },
  'require-passwords': { env: 'SLCK_REQUIRE_PASSWORDS', help: 'no guest handles: every REG needs a password (a new handle is claimed with it)', value: '' },
  'tls-cert': { env: 'SLCK_TLS_CERT', help: 'PEM certificate (full chain): HTTPS and WSS, and TLS on --tls-tcp-port (with --tls-key); SIGHUP reloads it', value: 'FILE' },
  'tls-key': { env: 'SLCK_TLS_KEY', help: 'PEM private key of --tls-cert', value: 'FILE' },
  'tls-tcp-port': { env: 'SLCK_TLS_TCP_PORT', help: `the SLCK protocol over TLS (default ${DEFAULTS.tlsTcpPort} with a certificate); 0 picks a free one`, value: 'PORT' },
  'max-file-size': { env: 'SLCK_MAX_FILE_SIZE', help: 'bytes one uploaded file may have (K, M, G suffixes; default 25M)', value: 'BYTES' },
  'file-quota': { env: 'SLCK_FILE_QUOTA', help: 'bytes one user\'s files may have in all (default 1G)', value: 'BYTES' },
  'file-upload-rate': { env: 'SLCK_FILE_UPLOAD_RATE', help: 'uploads one user may start per minute; 0: no limit (default 30)', value: 'N' },
  metrics: { env: 'SLCK_METRICS', help: 'serve Prometheus metrics at /metrics: on or off (default on)', value: 'ON|OFF' },
} as const;

export function usage(): string {
  const lines = ['Usage: npm start -- [options]   (or, once built: node dist/server/main.js [options])', '', 'Options (environment variable in brackets):'];
  for (const [name, o] of Object.entries(OPTIONS)) {
    const flag = `--${name}${o.value ? ` ${o.value}` : ''}`;
    lines.push(`  ${flag.padEnd(34)} ${o.help} [${o.env}]`);
  }
  lines.push(`  ${'--help'.padEnd(34)} show this help`, `  ${'--version'.padEnd(34)} show the version`);
  lines.push('', `Defaults: TCP ${DEFAULTS.tcpPort}, HTTP ${DEFAULTS.httpPort}, data in ${DEFAULTS.dataDir}, host ${DEFAULTS.host}.`);
  return lines.join('\n');
}

function port(text: string, name: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new Error(`--${name} must be a port number from 0 to 65535, not "${text}"`);
  return n;
}

function positive(text: string, name: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1) throw new Error(`--${name} must be a positive whole number, not "${text}"`);
  return n;
}

/** A whole number, 0 allowed (0 turns a limit off). */
function count(text: string, name: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text)) throw new Error(`--${name} must be a whole number (0 turns it off), not "${text}"`);
  return n;
}

/** A size in bytes, plain or with a binary K, M or G suffix (`25M`). */
function size(text: string, name: string): number {
  const m = /^(\d+)\s*([KMG])?(?:i?B)?$/i.exec(text.trim());
  const n = m === null ? NaN : Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] ?? ' ').toUpperCase());
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive number of bytes, such as 25M or 1G, not "${text}"`);
  return n;
}

const list = (text: string): string[] => text.split(',').map((s) => s.trim()).filter(Boolean);

function ips(text: string, name: string): string[] {
  if (text.trim().toLowerCase() === 'none') return [];
  const all = list(text);
  const bad = all.find((a) => isIP(a) === 0);
  if (bad !== undefined) throw new Error(`--${name} must be a comma-separated list of IP addresses (or none), not "${bad}"`);
  return all;
}

/** Addresses or CIDRs (`10.0.0.0/8`, `fd00::/8`), checked as `net.BlockList` will take them. */
function cidrs(text: string, name: string): string[] {
  if (text.trim().toLowerCase() === 'none') return [];
  const all = list(text);
  for (const entry of all) {
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address);
    const max = family === 6 ? 128 : 32;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max);
    if (family === 0 || !prefixOk || extra !== undefined) {
      throw new Error(`--${name} must be a comma-separated list of IP addresses or CIDRs (10.0.0.0/8, fd00::/8), or none, not "${entry}"`);
    }
  }
  return all;
}

function httpUrl(text: string, name: string): string {
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    // refused below
  }
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new Error(`--${name} must be an http:// or https:// URL, not "${text}"`);
  }
  return url.href;
}

/** A comma-separated list of @handles. */
function handles(text: string, name: string): string[] {
  const list = text.split(',').map((h) => h.trim()).filter(Boolean);
  for (const h of list) {
    if (nameProblem(h, 'handle') !== null) throw new Error(`--${name} must be comma-separated @handles, not "${h}"`);
  }
  return list;
}

function serviceUrl(text: string, name: string, protocols: string[]): string {
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    // refused below
  }
  if (url === null || !protocols.includes(url.protocol)) {
    // The text may hold a password: name the expected form, not the value.
    throw new Error(`--${name} must be a ${protocols[0]}// URL`);
  }
  return text;
}

function nodeName(text: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(text)) throw new Error(`--node-id must be 1 to 64 letters, digits, dots, dashes or underscores, not "${text}"`);
  return text;
}

function oneOf<T extends string>(text: string, name: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) throw new Error(`--${name} must be one of ${allowed.join(', ')}, not "${text}"`);
  return text as T;
}

/** The presence clocks must nest: several beats per node timeout, a node timeout within the presence TTL. */
function checkPresenceClocks(c: Config): void {
  if (c.presenceHeartbeatMs < 50) throw new Error(`--presence-heartbeat-ms must be at least 50, not ${c.presenceHeartbeatMs}`);
  if (c.nodeTimeoutMs < 2 * c.presenceHeartbeatMs) {
    throw new Error(`--node-timeout-ms (${c.nodeTimeoutMs}) must be at least twice --presence-heartbeat-ms (${c.presenceHeartbeatMs}): one late heartbeat must not make a node count as dead`);
  }
  if (c.presenceTtlMs < c.nodeTimeoutMs) {
    throw new Error(`--presence-ttl-ms (${c.presenceTtlMs}) must be at least --node-timeout-ms (${c.nodeTimeoutMs}): a slow node's users would show OFFLINE before it counts as dead`);
  }
}

export type Parsed = { config: Config; help: boolean; version: boolean };

/** CLI flags win over environment variables, which win over the defaults. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): Parsed {
  const options = Object.fromEntries(
    Object.entries(OPTIONS).map(([k, o]) => [k, { type: o.value ? ('string' as const) : ('boolean' as const) }]),
  );
  const { values } = parseArgs({
    args: argv,
    options: { ...options, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } },
    strict: true,
    allowPositionals: false,
  });
  const get = (name: keyof typeof OPTIONS): string | undefined => {
    const v = (values as Record<string, string | boolean | undefined>)[name];
    if (typeof v === 'string') return v;
    if (v === true) return 'true';
    const e = env[OPTIONS[name].env];
    return e === undefined || e === '' ? undefined : e;
  };
  const c: Config = { ...DEFAULTS };
  const v = (name: keyof typeof OPTIONS) => get(name);
  if (v('host')) c.host = v('host')!;
  if (v('tcp-port')) c.tcpPort = port(v('tcp-port')!, 'tcp-port');
  if (v('http-port')) c.httpPort = port(v('http-port')!, 'http-port');
  if (v('data-dir')) c.dataDir = v('data-dir')!;
  if (v('memory') === 'true' || v('memory') === '1') c.dataDir = null;
  if (v('log-file')) c.logFile = v('log-file')!;
  if (v('log-level')) c.logLevel = v('log-level')!;
  if (v('log-format')) c.logFormat = oneOf(v('log-format')!, 'log-format', ['pretty', 'json'] as const);
  if (v('max-outbound')) c.maxOutbound = positive(v('max-outbound')!, 'max-outbound');
  if (v('allowed-origins')) c.allowedOrigins = v('allowed-origins')!.split(',').map((s) => s.trim()).filter(Boolean);
  if (v('heartbeat-ms')) c.heartbeatMs = positive(v('heartbeat-ms')!, 'heartbeat-ms');
  if (v('claims-per-hour')) c.claimsPerHour = count(v('claims-per-hour')!, 'claims-per-hour');
  if (v('msg-rate')) c.msgRate = count(v('msg-rate')!, 'msg-rate');
  if (v('msg-burst')) c.msgBurst = count(v('msg-burst')!, 'msg-burst');
  if (v('read-rate')) c.readRate = count(v('read-rate')!, 'read-rate');
  if (v('read-burst')) c.readBurst = count(v('read-burst')!, 'read-burst');
  if (v('rate-exempt')) c.rateExempt = handles(v('rate-exempt')!, 'rate-exempt');
  if (v('admins')) c.admins = handles(v('admins')!, 'admins');
  if (v('max-channels-per-user')) c.maxChannelsPerUser = count(v('max-channels-per-user')!, 'max-channels-per-user');
  if (v('channel-create-rate')) c.channelCreateRate = count(v('channel-create-rate')!, 'channel-create-rate');
  if (v('max-reply-memory')) c.maxReplyMemory = count(v('max-reply-memory')!, 'max-reply-memory');
  if (v('web-root')) c.webRoot = v('web-root')!;
  if (v('max-connections')) c.maxConnections = positive(v('max-connections')!, 'max-connections');
  if (v('max-connections-per-address')) c.maxConnectionsPerAddress = count(v('max-connections-per-address')!, 'max-connections-per-address');
  if (v('connection-cap-exempt')) c.connectionCapExempt = ips(v('connection-cap-exempt')!, 'connection-cap-exempt');
  if (v('trusted-proxies')) c.trustedProxies = cidrs(v('trusted-proxies')!, 'trusted-proxies');
  if (v('register-timeout-ms')) c.registerTimeoutMs = count(v('register-timeout-ms')!, 'register-timeout-ms');
  if (v('line-timeout-ms')) c.lineTimeoutMs = count(v('line-timeout-ms')!, 'line-timeout-ms');
  if (v('public-url')) c.publicUrl = httpUrl(v('public-url')!, 'public-url');
  if (v('allowed-hosts')) c.allowedHosts = list(v('allowed-hosts')!);
  if (v('health-details') === 'true' || v('health-details') === '1') c.healthDetails = true;
  if (v('database-url')) c.databaseUrl = serviceUrl(v('database-url')!, 'database-url', ['postgres:', 'postgresql:']);
  if (v('redis-url')) c.redisUrl = serviceUrl(v('redis-url')!, 'redis-url', ['redis:', 'rediss:']);
  if ((c.databaseUrl === null) !== (c.redisUrl === null)) {
    throw new Error('--database-url and --redis-url go together: several nodes need both PostgreSQL and Redis');
  }
  if (v('require-passwords') === 'true' || v('require-passwords') === '1') c.requirePasswords = true;
  if (v('node-id')) c.nodeId = nodeName(v('node-id')!);
  if (v('presence-ttl-ms')) c.presenceTtlMs = positive(v('presence-ttl-ms')!, 'presence-ttl-ms');
  if (v('presence-heartbeat-ms')) c.presenceHeartbeatMs = positive(v('presence-heartbeat-ms')!, 'presence-heartbeat-ms');
  if (v('node-timeout-ms')) c.nodeTimeoutMs = positive(v('node-timeout-ms')!, 'node-timeout-ms');
  checkPresenceClocks(c);
  if (v('tls-cert')) c.tlsCert = v('tls-cert')!;
  if (v('tls-key')) c.tlsKey = v('tls-key')!;
  if ((c.tlsCert === null) !== (c.tlsKey === null)) {
    throw new Error('--tls-cert and --tls-key go together: TLS needs the certificate and its private key');
  }
  if (v('tls-tcp-port')) {
    if (c.tlsCert === null) throw new Error('--tls-tcp-port needs --tls-cert and --tls-key');
    c.tlsTcpPort = port(v('tls-tcp-port')!, 'tls-tcp-port');
  }
  if (v('max-file-size')) c.maxFileSize = size(v('max-file-size')!, 'max-file-size');
  if (v('file-quota')) c.fileQuota = size(v('file-quota')!, 'file-quota');
  if (v('file-upload-rate')) c.fileUploadRate = count(v('file-upload-rate')!, 'file-upload-rate');
  if (v('metrics')) c.metrics = oneOf(v('metrics')!.toLowerCase(), 'metrics', ['on', 'off'] as const) === 'on';
  return { config: c, help: values.help === true, version: values.version === true };
}
