import { beforeEach, describe, expect, it } from 'vitest';
import { TestClient } from './support/client.ts';
import { perTestServer } from './support/per-test-server.ts';
import { noTs } from './support/telnet.ts';

// BANS (who is banned from a channel, by whom, when, why) and a bare ROLES (one's own roles: a
// server admin learns they are one), over TCP on a real SQLite file, with @root a server admin
// (--admins @root,@boss; @boss is a guest handle until claimed, so no admin until then).

const { start, tempDir, restart, exactUser: user, settleAll: everyoneSettled } = perTestServer();
beforeEach(async () => {
  await start({ dataDir: tempDir('slck-moderation-lists-'), admins: ['@root', '@boss'] });
});

/** The time of the newest MODLOG entry `root` reads: what BANS must say of that ban. */
const newestLogTime = async (root: TestClient) => (await root.cmd('MODLOG 1'))[0].split(' ')[1];

describe('BANS', () => {
  it('lists each ban newest first with who made it, when and why, to the owner, ops and admins only', async () => {
    const jane = await user('@jane j4ne-pass', '#dev');
    const kim = await user('@kim k1m-pass', '#dev');
    const troll = await user('@troll', '#dev');
    const zed = await user('@zed', '#dev');
    const root = await user('@root r00t-pass');
    await user('@lee');
    await jane.ok('OP #dev @kim');
    await kim.ok('BAN #dev @troll link farming');
    const trollBanned = await newestLogTime(root);
    // Someone not in the channel may be banned too: listed the same.
    await jane.ok('BAN #dev @Lee');
    const leeBanned = await newestLogTime(root);
    await everyoneSettled();
    const expected = [`BAN #dev @lee @jane ${leeBanned}`, `BAN #dev @troll @kim ${trollBanned} link farming`, 'END BANS 2'];
    expect(await kim.cmd('BANS #dev')).toEqual(expected);
    expect(await jane.cmd('BANS #DEV')).toEqual(expected);
    expect(await root.cmd('BANS #dev')).toEqual(expected);
    // Those who may not UNBAN may not see them: a member, a stranger, the banned.
    for (const c of [zed, troll]) expect(await c.cmd('BANS #dev')).toEqual(['ERR NOT_OP Only the owner and ops of #dev, or a server admin, can see who is banned']);
    expect(await zed.cmd('BANS #nowhere')).toEqual(['ERR NO_SUCH_CHANNEL #nowhere does not exist']);
    expect(await zed.cmd('BANS')).toEqual(['ERR BAD_SYNTAX Usage: BANS #channel']);
    expect(await zed.cmd('BANS @kim')).toEqual([expect.stringMatching(/^ERR BAD_CHANNEL /)]);
    // UNBAN takes them off the list; a ban again is listed with its new maker and reason.
    await kim.ok('UNBAN #dev @lee');
    await jane.ok('BAN #dev @troll again');
    const again = await newestLogTime(root);
    await everyoneSettled();
    expect(await kim.cmd('BANS #dev')).toEqual([`BAN #dev @troll @jane ${again} again`, 'END BANS 1']);
    await kim.ok('UNBAN #dev @troll');
    expect(await kim.cmd('BANS #dev')).toEqual(['END BANS 0']);
  });

  it('a private channel: its owner sees its bans, an admin too; anyone else is told it does not exist', async () => {
    const jane = await user('@jane j4ne-pass');
    const kim = await user('@kim k1m-pass', '#dev');
    const root = await user('@root r00t-pass');
    await user('@troll');
    await jane.ok('CREATE #plans private');
    await jane.ok('BAN #plans @troll');
    expect(noTs(await jane.cmd('BANS #plans'))).toEqual(['BAN #plans @troll @jane TS', 'END BANS 1']);
    expect(noTs(await root.cmd('BANS #plans'))).toEqual(['BAN #plans @troll @jane TS', 'END BANS 1']);
    expect(await kim.cmd('BANS #plans')).toEqual(['ERR NO_SUCH_CHANNEL #plans does not exist']);
  });

  it('the list, with its makers, times and reasons, survives a restart', async () => {
    const jane = await user('@jane j4ne-pass', '#dev');
    const root = await user('@root r00t-pass');
    await user('@troll', '#dev');
    await jane.ok('BAN #dev @troll spam');
    const before = await jane.cmd('BANS #dev');
    expect(noTs(before)).toEqual(['BAN #dev @troll @jane TS spam', 'END BANS 1']);
    expect(before[0]).toContain(await newestLogTime(root));
    await restart();
    const jane2 = await user('@jane j4ne-pass');
    expect(await jane2.cmd('BANS #dev')).toEqual(before);
  });
});

describe('a bare ROLES: one\'s own roles', () => {
  it('a server admin is told so first, then the channels one owns or ops; a listed handle is no admin until claimed', async () => {
    const jane = await user('@jane j4ne-pass', '#dev');
    const kim = await user('@kim k1m-pass', '#dev');
    const root = await user('@root r00t-pass');
    const boss = await user('@boss');
    await jane.ok('CREATE #plans private');
    await jane.ok('OP #dev @kim');
    await root.ok('JOIN #ops');
    await everyoneSettled();
    expect(await jane.cmd('ROLES')).toEqual(['ROLE #dev @jane owner -', 'ROLE #plans @jane owner -', 'END ROLES 2']);
    expect(await kim.cmd('ROLES')).toEqual(['ROLE #dev @kim op -', 'END ROLES 1']);
    expect(await root.cmd('ROLES')).toEqual(['ROLE - @root admin -', 'ROLE #ops @root owner -', 'END ROLES 2']);
    expect(await boss.cmd('ROLES')).toEqual(['END ROLES 0']);
    await boss.ok('PASSWORD b0ss-pass');
    expect(await boss.cmd('ROLES')).toEqual(['ROLE - @boss admin -', 'END ROLES 1']);
    expect(await kim.cmd('ROLES #dev #ops')).toEqual(['ERR BAD_SYNTAX Usage: ROLES [#channel]']);
  });
});
