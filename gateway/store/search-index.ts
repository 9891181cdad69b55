import { searchWords } from '../../core/search-query.ts';
import type { KeptMessage, StoreSearch } from './store.ts';
import { nameKey } from './keys.ts';

/**
 * SEARCH's index, the same in the three stores: a message's words are `searchWords` of its
 * body (core/search-query.ts, the one definition of a word), computed here in JS, so SQLite's
 * FTS5, PostgreSQL's tsvector and the memory store's scan all read the same words. The
 * engines only store them and find them; none of them reads the text with its own parser.
 */

const utf8 = new TextDecoder(); // not fatal: a byte that is not UTF-8 reads as U+FFFD, a separator

/**
 * Whether a body is ASCII only. Its words are then searchWords' without Unicode: folding is
 * lower-casing (no ASCII character decomposes or is a mark) and the only ASCII letters and
 * numbers are a-z and 0-9 (search-index.test.ts compares the two on every ASCII character).
 * Most messages are ASCII, and this path costs some 0.6 µs less than the general one's 1.6
 * (a 70-byte message): it runs for every message written.
 */
function isAscii(body: Uint8Array): boolean {
  for (let i = 0; i < body.length; i++) if (body[i] > 0x7f) return false;
  return true;
}

const ASCII_SEPARATORS = /[^a-z0-9]+/g;
const asciiText = (body: Uint8Array): string => utf8.decode(body).toLowerCase().replace(ASCII_SEPARATORS, ' ').trim();

/** A body's index words, in order (a body that is not UTF-8 is read with replacement characters). */
export const bodyWords = (body: Uint8Array): string[] => {
  if (!isAscii(body)) return searchWords(utf8.decode(body));
  const text = asciiText(body);
  return text === '' ? [] : text.split(' ');
};

/** What SQLite's FTS5 table indexes for a body: its words, one space between each. */
export const indexText = (body: Uint8Array): string => (isAscii(body) ? asciiText(body) : searchWords(utf8.decode(body)).join(' '));

/** Newest first: by ts descending, then conversation, then id descending (StoreSearch). */
export function bySearchOrder(a: KeptMessage, b: KeptMessage): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? 1 : -1;
  if (a.conversation !== b.conversation) return a.conversation < b.conversation ? -1 : 1;
  return b.id - a.id;
}

/** Whether a query names any word or phrase the text must have (else it is filters only). */
export const hasTerms = (q: StoreSearch): boolean => q.words.length > 0 || q.phrases.length > 0;

/** The limit as a count: a fraction or a negative is no page at all. */
export const searchLimit = (q: StoreSearch): number => Math.max(0, Math.floor(q.limit));

// ---- memory: a scan ----

/** Whether `words` holds `term` (index words joined by one space) as adjacent words. */
function hasRun(words: string[], term: string): boolean {
  const parts = term.split(' ');
  for (let i = 0; i + parts.length <= words.length; i++) {
    let j = 0;
    while (j < parts.length && words[i + j] === parts[j]) j++;
    if (j === parts.length) return true;
  }
  return false;
}

/** Whether a message matches the query, its conversation aside (the memory store's scan). */
export function matchesSearch(q: StoreSearch, m: KeptMessage): boolean {
  if (m.deleted === true) return false;
  if (q.from !== undefined && nameKey(m.from) !== q.from) return false;
  if (q.before !== undefined && !(m.ts < q.before)) return false;
  if (q.after !== undefined && !(m.ts > q.after)) return false;
  if (!hasTerms(q) && q.excluded.length === 0) return true;
  const words = bodyWords(m.body);
  return q.words.every((w) => words.includes(w)) && q.phrases.every((p) => hasRun(words, p)) && !q.excluded.some((x) => hasRun(words, x));
}

// ---- SQLite: an FTS5 MATCH expression ----

/** A term as an FTS5 string: FTS5 reads `"a b"` as the phrase of those words, adjacent. */
const ftsString = (term: string): string => `"${term.replace(/"/g, '""')}"`;

/**
 * The FTS5 expressions of a query: `match`, what the text must have (null when the query
 * names no word or phrase), and `excluded`, any of what it must not have (null when none).
 * Excluded terms ride on `match` as NOT when there is one (FTS5 has no NOT on its own).
 */
export function ftsQuery(q: StoreSearch): { match: string | null; excluded: string | null } {
  const must = [...q.words, ...q.phrases].map(ftsString);
  const not = q.excluded.map(ftsString);
  if (must.length === 0) return { match: null, excluded: not.length === 0 ? null : not.join(' OR ') };
  const positive = must.join(' AND ');
  return { match: not.length === 0 ? positive : `(${positive}) NOT (${not.join(' OR ')})`, excluded: null };
}

// ---- PostgreSQL: tsvector and tsquery literals ----

/** PostgreSQL refuses a lexeme of 2 KB or more; no query word is that long (LIMITS.maxSearch). */
const PG_MAX_LEXEME_BYTES = 2047;
/** Positions past this are stored as this (PostgreSQL's limit): phrases that far in are approximate. */
const PG_MAX_POSITION = 16383;
/** A word keeps at most this many positions (PostgreSQL's limit). */
const PG_MAX_POSITIONS = 256;

const pgQuote = (word: string): string => `'${word.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/**
 * A body's words as a tsvector literal (`'word':1,4 'other':2`), to cast with `::tsvector`:
 * the words and their positions exactly as `searchWords` reads them. Empty for a body with
 * no word ('' is the empty tsvector, which marks the message as indexed).
 */
export function pgVector(body: Uint8Array): string {
  const positions = new Map<string, number[]>();
  bodyWords(body).forEach((w, i) => {
    if (Buffer.byteLength(w) > PG_MAX_LEXEME_BYTES) return;
    let list = positions.get(w);
    if (list === undefined) positions.set(w, (list = []));
    if (list.length < PG_MAX_POSITIONS) list.push(Math.min(i + 1, PG_MAX_POSITION));
  });
  return [...positions].map(([w, p]) => `${pgQuote(w)}:${[...new Set(p)].join(',')}`).join(' ');
}

/** A term as a tsquery: a word, or its words joined by `<->` (followed by). */
const pgTerm = (term: string): string => {
  const words = term.split(' ').map(pgQuote);
  return words.length === 1 ? words[0] : `(${words.join(' <-> ')})`;
};

/**
 * The tsquery literals of a query, as ftsQuery's: `match`, its words and phrases and `!` each
 * excluded term (null when it names no word or phrase), and `excluded`, any excluded term
 * (`|`), for a query of filters that leaves words out (null when none).
 */
export function pgQuery(q: StoreSearch): { match: string | null; excluded: string | null } {
  const must = [...q.words, ...q.phrases].map(pgTerm);
  const not = q.excluded.map(pgTerm);
  if (must.length === 0) return { match: null, excluded: not.length === 0 ? null : not.join(' | ') };
  return { match: [...must, ...not.map((x) => `!${x}`)].join(' & '), excluded: null };
}
