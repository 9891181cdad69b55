/**
 * Telnet on the TCP port, byte for byte over a real socket (docs/PROTOCOL.md, "Telnet"):
 * a program that never speaks telnet gets exactly the bytes it always did; a peer that
 * does gets its IAC sequences removed, its options answered, its timing marks after the
 * output of what came before them, and each 0xFF sent to it doubled.
 */
import net from 'node:net';
import { beforeEach, describe, expect, it } from 'vitest';
import { perTestServer } from './support/per-test-server.ts';
import { TestClient } from './support/client.ts';

const b = (s: string) => Buffer.from(s, 'latin1');
const IAC_DO_BINARY = b('\xff\xfd\x00');
const WILL_TM = b('\xff\xfb\x06');

/** A raw TCP peer that keeps every byte the server sends. */
class RawPeer {
  received = Buffer.alloc(0);
  closed = false;
  private readonly socket: net.Socket;
  private wake: (() => void) | null = null;
  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d) => {
      this.received = Buffer.concat([this.received, d]);
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }
  static connect(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawPeer(s)));
      s.once('error', reject);
    });
  }
  write(bytes: string | Buffer): void {
    this.socket.write(typeof bytes === 'string' ? b(bytes) : bytes);
  }
  end(): void {
    this.socket.end();
  }
  /** Wait until what was received contains `bytes` (after `from`); returns where it starts. */
  async waitFor(bytes: string | Buffer, from = 0, timeoutMs = 10_000): Promise<number> {
    const needle = typeof bytes === 'string' ? b(bytes) : bytes;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.received.indexOf(needle, from);
      if (at !== -1) return at;
      if (this.closed || Date.now() > deadline) {
        throw new Error(`never received ${JSON.stringify(needle.toString('latin1'))}; got ${JSON.stringify(this.received.toString('latin1'))}`);
      }
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
    }
  }
  destroy(): void {
    this.socket.destroy();
  }
}

const { start, server, user, track } = perTestServer();

beforeEach(async () => {
  await start();
});

async function peer(reg?: string): Promise<RawPeer> {
  const p = track(await RawPeer.connect(server().tcpPort));
  await p.waitFor('\r\n');
  if (reg !== undefined) {
    p.write(`REG ${reg}\r\nJOIN #general\r\nPING joined\r\n`);
    await p.waitFor('PONG joined\r\n');
  }
  return p;
}

const program = (handle: string): Promise<TestClient> => user(handle, '#general');

describe('a program that never speaks telnet', () => {
  it('sends and receives bodies with IAC sequences in them byte for byte, and is never sent an IAC of ours', async () => {
    const sender = await peer('@sender');
    const reader = await peer('@reader');
    const body = b('a\xff\xf4\xff\xfd\x06\xff\xffz');
    sender.write(Buffer.concat([b(`MSG #general ${body.length}\r\n`), body, b('\r\nPING after\r\n')]));
    await sender.waitFor('PONG after\r\n');
    const at = await reader.waitFor(Buffer.concat([body, b('\r\n')]));
    expect(reader.received.subarray(0, at).toString('latin1')).toMatch(new RegExp(`MSG #general @sender 1 \\S+ ${body.length}\\r\\n$`));
    // Nothing of telnet's went either way.
    expect(sender.received.includes(0xff)).toBe(false);
    expect(reader.received.indexOf(0xff)).toBe(at + 1);
  });
});

describe('a peer that speaks telnet', () => {
  it('is asked for BINARY, has DO x refused with WONT x and WILL x with DONT x, and no refusal answered', async () => {
    const p = await peer();
    p.write('\xff\xfd\x01\xff\xfb\x1f\xff\xfe\x03\xff\xfc\x18PING done\r\n');
    const at = await p.waitFor('PONG done\r\n');
    expect(p.received.subarray(p.received.indexOf(0xff), at).toString('latin1')).toBe('\xff\xfd\x00\xff\xfc\x01\xff\xfe\x1f');
  });

  it('gets WILL TIMING-MARK after the answers to everything sent before the DO, a password check included', async () => {
    const p = await peer();
    p.write(`REG @tess s3cret-pass\r\nJOIN #general\r\nMSG #general 5\r\nhello\xff\xfd\x06SAY #general after\r\n`);
    const mark = await p.waitFor(WILL_TM);
    const before = p.received.subarray(0, mark).toString('latin1');
    // (IAC DO BINARY went at once, when the peer first spoke telnet: before the REG's OK.)
    const doBinary = before.lastIndexOf('\xff\xfd\x00');
    expect(doBinary).toBeGreaterThanOrEqual(0);
    expect(before.slice(doBinary + 3)).toMatch(/^OK\r\nJOINED #general @tess\r\nOK\r\nOK 1 \S+Z\r\n$/);
    // The answer to what came after the DO follows the mark: the client hides what comes before.
    const after = await p.waitFor('OK 2 ');
    expect(after).toBe(mark + WILL_TM.length);
  });

  it('has IAC sequences removed before the parser, IAC IAC read as one 0xFF, and a body counted after that', async () => {
    const reader = await program('@reader');
    const p = await peer('@tess');
    // IAC NOP first: from there on the connection speaks telnet.
    p.write('\xff\xf1MSG #general 4\r\na\xff\xffb\xff\xfb\x18c\r\nSAY #general x\xff\xf1y\r\n');
    await reader.waitFor(() => reader.msgs.length === 2, 'two messages');
    expect(reader.msgs.map((m) => Array.from(m.body))).toEqual([[0x61, 0xff, 0x62, 0x63], [0x78, 0x79]]);
  });

  it('is sent each 0xFF doubled; the length counts the bytes before doubling', async () => {
    const bot = await program('@bot');
    const p = await peer('@tess');
    // MODE exact: bodies as they are (the rendering for people shows a 0xFF as U+FFFD, so
    // it is a program reading telnet-style that meets a 0xFF).
    p.write('MODE exact\r\n\xff\xf1PING telnet\r\n');
    await p.waitFor('PONG telnet\r\n');
    const body = b('x\xffy\xff');
    expect((await bot.cmd(Buffer.concat([b(`MSG #general ${body.length}\r\n`), body, b('\r\n')]))).at(-1)).toMatch(/^OK 1 /);
    await p.waitFor('x\xff\xffy\xff\xff');
    // The length counts 4 bytes, as the client reads them once it has undoubled them.
    expect(p.received.toString('latin1')).toMatch(/MSG #general @bot 1 \S+Z 4\r\nx\xff\xffy\xff\xff\r\n/);
  });

  it('Ctrl-C (IAC IP) in the middle of a body drops the message; what follows is read as commands', async () => {
    const reader = await program('@reader');
    const p = await peer('@tess');
    p.write('\xff\xf1MSG #general 40\r\nthis is never sent\xff\xf4\xff\xfd\x06SAY #general sent\r\n');
    const mark = await p.waitFor(WILL_TM);
    const ok = await p.waitFor('OK 1 ', mark);
    expect(ok).toBeGreaterThan(mark);
    await reader.waitFor(() => reader.msgs.length === 1, 'one message');
    expect(Buffer.from(reader.msgs[0].body).toString()).toBe('sent');
    expect(p.received.toString('latin1')).not.toContain('ERR');
  });

  it('AYT is answered PONG, in order: after the answers before it, before those after it', async () => {
    const p = await peer();
    p.write('PING one\r\n\xff\xf6PING two\r\n');
    const two = await p.waitFor('PONG two\r\n');
    expect(p.received.subarray(0, two).toString('latin1')).toMatch(/PONG one\r\nPONG\r\n$/);
  });

  it('an EOF after timing marks: every answer and mark in order, then the close', async () => {
    const p = await peer();
    p.write('PING a\r\n\xff\xfd\x06PING b\r\n\xff\xfd\x06PING c\r\n');
    p.end();
    await p.waitFor('PONG c\r\n');
    for (let i = 0; i < 200 && !p.closed; i++) await new Promise((r) => setTimeout(r, 25));
    expect(p.closed).toBe(true);
    expect(p.received.subarray(p.received.indexOf(IAC_DO_BINARY)).toString('latin1')).toBe(
      '\xff\xfd\x00PONG a\r\n\xff\xfb\x06PONG b\r\n\xff\xfb\x06PONG c\r\n');
  });
});
