import { buildApp, makeLogger, VERSION } from './app.ts';
import { parseConfig, usage } from './config.ts';
import { formatSummary } from './hub/summary.ts';

/** Parse options, listen, and stop gracefully on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseConfig(process.argv.slice(2));
  } catch (e) {
    console.error(`slck: ${(e as Error).message}\n\n${usage()}`);
    process.exit(2);
  }
  if (parsed.help) {
    console.log(usage());
    return;
  }
  if (parsed.version) {
    console.log(VERSION);
    return;
  }
  const { config } = parsed;
  const logger = makeLogger(config);
  let server;
  try {
    server = await buildApp(config, { logger });
  } catch (e) {
    // A store that cannot open (unwritable directory, corrupt file) ends here, by name.
    console.error(`slck: cannot start: ${(e as Error).message}`);
    process.exit(1);
  }
  const { httpPort, tcpPort, tlsTcpPort } = await server.listen().catch((e: Error) => {
    console.error(`slck: cannot listen: ${e.message}`);
    process.exit(1);
  });
  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const tcpHost = shown === 'localhost' ? '127.0.0.1' : shown;
  console.log(
    `SLCK ${VERSION} is up.\n` +
      `  web app:  http${tlsTcpPort === null ? '' : 's'}://${shown}:${httpPort}\n` +
      `  telnet:   telnet ${tcpHost} ${tcpPort}\n` +
      (tlsTcpPort === null ? '' : `  telnet over TLS: openssl s_client -quiet -connect ${tcpHost}:${tlsTcpPort}\n`) +
      `  store:    ${server.store.description}\n` +
      `Press Ctrl-C to stop.`,
  );
  if (tlsTcpPort !== null) {
    // A renewed certificate (Let's Encrypt's deploy hook) is taken without a restart; open
    // connections keep the one they began with. Without TLS, SIGHUP keeps its usual meaning
    // (the terminal has gone), with the same graceful stop as SIGTERM (below).
    process.on('SIGHUP', () => {
      try {
        server.reloadTls();
      } catch (e) {
        logger.error({ err: (e as Error).message }, 'SIGHUP: TLS certificate not reloaded, the current one stays');
      }
    });
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // A console whose reader has gone (a closed pipe) must not keep the server from exiting.
    process.stdout.on('error', () => {});
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    try {
      logger.info({ signal }, 'signal received, shutting down');
      const rows = await server.close();
      // The summary is also logged; a pretty console log has shown it as a table already.
      const shown = config.logFormat === 'pretty' && logger.isLevelEnabled('info');
      if (!shown) console.log(`\n${formatSummary(rows)}`);
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  if (tlsTcpPort === null) process.on('SIGHUP', () => void stop('SIGHUP'));
}

void main();
