import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../core/index.ts';
import type { TestClient } from './support/client.ts';
import { idOf, noTs, programUser, useTelnetServer } from './support/telnet.ts';

// BLOCK and UNBLOCK (spec: BLOCK), over TCP on a real SQLite file: a blocked user's direct
// messages, and everything else they would write in that conversation, are refused with the
// one line every undeliverable DM gets; channels are untouched; the block survives a restart.

const t = useTelnetServer('blocks');

/** What reached a connection unasked, once it has caught up. */
const unasked = async (c: TestClient) => noTs(await c.settle());

const UNDELIVERABLE = 'ERR UNDELIVERABLE Direct messages to @jane cannot be delivered';

describe('BLOCK and UNBLOCK', () => {
  it("refuses the blocked user's DMs, replies, edits, deletes, reactions and typing in the same words; UNBLOCK lets them through again", async () => {
    const jane = await programUser(t, '@jane j4ne-pass');
    const troll = await programUser(t, '@troll');
    const earlier = idOf(await troll.ok('SAY @jane hello before'));
    expect(await unasked(jane)).toEqual(['MSG @jane @troll 1 TS 12\nhello before']);

    expect(await jane.cmd('BLOCK @Troll')).toEqual(['OK']);
    // Every way to write in the conversation with her gets the same line, and nothing reaches her.
    expect(await troll.cmd('SAY @jane are you there')).toEqual([UNDELIVERABLE]);
    expect(await troll.cmd('MSG @Jane 2\r\nhi')).toEqual([UNDELIVERABLE]);
    expect(await troll.cmd(`RE @jane ${earlier} and another thing`)).toEqual([UNDELIVERABLE]);
    expect(await troll.cmd(`FIX @jane ${earlier} hello, edited`)).toEqual([UNDELIVERABLE]);
    expect(await troll.cmd(`DELETE @jane ${earlier}`)).toEqual([UNDELIVERABLE]);
    expect(await troll.cmd(`REACT @jane ${earlier} :+1:`)).toEqual([UNDELIVERABLE]);
    expect(await troll.cmd('TYPING @jane')).toEqual([UNDELIVERABLE]);
    expect(await unasked(jane)).toEqual([]);
    // What was said before stays readable to both; the block shows nowhere else.
    expect(noTs(await troll.cmd('HISTORY @jane'))).toEqual(['MSG @jane @troll 1 TS 12\nhello before', 'END HISTORY 1']);
    expect(await troll.cmd('USRS')).toEqual(await jane.cmd('USRS'));
    // Channels are not touched: her web app collapses his messages there, the server does not.
    expect(await troll.ok('SAY #general still in the channel')).toMatch(/^OK \d+ /);
    expect(await unasked(jane)).toEqual(['MSG #general @troll 1 TS 20\nstill in the channel']);
    // She may still write to him.
    expect(await jane.ok('SAY @troll please stop')).toMatch(/^OK 2 /);
    expect(await unasked(troll)).toEqual(['MSG @troll @jane 2 TS 11\nplease stop']);

    // Twice is fine, and changes nothing.
    expect(await jane.cmd('BLOCK @troll')).toEqual(['OK']);
    expect(await jane.cmd('BLOCKS')).toEqual(['BLOCKED @troll', 'END BLOCKS 1']);
    expect(await jane.cmd('UNBLOCK @troll')).toEqual(['OK']);
    expect(await jane.cmd('UNBLOCK @troll')).toEqual(['OK']);
    expect(await jane.cmd('BLOCKS')).toEqual(['END BLOCKS 0']);
    expect(await troll.ok('SAY @jane sorry')).toMatch(/^OK 3 /);
    expect(await unasked(jane)).toEqual(['MSG @jane @troll 3 TS 5\nsorry']);
  });

  it('is kept across a restart on the same data directory', async () => {
    const jane = await programUser(t, '@jane j4ne-pass');
    await programUser(t, '@troll');
    expect(await jane.cmd('BLOCK @troll')).toEqual(['OK']);
    await t.restart();
    const back = await programUser(t, '@jane j4ne-pass');
    const troll = await programUser(t, '@troll');
    expect(await back.cmd('BLOCKS')).toEqual(['BLOCKED @troll', 'END BLOCKS 1']);
    expect(await troll.cmd('SAY @jane after the restart')).toEqual([UNDELIVERABLE]);
    expect(await back.cmd('UNBLOCK @troll')).toEqual(['OK']);
    await t.restart();
    const troll2 = await programUser(t, '@troll');
    expect(await troll2.ok('SAY @jane unblocked for good')).toMatch(/^OK 1 /);
  });

  it("tells the user's other connections, not the one that blocked, nor anyone else", async () => {
    const laptop = await programUser(t, '@jane j4ne-pass');
    const phone = await programUser(t, '@jane j4ne-pass');
    const troll = await programUser(t, '@troll');
    expect(await laptop.cmd('BLOCK @troll')).toEqual(['OK']);
    expect(await laptop.cmd('UNBLOCK @troll')).toEqual(['OK']);
    expect(await unasked(phone)).toEqual(['BLOCKED @troll', 'UNBLOCKED @troll']);
    expect(await unasked(laptop)).toEqual([]);
    expect(await unasked(troll)).toEqual([]);
  });

  it('refuses blocking oneself, an unknown handle, a bad one, and before REG, each with a clear sentence', async () => {
    const jane = await programUser(t, '@jane');
    expect(await jane.cmd('BLOCK @JANE')).toEqual(['ERR SELF_TARGET You cannot block yourself']);
    expect(await jane.cmd('BLOCK @nobody')).toEqual(['ERR NO_SUCH_USER @nobody has never registered']);
    expect(await jane.cmd('UNBLOCK @nobody')).toEqual(['ERR NO_SUCH_USER @nobody has never registered']);
    expect(await jane.cmd('BLOCK #general')).toEqual(['ERR BAD_HANDLE Handle must begin with @']);
    expect(await jane.cmd('BLOCK')).toEqual(['ERR BAD_SYNTAX Usage: BLOCK @handle']);
    const before = await t.connect();
    expect(await before.cmd('BLOCK @jane')).toEqual(['ERR NOT_REGISTERED Register first: REG @handle']);
    expect(await before.cmd('BLOCKS')).toEqual(['ERR NOT_REGISTERED Register first: REG @handle']);
  });

  it(`keeps at most ${LIMITS.maxBlocks}: TOO_MANY_BLOCKS for one more, while blocking one again or unblocking works`, async () => {
    const jane = await programUser(t, '@jane j4ne-pass');
    await programUser(t, '@troll');
    // A thousand users and blocks written to the store directly: a thousand REGs would be slow.
    const many = Array.from({ length: LIMITS.maxBlocks }, (_, i) => `@u${i}`);
    const store = t.server.server.store;
    expect(await store.commit(many.flatMap((h) => [{ op: 'addUser', handle: h }, { op: 'block', handle: '@jane', blocked: h }] as const))).not.toBeNull();
    expect(await jane.cmd('BLOCK @troll')).toEqual([`ERR TOO_MANY_BLOCKS You block ${LIMITS.maxBlocks} users, the most allowed; unblock one first`]);
    expect(await jane.cmd('BLOCK @u7')).toEqual(['OK']);
    expect(await jane.cmd('UNBLOCK @u7')).toEqual(['OK']);
    expect(await jane.cmd('BLOCK @troll')).toEqual(['OK']);
    const listed = await jane.cmd('BLOCKS');
    expect(listed.at(-1)).toBe(`END BLOCKS ${LIMITS.maxBlocks}`);
    expect(listed).toContain('BLOCKED @troll');
  });
});
