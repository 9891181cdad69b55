import { buildApp, makeLogger, type SlckServer } from '../../app.ts';
import { DEFAULTS, type Config } from '../../config.ts';

export type TestServer = {
  httpUrl: string;
  wsUrl: string;
  tcpPort: number;
  httpPort: number;
  server: SlckServer;
  close(): Promise<void>;
};

/**
 * The real server on 127.0.0.1, for tests: ports default to 0 (free ports), the store to
 * memory (`dataDir: null`) unless a directory is given.
 */
export async function startServer(opts: Partial<Config> = {}): Promise<TestServer> {
  const config: Config = {
    ...DEFAULTS, host: '127.0.0.1', tcpPort: 0, httpPort: 0, dataDir: null, logLevel: 'silent', ...opts,
  };
  const server = await buildApp(config, { logger: makeLogger(config) });
  const { httpPort, tcpPort } = await server.listen();
  return {
    httpUrl: `http://127.0.0.1:${httpPort}`,
    wsUrl: `ws://127.0.0.1:${httpPort}/ws`,
    tcpPort,
    httpPort,
    server,
    async close() {
      await server.close();
    },
  };
}
