import { createRequire } from 'node:module';
import unhomoglyph from 'unhomoglyph';
import { describe, expect, it } from 'vitest';
import { LookalikeIndex, lookalikeKeys, skeleton } from './confusable.ts';

// Names that pass for others (issue 18, item 6): TR39's skeleton, and the index a new name
// is checked against.

describe('skeleton (Unicode TR39)', () => {
  it.each([
    // [text, its skeleton, why]
    ['l', 'l', 'l is the prototype of its class'],
    ['I', 'l', 'capital i'],
    ['1', 'l', 'digit one'],
    ['|', 'l', 'vertical bar'],
    ['0', 'O', 'digit zero'],
    ['O', 'O', 'O is the prototype'],
    ['m', 'rn', 'm and rn meet at rn'],
    ['rn', 'rn', ''],
    ['aIice', 'alice', ''],
    ['a1ice', 'alice', ''],
    ['generaI', 'general', ''],
    ['b0b', 'bOb', 'not lower-cased: that is lookalikeKeys'],
    ['\u0430', 'a', 'Cyrillic а is Latin a'],
    ['p\u0430ypal', 'paypal', 'one Cyrillic letter in a Latin word'],
    ['caf\u00e9', 'cafe\u0301', 'precomposed é is decomposed (NFD): its accent is kept'],
    ['cafe\u0301', 'cafe\u0301', 'e + combining acute: the same as é'],
    ['jane_doe.2-x', 'jane_doe.2-x', 'what a name may use otherwise is its own prototype'],
  ])('%j -> %j (%s)', (text, expected) => {
    expect(skeleton(text)).toBe(expected);
  });

  it('tells apart what does not look alike: an accent, a letter, i and l', () => {
    expect(skeleton('caf\u00e9')).not.toBe(skeleton('cafe'));
    expect(skeleton('alice')).not.toBe(skeleton('alicf'));
    expect(skeleton('iris')).not.toBe(skeleton('lris'));
  });

  it('pairs that look alike have one skeleton', () => {
    for (const [a, b] of [['@alice', '@aIice'], ['@alice', '@a1ice'], ['#general', '#generaI'], ['@modern', '@rnodern'], ['@bob0', '@bobO'], ['@ann', '@\u0430nn']]) {
      expect(skeleton(a), `${a} ${b}`).toBe(skeleton(b));
    }
  });

  it('maps every code point of the table as the package itself does, astral ones and mixed text too', () => {
    // skeleton looks the table up one code point at a time instead of calling unhomoglyph
    // (one big RegExp, issue 16): the two must agree on all of it.
    const table = createRequire(import.meta.url)('unhomoglyph/data.json') as Record<string, string>;
    const keys = Object.keys(table);
    expect(keys.length).toBeGreaterThan(6000);
    for (const k of keys) expect(skeleton(k), JSON.stringify(k)).toBe(unhomoglyph(k.normalize('NFD')).normalize('NFD'));
    const texts = [keys.join(''), keys.join('ab'), `x${keys.slice(0, 500).reverse().join(' ')}\ud800y`, 'plain ascii_name-1.0', '\u{1d400}\u{1d41a}\u{1f600}'];
    for (const t of texts) expect(skeleton(t)).toBe(unhomoglyph(t.normalize('NFD')).normalize('NFD'));
  });
});

describe('lookalikeKeys: as written and in lower case', () => {
  it('the skeleton comes before lower-casing, which would turn the I of aIice into an i', () => {
    expect(lookalikeKeys('@aIice')).toEqual(['@alice', '@aiice']);
    expect(lookalikeKeys('@alice')).toEqual(['@alice']);
    expect(lookalikeKeys('@ALICE')).toEqual(['@allce', '@alice']);
    expect(lookalikeKeys('@Bob')).toEqual(['@bob']);
    expect(lookalikeKeys('@b0b')).toEqual(['@bob']);
    expect(lookalikeKeys('@Mary')).toEqual(['@rnary']);
  });
});

describe('LookalikeIndex', () => {
  const index = (...names: string[]): LookalikeIndex => {
    const i = new LookalikeIndex();
    for (const n of names) i.add(n);
    return i;
  };

  it.each([
    // [existing, new name, the existing one it passes for, or null]
    [['@alice'], '@aIice', '@alice'],
    [['@alice'], '@a1ice', '@alice'],
    [['@alice'], '@AIice', '@alice'],
    [['@ALICE'], '@aIice', '@ALICE'],
    [['@aIice'], '@alice', '@aIice'],
    [['#general'], '#generaI', '#general'],
    [['@mary'], '@rnary', '@mary'],
    [['@Mary'], '@rnary', '@Mary'],
    [['@bob'], '@b0b', '@bob'],
    [['@Bob'], '@b0b', '@Bob'],
    [['@alice'], '@ALICE', null],
    [['@alice'], '@Alice', null],
    [['@alice'], '@alicia', null],
    [['@iris'], '@lris', null],
    [['@alice', '@aIice'], '@a1ice', '@alice'],
  ] as const)('beside %j, %s passes for %s', (existing, name, expected) => {
    expect(index(...existing).lookalikeOf(name)).toBe(expected);
  });

  it('a name is never its own lookalike, in any case, beside a collision from before the rule too', () => {
    expect(index('@alice').lookalikeOf('@ALICE')).toBeNull();
    const both = index('@alice', '@aIice');
    expect(both.lookalikeOf('@alice')).toBeNull();
    expect(both.lookalikeOf('@AIICE')).toBeNull();
  });

  it('clear forgets every name (the directory reloads whole)', () => {
    const i = index('@alice');
    i.clear();
    expect(i.lookalikeOf('@aIice')).toBeNull();
  });
});
