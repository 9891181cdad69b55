import type { LogEntry, Store } from '../store/store.ts';
import type { ChatHost } from './chat.ts';
import type { MessageEvent } from './events.ts';

/** The most a repair reads per query; a longer gap is read page by page. */
const REPAIR_PAGE = 500;
/** How long (tries, a second apart) and how much a repair holds while the store is down. */
const REPAIR_ATTEMPTS = 30;
const REPAIR_HOLD = 10_000;

export type RepairSource = 'gap' | 'poll';

/**
 * Delivers each conversation's messages to this node in id order, each once, whatever way
 * they arrive: committed here, from the bus, or read back from the store. Ids are gapless
 * within a conversation, so a message whose id is not the next one shows what was missed:
 * it waits while the missing ones are read from the store (the Centrifuge and Synapse
 * pattern). A poll (`poll`) compares with the store's newest ids, which covers a publish
 * that never happened (a node killed between commit and publish) and the whole time the bus
 * is down.
 *
 * It holds a position only for conversations someone on this node follows (`watch`, and
 * the first message delivered), and forgets the others (`prune`).
 */
export class Inbound {
  /** conversation -> the newest id delivered on this node. */
  private readonly last = new Map<string, number>();
  /** conversation -> the newest id the store had at the previous poll. */
  private readonly seen = new Map<string, number>();
  /** conversation -> messages that arrived while its gap was being read. */
  private readonly waiting = new Map<string, MessageEvent[]>();
  /** Users signed in here whose direct conversations are all watched (trackDirect). */
  private readonly tracked = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly host: Pick<ChatHost, 'interested' | 'isHere' | 'deliver'>,
    private readonly onRepair: (n: number, source: RepairSource) => void = () => {},
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** Someone here now follows the conversation, from `lastId` on (what they have seen). */
  watch(conversation: string, lastId: number): void {
    if (!this.last.has(conversation)) this.last.set(conversation, lastId);
  }

  /**
   * The user signed in here with every direct conversation they had watched from its newest
   * id: so a direct conversation of theirs this node has no position for is one that began
   * after, and all of it is owed from its first id. Without this, a new conversation whose
   * first messages the bus lost started at whatever id came first, and never read back the
   * ones below it.
   */
  trackDirect(userKey: string): void {
    this.tracked.add(userKey);
  }

  /** How many conversations have a position (bounded by what this node's users follow). */
  get size(): number {
    return this.last.size;
  }

  accept(e: MessageEvent): void {
    const conv = e.conv;
    if (!this.host.interested(conv)) {
      this.last.delete(conv);
      return;
    }
    const buffered = this.waiting.get(conv);
    if (buffered !== undefined) {
      buffered.push(e);
      return;
    }
    const last = this.last.get(conv) ?? this.startOf(conv);
    if (last === undefined || e.id === last + 1) return this.deliver(e);
    if (e.id <= last) return; // already delivered: an echo, a repair that overtook it
    void this.repair(conv, last, e.id - 1, 'gap', [e]);
  }

  /**
   * Compare with the store, and read back whatever this node has not delivered. A message
   * just committed elsewhere is usually still on its way over the bus, so unless `eager` (the
   * bus is down, or has just come back) only what the previous poll already saw is read back:
   * what is still missing a poll later was missed.
   */
  async poll(eager = false): Promise<void> {
    this.prune();
    const convs = [...this.last.keys()].filter((c) => !this.waiting.has(c));
    if (convs.length === 0) return;
    const newest = await this.store.lastIds(convs);
    for (const [conv, id] of newest) {
      const due = eager ? id : Math.min(id, this.seen.get(conv) ?? 0);
      this.seen.set(conv, id);
      const last = this.last.get(conv);
      if (last !== undefined && due > last && !this.waiting.has(conv)) await this.repair(conv, last, due, 'poll', []);
    }
  }

  /** Where a conversation with no position starts: 0 for a direct one of a tracked user here. */
  private startOf(conv: string): number | undefined {
    const space = conv.indexOf(' ');
    if (space < 0) return undefined;
    for (const user of [conv.slice(0, space), conv.slice(space + 1)]) {
      if (this.tracked.has(user) && this.host.isHere(user)) {
        this.last.set(conv, 0);
        return 0;
      }
    }
    return undefined;
  }

  /** Drop the positions of conversations nobody here follows any more. */
  prune(): void {
    for (const user of this.tracked) if (!this.host.isHere(user)) this.tracked.delete(user);
    for (const conv of this.last.keys()) {
      if (!this.host.interested(conv)) {
        this.last.delete(conv);
        this.seen.delete(conv);
      }
    }
  }

  private deliver(e: MessageEvent): void {
    this.last.set(e.conv, e.id);
    this.host.deliver(e);
  }

  /**
   * Read (after, upTo] from the store and deliver it, then what waited meanwhile. While the
   * store is unreachable it tries again each second, holding what arrives (nothing commits
   * meanwhile, so that is only what was in flight); past a bound it delivers what it holds,
   * and the client's own catch-up (HISTORY after its newest id) fills the rest.
   */
  private async repair(conv: string, after: number, upTo: number, source: RepairSource, waiting: MessageEvent[]): Promise<void> {
    this.waiting.set(conv, waiting);
    let read = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        // What is held also says what is missing: a message held at n means everything below
        // n has committed, so the read goes on up to it, even past the first gap's end.
        const target = () => Math.max(upTo, ...waiting.map((e) => e.id - 1));
        let from = this.last.get(conv) ?? after;
        while (from < target()) {
          const page = await this.read(conv, from, Math.min(REPAIR_PAGE, target() - from));
          if (page.length === 0) break;
          for (const m of page) {
            if (m.id > (this.last.get(conv) ?? 0) && m.id <= target()) {
              // Counted as read back only when the bus had not brought it after all.
              if (!waiting.some((e) => e.id === m.id)) read++;
              this.deliver(toEvent(conv, m));
            }
          }
          from = page[page.length - 1].id;
        }
        break;
      } catch (err) {
        this.onError(err);
        if (attempt >= REPAIR_ATTEMPTS || waiting.length > REPAIR_HOLD) break;
        await new Promise((r) => setTimeout(r, 1000).unref());
      }
    }
    this.waiting.delete(conv);
    if (read > 0) this.onRepair(read, source);
    waiting.sort((a, b) => a.id - b.id);
    for (const e of waiting) {
      const last = this.last.get(conv) ?? 0;
      if (e.id > last) this.deliver(e);
    }
  }

  /** The log, every kind of entry: messages, replies, edits, deletes, reactions. */
  private read(conv: string, after: number, limit: number): Promise<LogEntry[]> {
    return this.store.log(conv, after, limit);
  }
}

/**
 * A log entry read back, as the event it was. It shows the current state (an edit the text
 * now, a deleted message an empty body): what was missed arrives as it is now. A DM read back
 * may have been queued for its recipient.
 */
export function toEvent(conv: string, e: LogEntry): MessageEvent {
  const queued = !conv.startsWith('#');
  if (e.kind === 'msg') {
    return { t: 'msg', conv, id: e.id, target: e.target, from: e.from, ts: e.ts, body: e.body, root: e.root, also: e.also, queued };
  }
  return { t: 'msg', kind: e.kind, conv, id: e.id, target: e.target, from: e.from, ts: e.ts, of: e.of, reaction: e.reaction, body: e.body ?? new Uint8Array(0) };
}
