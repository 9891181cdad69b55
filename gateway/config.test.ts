/**
 * Options: flags win over SLCK_* variables, which win over the defaults; a bad value is
 * refused with a sentence naming the flag, before anything starts.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS, parseConfig, usage } from './config.ts';

describe('options', () => {
  it('defaults to the seed\'s ports and a data directory beside the project', () => {
    const { config } = parseConfig([], {});
    expect(config).toMatchObject({ tcpPort: 8081, httpPort: 8080, dataDir: './data', host: '0.0.0.0' });
  });

  it('takes flags over environment variables', () => {
    const env = { SLCK_TCP_PORT: '9000', SLCK_HTTP_PORT: '9001', SLCK_LOG_FILE: 'env.log' };
    const { config } = parseConfig(['--tcp-port', '0', '--log-file', 'chat.log'], env);
    expect(config).toMatchObject({ tcpPort: 0, httpPort: 9001, logFile: 'chat.log' });
  });

  it('--memory keeps nothing on disk; so does SLCK_MEMORY=1', () => {
    expect(parseConfig(['--memory'], {}).config.dataDir).toBeNull();
    expect(parseConfig([], { SLCK_MEMORY: '1' }).config.dataDir).toBeNull();
  });

  it('reads lists and formats', () => {
    const { config } = parseConfig(['--allowed-origins', 'https://a.example, https://b.example', '--log-format', 'json'], {});
    expect(config.allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.logFormat).toBe('json');
  });

  it.each([
    [['--tcp-port', '70000'], '--tcp-port must be a port number from 0 to 65535, not "70000"'],
    [['--http-port', 'web'], '--http-port must be a port number from 0 to 65535, not "web"'],
    [['--max-outbound', '0'], '--max-outbound must be a positive whole number, not "0"'],
    [['--log-format', 'xml'], '--log-format must be one of pretty, json, not "xml"'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseConfig(argv, {})).toThrow(message);
  });

  it('refuses an unknown flag', () => {
    expect(() => parseConfig(['--tcp'], {})).toThrow(/Unknown option '--tcp'/);
  });

  it('--help lists every option with its variable', () => {
    const text = usage();
    for (const flag of ['--host', '--tcp-port', '--http-port', '--data-dir', '--memory', '--log-file', '--log-level', '--log-format', '--max-outbound', '--allowed-origins', '--heartbeat-ms', '--web-root']) {
      expect(text).toContain(flag);
    }
    expect(text).toContain('[SLCK_TCP_PORT]');
    expect(text).toContain(`TCP ${DEFAULTS.tcpPort}, HTTP ${DEFAULTS.httpPort}`);
  });
});
