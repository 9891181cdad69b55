import { describe, expect, it } from 'vitest';
import { COMMAND_LIMITS, CommandDecoder, Parser, ProtocolError, fromUtf8, utf8, type Command } from './index.ts';

/** The seed article's one-line MSG examples, typed into telnet (CRLF) or nc (LF). */
function parse(text: string): (Command | ProtocolError)[] {
  const out: (Command | ProtocolError)[] = [];
  new Parser(new CommandDecoder(), COMMAND_LIMITS, (r) => out.push(r)).push(utf8(text));
  return out;
}

const body = (r: Command | ProtocolError) => (r instanceof ProtocolError ? r.code : r.type === 'MSG' ? fromUtf8(r.body) : r.type);

describe("the seed's one-line MSG form", () => {
  it.each([
    ['MSG #general 11\\r\\nHello World', 'Hello World'],
    ['MSG @jane 4\\r\\nHey!', 'Hey!'],
    ['MSG #general 6\\r\\nHello!', 'Hello!'],
    ['MSG #general 39\\r\\nHey folks, hope you are all doing well!', 'Hey folks, hope you are all doing well!'],
  ])('%s is accepted as typed', (line, expected) => {
    expect(parse(`${line}\r\n`).map(body)).toEqual([expected]);
    expect(parse(`${line}\n`).map(body)).toEqual([expected]);
  });

  it('counts the typed line end when the length says so, as the seed example "16 ... Hello everyone!" does', () => {
    expect(parse('MSG #general 16\\r\\nHello everyone!\r\n').map(body)).toEqual(['Hello everyone!\n']);
    expect(parse('MSG #general 17\\r\\nHello everyone!\r\n').map(body)).toEqual(['Hello everyone!\r\n']);
  });

  it('refuses a length further off, saying how many bytes were typed', () => {
    const [e] = parse('MSG #general 20\\r\\nHello everyone!\r\n');
    expect(e).toMatchObject({ code: 'BAD_LENGTH', message: 'Body length 20 does not match the 15 bytes after \\r\\n' });
  });
});
