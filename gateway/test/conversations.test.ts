import { describe, expect, it } from 'vitest';
import { msg } from './support/client.ts';
import { idOf, noTs, programUser, useTelnetServer } from './support/telnet.ts';

// Conversations as living objects (issue 17), over TCP on a real SQLite file: thread
// replies, edits, deletes, reactions and typing, each a program's exact frames, and each
// stored before anyone is told (a restart keeps it).

const t = useTelnetServer('conversations');
const user = (reg: string, ...channels: string[]) => programUser(t, reg, ...channels);

describe('threads', () => {
  it('a reply joins the thread of its root, reaches the channel live, and THREAD reads it back with the root', async () => {
    const ann = await user('@ann');
    const bob = await user('@bob');
    const root = idOf(await ann.ok('SAY #general lunch?'));
    await bob.settle();
    const r1 = idOf(await bob.ok(`${msg('#general', 'yes').replace('MSG', 'REPLY').replace(' 3', ` ${root} 3`)}`));
    expect(noTs(await ann.settle())).toEqual([`REPLY #general @bob ${r1} TS ${root} 3\nyes`]);
    // A reply to a reply is in the same root's thread: one level deep.
    const r2 = idOf(await ann.ok(`RE #general ${r1} noon then`));
    expect(noTs(await bob.settle())).toEqual([`REPLY #general @ann ${r2} TS ${root} 9\nnoon then`]);
    expect(noTs(await bob.cmd(`THREAD #general ${r2}`))).toEqual([
      `MSG #general @ann ${root} TS 6\nlunch?`,
      `REPLIES #general ${root} 2 ${r2} TS @ann,@bob`,
      `REPLY #general @bob ${r1} TS ${root} 3\nyes`,
      `REPLY #general @ann ${r2} TS ${root} 9\nnoon then`,
      'END THREAD 3',
    ]);
    // The main flow shows the root with its thread's summary, not the replies.
    expect(noTs(await bob.cmd('HISTORY #general'))).toEqual([
      `MSG #general @ann ${root} TS 6\nlunch?`,
      `REPLIES #general ${root} 2 ${r2} TS @ann,@bob`,
      'END HISTORY 1',
    ]);
    expect(await bob.cmd('THREAD #general 999')).toEqual(['ERR NO_SUCH_MESSAGE No message 999 in #general']);
  });

  it('a reply sent ALSO is in the main flow too; unread counts count it, and not plain replies', async () => {
    const ann = await user('@ann');
    const bob = await user('@bob');
    const root = idOf(await ann.ok('SAY #general plan'));
    await bob.ok(`REPLY #general ${root} 5\r\nquiet`);
    const also = idOf(await bob.ok(`REPLY #general ${root} 4 ALSO\r\nloud`));
    await ann.settle();
    const history = noTs(await ann.cmd('HISTORY #general'));
    expect(history.filter((l) => !l.startsWith('REPLIES'))).toEqual([`MSG #general @ann ${root} TS 4\nplan`, `REPLY #general @bob ${also} TS ${root} 4 ALSO\nloud`, 'END HISTORY 2']);
    const unread = (await ann.cmd('UNREAD')).find((l) => l.startsWith('UNREAD #general'));
    expect(unread?.split(' ').slice(2, 4)).toEqual(['1', '0']);
    // Ann started the thread: she follows it, with both of Bob's replies unread until she reads them.
    expect(noTs(await ann.cmd('THREADS'))).toEqual([`FOLLOWING #general ${root} 2 2 0 ${also} TS`, 'END THREADS 1']);
    expect(await ann.cmd(`READ #general ${also} THREAD ${root}`)).toEqual(['OK']);
    expect(noTs(await ann.cmd('THREADS'))).toEqual([`FOLLOWING #general ${root} 2 0 0 ${also} TS`, 'END THREADS 1']);
  });
});

describe('edits and deletes', () => {
  it('the author edits: everyone sees the new text live, HISTORY shows only it, marked edited, after a restart too', async () => {
    const ann = await user('@ann');
    const bob = await user('@bob');
    const id = idOf(await ann.ok('SAY #general teh plan'));
    await bob.settle();
    const e = idOf(await ann.ok(`FIX #general ${id} the plan`));
    expect(e).toBe(id + 1);
    expect(noTs(await bob.settle())).toEqual([`EDIT #general @ann ${e} TS ${id} 8\nthe plan`]);
    expect(await bob.cmd(`EDIT #general ${id} 3\r\nmine`)).toEqual([`ERR NOT_AUTHOR Only @ann can edit message ${id}`]);
    await t.restart();
    const again = await user('@bob');
    expect(noTs(await again.cmd('HISTORY #general'))).toEqual([`MSG #general @ann ${id} TS 8\nthe plan`, `EDITED #general ${id} TS`, 'END HISTORY 1']);
  });

  it('a delete leaves a tombstone: the body and reactions are gone, the id stays, replies keep their thread', async () => {
    const ann = await user('@ann');
    const bob = await user('@bob');
    const id = idOf(await ann.ok('SAY #general oops, wrong channel'));
    await bob.ok(`REACT #general ${id} 👍`);
    const reply = idOf(await bob.ok(`RE #general ${id} what?`));
    await ann.settle();
    expect(await bob.cmd(`DELETE #general ${id}`)).toEqual([`ERR NOT_AUTHOR Only @ann can delete message ${id}`]);
    const d = idOf(await ann.ok(`DELETE #general ${id}`));
    expect(noTs(await bob.settle())).toEqual([`DELETE #general @ann ${d} TS ${id}`]);
    expect(noTs(await bob.cmd(`THREAD #general ${id}`))).toEqual([
      `MSG #general @ann ${id} TS 0\n`,
      `DELETED #general ${id}`,
      `REPLIES #general ${id} 1 ${reply} TS @bob`,
      `REPLY #general @bob ${reply} TS ${id} 5\nwhat?`,
      'END THREAD 2',
    ]);
    expect(await bob.cmd(`REACT #general ${id} 🎉`)).toEqual([`ERR NO_SUCH_MESSAGE No message ${id} in #general`]);
    expect(await ann.cmd(`FIX #general ${id} back`)).toEqual([`ERR NO_SUCH_MESSAGE No message ${id} in #general`]);
  });

  it('an id that is not a message of that conversation is NO_SUCH_MESSAGE: past the end, an edit entry, another channel', async () => {
    const ann = await user('@ann', '#dev');
    const id = idOf(await ann.ok('SAY #general one'));
    const e = idOf(await ann.ok(`FIX #general ${id} uno`));
    expect(await ann.cmd(`FIX #general ${e} dos`)).toEqual([`ERR NO_SUCH_MESSAGE No message ${e} in #general`]);
    expect(await ann.cmd(`REACT #dev ${id} 👍`)).toEqual([`ERR NO_SUCH_MESSAGE No message ${id} in #dev`]);
    expect(await ann.cmd('DELETE #general 77')).toEqual(['ERR NO_SUCH_MESSAGE No message 77 in #general']);
  });
});

describe('reactions', () => {
  it('live for everyone, once per user, a shortcode is its emoji, and HISTORY says who reacted with what', async () => {
    const ann = await user('@ann');
    const bob = await user('@bob');
    const id = idOf(await ann.ok('SAY #general ship it'));
    await bob.settle();
    const r = idOf(await bob.ok(`REACT #general ${id} :+1:`));
    expect(noTs(await ann.settle())).toEqual([`REACT #general @bob ${r} TS ${id} 👍`]);
    expect(await bob.cmd(`REACT #general ${id} 👍`)).toEqual(['OK']);
    await ann.ok(`REACT #general ${id} 👍`);
    await ann.ok(`REACT #general ${id} ❤️`);
    await bob.settle();
    expect(noTs(await bob.cmd('HISTORY #general 1'))).toEqual([
      `MSG #general @ann ${id} TS 7\nship it`,
      `REACTION #general ${id} 👍 @bob,@ann`,
      `REACTION #general ${id} ❤️ @ann`,
      'END HISTORY 1',
    ]);
    const u = idOf(await bob.ok(`UNREACT #general ${id} 👍`));
    expect(await bob.cmd(`UNREACT #general ${id} 👍`)).toEqual(['OK']);
    expect(noTs((await ann.settle()).filter((l) => l.startsWith('UNREACT')))).toEqual([`UNREACT #general @bob ${u} TS ${id} 👍`]);
    for (const bad of ['thumbs', ':no_such_code:', '👍👍', 'a']) {
      expect(await bob.cmd(`REACT #general ${id} ${bad}`)).toEqual(['ERR BAD_REACTION A reaction is one emoji, or a :shortcode: such as :+1:']);
    }
  });

  it('at most 50 different reactions on a message', async () => {
    const ann = await user('@ann');
    const id = idOf(await ann.ok('SAY #general react away'));
    const emoji = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙😚🙂🤗🤩🤔🤨😐😑😶🙄😏😣😥😮🤐😯😪😫🥱😴😌😛😜😝🤤😒😓😔😕🙃🤑😲🙁😖'];
    expect(emoji.length).toBeGreaterThan(50);
    for (const e of emoji.slice(0, 50)) await ann.ok(`REACT #general ${id} ${e}`);
    expect(await ann.cmd(`REACT #general ${id} ${emoji[50]}`)).toEqual([`ERR TOO_MANY_REACTIONS Message ${id} has 50 different reactions already`]);
  });
});

describe('the log', () => {
  it('HISTORY after replays every change in order, from the current state: a reconnecting client misses nothing', async () => {
    const ann = await user('@ann');
    const bob = await user('@bob');
    const a = idOf(await ann.ok('SAY #general first'));
    const b = idOf(await ann.ok('SAY #general second'));
    await bob.ok(`REACT #general ${a} 🎉`);
    await ann.ok(`FIX #general ${b} 2nd`);
    await ann.ok(`DELETE #general ${a}`);
    await bob.settle();
    const replay = noTs(await bob.cmd(`HISTORY #general after ${a - 1}`));
    expect(replay).toEqual([
      `MSG #general @ann ${a} TS 0\n`,
      `MSG #general @ann ${b} TS 3\n2nd`,
      `REACT #general @bob ${b + 1} TS ${a} 🎉`,
      `EDIT #general @ann ${b + 2} TS ${b} 3\n2nd`,
      `DELETE #general @ann ${b + 3} TS ${a}`,
      'END HISTORY 5',
    ]);
  });

  it('a DM edited while its recipient is offline reaches them in its final state; a deleted one never', async () => {
    const ann = await user('@ann');
    const bob = await user('@bob b0b-pass');
    bob.end();
    await bob.waitClosed();
    const kept = idOf(await ann.ok('SAY @bob teh draft'));
    await ann.ok(`FIX @bob ${kept} the draft`);
    const gone = idOf(await ann.ok('SAY @bob secret, sorry'));
    await ann.ok(`DELETE @bob ${gone}`);
    const back = await t.connect();
    const signIn = noTs(await back.cmd('REG @bob b0b-pass'));
    const later = noTs(await back.settle());
    const all = [...signIn, ...later].join('\n');
    expect(all).toContain(`MSG @bob @ann ${kept} TS 9\nthe draft`);
    expect(all).not.toContain('teh draft');
    expect(all).not.toContain('secret');
  });
});

describe('typing', () => {
  it('passed on at most once per 3 s per conversation, only to those who asked (a TCP user asks with TYPING ON), never stored', async () => {
    const ann = await user('@ann');
    const bob = await user('@bob');
    const cy = await user('@cy');
    expect(await bob.cmd('TYPING ON')).toEqual(['OK']);
    await ann.ok('TYPING #general');
    await ann.ok('TYPING #general');
    expect(await bob.settle()).toEqual(['TYPING #general @ann']);
    expect(await cy.settle()).toEqual([]);
    await ann.ok('TYPING @bob');
    expect(await bob.settle()).toEqual(['TYPING @bob @ann']);
    expect(await ann.cmd('TYPING #nowhere')).toEqual(['ERR NO_SUCH_CHANNEL #nowhere does not exist']);
    expect((await bob.cmd('HISTORY #general')).at(-1)).toBe('END HISTORY 0');
  });
});

describe('one connection, pipelined', () => {
  it('writes take ids in the order sent, and each sees the ones before it (found by the wire fuzzer)', async () => {
    const ann = await user('@ann');
    const bob = await user('@bob');
    // All in one write: nothing waits for an answer before the next line.
    ann.write('MSG #general 5\r\nhello\r\nFIX #general 1 changed\r\nREACT #general 1 🎉\r\nREACT #general 1 :tada:\r\nMSG #general 6\r\nsecond\r\nUNREACT #general 1 🎉\r\nRE #general 1 a reply\r\nTHREAD #general 6\r\n');
    const answers: string[] = [];
    while (!answers.at(-1)?.startsWith('END THREAD')) answers.push(...noTs(await ann.lines(1)));
    expect(answers.slice(0, 7)).toEqual(['OK 1 TS', 'OK 2 TS', 'OK 3 TS', 'OK', 'OK 4 TS', 'OK 5 TS', 'OK 6 TS']);
    expect(answers.slice(7)).toEqual(['MSG #general @ann 1 TS 7\nchanged', 'EDITED #general 1 TS', 'REPLIES #general 1 1 6 TS @ann', 'REPLY #general @ann 6 TS 1 7\na reply', 'END THREAD 2']);
    expect(noTs(await bob.settle()).map((l) => l.split('\n')[0])).toEqual([
      'MSG #general @ann 1 TS 5', 'EDIT #general @ann 2 TS 1 7', 'REACT #general @ann 3 TS 1 🎉', 'MSG #general @ann 4 TS 6', 'UNREACT #general @ann 5 TS 1 🎉', 'REPLY #general @ann 6 TS 1 7',
    ]);
  });

  it('a TYPING dropped for the 3 s rule is still checked: one who has left the channel is refused (found by the wire fuzzer)', async () => {
    const ann = await user('@ann', '#dev');
    expect(await ann.cmd('TYPING #dev')).toEqual(['OK']);
    await ann.ok('LEAVE #dev');
    expect(await ann.cmd('TYPING #dev')).toEqual(['ERR NOT_MEMBER Join #dev before posting to it']);
  });

  it('a refused TYPING does not count as passed on: the same again is refused again', async () => {
    const ann = await user('@ann');
    ann.write('TYPING #nowhere\r\nTYPING #nowhere\r\nTYPING @nobody\r\nTYPING @nobody\r\n');
    expect(await ann.lines(4)).toEqual([
      'ERR NO_SUCH_CHANNEL #nowhere does not exist', 'ERR NO_SUCH_CHANNEL #nowhere does not exist',
      'ERR NO_SUCH_USER @nobody has never registered', 'ERR NO_SUCH_USER @nobody has never registered',
    ]);
  });
});
