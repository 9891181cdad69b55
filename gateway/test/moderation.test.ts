import { beforeEach, describe, expect, it } from 'vitest';
import { show, TestClient } from './support/client.ts';
import { perTestServer } from './support/per-test-server.ts';
import { idOf, noTs } from './support/telnet.ts';

// Roles and moderation (spec: OP, KICK, BAN, SUSPEND, MODLOG; issue 18 rules 2, 3, 4, 7), over
// TCP on a real SQLite file, with @root a server admin (--admins @root,@boss; @boss never
// claims the handle, so is no admin).

const { start, tempDir, restart, clients, tcp, exactUser: user, settleAll: everyoneSettled } = perTestServer();
beforeEach(async () => {
  await start({ dataDir: tempDir('slck-moderation-'), admins: ['@root', '@boss'] });
});

const unasked = async (c: TestClient) => noTs(await c.settle());

/** @jane creates #dev (so owns it), @kim (claimed) and @troll (a guest) join it. */
async function devChannel() {
  const jane = await user('@jane j4ne-pass', '#dev');
  const kim = await user('@kim k1m-pass', '#dev');
  const troll = await user('@troll', '#dev');
  return { jane, kim, troll };
}

describe('roles', () => {
  it('the creator owns a channel and makes ops; only the owner may; DEOP takes it away; guests hold no role', async () => {
    const { jane, kim, troll } = await devChannel();
    expect(await kim.cmd('OP #dev @troll')).toEqual(['ERR NOT_OP Only the owner of #dev, or a server admin, can make ops']);
    expect(await jane.cmd('OP #dev @troll')).toEqual(['ERR NOT_CLAIMED @troll is a guest handle: only handles with a password may own a channel or be ops']);
    expect(await jane.cmd('OP #dev @zed')).toEqual(['ERR NO_SUCH_USER @zed has never registered']);
    expect(await jane.cmd('OP #nowhere @kim')).toEqual(['ERR NO_SUCH_CHANNEL #nowhere does not exist']);
    expect(await jane.cmd('OP #Dev @Kim')).toEqual(['ROLE #dev @kim op @jane', 'OK']);
    expect(await unasked(kim)).toEqual(['ROLE #dev @kim op @jane']);
    expect(await unasked(troll)).toEqual(['ROLE #dev @kim op @jane']);
    expect(await jane.cmd('OP #dev @kim')).toEqual(['OK']);
    const lee = await user('@lee l33-pass', '#dev');
    await jane.ok('OP #dev @lee');
    await everyoneSettled();
    // ROLES: the owner first, then the ops in the order they became one; not to strangers of a private channel.
    expect(await troll.cmd('ROLES #DEV')).toEqual(['ROLE #dev @jane owner -', 'ROLE #dev @kim op -', 'ROLE #dev @lee op -', 'END ROLES 3']);
    expect(await lee.cmd('ROLES #general')).toEqual(['END ROLES 0']);
    await jane.ok('CREATE #plans private');
    expect(await jane.cmd('ROLES #plans')).toEqual(['ROLE #plans @jane owner -', 'END ROLES 1']);
    expect(await kim.cmd('ROLES #plans')).toEqual(['ERR NO_SUCH_CHANNEL #plans does not exist']);
    await jane.ok('DEOP #dev @lee');
    await everyoneSettled();
    expect(await jane.cmd('DEOP #dev @jane')).toEqual(['ERR NOT_OP @jane owns #dev; a server admin can give it to someone else: OWNER #dev @handle']);
    expect(await jane.cmd('DEOP #dev @kim')).toEqual(['ROLE #dev @kim member @jane', 'OK']);
    expect(await kim.cmd('KICK #dev @troll')).toEqual(['ROLE #dev @kim member @jane', 'ERR NOT_OP Only the owner and ops of #dev, or a server admin, can remove members']);
  });

  it('when the owner leaves, the longest-standing op owns the channel; with no op, nobody does until an admin says', async () => {
    const { jane, kim } = await devChannel();
    const lee = await user('@lee l33-pass', '#dev');
    await jane.ok('OP #dev @lee');
    await jane.ok('OP #dev @kim');
    await everyoneSettled();
    expect(await jane.cmd('LEAVE #dev')).toEqual(['LEFT #dev @jane', 'OK']);
    expect(await unasked(kim)).toEqual(['LEFT #dev @jane', 'ROLE #dev @lee owner -']);
    await everyoneSettled();
    // The new owner makes ops; the old one is a plain user elsewhere.
    expect(await lee.cmd('DEOP #dev @kim')).toEqual(['ROLE #dev @kim member @lee', 'OK']);
    await lee.ok('LEAVE #dev');
    expect(await unasked(kim)).toEqual(['ROLE #dev @kim member @lee', 'LEFT #dev @lee']);
    // Nobody owns it now: an admin gives it an owner.
    const root = await user('@root r00t-pass');
    expect(await kim.cmd('OP #dev @kim')).toEqual(['ERR NOT_OP Only the owner of #dev, or a server admin, can make ops']);
    expect(await kim.cmd('OWNER #dev @kim')).toEqual(['ERR NOT_ADMIN Only server admins can give a channel its owner']);
    expect(await root.cmd('OWNER #dev @kim')).toEqual(['OK']);
    expect(await unasked(kim)).toEqual(['ROLE #dev @kim owner @root']);
    expect(await kim.cmd('OP #dev @kim')).toEqual(['OK']);
  });
});

describe('KICK and BAN', () => {
  it('an op removes a member, who hears why and gets none of the messages after, even those pipelined behind the kick', async () => {
    const { jane, kim, troll } = await devChannel();
    await jane.ok('OP #dev @kim');
    await everyoneSettled();
    // Jane's messages and the kick in one write, while Jane keeps talking too.
    kim.write(['SAY #dev one', 'KICK #dev @troll spam, twice', 'SAY #dev two', 'SAY #dev three', 'PING kicked'].map((l) => `${l}\r\n`).join(''));
    for (let i = 0; i < 20; i++) jane.write(`SAY #dev jane ${i}\r\n`);
    await kim.until((f) => show(f) === 'PONG kicked');
    await jane.settle();
    const seen = await unasked(troll);
    const kicked = seen.indexOf('KICKED #dev @troll @kim spam, twice');
    expect(kicked).toBeGreaterThanOrEqual(0);
    expect(seen.slice(kicked + 1).filter((l) => l.startsWith('MSG #dev'))).toEqual([]);
    expect(seen.join('\n')).not.toMatch(/two|three/);
    expect(await troll.cmd('SAY #dev let me back')).toEqual(['ERR NOT_MEMBER Join #dev before posting to it']);
    // A kick is not a ban: he may come back.
    expect(await troll.ok('JOIN #dev')).toBe('OK');
  });

  it('BAN keeps them out of JOIN and INVITE until UNBAN; refusals name the rule', async () => {
    const { jane, kim, troll } = await devChannel();
    expect(await troll.cmd('KICK #dev @kim')).toEqual(['ERR NOT_OP Only the owner and ops of #dev, or a server admin, can remove members']);
    await jane.ok('OP #dev @kim');
    await everyoneSettled();
    expect(await kim.cmd('KICK #dev @jane')).toEqual(['ERR NOT_OP You cannot remove @jane from #dev: they are its owner']);
    expect(await kim.cmd('BAN #dev @kim')).toEqual(['ERR SELF_TARGET You cannot ban yourself']);
    expect(await kim.cmd('BAN #dev @troll link farming')).toEqual(['BANNED #dev @troll @kim link farming', 'OK']);
    expect(await unasked(troll)).toEqual(['BANNED #dev @troll @kim link farming']);
    expect(await unasked(jane)).toEqual(['BANNED #dev @troll @kim link farming']);
    expect(await troll.cmd('JOIN #dev')).toEqual(['ERR BANNED You are banned from #dev']);
    expect(await jane.cmd('INVITE #dev @troll')).toEqual(['ERR BANNED @troll is banned from #dev; UNBAN #dev @troll first']);
    expect(await kim.cmd('KICK #dev @troll')).toEqual(['ERR NOT_MEMBER @troll is not in #dev']);
    expect(await kim.cmd('UNBAN #dev @troll')).toEqual(['OK']);
    expect(await kim.cmd('UNBAN #dev @troll')).toEqual(['OK']);
    expect(await troll.ok('JOIN #dev')).toBe('OK');
  });
});

describe('deleting others\' messages, and MODLOG', () => {
  it('ops delete anyone\'s message in their channel with a reason, and the log says so; others may not', async () => {
    const { jane, kim, troll } = await devChannel();
    const bad = idOf(await troll.ok('SAY #dev buy my stuff'));
    const kims = idOf(await kim.ok('SAY #dev hello'));
    await everyoneSettled();
    expect(await troll.cmd(`DELETE #dev ${kims} rude`)).toEqual([`ERR NOT_AUTHOR Only @kim can delete message ${kims}`]);
    await jane.ok('OP #dev @kim');
    await everyoneSettled();
    expect(await kim.cmd(`DELETE #dev ${bad} spam`)).toEqual([expect.stringMatching(/^OK \d+ /)]);
    expect((await unasked(troll)).filter((l) => l.startsWith('DELETE'))).toEqual([expect.stringMatching(new RegExp(`^DELETE #dev @kim \\d+ TS ${bad}$`))]);
    await everyoneSettled();
    expect(noTs(await kim.cmd('MODLOG'))).toEqual([`MOD TS delete @kim @troll #dev ${bad} spam`, 'END MODLOG 1']);
    expect(noTs(await jane.cmd('MODLOG 5'))).toEqual([`MOD TS delete @kim @troll #dev ${bad} spam`, 'END MODLOG 1']);
    expect(await troll.cmd('MODLOG')).toEqual(['ERR NOT_OP Only server admins, and the owners and ops of a channel, can read the moderation log']);
    // Her own deletion is not moderation.
    const mine = idOf(await kim.ok('SAY #dev oops'));
    await kim.ok(`DELETE #dev ${mine}`);
    await kim.ok('KICK #dev @troll');
    expect(noTs(await kim.cmd('MODLOG'))).toEqual(['MOD TS kick @kim @troll #dev -', `MOD TS delete @kim @troll #dev ${bad} spam`, 'END MODLOG 2']);
    expect(noTs(await kim.cmd('MODLOG 1'))).toEqual(['MOD TS kick @kim @troll #dev -', 'END MODLOG 1']);
    // Another channel's log is not hers.
    const lee = await user('@lee l33-pass', '#ops');
    await user('@spam', '#ops');
    await lee.ok('KICK #ops @spam');
    expect(noTs(await kim.cmd('MODLOG'))).toEqual(['MOD TS kick @kim @troll #dev -', `MOD TS delete @kim @troll #dev ${bad} spam`, 'END MODLOG 2']);
    expect(noTs(await lee.cmd('MODLOG'))).toEqual(['MOD TS kick @lee @spam #ops -', 'END MODLOG 1']);
    const root = await user('@root r00t-pass');
    expect(noTs(await root.cmd('MODLOG'))).toHaveLength(4);
  });
});

describe('server admins and SUSPEND', () => {
  it('an admin acts in any channel, a private one too, without reading it; a listed handle nobody claimed is no admin', async () => {
    const { jane, troll } = await devChannel();
    const root = await user('@root r00t-pass');
    const boss = await user('@boss');
    expect(await boss.cmd('KICK #dev @troll')).toEqual(['ERR NOT_OP Only the owner and ops of #dev, or a server admin, can remove members']);
    expect(await boss.cmd('SUSPEND @troll')).toEqual(['ERR NOT_ADMIN Only server admins can suspend users']);
    expect(await root.cmd('KICK #dev @troll off you go')).toEqual(['OK']);
    expect(await unasked(troll)).toEqual(['KICKED #dev @troll @root off you go']);
    const id = idOf(await jane.ok('SAY #dev hi'));
    expect(await root.cmd(`DELETE #dev ${id} testing`)).toEqual([expect.stringMatching(/^OK \d+ /)]);
    // A private channel: acting on it is allowed, reading it is not.
    const kim = clients[1];
    await jane.ok('CREATE #plans private');
    await jane.ok('INVITE #plans @kim');
    await everyoneSettled();
    expect(await root.cmd('KICK #plans @kim')).toEqual(['OK']);
    expect(await unasked(kim)).toEqual(['KICKED #plans @kim @root']);
    expect(await root.cmd('HISTORY #plans')).toEqual(['ERR NO_SUCH_CHANNEL #plans does not exist']);
    expect(await root.cmd('USRS #plans')).toEqual(['ERR NO_SUCH_CHANNEL #plans does not exist']);
    expect(await root.cmd('KICK #plans @jane')).toEqual(['OK']);
    expect(await root.cmd('CHNS')).not.toContain('CHN #plans 0 private');
  });

  it('an admin removes an owner: the longest-standing op owns the channel, and every member is told', async () => {
    const { jane, kim, troll } = await devChannel();
    const root = await user('@root r00t-pass');
    await jane.ok('OP #dev @kim');
    await everyoneSettled();
    expect(await kim.cmd('BAN #dev @jane')).toEqual(['ERR NOT_OP You cannot remove @jane from #dev: they are its owner']);
    expect(await root.cmd('BAN #dev @jane abusing her ops')).toEqual(['OK']);
    expect(await unasked(troll)).toEqual(['BANNED #dev @jane @root abusing her ops', 'ROLE #dev @kim owner -']);
    expect(await unasked(jane)).toEqual(['BANNED #dev @jane @root abusing her ops']);
    expect(await troll.cmd('ROLES #dev')).toEqual(['ROLE #dev @kim owner -', 'END ROLES 1']);
    expect(await jane.cmd('JOIN #dev')).toEqual(['ERR BANNED You are banned from #dev']);
  });

  it('SUSPEND signs every connection out, refuses sign-in, RESUME and DMs until UNSUSPEND', async () => {
    const root = await user('@root r00t-pass');
    const troll = await user('@troll tr0ll-pass', '#general');
    const [ok] = await troll.cmd('TOKEN');
    const token = ok.split(' ')[1];
    const other = await user('@troll tr0ll-pass');
    expect(await troll.cmd('SUSPEND @root')).toEqual(['ERR NOT_ADMIN Only server admins can suspend users']);
    expect(await root.cmd('SUSPEND @root')).toEqual(['ERR SELF_TARGET You cannot suspend yourself']);
    // Root shares #general with him: he goes offline as his connections end.
    expect((await root.cmd('SUSPEND @troll spam everywhere')).at(-1)).toBe('OK');
    for (const c of [troll, other]) {
      await c.until((f) => show(f) === 'BYE SUSPENDED You were suspended from this server by @root: spam everywhere');
      await c.waitClosed();
    }
    const again = await tcp();
    await again.lines(1);
    expect(await again.cmd('REG @troll wrong-pass')).toEqual(['ERR WRONG_PASSWORD Wrong password for @troll']);
    expect(await again.cmd('REG @troll tr0ll-pass')).toEqual(['ERR SUSPENDED @troll is suspended from this server; ask a server admin']);
    expect(await again.cmd(`RESUME @troll ${token}`)).toEqual(['ERR SUSPENDED @troll is suspended from this server; ask a server admin']);
    expect(await root.cmd('SAY @troll hello?')).toEqual(['ERR UNDELIVERABLE Direct messages to @troll cannot be delivered']);
    expect(noTs(await root.cmd('MODLOG'))).toEqual(['MOD TS suspend @root @troll - - spam everywhere', 'END MODLOG 1']);
    expect(await root.cmd('UNSUSPEND @troll')).toEqual(['OK']);
    expect(await again.cmd(`RESUME @troll ${token}`)).toEqual(['OK']);
  });
});

describe('persistence', () => {
  it('roles, bans, suspensions and the log survive a restart on the same data directory', async () => {
    const { jane, kim } = await devChannel();
    const root = await user('@root r00t-pass');
    await user('@mal m4l-pass');
    await jane.ok('OP #dev @kim');
    await kim.ok('BAN #dev @troll spam');
    await root.ok('SUSPEND @mal');
    await restart();
    const kim2 = await user('@kim k1m-pass');
    const troll = await user('@troll');
    expect(await troll.cmd('JOIN #dev')).toEqual(['ERR BANNED You are banned from #dev']);
    expect(await kim2.cmd('UNBAN #dev @troll')).toEqual(['OK']);
    const mal = await tcp();
    await mal.lines(1);
    expect(await mal.cmd('REG @mal m4l-pass')).toEqual(['ERR SUSPENDED @mal is suspended from this server; ask a server admin']);
    expect(noTs(await kim2.cmd('MODLOG'))).toEqual(['MOD TS unban @kim @troll #dev -', 'MOD TS ban @kim @troll #dev - spam', 'END MODLOG 2']);
  });
});
