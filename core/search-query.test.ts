/**
 * SEARCH's query language (docs/PROTOCOL.md, SEARCH): what a typed query reads as, the
 * error naming what is wrong with a bad one, folding and index words, and round trips.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProtocolError } from './errors.ts';
import { foldForSearch, formatSearch, parseSearch, searchBefore, searchTerms, searchWords, type SearchQuery } from './search-query.ts';

const q = (parts: Partial<SearchQuery>): SearchQuery => ({ words: [], phrases: [], excluded: [], ...parts });

describe('parseSearch: what a query reads as', () => {
  it.each<[string, SearchQuery]>([
    ['deploy', q({ words: ['deploy'] })],
    ['  Deploy   Friday\t', q({ words: ['deploy', 'friday'] })],
    ['Café', q({ words: ['cafe'] })],
    ['"release notes"', q({ phrases: ['release notes'] })],
    ['"Release,  NOTES!"', q({ phrases: ['release notes'] })],
    ['a "b c" d', q({ words: ['a', 'd'], phrases: ['b c'] })],
    ['"one"', q({ words: ['one'] })],
    ['e-mail', q({ phrases: ['e mail'] })],
    ["don't", q({ phrases: ['don t'] })],
    ['hello, world!', q({ words: ['hello', 'world'] })],
    ['deploy -staging', q({ words: ['deploy'], excluded: ['staging'] })],
    ['deploy -"dry run"', q({ words: ['deploy'], excluded: ['dry run'] })],
    ['deploy -e-mail', q({ words: ['deploy'], excluded: ['e mail'] })],
    ['deploy - now', q({ words: ['deploy', 'now'] })],
    ['deploy !! "" -', q({ words: ['deploy'] })],
    ['deploy deploy DEPLOY', q({ words: ['deploy'] })],
    ['say"hi there"', q({ words: ['there'], phrases: ['say hi'] })],
    ['"a b"c', q({ words: ['c'], phrases: ['a b'] })],
    ['from:@alice', q({ from: '@alice' })],
    ['FROM:@Alice deploy', q({ words: ['deploy'], from: '@Alice' })],
    ['in:#dev', q({ in: '#dev' })],
    ['in:@bob lunch', q({ words: ['lunch'], in: '@bob' })],
    ['before:2026-12-01', q({ before: '2026-12-01T00:00:00.000Z' })],
    ['after:2026-12-01', q({ after: '2026-12-01T23:59:59.999Z' })],
    ['after:2024-02-29', q({ after: '2024-02-29T23:59:59.999Z' })],
    ['before:2026-12-01T10:00:00.000Z', q({ before: '2026-12-01T10:00:00.000Z' })],
    ['x after:2026-11-01 before:2026-12-01 from:@kim in:#dev', q({ words: ['x'], from: '@kim', in: '#dev', before: '2026-12-01T00:00:00.000Z', after: '2026-11-01T23:59:59.999Z' })],
    ['東京タワー', q({ words: ['東京タワー'] })],
    ['東京 タワー', q({ words: ['東京', 'タワー'] })],
    ['ΟΔΟΣ', q({ words: ['οδοσ'] })],
    ['İstanbul', q({ words: ['istanbul'] })],
    ['http://example.com/a', q({ phrases: ['http example com a'] })],
    ['to:@bob', q({ phrases: ['to bob'] })],
    ['"from:@alice"', q({ phrases: ['from alice'] })],
  ])('%j', (text, query) => {
    expect(parseSearch(text)).toEqual(query);
  });
});

describe('parseSearch: a bad query is refused with the error naming what is wrong', () => {
  it.each<[string, string, string]>([
    ['', 'BAD_SYNTAX', 'Usage: SEARCH <words> ["a phrase"] [-word] [from:@user] [in:#channel|@user] [before:<date>] [after:<date>]'],
    [' \t ', 'BAD_SYNTAX', 'Usage: SEARCH <words> ["a phrase"] [-word] [from:@user] [in:#channel|@user] [before:<date>] [after:<date>]'],
    ['"release notes', 'BAD_SYNTAX', 'A "phrase" is missing its closing quote'],
    ['deploy -"dry run', 'BAD_SYNTAX', 'A "phrase" is missing its closing quote'],
    ['-staging', 'BAD_SYNTAX', 'A search needs a word, a "phrase" or a filter besides what it leaves out'],
    ['-a -"b c"', 'BAD_SYNTAX', 'A search needs a word, a "phrase" or a filter besides what it leaves out'],
    ['!!! ?', 'BAD_SYNTAX', 'Nothing to search for: give a word, a "phrase" or a filter such as from:@alice'],
    ['""', 'BAD_SYNTAX', 'Nothing to search for: give a word, a "phrase" or a filter such as from:@alice'],
    ['from:', 'BAD_SYNTAX', 'from: needs a handle, as in from:@alice'],
    ['from:alice', 'BAD_HANDLE', 'Handle must begin with @'],
    ['from:#dev', 'BAD_HANDLE', 'Handle must begin with @'],
    ['from:@al!ce', 'BAD_HANDLE', 'Handle may use only letters, digits, _ - and . after @'],
    ['from:@a from:@b', 'BAD_SYNTAX', 'A search takes one from: at most'],
    ['in:', 'BAD_SYNTAX', 'in: needs a channel or a user, as in in:#dev or in:@bob'],
    ['in:dev', 'BAD_TARGET', 'in: needs a channel (#name) or a user (@name)'],
    ['in:#', 'BAD_CHANNEL', 'Channel cannot be blank after #'],
    ['in:#a in:#b', 'BAD_SYNTAX', 'A search takes one in: at most'],
    ['before:yesterday', 'BAD_SYNTAX', 'before: needs a date such as 2026-12-01, or a time such as 2026-12-01T10:00:00.000Z'],
    ['before:', 'BAD_SYNTAX', 'before: needs a date such as 2026-12-01, or a time such as 2026-12-01T10:00:00.000Z'],
    ['after:2026-02-30', 'BAD_SYNTAX', 'after: needs a date such as 2026-12-01, or a time such as 2026-12-01T10:00:00.000Z'],
    ['after:2026-13-01', 'BAD_SYNTAX', 'after: needs a date such as 2026-12-01, or a time such as 2026-12-01T10:00:00.000Z'],
    ['after:2026-12-1', 'BAD_SYNTAX', 'after: needs a date such as 2026-12-01, or a time such as 2026-12-01T10:00:00.000Z'],
    ['before:2026-12-01T25:00:00.000Z', 'BAD_SYNTAX', 'before: needs a date such as 2026-12-01, or a time such as 2026-12-01T10:00:00.000Z'],
    ['before:2026-12-01T10:00:00Z', 'BAD_SYNTAX', 'before: needs a date such as 2026-12-01, or a time such as 2026-12-01T10:00:00.000Z'],
    ['before:2026-02-30T10:00:00.000Z', 'BAD_SYNTAX', 'before: needs a date such as 2026-12-01, or a time such as 2026-12-01T10:00:00.000Z'],
    ['before:2026-12-01 before:2026-11-01', 'BAD_SYNTAX', 'A search takes one before: at most'],
    ['after:2026-12-01 AFTER:2026-11-01', 'BAD_SYNTAX', 'A search takes one after: at most'],
    ['x -from:@alice', 'BAD_SYNTAX', 'A filter cannot be left out: from: takes no -'],
    ['a\x1b[2J', 'BAD_SYNTAX', 'A search must be printable, on one line'],
    ['a'.repeat(257), 'BAD_SYNTAX', 'A search is at most 256 characters'],
    ['😀'.repeat(257), 'BAD_SYNTAX', 'A search is at most 256 characters'],
  ])('%j: %s', (text, code, message) => {
    const result = parseSearch(text);
    expect(result).toBeInstanceOf(ProtocolError);
    expect(result).toMatchObject({ code, message });
  });

  it('256 characters after trimming are fine, counted in characters (an emoji is one)', () => {
    expect(parseSearch(`  ${'a'.repeat(256)}  `)).toEqual(q({ words: ['a'.repeat(256)] }));
    expect(parseSearch('😀'.repeat(255) + 'a')).toEqual(q({ words: ['a'] }));
  });
});

describe('folding and index words', () => {
  it.each([
    ['Café', 'cafe'],
    ['NAÏVE Résumé', 'naive resume'],
    ['Ångström', 'angstrom'],
    ['İstanbul', 'istanbul'],
    ['ΟΔΟΣ', 'οδοσ'],
    ['한국어', '한국어'],
    ['東京タワー', '東京タワー'],
    ['でんわ', 'でんわ'],
    ['Ёлка', 'елка'],
    ['हिन्दी', 'हिन्दी'],
    ['ＡＢＣ', 'ａｂｃ'],
  ])('foldForSearch(%j) is %j', (text, folded) => {
    expect(foldForSearch(text)).toBe(folded);
  });

  it('a run of CJK characters without spaces is one word, as the index reads it', () => {
    expect(searchWords('会議は東京タワーで')).toEqual(['会議は東京タワーで']);
    expect(searchWords('会議は 東京タワー で')).toEqual(['会議は', '東京タワー', 'で']);
    expect(searchWords('Meeting at 東京タワー, 10:00')).toEqual(['meeting', 'at', '東京タワー', '10', '00']);
  });

  it('marks of other scripts are part of their words, never separators', () => {
    expect(searchWords('नमस्ते हिन्दी')).toEqual(['नमस्ते', 'हिन्दी']);
    expect(searchWords('でんわ で て')).toEqual(['でんわ', 'で', 'て']);
    expect(searchWords('สวัสดีครับ')).toEqual(['สวัสดีครับ']);
  });

  it('punctuation, symbols and emoji separate words', () => {
    expect(searchWords("Don't re-deploy snake_case v1.2 🚀launch")).toEqual(['don', 't', 're', 'deploy', 'snake', 'case', 'v1', '2', 'launch']);
    expect(searchWords('!!! 🎉 ---')).toEqual([]);
  });

  it('folding twice changes nothing more, and a word of a text reads as itself', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        expect(foldForSearch(foldForSearch(text))).toBe(foldForSearch(text));
        for (const w of searchWords(text)) expect(searchWords(w)).toEqual([w]);
      }),
      { numRuns: 500 },
    );
  });
});

/** Typed queries made of pieces that mean something, and pieces that do not. */
const piece = fc.oneof(
  fc.constantFrom('deploy', 'Café', 'e-mail', '東京タワー', 'ΟΔΟΣ', "don't", '!!', '-', '""', '"a b"', '"Release, NOTES"', '-"dry run"', '-staging', 'naïve'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).map((s) => s.replace(/[\x00-\x1f\x7f"]/g, '')),
  fc.constantFrom('from:@alice', 'in:#dev', 'in:@Bob', 'before:2026-12-01', 'after:2026-11-30', 'before:2026-12-01T10:00:00.000Z', 'after:2026-12-01T23:59:59.999Z'),
);
const typed = fc.array(piece, { minLength: 1, maxLength: 8 }).map((parts) => parts.join(' '));

describe('round trips', () => {
  it('formatSearch gives text that reads back to the same query', () => {
    fc.assert(
      fc.property(typed, (text) => {
        const query = parseSearch(text);
        fc.pre(!(query instanceof ProtocolError));
        const again = parseSearch(formatSearch(query as SearchQuery));
        expect(again).toEqual(query);
        expect(formatSearch(again as SearchQuery)).toBe(formatSearch(query as SearchQuery));
      }),
      { numRuns: 1000 },
    );
  });

  it('writes a whole-day bound as the day, any other time in full', () => {
    expect(formatSearch(q({ words: ['x'], before: '2026-12-01T00:00:00.000Z', after: '2026-11-01T23:59:59.999Z' }))).toBe('x before:2026-12-01 after:2026-11-01');
    expect(formatSearch(q({ phrases: ['a b'], excluded: ['c', 'd e'], from: '@kim', in: '#dev', before: '2026-12-01T10:00:00.000Z' }))).toBe('"a b" -c -"d e" from:@kim in:#dev before:2026-12-01T10:00:00.000Z');
  });

  it('the next page is the same query before the oldest result\'s time, in place of its own before:', () => {
    const first = parseSearch('deploy before:2026-12-01') as SearchQuery;
    const next = searchBefore(first, '2026-11-20T08:30:00.000Z');
    expect(formatSearch(next)).toBe('deploy before:2026-11-20T08:30:00.000Z');
    expect(parseSearch(formatSearch(next))).toEqual(next);
  });
});

describe('searchTerms: what a result is highlighted by', () => {
  it('the folded words and the words of the phrases, once each; never what is left out or a filter', () => {
    expect(searchTerms(parseSearch('Café "café au lait" -tea from:@kim') as SearchQuery)).toEqual(['cafe', 'au', 'lait']);
  });
});
