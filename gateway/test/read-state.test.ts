import { describe, expect, it } from 'vitest';
import { msg, show, type TestClient } from './support/client.ts';
import { useTelnetServer } from './support/telnet.ts';

// Read state (spec: READ, UNREAD) and a claimed handle on several connections at once
// (spec: REG), as a telnet user sees them, on one server with a real SQLite file.

const t = useTelnetServer('read-state');
const { connect, user } = t;

const say = (c: TestClient, target: string, body: string) => c.ok(msg(target, body));

describe('UNREAD and READ', () => {
  it('counts what others posted since you last read, keeps it across sign-outs, and READ moves the mark', async () => {
    const jane = await user('@jane s3cret-pass', '#dev', '#general');
    const kim = await user('@kim', '#dev', '#general');
    await say(kim, '#dev', 'first');
    await say(kim, '#dev', 'hey @jane, look');
    await say(jane, '#dev', 'mine does not count');
    await say(kim, '@jane', 'a direct one');
    await say(kim, '#general', 'nobody reads general');
    jane.end();
    await jane.waitClosed();
    await say(kim, '#dev', 'while you were out');

    const back = await user('@jane s3cret-pass');
    await back.settle();
    back.drain();
    // Most recent first. Joining a channel reads it up to then; a direct conversation starts
    // unread.
    const list = await back.cmd('UNREAD');
    expect(list).toEqual([
      'UNREAD #dev 3 1 0 4',
      'UNREAD #general 1 0 0 1',
      'UNREAD @kim 1 0 0 1',
      'END UNREAD 3',
    ]);
    expect(await back.cmd('READ #dev 2')).toEqual(['OK']);
    // A mark never goes back, and stops at the newest message.
    expect(await back.cmd('READ #dev 1')).toEqual(['OK']);
    expect(await back.cmd('READ @kim 99')).toEqual(['OK']);
    expect(await back.cmd('UNREAD')).toEqual(['UNREAD #dev 1 0 2 4', 'UNREAD #general 1 0 0 1', 'UNREAD @kim 0 0 1 1', 'END UNREAD 3']);
  });

  it('refuses a READ of what you cannot read, clearly', async () => {
    const jane = await user('@jane');
    await user('@kim', '#secret');
    await jane.settle();
    expect(await jane.cmd('READ #secret 1')).toEqual(['ERR NOT_MEMBER Join #secret to read its history']);
    expect(await jane.cmd('READ #nowhere 1')).toEqual(['ERR NO_SUCH_CHANNEL #nowhere does not exist']);
    expect(await jane.cmd('READ @nobody 1')).toEqual(['ERR NO_SUCH_USER @nobody has never registered']);
    expect(await jane.cmd('READ #general')).toEqual(['ERR BAD_SYNTAX Usage: READ <#channel|@user> <id> [THREAD <root-id>]']);
    expect(await jane.cmd('READ #general x')).toEqual(['ERR BAD_SYNTAX READ needs the id of the last message read, a number']);
    expect(await jane.cmd('READ general 1')).toEqual(['ERR BAD_TARGET READ needs a channel (#name) or a user (@name)']);
    expect(await jane.cmd('UNREAD now')).toEqual(['ERR BAD_SYNTAX Usage: UNREAD takes no arguments']);
    expect(await jane.cmd('PING')).toEqual(['PONG']);
  });
});

describe('a claimed handle on several connections', () => {
  it('both get channel and direct messages, each other\'s sends, and read marks; ONLINE once, OFFLINE after the last', async () => {
    const laptop = await user('@jane s3cret-pass', '#dev');
    const watcher = await user('@kim', '#dev');
    const presence = () => watcher.frames.filter((f) => 'type' in f && (f.type === 'ONLINE' || f.type === 'OFFLINE')).map(show);
    const phone = await user('@jane s3cret-pass');
    // The phone sits in jane's channels at once.
    await phone.settle();
    expect(phone.frames.map(show).filter((l) => l.startsWith('JOINED'))).toEqual(['JOINED #general @jane', 'JOINED #dev @jane']);

    await say(watcher, '#dev', 'to the channel');
    await say(watcher, '@jane', 'to jane');
    const fromLaptop = await say(laptop, '#dev', 'sent from the laptop');
    await say(laptop, '@kim', 'dm from the laptop');
    const seen = (c: TestClient) => c.msgs.map((m) => `${m.target} ${m.from} ${Buffer.from(m.body).toString()}`);
    await phone.waitFor(() => seen(phone).length === 4, 'four messages on the phone');
    expect(seen(phone)).toEqual([
      '#dev @kim to the channel', '@jane @kim to jane', '#dev @jane sent from the laptop', '@kim @jane dm from the laptop',
    ]);
    // The laptop got its OK, and not its own messages back.
    await laptop.settle();
    expect(seen(laptop)).toEqual(['#dev @kim to the channel', '@jane @kim to jane']);

    // Read on the phone: the laptop is told, the phone is not told again.
    const id = fromLaptop.split(' ')[1];
    phone.drain();
    expect(await phone.cmd(`READ #dev ${id}`)).toEqual(['OK']);
    await laptop.until((f) => 'type' in f && f.type === 'READ');
    expect(laptop.frames.map((f) => ('type' in f && f.type === 'READ' ? `READ ${f.target} ${f.id}` : '')).filter(Boolean)).toEqual([`READ #dev ${id}`]);
    expect((await phone.settle()).filter((l) => l.startsWith('READ'))).toEqual([]);

    // Jane was online already: the phone's sign-in is no news, nor is one of two going;
    // OFFLINE comes once both have gone.
    laptop.end();
    await laptop.waitClosed();
    await watcher.settle();
    expect(presence()).toEqual([]);
    phone.end();
    await watcher.until((f) => 'type' in f && f.type === 'OFFLINE');
    expect(presence()).toEqual(['OFFLINE @jane']);
  });

  it('a guest handle stays one connection at a time', async () => {
    await user('@guest');
    const other = await connect();
    expect(await other.cmd('REG @guest')).toEqual(['ERR HANDLE_TAKEN @guest is already online']);
  });
});
