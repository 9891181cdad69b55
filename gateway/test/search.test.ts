import { describe, expect, it } from 'vitest';
import { idOf, noTs, programUser, useTelnetServer } from './support/telnet.ts';

// SEARCH (issue 18) over TCP on a real SQLite file (FTS5): what the user may read, and
// nothing else; the current text only; newest first, a page at a time.

const t = useTelnetServer('search');
const user = (reg: string, ...channels: string[]) => programUser(t, reg, ...channels);

describe('SEARCH', () => {
  it('finds words in what you may read, accents folded, newest first; never another channel, nor the old text of an edit, nor a deleted message', async () => {
    const ann = await user('@ann', '#dev');
    const bob = await user('@bob', '#secret');
    await ann.ok('SAY #general the Café opens at noon');
    const edited = idOf(await ann.ok('SAY #general deploy the cafe menu'));
    await ann.ok(`FIX #general ${edited} deploy the lunch menu`);
    const gone = idOf(await ann.ok('SAY #dev cafe plans, secret'));
    await ann.ok(`DELETE #dev ${gone}`);
    await bob.ok('SAY #secret cafe in the basement');
    await bob.ok('SAY @ann cafe tomorrow?');
    await ann.settle();
    expect(noTs(await ann.cmd('SEARCH cafe'))).toEqual([
      'FOUND @ann @bob 1 TS 14\ncafe tomorrow?',
      'FOUND #general @ann 1 TS 23\nthe Café opens at noon',
      'END SEARCH 2',
    ]);
    expect(noTs(await ann.cmd('SEARCH lunch menu'))).toEqual([`FOUND #general @ann ${edited} TS 21\ndeploy the lunch menu`, 'END SEARCH 1']);
    expect(await ann.cmd('SEARCH "cafe menu"')).toEqual(['END SEARCH 0']);
  });

  it('filters: from:, in:, -excluded, a phrase; in: a channel you are not in is refused as HISTORY would be', async () => {
    const ann = await user('@ann', '#dev');
    const bob = await user('@bob', '#dev');
    await ann.ok('SAY #dev release notes are ready');
    await bob.ok('SAY #dev release blocked by tests');
    await bob.ok('SAY #general release party');
    await ann.settle();
    expect(noTs(await ann.cmd('SEARCH release from:@bob in:#dev'))).toEqual(['FOUND #dev @bob 2 TS 24\nrelease blocked by tests', 'END SEARCH 1']);
    expect((await ann.cmd('SEARCH release -party')).length).toBe(3);
    expect(noTs(await ann.cmd('SEARCH "notes are"'))).toEqual(['FOUND #dev @ann 1 TS 23\nrelease notes are ready', 'END SEARCH 1']);
    await bob.ok('JOIN #private');
    expect(await ann.cmd('SEARCH x in:#private')).toEqual(['ERR NOT_MEMBER Join #private to read its history']);
    expect(await ann.cmd('SEARCH x from:@nobody')).toEqual(['ERR NO_SUCH_USER @nobody has never registered']);
  });

  it('pages 20 at a time: END SEARCH 20 MORE <ts>, and before:<ts> goes on without a gap or a repeat', async () => {
    const ann = await user('@ann');
    for (let i = 1; i <= 25; i++) await ann.ok(`SAY #general needle ${i}`);
    const first = await ann.cmd('SEARCH needle');
    const end = first.at(-1)!;
    expect(end).toMatch(/^END SEARCH \d+ MORE \d{4}-/);
    const more = end.split(' ')[4];
    const second = await ann.cmd(`SEARCH needle before:${more}`);
    const bodies = [...first, ...second].filter((l) => l.startsWith('FOUND')).map((l) => l.split('\n')[1]);
    expect(bodies).toEqual(Array.from({ length: 25 }, (_, i) => `needle ${25 - i}`));
    expect(second.at(-1)).toBe(`END SEARCH ${25 - (first.length - 1)}`);
  });
});
