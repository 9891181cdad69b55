import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type Transport = 'tcp' | 'ws';
export type RepairSource = 'gap' | 'poll';

export type ServerMetricsOptions = {
  /** Read at scrape time; without it there is no bus and no `slck_bus_healthy` series. */
  busHealthy?: () => boolean;
  /** Names this node in `slck_node_info`; the host name when not given. */
  nodeId?: string;
};

/**
 * The verbs a client can send. The `command` label takes only these (and `other`), so a
 * client typing junk verbs cannot grow the series set without bound.
 */
const VERBS = ['REG', 'JOIN', 'LEAVE', 'MSG', 'CHNS', 'USRS', 'HISTORY', 'MUTE', 'UNMUTE', 'HELP', 'TIME', 'PING', 'QUIT'] as const;

// Commits to SQLite run from ~0.1 ms (WAL, page cache) to a second (fsync on a busy disk).
const COMMIT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
// Bus lag includes a network hop and the publisher's clock skew, so it reaches further up.
const LAG_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Inc = { inc(value?: number): void };
type Observe = { observe(value: number): void };
type Move = { inc(value?: number): void; dec(value?: number): void };

/**
 * Prometheus metrics of one server. Each instance has its own registry rather than
 * prom-client's global one, so several servers in one process (the tests) neither collide
 * on registration nor mix their counts.
 *
 * The methods sit on hot paths (`delivered` runs per fan-out), so every labelled child is
 * made once here and kept: a call is one `inc`/`observe`, with no label object built.
 */
export class ServerMetrics {
  readonly registry = new Registry();

  private readonly connections: Record<Transport, Move>;
  private readonly commands = new Map<string, { ok: Inc; err: Inc }>();
  private readonly otherCommand: { ok: Inc; err: Inc };
  private readonly deliveries: Counter;
  private readonly commitOk: Observe;
  private readonly commitFailed: Observe;
  private readonly lag: Histogram;
  private readonly repairs: Record<RepairSource, Inc>;
  private readonly cuts: Counter;

  constructor(opts: ServerMetricsOptions = {}) {
    const registers = [this.registry];
    // Process metrics (memory, GC, event-loop lag) are one process's, however many servers it
    // runs (tests start hundreds): collected once, into a registry every server shows.
    processRegistry();

    const conns = new Gauge({ name: 'slck_connections', help: 'Open client connections', labelNames: ['transport'], registers });
    this.connections = { tcp: conns.labels('tcp'), ws: conns.labels('ws') };
    // Present at 0 from the first scrape, so dashboards see "none" rather than "no data".
    conns.set({ transport: 'tcp' }, 0);
    conns.set({ transport: 'ws' }, 0);

    const commands = new Counter({
      name: 'slck_commands_total',
      help: 'Commands handled, by verb and whether they succeeded',
      labelNames: ['command', 'result'],
      registers,
    });
    const pair = (verb: string) => {
      const p = { ok: commands.labels(verb, 'ok'), err: commands.labels(verb, 'err') };
      p.ok.inc(0);
      p.err.inc(0);
      return p;
    };
    for (const verb of VERBS) this.commands.set(verb, pair(verb));
    this.otherCommand = pair('other');

    this.deliveries = new Counter({ name: 'slck_deliveries_total', help: 'Frames delivered to recipients', registers });

    const commit = new Histogram({
      name: 'slck_store_commit_seconds',
      help: 'Time to commit a write to the store',
      labelNames: ['result'],
      buckets: COMMIT_BUCKETS,
      registers,
    });
    commit.zero({ result: 'ok' });
    commit.zero({ result: 'failed' });
    this.commitOk = commit.labels('ok');
    this.commitFailed = commit.labels('failed');

    this.lag = new Histogram({
      name: 'slck_bus_lag_seconds',
      help: 'Time from commit on the publishing node to receipt on this one',
      buckets: LAG_BUCKETS,
      registers,
    });

    const repairs = new Counter({
      name: 'slck_gap_repairs_total',
      help: 'Messages read back from the store because the bus missed them',
      labelNames: ['source'],
      registers,
    });
    this.repairs = { gap: repairs.labels('gap'), poll: repairs.labels('poll') };
    this.repairs.gap.inc(0);
    this.repairs.poll.inc(0);

    this.cuts = new Counter({
      name: 'slck_slow_consumer_cuts_total',
      help: 'Connections closed because they could not keep up with their output',
      registers,
    });

    const busHealthy = opts.busHealthy;
    if (busHealthy) {
      new Gauge({
        name: 'slck_bus_healthy',
        help: '1 while the message bus is connected and current, else 0',
        registers,
        collect() {
          // A throwing probe must not fail the whole scrape; it means the bus is not healthy.
          let up: boolean;
          try {
            up = busHealthy();
          } catch {
            up = false;
          }
          this.set(up ? 1 : 0);
        },
      });
    }

    const info = new Gauge({ name: 'slck_node_info', help: 'Constant 1, labelled with this node', labelNames: ['node'], registers });
    info.set({ node: opts.nodeId ?? hostname() }, 1);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  connectionOpened(transport: Transport): void {
    this.connections[transport].inc();
  }

  connectionClosed(transport: Transport): void {
    this.connections[transport].dec();
  }

  /** `verb` as the command's type (`MSG`); unknown verbs count as `other`. */
  command(verb: string, ok: boolean): void {
    // Upper-casing only on a miss keeps the usual call free of a string allocation.
    const p = this.commands.get(verb) ?? this.commands.get(verb.toUpperCase()) ?? this.otherCommand;
    (ok ? p.ok : p.err).inc();
  }

  delivered(n: number): void {
    if (n > 0) this.deliveries.inc(n);
  }

  commitTook(seconds: number, ok: boolean): void {
    (ok ? this.commitOk : this.commitFailed).observe(seconds);
  }

  busLag(seconds: number): void {
    // Clocks of two nodes disagree a little; a "negative" lag is a lag of about nothing.
    this.lag.observe(seconds > 0 ? seconds : 0);
  }

  gapRepaired(n: number, source: RepairSource): void {
    if (n > 0) this.repairs[source].inc(n);
  }

  slowConsumerCut(): void {
    this.cuts.inc();
  }

  async text(): Promise<string> {
    return `${await this.registry.metrics()}\n${await processRegistry().metrics()}`;
  }
}

/**
 * `GET /metrics` in the Prometheus text format, only when the operator turns it on: like
 * `/healthz`'s details, the counts say more than anyone who can reach the port should learn.
 */
export function registerMetrics(app: FastifyInstance, metrics: ServerMetrics, opts: { enabled: boolean }): void {
  if (!opts.enabled) return;
  app.get('/metrics', async (_req, reply) => {
    const body = await metrics.text();
    return reply.type(metrics.contentType).header('cache-control', 'no-store').send(body);
  });
}

let processMetrics: Registry | null = null;
function processRegistry(): Registry {
  if (processMetrics === null) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}
