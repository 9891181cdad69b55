/**
 * The multi-node harness itself, on nodes that share nothing (`--memory`): it starts them,
 * reads their ports, kills and stops them, and leaves no process behind; and LoggedClient
 * logs what `check` needs, including sends cut off by a crash.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../core/index.ts';
import { TestClient } from '../support/client.ts';
import { LoggedClient, dmKey } from './chat-log.ts';
import { assertClean, check } from './checker.ts';
import { liveNodeProcesses, serverKnowsFlag, startCluster, type Cluster } from './test-cluster.ts';

async function ping(port: number, token: string): Promise<string[]> {
  const c = await TestClient.tcp(port);
  try {
    await c.until((f) => !(f instanceof ProtocolError) && f.type === 'HELLO');
    return await c.cmd(`PING ${token}`);
  } finally {
    c.destroy();
  }
}

const refused = (port: number) =>
  new Promise<string>((ok) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), ok('connected')));
    s.once('error', (e: NodeJS.ErrnoException) => ok(e.code ?? e.message));
  });

// Until the server takes --node-id, a memory-only cluster runs without it (the id only labels a node).
const nodeIdFlag = serverKnowsFlag('--node-id');

describe('startCluster', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 2, nodeIdFlag, extraArgs: ['--log-level', 'warn'] });
  });
  afterAll(() => cluster?.stop());

  it('starts each node on its own ports, answering PING', async () => {
    const [n1, n2] = cluster.nodes;
    expect([n1.id, n2.id]).toEqual(['n1', 'n2']);
    expect(new Set([n1.tcpPort, n1.httpPort, n2.tcpPort, n2.httpPort]).size).toBe(4);
    expect(n1.wsUrl).toBe(`ws://127.0.0.1:${n1.httpPort}/ws`);
    expect(n1.stdout()).toContain(`telnet 127.0.0.1 ${n1.tcpPort}`);
    expect(await ping(n1.tcpPort, 'one')).toEqual(['PONG one']);
    expect(await ping(n2.tcpPort, 'two')).toEqual(['PONG two']);
    if (nodeIdFlag) expect(n1.args).toEqual(expect.arrayContaining(['--node-id', 'n1']));
  });

  it('logs every send cut off by a crash as unknown, and the other node keeps answering', async () => {
    const [n1, n2] = cluster.nodes;
    const a = await LoggedClient.connect(n1.tcpPort, '@a', ['#room']);
    const first = await a.send('#room', 'before the crash');
    expect(first.kind).toBe('ok');
    const sends = [Promise.resolve(first), ...Array.from({ length: 19 }, (_, i) => a.send('#room', `m${i}`))];
    await n1.kill9();
    const fates = await Promise.all(sends);
    expect(n1.alive).toBe(false);
    expect(a.connected).toBe(false);
    // Whatever was answered before the kill is OK; the rest is unknown, and each send has one fate.
    const kinds = fates.map((f) => f.kind);
    expect(kinds.every((k) => k === 'ok' || k === 'unknown')).toBe(true);
    expect(kinds.indexOf('unknown') === -1 || kinds.slice(kinds.indexOf('unknown')).every((k) => k === 'unknown')).toBe(true);
    const fateEntries = a.log.entries.filter((e) => e.kind === 'ok' || e.kind === 'unknown' || e.kind === 'err');
    expect(fateEntries.map((e) => (e as { seq: number }).seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(a.log.entries.at(-1 - kinds.filter((k) => k === 'unknown').length)?.kind).toBe('disconnected');

    expect(await refused(n1.tcpPort)).toBe('ECONNREFUSED');
    expect(await ping(n2.tcpPort, 'still')).toEqual(['PONG still']);
  });

  it('LoggedClient catches up by HISTORY after a reconnect, and the checker finds the run clean', async () => {
    const n2 = cluster.nodes[1];
    const a = await LoggedClient.connect(n2.tcpPort, '@alice', ['#talk']);
    const b = await LoggedClient.connect(n2.tcpPort, '@bob', ['#talk']);
    expect((await Promise.all([a.send('#talk', 'one'), a.send('#talk', 'two')])).map((f) => f.kind)).toEqual(['ok', 'ok']);
    await b.waitFor(() => b.got.length === 2, 'two messages');
    b.drop();
    await b.waitFor(() => !b.connected, 'the drop');
    await a.send('#talk', 'three');
    await a.send('@bob', 'while you were out');
    await b.reconnect(n2.tcpPort);
    await b.settle();

    expect(b.got.map((g) => [g.target, g.via, g.body])).toEqual([
      ['#talk', 'live', '@alice:1 one'],
      ['#talk', 'live', '@alice:2 two'],
      // Offline DMs come right after REG; the channel's missed message by HISTORY.
      [dmKey('@alice', '@bob'), 'live', '@alice:4 while you were out'],
      ['#talk', 'history', '@alice:3 three'],
      // The DM conversation is caught up too, from where @bob was before: the same DM again,
      // by HISTORY, which a client tells by its id.
      [dmKey('@alice', '@bob'), 'history', '@alice:4 while you were out'],
    ]);
    assertClean(check([a.log, b.log], { receivers: new Map([['#talk', ['@alice', '@bob']]]) }));
    await Promise.all([a.close(), b.close()]);
  });

  it('stop() ends every node', async () => {
    await cluster.stop();
    expect(cluster.nodes.map((n) => n.alive)).toEqual([false, false]);
    expect(liveNodeProcesses()).toBe(0);
  });
});

describe('a failed start', () => {
  it('kills the nodes that did start, and names the one that did not', async () => {
    const start = startCluster({ nodes: 3, nodeIdFlag, argsFor: (id) => (id === 'n2' ? ['--no-such-flag'] : []) });
    await expect(start).rejects.toThrow(/node n2 did not start[\s\S]*no-such-flag/);
    expect(liveNodeProcesses()).toBe(0);
  });
});

describe('restart', () => {
  it('starts the node again with the same flags, on new ports', async () => {
    const cluster = await startCluster({ nodes: 1, nodeIdFlag });
    try {
      const [n1] = cluster.nodes;
      const before = n1.tcpPort;
      await n1.restart();
      expect(n1.alive).toBe(true);
      expect(await ping(n1.tcpPort, 'back')).toEqual(['PONG back']);
      expect(n1.tcpPort === before || (await refused(before)) === 'ECONNREFUSED').toBe(true);
    } finally {
      await cluster.stop();
    }
    expect(liveNodeProcesses()).toBe(0);
  });
});
