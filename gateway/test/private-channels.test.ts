import { describe, expect, it } from 'vitest';
import { TestClient } from './support/client.ts';
import { startServer } from './support/server.ts';
import { idOf, noTs, programUser, useTelnetServer } from './support/telnet.ts';

// Private channels (issue 18 rule 1; spec: CREATE and INVITE), over TCP on a real SQLite
// file: a private channel is, to anyone not in it, a channel that does not exist, for every
// command, byte for byte; only claimed handles are in one; members invite; it survives a restart.

const t = useTelnetServer('private');

/** What reached a connection unasked, once it has caught up. */
const unasked = async (c: TestClient) => noTs(await c.settle());

/** Every command that names a channel, but JOIN and CREATE (which would make the absent one). */
const NAMING = [
  'SAY {ch} hello', 'MSG {ch} 2\r\nhi', 'RE {ch} 1 a reply', 'REPLY {ch} 1 2\r\nhi', 'FIX {ch} 1 edited', 'DELETE {ch} 1',
  'REACT {ch} 1 :+1:', 'UNREACT {ch} 1 :+1:', 'TYPING {ch}', 'HISTORY {ch}', 'HISTORY {ch} 5 before 3', 'HISTORY {ch} 5 after 0',
  'HISTORY {ch} around 1', 'THREAD {ch} 1', 'READ {ch} 1', 'READ {ch} 1 THREAD 1', 'TOPIC {ch}', 'TOPIC {ch} mine now',
  'LEAVE {ch}', 'USRS {ch}', 'INVITE {ch} @ann', 'INVITE {ch} @nobody', 'SEARCH plans in:{ch}',
];

/** @ann (claimed) in a private #Plans with one message in it, and its topic set. */
async function planning(): Promise<TestClient> {
  const ann = await programUser(t, '@ann ann-pass-1');
  expect(await ann.cmd('CREATE #Plans private')).toEqual(['JOINED #Plans @ann', 'OK']);
  expect(await ann.ok('SAY #plans the plans are secret')).toMatch(/^OK 1 /);
  expect(await ann.cmd('TOPIC #plans Only for us')).toEqual(['TOPIC #Plans @ann Only for us', 'OK']);
  return ann;
}

describe('a private channel, to someone not in it', () => {
  it('answers every command that names it exactly as a channel that does not exist does', async () => {
    await planning();
    const eve = await programUser(t, '@eve eve-pass-1');
    for (const template of NAMING) {
      // As typed, in any case: the stored case (#Plans) would tell that it exists.
      for (const typed of ['#plans', '#PLANS']) {
        const hidden = await eve.cmd(template.replaceAll('{ch}', typed));
        const absent = await eve.cmd(template.replaceAll('{ch}', '#nopes'));
        expect(hidden.map((l) => l.replaceAll(typed, '#nopes')), `${template} of ${typed}`).toEqual(absent);
        expect(absent.join('\n')).not.toMatch(/Plans|plans are|@ann|Only for us/);
      }
    }
    // The table is not vacuous: a nonexistent channel is refused, with its name as typed.
    expect(await eve.cmd('HISTORY #PLANS')).toEqual(['ERR NO_SUCH_CHANNEL #PLANS does not exist']);
    expect(await eve.cmd('TOPIC #plans')).toEqual(['ERR NO_SUCH_CHANNEL #plans does not exist']);
    // A public channel she is not in is another matter, and stays as it was.
    expect(await eve.cmd('HISTORY #random')).toEqual(['ERR NO_SUCH_CHANNEL #random does not exist']);
  });

  it('is not listed in CHNS, and is marked private for its members; a connection before REG sees the public ones', async () => {
    const ann = await planning();
    const eve = await programUser(t, '@eve eve-pass-1');
    expect(await ann.cmd('CHNS')).toEqual(['CHN #general 2', 'CHN #Plans 1 private', 'END CHNS 2']);
    expect(await eve.cmd('CHNS')).toEqual(['CHN #general 2', 'END CHNS 1']);
    const before = await t.connect();
    expect(await before.cmd('CHNS')).toEqual(['CHN #general 2', 'END CHNS 1']);
    expect(await before.cmd('USRS #plans')).toEqual(['ERR NO_SUCH_CHANNEL #plans does not exist']);
    // Paged: a page never ends on a hidden channel, nor says MORE for one.
    expect(await eve.cmd('CHNS 1')).toEqual(['CHN #general 2', 'END CHNS 1']);
    expect(await ann.cmd('CHNS 1')).toEqual(['CHN #general 2', 'END CHNS 1 MORE #general']);
    expect(await ann.cmd('CHNS 1 after #general')).toEqual(['CHN #Plans 1 private', 'END CHNS 1']);
  });

  it('cannot be joined or created: the name is "not available", and a lookalike name does not name it', async () => {
    await planning();
    const eve = await programUser(t, '@eve eve-pass-1');
    const taken = ['ERR CHANNEL_TAKEN #PLANS is not available; choose another name'];
    expect(await eve.cmd('JOIN #PLANS')).toEqual(taken);
    expect(await eve.cmd('CREATE #PLANS')).toEqual(taken);
    expect(await eve.cmd('CREATE #PLANS private')).toEqual(taken);
    // #pIans (a capital i) passes for #plans: refused, without the private channel's name.
    expect(await eve.cmd('JOIN #pIans')).toEqual(['ERR NAME_CONFUSABLE #pIans looks like a channel that exists; choose another name']);
    expect(await eve.cmd('CREATE #pIans')).toEqual(['ERR NAME_CONFUSABLE #pIans looks like a channel that exists; choose another name']);
    // A public one is named, as before.
    expect(await eve.cmd('JOIN #generaI')).toEqual(['ERR NAME_CONFUSABLE #generaI looks like #general, which exists; join it or choose another name']);
    expect(await eve.cmd('CHNS')).toEqual(['CHN #general 2', 'END CHNS 1']);
  });

  it('keeps its messages from everyone else: no delivery, no SEARCH result, no UNREAD line, no JOINED or TOPIC line', async () => {
    const ann = await programUser(t, '@ann ann-pass-1');
    const eve = await programUser(t, '@eve eve-pass-1');
    expect(await ann.cmd('CREATE #plans private')).toEqual(['JOINED #plans @ann', 'OK']);
    expect(await ann.ok('SAY #plans secret plans')).toMatch(/^OK 1 /);
    expect(await ann.ok('SAY #general public plans')).toMatch(/^OK 1 /);
    expect(await ann.cmd('TOPIC #plans hush')).toEqual(['TOPIC #plans @ann hush', 'OK']);
    expect(await unasked(eve)).toEqual(['MSG #general @ann 1 TS 12\npublic plans']);
    expect(noTs(await eve.cmd('SEARCH plans'))).toEqual(['FOUND #general @ann 1 TS 12\npublic plans', 'END SEARCH 1']);
    expect(noTs(await ann.cmd('SEARCH plans'))).toEqual(['FOUND #general @ann 1 TS 12\npublic plans', 'FOUND #plans @ann 1 TS 12\nsecret plans', 'END SEARCH 2']);
    expect((await eve.cmd('UNREAD')).join('\n')).not.toContain('#plans');
  });
});

describe('CREATE and INVITE', () => {
  it('creates a private channel for a claimed user; an invited user gets it as after a JOIN, on each of their connections, and reads it', async () => {
    const ann = await planning();
    const laptop = await programUser(t, '@bob bob-pass-1');
    const phone = await programUser(t, '@bob bob-pass-1');
    expect(await laptop.cmd('HISTORY #plans')).toEqual(['ERR NO_SUCH_CHANNEL #plans does not exist']);
    expect(await ann.cmd('INVITE #plans @Bob')).toEqual(['JOINED #Plans @bob', 'OK']);
    expect(await unasked(laptop)).toEqual(['JOINED #Plans @bob']);
    expect(await unasked(phone)).toEqual(['JOINED #Plans @bob']);
    expect(noTs(await laptop.cmd('HISTORY #plans'))).toEqual(['MSG #Plans @ann 1 TS 20\nthe plans are secret', 'END HISTORY 1']);
    expect(await laptop.cmd('TOPIC #plans')).toEqual(['TOPIC #Plans @ann Only for us', 'END TOPIC 1']);
    expect(await laptop.cmd('CHNS')).toEqual(['CHN #general 2', 'CHN #Plans 2 private', 'END CHNS 2']);
    expect(await laptop.cmd('USRS #plans')).toEqual(['USR @ann online', 'USR @bob online', 'END USRS 2']);
    // Messages reach every member; the invitee may invite in turn.
    expect(await ann.ok('SAY #plans welcome bob')).toMatch(/^OK 2 /);
    expect(await unasked(phone)).toEqual(['MSG #Plans @ann 2 TS 11\nwelcome bob']);
    expect(await unasked(laptop)).toEqual(['MSG #Plans @ann 2 TS 11\nwelcome bob']);
    await programUser(t, '@cy cy-pass-1');
    expect(await laptop.cmd('INVITE #plans @cy')).toEqual(['JOINED #Plans @cy', 'OK']);
    expect(await unasked(ann)).toEqual(['JOINED #Plans @cy']);
    // Inviting a member again is OK and tells nobody anything.
    expect(await ann.cmd('INVITE #plans @bob')).toEqual(['OK']);
    expect(await unasked(phone)).toEqual(['JOINED #Plans @cy']);
    // One who leaves is, from then on, a stranger to it.
    expect(await phone.cmd('LEAVE #plans')).toEqual(['LEFT #Plans @bob', 'OK']);
    expect(await unasked(laptop)).toEqual(['LEFT #Plans @bob']);
    expect(await laptop.cmd('HISTORY #plans')).toEqual(['ERR NO_SUCH_CHANNEL #plans does not exist']);
    expect(await laptop.cmd('JOIN #plans')).toEqual(['ERR CHANNEL_TAKEN #plans is not available; choose another name']);
  });

  it('refuses guests: a guest cannot create a private channel, nor be invited to one', async () => {
    const ann = await planning();
    const guest = await programUser(t, '@guest');
    expect(await guest.cmd('CREATE #hideout private')).toEqual(['ERR NOT_CLAIMED @guest is a guest handle: claim it with a password (PASSWORD <new>) to make a private channel']);
    expect(await ann.cmd('INVITE #plans @guest')).toEqual(['ERR NOT_CLAIMED @guest is a guest handle: only handles with a password may be in a private channel']);
    expect(await unasked(guest)).toEqual([]);
    expect(await guest.cmd('HISTORY #plans')).toEqual(['ERR NO_SUCH_CHANNEL #plans does not exist']);
    // A guest may create a public channel, and be invited to one.
    expect(await guest.cmd('CREATE #lobby')).toEqual(['JOINED #lobby @guest', 'OK']);
    expect(await ann.cmd('CREATE #open')).toEqual(['JOINED #open @ann', 'OK']);
    expect(await ann.cmd('INVITE #open @guest')).toEqual(['JOINED #open @guest', 'OK']);
    expect(await unasked(guest)).toEqual(['JOINED #open @guest']);
  });

  it('refuses a taken name, bad forms, an unknown user, and an INVITE to a public channel from outside it', async () => {
    const ann = await planning();
    const eve = await programUser(t, '@eve eve-pass-1');
    expect(await ann.cmd('CREATE #GENERAL')).toEqual(['ERR CHANNEL_TAKEN #general exists already: JOIN #general, or choose another name']);
    expect(await ann.cmd('CREATE #plans private')).toEqual(['ERR CHANNEL_TAKEN #Plans exists already: JOIN #Plans, or choose another name']);
    expect(await ann.cmd('CREATE #x secret')).toEqual(['ERR BAD_SYNTAX Usage: CREATE #channel [private]']);
    expect(await ann.cmd('CREATE plans')).toEqual(['ERR BAD_CHANNEL Channel must begin with #']);
    expect(await ann.cmd('INVITE #plans')).toEqual(['ERR BAD_SYNTAX Usage: INVITE #channel @handle']);
    expect(await ann.cmd('INVITE #plans bob')).toEqual(['ERR BAD_HANDLE Handle must begin with @']);
    expect(await ann.cmd('INVITE #plans @nobody')).toEqual(['ERR NO_SUCH_USER @nobody has never registered']);
    expect(await eve.cmd('CREATE #random')).toEqual(['JOINED #random @eve', 'OK']);
    expect(await ann.cmd('INVITE #random @eve')).toEqual(['ERR NOT_MEMBER Join #random to invite others to it']);
    const before = await t.connect();
    expect(await before.cmd('CREATE #x')).toEqual(['ERR NOT_REGISTERED Register first: REG @handle']);
    expect(await before.cmd('INVITE #x @ann')).toEqual(['ERR NOT_REGISTERED Register first: REG @handle']);
  });

  it('a CREATE private and a JOIN of one new name at the same moment: one creates it, the other is refused, never both in', async () => {
    for (let round = 0; round < 5; round++) {
      const ann = await programUser(t, `@ann${round} ann-pass-1`);
      const eve = await programUser(t, `@eve${round} eve-pass-1`);
      const name = `#race${round}`;
      // Both lines leave before either reply is read: the server takes them in the same turns.
      const [created, joined] = await Promise.all([ann.cmd(`CREATE ${name} private`), eve.cmd(`JOIN ${name}`)]);
      const annIn = created.at(-1) === 'OK';
      const eveIn = joined.at(-1) === 'OK';
      expect([annIn, eveIn].filter(Boolean), `${created.join('|')} / ${joined.join('|')}`).toHaveLength(1);
      if (annIn) expect(joined.at(-1)).toBe(`ERR CHANNEL_TAKEN ${name} is not available; choose another name`);
      else expect(created.at(-1)).toBe(`ERR CHANNEL_TAKEN ${name} exists already: JOIN ${name}, or choose another name`);
      expect((await eve.cmd(`HISTORY ${name}`)).at(-1)).toBe(annIn ? `ERR NO_SUCH_CHANNEL ${name} does not exist` : `END HISTORY 0`);
    }
  });

  it("drops a private channel's threads from THREADS once one has left it", async () => {
    const ann = await planning();
    const bob = await programUser(t, '@bob bob-pass-1');
    expect(await ann.cmd('INVITE #plans @bob')).toEqual(['JOINED #Plans @bob', 'OK']);
    expect(await bob.ok('RE #plans 1 count me in')).toMatch(/^OK 2 /);
    expect((await bob.cmd('THREADS')).map((l) => l.split(' ').slice(0, 3).join(' '))).toEqual(['FOLLOWING #Plans 1', 'END THREADS 1']);
    expect(await bob.cmd('LEAVE #plans')).toEqual(['LEFT #Plans @bob', 'OK']);
    expect(await bob.cmd('THREADS')).toEqual(['END THREADS 0']);
  });

  it('refuses an INVITE of someone in as many channels as one may be, naming them', async () => {
    const server = await startServer({ maxChannelsPerUser: 2, channelCreateRate: 0 });
    const ann = await TestClient.user(server.tcpPort, '@ann ann-pass-1');
    const bob = await TestClient.user(server.tcpPort, '@bob bob-pass-1', '#full');
    try {
      await ann.settle();
      expect(await ann.cmd('CREATE #plans private')).toEqual(['JOINED #plans @ann', 'OK']);
      // #general, where a new user is put, counts as one of the two.
      expect(await ann.cmd('INVITE #plans @bob')).toEqual(['ERR TOO_MANY_CHANNELS @bob is in 2 channels, the most allowed']);
      expect(await bob.cmd('LEAVE #full')).toEqual(['LEFT #full @bob', 'OK']);
      expect(await ann.cmd('INVITE #plans @bob')).toEqual(['JOINED #plans @bob', 'OK']);
    } finally {
      ann.destroy();
      bob.destroy();
      await server.close();
    }
  });

  it('is kept across a restart on the same data directory: private, its members, and nobody else', async () => {
    const ann = await planning();
    await programUser(t, '@bob bob-pass-1');
    expect(await ann.cmd('INVITE #plans @bob')).toEqual(['JOINED #Plans @bob', 'OK']);
    await t.restart();
    const bob = await programUser(t, '@bob bob-pass-1');
    const eve = await programUser(t, '@eve eve-pass-1');
    expect(await bob.cmd('CHNS')).toEqual(['CHN #general 3', 'CHN #Plans 2 private', 'END CHNS 2']);
    expect(noTs(await bob.cmd('HISTORY #plans'))).toEqual(['MSG #Plans @ann 1 TS 20\nthe plans are secret', 'END HISTORY 1']);
    expect(await eve.cmd('CHNS')).toEqual(['CHN #general 3', 'END CHNS 1']);
    expect(await eve.cmd('HISTORY #plans')).toEqual(['ERR NO_SUCH_CHANNEL #plans does not exist']);
    expect(await eve.cmd('JOIN #plans')).toEqual(['ERR CHANNEL_TAKEN #plans is not available; choose another name']);
    expect(idOf(await bob.ok('SAY #plans still here'))).toBe(2);
  });
});
