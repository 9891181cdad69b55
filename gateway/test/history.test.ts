import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './support/server.ts';
import { TestClient, msg } from './support/client.ts';

// HISTORY paging (spec section 2): limit, before, after, the 500 cap, who may read what.
// Both stores must page alike.

for (const store of ['memory', 'sqlite'] as const) {
  describe(`HISTORY paging (${store})`, () => {
    let server: TestServer;
    let dataDir: string | null = null;
    const clients: TestClient[] = [];
    /** Ids of the 600 messages in #big, oldest first. */
    let ids: number[];
    let ann: TestClient;

    beforeEach(async () => {
      dataDir = store === 'sqlite' ? mkdtempSync(join(tmpdir(), 'slck-history-')) : null;
      // 600 messages are pipelined to set up: the message rate is off (flood.test.ts).
      server = await startServer({ dataDir, msgRate: 0 });
      ann = await TestClient.user(server.tcpPort, '@ann', '#big');
      clients.push(ann);
      let wire = '';
      for (let i = 0; i < 600; i++) wire += `${msg('#big', `m${i}`)}\r\n`;
      ann.write(wire);
      await ann.waitFor(() => ann.frames.length - ann.at >= 600, '600 OKs', 30_000);
      ids = ann.drain().map((f) => ('type' in f && f.type === 'OK' ? Number(f.args[0]) : NaN));
      expect(ids.every((id, i) => i === 0 || id > ids[i - 1])).toBe(true);
    });
    afterEach(async () => {
      for (const c of clients.splice(0)) c.destroy();
      await server.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    /** Bodies of a HISTORY reply, checking its END count. */
    async function bodies(line: string): Promise<string[]> {
      const out = await ann.cmd(line);
      const end = out.pop()!;
      expect(end).toBe(`END HISTORY ${out.length}`);
      return out.map((l) => l.split('\n')[1]);
    }
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `m${from + i}`);

    it('gives the latest 50 by default, or `limit`, capped at 500', async () => {
      expect(await bodies('HISTORY #big')).toEqual(range(550, 600));
      expect(await bodies('HISTORY #big 1')).toEqual(['m599']);
      expect(await bodies('HISTORY #big 10')).toEqual(range(590, 600));
      expect(await bodies('HISTORY #big 500')).toEqual(range(100, 600));
      expect(await bodies('HISTORY #big 100000')).toEqual(range(100, 600));
      expect(await ann.cmd('HISTORY #big 0')).toEqual([expect.stringMatching(/^ERR BAD_SYNTAX /)]);
    });

    it('pages backwards with before and forwards with after', async () => {
      expect(await bodies(`HISTORY #big 5 before ${ids[100]}`)).toEqual(range(95, 100));
      expect(await bodies(`HISTORY #big before ${ids[10]}`)).toEqual(range(0, 10));
      expect(await bodies(`HISTORY #big 5 after ${ids[100]}`)).toEqual(range(101, 106));
      expect(await bodies(`HISTORY #big after ${ids[590]}`)).toEqual(range(591, 600));
      expect(await bodies(`HISTORY #big 1000 after 0`)).toEqual(range(0, 500));
      expect(await bodies(`HISTORY #big before ${ids[0]}`)).toEqual([]);
      expect(await bodies(`HISTORY #big after ${ids[599]}`)).toEqual([]);
      // Walking back a page at a time visits every message once.
      const seen: string[] = [];
      let before = ids[599] + 1;
      for (;;) {
        const out = await ann.cmd(`HISTORY #big 128 before ${before}`);
        out.pop();
        if (out.length === 0) break;
        seen.unshift(...out.map((l) => l.split('\n')[1]));
        before = Number(out[0].split(' ')[3]);
      }
      expect(seen).toEqual(range(0, 600));
    });

    it('gives the messages around an id: a permalink opens in context', async () => {
      // Up to floor((limit - 1) / 2) before the id, the id, the rest after, oldest first.
      expect(await bodies(`HISTORY #big 5 around ${ids[300]}`)).toEqual(range(298, 303));
      expect(await bodies(`HISTORY #big 4 around ${ids[300]}`)).toEqual(range(299, 303));
      expect(await bodies(`HISTORY #big around ${ids[300]}`)).toEqual(range(276, 326));
      expect(await bodies(`HISTORY #big 1 around ${ids[0]}`)).toEqual(['m0']);
      // At the ends, what there is: the rest of the limit after the first, nothing after the last.
      expect(await bodies(`HISTORY #big 5 around ${ids[0]}`)).toEqual(range(0, 5));
      expect(await bodies(`HISTORY #big 5 around ${ids[599]}`)).toEqual(range(597, 600));
      expect(await bodies('HISTORY #big 100000 around 1')).toHaveLength(500);
      expect(await ann.cmd('HISTORY #big around 0')).toEqual(['ERR BAD_SYNTAX HISTORY around needs the id of a message, 1 or more']);
      expect(await ann.cmd('HISTORY #big 5 around last')).toEqual([expect.stringMatching(/^ERR BAD_SYNTAX Usage: HISTORY /)]);
    });

    it('refuses a channel you are not in, and names that do not exist', async () => {
      const out = await TestClient.user(server.tcpPort, '@outsider');
      clients.push(out);
      expect(await out.cmd('HISTORY #big')).toEqual(['ERR NOT_MEMBER Join #big to read its history']);
      expect(await out.cmd('HISTORY #nowhere')).toEqual(['ERR NO_SUCH_CHANNEL #nowhere does not exist']);
      expect(await out.cmd('HISTORY @nobody')).toEqual(['ERR NO_SUCH_USER @nobody has never registered']);
      await out.ok('JOIN #big');
      expect(await out.cmd('HISTORY #big 2')).toHaveLength(3); // members read what came before they joined
    });

    it('gives a direct conversation in both directions, to its two people only', async () => {
      const bo = await TestClient.user(server.tcpPort, '@Bo');
      const cy = await TestClient.user(server.tcpPort, '@cy');
      clients.push(bo, cy);
      const sent: string[] = [];
      for (let i = 0; i < 6; i++) {
        const [from, to, name] = i % 2 === 0 ? [ann, '@bo', '@ann'] : [bo, '@ann', '@Bo'];
        const [, id, ts] = (await from.ok(msg(to, `dm${i}`))).split(' ');
        sent.push(`MSG ${i % 2 === 0 ? '@Bo' : '@ann'} ${name} ${id} ${ts} 3\ndm${i}`);
      }
      await cy.ok(msg('@ann', 'not in it'));
      await bo.settle();
      bo.drain();
      expect(await bo.cmd('HISTORY @ann')).toEqual([...sent, 'END HISTORY 6']);
      ann.drain();
      expect(await ann.cmd('HISTORY @BO')).toEqual([...sent, 'END HISTORY 6']);
      expect(await ann.cmd('HISTORY @bo 2')).toEqual([...sent.slice(4), 'END HISTORY 2']);
      expect((await cy.cmd('HISTORY @bo'))).toEqual(['END HISTORY 0']);
    });
  });
}
