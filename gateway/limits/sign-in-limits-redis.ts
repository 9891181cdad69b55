import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { FORGET_AFTER_MS, MAX_WAIT_MS, type Counted } from './rate-limit.ts';
import { SignInLimits, TRUSTED_PER_ACCOUNT, type LimitStorage, type SignInLimitsOptions } from './sign-in-limits.ts';

type Client = ReturnType<typeof createClient>;

/**
 * Sign-in limits shared by every node on one Redis, so N nodes give an attacker no more
 * guesses than one. Keys, under the prefix (`slck:` by default):
 *
 * - `signin:r:<record>` a hash {f: failures, last: time of the last} per record
 *   (`user:<handle>@<address>`, `addr:<address>`, `acct:<handle>`), expiring 15 minutes
 *   after its last failure;
 * - `signin:t:<handle>` a list of the addresses the account signed in from, most recent
 *   last, capped at TRUSTED_PER_ACCOUNT, expiring TRUSTED_FOR_MS after the last sign-in;
 * - `signin:c:<address>` a sorted set of the address's claims scored by time, trimmed to the
 *   last hour (and to claimsPerHour entries), expiring an hour after the last claim.
 *
 * Every change is one Lua script, so nodes changing one record at the same time cannot lose
 * a count, and checking for a wait and counting the attempt is one step. The time is passed
 * in (not Redis TIME) so that tests can move a clock; the nodes' clocks need only agree to
 * well within a second. The scripts name keys they compute, so this needs one Redis, not a
 * Redis Cluster.
 */

/** How long an account remembers an address it signed in from, without another sign-in. */
export const TRUSTED_FOR_MS = 90 * 86_400_000;
/** A Redis that has not answered by then counts as unreachable (this node's memory stands in). */
export const DEFAULT_TIMEOUT_MS = 1_000;

// The arithmetic of rate-limit.ts (delayMs, forgetting), kept in step with it: the contract
// suite in sign-in-limits.test.ts runs the same waits against both.
// ARGV: now, forget after (ms), longest wait (ms), then one number per key.
const RECORDS = `
local now, forget, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
-- A record's failures and last failure, or nil once forgotten.
local function get(k)
  local r = redis.call('HMGET', k, 'f', 'last')
  if not r[1] or now - tonumber(r[2]) > forget then return nil end
  return tonumber(r[1]), tonumber(r[2])
end
local function longest()
  local wait = 0
  for i, k in ipairs(KEYS) do
    local f, last = get(k)
    local free = tonumber(ARGV[3 + i])
    if f and f >= free then wait = math.max(wait, last + math.min(1000 * 2 ^ (f - free), max) - now) end
  end
  return wait
end
`;

/** The per-key numbers are each record's free failures. */
const WAIT = `${RECORDS}
return longest()`;

const BEGIN = `${RECORDS}
local wait = longest()
if wait > 0 then return wait end
for _, k in ipairs(KEYS) do
  redis.call('HSET', k, 'f', (get(k) or 0) + 1, 'last', ARGV[1])
  redis.call('PEXPIRE', k, forget)
end
return 0`;

/** The per-key numbers are 1 to drop the record, 0 to take one failure off it. */
const TAKE_BACK = `${RECORDS}
for i, k in ipairs(KEYS) do
  local f = get(k)
  if ARGV[3 + i] == '1' or not f or f <= 1 then redis.call('DEL', k)
  else redis.call('HSET', k, 'f', f - 1) end
end
return 0`;

// ARGV: address, most kept, expiry (ms).
const TRUST = `
redis.call('LREM', KEYS[1], 0, ARGV[1])
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 0`;

const IS_TRUSTED = `
if redis.call('LPOS', KEYS[1], ARGV[1]) then return 1 end
return 0`;

// ARGV: since (exclusive).
const CLAIMS = `
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES')`;

// ARGV: now, since, most kept, a member unique across nodes, expiry (ms).
const CLAIM = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[3]) - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 0`;

export type RedisLimitOptions = { prefix?: string; timeoutMs?: number };

export class RedisLimitStorage implements LimitStorage {
  private readonly prefix: string;
  private readonly timeoutMs: number;

  private constructor(private readonly redis: Client, opts: RedisLimitOptions) {
    this.prefix = opts.prefix ?? 'slck:';
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * Connected, or still trying when `timeoutMs` (at least 2 s) has passed: a node may start
   * while Redis is away, its own memory standing in until it is back.
   */
  static async open(url: string, opts: RedisLimitOptions = {}): Promise<RedisLimitStorage> {
    const redis = createClient({
      url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000), connectTimeout: 2000 },
    });
    redis.on('error', () => {});
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      redis.connect().catch(() => {}),
      new Promise((ok) => (timer = setTimeout(ok, Math.max(2000, opts.timeoutMs ?? 0)))),
    ]);
    clearTimeout(timer);
    return new RedisLimitStorage(redis, opts);
  }

  async wait(records: Counted[], now: number): Promise<number> {
    return Number(await this.eval(WAIT, records.map((r) => this.recordKey(r.key)), [now, FORGET_AFTER_MS, MAX_WAIT_MS, ...records.map((r) => r.free)]));
  }

  async begin(records: Counted[], now: number): Promise<number> {
    return Number(await this.eval(BEGIN, records.map((r) => this.recordKey(r.key)), [now, FORGET_AFTER_MS, MAX_WAIT_MS, ...records.map((r) => r.free)]));
  }

  async takeBack(clear: string[], others: string[], now: number): Promise<void> {
    const keys = [...clear, ...others].map((k) => this.recordKey(k));
    await this.eval(TAKE_BACK, keys, [now, FORGET_AFTER_MS, MAX_WAIT_MS, ...clear.map(() => 1), ...others.map(() => 0)]);
  }

  async isTrusted(account: string, address: string): Promise<boolean> {
    return (await this.eval(IS_TRUSTED, [this.trustedKey(account)], [address])) === 1;
  }

  async trust(account: string, address: string): Promise<void> {
    await this.eval(TRUST, [this.trustedKey(account)], [address, TRUSTED_PER_ACCOUNT, TRUSTED_FOR_MS]);
  }

  async claims(address: string, since: number): Promise<number[]> {
    const flat = (await this.eval(CLAIMS, [this.claimsKey(address)], [since])) as string[];
    return flat.filter((_, i) => i % 2 === 1).map(Number);
  }

  async claim(address: string, now: number, since: number, keep: number): Promise<void> {
    await this.eval(CLAIM, [this.claimsKey(address)], [now, since, keep, `${now}:${randomUUID()}`, now - since]);
  }

  async close(): Promise<void> {
    if (this.redis.isOpen) this.redis.destroy();
  }

  /**
   * node-redis times out only commands not yet sent, and a stalled Redis takes them and says
   * nothing, so the wait is bounded here. A script that runs after all counts then as well:
   * more failures, never fewer.
   */
  private async eval(script: string, keys: string[], args: Array<string | number>): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`Redis did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return await Promise.race([this.redis.eval(script, { keys, arguments: args.map(String) }), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private recordKey(record: string): string {
    return `${this.prefix}signin:r:${record}`;
  }

  private trustedKey(account: string): string {
    return `${this.prefix}signin:t:${account}`;
  }

  private claimsKey(address: string): string {
    return `${this.prefix}signin:c:${address}`;
  }
}

/** SignInLimits shared through Redis at `url`, this node's memory standing in when it is away. */
export async function openRedisSignInLimits(url: string, opts: SignInLimitsOptions & RedisLimitOptions): Promise<SignInLimits> {
  return new SignInLimits({ ...opts, storage: await RedisLimitStorage.open(url, opts) });
}
