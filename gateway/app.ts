import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Server as HttpsServer } from 'node:https';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { PROTOCOL_VERSION } from '../core/index.ts';
import type { Config } from './config.ts';
import { Hub } from './hub/hub.ts';
import { Admission } from './limits/admission.ts';
import { HostCheck } from './transport/admission-host.ts';
import { TcpListener } from './transport/tcp.ts';
import { loadTls, type LoadedTls } from './transport/tls.ts';
import { WsGateway } from './transport/ws.ts';
import { TrustedProxies } from './transport/trusted-proxies.ts';
import { registerHttp } from './http/http.ts';
import { registerControl } from './control/control-server.ts';
import type { Store } from './store/store.ts';
import { MemoryStore } from './store/memory-store.ts';
import { redactUrl } from './store/redact-url.ts';
import { openSqliteStore } from './store/sqlite-store.ts';
import type { Bus } from './bus/bus.ts';
import type { Presence } from './presence/presence.ts';
import { MemoryPresence } from './presence/memory-presence.ts';
import { ChatService } from './chat/service.ts';
import { SignInLimits } from './limits/sign-in-limits.ts';
import { FloodControl } from './limits/flood.ts';
import { ServerMetrics, registerMetrics } from './http/metrics.ts';
import { formatSummary, type SummaryRow } from './hub/summary.ts';
import { Files } from './files/files.ts';
import { registerFiles } from './http/files.ts';

/** Set by the server build (scripts/build-server.mjs); from the sources, package.json says. */
declare const __SLCK_VERSION__: string | undefined;
export const VERSION: string = typeof __SLCK_VERSION__ === 'string'
  ? __SLCK_VERSION__
  : JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

export type SlckServer = {
  app: FastifyInstance;
  hub: Hub<ChatService>;
  chat: ChatService;
  store: Store;
  bus: Bus | null;
  tcp: TcpListener;
  /** The SLCK protocol over TLS, with a certificate; null without. */
  tlsTcp: TcpListener | null;
  ws: WsGateway;
  /** Shared files: their store, limits and access rule. */
  files: Files;
  /** Bind the ports. Resolves with the ports actually bound (useful with port 0). */
  listen(): Promise<{ httpPort: number; tcpPort: number; tlsTcpPort: number | null }>;
  /**
   * Read the certificate and key again and use them for new connections, HTTPS and the TLS
   * port alike; open connections keep going (SIGHUP). Throws, changing nothing, on a bad file.
   */
  reloadTls(): LoadedTls;
  /** Graceful stop: BYE to everyone, close, and the per-user summary. */
  close(): Promise<SummaryRow[]>;
};

export function makeLogger(config: Pick<Config, 'logLevel' | 'logFile'> & Partial<Pick<Config, 'logFormat'>>): Logger {
  // A person at a terminal reads lines; a collector (and the log file) gets JSON.
  // pino-pretty is loaded only for a terminal: a server logging JSON does not carry it (issue 16).
  const toConsole = config.logFormat === 'pretty'
    ? (createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty'))({ colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', sync: true })
    : pino.destination(1);
  // Each stream passes what the logger passes (a stream's own default would stop at info).
  const level = config.logLevel === 'silent' ? 'fatal' : (config.logLevel as pino.Level);
  const streams: pino.StreamEntry[] = [{ stream: toConsole, level }];
  // Seed 002: the log file is appended to, never truncated.
  if (config.logFile) {
    streams.push({ stream: pino.destination({ dest: config.logFile, append: true, mkdir: true, sync: true }), level });
  }
  return pino({ level: config.logLevel }, pino.multistream(streams));
}

export async function openStore(config: Pick<Config, 'dataDir' | 'databaseUrl'>): Promise<Store> {
  // PostgreSQL and Redis clients are loaded only by the nodes that use them: a single node
  // does not carry their code (about 30 MB of resident memory between them).
  if (config.databaseUrl !== null) return (await import('./store/postgres-store.ts')).openPostgresStore(config.databaseUrl);
  return config.dataDir === null ? new MemoryStore() : openSqliteStore(config.dataDir);
}

/** Redis for several nodes, or this process alone: the bus (none) and presence. */
async function openCluster(config: Config): Promise<{ bus: Bus | null; presence: Presence }> {
  if (config.redisUrl === null) return { bus: null, presence: new MemoryPresence(config.presenceTtlMs) };
  const opts = { nodeId: config.nodeId };
  const [{ RedisBus }, { RedisPresence }] = await Promise.all([import('./bus/redis-bus.ts'), import('./presence/redis-presence.ts')]);
  const [bus, presence] = await Promise.all([
    RedisBus.open(config.redisUrl, opts),
    RedisPresence.open(config.redisUrl, { ...opts, ttlMs: config.presenceTtlMs, beatMs: config.presenceHeartbeatMs, nodeTtlMs: config.nodeTimeoutMs }),
  ]);
  return { bus, presence };
}

/** What the log says of a certificate: enough to tell a renewed one from the old. */
const certificateLog = (t: LoadedTls) => ({ subject: t.subject, validTo: t.validTo, sha256: t.fingerprint });

/**
 * Build the whole server without listening: Fastify app, hub, TCP listener and WebSocket
 * gateway. Fastify's lifecycle starts the TCP listener (onReady) and stops everything
 * (preClose / onClose).
 */
export async function buildApp(config: Config, deps: { logger?: Logger; store?: Store } = {}): Promise<SlckServer> {
  const logger = deps.logger ?? makeLogger(config);
  const tlsFiles = config.tlsCert === null || config.tlsKey === null ? null : { cert: config.tlsCert, key: config.tlsKey };
  // Read before anything is opened: a missing or bad file stops the start, by name.
  const tlsAtStart = tlsFiles === null ? null : loadTls(tlsFiles);
  const store = deps.store ?? (await openStore(config));
  const { bus, presence } = await openCluster(config).catch(async (err: Error) => {
    await store.close();
    throw new Error(`Cannot use Redis at ${config.redisUrl === null ? '' : redactUrl(config.redisUrl)} (${err.message})`, { cause: err });
  });
  // Files live beside the store: in its PostgreSQL database (every node reads them), or under
  // the data dir (a temporary one with --memory).
  const files = await Files.open(config, {
    maxFileSize: config.maxFileSize, fileQuota: config.fileQuota, uploadsPerMinute: config.fileUploadRate,
    unsharedTtlMs: config.unsharedFileTtlMs, idleMs: config.lineTimeoutMs, log: logger,
  });
  await files.start().catch(async (err: Error) => {
    await store.close();
    throw err;
  });
  // One matcher for every door: Fastify (request.ip, request.protocol), /ws, the PROXY protocol.
  const trusted = new TrustedProxies(config.trustedProxies);
  const metrics = new ServerMetrics({ nodeId: config.nodeId, busHealthy: bus === null ? undefined : () => bus.healthy });
  const fastifyOptions = {
    loggerInstance: logger as unknown as FastifyBaseLogger, forceCloseConnections: true,
    // One log line per HTTP request is noise for a chat server; connections are logged instead.
    logController: new LogController({ disableRequestLogging: true }),
    // X-Forwarded-For and -Proto count from the trusted proxies only (proxy-addr walks the hops).
    trustProxy: (address: string) => trusted.trusts(address),
  };
  // With a certificate the HTTP port speaks HTTPS (and so WSS) only. Routes and hooks do not
  // care which: the instance is typed as the plain one.
  const app: FastifyInstance = tlsAtStart === null
    ? Fastify(fastifyOptions)
    : (Fastify({ ...fastifyOptions, https: tlsAtStart.options }) as unknown as FastifyInstance);
  // Failed-password counts are shared by every node, or an attacker gets a node's worth each.
  const signIn = config.redisUrl === null
    ? new SignInLimits({ claimsPerHour: config.claimsPerHour })
    : await (await import('./limits/sign-in-limits-redis.ts')).openRedisSignInLimits(config.redisUrl, { claimsPerHour: config.claimsPerHour, log: logger });
  // One set of guards: the hub delays MSGs by it, the chat rules cap channels by it.
  const flood = new FloodControl(config);
  // HELLO names the version of the protocol spoken (docs/PROTOCOL.md), not of the package.
  const hub = new Hub({
    log: logger, nodeId: config.nodeId, version: PROTOCOL_VERSION, maxOutbound: config.maxOutbound, flood, metrics,
    chat: (host) => new ChatService({
      store, presence, bus, nodeId: config.nodeId, host, log: logger, metrics, signIn, flood,
      requirePasswords: config.requirePasswords, admins: config.admins, committed: (event) => files.committed(event),
    }),
  });
  const chat = hub.chat;
  await chat.start();
  // One count for both transports: a cap per address that TCP and WebSocket each had in full
  // would be twice the cap.
  const admission = new Admission(config);
  const timeouts = { registerTimeoutMs: config.registerTimeoutMs, lineTimeoutMs: config.lineTimeoutMs };
  // The plain port reads a trusted proxy's PROXY preamble; the TLS port does not (its first
  // bytes are a TLS handshake: a proxy in front of it terminates TLS, or sends to the plain port).
  const tcp = new TcpListener(hub, { admission, timeouts, trusted });
  const tlsTcp = tlsAtStart === null ? null : new TcpListener(hub, { admission, timeouts, tls: tlsAtStart.options });
  const ws = new WsGateway(hub, {
    // The page people open is at the public URL, whatever Host a proxy in front passes on.
    allowedOrigins: config.publicUrl === null ? config.allowedOrigins : [...config.allowedOrigins, new URL(config.publicUrl).origin],
    heartbeatMs: config.heartbeatMs,
    hosts: new HostCheck(config.allowedHosts, config.publicUrl),
    admission,
    timeouts,
    trusted,
  });
  let summary: SummaryRow[] = [];
  let stopping = false;

  app.server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/ws') ws.handleUpgrade(req, socket, head);
    else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  // Anyone who reaches the port may ask, so the answer is up or not; what is behind it (the
  // store's path, counts) is in the log, or here for an operator who turns it on.
  const details = () => ({
    version: VERSION,
    protocol: PROTOCOL_VERSION,
    store: store.description,
    bus: bus === null ? 'none (one node)' : bus.healthy ? 'healthy' : 'reconnecting',
    node: config.nodeId,
    users: hub.users.size,
    connections: { tcp: tcp.connections, ...(tlsTcp && { tls: tlsTcp.connections }), ws: ws.connections, max: config.maxConnections },
    uptimeSeconds: Math.round(process.uptime()),
  });
  // A store across a network is asked at most once a second, however often /healthz is.
  let probed: { at: number; error: string | null } = { at: 0, error: null };
  const storeProblem = async (): Promise<string | null> => {
    if (store.probe !== undefined && Date.now() - probed.at > 1_000) {
      probed = { at: Date.now(), error: await store.probe().then(() => null, (e: Error) => e.message) };
    }
    if (probed.error !== null) return `store unreachable: ${probed.error}`;
    return store.lastFailure ? `store: ${store.lastFailure.message}` : null;
  };
  app.get('/healthz', async (_req, reply) => {
    // Unavailable while stopping, while the database cannot be reached, and while the store's
    // last commit failed (a full disk). A bus down is reported, but the node still serves:
    // it delivers by polling the store meanwhile.
    const storeIssue = await storeProblem();
    const problem = stopping ? 'shutting down' : storeIssue;
    const parts = { store: storeIssue === null ? 'ok' : 'unavailable', bus: bus === null ? 'none' : bus.healthy ? 'ok' : 'down' };
    const extra = config.healthDetails ? details() : {};
    if (problem === null) return { status: 'ok', ...parts, ...extra };
    app.log.warn({ problem, ...details() }, 'health check: unavailable');
    return reply.code(503).send({ status: 'unavailable', ...parts, ...extra });
  });

  registerMetrics(app, metrics, { enabled: config.metrics });
  await registerHttp(app, config.webRoot);
  await registerFiles(app, { files, chat });
  // SQLite: the control socket in the data dir, through which `npm run backup` asks for a copy.
  registerControl(app, store);

  app.addHook('onReady', async () => {
    const addr = await tcp.listen(config.host, config.tcpPort);
    app.log.info({ tcpPort: addr.port }, `SLCK TCP listening on ${addr.address}:${addr.port}`);
    if (tlsTcp !== null) {
      const tlsAddr = await tlsTcp.listen(config.host, config.tlsTcpPort);
      app.log.info({ tlsTcpPort: tlsAddr.port, certificate: certificateLog(tlsAtStart!) }, `SLCK TLS TCP listening on ${tlsAddr.address}:${tlsAddr.port}`);
    }
    app.log.info({ ...details(), maxConnectionsPerAddress: config.maxConnectionsPerAddress }, 'SLCK ready');
  });
  app.addHook('preClose', async () => {
    stopping = true;
    summary = await hub.shutdown();
    await Promise.all([tcp.close(), tlsTcp?.close(), ws.close()]);
    app.log.info(`connection summary\n${formatSummary(summary)}`);
  });
  app.addHook('onClose', async () => {
    chat.close();
    await Promise.allSettled([bus?.close(), presence.close(), chat.signIn.close()]);
    await files.close();
    await store.close();
  });

  return {
    app, hub, chat, store, bus, tcp, tlsTcp, ws, files,
    async listen() {
      await app.listen({ host: config.host, port: config.httpPort });
      const http = app.server.address();
      const httpPort = typeof http === 'object' && http ? http.port : config.httpPort;
      return { httpPort, tcpPort: tcp.address!.port, tlsTcpPort: tlsTcp?.address?.port ?? null };
    },
    reloadTls() {
      if (tlsFiles === null || tlsTcp === null) throw new Error('TLS is off (no --tls-cert and --tls-key): there is nothing to reload');
      const next = loadTls(tlsFiles);
      // Both take the same checked options, so neither can refuse what the other took.
      (app.server as unknown as HttpsServer).setSecureContext(next.options);
      tlsTcp.setSecureContext(next.options);
      app.log.info({ certificate: certificateLog(next) }, 'TLS certificate reloaded');
      return next;
    },
    async close() {
      await app.close();
      return summary;
    },
  };
}
