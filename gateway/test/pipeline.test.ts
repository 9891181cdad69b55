import { beforeEach, describe, expect, it } from 'vitest';
import { ProtocolError } from '../../core/index.ts';
import { perTestServer } from './support/per-test-server.ts';
import { TestClient, show, type Received } from './support/client.ts';

// Section 1 of the spec: one reply per command, in order, however many arrive in one packet.

const { start, user, tcp } = perTestServer();

beforeEach(async () => {
  // 10,000 commands in one write, a sixth of them MSGs and half of them reads: the message
  // and read rates are off (flood.test.ts, fair.test.ts).
  await start({ msgRate: 0, readRate: 0 });
});

const N = 10_000;
const REPLY_END = new Set(['OK', 'ERR', 'END', 'TIME', 'PONG', 'BYE']);
const isReply = (f: Received) => f instanceof ProtocolError || REPLY_END.has(f.type);

/** Read until `count` replies have arrived; returns every frame read on the way. */
async function replies(c: TestClient, count: number): Promise<Received[]> {
  const replied = () => c.frames.slice(c.at).filter(isReply).length >= count;
  await c.waitFor(replied, `${count} replies`, 30_000);
  return c.drain();
}

/** Ten thousand commands of six kinds, and the reply each must get, as a pattern. */
function mix(): { wire: string; expected: RegExp[] } {
  let wire = '';
  const expected: RegExp[] = [];
  for (let i = 0; i < N; i++) {
    switch (i % 6) {
      case 0:
        wire += `PING p${i}\r\n`;
        expected.push(new RegExp(`^PONG p${i}$`));
        break;
      case 1:
        wire += `MSG #pipe ${String(i).length}\r\n${i}\r\n`;
        expected.push(/^OK \d+ \S+Z$/);
        break;
      case 2:
        wire += 'time\r\n';
        expected.push(/^TIME \S+Z$/);
        break;
      case 3:
        wire += 'CHNS\r\n';
        expected.push(/^END CHNS 2$/);
        break;
      case 4:
        wire += 'HISTORY #pipe 1\r\n';
        expected.push(/^END HISTORY 1$/);
        break;
      default:
        wire += 'USRS #pipe\r\n';
        expected.push(/^END USRS 2$/);
    }
  }
  return { wire, expected };
}

describe('pipelining', () => {
  it(`answers ${N} PINGs sent in one write, in order`, async () => {
    const c = await tcp();
    await c.lines(1);
    let wire = '';
    for (let i = 0; i < N; i++) wire += `PING ${i}\r\n`;
    c.write(wire);
    const got = (await replies(c, N)).map(show);
    expect(got).toEqual(Array.from({ length: N }, (_, i) => `PONG ${i}`));
    expect(await c.settle()).toEqual([]);
  });

  for (const reg of ['REG @piper', 'REG @piper s3cret-pw']) {
    // With a password, REG checks it off the event loop: what follows must wait its turn.
    it(`answers ${N} mixed commands in one write, in order, behind "${reg.replace(/ \S+-pw/, ' <password>')}"`, async () => {
      const watcher = await user('@watcher', '#pipe');
      const c = await tcp();
      await c.lines(1);
      const { wire, expected } = mix();
      c.write(`${reg}\r\nJOIN #pipe\r\n${wire}`);
      const frames = await replies(c, N + 2);
      const answers = frames.filter(isReply).map(show);
      expect(answers.slice(0, 2)).toEqual(['OK', 'OK']);
      const mismatch = answers.slice(2).findIndex((line, i) => !expected[i].test(line));
      expect(mismatch, `reply ${mismatch}: ${answers[mismatch + 2]}`).toBe(-1);
      expect(answers).toHaveLength(N + 2);
      // Message ids increase; each HISTORY 1 replays the message sent just before it.
      const ids = answers.filter((l) => /^OK \d/.test(l)).map((l) => Number(l.split(' ')[1]));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      const replayed = frames.filter((f) => 'type' in f && f.type === 'MSG').map((f) => show(f).split('\n')[1]);
      expect(replayed).toEqual(Array.from({ length: Math.ceil((N - 4) / 6) }, (_, k) => String(6 * k + 1)));
      // The other member got every message once, in order.
      await watcher.waitFor(() => watcher.msgs.length >= ids.length, `${ids.length} messages`, 30_000);
      await watcher.settle();
      expect(watcher.msgs.map((m) => m.id)).toEqual(ids);
      expect(watcher.msgs.map((m) => Buffer.from(m.body).toString())).toEqual(
        Array.from({ length: ids.length }, (_, k) => String(6 * k + 1)),
      );
    });
  }
});

describe('the end of a pipeline', () => {
  it('nothing is answered after QUIT', async () => {
    const c = await tcp();
    await c.lines(1);
    c.write('PING a\r\nREG @quitter\r\nQUIT\r\nPING b\r\nJOIN #late\r\n');
    await c.waitClosed();
    expect(c.drain().map(show)).toEqual(['PONG a', 'OK', 'JOINED #general @quitter', 'BYE QUIT Goodbye @quitter']);
    const other = await tcp();
    await other.lines(1);
    // Only #general, where @quitter was put as a new user: JOIN #late never ran.
    expect(await other.cmd('CHNS')).toEqual(['CHN #general 1', 'END CHNS 1']);
  });

  for (const reg of ['REG @halfway', 'REG @halfway pass-word']) {
    it(`a client that shuts its side after writing still gets every reply (${reg.includes('pass') ? 'password' : 'guest'})`, async () => {
      const c = await tcp();
      await c.lines(1);
      c.write(`${reg}\r\nJOIN #half\r\n${'PING x\r\n'.repeat(100)}MSG #half 3\r\nbye`);
      c.end();
      await c.waitClosed();
      const got = c.drain().map(show);
      expect(got.slice(0, 4)).toEqual(['OK', 'JOINED #general @halfway', 'JOINED #half @halfway', 'OK']);
      expect(got.slice(4, 104)).toEqual(Array(100).fill('PONG x'));
      expect(got.slice(104)).toEqual([expect.stringMatching(/^OK \d+ \S+Z$/)]);
    });
  }
});
