/**
 * SlckClient's SEARCH (issue 18), driven through `search()` with a send function that records
 * what it writes, fed server bytes as a transport hands them over: FOUND lines are the reply's
 * data lines, never live messages; `more` pages on with the same query before that time; a
 * query the server would refuse is refused before anything is sent.
 */
import { describe, expect, it } from 'vitest';
import { SlckClient, ServerError, type ClientEvents } from './client.ts';
import type { Command } from './frames.ts';
import { chunksOf, type Chunking, concat, parseCommands, utf8 } from './test-support.ts';

const TS = '2026-12-07T14:50:00.000Z';
const OLDER = '2026-11-20T08:30:00.000Z';

function connect() {
  const sent: Uint8Array[] = [];
  const client = new SlckClient((bytes) => sent.push(bytes.slice()));
  const events: Array<[keyof ClientEvents, unknown]> = [];
  for (const name of ['message', 'reply', 'edit', 'error'] as const) client.on(name, (e) => events.push([name, e]));
  return {
    client,
    events,
    commands: (): Command[] => parseCommands(concat(sent)) as Command[],
    server: (text: string, how: Chunking = 'whole') => {
      for (const chunk of chunksOf(utf8(text), how)) client.receive(chunk);
    },
  };
}

const len = (s: string) => utf8(s).length;
const found = (target: string, from: string, id: number, ts: string, text: string) => `FOUND ${target} ${from} ${id} ${ts} ${len(text)}\r\n${text}\r\n`;
const msg = (id: number, text: string) => `MSG #dev @kim ${id} ${TS} ${len(text)}\r\n${text}\r\n`;

describe('SlckClient: SEARCH', () => {
  it.each([
    ['in one chunk', 'whole'],
    ['byte by byte', 'bytes'],
  ] as Array<[string, Chunking]>)('sends the query as typed and gathers FOUND lines, newest first, with where to page on (%s)', async (_name, how) => {
    const { client, commands, server, events } = connect();
    const page = client.search('  Deploy  "release notes" in:#dev ');
    expect(commands()).toEqual([
      { type: 'SEARCH', query: { words: ['deploy'], phrases: ['release notes'], excluded: [], in: '#dev' }, text: 'Deploy  "release notes" in:#dev' },
    ]);
    server(found('#dev', '@jane', 48, TS, 'Deploy the release notes') + found('#dev', '@bob', 12, OLDER, 'release notes: deploy\nlater') + `END SEARCH 2 MORE ${OLDER}\r\n`, how);
    await expect(page).resolves.toEqual({
      found: [
        { type: 'FOUND', target: '#dev', from: '@jane', id: 48, ts: TS, body: utf8('Deploy the release notes') },
        { type: 'FOUND', target: '#dev', from: '@bob', id: 12, ts: OLDER, body: utf8('release notes: deploy\nlater') },
      ],
      more: OLDER,
    });
    expect(events).toEqual([]);
  });

  it('the next page is the same query before the oldest result\'s time, in place of its own before:', async () => {
    const { client, commands, server } = connect();
    const page = client.search('deploy before:2026-12-01 from:@kim', OLDER);
    expect(commands()).toEqual([
      { type: 'SEARCH', query: { words: ['deploy'], phrases: [], excluded: [], from: '@kim', before: OLDER }, text: `deploy from:@kim before:${OLDER}` },
    ]);
    server('END SEARCH 0\r\n');
    await expect(page).resolves.toEqual({ found: [] });
  });

  it('messages that arrive while it waits are live messages, not results', async () => {
    const { client, server, events } = connect();
    const page = client.search('deploy');
    server(msg(50, 'deploy now?') + found('@jane', '@kim', 7, TS, 'deploy') + 'END SEARCH 1\r\n');
    await expect(page).resolves.toMatchObject({ found: [{ type: 'FOUND', target: '@jane', id: 7 }] });
    expect(events.map(([name, e]) => [name, (e as { id: number }).id])).toEqual([['message', 50]]);
  });

  it('a FOUND with no SEARCH waiting is dropped, never a message', () => {
    const { server, events } = connect();
    server(found('#dev', '@jane', 48, TS, 'stray') + msg(51, 'hi'));
    expect(events.map(([name]) => name)).toEqual(['message']);
  });

  it('a refused SEARCH rejects with the server\'s code; the next command still gets its reply', async () => {
    const { client, server } = connect();
    const page = client.search('deploy in:#secret');
    const time = client.time();
    server('ERR NOT_MEMBER Join #secret to read its history\r\n' + `TIME ${TS}\r\n`);
    await expect(page).rejects.toMatchObject({ code: 'NOT_MEMBER' });
    await expect(time).resolves.toBe(TS);
  });

  it('a query the server would refuse is refused here, with its error, and nothing is sent', async () => {
    const { client, commands } = connect();
    await expect(client.search('"release notes')).rejects.toEqual(new ServerError('BAD_SYNTAX', 'A "phrase" is missing its closing quote'));
    await expect(client.search('from:alice')).rejects.toMatchObject({ code: 'BAD_HANDLE' });
    expect(commands()).toEqual([]);
    expect(client.inFlight).toBe(0);
  });
});
