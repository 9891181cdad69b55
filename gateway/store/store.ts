/**
 * What the hub remembers across restarts. Calls are synchronous (the hub is single-threaded
 * and better-sqlite3 is synchronous). Writes made during one event-loop turn form one batch
 * that `commit()` makes durable at the end of the turn (group commit): nothing the hub
 * acknowledges, a message or any change of state, is written to a socket before that commit
 * returns true.
 */

export type StoredMessage = {
  id: number;
  /** `#channel`, or for a direct message the recipient's `@handle` (display case). */
  target: string;
  /** Sender's `@handle` (display case). */
  from: string;
  /** ISO 8601 UTC with milliseconds. */
  ts: string;
  body: Uint8Array;
};

export type NewMessage = Omit<StoredMessage, 'id'>;

export type StoredUser = {
  /** Display case, as first registered. */
  handle: string;
  /** scrypt hash in the form `scrypt$N$r$p$salt$hash` (base64), or null for a guest handle. */
  passwordHash: string | null;
};

export type StoredChannel = {
  /** Display case. */
  name: string;
  /** Member handles, display case. */
  members: string[];
};

export type HistoryQuery = {
  limit: number;
  /** Only messages with id < before. */
  before?: number;
  /** Only messages with id > after (oldest first from there). */
  after?: number;
};

export interface Store {
  /** A short description for the start-up log, e.g. `sqlite ./data/slck.db`. */
  readonly description: string;

  // Users. Keys are lower-cased names; values keep display case.
  getUser(handle: string): StoredUser | undefined;
  /** Insert the user if unknown (display case of the first registration wins). */
  addUser(handle: string): void;
  setPassword(handle: string, passwordHash: string): void;
  listUsers(): string[];

  // Channels and membership.
  listChannels(): StoredChannel[];
  addChannel(name: string): void;
  addMember(channel: string, handle: string): void;
  removeMember(channel: string, handle: string): void;

  /**
   * Stage a message in the current batch and return its id (ids increase). When `offlineFor`
   * is given, the message is also queued for that user's next registration.
   */
  append(message: NewMessage, offlineFor?: string): number;
  /**
   * Make the current batch durable. False: all of the batch is undone, state writes (users,
   * passwords, channels, members, offline hand-overs) and messages alike. Nothing in a batch
   * has been acknowledged before it commits, so the hub answers each command in it with ERR.
   */
  commit(): boolean;
  /** Why the last failed `commit()` failed, for the log. */
  readonly lastFailure?: Error | null;
  /** Whether anything is staged since the last commit. */
  readonly dirty: boolean;

  /** Channel history, oldest first. */
  channelHistory(channel: string, q: HistoryQuery): StoredMessage[];
  /** Direct messages between two users (both directions), oldest first. */
  directHistory(a: string, b: string, q: HistoryQuery): StoredMessage[];
  /** Messages queued for a user while offline, oldest first; removes them from the queue. */
  takeOffline(handle: string): StoredMessage[];

  close(): void;
}
