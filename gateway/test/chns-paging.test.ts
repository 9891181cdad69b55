/**
 * CHNS pages (spec §2, CHNS): sorted by name without regard to case, 100 a page by default
 * and at most 500; a paged request says `MORE <#last>` while channels follow; a bare CHNS
 * (a client from before paging) gets the first page in the old form.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolError, SlckClient, nameKey } from '../../core/index.ts';
import { startServer, type TestServer } from './support/server.ts';
import { TestClient } from './support/client.ts';

let server: TestServer;
let jane: TestClient;
/** Every channel's name, sorted as CHNS sorts them. */
let names: string[];

beforeAll(async () => {
  // One user makes them all: the channel caps are not what this file tests.
  server = await startServer({ channelCreateRate: 0, maxChannelsPerUser: 0 });
  jane = await TestClient.user(server.tcpPort, '@jane');
  // Mixed case, so sorting by code point (upper case first) would give another order.
  const made = Array.from({ length: 1200 }, (_, i) => `#${i % 3 === 0 ? 'Ch' : 'ch'}${String(i).padStart(4, '0')}`);
  made.push('#Alpha', '#beta', '#Gamma', '#zeta');
  jane.write(made.map((n) => `JOIN ${n}\r\n`).join('') + 'PING made\r\n');
  await jane.until((f) => !(f instanceof ProtocolError) && f.type === 'PONG', 30_000);
  jane.drain();
  names = [...made, '#general'].sort((a, b) => (nameKey(a) < nameKey(b) ? -1 : 1));
});
afterAll(async () => {
  jane.destroy();
  await server.close();
});

const chn = (line: string) => line.split(' ')[1];

describe('CHNS paging', () => {
  it('a bare CHNS gets the first 100, sorted without regard to case, ending in the old form', async () => {
    const out = await jane.cmd('CHNS');
    expect(out).toHaveLength(101);
    expect(out.slice(0, 100).map(chn)).toEqual(names.slice(0, 100));
    expect(out[0]).toBe('CHN #Alpha 1');
    expect(out[1]).toBe('CHN #beta 1');
    expect(out[100]).toBe('END CHNS 100');
  });

  it('a paged CHNS says where the next page starts, and paging gives every channel once, in order', async () => {
    const seen: string[] = [];
    let after = '';
    for (let pages = 0; ; pages++) {
      expect(pages).toBeLessThan(20);
      const out = await jane.cmd(`CHNS 100${after ? ` after ${after}` : ''}`);
      const end = out.at(-1)!;
      expect(out.length - 1).toBeLessThanOrEqual(100);
      seen.push(...out.slice(0, -1).map(chn));
      const m = /^END CHNS (\d+)(?: MORE (\S+))?$/.exec(end);
      expect(m).not.toBeNull();
      expect(Number(m![1])).toBe(out.length - 1);
      if (m![2] === undefined) {
        // 1,205 channels: thirteen pages.
        expect(pages).toBe(12);
        break;
      }
      expect(m![2]).toBe(seen.at(-1));
      after = m![2];
    }
    expect(seen).toEqual(names);
  });

  it('a limit is capped at 500; `after` need not name a channel and is read without regard to case', async () => {
    const out = await jane.cmd('CHNS 9999');
    expect(out).toHaveLength(501);
    expect(out[500]).toBe(`END CHNS 500 MORE ${names[499]}`);
    // #ALPHA is #Alpha: the page starts after it.
    expect(await jane.cmd('CHNS 2 after #ALPHA')).toEqual(['CHN #beta 1', 'CHN #Ch0000 1', 'END CHNS 2 MORE #Ch0000']);
    expect(await jane.cmd('CHNS 1 after #ch0000x')).toEqual(['CHN #ch0001 1', 'END CHNS 1 MORE #ch0001']);
  });

  it('the last page says no MORE, even when it is exactly full; past the end is empty', async () => {
    const last = names.slice(-3);
    // Each has one member, jane (a new user is put in #general).
    expect(await jane.cmd(`CHNS 3 after ${names.at(-4)}`)).toEqual([...last.map((n) => `CHN ${n} 1`), 'END CHNS 3']);
    expect(await jane.cmd('CHNS after #zzz')).toEqual(['END CHNS 0']);
    expect(await jane.cmd('CHNS 0')).toEqual(['ERR BAD_SYNTAX CHNS limit must be at least 1']);
  });

  it('a channel made since the last page shows up in the next (pages are read from the live list)', async () => {
    const first = await jane.cmd('CHNS 1');
    expect(first.at(-1)).toBe('END CHNS 1 MORE #Alpha');
    await jane.ok('JOIN #Alpha2');
    expect((await jane.cmd('CHNS 1 after #Alpha')).at(0)).toBe('CHN #Alpha2 1');
    names = [...names, '#Alpha2'].sort((a, b) => (nameKey(a) < nameKey(b) ? -1 : 1));
  });

  it("the core client's chns() pages through all of them", async () => {
    const socket = net.connect({ host: '127.0.0.1', port: server.tcpPort });
    const client = new SlckClient((b) => void socket.write(b));
    socket.on('data', (d) => client.receive(d));
    try {
      await new Promise<void>((ok) => client.on('hello', () => ok()));
      const all = await client.chns();
      expect(all.map((c) => c.channel)).toEqual(names);
      expect(all.find((c) => c.channel === '#general')).toEqual({ channel: '#general', members: 1 });
    } finally {
      socket.destroy();
    }
  });
});
