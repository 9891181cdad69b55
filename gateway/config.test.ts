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

  it('reads the connection limits, timeouts and names /ws answers to', () => {
    expect(parseConfig([], {}).config).toMatchObject({
      maxConnectionsPerAddress: 50, connectionCapExempt: ['127.0.0.1', '::1'], registerTimeoutMs: 60_000,
      lineTimeoutMs: 30_000, publicUrl: null, allowedHosts: [], healthDetails: false,
    });
    expect(DEFAULTS.maxConnections).toBeGreaterThan(0);
    const { config } = parseConfig(
      ['--max-connections', '900', '--max-connections-per-address', '0', '--connection-cap-exempt', '10.0.0.1, ::ffff:10.0.0.2',
        '--register-timeout-ms', '0', '--line-timeout-ms', '5000', '--public-url', 'https://Chat.Example.com', '--health-details'],
      { SLCK_ALLOWED_HOSTS: 'a.example,b.example:8443', SLCK_MAX_CONNECTIONS: '10' },
    );
    expect(config).toMatchObject({
      maxConnections: 900, maxConnectionsPerAddress: 0, connectionCapExempt: ['10.0.0.1', '::ffff:10.0.0.2'],
      registerTimeoutMs: 0, lineTimeoutMs: 5000, publicUrl: 'https://chat.example.com/', allowedHosts: ['a.example', 'b.example:8443'],
      healthDetails: true,
    });
    expect(parseConfig(['--connection-cap-exempt', 'none'], {}).config.connectionCapExempt).toEqual([]);
    expect(parseConfig([], { SLCK_HEALTH_DETAILS: '1' }).config.healthDetails).toBe(true);
  });

  it.each([
    [['--max-connections', '0'], '--max-connections must be a positive whole number, not "0"'],
    [['--max-connections-per-address', 'lots'], '--max-connections-per-address must be a whole number (0 turns it off), not "lots"'],
    [['--connection-cap-exempt', '10.0.0.1,proxy.lan'], '--connection-cap-exempt must be a comma-separated list of IP addresses (or none), not "proxy.lan"'],
    [['--line-timeout-ms', '30s'], '--line-timeout-ms must be a whole number (0 turns it off), not "30s"'],
    [['--public-url', 'chat.example.com'], '--public-url must be an http:// or https:// URL, not "chat.example.com"'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseConfig(argv, {})).toThrow(message);
  });

  it('reads the flood and memory limits: message rate, channel caps, reply memory', () => {
    expect(parseConfig([], {}).config).toMatchObject({
      msgRate: 10, msgBurst: 50, rateExempt: [], maxChannelsPerUser: 200, channelCreateRate: 10, maxReplyMemory: 128 * 1024 * 1024,
    });
    const { config } = parseConfig(
      ['--msg-rate', '0', '--msg-burst', '200', '--rate-exempt', '@bot, @Bridge', '--max-channels-per-user', '0', '--max-reply-memory', '1048576'],
      { SLCK_CHANNEL_CREATE_RATE: '0', SLCK_MSG_RATE: '99' },
    );
    expect(config).toMatchObject({
      msgRate: 0, msgBurst: 200, rateExempt: ['@bot', '@Bridge'], maxChannelsPerUser: 0, channelCreateRate: 0, maxReplyMemory: 1048576,
    });
    expect(parseConfig([], { SLCK_MSG_RATE: '5', SLCK_RATE_EXEMPT: '@a' }).config).toMatchObject({ msgRate: 5, rateExempt: ['@a'] });
    for (const flag of ['--msg-rate', '--msg-burst', '--rate-exempt', '--max-channels-per-user', '--channel-create-rate', '--max-reply-memory']) {
      expect(usage()).toContain(flag);
    }
    expect(() => parseConfig(['--msg-rate', '2.5'], {})).toThrow('--msg-rate must be a whole number (0 turns it off), not "2.5"');
    expect(() => parseConfig(['--rate-exempt', '@bot,bot2'], {})).toThrow('--rate-exempt must be comma-separated @handles, not "bot2"');
    expect(parseConfig(['--admins', '@root, @Boss'], {}).config.admins).toEqual(['@root', '@Boss']);
    expect(parseConfig([], { SLCK_ADMINS: '@root' }).config.admins).toEqual(['@root']);
    expect(() => parseConfig(['--admins', 'root'], {})).toThrow('--admins must be comma-separated @handles, not "root"');
  });

  it('reads the read rate: HISTORY, USRS, CHNS and UNREAD per connection, 20 a second after a burst of 100', () => {
    expect(parseConfig([], {}).config).toMatchObject({ readRate: 20, readBurst: 100 });
    expect(parseConfig(['--read-rate', '0', '--read-burst', '500'], { SLCK_READ_RATE: '7' }).config).toMatchObject({ readRate: 0, readBurst: 500 });
    expect(parseConfig([], { SLCK_READ_RATE: '7', SLCK_READ_BURST: '30' }).config).toMatchObject({ readRate: 7, readBurst: 30 });
    for (const flag of ['--read-rate', '--read-burst', '[SLCK_READ_RATE]', '[SLCK_READ_BURST]']) expect(usage()).toContain(flag);
    expect(() => parseConfig(['--read-rate', 'fast'], {})).toThrow('--read-rate must be a whole number (0 turns it off), not "fast"');
    expect(() => parseConfig(['--read-burst', 'many'], {})).toThrow('--read-burst must be a whole number (0 turns it off), not "many"');
  });

  it('reads TLS: the certificate and key turn it on, the TLS TCP port defaults to 8082', () => {
    expect(parseConfig([], {}).config).toMatchObject({ tlsCert: null, tlsKey: null, tlsTcpPort: 8082 });
    expect(parseConfig(['--tls-cert', 'c.pem', '--tls-key', 'k.pem'], {}).config).toMatchObject({ tlsCert: 'c.pem', tlsKey: 'k.pem', tlsTcpPort: 8082 });
    const { config } = parseConfig(['--tls-tcp-port', '0', '--tls-key', '/etc/k.pem'], { SLCK_TLS_CERT: '/etc/c.pem', SLCK_TLS_KEY: 'env.pem', SLCK_TLS_TCP_PORT: '6697' });
    expect(config).toMatchObject({ tlsCert: '/etc/c.pem', tlsKey: '/etc/k.pem', tlsTcpPort: 0 });
    expect(parseConfig([], { SLCK_TLS_CERT: 'c.pem', SLCK_TLS_KEY: 'k.pem', SLCK_TLS_TCP_PORT: '6697' }).config.tlsTcpPort).toBe(6697);
    for (const flag of ['--tls-cert', '--tls-key', '--tls-tcp-port', '[SLCK_TLS_CERT]', '[SLCK_TLS_KEY]', '[SLCK_TLS_TCP_PORT]']) expect(usage()).toContain(flag);
  });

  it.each([
    [['--tls-cert', 'c.pem'], '--tls-cert and --tls-key go together: TLS needs the certificate and its private key'],
    [['--tls-key', 'k.pem'], '--tls-cert and --tls-key go together: TLS needs the certificate and its private key'],
    [['--tls-tcp-port', '6697'], '--tls-tcp-port needs --tls-cert and --tls-key'],
    [['--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--tls-tcp-port', 'tls'], '--tls-tcp-port must be a port number from 0 to 65535, not "tls"'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseConfig(argv, {})).toThrow(message);
  });

  it('reads the trusted proxies: addresses and CIDRs, IPv4 and IPv6, from the flag or SLCK_TRUSTED_PROXIES', () => {
    expect(parseConfig([], {}).config.trustedProxies).toEqual([]);
    expect(parseConfig(['--trusted-proxies', '10.0.0.0/8, 192.0.2.7,fd00::/8,::1'], {}).config.trustedProxies)
      .toEqual(['10.0.0.0/8', '192.0.2.7', 'fd00::/8', '::1']);
    expect(parseConfig([], { SLCK_TRUSTED_PROXIES: '127.0.0.1/32' }).config.trustedProxies).toEqual(['127.0.0.1/32']);
    expect(parseConfig(['--trusted-proxies', 'none'], { SLCK_TRUSTED_PROXIES: '127.0.0.1' }).config.trustedProxies).toEqual([]);
    expect(usage()).toContain('--trusted-proxies LIST');
    expect(usage()).toContain('[SLCK_TRUSTED_PROXIES]');
  });

  it.each([
    ['proxy.lan'],
    ['10.0.0.0/33'],
    ['fd00::/129'],
    ['10.0.0.0/'],
    ['10.0.0.0/8/8'],
    ['10.0.0.0/-1'],
  ])('refuses the trusted proxy %j', (entry) => {
    expect(() => parseConfig(['--trusted-proxies', `127.0.0.1,${entry}`], {}))
      .toThrow(`--trusted-proxies must be a comma-separated list of IP addresses or CIDRs (10.0.0.0/8, fd00::/8), or none, not "${entry}"`);
  });

  it('reads the presence clocks of several nodes: presence TTL, heartbeat, node timeout', () => {
    expect(parseConfig([], {}).config).toMatchObject({ presenceTtlMs: 20_000, presenceHeartbeatMs: 500, nodeTimeoutMs: 2_500 });
    const { config } = parseConfig(['--presence-ttl-ms', '60000', '--node-timeout-ms', '5000'], { SLCK_PRESENCE_HEARTBEAT_MS: '1000', SLCK_NODE_TIMEOUT_MS: '9000' });
    expect(config).toMatchObject({ presenceTtlMs: 60_000, presenceHeartbeatMs: 1_000, nodeTimeoutMs: 5_000 });
    for (const flag of ['--presence-ttl-ms', '--presence-heartbeat-ms', '--node-timeout-ms', '[SLCK_PRESENCE_TTL_MS]', '[SLCK_PRESENCE_HEARTBEAT_MS]', '[SLCK_NODE_TIMEOUT_MS]']) expect(usage()).toContain(flag);
  });

  it.each([
    [['--node-timeout-ms', 'soon'], '--node-timeout-ms must be a positive whole number, not "soon"'],
    [['--presence-ttl-ms', '0'], '--presence-ttl-ms must be a positive whole number, not "0"'],
    [['--presence-heartbeat-ms', '10'], '--presence-heartbeat-ms must be at least 50, not 10'],
    [['--presence-heartbeat-ms', '1000', '--node-timeout-ms', '1500'], '--node-timeout-ms (1500) must be at least twice --presence-heartbeat-ms (1000): one late heartbeat must not make a node count as dead'],
    [['--presence-ttl-ms', '2000'], '--presence-ttl-ms (2000) must be at least --node-timeout-ms (2500): a slow node\'s users would show OFFLINE before it counts as dead'],
  ])('refuses the presence clocks %j', (argv, message) => {
    expect(() => parseConfig(argv, {})).toThrow(message);
  });

  it('refuses an unknown flag', () => {
    expect(() => parseConfig(['--tcp'], {})).toThrow(/Unknown option '--tcp'/);
  });

  it('--help lists every option with its variable', () => {
    const text = usage();
    for (const flag of ['--host', '--tcp-port', '--http-port', '--data-dir', '--memory', '--log-file', '--log-level', '--log-format', '--max-outbound', '--allowed-origins', '--heartbeat-ms', '--web-root', '--max-connections', '--max-connections-per-address', '--connection-cap-exempt', '--register-timeout-ms', '--line-timeout-ms', '--public-url', '--allowed-hosts', '--health-details']) {
      expect(text).toContain(flag);
    }
    expect(text).toContain('[SLCK_TCP_PORT]');
    expect(text).toContain(`TCP ${DEFAULTS.tcpPort}, HTTP ${DEFAULTS.httpPort}`);
  });
});
