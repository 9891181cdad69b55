import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../core/index.ts';
import { perTestServer } from './support/per-test-server.ts';
import { TestClient, floodUntilOffline, show, type Received } from './support/client.ts';

// Delivery over real sockets: every member gets every message once and in order, direct
// messages reach one person, LEAVE and disconnects are seen by the others, and a member who
// stops reading is cut off without holding anyone else back.

const { start, server, hold } = perTestServer();
/** Senders here pipeline hundreds of messages: delivery is the point, not the message rate (flood.test.ts). */
const FAST = { msgRate: 0 };

async function users(n: number, handle: (i: number) => string, ...channels: string[]): Promise<TestClient[]> {
  return (await Promise.all(Array.from({ length: n }, (_, i) => TestClient.user(server().tcpPort, handle(i), ...channels)))).map(hold);
}
const user = async (handle: string, ...channels: string[]) => (await users(1, () => handle, ...channels))[0];
const is = (type: string, text?: string) => (f: Received) =>
  !(f instanceof ProtocolError) && f.type === type && (text === undefined || show(f) === text);
const bodyOf = (m: { body: Uint8Array }) => Buffer.from(m.body).toString();
/** The JOINED lines a connection got: at sign-in, one for each of the user's channels. */
const joinedLines = (c: TestClient) => c.frames.map(show).filter((l) => l.startsWith('JOINED'));

/** Each sender writes `count` messages in one go (pipelined), then waits for every OK. */
async function sendAll(sender: TestClient, target: string, count: number, body: (k: number) => string): Promise<void> {
  let wire = '';
  for (let k = 0; k < count; k++) wire += `MSG ${target} ${Buffer.byteLength(body(k))}\r\n${body(k)}\r\n`;
  const before = sender.frames.filter(is('OK')).length;
  sender.write(wire);
  await sender.waitFor(() => sender.frames.filter(is('OK')).length >= before + count, `${count} OKs`);
  expect(sender.drain().filter(is('ERR')).map(show)).toEqual([]);
}

/** Every other member got each message once, in each sender's order, in id order overall. */
function expectAllDelivered(members: TestClient[], names: string[], perSender: number, channel: string): void {
  members.forEach((c, i) => {
    const got = c.msgs.filter((m) => m.target === channel);
    expect(got.map((m) => m.from)).not.toContain(names[i]);
    const ids = got.map((m) => m.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    for (const from of names) {
      if (from === names[i]) continue;
      const bodies = got.filter((m) => m.from === from).map(bodyOf);
      expect(bodies).toEqual(Array.from({ length: perSender }, (_, k) => `${from} says ${k}`));
    }
    expect(got).toHaveLength((names.length - 1) * perSender);
  });
}

describe('a channel', () => {
  it('two members: each gets the other\'s messages once, in order', async () => {
    await start(FAST);
    const both = await users(2, (i) => ['@ann', '@bob'][i], '#pair');
    await Promise.all(both.map((c, i) => sendAll(c, '#pair', 200, (k) => `${['@ann', '@bob'][i]} says ${k}`)));
    await Promise.all(both.map((c) => c.waitFor(() => c.msgs.length >= 200, '200 messages')));
    for (const c of both) await c.settle();
    expectAllDelivered(both, ['@ann', '@bob'], 200, '#pair');
  });

  it('100 members: each gets every other member\'s messages once, in order', async () => {
    await start(FAST);
    const names = Array.from({ length: 100 }, (_, i) => `@m${i}`);
    const members = await users(100, (i) => names[i], '#crowd');
    await Promise.all(members.map((c, i) => sendAll(c, '#crowd', 5, (k) => `${names[i]} says ${k}`)));
    await Promise.all(members.map((c) => c.waitFor(() => c.msgs.length >= 99 * 5, '495 messages', 20_000)));
    for (const c of members) await c.settle();
    expectAllDelivered(members, names, 5, '#crowd');
  });
});

describe('direct messages, LEAVE and disconnects', () => {
  it('a direct message reaches its recipient only', async () => {
    await start(FAST);
    const [jane, john, kim] = await Promise.all(['@jane', '@john', '@kim'].map((h) => user(h, '#room')));
    await jane.settle();
    const ok = (await jane.cmd('MSG @john 9\r\njust you!')).at(-1)!;
    const [, id, ts] = ok.split(' ');
    await john.until(is('MSG'));
    expect(show(john.frames[john.at - 1])).toBe(`MSG @john @jane ${id} ${ts} 9\njust you!`);
    expect((await kim.settle()).filter((l) => l.startsWith('MSG'))).toEqual([]);
  });

  it('after LEAVE the others see LEFT and the leaver receives nothing more', async () => {
    await start(FAST);
    const [jane, john, kim] = await Promise.all(['@jane', '@john', '@kim'].map((h) => user(h, '#room')));
    for (const c of [jane, john]) await c.settle();
    expect(await kim.cmd('LEAVE #room')).toEqual(['LEFT #room @kim', 'OK']);
    expect(await jane.settle()).toEqual(['LEFT #room @kim']);
    expect(await john.settle()).toEqual(['LEFT #room @kim']);
    await jane.ok('MSG #room 5\r\nafter');
    await john.until(is('MSG'));
    expect(await kim.settle()).toEqual([]);
    expect(await kim.cmd('MSG #room 2\r\nhi')).toEqual(['ERR NOT_MEMBER Join #room before posting to it']);
  });

  it('a clean close frees the handle at once, and co-members see OFFLINE', async () => {
    const server = await start(FAST);
    const jane = await user('@jane', '#room');
    const john = await TestClient.user(server.tcpPort, '@john', '#room');
    await jane.settle();
    john.end();
    await john.waitClosed();
    const again = await user('@john');
    expect(joinedLines(again)).toEqual(['JOINED #general @john', 'JOINED #room @john']);
    expect(await jane.settle()).toEqual(['OFFLINE @john', 'ONLINE @john']);
  });

  it('people who have exchanged a direct message, in no channel together, see each other come and go', async () => {
    const server = await start(FAST);
    // Out of #general, where every new user is put: no channel in common.
    const jane = await user('@jane');
    await jane.ok('LEAVE #general');
    const solo = await TestClient.user(server.tcpPort, '@solo');
    await solo.ok('LEAVE #general');
    await solo.ok('MSG @jane 2\r\nhi');
    await jane.until(is('MSG'));
    solo.end();
    await solo.waitClosed();
    await jane.until(is('OFFLINE', 'OFFLINE @solo'));
    await user('@solo');
    await jane.until(is('ONLINE', 'ONLINE @solo'));
    // Someone who never wrote to @jane hears nothing of her.
    const stranger = await user('@stranger');
    await stranger.ok('LEAVE #general');
    await stranger.settle();
    jane.end();
    await jane.waitClosed();
    expect(await stranger.settle()).toEqual([]);
  });

  it('an abrupt close (reset) frees the handle as soon as the server sees it', async () => {
    const server = await start(FAST);
    const jane = await user('@jane', '#room');
    const john = await TestClient.user(server.tcpPort, '@john', '#room');
    await jane.settle();
    john.destroy();
    await jane.until(is('OFFLINE', 'OFFLINE @john'));
    const again = await user('@john');
    expect(joinedLines(again)).toEqual(['JOINED #general @john', 'JOINED #room @john']);
    expect(await jane.settle()).toEqual(['ONLINE @john']);
  });
});

describe('a slow consumer', () => {
  it('is cut off, while the others get every message', async () => {
    const maxOutbound = 256 * 1024;
    await start({ ...FAST, maxOutbound });
    const [sender, r1, r2, slow] = await Promise.all(['@sender', '@r1', '@r2', '@slow'].map((h) => user(h, '#firehose')));
    for (const c of [sender, r1, r2, slow]) await c.settle();
    slow.pause();
    const pad = 'x'.repeat(32 * 1024);
    const body = (k: number) => `${k} ${pad}`;
    let sent = 0;
    const burst = async () => {
      await sendAll(sender, '#firehose', 16, (k) => body(sent + k));
      sent += 16;
      return 16 * pad.length;
    };
    await floodUntilOffline(r1, '@slow', burst);
    // Delivery to the others goes on after the cut.
    await burst();
    await burst();
    for (const r of [r1, r2]) {
      await r.waitFor(() => r.msgs.length >= sent, `${sent} messages`, 30_000);
      await r.settle();
      expect(r.msgs).toHaveLength(sent);
      expect(r.msgs.map((m) => Number(bodyOf(m).split(' ')[0]))).toEqual(Array.from({ length: sent }, (_, k) => k));
    }
    expect(r2.frames.some(is('OFFLINE', 'OFFLINE @slow'))).toBe(true);
    const users = await sender.cmd('USRS #firehose');
    expect(users).toContain('USR @slow offline guest');
    // Reading again, @slow finds its connection closed by the server, its last frame (if it
    // got that far before the server gave up waiting) a BYE SLOW_CONSUMER.
    slow.resume();
    await slow.waitClosed(20_000);
    expect(slow.msgs.length).toBeLessThan(sent);
    const bye = slow.frames.filter(is('BYE'));
    expect(bye.map(show).every((l) => l.startsWith('BYE SLOW_CONSUMER '))).toBe(true);
  });
});
