import { parseArgs } from 'node:util';

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
  webRoot: string;
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
  webRoot: 'dist/web',
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
  'web-root': { env: 'SLCK_WEB_ROOT', help: 'directory of the built web app', value: 'DIR' },
} as const;

export function usage(): string {
  const lines = ['Usage: npm start -- [options]   (or: tsx gateway/main.ts [options])', '', 'Options (environment variable in brackets):'];
  for (const [name, o] of Object.entries(OPTIONS)) {
    const flag = `--${name}${o.value ? ` ${o.value}` : ''}`;
    lines.push(`  ${flag.padEnd(26)} ${o.help} [${o.env}]`);
  }
  lines.push(`  ${'--help'.padEnd(26)} show this help`, `  ${'--version'.padEnd(26)} show the version`);
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

function oneOf<T extends string>(text: string, name: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) throw new Error(`--${name} must be one of ${allowed.join(', ')}, not "${text}"`);
  return text as T;
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
  if (v('web-root')) c.webRoot = v('web-root')!;
  return { config: c, help: values.help === true, version: values.version === true };
}
