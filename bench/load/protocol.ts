/** Messages between the coordinator (run.ts) and its worker processes (worker.ts), over IPC. */
import type { HistogramData } from './histogram.ts';

export type Transport = 'tcp' | 'ws';

/** Which server the workers speak to: SLCK, or nats-server as a reference (nats.ts; TCP only). */
export type Dialect = 'slck' | 'nats';

export type MemberSpec = {
  /** `@m17`: a handle of its own. */
  handle: string;
  /** The channel it joins, or null for an idle connection that only registers. */
  channel: string | null;
  transport: Transport;
  /** Its index among all senders, or -1 when it only receives. */
  sender: number;
};

/** Width of one bar of the delivery timeline, in microseconds. */
export const TICK_US = 100_000;

export type ToWorker =
  | {
      type: 'connect';
      /** SLCK unless said otherwise. */
      dialect?: Dialect;
      tcpPort: number;
      httpPort: number;
      members: MemberSpec[];
      /** Sender index -> its handle and channel, to check every delivery's `from` and target. */
      senders: { handle: string; channel: string }[];
      /** Connections opened at once by this worker. */
      concurrency: number;
    }
  | {
      type: 'start';
      /** Deliveries are counted on a timeline from here; latency recorded for sends after `measureFromUs`. */
      originUs: number;
      measureFromUs: number;
      /** window: each sender keeps `window` MSGs awaiting OK. rate: one global schedule. */
      mode: 'window' | 'rate';
      window: number;
      /** rate mode: message n is due at originUs + n * intervalUs, sent by sender n % senderCount. */
      intervalUs: number;
      senderCount: number;
      /** window mode: a sender waits while a receiver in this process is this many of its messages behind (0: never). */
      maxLag: number;
    }
  | { type: 'stop' }
  | { type: 'expect'; sent: number[]; drainMs: number }
  | { type: 'ping-all'; timeoutMs: number }
  | { type: 'close' };

export type WorkerReport = {
  /** Deliveries per TICK_US since originUs (valid, first copies only). */
  timeline: number[];
  deliveries: number;
  lost: number;
  duplicated: number;
  corrupted: number;
  /** Connections that closed before the end (e.g. cut off as slow consumers). */
  dropped: number;
  latency: HistogramData;
  /**
   * rate mode only: for each message (sender * 1e7 + seq), when its first and last copy
   * reached this worker (us after sending), to tell the server's fan-out spread from the rest.
   */
  perMessage: [key: number, firstUs: number, lastUs: number][];
};

export type FromWorker =
  | { type: 'connected'; count: number; failed: number; firstError?: string }
  | { type: 'stopped'; sent: [sender: number, count: number][]; errors: number; firstError?: string; lagWaits: number }
  | ({ type: 'report' } & WorkerReport)
  | {
      type: 'pinged';
      /** Connections that answered PING with PONG. */
      alive: number;
      /** Connections that closed, or got BYE, before the check. */
      dropped: number;
      /** WebSocket pings received from the server (answered by the ws client automatically). */
      wsPings: number;
      /** WebSocket connections that saw at least one ping. */
      wsPinged: number;
    }
  | { type: 'fatal'; message: string };
