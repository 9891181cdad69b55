import { noHandlers, type Bus } from './bus.ts';

/**
 * The bus inside one process: what is published reaches the subscribers of every bus made
 * by the same `MemoryBusNetwork` (one per process by default), on a later microtask, as a
 * network would deliver it. It never loses anything, so it never asks for a resync.
 */
export class MemoryBusNetwork {
  private readonly buses = new Set<MemoryBus>();

  bus(): MemoryBus {
    const b = new MemoryBus(this);
    this.buses.add(b);
    return b;
  }

  /** @internal */
  deliver(topic: string, payload: Uint8Array): void {
    for (const b of this.buses) b.receive(topic, payload);
  }

  /** @internal */
  remove(b: MemoryBus): void {
    this.buses.delete(b);
  }
}

export class MemoryBus implements Bus {
  onMessage = noHandlers.onMessage;
  onResync = noHandlers.onResync;
  readonly healthy = true;
  private readonly topics = new Set<string>();
  private closed = false;

  constructor(private readonly network: MemoryBusNetwork) {}

  publish(topic: string, payload: Uint8Array): void {
    if (this.closed) return;
    queueMicrotask(() => this.network.deliver(topic, payload));
  }

  subscribe(topic: string): void {
    this.topics.add(topic);
  }

  unsubscribe(topic: string): void {
    this.topics.delete(topic);
  }

  /** @internal */
  receive(topic: string, payload: Uint8Array): void {
    if (!this.closed && this.topics.has(topic)) this.onMessage(topic, payload);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.network.remove(this);
  }
}
