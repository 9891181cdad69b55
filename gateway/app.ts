import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { Config } from './config.ts';
import { Hub } from './hub.ts';
import { TcpListener } from './tcp.ts';
import { WsGateway } from './ws.ts';
import { registerHttp } from './http.ts';
import type { Store } from './store/store.ts';
import { MemoryStore } from './store/memory-store.ts';
import { openSqliteStore } from './store/sqlite-store.ts';
import { formatSummary, type SummaryRow } from './summary.ts';

export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

export type SlckServer = {
  app: FastifyInstance;
  hub: Hub;
  tcp: TcpListener;
  ws: WsGateway;
  /** Bind both ports. Resolves with the ports actually bound (useful with port 0). */
  listen(): Promise<{ httpPort: number; tcpPort: number }>;
  /** Graceful stop: BYE to everyone, close, and the per-user summary. */
  close(): Promise<SummaryRow[]>;
};

export function makeLogger(config: Pick<Config, 'logLevel' | 'logFile'> & Partial<Pick<Config, 'logFormat'>>): Logger {
  // A person at a terminal reads lines; a collector (and the log file) gets JSON.
  const toConsole = config.logFormat === 'pretty'
    ? pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', sync: true })
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

export function openStore(config: Pick<Config, 'dataDir'>): Store {
  return config.dataDir === null ? new MemoryStore() : openSqliteStore(config.dataDir);
}

/**
 * Build the whole server without listening: Fastify app, hub, TCP listener and WebSocket
 * gateway. Fastify's lifecycle starts the TCP listener (onReady) and stops everything
 * (preClose / onClose).
 */
export async function buildApp(config: Config, deps: { logger?: Logger; store?: Store } = {}): Promise<SlckServer> {
  const logger = deps.logger ?? makeLogger(config);
  const store = deps.store ?? openStore(config);
  const app: FastifyInstance = Fastify({
    loggerInstance: logger as unknown as FastifyBaseLogger, forceCloseConnections: true,
    // One log line per HTTP request is noise for a chat server; connections are logged instead.
    logController: new LogController({ disableRequestLogging: true }),
  });
  const hub = new Hub({ store, log: logger, version: VERSION, maxOutbound: config.maxOutbound, claimsPerHour: config.claimsPerHour });
  const tcp = new TcpListener(hub);
  const ws = new WsGateway(hub, { allowedOrigins: config.allowedOrigins, heartbeatMs: config.heartbeatMs });
  let summary: SummaryRow[] = [];

  app.server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/ws') ws.handleUpgrade(req, socket, head);
    else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  app.get('/healthz', async () => ({
    status: 'ok',
    version: VERSION,
    store: store.description,
    users: hub.users.size,
    connections: { tcp: tcp.connections, ws: ws.connections },
    uptimeSeconds: Math.round(process.uptime()),
  }));

  await registerHttp(app, config.webRoot);

  app.addHook('onReady', async () => {
    const addr = await tcp.listen(config.host, config.tcpPort);
    app.log.info({ tcpPort: addr.port }, `SLCK TCP listening on ${addr.address}:${addr.port}`);
  });
  app.addHook('preClose', async () => {
    summary = hub.shutdown();
    await Promise.all([tcp.close(), ws.close()]);
    app.log.info(`connection summary\n${formatSummary(summary)}`);
  });
  app.addHook('onClose', async () => {
    store.close();
  });

  return {
    app, hub, tcp, ws,
    async listen() {
      await app.listen({ host: config.host, port: config.httpPort });
      const http = app.server.address();
      const httpPort = typeof http === 'object' && http ? http.port : config.httpPort;
      return { httpPort, tcpPort: tcp.address!.port };
    },
    async close() {
      await app.close();
      return summary;
    },
  };
}
