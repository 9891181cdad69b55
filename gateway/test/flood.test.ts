/**
 * Flood control (spec §7, gateway/limits/flood.ts): a connection's MSGs past its burst are delayed
 * to the rate, never refused. Every message is stored and answered, in order; meanwhile the
 * server goes on answering everyone else. The bucket's arithmetic is checked with a clock
 * passed in; the server with real sockets.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../core/index.ts';
import { perTestServer } from './support/per-test-server.ts';
import { TestClient, show, type Received } from './support/client.ts';
import { TokenBucket } from '../limits/flood.ts';

const { start, user, tcp } = perTestServer();
const is = (type: string) => (f: Received) => !(f instanceof ProtocolError) && f.type === type;
/** `OK <id> <ts>` replies: stored messages (REG's and JOIN's bare OK are not counted). */
const oks = (c: TestClient) => c.frames.filter((f) => is('OK')(f) && /^OK \d/.test(show(f))).length;
const pipeline = (target: string, n: number) =>
  Array.from({ length: n }, (_, k) => `MSG ${target} ${String(k).length}\r\n${k}\r\n`).join('');

describe('TokenBucket', () => {
  it('gives the burst at once, then one token per 1/rate seconds, and never more than the burst', () => {
    const b = new TokenBucket(50, 10, 0);
    for (let i = 0; i < 10; i++) expect(b.take(0)).toBe(0);
    // Empty: the next token is due in 1000 / 50 = 20 ms, and waiting takes nothing.
    expect(b.take(0)).toBe(20);
    expect(b.take(5)).toBe(15);
    expect(b.take(20)).toBe(0);
    expect(b.take(20)).toBe(20);
    // A long quiet spell refills it to the burst, not beyond.
    for (let i = 0; i < 10; i++) expect(b.take(60_000)).toBe(0);
    expect(b.take(60_000)).toBeGreaterThan(0);
  });

  it('a slow rate: 10 an hour', () => {
    const b = new TokenBucket(10 / 3600, 10, 0);
    for (let i = 0; i < 10; i++) expect(b.take(0)).toBe(0);
    expect(b.take(0)).toBe(360_000);
    expect(b.take(360_000)).toBe(0);
  });
});

describe('a client that floods', () => {
  it('pipelining 200 messages at 50/s, burst 10: every OK, in order, spread out, and a bystander answered meanwhile', async () => {
    await start({ msgRate: 50, msgBurst: 10 });
    const flooder = await user('@flooder', '#flood');
    const watcher = await user('@watcher', '#flood');
    const sentAt = flooder.frames.length;
    flooder.write(`${pipeline('#flood', 200)}PING last\r\n`);
    // Once the flood has begun reaching the channel, the bystander asks: it is answered while
    // most of the flood is still held back (200 messages at 50/s take about 4 s).
    await watcher.waitFor(() => watcher.msgs.length > 0, 'the first delivery');
    await watcher.settle('bystander');
    expect(oks(flooder)).toBeLessThan(200);
    expect(watcher.msgs.length).toBeLessThan(200);

    await flooder.until((f) => !(f instanceof ProtocolError) && f.type === 'PONG', 20_000);
    const replies = flooder.frames.slice(sentAt).filter((f) => /^(OK \d|ERR|PONG)/.test(show(f))).map(show);
    expect(replies).toHaveLength(201);
    expect(replies.slice(0, 200).every((l) => /^OK \d+ \S+Z$/.test(l))).toBe(true);
    expect(replies[200]).toBe('PONG last');
    const ids = replies.slice(0, 200).map((l) => Number(l.split(' ')[1]));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    // Nothing lost: everything was stored and delivered, in the order sent.
    await watcher.waitFor(() => watcher.msgs.length === 200, '200 deliveries');
    expect(watcher.msgs.map((m) => Buffer.from(m.body).toString())).toEqual(Array.from({ length: 200 }, (_, k) => String(k)));
    expect((await watcher.cmd('HISTORY #flood 500')).at(-1)).toBe('END HISTORY 200');
  });

  it('commands after a held MSG wait for it: replies stay in order', async () => {
    await start({ msgRate: 20, msgBurst: 1 });
    const c = await user('@typist', '#t');
    c.write(`${pipeline('#t', 3)}TIME\r\nPING p\r\n`);
    const got = await c.lines(5);
    expect(got.slice(0, 3).every((l) => l.startsWith('OK '))).toBe(true);
    expect(got[3]).toMatch(/^TIME /);
    expect(got[4]).toBe('PONG p');
  });

  it('--msg-rate 0 turns it off: a pipeline of 2,000 is answered as fast as it is read', async () => {
    await start({ msgRate: 0 });
    const c = await user('@bench', '#b');
    c.write(`${pipeline('#b', 2000)}PING end\r\n`);
    await c.until((f) => !(f instanceof ProtocolError) && f.type === 'PONG', 20_000);
    expect(oks(c)).toBe(2000);
  });
});

describe('--rate-exempt', () => {
  const opts = { msgRate: 1, msgBurst: 1, rateExempt: ['@bot'] };

  it('a listed claimed handle is not limited (at 1/s, 300 messages would take five minutes)', async () => {
    await start(opts);
    const bot = await tcp();
    await bot.until(is('HELLO'));
    await bot.ok('REG @Bot s3cret-pass');
    await bot.ok('JOIN #feed');
    bot.write(`${pipeline('#feed', 300)}PING done\r\n`);
    await bot.until((f) => !(f instanceof ProtocolError) && f.type === 'PONG', 20_000);
    expect(oks(bot)).toBe(300);
  });

  it('a listed handle without a password is anyone\'s, so it is limited like everyone', async () => {
    await start(opts);
    const guest = await user('@bot', '#feed');
    const other = await user('@other', '#feed');
    guest.write(pipeline('#feed', 5));
    await other.waitFor(() => other.msgs.length > 0, 'the first delivery');
    await other.settle('meanwhile');
    // One token a second: the rest are still held.
    expect(other.msgs.length).toBeLessThan(5);
  });
});
