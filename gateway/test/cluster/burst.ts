/**
 * A paced, pipelined burst from one LoggedClient, for the fault tests: sends go out at `rate`
 * a second without waiting for earlier replies, at most `window` unanswered at a time, so
 * some are always in flight when a fault strikes. Every send's fate is logged by the client
 * itself (chat-log.ts); the burst only decides when to send, and what (mix.ts): messages,
 * and mixed in with them thread replies, edits and deletes of its own messages, reactions
 * added and taken back on anyone's, as a conversation goes.
 *
 * A burst ends after `count` sends, on `stop()`, or when its client's connection is gone
 * (a send needs a connection; a client that comes back elsewhere starts a new burst if the
 * test wants one). `done` resolves once every send it made has its fate.
 */
import type { LoggedClient, SendFate } from './chat-log.ts';
import { Mixer, type Mix } from './mix.ts';

export type BurstOptions = {
  /** Where each send goes: one target, or one per send number (0-based). */
  to: string | ((i: number) => string);
  /** How many to send (default: until `stop()`). */
  count?: number;
  /** Sends per second (default 100). */
  rate?: number;
  /** Most sends unanswered at once (default 16). */
  window?: number;
  /** What to send (default `MIXED`: every kind of log entry); `{ msg: 1 }` sends messages only. */
  mix?: Mix;
};

export type BurstResult = {
  sent: number;
  fates: SendFate[];
  /** Why it ended. */
  ended: 'count' | 'stopped' | 'disconnected';
};

export class Burst {
  readonly done: Promise<BurstResult>;
  private sentCount = 0;
  private open = 0;
  private okCount = 0;
  private stopped = false;
  private readonly fates: Array<Promise<SendFate>> = [];

  constructor(
    private readonly client: LoggedClient,
    private readonly opts: BurstOptions,
  ) {
    this.done = this.run();
  }

  /** Sends made so far. */
  get sent(): number {
    return this.sentCount;
  }
  /** Sends made and not yet answered. */
  get inFlight(): number {
    return this.open;
  }
  /** Sends answered OK so far. */
  get acked(): number {
    return this.okCount;
  }

  /** Send no more; `done` still waits for the fates of what was sent. */
  stop(): Promise<BurstResult> {
    this.stopped = true;
    return this.done;
  }

  private async run(): Promise<BurstResult> {
    const rate = this.opts.rate ?? 100;
    const window = this.opts.window ?? 16;
    const count = this.opts.count ?? Infinity;
    const target = typeof this.opts.to === 'string' ? (() => this.opts.to as string) : this.opts.to;
    const mixer = new Mixer(this.client, this.opts.mix);
    const started = Date.now();
    let ended: BurstResult['ended'] = 'count';
    while (this.sentCount < count) {
      if (this.stopped) {
        ended = 'stopped';
        break;
      }
      if (!this.client.connected) {
        ended = 'disconnected';
        break;
      }
      // As many as the pace allows by now, within the window: several may leave in one turn.
      const due = Math.min(count, Math.floor(((Date.now() - started) * rate) / 1000) + 1) - this.sentCount;
      const room = window - this.open;
      for (let k = 0; k < Math.min(due, room) && this.client.connected; k++) {
        const fate = this.client.act(mixer.next(target(this.sentCount++)));
        this.open++;
        this.fates.push(fate);
        void fate.then((f) => {
          this.open--;
          if (f.kind === 'ok') this.okCount++;
        });
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    return { sent: this.sentCount, fates: await Promise.all(this.fates), ended };
  }
}

/** Start a burst from `client` (see BurstOptions). */
export const burst = (client: LoggedClient, opts: BurstOptions): Burst => new Burst(client, opts);

/** Resolve once `done()` holds, polling every 20 ms; throws naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await done()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
