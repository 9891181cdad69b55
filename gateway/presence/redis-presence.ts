import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { PRESENCE_DEFAULTS, type Presence } from './presence.ts';

type Client = ReturnType<typeof createClient>;

/**
 * Presence on Redis. Redis 7.0 (Debian's) has no per-field TTL, so each user is a sorted set
 * of their connections (`<node>/<conn>`) scored by expiry, and `online` a sorted set of users
 * scored by their latest expiry. Every change is one Lua script, so two nodes never both
 * announce the same OFFLINE. The node refreshes its own entries every third of the TTL, and
 * at once when it reconnects to Redis or finds its heartbeat key gone: after Redis restarts
 * empty, the entries are back as soon as the node is.
 *
 * The scripts name keys they compute, so this needs one Redis, not a Redis Cluster.
 */

const ADD = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
-- GT keeps the latest expiry of the user's connections, and still adds a new user.
redis.call('ZADD', KEYS[2], 'GT', ARGV[2], ARGV[5])
if before == 0 then return 1 else return 0 end`;

const REMOVE = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) == 0 then return redis.call('ZREM', KEYS[2], ARGV[3]) end
return 0`;

const SWEEP = `
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1000)
local gone = {}
for _, u in ipairs(stale) do
  local k = ARGV[2] .. u
  redis.call('ZREMRANGEBYSCORE', k, '-inf', ARGV[1])
  local top = redis.call('ZRANGE', k, -1, -1, 'WITHSCORES')
  if #top == 0 then
    redis.call('ZREM', KEYS[1], u)
    table.insert(gone, u)
  else
    redis.call('ZADD', KEYS[1], top[2], u)
  end
end
return gone`;

/**
 * Take or keep a handle: set when free, already ours, or held by a node that is gone (its
 * heartbeat key expired: killed, or cut off from Redis). So a user whose node died signs in
 * elsewhere within the node timeout, not the longer presence TTL. Returns {1, 0} when taken;
 * {0, ms} when held, ms being what is left of the holder's heartbeat key (-1 when the holder
 * names no node), so the caller can tell a node that beat just now from a quiet one.
 */
const HOLD = `
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {1, 0}
end
local node = string.match(v, '^(.*)/')
if not node then return {0, -1} end
local left = redis.call('PTTL', ARGV[3] .. node)
if left == -2 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {1, 0}
end
return {0, left}`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0`;

export type RedisPresenceOptions = {
  nodeId: string;
  /** How long a user's entry lives unrefreshed (presence.ts, `presenceTtlMs`). */
  ttlMs?: number;
  /** How long a node counts as alive after its last heartbeat, for taking over its holds (`nodeTimeoutMs`). */
  nodeTtlMs?: number;
  /** How often the heartbeat is renewed and checked (`presenceHeartbeatMs`). */
  beatMs?: number;
  prefix?: string;
};

/** While Redis is away, try again this often at most: back within a fraction of a second of it answering. */
const RECONNECT_MAX_MS = 200;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class RedisPresence implements Presence {
  private readonly ttl: number;
  private readonly prefix: string;
  private readonly node: string;
  /** This node's connections: user -> conns, and the handles they hold. */
  private readonly mine = new Map<string, Set<string>>();
  private readonly held = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;
  private readonly beat: NodeJS.Timeout;
  private readonly nodeTtl: number;
  private readonly beatMs: number;
  /** One heartbeat and one refresh at a time: while Redis stalls they must not pile up. */
  private beating = false;
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;
  /** Told when a handle this node held was taken over (it was thought dead): that connection must go. */
  onLost: (user: string, conn: string) => void = () => {};

  private constructor(private readonly redis: Client, opts: RedisPresenceOptions) {
    this.ttl = opts.ttlMs ?? PRESENCE_DEFAULTS.presenceTtlMs;
    this.nodeTtl = opts.nodeTtlMs ?? Math.min(PRESENCE_DEFAULTS.nodeTimeoutMs, this.ttl);
    this.beatMs = opts.beatMs ?? Math.max(10, Math.min(PRESENCE_DEFAULTS.presenceHeartbeatMs, Math.floor(this.nodeTtl / 5)));
    this.prefix = opts.prefix ?? 'slck:';
    // This run of the node: a node restarted under the same --node-id (systemd brings a
    // crashed one back within a second) must not keep its dead predecessor's holds alive.
    this.node = `${opts.nodeId}~${randomBytes(4).toString('hex')}`;
    this.timer = setInterval(() => void this.refresh().catch(() => {}), Math.max(10, Math.floor(this.ttl / 3)));
    this.timer.unref();
    this.beat = setInterval(() => void this.heartbeat(), this.beatMs);
    this.beat.unref();
    // Connected again (Redis restarted, or the link dropped): whatever Redis lost of this
    // node's entries goes back now, not at the next refresh.
    redis.on('ready', () => void this.refresh().catch(() => {}));
  }

  /**
   * This node is alive: its holds stand. The key's previous value comes back with the SET:
   * none means Redis lost this node's keys (it restarted empty, was flushed, or this node was
   * silent past its timeout), so everything it holds is announced again at once.
   */
  private async heartbeat(): Promise<void> {
    if (!this.redis.isReady || this.beating) return;
    this.beating = true;
    try {
      // Not awaited: a long refresh must not hold up the beats.
      if ((await this.renewBeat()) === null) void this.refresh().catch(() => {});
    } catch {
      // Redis away or stalled: the reconnect, or the next beat, tries again.
    } finally {
      this.beating = false;
    }
  }

  private renewBeat(): Promise<string | null> {
    return this.redis.set(this.nodeKey(), '1', { PX: this.nodeTtl, GET: true }) as Promise<string | null>;
  }

  static async open(url: string, opts: RedisPresenceOptions): Promise<RedisPresence> {
    const redis = createClient({
      url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, RECONNECT_MAX_MS), connectTimeout: 2000 },
    });
    redis.on('error', () => {});
    await redis.connect();
    const p = new RedisPresence(redis, opts);
    await p.renewBeat();
    return p;
  }

  async add(user: string, conn: string): Promise<boolean> {
    let own = this.mine.get(user);
    if (own === undefined) this.mine.set(user, (own = new Set()));
    own.add(conn);
    const r = await this.announce(user, conn, Date.now());
    return r === 1;
  }

  async remove(user: string, conn: string): Promise<boolean> {
    const own = this.mine.get(user);
    own?.delete(conn);
    if (own?.size === 0) this.mine.delete(user);
    const r = await this.eval(REMOVE, [this.userKey(user), this.onlineKey()], [this.member(conn), Date.now(), user]);
    return r === 1;
  }

  async online(users: string[]): Promise<Set<string>> {
    if (users.length === 0) return new Set();
    const scores = await this.redis.zmScore(this.onlineKey(), users);
    const now = Date.now();
    return new Set(users.filter((_, i) => scores[i] !== null && scores[i]! > now));
  }

  async everyone(): Promise<string[]> {
    return this.redis.zRangeByScore(this.onlineKey(), `(${Date.now()}`, '+inf');
  }

  async sweep(): Promise<string[]> {
    return (await this.eval(SWEEP, [this.onlineKey()], [Date.now(), `${this.prefix}p:`])) as string[];
  }

  /**
   * Held by a node whose heartbeat is fresh (renewed within the last beat and a half): no.
   * Held by a quiet one: look again as its key runs out, or at the next beat, until it has
   * expired (the handle is ours), was renewed (it lives: no), or the node timeout is over.
   */
  async hold(user: string, conn: string): Promise<boolean> {
    const giveUpAt = Date.now() + this.nodeTtl + this.beatMs;
    const freshAbove = this.nodeTtl - 1.5 * this.beatMs;
    for (;;) {
      const [taken, left] = await this.takeHold(user, conn);
      if (taken) {
        this.held.set(user, conn);
        return true;
      }
      if (left < 0 || left > freshAbove || Date.now() >= giveUpAt) return false;
      await sleep(Math.min(left + 5, this.beatMs));
    }
  }

  async release(user: string, conn: string): Promise<void> {
    if (this.held.get(user) === conn) this.held.delete(user);
    await this.eval(RELEASE, [this.holdKey(user)], [this.member(conn)]);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.beat);
    if (this.redis.isOpen) this.redis.destroy();
  }

  /**
   * Keep this node's entries alive, and put them back after Redis lost them. Asked for again
   * while one runs, it runs once more after it (the entries may have changed meanwhile).
   */
  refresh(): Promise<void> {
    if (this.refreshing !== null) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    const run = async () => {
      do {
        this.refreshAgain = false;
        await this.refreshOnce();
      } while (this.refreshAgain);
    };
    this.refreshing = run().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async refreshOnce(): Promise<void> {
    if (!this.redis.isReady) return;
    await this.renewBeat();
    const now = Date.now();
    const work: Promise<unknown>[] = [];
    for (const [user, conns] of this.mine) for (const c of conns) work.push(this.announce(user, c, now));
    for (const [user, conn] of this.held) {
      work.push(this.takeHold(user, conn).then(([taken]) => {
        // Another node took it over while this one looked dead (a long stall): one handle,
        // one connection, so this one goes.
        if (!taken && this.held.get(user) === conn) {
          this.held.delete(user);
          this.onLost(user, conn);
        }
      }));
    }
    await Promise.all(work);
  }

  private announce(user: string, conn: string, now: number): Promise<unknown> {
    return this.eval(ADD, [this.userKey(user), this.onlineKey()], [this.member(conn), now + this.ttl, now, 2 * this.ttl, user]);
  }

  private async takeHold(user: string, conn: string): Promise<[taken: boolean, holderBeatLeftMs: number]> {
    const [taken, left] = (await this.eval(HOLD, [this.holdKey(user)], [this.member(conn), this.ttl, `${this.prefix}n:`])) as [number, number];
    return [taken === 1, Number(left)];
  }

  private eval(script: string, keys: string[], args: Array<string | number>): Promise<unknown> {
    return this.redis.eval(script, { keys, arguments: args.map(String) });
  }

  private member(conn: string): string {
    return `${this.node}/${conn}`;
  }

  private userKey(user: string): string {
    return `${this.prefix}p:${user}`;
  }

  private onlineKey(): string {
    return `${this.prefix}online`;
  }

  private nodeKey(): string {
    return `${this.prefix}n:${this.node}`;
  }

  private holdKey(user: string): string {
    return `${this.prefix}h:${user}`;
  }
}
