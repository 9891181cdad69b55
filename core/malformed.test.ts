/**
 * Malformed client input (docs/PROTOCOL.md sections 7 and 8): each line gets exactly one
 * error with the right code, is never thrown, and the next valid command still parses.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors.ts';
import { Parser } from './parser.ts';
import { CommandDecoder } from './decode-command.ts';
import { COMMAND_LIMITS, LIMITS } from './limits.ts';
import type { Command } from './frames.ts';
import { type Chunking, codes, concat, parseCommands, raw, utf8 } from './test-support.ts';

const NEXT = 'PING next\r\n';
const long = (n: number) => 'a'.repeat(n);

/** [label, code, line]: each character of `line` is one byte ('\xff' is 0xFF). No line end: rows get CRLF, LF. */
const rows: Array<[label: string, code: string, line: string]> = [
  ['a line over 4,096 bytes', 'LINE_TOO_LONG', `JOIN #${long(5000)}`],
  ['a one-line MSG over the line limit', 'LINE_TOO_LONG', `MSG #general 4100\\r\\n${long(4100)}`],
  ['a non-numeric length', 'BAD_LENGTH', 'MSG #general abc'],
  ['a negative length', 'BAD_LENGTH', 'MSG #general -5'],
  ['a length of 0', 'BAD_LENGTH', 'MSG #general 0'],
  ['a missing length', 'BAD_LENGTH', 'MSG #general'],
  ['a fractional length', 'BAD_LENGTH', 'MSG #general 2.5'],
  ['a one-line body longer than its length', 'BAD_LENGTH', 'MSG #general 16\\r\\nHello everyone!!!'],
  ['a one-line body shorter than its length', 'BAD_LENGTH', 'MSG #general 18\\r\\nHello everyone!'],
  ['a one-line body that is empty', 'BAD_LENGTH', 'MSG #general 5\\r\\n'],
  ['a one-line length of 0', 'BAD_LENGTH', 'MSG #general 0\\r\\n'],
  ['a one-line length that is not a number', 'BAD_LENGTH', 'MSG #general five\\r\\nHello'],
  ['a length over the 1 MiB that is skipped', 'BODY_TOO_LARGE', 'MSG #general 1048577'],
  ['a huge length', 'BODY_TOO_LARGE', 'MSG #general 999999999999999999999999999999'],
  ['a huge one-line length', 'BODY_TOO_LARGE', 'MSG #general 70000\\r\\nHello'],
  ['an unknown verb', 'UNKNOWN_COMMAND', 'FOO bar'],
  ['a lone /', 'UNKNOWN_COMMAND', '/ join #dev'],
  ['two slashes', 'UNKNOWN_COMMAND', '//join #dev'],
  ['an unknown verb after /', 'UNKNOWN_COMMAND', '/jion #dev'],
  ['a server verb', 'UNKNOWN_COMMAND', 'HELLO there'],
  ['a verb glued to MSG', 'UNKNOWN_COMMAND', 'MSGS #general 5'],
  ['garbage', 'UNKNOWN_COMMAND', '@#!$%^&*()'],
  ['NUL bytes', 'UNKNOWN_COMMAND', '\0\0\0'],
  ['0xFF bytes', 'UNKNOWN_COMMAND', '\xff\xfe\xfd'],
  ['invalid UTF-8 after a verb-like start', 'UNKNOWN_COMMAND', 'JOIN\xc3 #general'],
  ['a lone CR', 'UNKNOWN_COMMAND', '\r\r'],
  ['REG without a handle', 'BAD_SYNTAX', 'REG'],
  ['SAY without text', 'BAD_SYNTAX', 'SAY #general'],
  ['SAY alone', 'BAD_SYNTAX', 'SAY'],
  ['MODE of an unknown kind', 'BAD_SYNTAX', 'MODE loud'],
  ['MODE with two words', 'BAD_SYNTAX', 'MODE text exact'],
  ['SAY to no one', 'BAD_TARGET', 'SAY general hello'],
  ['REG with three words', 'BAD_SYNTAX', 'REG @jane s3cret extra'],
  ['JOIN without a channel', 'BAD_SYNTAX', 'JOIN'],
  ['JOIN with two channels', 'BAD_SYNTAX', 'JOIN #a #b'],
  ['LEAVE without a channel', 'BAD_SYNTAX', 'leave'],
  ['MSG alone', 'BAD_SYNTAX', 'MSG'],
  ['MSG with a word after the length', 'BAD_SYNTAX', 'MSG #general 5 Hello'],
  ['USRS with two channels', 'BAD_SYNTAX', 'USRS #a #b'],
  ['HISTORY without a target', 'BAD_SYNTAX', 'HISTORY'],
  ['READ without an id', 'BAD_SYNTAX', 'READ #general'],
  ['READ with a non-numeric id', 'BAD_SYNTAX', 'READ #general latest'],
  ['READ with a negative id', 'BAD_SYNTAX', 'READ #general -1'],
  ['READ with an id of 16 digits', 'BAD_SYNTAX', 'READ #general 1234567890123456'],
  ['READ with a word too many', 'BAD_SYNTAX', 'READ #general 4 5'],
  ['READ of a name without a sigil', 'BAD_TARGET', 'READ general 4'],
  ['READ of a bad handle', 'BAD_HANDLE', 'READ @no! 4'],
  ['UNREAD with an argument', 'BAD_SYNTAX', 'UNREAD #general'],
  ['PREFS with an argument', 'BAD_SYNTAX', 'PREFS mute'],
  ['BLOCK without a handle', 'BAD_SYNTAX', 'BLOCK'],
  ['BLOCK of two handles', 'BAD_SYNTAX', 'BLOCK @a @b'],
  ['BLOCK of a channel', 'BAD_HANDLE', 'BLOCK #general'],
  ['UNBLOCK of a bad handle', 'BAD_HANDLE', 'UNBLOCK @no!'],
  ['BLOCKS with an argument', 'BAD_SYNTAX', 'BLOCKS @a'],
  ['OP without a handle', 'BAD_SYNTAX', 'OP #dev'],
  ['OP with a reason', 'BAD_SYNTAX', 'OP #dev @kim because'],
  ['OP of a channel as the handle', 'BAD_HANDLE', 'OP #dev #ops'],
  ['DEOP of a bad channel', 'BAD_CHANNEL', 'DEOP dev @kim'],
  ['OWNER without arguments', 'BAD_SYNTAX', 'OWNER'],
  ['KICK without a handle', 'BAD_SYNTAX', 'KICK #dev'],
  ['KICK of a bad handle', 'BAD_HANDLE', 'KICK #dev @no! spam'],
  ['KICK with a reason past 250 bytes', 'BAD_SYNTAX', `KICK #dev @troll ${long(251)}`],
  ['BAN with a control character in the reason', 'BAD_SYNTAX', 'BAN #dev @troll a\x07bell'],
  ['SUSPEND with a reason that is not UTF-8', 'BAD_SYNTAX', 'SUSPEND @troll caf\xe9'],
  ['UNBAN with a reason', 'BAD_SYNTAX', 'UNBAN #dev @troll sorry'],
  ['SUSPEND without a handle', 'BAD_SYNTAX', 'SUSPEND'],
  ['SUSPEND of a channel', 'BAD_HANDLE', 'SUSPEND #dev'],
  ['UNSUSPEND of two handles', 'BAD_SYNTAX', 'UNSUSPEND @a @b'],
  ['MODLOG of 0', 'BAD_SYNTAX', 'MODLOG 0'],
  ['ROLES of two channels', 'BAD_SYNTAX', 'ROLES #dev #ops'],
  ['ROLES of a user', 'BAD_CHANNEL', 'ROLES @kim'],
  ['BANS without a channel', 'BAD_SYNTAX', 'BANS'],
  ['BANS of a user', 'BAD_CHANNEL', 'BANS @kim'],
  ['BANS of two channels', 'BAD_SYNTAX', 'BANS #dev #ops'],
  ['MODLOG past 200', 'BAD_SYNTAX', 'MODLOG 201'],
  ['MODLOG of a word', 'BAD_SYNTAX', 'MODLOG all'],
  ['MODLOG of two numbers', 'BAD_SYNTAX', 'MODLOG 1 2'],
  ['DELETE with a reason but no id', 'BAD_SYNTAX', 'DELETE #dev spam'],
  ['DELETE with a reason past 250 bytes', 'BAD_SYNTAX', `DELETE #dev 4 ${long(251)}`],
  ['CREATE without a channel', 'BAD_SYNTAX', 'CREATE'],
  ['CREATE of a handle', 'BAD_CHANNEL', 'CREATE @bob'],
  ['CREATE with a word other than private', 'BAD_SYNTAX', 'CREATE #x secret'],
  ['CREATE with a word after private', 'BAD_SYNTAX', 'CREATE #x private now'],
  ['CREATE of a bad name', 'BAD_CHANNEL', 'CREATE #no!'],
  ['INVITE without a handle', 'BAD_SYNTAX', 'INVITE #x'],
  ['INVITE with three words', 'BAD_SYNTAX', 'INVITE #x @a @b'],
  ['INVITE of a channel to a channel', 'BAD_HANDLE', 'INVITE #x #y'],
  ['INVITE to a handle', 'BAD_CHANNEL', 'INVITE @a @b'],
  ['PREF without a key', 'BAD_SYNTAX', 'PREF'],
  ['PREF key with a character outside the set', 'BAD_SYNTAX', 'PREF mute/#dev 1'],
  ['PREF key of 65 characters', 'BAD_SYNTAX', `PREF ${long(65)} 1`],
  ['PREF key that is not ASCII', 'BAD_SYNTAX', 'PREF m\xc3\xa9 1'],
  ['PREF value of 257 bytes', 'BAD_SYNTAX', `PREF note ${long(257)}`],
  ['PREF value with an escape', 'BAD_SYNTAX', 'PREF note red \x1b[31m'],
  ['PREF value with a NUL', 'BAD_SYNTAX', 'PREF note a\x00b'],
  ['PREF value that is not UTF-8', 'BAD_SYNTAX', 'PREF note caf\xe9'],
  ['PASSWORD without one', 'BAD_SYNTAX', 'PASSWORD'],
  ['PASSWORD with three words', 'BAD_SYNTAX', 'PASSWORD a b c'],
  ['PASSWORD of 129 bytes', 'BAD_PASSWORD', `PASSWORD old ${'p'.repeat(129)}`],
  ['TOPIC without a channel', 'BAD_SYNTAX', 'TOPIC'],
  ['TOPIC of a bad channel', 'BAD_CHANNEL', 'TOPIC #no! hello'],
  ['TOPIC with a control character', 'BAD_SYNTAX', 'TOPIC #dev red \x1b[31m alert'],
  ['TOPIC of 251 bytes', 'BAD_SYNTAX', `TOPIC #dev ${'t'.repeat(251)}`],
  ['RESUME without a token', 'BAD_SYNTAX', 'RESUME @jane'],
  ['RESUME with a token of other characters', 'BAD_TOKEN', 'RESUME @jane abc/def'],
  ['RESUME with a token of 129 characters', 'BAD_TOKEN', `RESUME @jane ${'a'.repeat(129)}`],
  ['SIGNOUT with an unknown word', 'BAD_SYNTAX', 'SIGNOUT EVERYWHERE'],
  ['TOKEN with an argument', 'BAD_SYNTAX', 'TOKEN now'],
  ['HISTORY with a limit of 0', 'BAD_SYNTAX', 'HISTORY #general 0'],
  ['HISTORY with two limits', 'BAD_SYNTAX', 'HISTORY #general 5 6'],
  ['HISTORY before without an id', 'BAD_SYNTAX', 'HISTORY #general before'],
  ['HISTORY before a non-numeric id', 'BAD_SYNTAX', 'HISTORY #general before x'],
  ['HISTORY with an unknown direction', 'BAD_SYNTAX', 'HISTORY #general since 5'],
  ['HISTORY with both directions', 'BAD_SYNTAX', 'HISTORY #general before 5 after 2'],
  ['HISTORY around 0', 'BAD_SYNTAX', 'HISTORY #general around 0'],
  ['HISTORY around a non-number', 'BAD_SYNTAX', 'HISTORY #general 10 around latest'],
  ['HISTORY around without an id', 'BAD_SYNTAX', 'HISTORY #general around'],
  ['HISTORY around and after', 'BAD_SYNTAX', 'HISTORY #general around 5 after 2'],
  ['CHNS with an argument', 'BAD_SYNTAX', 'CHNS all'],
  ['CHNS with a limit of 0', 'BAD_SYNTAX', 'CHNS 0'],
  ['CHNS after without a channel', 'BAD_SYNTAX', 'CHNS 10 after'],
  ['CHNS with two limits', 'BAD_SYNTAX', 'CHNS 10 20'],
  ['CHNS with a word after the channel', 'BAD_SYNTAX', 'CHNS after #a #b'],
  ['CHNS after a bad channel', 'BAD_CHANNEL', 'CHNS after random'],
  ['MUTE with an argument', 'BAD_SYNTAX', 'MUTE please'],
  ['QUIT with an argument', 'BAD_SYNTAX', 'QUIT now'],
  ['PING with two tokens', 'BAD_SYNTAX', 'PING a b'],
  ['PING with an escape in its token', 'BAD_SYNTAX', 'PING a\x1b[31m'],
  ['PING with a NUL in its token', 'BAD_SYNTAX', 'PING a\x00b'],
  ['REG without the @ (spec example)', 'BAD_HANDLE', 'REG jane'],
  ['REG with only @', 'BAD_HANDLE', 'REG @'],
  ['REG with a 33-character handle', 'BAD_HANDLE', `REG @${long(33)}`],
  ['REG with a bad character', 'BAD_HANDLE', 'REG @ja!ne'],
  ['REG with a channel', 'BAD_HANDLE', 'REG #jane'],
  ['REG with non-ASCII', 'BAD_HANDLE', 'REG @j\xc3\xa9'],
  ['JOIN without the # (spec example)', 'BAD_CHANNEL', 'JOIN general'],
  ['JOIN with only #', 'BAD_CHANNEL', 'JOIN #'],
  ['JOIN with a 33-character channel', 'BAD_CHANNEL', `JOIN #${long(33)}`],
  ['LEAVE with a bad character', 'BAD_CHANNEL', 'LEAVE #a,b'],
  ['USRS with a handle', 'BAD_CHANNEL', 'USRS @jane'],
  ['HISTORY of a bad channel', 'BAD_CHANNEL', 'HISTORY #no!'],
  ['MSG to a name without a sigil, no length', 'BAD_TARGET', 'MSG general'],
  ['HISTORY of a name without a sigil', 'BAD_TARGET', 'HISTORY general'],
  // Issue 17: threads, edits, deletes, reactions, typing.
  ['REPLY alone', 'BAD_SYNTAX', 'REPLY'],
  ['REPLY without a length', 'BAD_LENGTH', 'REPLY #dev abc'],
  ['REPLY with a length that is not a number', 'BAD_LENGTH', 'REPLY #dev 41 five'],
  ['REPLY with a length of 0', 'BAD_LENGTH', 'REPLY #dev 41 0'],
  ['REPLY with a length of 0 and ALSO', 'BAD_LENGTH', 'REPLY #dev 41 0 ALSO'],
  ['REPLY with a huge length', 'BODY_TOO_LARGE', 'REPLY #dev 41 99999999999'],
  ['REPLY in the seed one-line form (only MSG has it)', 'BAD_LENGTH', 'REPLY #dev 41 5\\r\\nHello'],
  ['RE alone', 'BAD_SYNTAX', 'RE'],
  ['RE without text', 'BAD_SYNTAX', 'RE #dev 41'],
  ['RE with a root that is not a number', 'BAD_SYNTAX', 'RE #dev latest hello'],
  ['RE to a name without a sigil', 'BAD_TARGET', 'RE dev 41 hello'],
  ['RE to a bad channel', 'BAD_CHANNEL', 'RE #no! 41 hello'],
  ['EDIT without a length', 'BAD_SYNTAX', 'EDIT #dev'],
  ['EDIT with a length of 0', 'BAD_LENGTH', 'EDIT #dev 41 0'],
  ['FIX without text', 'BAD_SYNTAX', 'FIX #dev 41'],
  ['FIX with a negative id', 'BAD_SYNTAX', 'FIX #dev -41 oops'],
  ['FIX of a bad handle', 'BAD_HANDLE', 'FIX @no! 41 oops'],
  ['DELETE without an id', 'BAD_SYNTAX', 'DELETE #dev'],
  // A third word is a reason now (DELETE #dev 41 spam: a moderator's deletion); the id must still be a number.
  ['DELETE with a reason but a word for the id', 'BAD_SYNTAX', 'DELETE #dev x41 spam'],
  ['DELETE with an id that is not a number', 'BAD_SYNTAX', 'DELETE #dev last'],
  ['DELETE of a name without a sigil', 'BAD_TARGET', 'DELETE dev 41'],
  ['REACT without a reaction', 'BAD_SYNTAX', 'REACT #dev 41'],
  ['REACT with two words', 'BAD_SYNTAX', 'REACT #dev 41 \xf0\x9f\x91\x8d \xf0\x9f\x91\x8d'],
  ['REACT with an id that is not a number', 'BAD_SYNTAX', 'REACT #dev x \xf0\x9f\x91\x8d'],
  ['REACT of a bad channel', 'BAD_CHANNEL', 'REACT #no! 41 :+1:'],
  ['REACT with a word', 'BAD_REACTION', 'REACT #dev 41 yes'],
  ['REACT with a letter', 'BAD_REACTION', 'REACT #dev 41 a'],
  ['REACT with a digit', 'BAD_REACTION', 'REACT #dev 41 1'],
  ['REACT with two emoji in one word', 'BAD_REACTION', 'REACT #dev 41 \xf0\x9f\x91\x8d\xf0\x9f\x91\x8d'],
  ['REACT with an unknown shortcode', 'BAD_REACTION', 'REACT #dev 41 :nope-not-one:'],
  ['REACT with a shortcode in capitals', 'BAD_REACTION', 'REACT #dev 41 :SMILE:'],
  ['REACT with an escape', 'BAD_REACTION', 'REACT #dev 41 \x1b[31m'],
  ['REACT with a bidi override', 'BAD_REACTION', 'REACT #dev 41 \xe2\x80\xae'],
  ['REACT that is not UTF-8', 'BAD_REACTION', 'REACT #dev 41 \xff'],
  ['REACT with 70 bytes', 'BAD_REACTION', `REACT #dev 41 :${long(68)}:`],
  ['UNREACT with a word', 'BAD_REACTION', 'UNREACT #dev 41 no'],
  ['TYPING alone', 'BAD_SYNTAX', 'TYPING'],
  ['TYPING with two words', 'BAD_SYNTAX', 'TYPING #dev now'],
  ['TYPING of a name without a sigil', 'BAD_TARGET', 'TYPING dev'],
  ['TYPING of a bad handle', 'BAD_HANDLE', 'TYPING @no!'],
  ['THREAD without a root', 'BAD_SYNTAX', 'THREAD #dev'],
  ['THREAD with a root that is not a number', 'BAD_SYNTAX', 'THREAD #dev first'],
  ['THREAD with a limit of 0', 'BAD_SYNTAX', 'THREAD #dev 41 0'],
  ['THREAD with a limit that is not a number', 'BAD_SYNTAX', 'THREAD #dev 41 all'],
  ['THREAD with a word too many', 'BAD_SYNTAX', 'THREAD #dev 41 10 20'],
  ['THREAD of a bad channel', 'BAD_CHANNEL', 'THREAD #no! 41'],
  ['THREADS with an argument', 'BAD_SYNTAX', 'THREADS #dev'],
  ['READ … THREAD without a root', 'BAD_SYNTAX', 'READ #dev 45 THREAD'],
  ['READ … THREAD with a root that is not a number', 'BAD_SYNTAX', 'READ #dev 45 THREAD x'],
  ['READ with an unknown word after the id', 'BAD_SYNTAX', 'READ #dev 45 ROOT 41'],
  // Issue 18: SEARCH, its query the rest of the line.
  ['SEARCH alone', 'BAD_SYNTAX', 'SEARCH'],
  ['SEARCH of spaces', 'BAD_SYNTAX', 'SEARCH  \t '],
  ['SEARCH with an unclosed quote', 'BAD_SYNTAX', 'SEARCH deploy "release notes'],
  ['SEARCH of excluded words only', 'BAD_SYNTAX', 'SEARCH -staging -"dry run"'],
  ['SEARCH of punctuation only', 'BAD_SYNTAX', 'SEARCH !!! ?'],
  ['SEARCH from: without a handle', 'BAD_SYNTAX', 'SEARCH deploy from:'],
  ['SEARCH from: a name without @', 'BAD_HANDLE', 'SEARCH from:alice'],
  ['SEARCH from: a channel', 'BAD_HANDLE', 'SEARCH from:#dev'],
  ['SEARCH with two from:', 'BAD_SYNTAX', 'SEARCH from:@a x from:@b'],
  ['SEARCH in: without a name', 'BAD_SYNTAX', 'SEARCH x in:'],
  ['SEARCH in: a name without a sigil', 'BAD_TARGET', 'SEARCH in:dev x'],
  ['SEARCH in: a bad channel', 'BAD_CHANNEL', 'SEARCH in:#no! x'],
  ['SEARCH in: a bad handle', 'BAD_HANDLE', `SEARCH in:@${long(33)} x`],
  ['SEARCH with two in:', 'BAD_SYNTAX', 'SEARCH in:#a in:#b'],
  ['SEARCH before: a day that is not', 'BAD_SYNTAX', 'SEARCH x before:2026-02-30'],
  ['SEARCH after: a word', 'BAD_SYNTAX', 'SEARCH x after:yesterday'],
  ['SEARCH before: a time without milliseconds', 'BAD_SYNTAX', 'SEARCH x before:2026-12-01T10:00:00Z'],
  ['SEARCH with two after:', 'BAD_SYNTAX', 'SEARCH x after:2026-12-01 after:2026-12-02'],
  ['SEARCH that leaves out a filter', 'BAD_SYNTAX', 'SEARCH x -in:#dev'],
  ['SEARCH of 257 characters', 'BAD_SYNTAX', `SEARCH ${long(257)}`],
  ['SEARCH of 257 two-byte characters', 'BAD_SYNTAX', `SEARCH ${'\xc3\xa9'.repeat(257)}`],
  ['SEARCH with an escape', 'BAD_SYNTAX', 'SEARCH red \x1b[31m'],
  ['SEARCH with a NUL', 'BAD_SYNTAX', 'SEARCH a\x00b'],
  ['SEARCH that is not UTF-8', 'BAD_SYNTAX', 'SEARCH caf\xe9'],
  ['a password of 129 bytes', 'BAD_PASSWORD', `REG @jane ${long(129)}`],
  ['a password of 65 two-byte characters', 'BAD_PASSWORD', `REG @jane ${'\xc3\xa9'.repeat(65)}`],
];

/**
 * [label, code, line, body]: a refused MSG whose line announces a body of a length it can
 * skip. The body is made of commands, which must not run.
 */
const commandsAsBody = (len: number) => 'JOIN #evil\r\nQUIT\r\n'.repeat(Math.ceil(len / 18)).slice(0, len);
const refusedWithBody: Array<[label: string, code: string, line: string, body: string]> = [
  ['MSG to a bad handle', 'BAD_HANDLE', 'MSG @ja/ne 14', 'LEAVE #general'],
  ['MSG to a bad channel', 'BAD_CHANNEL', 'MSG #no! 14', 'LEAVE #general'],
  ['MSG to a channel of 33 characters', 'BAD_CHANNEL', `MSG #${long(33)} 4`, 'QUIT'],
  ['MSG to a name without a sigil', 'BAD_TARGET', 'MSG general 17', commandsAsBody(17)],
  ['a length over 65,536', 'BODY_TOO_LARGE', 'MSG #general 65537', commandsAsBody(65537)],
  ['a length of 1 MiB', 'BODY_TOO_LARGE', 'MSG #general 1048576', commandsAsBody(1048576)],
  // The last word is the length, whatever else is wrong with the line (spec section 7).
  ['MSG with a word between the target and the length', 'BAD_SYNTAX', 'MSG #general 5 6', 'QUIT\r\n'],
  ['MSG with a non-number before the length', 'BAD_SYNTAX', 'MSG #general x 11', 'QUIT\r\nPING '],
  ['MSG with only a length', 'BAD_SYNTAX', 'MSG 5', 'QUIT\n'],
  // Found by the fuzzer: a length with leading zeros is a length like any other.
  ['MSG with a zero-padded length and a word too many', 'BAD_SYNTAX', 'MSG #general 5 00000006', 'QUIT\r\n'],
  ['MSG with only a zero-padded length', 'BAD_SYNTAX', 'MSG 00000007', 'PING y\r\n'],
  ['MSG with a bad target and extra words', 'BAD_SYNTAX', 'MSG bob is 12', commandsAsBody(12)],
  ['MSG with a one-line form lookalike after the target', 'BAD_SYNTAX', 'MSG #general \\r\\nQUIT 4', 'QUIT'],
];

describe('malformed commands', () => {
  const lineEnds: Array<[string, string]> = [
    ['CRLF', '\r\n'],
    ['LF', '\n'],
  ];
  const chunkings: Chunking[] = ['whole', 'bytes', [7, 1, 300]];
  for (const [endName, lineEnd] of lineEnds) {
    it.each(rows)(`%s gives %s (${endName}), then the next command parses`, (_label, code, line) => {
      const input = concat([raw(line + lineEnd), utf8(NEXT)]);
      for (const how of chunkings) {
        const results = parseCommands(input, how);
        expect(codes(results)).toEqual([code, 'frame:PING']);
        expect(results[1]).toEqual({ type: 'PING', token: 'next' });
      }
    });
  }

  for (const [endName, lineEnd] of lineEnds) {
    it.each(refusedWithBody)(`%s gives %s (${endName}); its body is skipped, and the next command parses`, (_label, code, line, body) => {
      const input = concat([raw(line + lineEnd + body + lineEnd), utf8(NEXT)]);
      for (const how of body.length > 100_000 ? (['whole', [7, 1, 300]] as Chunking[]) : chunkings) {
        expect(codes(parseCommands(input, how))).toEqual([code, 'frame:PING']);
      }
    });
  }

  it('errors carry a sentence for people, without control characters', () => {
    for (const [, , line] of [...rows, ...refusedWithBody]) {
      const [error] = parseCommands(raw(line + '\r\n'));
      expect(error).toBeInstanceOf(ProtocolError);
      const message = (error as ProtocolError).message;
      expect(message.length).toBeGreaterThan(0);
      expect(message).not.toMatch(/[\r\n\0]/);
    }
  });

  it('uses the sentences of the spec examples', () => {
    const [handle, channel, length] = parseCommands('REG jane\r\nJOIN general\r\nMSG #general 17\\r\\nHello there!\r\n');
    expect(handle).toMatchObject({ code: 'BAD_HANDLE', message: 'Handle must begin with @' });
    expect(channel).toMatchObject({ code: 'BAD_CHANNEL', message: 'Channel must begin with #' });
    expect(length).toMatchObject({ code: 'BAD_LENGTH', message: 'Body length 17 does not match the 12 bytes after \\r\\n' });
  });

  it('a MSG with a bad length is answered at once; a body sent anyway gets one error per line', () => {
    const results = parseCommands('MSG #general 0\r\nHello\r\nthere\r\nPING next\r\n');
    expect(codes(results)).toEqual(['BAD_LENGTH', 'UNKNOWN_COMMAND', 'UNKNOWN_COMMAND', 'frame:PING']);
  });

  it('a MSG with a too-large length is answered at once, before its body arrives', () => {
    expect(codes(parseCommands('MSG #general 70000\r\n'))).toEqual(['BODY_TOO_LARGE']);
    expect(parseCommands('MSG #general 70000\r\n')[0]).toMatchObject({
      message: 'Body of 70000 bytes is over the 65536-byte limit; its bytes are skipped',
    });
  });
});

describe('UNKNOWN_COMMAND names the word and the nearest command', () => {
  const sentence = (line: string): string => {
    const [e] = parseCommands(raw(line + '\r\n'));
    expect(e).toBeInstanceOf(ProtocolError);
    expect((e as ProtocolError).code).toBe('UNKNOWN_COMMAND');
    return (e as ProtocolError).message;
  };
  const utf8Line = (s: string): string => String.fromCharCode(...utf8(s));

  it.each([
    ['jion #dev', 'Unknown command JION; did you mean JOIN?'],
    ['/jion #dev', 'Unknown command JION; did you mean JOIN?'],
    ['histroy #dev', 'Unknown command HISTROY; did you mean HISTORY?'],
    ['pign', 'Unknown command PIGN; did you mean PING?'],
    ['msgs #general 5', 'Unknown command MSGS; did you mean MSG?'],
    ['levae #dev', 'Unknown command LEVAE; did you mean LEAVE?'],
    ['sya #general hi', 'Unknown command SYA; did you mean SAY?'],
    ['/part #dev', 'Unknown command PART; did you mean LEAVE?'],
    ['/list', 'Unknown command LIST; did you mean CHNS?'],
    ['/nick @jane', 'Unknown command NICK; did you mean REG?'],
    ['repyl #dev 41 5', 'Unknown command REPYL; did you mean REPLY?'],
    ['/redact #dev 41', 'Unknown command REDACT; did you mean DELETE?'],
    ['threds', 'Unknown command THREDS; did you mean THREADS?'],
    ['/rect #dev 41 :+1:', 'Unknown command RECT; did you mean REACT?'],
    ['/find deploy', 'Unknown command FIND; did you mean SEARCH?'],
    ['serach deploy', 'Unknown command SERACH; did you mean SEARCH?'],
    ['FOO bar', 'Unknown command FOO; type HELP for the list'],
    ['xyzzy', 'Unknown command XYZZY; type HELP for the list'],
    ['/', 'Unknown command /; type HELP for the list'],
  ])('%s: %s', (line, message) => {
    expect(sentence(line)).toBe(message);
  });

  it('repeats a non-ASCII word as the UTF-8 it is, not byte by byte', () => {
    expect(sentence(utf8Line('bé'))).toBe('Unknown command BÉ; type HELP for the list');
    expect(sentence(utf8Line('/jöin #dev'))).toBe('Unknown command JÖIN; did you mean JOIN?');
    expect(sentence(utf8Line('日本語 hello'))).toBe('Unknown command 日本語; type HELP for the list');
    // Cut at 16 characters, never inside one.
    expect(sentence(utf8Line('😀'.repeat(20)))).toBe(`Unknown command ${'😀'.repeat(16)}; type HELP for the list`);
  });

  it('never echoes a control character a terminal would act on: each shows as U+FFFD', () => {
    expect(sentence('a\x1b[2J')).toBe('Unknown command A\ufffd[2J; type HELP for the list');
    expect(sentence('\x07\x07')).toBe('Unknown command \ufffd\ufffd; type HELP for the list');
    expect(sentence(utf8Line('x\u009b2J'))).toBe('Unknown command X\ufffd2J; type HELP for the list');
    expect(sentence(utf8Line('evil\u202egnp'))).toBe('Unknown command EVIL\ufffdGNP; type HELP for the list');
    expect(sentence('\xff\xfe')).toBe('Unknown command \ufffd\ufffd; type HELP for the list');
  });
});

describe('over-long lines', () => {
  const max = LIMITS.maxLine;

  function parser(): { results: Array<Command | ProtocolError>; parser: Parser<Command> } {
    const results: Array<Command | ProtocolError> = [];
    return { results, parser: new Parser(new CommandDecoder(), COMMAND_LIMITS, (r) => results.push(r)) };
  }

  it('a line of exactly the limit is read, with CRLF or LF, in any chunks', () => {
    const line = `HELP ${'x'.repeat(max - 5)}`;
    expect(line.length).toBe(max);
    for (const end of ['\r\n', '\n']) {
      for (const how of ['whole', 'bytes', [1000]] as Chunking[]) {
        expect(parseCommands(line + end + NEXT, how)).toEqual([{ type: 'HELP' }, { type: 'PING', token: 'next' }]);
      }
    }
  });

  it('one byte over the limit is an error, in any chunks', () => {
    const line = `HELP ${'x'.repeat(max - 4)}`;
    for (const end of ['\r\n', '\n']) {
      for (const how of ['whole', 'bytes', [1000]] as Chunking[]) {
        expect(codes(parseCommands(line + end + NEXT, how))).toEqual(['LINE_TOO_LONG', 'frame:PING']);
      }
    }
  });

  it('is reported as soon as the limit is passed, before its LF arrives, and nothing past it is kept', () => {
    const { results, parser: p } = parser();
    const piece = utf8('x'.repeat(1000));
    p.push(utf8('JOIN #'));
    let pushed = 6;
    while (results.length === 0) {
      p.push(piece);
      pushed += piece.length;
      expect(p.buffered).toBeLessThanOrEqual(max + 1);
    }
    // The error came with the chunk that passed the limit (+1 for a CR that may precede the LF).
    expect(pushed).toBeGreaterThan(max + 1);
    expect(pushed - piece.length).toBeLessThanOrEqual(max + 1);
    expect(codes(results)).toEqual(['LINE_TOO_LONG']);
    expect(p.buffered).toBe(0);
    // The rest of the line is discarded, however long, without buffering or more errors.
    for (let i = 0; i < 100; i++) p.push(piece);
    expect(p.buffered).toBe(0);
    expect(results.length).toBe(1);
    p.push(utf8(`tail\r\n${NEXT}`));
    expect(codes(results)).toEqual(['LINE_TOO_LONG', 'frame:PING']);
    expect(p.idle).toBe(true);
  });

  it('byte by byte: the error comes with the byte after limit + 1', () => {
    const { results, parser: p } = parser();
    const line = utf8('y'.repeat(max + 10));
    for (let i = 0; i < line.length; i++) {
      p.push(line.subarray(i, i + 1));
      expect(results.length).toBe(i + 1 > max + 1 ? 1 : 0);
      expect(p.buffered).toBeLessThanOrEqual(max + 1);
    }
    p.push(utf8(`\n${NEXT}`));
    expect(codes(results)).toEqual(['LINE_TOO_LONG', 'frame:PING']);
  });

  it('a whole over-long line in one chunk is one error, and the rest of the chunk still parses', () => {
    expect(codes(parseCommands(`${'z'.repeat(10_000)}\r\n${NEXT}${NEXT}`))).toEqual(['LINE_TOO_LONG', 'frame:PING', 'frame:PING']);
  });

  it('a body may be far longer than a line', () => {
    const body = 'b'.repeat(LIMITS.maxBody);
    const [msg] = parseCommands(`MSG #general ${body.length}\r\n${body}\r\n`, [1460]);
    expect(msg).toMatchObject({ type: 'MSG', target: '#general' });
    expect((msg as Extract<Command, { type: 'MSG' }>).body.length).toBe(LIMITS.maxBody);
  });
});
