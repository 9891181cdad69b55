import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { perTestServer } from './support/per-test-server.ts';
import { TestClient } from './support/client.ts';
import { SignInLimits, type SignInLog } from '../limits/sign-in-limits.ts';
import { openRedisSignInLimits } from '../limits/sign-in-limits-redis.ts';
import { startRedis, type TestRedis } from './support/services.ts';

// Password guessing is limited per account across addresses, without locking the owner out,
// and claiming new handles is limited per address: first through a real server (REG, in
// memory), then the same rules as one contract for memory and Redis, then what only several
// nodes on one Redis, or a Redis gone away, show.

const { start, tcp } = perTestServer();

async function from(address: string): Promise<TestClient> {
  const c = await tcp(address);
  await c.next(); // HELLO
  return c;
}

/** One attempt from a fresh connection at `address`: the reply, and the connection closed. */
async function attempt(address: string, line: string): Promise<string> {
  const c = await from(address);
  const [reply] = await c.cmd(line);
  c.destroy();
  return reply;
}

const code = (reply: string) => reply.split(' ').slice(0, 2).join(' ');

describe('sign-in limits', () => {
  it('guesses from many addresses are limited per account; the address the owner signs in from is not', async () => {
    await start();
    expect(await attempt('127.0.0.2', 'REG @vault open-sesame')).toBe('OK');
    const answers: string[] = [];
    for (let i = 0; i < 14; i++) answers.push(code(await attempt(`127.0.0.${10 + i}`, `REG @vault guess${i}`)));
    // One guess per address would never trip a per-address limit; the account's does.
    expect(answers.slice(0, 10)).toEqual(Array(10).fill('ERR WRONG_PASSWORD'));
    expect(answers.slice(10)).toEqual(Array(4).fill('ERR RATE_LIMITED'));
    // The owner, from where they signed in before, still gets in ...
    expect(await attempt('127.0.0.2', 'REG @vault open-sesame')).toBe('OK');
    // ... while an address the account has never signed in from waits like the guessers.
    expect(await attempt('127.0.0.99', 'REG @vault open-sesame')).toMatch(/^ERR RATE_LIMITED Too many attempts; wait \d+ s$/);
  });

  // In memory nothing else runs between REG's check and its count; across nodes on Redis it
  // could, which the Redis contract below covers (one step: `attempt` checks and counts).
  it('guesses sent at once are limited as if sent one after another', async () => {
    await start();
    expect(await attempt('127.0.0.2', 'REG @vault open-sesame')).toBe('OK');
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => attempt(`127.0.0.${30 + i}`, `REG @vault guess${i}`)));
    expect(answers.map(code).filter((a) => a === 'ERR WRONG_PASSWORD')).toHaveLength(10);
    expect(answers.map(code).filter((a) => a === 'ERR RATE_LIMITED')).toHaveLength(10);
  });

  it('a stranger guessing other accounts from the owner\'s address does not lock the owner out', async () => {
    await start();
    for (const h of ['@a', '@b', '@c', '@d', '@e']) expect(await attempt('127.0.0.4', `REG ${h} their-secret`)).toBe('OK');
    expect(await attempt('127.0.0.3', 'REG @mine my-secret')).toBe('OK');
    // Behind the same NAT (the same address), someone guesses at the other accounts.
    const stranger = await from('127.0.0.3');
    const answers: string[] = [];
    for (const h of ['@a', '@b', '@c', '@d', '@e']) answers.push(code((await stranger.cmd(`REG ${h} guess`))[0]));
    expect(answers).toEqual(['ERR WRONG_PASSWORD', 'ERR WRONG_PASSWORD', 'ERR WRONG_PASSWORD', 'ERR RATE_LIMITED', 'ERR RATE_LIMITED']);
    expect(await attempt('127.0.0.3', 'REG @mine my-secret')).toBe('OK');
  });

  it('claims of new handles are limited per address; guest handles and other addresses are not', async () => {
    await start({ claimsPerHour: 3 });
    for (const h of ['@c1', '@c2', '@c3']) expect(await attempt('127.0.0.5', `REG ${h} secret`)).toBe('OK');
    expect(await attempt('127.0.0.5', 'REG @c4 secret')).toMatch(/^ERR RATE_LIMITED Too many new claims from your address; wait \d+ s$/);
    expect(await attempt('127.0.0.5', 'REG @c4')).toBe('OK');
    expect(await attempt('127.0.0.6', 'REG @c5 secret')).toBe('OK');
    // Signing in to a handle already claimed is not a new claim.
    expect(await attempt('127.0.0.5', 'REG @c1 secret')).toBe('OK');
  });
});

// The contract: the same rules over this process's memory and over Redis, on a clock the
// tests move (Redis is given the time, not asked for it).

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});
const open: SignInLimits[] = [];
afterEach(async () => {
  for (const l of open.splice(0)) await l.close();
});

/** A clock that moves only when told. */
function clock() {
  let t = 1_700_000_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}
type Clock = ReturnType<typeof clock>;

let seq = 0;
const implementations: Array<{ name: string; make: (c: Clock, claimsPerHour?: number) => Promise<SignInLimits> }> = [
  { name: 'memory', make: async (c, claimsPerHour = 3) => new SignInLimits({ claimsPerHour, now: c.now }) },
  {
    name: 'Redis',
    make: async (c, claimsPerHour = 3) => {
      const l = await openRedisSignInLimits(redis.url, { claimsPerHour, now: c.now, prefix: `t${++seq}:` });
      open.push(l);
      return l;
    },
  },
];

/** A right password from `address`: begun, then taken back, and the address trusted. */
async function signIn(l: SignInLimits, handle: string, address: string): Promise<void> {
  expect(await l.attempt(handle, address)).toBe(0);
  await l.succeed(handle, address);
}

/** `n` wrong passwords, each from a fresh address (a botnet): all of them begun. */
async function botnet(l: SignInLimits, handle: string, n: number, from = 0): Promise<void> {
  for (let i = from; i < from + n; i++) expect(await l.attempt(handle, `10.0.0.${i}`)).toBe(0);
}

for (const impl of implementations) {
  describe(`SignInLimits contract: ${impl.name}`, () => {
    it('a handle from one address: three free failures, then waits doubling up to a minute; forgotten after 15 minutes', async () => {
      const c = clock();
      const l = await impl.make(c);
      for (let i = 0; i < 3; i++) expect(await l.attempt('@h', 'a')).toBe(0);
      const waits: number[] = [];
      for (let i = 0; i < 8; i++) {
        const w = await l.wait('@h', 'a');
        waits.push(w);
        expect(await l.attempt('@h', 'a')).toBe(w); // refused, and not counted
        c.advance(w);
        expect(await l.attempt('@h', 'a')).toBe(0);
      }
      expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 32000, MINUTE, MINUTE]);
      expect(await l.wait('@other', 'a')).toBe(MINUTE); // the address, for any handle
      expect(await l.wait('@h', 'b')).toBe(2000); // the account: 11 begun, 10 free
      c.advance(15 * MINUTE + 1);
      expect(await l.wait('@h', 'a')).toBe(0);
      for (let i = 0; i < 3; i++) expect(await l.attempt('@h', 'a')).toBe(0);
      expect(await l.wait('@h', 'a')).toBe(1000); // counting from one again
    });

    it('guesses from many addresses are limited per account; the address the owner signs in from is not', async () => {
      const c = clock();
      const l = await impl.make(c);
      await signIn(l, '@vault', 'home');
      await botnet(l, '@vault', 10);
      expect(await l.attempt('@vault', '10.0.1.1')).toBe(1000);
      expect(await l.wait('@vault', '10.0.1.2')).toBe(1000);
      expect(await l.wait('@vault', 'home')).toBe(0);
      await signIn(l, '@vault', 'home');
      expect(await l.wait('@vault', '10.0.1.2')).toBe(1000); // the owner's success takes none of theirs back
      c.advance(1000);
      expect(await l.attempt('@vault', '10.0.1.2')).toBe(0);
      expect(await l.wait('@vault', '10.0.1.3')).toBe(2000);
    });

    it("a stranger guessing other accounts from the owner's address does not lock the owner out", async () => {
      const l = await impl.make(clock());
      await signIn(l, '@mine', 'nat');
      for (const h of ['@a', '@b', '@c']) expect(await l.attempt(h, 'nat')).toBe(0);
      expect(await l.attempt('@d', 'nat')).toBe(1000);
      expect(await l.wait('@mine', 'nat')).toBe(0);
      await signIn(l, '@mine', 'nat');
    });

    it('a right password takes its attempt back', async () => {
      const l = await impl.make(clock());
      // One person signing in to their five accounts from one new address: never a wait.
      for (const h of ['@a', '@b', '@c', '@d', '@e']) await signIn(l, h, 'cafe');
      // Two wrong, then right: the handle's record is cleared, the address keeps its two.
      expect(await l.attempt('@f', 'x')).toBe(0);
      expect(await l.attempt('@f', 'x')).toBe(0);
      await signIn(l, '@f', 'x');
      expect(await l.attempt('@g', 'x')).toBe(0);
      expect(await l.wait('@h', 'x')).toBe(1000);
    });

    it('attempts begun at the same time are limited as if one after another', async () => {
      const l = await impl.make(clock());
      const begun = await Promise.all(Array.from({ length: 30 }, (_, i) => l.attempt('@vault', `10.0.0.${i}`)));
      expect(begun.filter((w) => w === 0)).toHaveLength(10);
    });

    it('an account trusts the last eight addresses it signed in from', async () => {
      const l = await impl.make(clock());
      for (let i = 1; i <= 9; i++) await signIn(l, '@vault', `home${i}`);
      await botnet(l, '@vault', 10);
      expect(await l.wait('@vault', 'home1')).toBe(1000);
      for (let i = 2; i <= 9; i++) expect(await l.wait('@vault', `home${i}`)).toBe(0);
    });

    it('claims are limited per address per hour; a claim trusts its address', async () => {
      const c = clock();
      const l = await impl.make(c, 3);
      for (const h of ['@c1', '@c2', '@c3']) {
        expect(await l.claimWait('a')).toBe(0);
        await l.claimed('a', h);
        c.advance(MINUTE);
      }
      expect(await l.claimWait('a')).toBe(HOUR - 3 * MINUTE);
      expect(await l.claimWait('b')).toBe(0);
      c.advance(HOUR - 3 * MINUTE);
      expect(await l.claimWait('a')).toBe(0);
      await botnet(l, '@c1', 10);
      expect(await l.wait('@c1', 'a')).toBe(0);
      expect(await l.wait('@c1', 'b')).toBe(1000);
    });

    it('no claim limit when claims per hour is 0', async () => {
      const l = await impl.make(clock(), 0);
      for (let i = 0; i < 50; i++) await l.claimed('a', `@c${i}`);
      expect(await l.claimWait('a')).toBe(0);
    });
  });
}

describe('SignInLimits on one Redis, several nodes', () => {
  async function nodes(n: number, c: Clock): Promise<SignInLimits[]> {
    const prefix = `shared${++seq}:`;
    const ls = await Promise.all(Array.from({ length: n }, () => openRedisSignInLimits(redis.url, { claimsPerHour: 3, now: c.now, prefix })));
    open.push(...ls);
    return ls;
  }

  it("share one account's failures: ten split across two nodes make the eleventh wait on either", async () => {
    const c = clock();
    const [a, b] = await nodes(2, c);
    await signIn(a, '@vault', 'home');
    await botnet(a, '@vault', 5);
    await botnet(b, '@vault', 5, 5);
    expect(await a.attempt('@vault', '10.0.1.1')).toBe(1000);
    expect(await b.attempt('@vault', '10.0.1.2')).toBe(1000);
    expect(await b.wait('@vault', 'home')).toBe(0); // trusted through node a
  });

  it('attempts begun at once on two nodes are limited as if one after another; claims are shared', async () => {
    const c = clock();
    const [a, b] = await nodes(2, c);
    const begun = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).attempt('@vault', `10.0.0.${i}`)));
    expect(begun.filter((w) => w === 0)).toHaveLength(10);
    for (const [l, h] of [[a, '@c1'], [b, '@c2'], [a, '@c3']] as const) await l.claimed('x', h);
    expect(await b.claimWait('x')).toBe(HOUR);
  });

  it('nothing is kept for ever: every key expires', async () => {
    const c = clock();
    const [a] = await nodes(1, c);
    await signIn(a, '@vault', 'home');
    await botnet(a, '@vault', 3);
    await a.claimed('x', '@new');
    const raw = createClient({ url: redis.url });
    await raw.connect();
    const keys = await raw.keys(`shared${seq}:*`);
    expect(keys.map((k) => k.split(':').slice(1, 3).join(':')).sort()).toEqual(expect.arrayContaining(['signin:c', 'signin:r', 'signin:t']));
    for (const k of keys) expect(await raw.pTTL(k)).toBeGreaterThan(0);
    await raw.quit();
  });
});

describe('SignInLimits when Redis is away', () => {
  let lone: TestRedis;
  beforeAll(async () => {
    lone = await startRedis();
  });
  afterAll(async () => {
    await lone?.stop();
  });

  function recorder() {
    const warned: string[] = [];
    const told: string[] = [];
    const log: SignInLog = { warn: (_, msg) => warned.push(msg), info: (_, msg) => told.push(msg) };
    return { log, warned, told };
  }

  it("falls back to this node's limits, with one warning: guessing stays limited, the owner gets in", async () => {
    const c = clock();
    const { log, warned, told } = recorder();
    const l = await openRedisSignInLimits(lone.url, { claimsPerHour: 3, now: c.now, log, prefix: 'down:' });
    open.push(l);
    await signIn(l, '@vault', 'home');
    await lone.kill();
    await botnet(l, '@vault', 10);
    expect(await l.attempt('@vault', '10.0.1.1')).toBe(1000);
    for (let i = 0; i < 3; i++) await l.attempt('@other', 'y');
    expect(await l.wait('@other', 'y')).toBe(1000);
    await signIn(l, '@vault', 'home'); // trusted here before Redis went
    expect(l.degraded).toBe(true);
    expect(warned).toHaveLength(1);
    expect(told).toHaveLength(0);
    // Back (empty): shared again, and said so once.
    await lone.start();
    const until = Date.now() + 10_000;
    while (l.degraded && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      await l.wait('@vault', 'z');
    }
    expect(l.degraded).toBe(false);
    expect(told).toHaveLength(1);
    expect(await l.wait('@other', 'y')).toBe(0);
  });

  it('a stalled Redis costs at most the timeout, then this node limits on its own', async () => {
    const c = clock();
    const { log, warned } = recorder();
    const l = await openRedisSignInLimits(lone.url, { claimsPerHour: 3, now: c.now, log, prefix: 'stall:', timeoutMs: 200 });
    open.push(l);
    lone.pause();
    try {
      const t = Date.now();
      for (let i = 0; i < 3; i++) expect(await l.attempt('@h', 'a')).toBe(0);
      expect(await l.attempt('@h', 'a')).toBe(1000);
      expect(Date.now() - t).toBeLessThan(200 + 400); // one timeout, then straight to memory for a while
      expect(warned).toHaveLength(1);
    } finally {
      lone.resume();
    }
  });

  it('a node starts while Redis is away, and limits on its own meanwhile', async () => {
    await lone.kill();
    try {
      const { log, warned } = recorder();
      const l = await openRedisSignInLimits(lone.url, { claimsPerHour: 3, now: clock().now, log, prefix: 'late:' });
      open.push(l);
      for (let i = 0; i < 3; i++) expect(await l.attempt('@h', 'a')).toBe(0);
      expect(await l.attempt('@h', 'a')).toBe(1000);
      expect(warned).toHaveLength(1);
    } finally {
      await lone.start();
    }
  });
});
