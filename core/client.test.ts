/**
 * SlckClient: driven through its public methods with a send function that records what it
 * writes, and fed server bytes the way a transport would hand them over.
 */
import { describe, expect, it, vi } from 'vitest';
import { SlckClient, ServerError, type ClientEvents } from './client.ts';
import type { Command } from './frames.ts';
import { ProtocolError } from './errors.ts';
import { chunksOf, type Chunking, concat, parseCommands, utf8 } from './test-support.ts';

const TS = '2026-11-22T10:00:00.000Z';

/** A client whose sent bytes are kept, and a way to play server bytes to it. */
function connect() {
  const sent: Uint8Array[] = [];
  const client = new SlckClient((bytes) => sent.push(bytes.slice()));
  const events: Array<[keyof ClientEvents, unknown]> = [];
  for (const name of ['hello', 'message', 'joined', 'left', 'online', 'offline', 'notice', 'read', 'pref', 'blocked', 'unblocked', 'bye', 'error'] as const) {
    client.on(name, (e) => events.push([name, e]));
  }
  return {
    client,
    events,
    /** What the client has written so far, as the server would read it. */
    commands: (): Command[] => parseCommands(concat(sent)) as Command[],
    server: (text: string, how: Chunking = 'whole') => {
      for (const chunk of chunksOf(utf8(text), how)) client.receive(chunk);
    },
  };
}

/** Settle a promise into what happened to it, so tests can assert on both outcomes. */
const outcome = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

describe('SlckClient: replies are matched to commands in order', () => {
  it.each([
    ['in one chunk', 'whole'],
    ['byte by byte', 'bytes'],
  ] as Array<[string, Chunking]>)('%s', async (_name, how) => {
    const { client, commands, server, events } = connect();
    const reg = client.reg('@jane', 's3cret');
    const join = client.join('#random');
    const sent = client.msg('#random', 'héllo');
    const time = client.time();
    const ping = client.ping('abc');
    expect(client.inFlight).toBe(5);
    expect(commands()).toEqual([
      { type: 'REG', handle: '@jane', password: 's3cret' },
      { type: 'JOIN', channel: '#random' },
      { type: 'MSG', target: '#random', body: utf8('héllo') },
      { type: 'TIME' },
      { type: 'PING', token: 'abc' },
    ]);
    server(`OK\r\nJOINED #random @jane\r\nOK\r\nOK 7 2026-11-22T10:00:01.250Z\r\nTIME ${TS}\r\nPONG abc\r\n`, how);
    await expect(reg).resolves.toBeUndefined();
    await expect(join).resolves.toBeUndefined();
    await expect(sent).resolves.toEqual({ id: 7, ts: '2026-11-22T10:00:01.250Z' });
    await expect(time).resolves.toBe(TS);
    await expect(ping).resolves.toBeUndefined();
    expect(client.inFlight).toBe(0);
    expect(events).toEqual([['joined', { type: 'JOINED', channel: '#random', user: '@jane' }]]);
  });

  it('a muted MSG resolves with the held-back count', async () => {
    const { client, server } = connect();
    const sent = client.msg('#general', "I'm mute");
    server('OK MUTED 1\r\n');
    await expect(sent).resolves.toEqual({ muted: 1 });
  });

  it('MUTE, UNMUTE, LEAVE and QUIT send their commands and resolve on their replies', async () => {
    const { client, server, commands } = connect();
    const done = Promise.all([client.mute(), client.unmute(), client.leave('#random'), client.quit()]);
    expect(commands()).toEqual([{ type: 'MUTE' }, { type: 'UNMUTE' }, { type: 'LEAVE', channel: '#random' }, { type: 'QUIT' }]);
    server('OK\r\nOK\r\nLEFT #random @jane\r\nOK\r\nBYE QUIT Goodbye @jane\r\n');
    await expect(done).resolves.toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('SlckClient: data replies', () => {
  it('CHNS collects CHN lines until END', async () => {
    const { client, server, commands } = connect();
    const chns = client.chns();
    // Paged, so the server says whether more follow; the largest page, so few round trips.
    expect(commands()).toEqual([{ type: 'CHNS', limit: 500 }]);
    server('CHN #general 2\r\nCHN #random 0\r\n', 'bytes');
    expect(client.inFlight).toBe(1);
    server('END CHNS 2\r\n');
    await expect(chns).resolves.toEqual([
      { channel: '#general', members: 2 },
      { channel: '#random', members: 0 },
    ]);
  });

  it('CHNS pages through the whole list: each page after the last name of the one before', async () => {
    const { client, server, commands } = connect();
    const chns = client.chns();
    server('CHN #a 1\r\nCHN #b 0\r\nEND CHNS 2 MORE #b\r\n');
    // The next page is asked once the first is in.
    await vi.waitFor(() => expect(commands()).toHaveLength(2));
    server('CHN #c 3\r\nEND CHNS 1\r\n');
    await expect(chns).resolves.toEqual([
      { channel: '#a', members: 1 },
      { channel: '#b', members: 0 },
      { channel: '#c', members: 3 },
    ]);
    expect(commands()).toEqual([{ type: 'CHNS', limit: 500 }, { type: 'CHNS', limit: 500, after: '#b' }]);
  });

  it('chnsPage gives one page and where the next begins', async () => {
    const { client, server, commands } = connect();
    const first = client.chnsPage();
    server('CHN #a 1\r\nEND CHNS 1 MORE #a\r\n');
    await expect(first).resolves.toEqual({ channels: [{ channel: '#a', members: 1 }], more: '#a' });
    const last = client.chnsPage({ limit: 1, after: '#a' });
    server('END CHNS 0\r\n');
    await expect(last).resolves.toEqual({ channels: [] });
    expect(commands()).toEqual([{ type: 'CHNS', limit: 100 }, { type: 'CHNS', limit: 1, after: '#a' }]);
  });

  it('CREATE and INVITE send their commands; a private channel comes marked in CHNS', async () => {
    const { client, server, commands } = connect();
    const made = client.create('#plans', true);
    const invited = client.invite('#plans', '@bob');
    const open = client.create('#dev');
    server('JOINED #plans @jane\r\nOK\r\nJOINED #plans @bob\r\nOK\r\nERR CHANNEL_TAKEN #dev exists already: JOIN #dev, or choose another name\r\n');
    await expect(made).resolves.toBeUndefined();
    await expect(invited).resolves.toBeUndefined();
    await expect(open).rejects.toMatchObject({ code: 'CHANNEL_TAKEN' });
    const page = client.chnsPage();
    server('CHN #general 2\r\nCHN #plans 2 private\r\nEND CHNS 2\r\n');
    await expect(page).resolves.toEqual({ channels: [{ channel: '#general', members: 2 }, { channel: '#plans', members: 2, private: true }] });
    expect(commands().slice(0, 3)).toEqual([
      { type: 'CREATE', channel: '#plans', private: true },
      { type: 'INVITE', channel: '#plans', handle: '@bob' },
      { type: 'CREATE', channel: '#dev', private: false },
    ]);
  });

  it('USRS and USRS #channel collect USR lines until END', async () => {
    const { client, server, commands } = connect();
    const all = client.usrs();
    const general = client.usrs('#general');
    expect(commands()).toEqual([{ type: 'USRS' }, { type: 'USRS', channel: '#general' }]);
    server('USR @jane online\r\nUSR @john offline\r\nEND USRS 2\r\nUSR @jane online\r\nEND USRS 1\r\n');
    await expect(all).resolves.toEqual([
      { user: '@jane', online: true },
      { user: '@john', online: false },
    ]);
    await expect(general).resolves.toEqual([{ user: '@jane', online: true }]);
  });

  it('HELP collects INFO lines until END', async () => {
    const { client, server } = connect();
    const help = client.help();
    server('INFO REG @handle [password]  register; a password claims the handle\r\nINFO JOIN #channel  join\r\nEND HELP 2\r\n');
    await expect(help).resolves.toEqual(['REG @handle [password]  register; a password claims the handle', 'JOIN #channel  join']);
  });

  it('an empty data reply resolves with nothing', async () => {
    const { client, server } = connect();
    const chns = client.chns();
    server('END CHNS 0\r\n');
    await expect(chns).resolves.toEqual([]);
  });
});

describe('SlckClient: settings (PREFS, PREF)', () => {
  it('reads the settings into a Map, sets and clears one', async () => {
    const { client, server, commands, events } = connect();
    const all = client.prefs();
    const set = client.setPref('mute:#dev', '1');
    const cleared = client.clearPref('mute:@bob');
    const empty = client.setPref('theme', '');
    expect(commands()).toEqual([
      { type: 'PREFS' },
      { type: 'PREF', key: 'mute:#dev', value: '1' },
      { type: 'PREF', key: 'mute:@bob' },
      { type: 'PREF', key: 'theme' },
    ]);
    server('PREF __proto__ x\r\nPREF theme dark, high contrast\r\nEND PREFS 2\r\nOK\r\nOK\r\nOK\r\n', 'bytes');
    expect(await all).toEqual(new Map([['__proto__', 'x'], ['theme', 'dark, high contrast']]));
    await expect(set).resolves.toBeUndefined();
    await expect(cleared).resolves.toBeUndefined();
    await expect(empty).resolves.toBeUndefined();
    expect(events).toEqual([]);
  });

  it('a PREF from another device is an event; one that came before the PREFS reply began is one too', async () => {
    const { client, server, events } = connect();
    server('PREF mute:#dev 1\r\n');
    expect(events).toEqual([['pref', { type: 'PREF', key: 'mute:#dev', value: '1' }]]);
    const all = client.prefs();
    server('PREF mute:#dev\r\nPREF theme dark\r\nEND PREFS 1\r\n');
    expect(await all).toEqual(new Map([['theme', 'dark']]));
    expect(events.slice(1)).toEqual([['pref', { type: 'PREF', key: 'mute:#dev', value: '' }]]);
    const refused = outcome(client.prefs());
    server('PREF a 1\r\nERR NOT_CLAIMED @kim is a guest handle: claim it with a password to keep settings on the server\r\n');
    expect(await refused).toMatchObject({ ok: false, error: { code: 'NOT_CLAIMED' } });
    expect(events.slice(2)).toEqual([['pref', { type: 'PREF', key: 'a', value: '1' }]]);
  });
});

describe('SlckClient: moderation (OP, KICK, BAN, SUSPEND, MODLOG, DELETE with a reason)', () => {
  it('sends the commands, lists the log, and reports KICKED, BANNED and ROLE as events', async () => {
    const { client, server, commands } = connect();
    const kicked: unknown[] = [];
    for (const name of ['kicked', 'banned', 'role'] as const) client.on(name, (e) => kicked.push(e));
    const done = [
      client.moderate({ type: 'OP', channel: '#dev', handle: '@kim' }),
      client.moderate({ type: 'KICK', channel: '#dev', handle: '@troll', reason: 'spam, twice' }),
      client.moderate({ type: 'SUSPEND', handle: '@troll' }),
    ];
    const deleted = client.delete('#dev', 42, 'off topic');
    expect(commands()).toEqual([
      { type: 'OP', channel: '#dev', handle: '@kim' },
      { type: 'KICK', channel: '#dev', handle: '@troll', reason: 'spam, twice' },
      { type: 'SUSPEND', handle: '@troll' },
      { type: 'DELETE', target: '#dev', id: 42, reason: 'off topic' },
    ]);
    server('ROLE #dev @kim op @jane\r\nOK\r\nKICKED #dev @troll @jane spam, twice\r\nOK\r\nOK\r\nOK 50 2026-12-07T15:00:00.000Z\r\n');
    await Promise.all(done);
    await expect(deleted).resolves.toEqual({ id: 50, ts: '2026-12-07T15:00:00.000Z' });
    const log = client.modlog(2);
    server('MOD 2026-12-07T15:00:00.000Z kick @jane @troll #dev - spam, twice\r\nBANNED #ops @x @y\r\nEND MODLOG 1\r\n');
    expect(await log).toEqual([{ type: 'MOD', ts: '2026-12-07T15:00:00.000Z', action: 'kick', by: '@jane', whom: '@troll', channel: '#dev', reason: 'spam, twice' }]);
    const roles = client.roles('#dev');
    server('ROLE #dev @jane owner -\r\nROLE #dev @kim op -\r\nEND ROLES 2\r\n');
    expect(await roles).toEqual([
      { type: 'ROLE', channel: '#dev', user: '@jane', role: 'owner', by: '-' },
      { type: 'ROLE', channel: '#dev', user: '@kim', role: 'op', by: '-' },
    ]);
    expect(kicked).toEqual([
      { type: 'ROLE', channel: '#dev', user: '@kim', role: 'op', by: '@jane' },
      { type: 'KICKED', channel: '#dev', user: '@troll', by: '@jane', reason: 'spam, twice' },
      { type: 'BANNED', channel: '#ops', user: '@x', by: '@y', reason: '' },
    ]);
  });

  it('lists bans and one\'s own roles; a ROLE told while ROLES waits is an event, not part of the answer', async () => {
    const { client, server, commands } = connect();
    const told: unknown[] = [];
    client.on('role', (e) => told.push(e));
    const bans = client.bans('#dev');
    const mine = client.myRoles();
    expect(commands()).toEqual([{ type: 'BANS', channel: '#dev' }, { type: 'ROLES' }]);
    server('BAN #dev @troll @jane 2026-12-07T15:00:00.000Z link farming\r\nBAN #dev @lee - -\r\nEND BANS 2\r\n');
    expect(await bans).toEqual([
      { type: 'BAN', channel: '#dev', user: '@troll', by: '@jane', ts: '2026-12-07T15:00:00.000Z', reason: 'link farming' },
      { type: 'BAN', channel: '#dev', user: '@lee', by: '-', ts: '-', reason: '' },
    ]);
    server('ROLE #ops @root op @kim\r\nROLE - @root admin -\r\nROLE #dev @root owner -\r\nEND ROLES 2\r\n');
    expect(await mine).toEqual([
      { type: 'ROLE', channel: '-', user: '@root', role: 'admin', by: '-' },
      { type: 'ROLE', channel: '#dev', user: '@root', role: 'owner', by: '-' },
    ]);
    expect(told).toEqual([{ type: 'ROLE', channel: '#ops', user: '@root', role: 'op', by: '@kim' }]);
  });
});

describe('SlckClient: blocks (BLOCK, UNBLOCK, BLOCKS)', () => {
  it('lists the blocked users, blocks and unblocks; another device\'s BLOCKED before the reply and UNBLOCKED are events', async () => {
    const { client, server, commands, events } = connect();
    const blocked = client.block('@troll', true);
    const unblocked = client.block('@kim', false);
    expect(commands()).toEqual([{ type: 'BLOCK', handle: '@troll' }, { type: 'UNBLOCK', handle: '@kim' }]);
    server('OK\r\nOK\r\n');
    await expect(blocked).resolves.toBeUndefined();
    await expect(unblocked).resolves.toBeUndefined();
    const all = client.blocks();
    server('BLOCKED @spam\r\nBLOCKED @troll\r\nBLOCKED @Zed\r\nEND BLOCKS 2\r\nUNBLOCKED @spam\r\n');
    expect(await all).toEqual(['@troll', '@Zed']);
    expect(events).toEqual([
      ['blocked', { type: 'BLOCKED', user: '@spam' }],
      ['unblocked', { type: 'UNBLOCKED', user: '@spam' }],
    ]);
  });
});

describe('SlckClient: HISTORY', () => {
  const msg = (id: number, from: string, text: string) => `MSG #general ${from} ${id} ${TS} ${utf8(text).length}\r\n${text}\r\n`;

  it('sends its options and resolves with the replayed messages, oldest first', async () => {
    const { client, server, commands, events } = connect();
    const history = client.history('#general', { limit: 2, before: 50 });
    expect(commands()).toEqual([{ type: 'HISTORY', target: '#general', limit: 2, before: 50 }]);
    server(msg(41, '@jane', 'Hello') + msg(42, '@john', 'Hey') + 'END HISTORY 2\r\n', 'bytes');
    const got = await history;
    expect(got.map((m) => [m.id, m.from, new TextDecoder().decode(m.body)])).toEqual([
      [41, '@jane', 'Hello'],
      [42, '@john', 'Hey'],
    ]);
    expect(events).toEqual([]);
  });

  it('asks for the messages around an id (a permalink), and resolves with them oldest first', async () => {
    const { client, server, commands } = connect();
    const history = client.history('#general', { limit: 3, around: 42 });
    expect(commands()).toEqual([{ type: 'HISTORY', target: '#general', limit: 3, around: 42 }]);
    server(msg(41, '@jane', 'Hello') + msg(42, '@john', 'Hey') + msg(43, '@jane', 'Hi') + 'END HISTORY 3\r\n');
    expect((await history).map((m) => m.id)).toEqual([41, 42, 43]);
  });

  it('MSG frames that arrived before the reply began are live messages, not history', async () => {
    const { client, server, events } = connect();
    const history = client.history('#general', { limit: 2 });
    // Two live deliveries arrive before the server starts answering, then the two of history.
    server(msg(43, '@john', 'live one') + msg(44, '@jane', 'live two'));
    expect(events).toEqual([]);
    server(msg(41, '@jane', 'Hello') + msg(42, '@john', 'Hey') + 'END HISTORY 2\r\n');
    expect((await history).map((m) => m.id)).toEqual([41, 42]);
    expect(events.map(([name, e]) => [name, (e as { id: number }).id])).toEqual([
      ['message', 43],
      ['message', 44],
    ]);
  });

  it('a refused HISTORY hands on, as live messages, what arrived while it waited', async () => {
    const { client, server, events } = connect();
    const history = outcome(client.history('#random'));
    server(msg(43, '@john', 'live') + 'ERR NOT_MEMBER Join #random to read its history\r\n');
    expect((await history).ok).toBe(false);
    expect(events.map(([name, e]) => [name, (e as { id: number }).id])).toEqual([['message', 43]]);
  });

  it('BYE while HISTORY waits: what it held was live, and is reported before the bye', async () => {
    const { client, server, events } = connect();
    const history = outcome(client.history('#general'));
    server(msg(43, '@john', 'last words') + 'BYE SHUTDOWN Server is shutting down\r\n');
    expect((await history).ok).toBe(false);
    expect(events.map(([name]) => name)).toEqual(['message', 'bye']);
  });

  it('with no HISTORY waiting, every MSG is a live message', () => {
    const { server, events } = connect();
    server(msg(12, '@john', 'Hello'));
    expect(events).toMatchObject([['message', { type: 'MSG', target: '#general', from: '@john', id: 12, ts: TS, body: utf8('Hello') }]]);
  });
});

describe('SlckClient: errors and the end of a connection', () => {
  it('ERR rejects that command with a ServerError carrying the code; the rest still match', async () => {
    const { client, server } = connect();
    const reg = outcome(client.reg('@jane'));
    const join = client.join('general');
    const chns = client.chns();
    server('ERR HANDLE_TAKEN @jane is already online\r\nERR BAD_CHANNEL Channel must begin with #\r\nCHN #general 1\r\nEND CHNS 1\r\n');
    const r = await reg;
    expect(r.ok).toBe(false);
    expect(r.ok ? null : r.error).toBeInstanceOf(ServerError);
    expect(r.ok ? null : r.error).toMatchObject({ code: 'HANDLE_TAKEN', message: '@jane is already online' });
    await expect(join).rejects.toMatchObject({ name: 'ServerError', code: 'BAD_CHANNEL', message: 'Channel must begin with #' });
    await expect(chns).resolves.toEqual([{ channel: '#general', members: 1 }]);
  });

  it('an ERR of a HISTORY rejects it', async () => {
    const { client, server } = connect();
    const history = client.history('#random');
    server('ERR NOT_MEMBER Join #random to read its history\r\n');
    await expect(history).rejects.toMatchObject({ code: 'NOT_MEMBER' });
  });

  it('BYE rejects everything pending, and reports the bye', async () => {
    const { client, server, events } = connect();
    const join = client.join('#random');
    const chns = client.chns();
    server('CHN #general 2\r\n');
    server('BYE SHUTDOWN Server is shutting down\r\n');
    await expect(join).rejects.toMatchObject({ name: 'ServerError', code: 'DISCONNECTED' });
    await expect(chns).rejects.toMatchObject({ name: 'ServerError', code: 'DISCONNECTED' });
    expect(client.inFlight).toBe(0);
    expect(events).toEqual([['bye', { type: 'BYE', reason: 'SHUTDOWN', text: 'Server is shutting down' }]]);
  });

  it('QUIT resolves on BYE QUIT; what was sent after it is rejected', async () => {
    const { client, server } = connect();
    const quit = client.quit();
    const time = client.time();
    server('BYE QUIT Goodbye @jane\r\n');
    await expect(quit).resolves.toBeUndefined();
    await expect(time).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });

  it('reset (the transport closed) rejects pending commands and forgets a half-read frame', async () => {
    const { client, server } = connect();
    const time = client.time();
    server('TIME 2026-11-22');
    client.reset();
    await expect(time).rejects.toMatchObject({ code: 'DISCONNECTED', message: 'Connection closed' });
    const ping = client.ping();
    server('PONG\r\n');
    await expect(ping).resolves.toBeUndefined();
  });

  it('a send that throws rejects that command, and the next reply goes to the next command', async () => {
    let fail = true;
    const client = new SlckClient(() => {
      if (fail) throw new Error('socket is closed');
    });
    await expect(client.time()).rejects.toThrow('socket is closed');
    expect(client.inFlight).toBe(0);
    fail = false;
    const ping = client.ping('x');
    client.receive(utf8('PONG x\r\n'));
    await expect(ping).resolves.toBeUndefined();
  });

  it('a frame it cannot read is an error event, and the stream goes on', async () => {
    const { client, server, events } = connect();
    const ping = client.ping('x');
    server('WHAT is this\r\nPONG x\r\n');
    await expect(ping).resolves.toBeUndefined();
    expect(events.length).toBe(1);
    expect(events[0][0]).toBe('error');
    expect(events[0][1]).toBeInstanceOf(ProtocolError);
    expect(events[0][1]).toMatchObject({ code: 'UNKNOWN_COMMAND' });
  });

  it('an ERR with nothing pending is an error event', () => {
    const { server, events } = connect();
    server('ERR BAD_SYNTAX Usage: PING [token]\r\n');
    expect(events).toMatchObject([['error', { code: 'BAD_SYNTAX' }]]);
  });
});

describe('SlckClient: events', () => {
  it('reports each unasked frame, and a listener can be removed', () => {
    const { client, server, events } = connect();
    server(
      'HELLO slck 0.1.0 c1 Welcome to SLCK. REG @handle to start, HELP for commands.\r\n' +
        'ONLINE @john\r\nJOINED #general @john\r\nLEFT #general @john\r\nOFFLINE @john\r\nNOTICE Maintenance at noon\r\n',
    );
    expect(events).toEqual([
      ['hello', { type: 'HELLO', server: 'slck', version: '0.1.0', clientId: 'c1', text: 'Welcome to SLCK. REG @handle to start, HELP for commands.' }],
      ['online', { type: 'ONLINE', user: '@john' }],
      ['joined', { type: 'JOINED', channel: '#general', user: '@john' }],
      ['left', { type: 'LEFT', channel: '#general', user: '@john' }],
      ['offline', { type: 'OFFLINE', user: '@john' }],
      ['notice', { type: 'NOTICE', text: 'Maintenance at noon' }],
    ]);
    const notices: string[] = [];
    const off = client.on('notice', (n) => notices.push(n.text));
    server('NOTICE one\r\n');
    off();
    server('NOTICE two\r\n');
    expect(notices).toEqual(['one']);
  });
});

describe('SlckClient: read state', () => {
  it('UNREAD gathers its lines; READ is answered OK; a READ from another device is an event', async () => {
    const { client, commands, server, events } = connect();
    const list = client.unread();
    const read = client.read('#dev', 43);
    expect(commands()).toEqual([{ type: 'UNREAD' }, { type: 'READ', target: '#dev', id: 43 }]);
    server('UNREAD #dev 3 1 40 43\r\nREAD #dev 41\r\nUNREAD @kim 0 0 7 7\r\nEND UNREAD 2\r\nOK\r\n', 'bytes');
    expect(await list).toEqual([
      { target: '#dev', unread: 3, mentions: 1, readId: 40, lastId: 43 },
      { target: '@kim', unread: 0, mentions: 0, readId: 7, lastId: 7 },
    ]);
    await read;
    expect(events).toEqual([['read', { type: 'READ', target: '#dev', id: 41 }]]);
  });
});
