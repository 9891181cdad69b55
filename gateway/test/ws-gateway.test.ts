/**
 * The WebSocket transport's own rules (spec §9), over real sockets: the heartbeat closes a
 * peer that stops answering pings, a message too large is refused as over TCP (ERR, the
 * connection stays) up to 1,052,676 bytes and closes its socket with 1009 beyond, the
 * outbound bound cuts off a WebSocket that stops reading, and text and binary messages alike
 * carry any slice of the SLCK byte stream, valid UTF-8 or not.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ProtocolError } from '../../core/index.ts';
import { perTestServer } from './support/per-test-server.ts';
import { TestClient, floodUntilOffline, show, type Received } from './support/client.ts';

/** The largest valid frame: a command line and a body, each with its line end. */
const MAX_FRAME = 4096 + 2 + 65_536 + 2; // 69,636
/** A command line and a body up to the skip limit (1 MiB): the most a WebSocket message may hold. */
const MAX_WS_MESSAGE = 4096 + 2 + 1_048_576 + 2; // 1,052,676
const WAIT_MS = 15_000;

const { start, server, hold, track } = perTestServer();

/** A registered WebSocket user (through the shared test client), in these channels. */
async function wsUser(handle: string, ...channels: string[]): Promise<TestClient> {
  const c = hold(await TestClient.ws(server().wsUrl));
  await c.until((f) => !(f instanceof ProtocolError) && f.type === 'HELLO');
  await c.ok(`REG ${handle}`);
  for (const ch of channels) await c.ok(`JOIN ${ch}`);
  return c;
}

const is = (type: string, text?: string) => (f: Received) =>
  !(f instanceof ProtocolError) && f.type === type && (text === undefined || show(f) === text);
const bodyOf = (m: { body: Uint8Array }) => Buffer.from(m.body).toString();

/**
 * A bare `ws` client, for what the shared test client does not show: the close code, the
 * pings it gets, and exactly how bytes are cut into messages. What it receives is kept as
 * one string.
 */
class Raw {
  readonly ws: WebSocket;
  text = '';
  pings = 0;
  closeCode: number | null = null;
  private wakers = new Set<() => void>();

  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, options);
    this.ws.on('message', (data: Buffer) => ((this.text += data.toString('utf8')), this.wake()));
    this.ws.on('ping', () => (this.pings++, this.wake()));
    this.ws.on('close', (code) => ((this.closeCode = code), this.wake()));
    this.ws.on('error', () => {}); // shows as 'close'
    track({ destroy: () => this.ws.terminate() });
  }

  static async open(url: string, options: WebSocket.ClientOptions = {}): Promise<Raw> {
    const r = new Raw(url, options);
    await new Promise<void>((ok, fail) => {
      r.ws.once('open', () => ok());
      r.ws.once('error', fail);
    });
    await r.waitFor(() => r.text.includes('\r\n'), 'the HELLO banner');
    return r;
  }

  get closed(): boolean {
    return this.closeCode !== null;
  }

  waitFor(done: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => {
        this.wakers.delete(wake);
        fail(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ` +
          `${this.closed ? `closed ${this.closeCode}` : 'open'}, got ${JSON.stringify(this.text.slice(-500))}`));
      }, timeoutMs);
      const wake = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.wakers.delete(wake);
        ok();
      };
      this.wakers.add(wake);
    });
  }

  /** Send, then wait until what was received contains `expected`. */
  async expect(send: string | Buffer, expected: string): Promise<void> {
    this.ws.send(send);
    await this.waitFor(() => this.text.includes(expected), JSON.stringify(expected));
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }
}

describe('heartbeat', () => {
  it('closes a peer that never answers pings, and its channel sees it go OFFLINE', async () => {
    const { wsUrl } = await start({ heartbeatMs: 200 });
    const watcher = await wsUser('@watcher', '#hb');
    const mute = await Raw.open(wsUrl, { autoPong: false });
    await mute.expect('REG @mute\r\nJOIN #hb\r\n', 'JOINED #hb @mute\r\n');
    await watcher.until(is('JOINED', 'JOINED #hb @mute'));

    await mute.waitFor(() => mute.closed, 'the server to close the silent peer');
    expect(mute.pings).toBeGreaterThanOrEqual(1);
    // It is not reading (as far as the server knows), so it gets no BYE: the socket just ends.
    expect(mute.text).not.toContain('BYE');
    await watcher.until(is('OFFLINE', 'OFFLINE @mute'));
    expect(await watcher.cmd('USRS #hb')).toContain('USR @mute offline guest');
  });

  it('keeps a peer that answers pings connected across many heartbeats', async () => {
    const { wsUrl } = await start({ heartbeatMs: 200 });
    const watcher = await wsUser('@watcher', '#hb');
    const live = await Raw.open(wsUrl);
    await live.expect('REG @live\r\nJOIN #hb\r\n', 'JOINED #hb @live\r\n');
    await watcher.until(is('JOINED', 'JOINED #hb @live'));

    // Six pings answered: five heartbeats at which a silent peer would have been dropped.
    await live.waitFor(() => live.pings >= 6 || live.closed, 'six pings', 30_000);
    expect(live.closed).toBe(false);
    await live.expect('PING still-here\r\n', 'PONG still-here\r\n');
    expect(await watcher.settle()).toEqual([]);
    expect(watcher.closed).toBe(false);
  });
});

describe('message size', () => {
  // A MSG with the largest body, then a PING whose line pads the message to `size` bytes.
  const body = 'b'.repeat(65_536);
  const frame = `MSG #size ${body.length}\r\n${body}\r\n`;
  const padded = (size: number) => {
    const token = 't'.repeat(size - frame.length - 'PING \r\n'.length);
    return `${frame}PING ${token}\r\n`;
  };

  it('takes a message of exactly 69,636 bytes, the largest valid frame', async () => {
    const { wsUrl } = await start();
    const reader = await wsUser('@reader', '#size');
    const sender = await Raw.open(wsUrl);
    await sender.expect('REG @sender\r\nJOIN #size\r\n', 'JOINED #size @sender\r\n');

    const data = Buffer.from(padded(MAX_FRAME));
    expect(data.length).toBe(MAX_FRAME);
    expect(data.length - frame.length - 2).toBeLessThanOrEqual(4096); // the PING line is within limits
    await sender.expect(data, `PONG ${'t'.repeat(64)}\r\n`);
    expect(sender.text).toMatch(/\r\nOK \d+ \S+\r\nPONG t{64}\r\n$/);
    expect(sender.closed).toBe(false);

    await reader.waitFor(() => reader.msgs.length === 1, 'the large message');
    expect(reader.msgs[0].body.length).toBe(65_536);
    expect(bodyOf(reader.msgs[0])).toBe(body);
  });

  // Over TCP a body up to 1 MiB is answered BODY_TOO_LARGE and skipped; so it is here, even
  // when the whole of it comes in one WebSocket message.
  const tooLarge = `MSG #size 1048576\r\n${'z'.repeat(1_048_576)}\r\n`;
  const overSkip = (size: number) => `${tooLarge}PING ${'t'.repeat(size - tooLarge.length - 'PING \r\n'.length)}\r\n`;

  it('answers a body over the limit in one message of 1,052,676 bytes with ERR BODY_TOO_LARGE, and stays open', async () => {
    const { wsUrl } = await start();
    const reader = await wsUser('@reader', '#size');
    const sender = await Raw.open(wsUrl);
    await sender.expect('REG @sender\r\nJOIN #size\r\n', 'JOINED #size @sender\r\n');

    const data = Buffer.from(overSkip(MAX_WS_MESSAGE));
    expect(data.length).toBe(MAX_WS_MESSAGE);
    expect(data.length - tooLarge.length - 2).toBeLessThanOrEqual(4096);
    sender.ws.send(data);
    await sender.waitFor(() => sender.text.includes(`PONG ${'t'.repeat(64)}\r\n`) || sender.closed, 'the PONG');
    expect(sender.closeCode).toBeNull();
    expect(sender.text).toMatch(
      /\r\nERR BODY_TOO_LARGE Body of 1048576 bytes is over the 65536-byte limit; its bytes are skipped\r\nPONG t{64}\r\n$/,
    );
    // A message just over the largest valid frame, too, is read like any slice of the stream.
    await sender.expect(Buffer.from(padded(MAX_FRAME + 1)), `OK`);
    await sender.expect('PING after\r\n', 'PONG after\r\n');
    expect(sender.closed).toBe(false);
    await reader.waitFor(() => reader.msgs.length === 1, 'the one message that fit');
    expect(reader.msgs[0].body.length).toBe(65_536);
  });

  it('closes the socket of a message over 1,052,676 bytes with 1009, and no one else notices but OFFLINE', async () => {
    const { wsUrl } = await start();
    const reader = await wsUser('@reader', '#size');
    const sender = await Raw.open(wsUrl);
    await sender.expect('REG @sender\r\nJOIN #size\r\n', 'JOINED #size @sender\r\n');
    await reader.until(is('JOINED', 'JOINED #size @sender'));

    const data = Buffer.from(overSkip(MAX_WS_MESSAGE + 1));
    expect(data.length).toBe(MAX_WS_MESSAGE + 1);
    sender.ws.send(data);
    await sender.waitFor(() => sender.closed, 'the server to close the socket');
    expect(sender.closeCode).toBe(1009);
    // Nothing of the message was taken, and ws closes before a BYE could go (spec §9).
    expect(sender.text).not.toContain('PONG');
    expect(sender.text).not.toContain('ERR');

    await reader.until(is('OFFLINE', 'OFFLINE @sender'));
    expect(await reader.settle()).toEqual([]);
    expect(reader.msgs).toEqual([]);
    // The reader's own socket carries on, large messages and all.
    await reader.ok(`MSG #size ${body.length}\r\n${body}`);
    const other = await wsUser('@other', '#size');
    expect(await other.cmd('HISTORY #size')).toEqual([
      expect.stringMatching(/^MSG #size @reader \d+ \S+ 65536\nb{300}…$/), 'END HISTORY 1',
    ]);
  });
});

describe('a slow WebSocket reader', () => {
  it('is cut off, while the others get every message in order', async () => {
    const maxOutbound = 64 * 1024;
    // The flood is the point here, not the per-connection message rate: that is off.
    await start({ maxOutbound, msgRate: 0 });
    const sender = await wsUser('@sender', '#firehose');
    const r1 = await wsUser('@r1', '#firehose');
    const r2 = await wsUser('@r2', '#firehose');
    const slow = await wsUser('@slow', '#firehose');
    for (const c of [sender, r1, r2, slow]) await c.settle();
    slow.pause(); // ws.pause(): its TCP socket is no longer read

    const pad = 'x'.repeat(16 * 1024);
    let sent = 0;
    const burst = async () => {
      const before = sender.frames.filter(is('OK')).length;
      // One WebSocket message per MSG, as a browser sends them.
      for (let k = 0; k < 16; k++) {
        const b = `${sent + k} ${pad}`;
        sender.write(`MSG #firehose ${Buffer.byteLength(b)}\r\n${b}\r\n`);
      }
      await sender.waitFor(() => sender.frames.filter(is('OK')).length >= before + 16, '16 OKs', WAIT_MS);
      sent += 16;
      return 16 * pad.length;
    };
    await floodUntilOffline(r1, '@slow', burst);
    await burst();
    await burst();
    expect(sender.drain().filter(is('ERR')).map(show)).toEqual([]);
    for (const r of [r1, r2]) {
      await r.waitFor(() => r.msgs.length >= sent, `${sent} messages`, 30_000);
      await r.settle();
      expect(r.msgs.map((m) => Number(bodyOf(m).split(' ')[0]))).toEqual(Array.from({ length: sent }, (_, k) => k));
      expect(r.closed).toBe(false);
    }
    expect(r2.frames.some(is('OFFLINE', 'OFFLINE @slow'))).toBe(true);
    expect(await sender.cmd('USRS #firehose')).toContain('USR @slow offline guest');

    // Reading again, @slow finds its socket closed by the server, and whatever it got was
    // in order, ending (if it got that far) with BYE SLOW_CONSUMER.
    slow.resume();
    await slow.waitClosed(20_000);
    const got = slow.msgs.filter((m) => m.from === '@sender').map((m) => Number(bodyOf(m).split(' ')[0]));
    expect(got.length).toBeLessThan(sent);
    expect(got).toEqual(Array.from({ length: got.length }, (_, k) => k));
    expect(slow.frames.filter(is('BYE')).map(show).every((l) => l.startsWith('BYE SLOW_CONSUMER '))).toBe(true);
  });
});

describe('messages as slices of the byte stream', () => {
  it('takes text and binary messages alike, and a frame split across messages', async () => {
    const { wsUrl } = await start();
    const reader = await wsUser('@reader', '#split');
    const c = await Raw.open(wsUrl);
    await c.expect('REG @split\r\n', 'OK\r\n'); // text
    await c.expect(Buffer.from('JOIN #split\r\n'), 'JOINED #split @split\r\n'); // binary

    // One MSG frame in two messages, the line cut in the middle: text, then binary.
    c.ws.send('MSG #spl');
    c.ws.send(Buffer.from('it 5\r\nhello\r\n'));
    await reader.waitFor(() => reader.msgs.length === 1, 'the first message');

    // The body cut inside a UTF-8 character (é = c3 a9), which only binary messages can do,
    // then the rest of it and a PING as text.
    c.ws.send(Buffer.concat([Buffer.from('MSG #split 6\r\nh'), Buffer.from([0xc3])]));
    c.ws.send(Buffer.from([0xa9]));
    c.ws.send('llo\r\nPING done\r\n');
    await c.waitFor(() => c.text.includes('PONG done\r\n'), 'PONG done');
    await reader.waitFor(() => reader.msgs.length === 2, 'the second message');

    expect(reader.msgs.map(show)).toEqual([
      expect.stringMatching(/^MSG #split @split \d+ \S+ 5\nhello$/),
      expect.stringMatching(/^MSG #split @split \d+ \S+ 6\nhéllo$/),
    ]);
    expect(Buffer.from(reader.msgs[1].body)).toEqual(Buffer.from('héllo'));
    expect(c.text).not.toContain('ERR');
    expect(c.text.split('\r\n').filter((l) => /^OK \d+ \S+$/.test(l))).toHaveLength(2);
    expect(c.closed).toBe(false);
  });

  it('feeds a text message as bytes: invalid UTF-8 in a body is delivered byte for byte, the socket stays open', async () => {
    const { wsUrl } = await start();
    const reader = await wsUser('@reader', '#bytes');
    const c = await Raw.open(wsUrl);
    await c.expect('REG @bytes\r\nJOIN #bytes\r\n', 'JOINED #bytes @bytes\r\n');

    // A lone continuation byte, a truncated sequence, an overlong NUL and a surrogate: none is
    // UTF-8, all are bytes SLCK carries. Sent as a text message (opcode 1), which a strict
    // WebSocket would close with 1007.
    const body = Buffer.from([0x61, 0x80, 0xe2, 0x82, 0x20, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0xff, 0x7a]);
    c.ws.send(Buffer.concat([Buffer.from(`MSG #bytes ${body.length}\r\n`), body, Buffer.from('\r\nPING done\r\n')]), { binary: false });
    await c.waitFor(() => c.text.includes('PONG done\r\n') || c.closed, 'PONG done');
    expect(c.closed).toBe(false);
    expect(c.text).toMatch(/\r\nOK \d+ \S+\r\nPONG done\r\n$/);
    await reader.waitFor(() => reader.msgs.length === 1, 'the message');
    expect(Buffer.from(reader.msgs[0].body)).toEqual(body);
  });
});
