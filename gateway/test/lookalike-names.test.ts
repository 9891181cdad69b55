import { describe, expect, it } from 'vitest';
import { useTelnetServer } from './support/telnet.ts';

// Handles and channels that pass for others (issue 18, item 6): a new name whose TR39
// skeleton matches an existing name's is refused with NAME_CONFUSABLE, naming the other.
// Names stored before the rule keep working. Over TCP, on a real SQLite file.

const t = useTelnetServer('lookalike');
const { connect, user } = t;

describe('a new handle that looks like an existing one', () => {
  it('is refused, guest or claimed, with a sentence naming the other; the same name in any case is the existing behaviour', async () => {
    const alice = await user('@alice');
    for (const reg of ['REG @aIice', 'REG @a1ice', 'REG @AIice', 'REG @a1ice a-pass-word']) {
      const other = await connect();
      const asked = reg.split(' ')[1];
      expect(await other.cmd(reg), reg).toEqual([`ERR NAME_CONFUSABLE ${asked} looks like @alice, which exists; choose another name`]);
      // Refused, not signed in: another name is then free to take.
      other.end();
    }
    const same = await connect();
    expect(await same.cmd('REG @ALICE')).toEqual(['ERR HANDLE_TAKEN @alice is already online']);
    // Nothing was stored under the refused names: a new handle would have joined #general.
    await alice.settle();
    expect(await alice.cmd('USRS #general')).toEqual(['USR @alice online guest', 'END USRS 1']);
  });

  it('a guest handle nobody holds still exists: it is stored, and keeps its history', async () => {
    const bob = await user('@bob');
    await bob.ok('SAY #general hi');
    bob.end();
    await bob.waitClosed();
    const other = await connect();
    expect(await other.cmd('REG @b0b')).toEqual(['ERR NAME_CONFUSABLE @b0b looks like @bob, which exists; choose another name']);
    expect(await other.cmd('REG @bobby')).toEqual(['OK']);
  });

  it('the other way round too: @alice is refused once @aIice exists', async () => {
    await user('@aIice');
    const other = await connect();
    expect(await other.cmd('REG @alice')).toEqual(['ERR NAME_CONFUSABLE @alice looks like @aIice, which exists; choose another name']);
  });
});

describe('a new channel that looks like an existing one', () => {
  it('JOIN #generaI is refused while #general exists; JOIN #GENERAL joins #general', async () => {
    const jane = await user('@jane');
    await jane.settle();
    expect(await jane.cmd('JOIN #generaI')).toEqual(['ERR NAME_CONFUSABLE #generaI looks like #general, which exists; join it or choose another name']);
    expect(await jane.ok('JOIN #devops')).toBe('OK');
    const kim = await user('@kim');
    await kim.settle();
    expect(await kim.cmd('JOIN #dev0ps')).toEqual(['ERR NAME_CONFUSABLE #dev0ps looks like #devops, which exists; join it or choose another name']);
    expect(await kim.cmd('JOIN #DEVOPS')).toEqual(['JOINED #devops @kim', 'OK']);
    expect((await kim.cmd('CHNS')).filter((l) => /dev0ps|generaI/.test(l))).toEqual([]);
  });
});

describe('names that collided before the rule', () => {
  it('keep working: both handles sign in, both channels are joined and posted to', async () => {
    // As a database from before the rule holds them: stored side by side, then a restart.
    const stored = await t.server.server.store.commit([
      { op: 'addUser', handle: '@alice' },
      { op: 'addUser', handle: '@aIice' },
      { op: 'addChannel', name: '#general' },
      { op: 'addChannel', name: '#generaI' },
    ]);
    expect(stored).not.toBeNull();
    await t.restart();
    const alice = await connect();
    expect(await alice.cmd('REG @alice')).toEqual(['OK']);
    const fake = await connect();
    expect(await fake.cmd('REG @aIice')).toEqual(['OK']);
    expect(await fake.cmd('JOIN #generaI')).toEqual(['JOINED #generaI @aIice', 'OK']);
    expect(await fake.ok('SAY #generaI still here')).toMatch(/^OK \d+ /);
    await alice.settle();
    expect(await alice.cmd('JOIN #generaI')).toEqual(['JOINED #generaI @alice', 'OK']);
    // A third lookalike is new, and refused.
    const third = await connect();
    expect((await third.cmd('REG @a1ice'))[0]).toMatch(/^ERR NAME_CONFUSABLE @a1ice looks like @a[lI]ice, which exists; choose another name$/);
  });
});
