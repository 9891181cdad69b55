import { describe, expect, it } from 'vitest';
import { searchWords } from '../../core/search-query.ts';
import { bodyWords, indexText } from './search-index.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const ASCII = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i));

/** The one definition of a word (core/search-query.ts), read from the bytes the general way. */
const expected = (s: string): string[] => searchWords(new TextDecoder().decode(bytes(s)));

describe('index words of a body', () => {
  it('reads an ASCII body exactly as searchWords does, for every ASCII character', () => {
    for (const c of ASCII) {
      for (const text of [c, `a${c}b`, `${c}Word${c}`, `X${c}${c}9`]) {
        expect(bodyWords(bytes(text))).toEqual(expected(text));
        expect(indexText(bytes(text))).toBe(expected(text).join(' '));
      }
    }
    // Random mixes of ASCII, seeded: the same words either way.
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let n = 0; n < 2000; n++) {
      const text = Array.from({ length: 1 + Math.floor(next() * 40) }, () => ASCII[Math.floor(next() * 128)]).join('');
      expect(indexText(bytes(text))).toBe(expected(text).join(' '));
    }
  });

  it('reads a body with any other character the general way', () => {
    for (const text of ['Café au LAIT', 'ΟΔΥΣΣΕΎΣ', 'İstanbul', '東京タワー and tea', 'naïve—really', 'e\u0301t\u00e9']) {
      expect(indexText(bytes(text))).toBe(expected(text).join(' '));
      expect(bodyWords(bytes(text))).toEqual(expected(text));
    }
    // A byte that is not UTF-8 separates words.
    expect(indexText(new Uint8Array([0x61, 0x62, 0xff, 0x63, 0x64]))).toBe('ab cd');
  });

  it('reads a body with no word as no words', () => {
    expect(bodyWords(bytes(''))).toEqual([]);
    expect(bodyWords(bytes(' !? -- '))).toEqual([]);
    expect(indexText(bytes(' !? -- '))).toBe('');
  });
});
