/**
 * A receiving client for the failover scenario that comes back on another node and
 * catches up, logging what it got in the cluster tests' format (gateway/test/cluster/chat-log.ts,
 * `ClientLog`), so that gateway/test/cluster/checker.ts can judge the run.
 *
 * It catches up from the end of the run of ids it has without a hole (`HISTORY <#ch> 500
 * after <that id>`, paging on until a reply is empty), not from the highest id it has seen:
 * live deliveries start as soon as REG is answered, so a message committed between that
 * `OK` and the `HISTORY` arrives first, and catching up from it would skip everything the
 * client missed while it was away. (chat-log.ts's `LoggedClient.reconnect` does that: see
 * the bench's report in docs/PERFORMANCE.md.)
 *
 * It is caught up once it holds every id up to the newest it has seen, live or by history,
 * as a person's app is: paging on "until a page is empty" would chase a sender that keeps
 * writing whenever a page takes longer than the gap between two of its messages.
 */
import { encodeCommand, fromUtf8, nameKey, type Delivery, type ServerFrame } from '../../core/index.ts';
import type { ClientLog, Via } from '../../gateway/test/cluster/chat-log.ts';
import { Connection, type Clock } from '../load/connection.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const PAGE = 500;

export type Comeback = {
  /** Date.now() when the new connection was open (HELLO read), REG was answered OK, and the catch-up ended. */
  connectedAt: number;
  registeredAt: number;
  caughtUpAt: number;
  /** REGs answered HANDLE_TAKEN before the one that succeeded. */
  handleTaken: number;
  historyPages: number;
};

export class CatchUpClient {
  readonly log: ClientLog;
  private conn: Connection | null = null;
  private readonly clock: Clock = { recvUs: 0 };
  private readonly conversation: string;
  /** Every id received (live or history), to find the end of the run without a hole. */
  private readonly ids = new Set<number>();
  private contiguous = 0;
  private newest = 0;
  /** While a HISTORY is the command awaiting its reply, MSG frames wait here: END tells history from live. */
  private held: Delivery[] | null = null;
  private closedWaiters: Array<() => void> = [];

  private constructor(readonly handle: string, readonly channel: string) {
    this.log = { handle, entries: [] };
    this.conversation = nameKey(channel);
  }

  static async connect(port: number, handle: string, channel: string): Promise<CatchUpClient> {
    const c = new CatchUpClient(handle, channel);
    await c.open(port);
    const reg = await c.call(encodeCommand({ type: 'REG', handle }));
    if (reg.type !== 'OK') throw new Error(`${handle}: REG was answered ${JSON.stringify(reg)}`);
    const join = await c.call(encodeCommand({ type: 'JOIN', channel }));
    if (join.type !== 'OK') throw new Error(`${handle}: JOIN was answered ${JSON.stringify(join)}`);
    return c;
  }

  get connected(): boolean {
    return this.conn !== null;
  }

  /** Ids this client has got of its channel, counting each once. */
  get received(): ReadonlySet<number> {
    return this.ids;
  }

  /**
   * Connect to `port` (the old connection dropped first if still open), REG until the
   * handle is free (HANDLE_TAKEN retried every `retryEveryMs` for up to `retryForMs`), and
   * catch up on the channel.
   */
  async comeBack(port: number, retryForMs: number, retryEveryMs = 200): Promise<Comeback> {
    if (this.conn !== null) {
      const gone = new Promise<void>((r) => this.closedWaiters.push(r));
      this.conn.close();
      await gone;
    }
    const until = Date.now() + retryForMs;
    for (;;) {
      try {
        await this.open(port);
        break;
      } catch (e) {
        if (Date.now() > until) throw e;
        await sleep(100);
      }
    }
    const connectedAt = Date.now();
    let handleTaken = 0;
    for (;;) {
      const reply = await this.call(encodeCommand({ type: 'REG', handle: this.handle }));
      if (reply.type === 'OK') break;
      if (reply.type !== 'ERR' || reply.code !== 'HANDLE_TAKEN' || Date.now() > until) {
        throw new Error(`${this.handle}: REG was answered ${JSON.stringify(reply)} after ${handleTaken} HANDLE_TAKEN`);
      }
      handleTaken++;
      await sleep(retryEveryMs);
    }
    const registeredAt = Date.now();
    let after = this.contiguous;
    let historyPages = 0;
    for (;;) {
      const page = await this.history(after);
      historyPages++;
      if (page.length === 0) break;
      after = page[page.length - 1].id;
      // A short page holds everything committed when it was read; what came later comes live.
      if (page.length < PAGE && this.contiguous >= this.newest) break;
    }
    return { connectedAt, registeredAt, caughtUpAt: Date.now(), handleTaken, historyPages };
  }

  close(): void {
    this.conn?.close();
  }

  private open(port: number): Promise<void> {
    return Connection.open('tcp', port, this.clock, {
      delivery: (f) => this.onMsg(f),
      damaged: () => {},
      closed: () => this.onClosed(),
    }).then((conn) => {
      this.conn = conn;
      this.log.entries.push({ kind: 'connected', port, at: Date.now() });
    });
  }

  private onClosed(): void {
    this.conn = null;
    this.log.entries.push({ kind: 'disconnected', at: Date.now() });
    // A HISTORY cut off: whether its frames were live cannot be told.
    if (this.held !== null) for (const f of this.held) this.record(f, 'unsure');
    this.held = null;
    for (const w of this.closedWaiters.splice(0)) w();
  }

  private call(bytes: Uint8Array): Promise<ServerFrame> {
    const conn = this.conn;
    if (conn === null) return Promise.reject(new Error(`${this.handle} is not connected`));
    return new Promise((resolve) => conn.request(bytes, resolve));
  }

  /** One page of `HISTORY <channel> 500 after <after>`: its frames, oldest first. */
  private history(after: number): Promise<Delivery[]> {
    const conn = this.conn;
    if (conn === null) return Promise.reject(new Error(`${this.handle} is not connected`));
    this.held = [];
    return new Promise((resolve, reject) => {
      conn.request(encodeCommand({ type: 'HISTORY', target: this.channel, limit: PAGE, after }), (reply) => {
        // Called as the reply is parsed: no frame after it has been read yet.
        const held = this.held ?? [];
        this.held = null;
        if (reply.type !== 'END' || reply.of !== 'HISTORY') {
          for (const f of held) this.record(f, 'live');
          return reject(new Error(`${this.handle}: HISTORY was answered ${JSON.stringify(reply)}`));
        }
        // The spec: live deliveries come before the reply's first frame, never inside it.
        const live = held.length - reply.count;
        held.forEach((f, i) => this.record(f, i < live ? 'live' : 'history'));
        resolve(held.slice(live));
      });
    });
  }

  private onMsg(f: Delivery): void {
    if (this.held !== null) this.held.push(f);
    else this.record(f, 'live');
  }

  private record(f: Delivery, via: Via): void {
    const conversation = nameKey(f.target);
    if (conversation === this.conversation) {
      this.ids.add(f.id);
      if (f.id > this.newest) this.newest = f.id;
      while (this.ids.has(this.contiguous + 1)) this.contiguous++;
    }
    this.log.entries.push({ kind: 'got', target: conversation, from: f.from, id: f.id, ts: f.ts, body: fromUtf8(f.body), via, at: Date.now() });
  }
}
