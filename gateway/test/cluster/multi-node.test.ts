/**
 * Three SLCK nodes on one PostgreSQL and one Redis, each its own process, with telnet (TCP)
 * and WebSocket users spread across them: the chat is one chat whichever node a user is on.
 * Messages and DMs cross nodes, presence and handles are cluster-wide, an offline DM waits
 * for its recipient on any node, and two senders on two nodes are seen in one order by all.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../core/index.ts';
import { startPostgres, startRedis, type TestPostgres, type TestRedis } from '../support/services.ts';
import { TestClient, isMsg, msg, type Received } from '../support/client.ts';
import { startCluster, type Cluster } from './test-cluster.ts';
import { LoggedClient, dmKey, type Action, type SendFate } from './chat-log.ts';
import { assertClean, check } from './checker.ts';
import { readState } from './final-state.ts';

let pg: TestPostgres;
let redis: TestRedis;
let cluster: Cluster;
const clients: TestClient[] = [];

beforeAll(async () => {
  [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  cluster = await startCluster({ nodes: 3, databaseUrl: pg.url, redisUrl: redis.url, extraArgs: ['--msg-rate', '0', '--log-level', 'warn', '--admins', '@mod-admin'] });
}, 90_000);
afterAll(async () => {
  await cluster?.stop();
  await Promise.allSettled([redis?.stop(), pg?.stop()]);
});
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});

const node = (i: number) => cluster.nodes[i];
const isType = (type: string) => (f: Received) => !(f instanceof ProtocolError) && f.type === type;

/** A telnet user on node `i`, signed in and in these channels. */
async function tcpUser(i: number, handle: string, ...channels: string[]): Promise<TestClient> {
  const c = await TestClient.user(node(i).tcpPort, handle, ...channels);
  clients.push(c);
  return c;
}

/** A WebSocket user on node `i`, as the web app connects. */
async function wsUser(i: number, handle: string, ...channels: string[]): Promise<TestClient> {
  const c = await TestClient.ws(node(i).wsUrl, { headers: { origin: `http://127.0.0.1:${node(i).httpPort}` } });
  clients.push(c);
  await c.until(isType('HELLO'));
  await c.ok(`REG ${handle}`);
  for (const ch of channels) await c.ok(`JOIN ${ch}`);
  return c;
}

/**
 * An UNREAD reply without its #general line, which every new user has (they are put there)
 * and which must read as read: where it sorts depends on what earlier tests said there.
 */
function withoutGeneral(lines: string[]): string[] {
  const general = lines.filter((l) => l.startsWith('UNREAD #general '));
  expect(general).toHaveLength(1);
  expect(general[0]).toMatch(/^UNREAD #general 0 0 (\d+) \1$/);
  return lines.filter((l) => !l.startsWith('UNREAD #general '));
}

const bodies = (c: TestClient, target: string) => c.msgs.filter((m) => m.target === target).map((m) => Buffer.from(m.body).toString());

describe('three nodes, one chat', () => {
  it('a channel message and a DM cross nodes, over telnet and WebSocket alike', async () => {
    const jane = await tcpUser(0, '@jane', '#cross');
    const john = await wsUser(1, '@john', '#cross');
    const kim = await tcpUser(2, '@kim', '#cross');
    const ok = await jane.ok(msg('#cross', 'hello from node 1'));
    const [, id] = ok.split(' ');
    for (const c of [john, kim]) {
      const m = await c.until((f) => isMsg(f) && f.target === '#cross');
      expect(isMsg(m) && [m.from, m.id, Buffer.from(m.body).toString()]).toEqual(['@jane', Number(id), 'hello from node 1']);
    }
    await john.ok(msg('@kim', 'a word, kim'));
    const dm = await kim.until((f) => isMsg(f) && f.from === '@john');
    expect(isMsg(dm) && [dm.target, Buffer.from(dm.body).toString()]).toEqual(['@kim', 'a word, kim']);
    // The sender never gets its own message back, on any node.
    await jane.settle();
    expect(jane.msgs.filter((m) => m.from === '@jane')).toEqual([]);
  });

  it('presence is cluster-wide: ONLINE and OFFLINE reach co-members on other nodes; USRS agrees everywhere', async () => {
    const watcher = await tcpUser(0, '@watcher', '#presence');
    const late = await tcpUser(1, '@late');
    await late.ok('JOIN #presence');
    await watcher.until((f) => isType('JOINED')(f) && show(f).includes('@late'));
    const third = await tcpUser(2, '@third');
    // Node 2 hears of @late's JOIN through the bus, perhaps a moment after node 0 did.
    await waitUntil(async () => (await third.cmd('USRS #presence')).join('|') === 'USR @late online guest|USR @watcher online guest|END USRS 2', 'USRS on node 2');
    late.end();
    await watcher.until((f) => isType('OFFLINE')(f) && show(f) === 'OFFLINE @late');
    for (let i = 0; i < 3; i++) {
      const c = await tcpUser(i, `@asker${i}`);
      await waitUntil(async () => (await c.cmd('USRS #presence')).join('|') === 'USR @watcher online guest|USR @late offline guest|END USRS 2', 'USRS to agree');
    }
    // Back on another node: ONLINE again, for the same co-member.
    await tcpUser(2, '@late');
    await watcher.until((f) => show(f) === 'ONLINE @late');
  });

  it('a handle is held by one connection across every node', async () => {
    await tcpUser(0, '@unique');
    for (const i of [0, 1, 2]) {
      const other = await TestClient.tcp(node(i).tcpPort);
      clients.push(other);
      await other.until(isType('HELLO'));
      expect(await other.cmd('REG @Unique')).toEqual(['ERR HANDLE_TAKEN @unique is already online']);
    }
    // Two nodes racing for one new handle: exactly one wins.
    const racers = await Promise.all([0, 1, 2].map(async (i) => {
      const c = await TestClient.tcp(node(i).tcpPort);
      clients.push(c);
      await c.until(isType('HELLO'));
      return c;
    }));
    const answers = await Promise.all(racers.map((c) => c.cmd('REG @racer')));
    expect(answers.filter((a) => a[a.length - 1] === 'OK')).toHaveLength(1);
    expect(answers.filter((a) => a[a.length - 1].startsWith('ERR HANDLE_TAKEN'))).toHaveLength(2);
  });

  it('a DM to someone offline reaches them when they sign in on a third node', async () => {
    const away = await tcpUser(0, '@away');
    away.end();
    await away.waitClosed();
    const sender = await tcpUser(1, '@sender');
    await sender.ok(msg('@away', 'while you were out'));
    const back = await tcpUser(2, '@away');
    await back.waitFor(() => bodies(back, '@away').includes('while you were out'), 'the kept DM');
    // Handed over once: signing in again elsewhere does not bring it back.
    back.end();
    await back.waitClosed();
    const again = await tcpUser(0, '@away');
    await again.settle();
    expect(bodies(again, '@away')).toEqual([]);
  });

  it('a user registered on one node can be reached at once from another', async () => {
    const fresh = await tcpUser(0, '@fresh');
    const other = await tcpUser(2, '@other');
    await other.ok(msg('@fresh', 'welcome'));
    await fresh.waitFor(() => bodies(fresh, '@fresh').includes('welcome'), 'the DM');
  });

  it('two senders on two nodes: every receiver sees one order, and HISTORY agrees on every node', async () => {
    const a = await tcpUser(0, '@alpha', '#order');
    const b = await wsUser(1, '@beta', '#order');
    const readers = [await tcpUser(0, '@r0', '#order'), await wsUser(1, '@r1', '#order'), await tcpUser(2, '@r2', '#order')];
    const N = 100;
    let burstA = '';
    let burstB = '';
    for (let i = 0; i < N; i++) {
      burstA += msg('#order', `a${i}`);
      burstB += msg('#order', `b${i}`);
    }
    a.write(burstA);
    b.write(burstB);
    for (const r of readers) await r.waitFor(() => bodies(r, '#order').length === 2 * N, `${2 * N} messages`, 20_000);
    const orders = readers.map((r) => r.msgs.filter((m) => m.target === '#order').map((m) => `${m.id}:${Buffer.from(m.body).toString()}`));
    expect(orders[1]).toEqual(orders[0]);
    expect(orders[2]).toEqual(orders[0]);
    // Ids are the conversation's own, gapless, in the order everyone saw.
    const ids = orders[0].map((s) => Number(s.split(':')[0]));
    expect(ids).toEqual(Array.from({ length: 2 * N }, (_, i) => ids[0] + i));
    // Each sender's own messages are in the order it sent them.
    const mine = (p: string) => orders[0].map((s) => s.split(':')[1]).filter((t) => t.startsWith(p));
    expect(mine('a')).toEqual(Array.from({ length: N }, (_, i) => `a${i}`));
    expect(mine('b')).toEqual(Array.from({ length: N }, (_, i) => `b${i}`));
    for (const r of readers) {
      const h = await r.cmd(`HISTORY #order 500`);
      const replayed = r.msgs.slice(-2 * N).map((m) => `${m.id}:${Buffer.from(m.body).toString()}`);
      expect(h[h.length - 1]).toBe(`END HISTORY ${2 * N}`);
      expect(replayed).toEqual(orders[0]);
    }
  });

  it('replies, edits, deletes and reactions cross nodes as one log: every receiver gets each once in order, and every node shows the same final state', async () => {
    const [ka, kb, kc] = await Promise.all([0, 1, 2].map((i) => LoggedClient.connect(node(i).tcpPort, `@k${'abc'[i]}`, ['#changes'])));
    try {
      const ok = async (c: LoggedClient, a: Action): Promise<number> => {
        const f: SendFate = await c.act(a);
        if (f.kind !== 'ok') throw new Error(`${c.handle} ${JSON.stringify(a)}: ${JSON.stringify(f)}`);
        return f.id;
      };
      // #changes, with its three members on three nodes; a DM between n1 and n3.
      const m1 = await ok(ka, { act: 'msg', target: '#changes', text: 'first' });
      await ok(kb, { act: 'react', target: '#changes', id: m1, reaction: '👍' });
      await ok(kc, { act: 'reply', target: '#changes', root: m1, text: 'in the thread', also: true });
      await ok(ka, { act: 'edit', target: '#changes', id: m1, text: 'first, fixed' });
      const m2 = await ok(kb, { act: 'msg', target: '#changes', text: 'oops' });
      await ok(kb, { act: 'delete', target: '#changes', id: m2 });
      await ok(kc, { act: 'react', target: '#changes', id: m1, reaction: '🎉' });
      expect(await kc.act({ act: 'react', target: '#changes', id: m1, reaction: '🎉' })).toEqual({ kind: 'unchanged' });
      await ok(kc, { act: 'unreact', target: '#changes', id: m1, reaction: '🎉' });
      const last = await ok(ka, { act: 'reply', target: '#changes', root: m1, text: 'answered' });
      const d1 = await ok(ka, { act: 'msg', target: '@kc', text: 'psst' });
      await ok(kc, { act: 'react', target: '@ka', id: d1, reaction: '👀' });
      await ok(ka, { act: 'edit', target: '@kc', id: d1, text: 'psst, edited' });
      await ok(kc, { act: 'reply', target: '@ka', root: d1, text: 'in a DM thread' });
      const d2 = await ok(kc, { act: 'msg', target: '@ka', text: 'gone soon' });
      const dLast = await ok(kc, { act: 'delete', target: '@ka', id: d2 });
      const has = (c: LoggedClient, conv: string, id: number) => c.got.some((g) => g.target === conv && g.id === id);
      for (const c of [ka, kb, kc]) await c.waitFor(() => has(c, '#changes', last) || c === ka, `#changes ${last}`);
      await ka.waitFor(() => has(ka, dmKey('@ka', '@kc'), dLast), `the DM's ${dLast}`);
      await kb.waitFor(() => has(kb, '#changes', last), `#changes ${last}`);

      const states = [
        ...(await Promise.all([ka, kb, kc].map((c, i) => readState(c, '#changes', `n${i + 1}`, '#changes')))),
        await readState(ka, '@kc', 'n1', dmKey('@ka', '@kc')),
        await readState(kc, '@ka', 'n3', dmKey('@ka', '@kc')),
      ];
      const result = check([ka.log, kb.log, kc.log], { receivers: new Map([['#changes', ['@ka', '@kb', '@kc']]]), finalStates: states });
      assertClean(result);
      // What every node shows, spelled out once (the checker compared the rest).
      const room = states[0].messages;
      expect(room.get(m1)).toEqual({ from: '@ka', text: expect.stringMatching(/^@ka:\d+ first, fixed$/), edited: true, deleted: false, reactions: ['👍 @kb'], replies: 2 });
      expect(room.get(m2)).toEqual({ from: '@kb', text: '', edited: false, deleted: true, reactions: [], replies: 0 });
      expect(states[3].messages.get(d1)).toEqual({ from: '@ka', text: expect.stringMatching(/^@ka:\d+ psst, edited$/), edited: true, deleted: false, reactions: ['👀 @kc'], replies: 1 });
      // Each receiver got every other member's entry live, once, as the frame its act makes.
      expect(kb.got.filter((g) => g.target === '#changes').map((g) => g.frame)).toEqual(['MSG', 'REPLY', 'EDIT', 'REACT', 'UNREACT', 'REPLY']);
    } finally {
      await Promise.all([ka, kb, kc].map((c) => c.close()));
    }
  });

  it('failed passwords are counted across nodes: guesses spread over three nodes get no more tries', async () => {
    const owner = await tcpUser(0, '@locked');
    owner.end();
    await owner.waitClosed();
    // @locked was a guest; now it is claimed, and its owner leaves.
    const claim = await tcpUser(1, '@locked secret-pass');
    claim.end();
    await claim.waitClosed();
    const codes: string[] = [];
    for (const i of [0, 1, 2, 0]) {
      const c = await TestClient.tcp(node(i).tcpPort, '127.0.0.7');
      clients.push(c);
      await c.until(isType('HELLO'));
      const reply = await c.cmd('REG @locked wrong-guess');
      codes.push(reply[reply.length - 1].split(' ').slice(0, 2).join(' '));
    }
    // Three free failures per handle and address, then a wait, whichever node is asked.
    expect(codes).toEqual(['ERR WRONG_PASSWORD', 'ERR WRONG_PASSWORD', 'ERR WRONG_PASSWORD', 'ERR RATE_LIMITED']);
  });

  it('a claimed user signed in on two nodes: both get messages, each other\'s sends and read marks; UNREAD agrees everywhere', async () => {
    const kim = await tcpUser(2, '@kimiko', '#devices');
    const laptop = await tcpUser(0, '@multi s3cret-pass', '#devices');
    const phone = await wsUser(1, '@multi s3cret-pass');
    await phone.settle();
    await kim.ok(msg('#devices', 'hello @multi'));
    const [, id] = (await laptop.ok(msg('#devices', 'from the laptop'))).split(' ');
    await laptop.ok(msg('@kimiko', 'a dm from the laptop'));
    await phone.waitFor(() => phone.msgs.length === 3, 'three messages on the phone');
    expect(phone.msgs.map((m) => `${m.target} ${m.from} ${Buffer.from(m.body).toString()}`)).toEqual([
      '#devices @kimiko hello @multi', '#devices @multi from the laptop', '@kimiko @multi a dm from the laptop',
    ]);
    for (const i of [0, 1, 2]) {
      const c = i === 0 ? laptop : i === 1 ? phone : await tcpUser(2, '@multi s3cret-pass');
      c.drain();
      expect(withoutGeneral(await c.cmd('UNREAD'))).toEqual(['UNREAD @kimiko 0 0 0 1', 'UNREAD #devices 1 1 0 2', 'END UNREAD 3']);
    }
    // Read on the phone (node 2): the laptop on node 1 is told, through the bus.
    await phone.ok(`READ #devices ${id}`);
    await laptop.until((f) => isType('READ')(f));
    expect(withoutGeneral(await laptop.cmd('UNREAD'))).toEqual(['UNREAD @kimiko 0 0 0 1', `UNREAD #devices 0 0 ${id} 2`, 'END UNREAD 3']);
  });

  it('a session token from one node signs in on another; SIGNOUT ALL ends the user\'s connections on every node', async () => {
    const first = await tcpUser(0, '@roamer r0amer-pass');
    const [ok] = await first.cmd('TOKEN');
    const token = ok.split(' ')[1];
    const elsewhere = await TestClient.tcp(node(2).tcpPort);
    clients.push(elsewhere);
    await elsewhere.until(isType('HELLO'));
    expect(await elsewhere.cmd(`RESUME @roamer ${token}`)).toEqual(['OK']);
    const third = await wsUser(1, '@roamer r0amer-pass');
    expect(await first.cmd('SIGNOUT ALL')).toEqual(['OK']);
    for (const c of [elsewhere, third]) {
      await c.until((f) => !(f instanceof ProtocolError) && f.type === 'BYE' && f.reason === 'SIGNED_OUT');
      await c.waitClosed();
    }
    const retry = await TestClient.tcp(node(1).tcpPort);
    clients.push(retry);
    await retry.until(isType('HELLO'));
    expect((await retry.cmd(`RESUME @roamer ${token}`))[0]).toMatch(/^ERR BAD_TOKEN/);
  });

  it('a topic set on one node reaches members on another, and every node answers it the same', async () => {
    const setter = await tcpUser(0, '@topical', '#topics');
    const member = await wsUser(1, '@reader', '#topics');
    expect(await setter.ok('TOPIC #topics Cross-node topics')).toBe('OK');
    await member.until((f) => !(f instanceof ProtocolError) && f.type === 'TOPIC' && f.text === 'Cross-node topics');
    const asker = await tcpUser(2, '@asker-topic');
    await waitUntil(async () => (await asker.cmd('TOPIC #topics')).join('|') === 'TOPIC #topics @topical Cross-node topics|END TOPIC 1', 'node 3 to know the topic');
  });

  it('a setting kept on one node reaches the user\'s connection on another at once, and PREFS agrees on a third', async () => {
    const laptop = await tcpUser(0, '@settler s3cret-pass');
    const phone = await wsUser(1, '@settler s3cret-pass');
    expect(await laptop.ok('PREF mute:#dev 1')).toBe('OK');
    const told = await phone.until(isType('PREF'));
    expect(told).toEqual({ type: 'PREF', key: 'mute:#dev', value: '1' });
    expect(await laptop.ok('PREF mute:#dev')).toBe('OK');
    expect(await phone.until(isType('PREF'))).toEqual({ type: 'PREF', key: 'mute:#dev', value: '' });
    expect(await phone.ok('PREF theme dark')).toBe('OK');
    expect(await laptop.until(isType('PREF'))).toEqual({ type: 'PREF', key: 'theme', value: 'dark' });
    const third = await tcpUser(2, '@settler s3cret-pass');
    expect(await third.cmd('PREFS')).toEqual(['PREF theme dark', 'END PREFS 1']);
  });

  it("a block made on one node refuses the blocked user's DM on another, the blocker's other node is told, and UNBLOCK lets it through", async () => {
    const blocker = await tcpUser(0, '@blocker s3cret-pass');
    const phone = await wsUser(2, '@blocker s3cret-pass');
    const blocked = await tcpUser(1, '@blocked');
    const refused = 'ERR UNDELIVERABLE Direct messages to @blocker cannot be delivered';
    expect(await blocker.ok('BLOCK @blocked')).toBe('OK');
    expect(await phone.until(isType('BLOCKED'))).toEqual({ type: 'BLOCKED', user: '@blocked' });
    // Node 2 learns of the block through the bus, a moment after its OK on node 1.
    await waitUntil(async () => (await blocked.cmd('SAY @blocker hello?')).join('|') === refused, 'node 2 to refuse the DM');
    expect(await blocked.cmd('TYPING @blocker')).toEqual([refused]);
    expect(await phone.cmd('BLOCKS')).toEqual(['BLOCKED @blocked', 'END BLOCKS 1']);
    expect(await blocker.ok('UNBLOCK @blocked')).toBe('OK');
    await waitUntil(async () => (await blocked.cmd('SAY @blocker sorry')).join('|').startsWith('OK '), 'node 2 to accept the DM again');
    const got = await blocker.until(isMsg);
    expect(isMsg(got) && [got.from, new TextDecoder().decode(got.body)]).toEqual(['@blocked', 'sorry']);
  });

  it('a private channel seen from another node: an invite on node 1 lets its user on node 2 read it; to a stranger on node 2 it does not exist', async () => {
    const owner = await tcpUser(0, '@hq-owner s3cret-pass');
    const reader = await tcpUser(1, '@hq-reader s3cret-pass');
    const stranger = await tcpUser(1, '@hq-stranger s3cret-pass');
    // (Other users' sign-ins on this cluster may come before a reply: each reply is its last line.)
    expect((await owner.cmd('CREATE #HQ private')).slice(-2)).toEqual(['JOINED #HQ @hq-owner', 'OK']);
    expect(await owner.ok('SAY #hq before the invite')).toMatch(/^OK 1 /);
    // Node 2 learns of the channel through the bus: until then the name is free there.
    await waitUntil(async () => (await stranger.cmd('JOIN #hq')).at(-1) === 'ERR CHANNEL_TAKEN #hq is not available; choose another name', 'node 2 to know #HQ');
    expect((await owner.cmd('INVITE #hq @HQ-Reader')).slice(-2)).toEqual(['JOINED #HQ @hq-reader', 'OK']);
    const joined = await reader.until((f) => isType('JOINED')(f) && (f as { channel?: string }).channel === '#HQ');
    expect(joined).toEqual({ type: 'JOINED', channel: '#HQ', user: '@hq-reader' });
    expect(await owner.ok('SAY #hq after the invite')).toMatch(/^OK 2 /);
    const live = await reader.until((f) => isMsg(f) && f.target === '#HQ');
    expect(isMsg(live) && [live.from, live.id, new TextDecoder().decode(live.body)]).toEqual(['@hq-owner', 2, 'after the invite']);
    const history = await reader.cmd('HISTORY #hq');
    expect(history.at(-1)).toBe('END HISTORY 2');
    expect(history.join('\n')).toContain('before the invite');
    expect(await reader.cmd('CHNS 500')).toContain('CHN #HQ 2 private');
    // The stranger on the same node: every command as for a channel that does not exist.
    for (const cmd of ['HISTORY {ch}', 'SAY {ch} let me in', 'TOPIC {ch}', 'USRS {ch}', 'THREAD {ch} 1', 'INVITE {ch} @hq-stranger']) {
      const hidden = (await stranger.cmd(cmd.replace('{ch}', '#hq'))).at(-1);
      expect(hidden?.replace('#hq', '#nohq'), cmd).toBe((await stranger.cmd(cmd.replace('{ch}', '#nohq'))).at(-1));
      expect(hidden).toBe('ERR NO_SUCH_CHANNEL #hq does not exist');
    }
    expect((await stranger.cmd('CHNS 500')).join('\n')).not.toMatch(/#HQ/i);
  });

  it('a kick, a ban and a suspension on one node take effect for a user on another', async () => {
    const owner = await tcpUser(0, '@mod-owner s3cret-pass', '#modded');
    const victim = await tcpUser(1, '@mod-victim s3cret-pass', '#modded');
    const witness = await tcpUser(1, '@mod-witness', '#modded');
    const admin = await tcpUser(2, '@mod-admin s3cret-pass');
    const last = async (c: TestClient, line: string) => (await c.cmd(line)).at(-1);
    // Node 1 learns of their JOINs through the bus.
    await waitUntil(async () => (await owner.cmd('USRS #modded')).filter((l) => /@mod-(victim|witness) /.test(l)).length === 2, 'node 1 to know the members');
    expect(await last(owner, 'KICK #modded @mod-victim spam')).toBe('OK');
    await victim.until((f) => isType('KICKED')(f) && (f as { user?: string }).user === '@mod-victim');
    expect(await last(owner, 'SAY #modded after the kick')).toMatch(/^OK /);
    // The witness beside him on node 2 gets it; he, kicked, does not.
    await witness.until((f) => isMsg(f) && f.target === '#modded' && Buffer.from(f.body).toString() === 'after the kick');
    expect((await victim.settle()).filter((l) => l.includes('after the kick'))).toEqual([]);
    expect(await last(victim, 'SAY #modded hello?')).toBe('ERR NOT_MEMBER Join #modded before posting to it');

    expect(await last(owner, 'BAN #modded @mod-victim')).toBe('OK');
    // The witness on his node is told: from then on that node keeps him out.
    await witness.until((f) => isType('BANNED')(f) && (f as { user?: string }).user === '@mod-victim');
    expect(await last(victim, 'JOIN #modded')).toBe('ERR BANNED You are banned from #modded');
    expect(await last(owner, 'UNBAN #modded @mod-victim')).toBe('OK');
    await waitUntil(async () => (await last(victim, 'JOIN #modded')) === 'OK', 'node 2 to let him back');

    // An admin on node 3 suspends him: his connection on node 2 ends; node 1 refuses his sign-in.
    expect(await last(admin, 'SUSPEND @mod-victim spam everywhere')).toBe('OK');
    await victim.until((f) => isType('BYE')(f) && (f as { reason?: string }).reason === 'SUSPENDED');
    await victim.waitClosed();
    // Node 1 knows once a DM to him is refused there (the line a block gives).
    await waitUntil(async () => (await last(owner, 'SAY @mod-victim still there?')) === 'ERR UNDELIVERABLE Direct messages to @mod-victim cannot be delivered', 'node 1 to know');
    const again = await TestClient.tcp(node(0).tcpPort);
    clients.push(again);
    await again.until(isType('HELLO'));
    expect(await last(again, 'REG @mod-victim s3cret-pass')).toBe('ERR SUSPENDED @mod-victim is suspended from this server; ask a server admin');
    expect(await last(admin, 'UNSUSPEND @mod-victim')).toBe('OK');
    await waitUntil(async () => (await last(again, 'REG @mod-victim s3cret-pass')) === 'OK', 'node 1 to let him sign in again');
  });

  it('BANS lists the same bans, with who, when and why, on every node; a bare ROLES tells an admin on any node', async () => {
    const owner = await tcpUser(0, '@bans-owner s3cret-pass', '#bans-here');
    const op = await tcpUser(1, '@bans-op s3cret-pass', '#bans-here');
    await tcpUser(1, '@bans-troll', '#bans-here');
    const admin = await tcpUser(2, '@mod-admin s3cret-pass');
    const last = async (c: TestClient, line: string) => (await c.cmd(line)).at(-1);
    await waitUntil(async () => (await owner.cmd('USRS #bans-here')).filter((l) => /@bans-(op|troll) /.test(l)).length === 2, 'node 1 to know the members');
    expect(await last(owner, 'OP #bans-here @bans-op')).toBe('OK');
    expect(await last(owner, 'BAN #bans-here @bans-troll link farming')).toBe('OK');
    const here = (await owner.cmd('BANS #bans-here')).filter((l) => l.startsWith('BAN') || l.startsWith('END'));
    expect(here).toEqual([expect.stringMatching(/^BAN #bans-here @bans-troll @bans-owner \S+Z link farming$/), 'END BANS 1']);
    // The ban's time is the log's, so every node lists it alike, once it has heard of it.
    const listed = async (c: TestClient) => (await c.cmd('BANS #bans-here')).filter((l) => l.startsWith('BAN') || l.startsWith('END')).join('\n') === here.join('\n');
    await waitUntil(() => listed(op), 'node 2 to list the ban');
    await waitUntil(() => listed(admin), 'node 3 to list the ban');
    expect(await admin.cmd('ROLES')).toEqual(['ROLE - @mod-admin admin -', 'END ROLES 1']);
    expect((await op.cmd('ROLES')).filter((l) => !l.startsWith('ROLE #bans-here @bans-op op @bans-owner'))).toEqual(['ROLE #bans-here @bans-op op -', 'END ROLES 1']);
    expect(await last(op, 'UNBAN #bans-here @bans-troll')).toBe('OK');
    await waitUntil(async () => (await last(owner, 'BANS #bans-here')) === 'END BANS 0', 'node 1 to lift it');
  });

  it('CHNS is the same on every node', async () => {
    await tcpUser(0, '@maker', '#made-on-one');
    const listers = await Promise.all([0, 1, 2].map((i) => tcpUser(i, `@lister${i}`)));
    // Each node learns of a commit on another through the bus, a moment later; and the users
    // of the tests before this one are still leaving, which changes member counts while we
    // ask. So the lists are compared once every node has heard the same commits.
    let lists: string[][] = [];
    await waitUntil(async () => {
      lists = await Promise.all(listers.map((c) => c.cmd('CHNS 500')));
      return lists.every((l) => l.join('|') === lists[0].join('|'));
    }, 'the three CHNS lists to agree').catch((e: Error) => {
      throw new Error(`${e.message}; the last lists:\n${lists.map((l, i) => `n${i + 1}: ${l.join(' | ')}`).join('\n')}`);
    });
    expect(lists[0]).toContain('CHN #made-on-one 1');
  });
});

describe('operations', () => {
  it('/healthz reports the store and the bus; /metrics counts in the Prometheus format', async () => {
    // The bus counts as healthy once the node hears its own heartbeat through Redis (each
    // second): on a loaded machine that may take a moment.
    const health = async () => {
      const res = await fetch(`http://127.0.0.1:${node(1).httpPort}/healthz`);
      return `${res.status} ${JSON.stringify(await res.json())}`;
    };
    await waitUntil(async () => (await health()) === '200 {"status":"ok","store":"ok","bus":"ok"}', 'a healthy node');
    const jane = await tcpUser(1, '@metered', '#metered');
    await jane.ok(msg('#metered', 'counted'));
    const res = await fetch(`http://127.0.0.1:${node(1).httpPort}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('slck_node_info{node="n2"} 1');
    expect(text).toContain('slck_bus_healthy 1');
    expect(text).toMatch(/slck_connections\{transport="tcp"\} [1-9]/);
    expect(text).toMatch(/slck_commands_total\{command="MSG",result="ok"\} [1-9]/);
    expect(text).toMatch(/slck_store_commit_seconds_count\{result="ok"\} [1-9]/);
  });
});

function show(f: Received): string {
  if (f instanceof ProtocolError) return `ERR ${f.code}`;
  if (f.type === 'ONLINE' || f.type === 'OFFLINE') return `${f.type} ${f.user}`;
  if (f.type === 'JOINED' || f.type === 'LEFT') return `${f.type} ${f.channel} ${f.user}`;
  return f.type;
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
