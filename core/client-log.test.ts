/**
 * SlckClient and a conversation's log (issue 17): threads, edits, deletes, reactions and
 * typing, driven through its public methods with a send function that records what it writes
 * and fed server bytes the way a transport hands them over. The hold rule of HISTORY (live
 * frames that arrive while a reply is pending; END counts frames, never state lines) holds
 * for every logged frame, and for THREAD.
 */
import { describe, expect, it } from 'vitest';
import { SlckClient, type ClientEvents } from './client.ts';
import type { Command } from './frames.ts';
import { chunksOf, type Chunking, concat, parseCommands, utf8 } from './test-support.ts';

const TS = '2026-12-07T14:50:00.000Z';

function connect() {
  const sent: Uint8Array[] = [];
  const client = new SlckClient((bytes) => sent.push(bytes.slice()));
  const events: Array<[keyof ClientEvents, unknown]> = [];
  for (const name of ['message', 'reply', 'edit', 'delete', 'react', 'unreact', 'typing', 'bye', 'error'] as const) {
    client.on(name, (e) => events.push([name, e]));
  }
  return {
    client,
    events,
    /** [event, id] of each event so far (a typing event has no id: its user instead). */
    seen: () => events.map(([name, e]) => [name, (e as { id?: number; from?: string }).id ?? (e as { from?: string }).from]),
    commands: (): Command[] => parseCommands(concat(sent)) as Command[],
    server: (text: string, how: Chunking = 'whole') => {
      for (const chunk of chunksOf(utf8(text), how)) client.receive(chunk);
    },
  };
}

const len = (s: string) => utf8(s).length;
const msg = (id: number, text: string, from = '@jane') => `MSG #dev ${from} ${id} ${TS} ${len(text)}\r\n${text}\r\n`;
const reply = (id: number, root: number, text: string, also = '') => `REPLY #dev @bob ${id} ${TS} ${root} ${len(text)}${also}\r\n${text}\r\n`;
const edit = (id: number, of: number, text: string) => `EDIT #dev @jane ${id} ${TS} ${of} ${len(text)}\r\n${text}\r\n`;
const react = (id: number, of: number) => `REACT #dev @kim ${id} ${TS} ${of} 👍\r\n`;

describe('SlckClient: the commands of issue 17', () => {
  it('sends each command and resolves with what its OK says', async () => {
    const { client, server, commands } = connect();
    const done = Promise.all([
      client.reply('#dev', 41, 'On it', true),
      client.edit('#dev', 41, 'Hello, all!'),
      client.delete('#dev', 41),
      client.react('#dev', 41, ':+1:'),
      client.unreact('#dev', 41, '👍'),
      client.react('#dev', 41, '👍'),
      client.typing('#dev'),
      client.typingEvents(false),
      client.readThread('#dev', 41, 45),
    ]);
    server(`OK 45 ${TS}\r\nOK 46 ${TS}\r\nOK 47 ${TS}\r\nOK 48 ${TS}\r\nOK 49 ${TS}\r\nOK\r\nOK\r\nOK\r\nOK\r\n`, 'bytes');
    expect(await done).toEqual([{ id: 45, ts: TS }, { id: 46, ts: TS }, { id: 47, ts: TS }, { id: 48, ts: TS }, { id: 49, ts: TS }, null, undefined, undefined, undefined]);
    expect(commands()).toEqual([
      { type: 'REPLY', target: '#dev', root: 41, body: utf8('On it'), also: true },
      { type: 'EDIT', target: '#dev', id: 41, body: utf8('Hello, all!') },
      { type: 'DELETE', target: '#dev', id: 41 },
      { type: 'REACT', target: '#dev', id: 41, reaction: '👍' },
      { type: 'UNREACT', target: '#dev', id: 41, reaction: '👍' },
      { type: 'REACT', target: '#dev', id: 41, reaction: '👍' },
      { type: 'TYPING', target: '#dev' },
      { type: 'TYPING', watch: false },
      { type: 'READ', target: '#dev', id: 45, thread: 41 },
    ]);
  });

  it('THREADS gathers its FOLLOWING lines', async () => {
    const { client, server } = connect();
    const threads = client.threads();
    server(`FOLLOWING #dev 41 2 1 0 46 ${TS}\r\nFOLLOWING @bob 3 1 0 0 4 ${TS}\r\nEND THREADS 2\r\n`);
    expect((await threads).map((f) => [f.target, f.root, f.unread])).toEqual([['#dev', 41, 1], ['@bob', 3, 0]]);
  });
});

describe('SlckClient: logged frames live', () => {
  it('each arrives as its event, in order; TYPING too', () => {
    const { server, seen } = connect();
    server(msg(41, 'Hi') + reply(42, 41, 'yo') + edit(43, 41, 'Hi all') + react(44, 41) + `UNREACT #dev @kim 45 ${TS} 41 👍\r\n` + `DELETE #dev @jane 46 ${TS} 41\r\n` + 'TYPING #dev @bob\r\n', 'bytes');
    expect(seen()).toEqual([['message', 41], ['reply', 42], ['edit', 43], ['react', 44], ['unreact', 45], ['delete', 46], ['typing', '@bob']]);
  });
});

describe('SlckClient: HISTORY pages with state lines', () => {
  it('historyPage gives the frames and their state lines; END counts frames, not state lines', async () => {
    const { client, server, events } = connect();
    const page = client.historyPage('#dev', { limit: 2 });
    server(msg(41, 'Hi all') + `EDITED #dev 41 ${TS}\r\nREACTION #dev 41 👍 @kim,@bob\r\nREPLIES #dev 41 1 42 ${TS} @bob\r\n` + msg(43, '') + 'DELETED #dev 43\r\nEND HISTORY 2\r\n', [5, 1]);
    const { frames, states } = await page;
    expect(frames.map((f) => [f.type, f.id])).toEqual([['MSG', 41], ['MSG', 43]]);
    expect(states.map((s) => s.type)).toEqual(['EDITED', 'REACTION', 'REPLIES', 'DELETED']);
    expect(events).toEqual([]);
  });

  it('history() still resolves with the MSG frames alone', async () => {
    const { client, server } = connect();
    const history = client.history('#dev');
    server(msg(41, 'Hi') + `EDITED #dev 41 ${TS}\r\n` + reply(42, 41, 'also here', ' ALSO') + 'END HISTORY 2\r\n');
    expect((await history).map((m) => m.id)).toEqual([41]);
  });

  it('logged frames of any kind that came before the reply began are live; state lines are the reply', async () => {
    const { client, server, seen } = connect();
    const page = client.historyPage('#dev', { limit: 2 });
    // Live, while the HISTORY waits: a reaction, an edit, a reply, a delete.
    server(react(50, 41) + edit(51, 41, 'x') + reply(52, 41, 'live') + `DELETE #dev @jane 53 ${TS} 44\r\n`);
    expect(seen()).toEqual([]);
    server(msg(41, 'x') + `EDITED #dev 41 ${TS}\r\nREACTION #dev 41 👍 @kim\r\n` + msg(42, 'y') + 'END HISTORY 2\r\n');
    expect((await page).frames.map((f) => f.id)).toEqual([41, 42]);
    expect(seen()).toEqual([['react', 50], ['edit', 51], ['reply', 52], ['delete', 53]]);
  });

  it('HISTORY after: a replay of the log, every kind of frame counted', async () => {
    const { client, server, seen } = connect();
    const page = client.historyPage('#dev', { after: 40 });
    expect(client.inFlight).toBe(1);
    server(msg(60, 'live') + msg(41, 'Hi all') + reply(42, 41, 'yo') + edit(43, 41, 'Hi all') + react(44, 41) + 'END HISTORY 4\r\n');
    expect((await page).frames.map((f) => [f.type, f.id])).toEqual([['MSG', 41], ['REPLY', 42], ['EDIT', 43], ['REACT', 44]]);
    expect(seen()).toEqual([['message', 60]]);
  });

  it('an empty reply: everything held was live', async () => {
    const { client, server, seen } = connect();
    const page = client.historyPage('#dev', { after: 99 });
    server(react(100, 41) + 'END HISTORY 0\r\n');
    expect((await page).frames).toEqual([]);
    expect(seen()).toEqual([['react', 100]]);
  });

  it('a refused HISTORY, or BYE while it waits: what it held was live', async () => {
    const { client, server, seen } = connect();
    const refused = client.historyPage('#secret').catch((e: Error) => e.message);
    server(edit(51, 41, 'x') + 'ERR NOT_MEMBER Join #secret to read its history\r\n');
    expect(await refused).toBe('Join #secret to read its history');
    const cut = client.historyPage('#dev').catch(() => 'cut');
    server(react(52, 41) + 'BYE SHUTDOWN Server is shutting down\r\n');
    expect(await cut).toBe('cut');
    expect(seen()).toEqual([['edit', 51], ['react', 52], ['bye', undefined]]);
  });
});

describe('SlckClient: THREAD', () => {
  it('asks for a thread and resolves with the root, its replies and their state lines', async () => {
    const { client, server, commands } = connect();
    const thread = client.thread('#dev', 41, 20);
    expect(commands()).toEqual([{ type: 'THREAD', target: '#dev', root: 41, limit: 20 }]);
    server(msg(41, 'Hi') + `REPLIES #dev 41 2 45 ${TS} @kim,@bob\r\n` + reply(42, 41, 'yo') + 'REACTION #dev 42 🎉 @jane\r\n' + reply(45, 41, 'ok', ' ALSO') + 'END THREAD 3\r\n', 'bytes');
    const { frames, states } = await thread;
    expect(frames.map((f) => [f.type, f.id])).toEqual([['MSG', 41], ['REPLY', 42], ['REPLY', 45]]);
    expect(states.map((s) => [s.type, s.id])).toEqual([['REPLIES', 41], ['REACTION', 42]]);
  });

  it('holds live frames as HISTORY does: those before the reply are events', async () => {
    const { client, server, seen } = connect();
    const thread = client.thread('#dev', 41);
    server(reply(46, 41, 'live') + msg(41, 'Hi') + reply(42, 41, 'yo') + 'END THREAD 2\r\n');
    expect((await thread).frames.map((f) => f.id)).toEqual([41, 42]);
    expect(seen()).toEqual([['reply', 46]]);
  });

  it('state lines with nothing pending are dropped, not reported', () => {
    const { server, events } = connect();
    server(`EDITED #dev 41 ${TS}\r\nDELETED #dev 42\r\n`);
    expect(events).toEqual([]);
  });
});
