import type { HistoryQuery, NewMessage, StoredChannel, StoredMessage, StoredUser } from './store.ts';

/**
 * The store as the multi-node server needs it: every call is asynchronous (PostgreSQL is a
 * network away), and a turn's writes go to `commit` together, as one transaction that
 * either commits whole or changes nothing. The single-process `Store` (SQLite, memory) moves
 * onto this interface with the hub's seam redesign; until then only PostgreSQL implements
 * it.
 *
 * Ids are per conversation: a channel, or the direct conversation of two users. Within one,
 * ids are gapless and increase in commit order on every node, so a node that sees id n+2
 * after n knows it missed one. Together with `epoch` (fixed when the database is created),
 * a (conversation, id) pair is a resume point no node has to remember.
 */

export type StoreWrite =
  | { op: 'addUser'; handle: string }
  | { op: 'setPassword'; handle: string; passwordHash: string }
  | { op: 'addChannel'; name: string }
  | { op: 'addMember'; channel: string; handle: string }
  | { op: 'removeMember'; channel: string; handle: string }
  /** A message; with `offlineFor`, also queued for that user's next sign-in. */
  | { op: 'append'; message: NewMessage; offlineFor?: string }
  /** Offline messages handed over: exactly these leave the user's queue (not any queued since). */
  | { op: 'delivered'; handle: string; messages: Array<{ conversation: string; id: number }> };

export type CommitResult = {
  /** The id of each `append` in the batch, in order. */
  ids: number[];
};

/** A message as stored, with the key of its conversation. */
export type KeptMessage = StoredMessage & { conversation: string };

export interface AsyncStore {
  readonly description: string;
  /** Random, fixed when the database was created: a changed epoch means "reload". */
  readonly epoch: string;

  getUser(handle: string): Promise<StoredUser | undefined>;
  listUsers(): Promise<string[]>;
  listChannels(): Promise<StoredChannel[]>;

  /** All or nothing. Null: the batch failed and nothing of it was kept (see `lastFailure`). */
  commit(writes: StoreWrite[]): Promise<CommitResult | null>;
  readonly lastFailure: Error | null;

  channelHistory(channel: string, q: HistoryQuery): Promise<StoredMessage[]>;
  directHistory(a: string, b: string, q: HistoryQuery): Promise<StoredMessage[]>;
  /** Messages queued for a user while offline, oldest first in each conversation. */
  offlineFor(handle: string): Promise<KeptMessage[]>;
  /** The newest id of each conversation asked for (0 for one with no message yet). */
  lastIds(conversations: string[]): Promise<Map<string, number>>;

  close(): Promise<void>;
}
