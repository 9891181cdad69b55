/**
 * `/metrics`: every ServerMetrics method shows up in the Prometheus text the route serves,
 * the route exists only when turned on, and two servers in one process keep separate counts.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerMetrics, registerMetrics } from '../http/metrics.ts';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function serve(metrics: ServerMetrics, enabled = true): Promise<FastifyInstance> {
  const app = Fastify();
  apps.push(app);
  registerMetrics(app, metrics, { enabled });
  await app.ready();
  return app;
}

/** The sample lines of the exposition, without HELP/TYPE comments. */
function samples(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

describe('/metrics', () => {
  it('serves every SLCK metric with the values recorded', async () => {
    let healthy = true;
    const m = new ServerMetrics({ nodeId: 'node-a', busHealthy: () => healthy });
    m.connectionOpened('tcp');
    m.connectionOpened('tcp');
    m.connectionClosed('tcp');
    m.connectionOpened('ws');
    m.command('MSG', true);
    m.command('MSG', true);
    m.command('JOIN', false);
    m.command('FROB', true);
    m.command('help', true); // a verb in the wrong case is still that verb
    m.delivered(3);
    m.delivered(4);
    m.delivered(0);
    m.commitTook(0.0003, true);
    m.commitTook(0.002, true);
    m.commitTook(0.5, false);
    m.busLag(0.004);
    m.busLag(-0.001); // clock skew: counted as no lag, not as a negative one
    m.gapRepaired(5, 'gap');
    m.gapRepaired(2, 'poll');
    m.slowConsumerCut();

    const app = await serve(m);
    const res = await app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(m.contentType);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const lines = samples(res.body);

    expect(lines).toEqual(
      expect.arrayContaining([
        'slck_connections{transport="tcp"} 1',
        'slck_connections{transport="ws"} 1',
        'slck_commands_total{command="MSG",result="ok"} 2',
        'slck_commands_total{command="MSG",result="err"} 0',
        'slck_commands_total{command="JOIN",result="err"} 1',
        'slck_commands_total{command="HELP",result="ok"} 1',
        'slck_commands_total{command="other",result="ok"} 1',
        'slck_deliveries_total 7',
        'slck_store_commit_seconds_count{result="ok"} 2',
        'slck_store_commit_seconds_count{result="failed"} 1',
        'slck_store_commit_seconds_bucket{le="0.0005",result="ok"} 1',
        'slck_store_commit_seconds_bucket{le="0.0025",result="ok"} 2',
        'slck_bus_lag_seconds_count 2',
        'slck_bus_lag_seconds_bucket{le="0.0005"} 1',
        'slck_bus_lag_seconds_sum 0.004',
        'slck_gap_repairs_total{source="gap"} 5',
        'slck_gap_repairs_total{source="poll"} 2',
        'slck_slow_consumer_cuts_total 1',
        'slck_bus_healthy 1',
        'slck_node_info{node="node-a"} 1',
      ]),
    );
    // The junk verb went to `other`, not to a series of its own.
    expect(res.body).not.toContain('FROB');
    // Process metrics come along from collectDefaultMetrics.
    expect(res.body).toContain('process_cpu_user_seconds_total');

    // The bus probe is read at each scrape.
    healthy = false;
    expect(samples((await app.inject({ url: '/metrics' })).body)).toContain('slck_bus_healthy 0');
  });

  it('shows the series at zero before anything happened, and no bus gauge without a bus', async () => {
    const lines = samples(await new ServerMetrics({ nodeId: 'solo' }).text());
    expect(lines).toEqual(
      expect.arrayContaining([
        'slck_connections{transport="tcp"} 0',
        'slck_commands_total{command="QUIT",result="err"} 0',
        'slck_store_commit_seconds_count{result="failed"} 0',
        'slck_gap_repairs_total{source="poll"} 0',
        'slck_deliveries_total 0',
      ]),
    );
    expect(lines.some((l) => l.startsWith('slck_bus_healthy'))).toBe(false);
  });

  it('a throwing bus probe reads as unhealthy instead of failing the scrape', async () => {
    const m = new ServerMetrics({
      busHealthy: () => {
        throw new Error('probe broke');
      },
    });
    expect(samples(await m.text())).toContain('slck_bus_healthy 0');
  });

  it('is not there when not enabled', async () => {
    const app = await serve(new ServerMetrics(), false);
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(404);
  });

  it('keeps two servers in one process apart', async () => {
    const a = new ServerMetrics({ nodeId: 'a' });
    const b = new ServerMetrics({ nodeId: 'b' });
    a.connectionOpened('ws');
    a.delivered(10);
    b.delivered(1);
    a.command('PING', true);
    const [ta, tb] = [samples(await a.text()), samples(await b.text())];
    expect(ta).toEqual(expect.arrayContaining(['slck_connections{transport="ws"} 1', 'slck_deliveries_total 10', 'slck_node_info{node="a"} 1']));
    expect(ta).toContain('slck_commands_total{command="PING",result="ok"} 1');
    expect(tb).toEqual(expect.arrayContaining(['slck_connections{transport="ws"} 0', 'slck_deliveries_total 1', 'slck_node_info{node="b"} 1']));
    expect(tb).toContain('slck_commands_total{command="PING",result="ok"} 0');
    expect(tb.join('\n')).not.toContain('node="a"');
  });
});
