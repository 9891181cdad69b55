/**
 * normalizeReaction (spec: REACT): one emoji by Unicode's RGI list, or a `:shortcode:` of the
 * app's set, always given back as the emoji; anything else null.
 */
import { describe, expect, it } from 'vitest';
import LIGHT from 'markdown-it-emoji/lib/data/light.mjs';
import { COMMON_EMOJI } from './emoji-common.ts';
import { normalizeReaction } from './reactions.ts';

describe('normalizeReaction', () => {
  it.each([
    ['👍', '👍'], ['❤️', '❤️'], ['✍️', '✍️'], ['👍🏽', '👍🏽'], ['🇫🇷', '🇫🇷'], ['👨‍👩‍👧', '👨‍👩‍👧'], ['#️⃣', '#️⃣'],
    // A symbol that is an emoji only with VS16, typed without it: the emoji, so one reaction.
    ['❤', '❤️'], ['✍', '✍️'],
    [':+1:', '👍'], [':heart:', '❤️'], [':tada:', '🎉'], [':smile:', '😄'], [':writing_hand:', '✍️'],
  ])('%s is %s', (text, emoji) => {
    expect(normalizeReaction(text)).toBe(emoji);
  });

  it.each(['', 'a', '1', 'yes', '👍👍', '👍 ', ':SMILE:', ':not_a_shortcode:', '::', ':+1', '\x1b', '\u202e', '\ufe0f', `:${'a'.repeat(70)}:`])('%j is not a reaction', (text) => {
    expect(normalizeReaction(text)).toBeNull();
  });

  it('every shortcode of the app\'s set is a reaction, and its emoji is one too, the same', () => {
    for (const [name, emoji] of [...Object.entries(LIGHT), ...Object.entries(COMMON_EMOJI)]) {
      const got = normalizeReaction(`:${name}:`);
      expect(got, name).not.toBeNull();
      expect(normalizeReaction(got!), name).toBe(got);
      expect(got!.replace(/\ufe0f/g, ''), name).toBe(emoji.replace(/\ufe0f/g, ''));
    }
  });

  it('is idempotent: a reaction once normalized stays as it is', () => {
    for (const text of ['❤', ':+1:', '👍🏽']) expect(normalizeReaction(normalizeReaction(text)!)).toBe(normalizeReaction(text));
  });
});
