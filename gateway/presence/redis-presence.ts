import { createClient } from 'redis';
import { DEFAULT_PRESENCE_TTL_MS, type Presence } from './presence.ts';

type Client = ReturnType<typeof createClient>;

/**
 * Presence on Redis. Redis 7.0 (Debian's) has no per-field TTL, so each user is a sorted set
 * of their connections (`<node>/<conn>`) scored by expiry, and `online` a sorted set of users
 * scored by their latest expiry. Every change is one Lua script, so two nodes never both
 * announce the same OFFLINE. The node refreshes its own entries every third of the TTL;
 * after Redis restarts empty, that refresh puts them all back by itself.
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
 * elsewhere within the node heartbeat's TTL, not the longer presence TTL.
 */
const HOLD = `
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
local node = string.match(v, '^(.*)/')
if node and redis.call('EXISTS', ARGV[3] .. node) == 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0`;

export type RedisPresenceOptions = {
  nodeId: string;
  ttlMs?: number;
  /** How long a node counts as alive after its last heartbeat, for taking over its holds. */
  nodeTtlMs?: number;
  prefix?: string;
};

/** Long enough to ride out a Redis stall of several seconds, short enough for a quick failover. */
export const DEFAULT_NODE_TTL_MS = 10_000;

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
  /** Told when a handle this node held was taken over (it was thought dead): that connection must go. */
  onLost: (user: string, conn: string) => void = () => {};

  private constructor(private readonly redis: Client, opts: RedisPresenceOptions) {
    this.ttl = opts.ttlMs ?? DEFAULT_PRESENCE_TTL_MS;
    this.nodeTtl = opts.nodeTtlMs ?? Math.min(DEFAULT_NODE_TTL_MS, this.ttl);
    this.prefix = opts.prefix ?? 'slck:';
    this.node = opts.nodeId;
    this.timer = setInterval(() => void this.refresh().catch(() => {}), Math.max(10, Math.floor(this.ttl / 3)));
    this.timer.unref();
    this.beat = setInterval(() => void this.heartbeat(), Math.max(10, Math.floor(this.nodeTtl / 5)));
    this.beat.unref();
  }

  /** This node is alive: its holds stand. */
  private async heartbeat(): Promise<void> {
    if (!this.redis.isReady) return;
    await this.redis.set(this.nodeKey(), '1', { PX: this.nodeTtl }).catch(() => {});
  }

  static async open(url: string, opts: RedisPresenceOptions): Promise<RedisPresence> {
    const redis = createClient({
      url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000), connectTimeout: 2000 },
    });
    redis.on('error', () => {});
    await redis.connect();
    const p = new RedisPresence(redis, opts);
    await p.heartbeat();
    return p;
  }

  async add(user: string, conn: string): Promise<boolean> {
    let own = this.mine.get(user);
    if (own === undefined) this.mine.set(user, (own = new Set()));
    own.add(conn);
    const now = Date.now();
    const r = await this.eval(ADD, [this.userKey(user), this.onlineKey()], [this.member(conn), now + this.ttl, now, 2 * this.ttl, user]);
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

  async hold(user: string, conn: string): Promise<boolean> {
    const ok = (await this.eval(HOLD, [this.holdKey(user)], [this.member(conn), this.ttl, `${this.prefix}n:`])) === 1;
    if (ok) this.held.set(user, conn);
    return ok;
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

  /** Keep this node's entries alive, and put them back after Redis lost them. */
  async refresh(): Promise<void> {
    if (!this.redis.isReady) return;
    const now = Date.now();
    const work: Promise<unknown>[] = [];
    for (const [user, conns] of this.mine) {
      for (const c of conns) {
        work.push(this.eval(ADD, [this.userKey(user), this.onlineKey()], [this.member(c), now + this.ttl, now, 2 * this.ttl, user]));
      }
    }
    await this.heartbeat();
    for (const [user, conn] of this.held) {
      work.push(this.eval(HOLD, [this.holdKey(user)], [this.member(conn), this.ttl, `${this.prefix}n:`]).then((r) => {
        // Another node took it over while this one looked dead (a long Redis stall): one
        // handle, one connection, so this one goes.
        if (r !== 1 && this.held.get(user) === conn) {
          this.held.delete(user);
          this.onLost(user, conn);
        }
      }));
    }
    await Promise.all(work);
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
