/**
 * Client -> server commands (docs/PROTOCOL.md section 2), both ways: the exact bytes a
 * client sends decode to the command, and encoding the command gives those exact bytes.
 */
import { describe, expect, it } from 'vitest';
import { encodeCommand, encodeMsg } from './encode.ts';
import type { Command } from './frames.ts';
import { parseCommands, plain, utf8 } from './test-support.ts';

const body = (s: string) => utf8(s);

/** Canonical wire form <-> command. Every command of section 2 is here, most from its examples. */
const canonical: Array<[wire: string, command: Command]> = [
  ['REG @jane\r\n', { type: 'REG', handle: '@jane' }],
  ['REG @jane s3cret\r\n', { type: 'REG', handle: '@jane', password: 's3cret' }],
  ['JOIN #random\r\n', { type: 'JOIN', channel: '#random' }],
  ['LEAVE #random\r\n', { type: 'LEAVE', channel: '#random' }],
  ['MSG @john 3\r\nHey\r\n', { type: 'MSG', target: '@john', body: body('Hey') }],
  ['MSG #general 5\r\nHello\r\n', { type: 'MSG', target: '#general', body: body('Hello') }],
  ["MSG #general 8\r\nI'm mute\r\n", { type: 'MSG', target: '#general', body: body("I'm mute") }],
  ['MSG #general 6\r\nhéllo\r\n', { type: 'MSG', target: '#general', body: body('héllo') }],
  ['CHNS\r\n', { type: 'CHNS' }],
  ['CHNS 100\r\n', { type: 'CHNS', limit: 100 }],
  ['CHNS 100 after #random\r\n', { type: 'CHNS', limit: 100, after: '#random' }],
  ['CHNS after #random\r\n', { type: 'CHNS', after: '#random' }],
  ['USRS\r\n', { type: 'USRS' }],
  ['USRS #general\r\n', { type: 'USRS', channel: '#general' }],
  ['HISTORY #general 2\r\n', { type: 'HISTORY', target: '#general', limit: 2 }],
  ['HISTORY #random\r\n', { type: 'HISTORY', target: '#random' }],
  ['HISTORY @john 10 before 42\r\n', { type: 'HISTORY', target: '@john', limit: 10, before: 42 }],
  ['HISTORY #general after 41\r\n', { type: 'HISTORY', target: '#general', after: 41 }],
  ['HISTORY #general 20 around 1234\r\n', { type: 'HISTORY', target: '#general', limit: 20, around: 1234 }],
  ['HISTORY @john around 7\r\n', { type: 'HISTORY', target: '@john', around: 7 }],
  ['READ #general 42\r\n', { type: 'READ', target: '#general', id: 42 }],
  ['READ @john 0\r\n', { type: 'READ', target: '@john', id: 0 }],
  ['UNREAD\r\n', { type: 'UNREAD' }],
  ['PREFS\r\n', { type: 'PREFS' }],
  ['PREF mute:#dev 1\r\n', { type: 'PREF', key: 'mute:#dev', value: '1' }],
  ['PREF mute:@bob\r\n', { type: 'PREF', key: 'mute:@bob' }],
  ['PREF web.theme dark, high contrast\r\n', { type: 'PREF', key: 'web.theme', value: 'dark, high contrast' }],
  ['PASSWORD n3w-secret\r\n', { type: 'PASSWORD', next: 'n3w-secret' }],
  ['PASSWORD old-secret n3w-secret\r\n', { type: 'PASSWORD', current: 'old-secret', next: 'n3w-secret' }],
  ['TOPIC #dev\r\n', { type: 'TOPIC', channel: '#dev' }],
  ['TOPIC #dev Release on Friday, 10:00 UTC\r\n', { type: 'TOPIC', channel: '#dev', text: 'Release on Friday, 10:00 UTC' }],
  ['TOPIC #dev -\r\n', { type: 'TOPIC', channel: '#dev', text: '-' }],
  ['RESUME @jane Xq3vY6c0nJxZr2b7Gm8tQe1LwA4sUoKdHfTyPiVz9aE\r\n', { type: 'RESUME', handle: '@jane', token: 'Xq3vY6c0nJxZr2b7Gm8tQe1LwA4sUoKdHfTyPiVz9aE' }],
  ['TOKEN\r\n', { type: 'TOKEN' }],
  ['SIGNOUT\r\n', { type: 'SIGNOUT', all: false }],
  ['SIGNOUT ALL\r\n', { type: 'SIGNOUT', all: true }],
  ['BLOCK @troll\r\n', { type: 'BLOCK', handle: '@troll' }],
  ['UNBLOCK @Troll\r\n', { type: 'UNBLOCK', handle: '@Troll' }],
  ['BLOCKS\r\n', { type: 'BLOCKS' }],
  ['OP #dev @kim\r\n', { type: 'OP', channel: '#dev', handle: '@kim' }],
  ['DEOP #dev @kim\r\n', { type: 'DEOP', channel: '#dev', handle: '@kim' }],
  ['OWNER #dev @kim\r\n', { type: 'OWNER', channel: '#dev', handle: '@kim' }],
  ['KICK #dev @troll\r\n', { type: 'KICK', channel: '#dev', handle: '@troll' }],
  ['KICK #dev @troll spam, twice\r\n', { type: 'KICK', channel: '#dev', handle: '@troll', reason: 'spam, twice' }],
  ['BAN #dev @troll link  farming\r\n', { type: 'BAN', channel: '#dev', handle: '@troll', reason: 'link  farming' }],
  ['UNBAN #dev @troll\r\n', { type: 'UNBAN', channel: '#dev', handle: '@troll' }],
  ['SUSPEND @troll\r\n', { type: 'SUSPEND', handle: '@troll' }],
  ['SUSPEND @troll spam everywhere\r\n', { type: 'SUSPEND', handle: '@troll', reason: 'spam everywhere' }],
  ['UNSUSPEND @troll\r\n', { type: 'UNSUSPEND', handle: '@troll' }],
  ['MODLOG\r\n', { type: 'MODLOG' }],
  ['ROLES #dev\r\n', { type: 'ROLES', channel: '#dev' }],
  ['ROLES\r\n', { type: 'ROLES' }],
  ['BANS #dev\r\n', { type: 'BANS', channel: '#dev' }],
  ['MODLOG 200\r\n', { type: 'MODLOG', limit: 200 }],
  ['DELETE #dev 12 off topic\r\n', { type: 'DELETE', target: '#dev', id: 12, reason: 'off topic' }],
  ['CREATE #dev\r\n', { type: 'CREATE', channel: '#dev', private: false }],
  ['CREATE #Plans private\r\n', { type: 'CREATE', channel: '#Plans', private: true }],
  ['INVITE #plans @bob\r\n', { type: 'INVITE', channel: '#plans', handle: '@bob' }],
  ['MUTE\r\n', { type: 'MUTE' }],
  ['UNMUTE\r\n', { type: 'UNMUTE' }],
  ['HELP\r\n', { type: 'HELP' }],
  ['TIME\r\n', { type: 'TIME' }],
  ['PING abc\r\n', { type: 'PING', token: 'abc' }],
  ['PING\r\n', { type: 'PING' }],
  ['QUIT\r\n', { type: 'QUIT' }],
];

describe('client commands: canonical wire form', () => {
  it.each(canonical)('decodes %j', (wire, command) => {
    expect(plain(parseCommands(wire))).toEqual(plain([command]));
  });

  it.each(canonical)('encodes to %j', (wire, command) => {
    expect(encodeCommand(command)).toEqual(utf8(wire));
  });

  it('encodeMsg counts the body in bytes, not characters', () => {
    expect(encodeMsg('#general', 'héllo')).toEqual(utf8('MSG #general 6\r\nhéllo\r\n'));
    expect(encodeMsg('@john', utf8('Hey'))).toEqual(utf8('MSG @john 3\r\nHey\r\n'));
  });

  it('a body may hold CR, LF and NUL: only the length frames it', () => {
    const cmd: Command = { type: 'MSG', target: '#general', body: utf8('a\r\nb\nc\rd\0') };
    const wire = encodeCommand(cmd);
    expect(wire).toEqual(utf8('MSG #general 9\r\na\r\nb\nc\rd\0\r\n'));
    expect(plain(parseCommands(wire))).toEqual(plain([cmd]));
  });
});

/** Other ways a person or a program may write the same command. */
const variants: Array<[label: string, wire: string, command: Command]> = [
  ['lower-case verb', 'join #random\r\n', { type: 'JOIN', channel: '#random' }],
  ['mixed-case verb', 'Join #random\r\n', { type: 'JOIN', channel: '#random' }],
  ['lower-case MSG', 'msg #general 5\r\nHello\r\n', { type: 'MSG', target: '#general', body: body('Hello') }],
  ['mixed-case MSG', 'mSg #general 5\r\nHello\r\n', { type: 'MSG', target: '#general', body: body('Hello') }],
  ['LF line ends (nc)', 'MSG #general 5\nHello\n', { type: 'MSG', target: '#general', body: body('Hello') }],
  ['body without a line end', 'MSG #general 5\r\nHello', { type: 'MSG', target: '#general', body: body('Hello') }],
  ['body ended by a lone CR', 'MSG #general 5\r\nHello\r', { type: 'MSG', target: '#general', body: body('Hello') }],
  ['body holding CRLF', 'MSG #general 6\r\nHi\r\nYo\r\n', { type: 'MSG', target: '#general', body: body('Hi\r\nYo') }],
  ['seed one-line form', 'MSG #general 5\\r\\nHello\r\n', { type: 'MSG', target: '#general', body: body('Hello') }],
  ['seed one-line form with LF', 'MSG #general 5\\r\\nHello\n', { type: 'MSG', target: '#general', body: body('Hello') }],
  ['seed one-line form, bytes not characters', 'MSG #general 6\\r\\nhéllo\r\n', { type: 'MSG', target: '#general', body: body('héllo') }],
  ['seed one-line form keeps spaces', 'MSG #general 6\\r\\n Hi  x\r\n', { type: 'MSG', target: '#general', body: body(' Hi  x') }],
  ['seed one-line form keeps trailing spaces', 'MSG #general 4\\r\\nHi  \r\n', { type: 'MSG', target: '#general', body: body('Hi  ') }],
  ['seed one-line form to a user', 'msg @john 3\\r\\nHey\n', { type: 'MSG', target: '@john', body: body('Hey') }],
  ['tabs and runs of spaces', '  JOIN \t #random \t \r\n', { type: 'JOIN', channel: '#random' }],
  ['tabs in MSG', 'MSG\t#general\t5\r\nHello', { type: 'MSG', target: '#general', body: body('Hello') }],
  ['length with leading zeros', 'MSG #general 005\r\nHello', { type: 'MSG', target: '#general', body: body('Hello') }],
  ['names keep their case', 'REG @Jane\r\n', { type: 'REG', handle: '@Jane' }],
  ['SAY: the rest of the line is the body', 'SAY #general Hello there\r\n', { type: 'MSG', target: '#general', body: body('Hello there'), said: true }],
  ['SAY to a user, any case, LF', 'say @john  hi,  you\n', { type: 'MSG', target: '@john', body: body('hi,  you'), said: true }],
  ['SAY keeps bytes, drops trailing spaces', 'SAY\t#general héllo  \r\n', { type: 'MSG', target: '#general', body: body('héllo'), said: true }],
  ['SAY then more commands', 'SAY #general 5\r\n', { type: 'MSG', target: '#general', body: body('5'), said: true }],
  ['MODE asks which', 'MODE\r\n', { type: 'MODE' }],
  ['MODE text, any case', 'mode TEXT\r\n', { type: 'MODE', mode: 'text' }],
  ['MODE exact', 'MODE exact\n', { type: 'MODE', mode: 'exact' }],
  ['HELP ignores what follows', 'help me please\r\n', { type: 'HELP' }],
  ['a leading / (IRC, Slack)', '/join #dev\r\n', { type: 'JOIN', channel: '#dev' }],
  ['a leading / on MSG, the body framed as ever', '/msg #general 5\r\nHello\r\n', { type: 'MSG', target: '#general', body: body('Hello') }],
  ['a leading / on the one-line MSG form', '/MSG #general 5\\r\\nHello\r\n', { type: 'MSG', target: '#general', body: body('Hello') }],
  ['a leading / after spaces', '  /quit\r\n', { type: 'QUIT' }],
  ['a leading / on REG', '/reg @jane s3cret\r\n', { type: 'REG', handle: '@jane', password: 's3cret' }],
  ['PREF value keeps inner spaces and UTF-8, drops trailing ones', 'pref note:x  é  tú  \r\n', { type: 'PREF', key: 'note:x', value: 'é  tú' }],
  ['PREF key of 64 characters, value of 256 bytes', `PREF ${'k'.repeat(64)} ${'é'.repeat(128)}\r\n`, { type: 'PREF', key: 'k'.repeat(64), value: 'é'.repeat(128) }],
  ['PREF key of every allowed character', 'PREF aZ09_.:#@-\r\n', { type: 'PREF', key: 'aZ09_.:#@-' }],
  ['HISTORY limit is capped', 'HISTORY #general 600\r\n', { type: 'HISTORY', target: '#general', limit: 500 }],
  ['CHNS limit is capped', 'CHNS 9999\r\n', { type: 'CHNS', limit: 500 }],
  ['CHNS after in any case', 'chns 5 AFTER #Random\r\n', { type: 'CHNS', limit: 5, after: '#Random' }],
  ['HISTORY direction in any case', 'history #general BEFORE 7\r\n', { type: 'HISTORY', target: '#general', before: 7 }],
  ['HISTORY around in any case', 'history #general 5 Around 9\r\n', { type: 'HISTORY', target: '#general', limit: 5, around: 9 }],
  ['PING token is cut to 64 characters', `PING ${'t'.repeat(70)}\r\n`, { type: 'PING', token: 't'.repeat(64) }],
  ['PING token is cut between characters, not inside one', `PING ${'a'.repeat(63)}😀😀\r\n`, { type: 'PING', token: `${'a'.repeat(63)}😀` }],
  ['password with a trailing NBSP', 'REG @jane pass\u00a0\r\n', { type: 'REG', handle: '@jane', password: 'pass\u00a0' }],
  ['password of 128 bytes', `REG @jane ${'p'.repeat(128)}\r\n`, { type: 'REG', handle: '@jane', password: 'p'.repeat(128) }],
  ['names of 32 characters', `JOIN #${'c'.repeat(32)}\r\n`, { type: 'JOIN', channel: `#${'c'.repeat(32)}` }],
  ['name characters', 'JOIN #a-b_c.9Z\r\n', { type: 'JOIN', channel: '#a-b_c.9Z' }],
];

describe('client commands: accepted variants', () => {
  it.each(variants)('%s', (_label, wire, command) => {
    expect(plain(parseCommands(wire))).toEqual(plain([command]));
  });
});

describe('client commands: lines that are ignored', () => {
  it.each([
    ['empty LF line', '\n'],
    ['empty CRLF line', '\r\n'],
    ['spaces only', '   \r\n'],
    ['tabs and spaces', ' \t \t\n'],
    ['several blank lines', '\r\n\n \r\n\t\n'],
  ])('%s', (_label, wire) => {
    expect(parseCommands(wire + 'PING x\r\n')).toEqual([{ type: 'PING', token: 'x' }]);
  });
});

describe('the spec transcript of section 1', () => {
  it('reads every command the client sends, in order', () => {
    const sent = 'REG @jane\r\nMSG #dev 5\r\nHello\r\njoin #dev\r\nMSG #dev 5\\r\\nHello\r\n';
    expect(plain(parseCommands(sent))).toEqual(
      plain([
        { type: 'REG', handle: '@jane' },
        { type: 'MSG', target: '#dev', body: body('Hello') },
        { type: 'JOIN', channel: '#dev' },
        { type: 'MSG', target: '#dev', body: body('Hello') },
      ]),
    );
  });
});
