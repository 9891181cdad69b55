import { beforeEach, describe, expect, it } from 'vitest';
import { perTestServer } from './support/per-test-server.ts';
import { ISO_TS } from './support/client.ts';

// One transcript per command of docs/PROTOCOL.md section 2, over raw TCP, each on a fresh
// in-memory server so ids, channel lists and user lists are exactly the spec's.

const { start, user, tcp: connect } = perTestServer();

beforeEach(async () => {
  await start();
});

/** The text of `OK <id> <ts>` with the time replaced, so a transcript can be exact. */
const okId = (line: string) => line.replace(/^OK (\d+) (\S+)$/, (_, id, ts) => (ISO_TS.test(ts) ? `OK ${id} <ts>` : line));

describe('connection', () => {
  it('greets with the HELLO banner first', async () => {
    const c = await connect();
    const [hello] = await c.lines(1);
    expect(hello).toMatch(/^HELLO slck 1 c\d+ Welcome to SLCK\. REG @handle to start, SAY #general <text> to talk, MODE text at a terminal, HELP for commands\.$/);
  });
});

describe('REG', () => {
  it('registers, refuses bad and repeated handles, and a handle online elsewhere', async () => {
    const jane = await connect();
    await jane.lines(1);
    expect(await jane.cmd('REG jane')).toEqual(['ERR BAD_HANDLE Handle must begin with @']);
    expect(await jane.cmd('REG @jane')).toEqual(['OK']);
    // A new user is put in #general (spec: REG).
    expect(await jane.lines(1)).toEqual(['JOINED #general @jane']);
    expect(await jane.cmd('REG @jane')).toEqual(['ERR ALREADY_REGISTERED You are already @jane']);
    const other = await connect();
    await other.lines(1);
    expect(await other.cmd('reg @JANE')).toEqual(['ERR HANDLE_TAKEN @jane is already online']);
    expect(await other.cmd('Reg @john')).toEqual(['OK']);
  });
});

describe('SAY', () => {
  it('sends the rest of the line as a message, answered as MSG is', async () => {
    const jane = await user('@jane', '#general');
    const john = await user('@john', '#general');
    await jane.settle();
    // SAY would make jane's connection a person's, rendered for reading (person-rendering.test.ts);
    // here she reads the wire as a program does.
    expect(await jane.cmd('MODE exact')).toEqual(['OK']);
    const ok = await jane.ok('SAY #general Hello there, no bytes counted');
    expect(ok).toMatch(/^OK \d+ \S+Z$/);
    const dm = await john.ok('say @jane hi');
    expect(dm).toMatch(/^OK \d+ \S+Z$/);
    await john.waitFor(() => john.msgs.length === 1, 'the channel message');
    expect(Buffer.from(john.msgs[0].body).toString()).toBe('Hello there, no bytes counted');
    await jane.waitFor(() => jane.msgs.length === 1, 'the DM');
    jane.drain();
    expect([jane.msgs[0].target, jane.msgs[0].from, Buffer.from(jane.msgs[0].body).toString()]).toEqual(['@jane', '@john', 'hi']);
    expect(await jane.cmd('SAY #general')).toEqual(['ERR BAD_SYNTAX Usage: SAY <#channel|@user> <text>']);
    expect(await jane.cmd('SAY #nowhere hi')).toEqual(['ERR NO_SUCH_CHANNEL #nowhere does not exist']);
  });
});

describe('JOIN and LEAVE', () => {
  it('follow the spec transcript', async () => {
    const jane = await user('@jane');
    expect(await jane.cmd('JOIN general')).toEqual(['ERR BAD_CHANNEL Channel must begin with #']);
    expect(await jane.cmd('JOIN #random')).toEqual(['JOINED #random @jane', 'OK']);
    expect(await jane.cmd('join #Random')).toEqual(['OK']); // idempotent, case-insensitive
    expect(await jane.cmd('LEAVE #nowhere')).toEqual(['ERR NO_SUCH_CHANNEL #nowhere does not exist']);
    expect(await jane.cmd('LEAVE #random')).toEqual(['LEFT #random @jane', 'OK']);
    expect(await jane.cmd('LEAVE #random')).toEqual(['ERR NOT_MEMBER You are not in #random']);
    expect(await jane.cmd('CHNS')).toEqual(['CHN #general 1', 'CHN #random 0', 'END CHNS 2']);
  });

  it('tell every member, the joiner included', async () => {
    const jane = await user('@jane', '#random');
    const john = await user('@john');
    // John arriving in #general, where both were put, is read past.
    await jane.settle();
    expect(await john.cmd('JOIN #random')).toEqual(['JOINED #random @john', 'OK']);
    expect(await jane.settle()).toEqual(['JOINED #random @john']);
    expect(await john.cmd('LEAVE #random')).toEqual(['LEFT #random @john', 'OK']);
    expect(await jane.settle()).toEqual(['LEFT #random @john']);
  });
});

describe('MSG', () => {
  it('follows the spec transcript, the one-line seed form included', async () => {
    await user('@kim', '#dev');
    const jane = await user('@jane');
    expect(await jane.cmd('MSG #dev 5\r\nHello')).toEqual(['ERR NOT_MEMBER Join #dev before posting to it']);
    expect(await jane.cmd('join #dev')).toEqual(['JOINED #dev @jane', 'OK']);
    expect((await jane.cmd('MSG #dev 5\\r\\nHello')).map(okId)).toEqual(['OK 1 <ts>']);
    // A new user is in #general: the banner's SAY #general works at once.
    expect((await jane.cmd('MSG #general 5\\r\\nHello')).map(okId)).toEqual(['OK 1 <ts>']);
    expect(await jane.cmd('MSG @nobody 2\r\nHi')).toEqual(['ERR NO_SUCH_USER @nobody has never registered']);
    expect(await jane.cmd('MSG #random 2\r\nHi')).toEqual(['ERR NO_SUCH_CHANNEL #random does not exist']);
    expect(await jane.cmd('MSG #general 20\\r\\nHello everyone!')).toEqual([
      'ERR BAD_LENGTH Body length 20 does not match the 15 bytes after \\r\\n',
    ]);
    const john = await user('@john');
    expect(await john.cmd('JOIN #random')).toEqual(['JOINED #random @john', 'OK']);
    await jane.settle();
    expect(await jane.cmd('MSG #random 2\r\nHi')).toEqual(['ERR NOT_MEMBER Join #random before posting to it']);
  });

  it('delivers a channel message to the other members, not back to the sender', async () => {
    const jane = await user('@jane', '#general');
    const john = await user('@john', '#general');
    await jane.settle();
    const [ok] = await jane.cmd('MSG #general 5\r\nHello');
    const [, id, ts] = ok.split(' ');
    expect(ts).toMatch(ISO_TS);
    expect(await john.lines(1)).toEqual([`MSG #general @jane ${id} ${ts} 5\nHello`]);
    // A body is bytes: CR, LF and NUL inside it, and a length counted in bytes (héllo is 6).
    expect((await jane.cmd('MSG #general 6\r\nhéllo\r\n'))[0]).toMatch(/^OK \d+ /);
    expect((await jane.cmd('MSG #general 7\r\na\r\nb\0c!\r\n'))[0]).toMatch(/^OK \d+ /);
    const [a, b] = await john.lines(2);
    expect(a).toMatch(/^MSG #general @jane \d+ \S+ 6\nhéllo$/);
    expect(b).toMatch(/^MSG #general @jane \d+ \S+ 7\na\r\nb\0c!$/);
    expect(await jane.settle()).toEqual([]);
  });

  it('takes the seed\'s one-line example, whose length counts the line end typed after it', async () => {
    const jane = await user('@jane', '#general');
    const john = await user('@john', '#general');
    await jane.settle();
    expect((await jane.cmd('MSG #general 15\\r\\nHello everyone!'))[0]).toMatch(/^OK 1 /);
    expect((await jane.cmd('MSG #general 16\\r\\nHello everyone!'))[0]).toMatch(/^OK 2 /);
    expect((await jane.cmd('MSG #general 17\\r\\nHello everyone!'))[0]).toMatch(/^OK 3 /);
    await john.waitFor(() => john.msgs.length === 3, 'three messages');
    expect(john.msgs.map((m) => Buffer.from(m.body).toString())).toEqual([
      'Hello everyone!', 'Hello everyone!\n', 'Hello everyone!\r\n',
    ]);
  });

  it('delivers a direct message as MSG @recipient @sender', async () => {
    const jane = await user('@jane');
    const john = await user('@John');
    await jane.settle();
    const [ok] = await jane.cmd('MSG @john 3\r\nHey');
    const [, id, ts] = ok.split(' ');
    expect(await john.lines(1)).toEqual([`MSG @John @jane ${id} ${ts} 3\nHey`]);
    expect(await jane.settle()).toEqual([]);
  });
});

describe('CHNS and USRS', () => {
  it('list channels with member counts, and users online first', async () => {
    const jane = await user('@jane', '#general');
    const john = await user('@john', '#general', '#random');
    expect(await john.cmd('LEAVE #random')).toEqual(['LEFT #random @john', 'OK']);
    john.end();
    await john.waitClosed();
    await jane.until((f) => 'type' in f && f.type === 'OFFLINE');
    const zed = await user('@zed');
    await jane.settle();
    // Zed, new, is in #general too.
    expect(await jane.cmd('CHNS')).toEqual(['CHN #general 3', 'CHN #random 0', 'END CHNS 2']);
    expect(await jane.cmd('USRS')).toEqual(['USR @jane online guest', 'USR @zed online guest', 'USR @john offline guest', 'END USRS 3']);
    expect(await zed.cmd('USRS #general')).toEqual(['USR @jane online guest', 'USR @zed online guest', 'USR @john offline guest', 'END USRS 3']);
    expect(await zed.cmd('USRS #random')).toEqual(['END USRS 0']);
    expect(await zed.cmd('USRS #nowhere')).toEqual(['ERR NO_SUCH_CHANNEL #nowhere does not exist']);
  });

  it('work before REG', async () => {
    const c = await connect();
    await c.lines(1);
    expect(await c.cmd('CHNS')).toEqual(['CHN #general 0', 'END CHNS 1']);
    expect(await c.cmd('USRS')).toEqual(['END USRS 0']);
  });
});

describe('HISTORY', () => {
  it('replays a channel oldest first, and refuses one you are not in', async () => {
    const jane = await user('@jane', '#general');
    const john = await user('@john', '#general');
    const a = (await jane.cmd('MSG #general 5\r\nHello')).at(-1)!.split(' ');
    const b = (await john.cmd('MSG #general 3\r\nHey')).at(-1)!.split(' ');
    expect(await jane.cmd('HISTORY #general 2')).toEqual([
      `MSG #general @john ${b[1]} ${b[2]} 3\nHey`, // live delivery, before the reply
      `MSG #general @jane ${a[1]} ${a[2]} 5\nHello`,
      `MSG #general @john ${b[1]} ${b[2]} 3\nHey`,
      'END HISTORY 2',
    ]);
    expect(await jane.cmd('HISTORY #general 1')).toEqual([`MSG #general @john ${b[1]} ${b[2]} 3\nHey`, 'END HISTORY 1']);
    expect(await john.cmd('JOIN #random')).toEqual(['JOINED #random @john', 'OK']);
    expect(await jane.cmd('HISTORY #random')).toEqual(['ERR NOT_MEMBER Join #random to read its history']);
    expect(await john.cmd('HISTORY #random')).toEqual(['END HISTORY 0']);
  });
});

describe('MUTE and UNMUTE', () => {
  it('hold messages back: counted, not delivered, not stored', async () => {
    const jane = await user('@jane', '#general');
    const john = await user('@john', '#general');
    await jane.settle();
    expect(await jane.cmd('MUTE')).toEqual(['OK']);
    expect(await jane.cmd("MSG #general 8\r\nI'm mute")).toEqual(['OK MUTED 1']);
    expect(await jane.cmd('MSG @john 2\r\nhi')).toEqual(['OK MUTED 2']);
    expect(await jane.cmd('MUTE')).toEqual(['OK']);
    expect(await jane.cmd('MSG #general 2\r\nhi')).toEqual(['OK MUTED 3']);
    expect(await john.settle()).toEqual([]);
    expect(await jane.cmd('UNMUTE')).toEqual(['OK']);
    expect(await jane.cmd('UNMUTE')).toEqual(['OK']);
    const [ok] = await jane.cmd('MSG #general 4\r\nback');
    expect(ok).toMatch(/^OK 1 /); // the held-back ones took no id
    expect((await john.lines(1))[0]).toMatch(/^MSG #general @jane 1 \S+ 4\nback$/);
    expect(await jane.cmd('HISTORY #general')).toHaveLength(2);
    expect(await jane.cmd('MUTE')).toEqual(['OK']);
    expect(await jane.cmd('MSG #general 2\r\nhi')).toEqual(['OK MUTED 1']); // counted since this MUTE
  });
});

describe('HELP, TIME, PING, QUIT', () => {
  it('HELP lists the commands, before REG too', async () => {
    const c = await connect();
    await c.lines(1);
    const help = await c.cmd('HELP');
    expect(help[0]).toBe('INFO REG @handle [password]  register; a password claims the handle');
    expect(help.at(-1)).toBe(`END HELP ${help.length - 1}`);
    expect(help.length - 1).toBe(44);
    for (const verb of ['JOIN', 'LEAVE', 'MSG', 'SAY', 'CHNS', 'USRS', 'HISTORY', 'UNREAD', 'READ', 'PREFS', 'PREF ', 'MODE', 'MUTE', 'BLOCK', 'BLOCKS', 'CREATE', 'INVITE', 'OP', 'KICK', 'MODLOG', 'OWNER', 'ROLES', 'BANS', 'TIME', 'PING', 'HELP', 'QUIT']) {
      expect(help.some((l) => l.startsWith(`INFO ${verb}`))).toBe(true);
    }
    expect(await c.cmd('help me')).toEqual(help);
  });

  it('TIME gives the server time, PING echoes its token', async () => {
    const c = await connect();
    await c.lines(1);
    const [time] = await c.cmd('TIME');
    expect(time).toMatch(/^TIME \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Number.isNaN(Date.parse(time.slice(5)))).toBe(false);
    expect(await c.cmd('PING abc')).toEqual(['PONG abc']);
    expect(await c.cmd('ping')).toEqual(['PONG']);
  });

  it('QUIT says BYE QUIT, then the server closes', async () => {
    const jane = await user('@jane');
    expect(await jane.cmd('QUIT')).toEqual(['BYE QUIT Goodbye @jane']);
    await jane.waitClosed();
    const anon = await connect();
    await anon.lines(1);
    expect(await anon.cmd('QUIT')).toEqual(['BYE QUIT Goodbye']);
    await anon.waitClosed();
    // @jane is free again at once.
    await user('@jane');
  });
});

describe('before REG', () => {
  it('commands that need a handle are refused', async () => {
    const c = await connect();
    await c.lines(1);
    const refused = 'ERR NOT_REGISTERED Register first: REG @handle';
    for (const line of ['JOIN #general', 'LEAVE #general', 'MSG #general 5\r\nHello', 'HISTORY #general', 'MUTE', 'UNMUTE']) {
      expect(await c.cmd(line)).toEqual([refused]);
    }
    expect(await c.cmd('PING still')).toEqual(['PONG still']);
  });
});
