import { createRequire } from 'node:module';
import { nameKey } from '../store/keys.ts';

/** confusables.txt as one code point -> its prototype; read with the first name compared. */
let prototypes: Record<string, string> | null = null;

/**
 * Names that pass for others: `@aIice` (capital i) beside `@alice`, `@a1ice`, `#generaI`.
 *
 * The skeleton is Unicode TR39's (section 4): NFD, then each character replaced by its
 * prototype in confusables.txt, then NFD again. Two strings whose skeletons are equal look
 * alike. The mapping is the `unhomoglyph` package's (nodeca, MIT), which is confusables.txt
 * (Unicode 13.0) as a table of one code point to its prototype; we add the two NFD steps.
 * Within the ASCII a name may use, it folds `I`, `1` and `|` to `l`, `0` to `O`, and `m` to
 * `rn` (so `rn` and `m` meet there). Accents are not folded: `é` is not `e` under TR39.
 *
 * The table is looked up one code point at a time rather than through the package's own
 * function, which builds one RegExp of all 6,311 code points: the same result (every key is
 * one code point), without ~4.5 MB of resident memory the RegExp's compilation left behind
 * (issue 16). It is loaded synchronously on first use, so the first name is checked like any.
 */
export function skeleton(text: string): string {
  prototypes ??= createRequire(import.meta.url)('unhomoglyph/data.json') as Record<string, string>;
  let out = '';
  for (const c of text.normalize('NFD')) out += Object.hasOwn(prototypes, c) ? prototypes[c] : c;
  return out.normalize('NFD');
}

/**
 * The keys a name is compared by. Names are one without regard to case (`@Alice` is
 * `@alice`), so each key is a skeleton lower-cased and taken again: `@b0b` (0 is O) looks
 * like `@bob`, `@Mary` (m is rn) like `@rnary`. Skeleton first: lower-casing first would
 * turn the I of `@aIice` into an i and hide it. A name is also compared in lower case, as
 * a mention may write it: `@aIice` looks like `@alice`, and so like `@ALICE`, who is @alice.
 */
export function lookalikeKeys(name: string): string[] {
  const fold = (s: string): string => skeleton(skeleton(s).toLowerCase());
  const asWritten = fold(name);
  const lower = fold(name.toLowerCase());
  return asWritten === lower ? [asWritten] : [asWritten, lower];
}

/**
 * Existing names by their lookalike keys, for one kind of name (handles or channels). A name
 * is only ever added (none is removed while the server runs); one whose keys are taken
 * already, by a collision older than this rule, stays findable by its own name key and so
 * keeps working: only new names are checked.
 */
export class LookalikeIndex {
  private readonly byKey = new Map<string, string>();

  add(name: string): void {
    for (const k of lookalikeKeys(name)) if (!this.byKey.has(k)) this.byKey.set(k, name);
  }

  clear(): void {
    this.byKey.clear();
  }

  /** An existing name, other than `name` itself in any case, that `name` would pass for. */
  lookalikeOf(name: string): string | null {
    const own = nameKey(name);
    for (const k of lookalikeKeys(name)) {
      const other = this.byKey.get(k);
      if (other !== undefined && nameKey(other) !== own) return other;
    }
    return null;
  }
}
