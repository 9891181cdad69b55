/**
 * Carries committed events between nodes: the fast path only. A bus may lose what is
 * published (Redis down, a stalled or dropped subscriber), so a node treats what arrives as
 * a hint, detects a gap by id and reads what it missed from the store; `onResync` says when
 * anything may have been lost. The single-process server uses the in-process bus.
 */
export interface Bus {
  /** Best effort, never throws: a payload published while the bus is down is dropped. */
  publish(topic: string, payload: Uint8Array): void;
  /** Idempotent. Payloads on a subscribed topic go to `onMessage`, this node's own included. */
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  onMessage: (topic: string, payload: Uint8Array) => void;
  /**
   * Called once the bus is delivering again after it may have lost payloads (a reconnect, a
   * subscription found dead): the node compares its conversations with the store.
   */
  onResync: () => void;
  /** Whether the bus is delivering now, for /healthz and for polling the store meanwhile. */
  readonly healthy: boolean;
  close(): Promise<void>;
}

/** A bus with no-op handlers, to be set by the node that owns it. */
export const noHandlers = {
  onMessage: (_topic: string, _payload: Uint8Array): void => {},
  onResync: (): void => {},
};
