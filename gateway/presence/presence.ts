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
  /**
   * Hold a handle for one connection: false when another live connection holds it. When the
   * holder's node has gone quiet (missed heartbeats: killed, or stalled), waits until that
   * node's heartbeat has expired or comes back, at most the node timeout: a user whose node
   * died gets in as soon as it counts as dead, not a retry later.
   */
  hold(user: string, conn: string): Promise<boolean>;
  release(user: string, conn: string): Promise<void>;
  /**
   * Set by the node: a handle this node held was taken over by another node, which thought
   * this one dead (its heartbeat missed). The connection must go: one handle, one connection.
   */
  onLost: (user: string, conn: string) => void;
  close(): Promise<void>;
}

/**
 * The clocks of presence (config.ts's defaults, and flags). Keys are lower-cased handles; a
 * connection is named by its node and its own id.
 *
 * - `presenceTtlMs`: a user's online entry lives this long unrefreshed (refreshed every
 *   third of it). A dead node's users are shown OFFLINE once it runs out (and the next
 *   sweep). Long on purpose: a user whose node died is usually back on another within
 *   seconds, and while the old entry lives nobody sees them go OFFLINE and come back.
 * - `presenceHeartbeatMs`: how often a node renews its heartbeat key and checks that Redis
 *   still has it (a key gone means Redis restarted empty or was flushed: the node announces
 *   everything it holds at once).
 * - `nodeTimeoutMs`: the heartbeat key's TTL. A node silent this long counts as dead: its
 *   guest handles may be taken on another node, so its users get back in within it. A live
 *   node silent as long (a stall of Redis or of the node) loses the handles someone takes
 *   meanwhile: those connections get BYE ELSEWHERE. docs/CLUSTER.md weighs the two.
 */
export const PRESENCE_DEFAULTS = {
  presenceTtlMs: 20_000,
  presenceHeartbeatMs: 500,
  nodeTimeoutMs: 2_500,
};
