import { createClient } from 'redis';
import { noHandlers, type Bus } from './bus.ts';

type Client = ReturnType<typeof createClient>;

export type RedisBusOptions = {
  /** This node's id: its heartbeat topic. */
  nodeId: string;
  /** How often the node hears its own heartbeat through Redis; 3 missed mean trouble. */
  beatMs?: number;
  /** Prefix of every Redis channel, so several SLCK clusters can share one Redis. */
  prefix?: string;
};

/**
 * The bus on Redis pub/sub. Redis may drop what it carries (while a subscriber is away,
 * stalled or over its output buffer limit), and a subscription can die without an error, so
 * the bus proves itself: it publishes a heartbeat to itself and listens for it. Three beats
 * missed and the subscriber is thrown away and made anew (resubscribing every topic); the
 * first beat heard after that, or after any reconnect, makes the bus healthy again and calls
 * `onResync`, so the node repairs from the store whatever fell through.
 */
export class RedisBus implements Bus {
  onMessage = noHandlers.onMessage;
  onResync = noHandlers.onResync;
  healthy = false;

  private sub: Client;
  private readonly topics = new Set<string>();
  private readonly beatTopic: string;
  private readonly beatMs: number;
  private readonly prefix: string;
  /** When the heartbeat was last heard, and when the subscriber was last made anew. */
  private lastHeard = Date.now();
  private lastRenewed = Date.now();
  private timer: NodeJS.Timeout;
  private closed = false;
  private readonly listener = (payload: Buffer, channel: Buffer | string) => this.receive(String(channel), payload);

  private constructor(
    private readonly url: string,
    private readonly pub: Client,
    opts: RedisBusOptions,
  ) {
    this.prefix = opts.prefix ?? 'slck:';
    this.beatMs = opts.beatMs ?? 1000;
    this.beatTopic = `${this.prefix}beat:${opts.nodeId}`;
    this.sub = this.newSubscriber();
    this.timer = setInterval(() => this.tick(), this.beatMs);
    this.timer.unref();
  }

  /** Connects the publisher; the subscriber connects (and reconnects) by itself. */
  static async open(url: string, opts: RedisBusOptions): Promise<RedisBus> {
    const pub = client(url);
    pub.on('error', () => {}); // reconnects by itself; health is judged by the heartbeat
    await pub.connect();
    return new RedisBus(url, pub, opts);
  }

  publish(topic: string, payload: Uint8Array): void {
    // While unhealthy the store poll is the delivery path: nothing piles up for Redis.
    if (this.closed || !this.pub.isReady) return;
    this.pub.publish(this.prefix + topic, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)).catch(() => {});
  }

  subscribe(topic: string): void {
    if (this.topics.has(topic)) return;
    this.topics.add(topic);
    if (this.sub.isReady) this.sub.subscribe(this.prefix + topic, this.listener, true).catch(() => {});
  }

  unsubscribe(topic: string): void {
    if (!this.topics.delete(topic)) return;
    if (this.sub.isReady) this.sub.unsubscribe(this.prefix + topic, this.listener, true).catch(() => {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.sub.destroy();
    this.pub.destroy();
  }

  private receive(channel: string, payload: Buffer): void {
    if (channel === this.beatTopic) {
      this.lastHeard = Date.now();
      if (!this.healthy && !this.closed) {
        this.healthy = true;
        this.onResync();
      }
      return;
    }
    if (!channel.startsWith(this.prefix)) return;
    const topic = channel.slice(this.prefix.length);
    if (this.topics.has(topic)) this.onMessage(topic, new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength));
  }

  private tick(): void {
    if (this.closed) return;
    if (this.pub.isReady) this.pub.publish(this.beatTopic, 'beat').catch(() => {});
    const now = Date.now();
    if (now - this.lastHeard <= 3 * this.beatMs) return;
    // Deaf: a dead subscription, a stall, or Redis gone. Try a new subscriber, now and then.
    this.healthy = false;
    if (now - this.lastRenewed > 3 * this.beatMs) {
      this.lastRenewed = now;
      this.sub.destroy();
      this.sub = this.newSubscriber();
    }
  }

  /** A subscriber that, each time it is ready, subscribes the heartbeat and every topic. */
  private newSubscriber(): Client {
    const sub = client(this.url);
    sub.on('error', () => {});
    sub.on('ready', () => {
      if (this.closed || sub !== this.sub) return;
      // Connected again, however briefly it was away: what was published meanwhile is lost,
      // so the first beat heard from now on calls for a resync.
      this.healthy = false;
      const channels = [this.beatTopic, ...[...this.topics].map((t) => this.prefix + t)];
      sub.subscribe(channels, this.listener, true).catch(() => {});
    });
    sub.connect().catch(() => {});
    return sub;
  }
}

function client(url: string): Client {
  return createClient({
    url,
    // Never queue commands while disconnected, and only so many while Redis is stalled.
    disableOfflineQueue: true,
    commandsQueueMaxLength: 10_000,
    socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000), connectTimeout: 2000 },
  });
}
