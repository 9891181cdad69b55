/**
 * Who is online, across every node, and who holds each handle. Entries live for a TTL and
 * are refreshed by the node that holds the connection, so a node that dies (kill -9, a lost
 * machine) takes its users offline by itself within the TTL: nobody has to clean up after
 * it. `sweep` finds those users, and reports each one to exactly one node, which announces
 * the OFFLINE.
 */
export interface Presence {
  /** A connection of `user` opened on this node. True when the user was offline until now. */
  add(user: string, conn: string): Promise<boolean>;
  /** The connection closed. True when it was the user's last one anywhere. */
  remove(user: string, conn: string): Promise<boolean>;
  /** Of `users`, those with a live connection on some node. */
  online(users: string[]): Promise<Set<string>>;
  /** Every user online anywhere. */
  everyone(): Promise<string[]>;
  /** Users whose every connection has expired (their node died): each is reported once. */
  sweep(): Promise<string[]>;
  /** Hold a handle for one connection: false when another connection holds it. */
  hold(user: string, conn: string): Promise<boolean>;
  release(user: string, conn: string): Promise<void>;
  /**
   * Set by the node: a handle this node held was taken over by another node, which thought
   * this one dead (its heartbeat missed). The connection must go: one handle, one connection.
   */
  onLost: (user: string, conn: string) => void;
  close(): Promise<void>;
}

/** Keys are lower-cased handles; a connection is named by its node and its own id. */
export const DEFAULT_PRESENCE_TTL_MS = 30_000;
