import { ErrorCode, ProtocolError } from './errors.ts';
import { LIMITS } from './limits.ts';
import { nameProblem } from './names.ts';
import { hasControl } from './tokens.ts';

/**
 * The query language of SEARCH (spec: SEARCH): words, `"exact phrases"`, `-excluded` words or
 * phrases, and the filters `from:@user`, `in:#channel|@user`, `before:` and `after:`. One
 * definition of a word for every side: the stores index and scan with `searchWords`, the web
 * app highlights with `searchTerms`, and the server reads a query with `parseSearch`.
 */

/**
 * A query once read. Words and phrases are folded (`foldForSearch`) and made of index words
 * (`searchWords`): `words` one each, `phrases` and `excluded` entries one or more joined by a
 * single space (a typed word that splits into several, `e-mail`, is the phrase `e mail`).
 * `before` and `after` are full ISO times, exclusive: a message matches if its time is
 * earlier than `before` and later than `after`. `from` and `in` are names as typed.
 */
export type SearchQuery = {
  words: string[];
  phrases: string[];
  excluded: string[];
  from?: string;
  in?: string;
  before?: string;
  after?: string;
};

/**
 * Text as search compares it: lower-cased, accents taken off, final sigma as sigma. So `Café`
 * and `cafe` are one word, `İstanbul` is `istanbul`. The accents are the combining diacritical
 * marks (U+0300 to U+036F) of decomposed text, those of Latin, Greek and Cyrillic letters, as
 * SQLite's unicode61 removes them; other scripts' marks are parts of letters (Japanese `で` is
 * not `て`, Hindi and Thai vowel signs stay). The text is composed again after, so Hangul and
 * the like come back whole.
 */
export function foldForSearch(text: string): string {
  return text.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]+/g, '').normalize('NFC').replace(/\u03c2/g, 'σ'); // ς: escaped, the server's build stays ASCII
}

/** What separates index words: anything but letters, numbers, marks and private-use characters. */
const SEPARATOR = /[^\p{L}\p{N}\p{M}\p{Co}]+/u;

/**
 * The index words of a text, folded, in order: runs of letters, numbers and marks, as SQLite
 * FTS5's unicode61 tokenizer reads them (`don't` is `don` and `t`, `snake_case` two words).
 * A run of CJK characters without spaces is one word: `東京タワー` is found whole, not by `東京`.
 */
export function searchWords(text: string): string[] {
  const words = foldForSearch(text).split(SEPARATOR);
  return words.filter((w) => w.length > 0);
}

const USAGE = 'Usage: SEARCH <words> ["a phrase"] [-word] [from:@user] [in:#channel|@user] [before:<date>] [after:<date>]';
const DATE_EXAMPLE = 'a date such as 2026-12-01, or a time such as 2026-12-01T10:00:00.000Z';
const syntax = (text: string) => new ProtocolError(ErrorCode.BAD_SYNTAX, text);

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DAY_MS = 86_400_000;

/** A real calendar day's start, in ms (null for 2026-02-30 and the like). */
function dayStart(day: string): number | null {
  const t = Date.parse(`${day}T00:00:00.000Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === day ? t : null;
}

/**
 * `before:` and `after:` as the exclusive bound they stand for: a time as given; a day (UTC)
 * for `before:` its start (earlier than that day), for `after:` its last millisecond (from
 * the next day on). Null when the value is neither.
 */
function bound(kind: 'before' | 'after', value: string): string | null {
  if (DAY.test(value)) {
    const start = dayStart(value);
    if (start === null) return null;
    return new Date(kind === 'before' ? start : start + DAY_MS - 1).toISOString();
  }
  if (!TIME.test(value) || dayStart(value.slice(0, 10)) === null) return null;
  const t = Date.parse(value);
  return Number.isFinite(t) && new Date(t).toISOString() === value ? value : null;
}

const FILTER = /^(from|in|before|after):/i;
type Filter = 'from' | 'in' | 'before' | 'after';

/** A filter's value checked, or the error naming what is wrong with it. */
function filterValue(name: Filter, value: string): string | ProtocolError {
  switch (name) {
    case 'from':
      if (value === '') return syntax('from: needs a handle, as in from:@alice');
      return nameProblem(value, 'handle') ?? value;
    case 'in': {
      if (value === '') return syntax('in: needs a channel or a user, as in in:#dev or in:@bob');
      const kind = value[0] === '#' ? 'channel' : value[0] === '@' ? 'handle' : null;
      if (kind === null) return new ProtocolError(ErrorCode.BAD_TARGET, 'in: needs a channel (#name) or a user (@name)');
      return nameProblem(value, kind) ?? value;
    }
    default:
      return bound(name, value) ?? syntax(`${name}: needs ${DATE_EXAMPLE}`);
  }
}

const isSpace = (c: string) => c === ' ' || c === '\t';

/**
 * Reads a query: the rest of a SEARCH line. Terms are separated by spaces or tabs; a term is
 * `"a phrase"`, `-word` or `-"a phrase"` (left out), `from:` `in:` `before:` or `after:` and
 * its value (the name in any case, each at most once), or a word. A `"` opens a phrase only at
 * the start of a term, and a phrase runs to the next `"`. Punctuation is not a word: a term
 * with no index word in it (`-`, `!!`, `""`) is passed over. Words and phrases are folded,
 * and repeats kept once.
 */
export function parseSearch(text: string): SearchQuery | ProtocolError {
  const typed = text.replace(/^[ \t]+|[ \t]+$/g, '');
  if (typed === '') return syntax(USAGE);
  if (hasControl(typed)) return syntax('A search must be printable, on one line');
  if (Array.from(typed).length > LIMITS.maxSearch) return syntax(`A search is at most ${LIMITS.maxSearch} characters`);
  const q: SearchQuery = { words: [], phrases: [], excluded: [] };
  let i = 0;
  while (i < typed.length) {
    if (isSpace(typed[i])) {
      i++;
      continue;
    }
    const left = typed[i] === '-';
    const at = left ? i + 1 : i;
    let words: string[];
    if (typed[at] === '"') {
      const close = typed.indexOf('"', at + 1);
      if (close < 0) return syntax('A "phrase" is missing its closing quote');
      words = searchWords(typed.slice(at + 1, close));
      i = close + 1;
    } else {
      let end = at;
      while (end < typed.length && !isSpace(typed[end])) end++;
      const term = typed.slice(at, end);
      i = end;
      const filter = FILTER.exec(term);
      if (filter !== null) {
        const name = filter[1].toLowerCase() as Filter;
        if (left) return syntax(`A filter cannot be left out: ${name}: takes no -`);
        if (q[name] !== undefined) return syntax(`A search takes one ${name}: at most`);
        const value = filterValue(name, term.slice(filter[0].length));
        if (value instanceof ProtocolError) return value;
        q[name] = value;
        continue;
      }
      words = searchWords(term);
    }
    if (words.length === 0) continue;
    const list = left ? q.excluded : words.length === 1 ? q.words : q.phrases;
    const joined = words.join(' ');
    if (!list.includes(joined)) list.push(joined);
  }
  const filtered = q.from !== undefined || q.in !== undefined || q.before !== undefined || q.after !== undefined;
  if (q.words.length === 0 && q.phrases.length === 0 && !filtered) {
    return syntax(
      q.excluded.length > 0
        ? 'A search needs a word, a "phrase" or a filter besides what it leaves out'
        : 'Nothing to search for: give a word, a "phrase" or a filter such as from:@alice',
    );
  }
  return q;
}

/**
 * A query as text that reads back to it (`parseSearch(formatSearch(q))` equals `q` for a
 * query parseSearch gave): words, phrases, what is left out, then the filters; a bound that
 * is a whole day is written as the day. For a client paging on, or showing filters as chips.
 */
export function formatSearch(q: SearchQuery): string {
  const parts = [...q.words, ...q.phrases.map((p) => `"${p}"`), ...q.excluded.map((x) => (x.includes(' ') ? `-"${x}"` : `-${x}`))];
  if (q.from !== undefined) parts.push(`from:${q.from}`);
  if (q.in !== undefined) parts.push(`in:${q.in}`);
  if (q.before !== undefined) parts.push(`before:${q.before.endsWith('T00:00:00.000Z') ? q.before.slice(0, 10) : q.before}`);
  if (q.after !== undefined) parts.push(`after:${q.after.endsWith('T23:59:59.999Z') ? q.after.slice(0, 10) : q.after}`);
  return parts.join(' ');
}

/** The folded words a result is highlighted by: the query's words and its phrases' words, each once. */
export function searchTerms(q: SearchQuery): string[] {
  return [...new Set([...q.words, ...q.phrases.flatMap((p) => p.split(' '))])];
}

/** The same query, with `before` set to `ts`: the next page of results (spec: SEARCH, `END SEARCH <n> MORE <ts>`). */
export function searchBefore(q: SearchQuery, ts: string): SearchQuery {
  return { ...q, before: ts };
}
