import { describe, expect, it } from 'vitest';
import { findMentions, mentionAt, mentionList, mentionsMe } from './mentions.ts';
import { MENTION_CASES } from './mention-cases.ts';

describe('findMentions', () => {
  it.each(MENTION_CASES.map((c) => [c.what, c] as const))('%s', (_what, c) => {
    expect(findMentions(c.body)).toEqual({ handles: c.handles, everyone: c.everyone ?? false });
  });

  it('lists every mention in order, repeats included', () => {
    expect(mentionList('@bob @alice @bob @here')).toEqual(['@bob', '@alice', '@bob', '@here']);
  });

  it('reads a body of 64 KiB of pathological markup through (the server runs it on every message with an @)', () => {
    // How fast is for a benchmark to say; here, that each is read to its end: the test's
    // timeout would catch the super-linear blow-up markdown-it itself has on some of them.
    const bodies = ['[', '> ', '- ', '`', '*a ', '_', 'https://x.io/(', '\\'].map((unit) => (unit.repeat(65536 / unit.length) + '@a').slice(-65536));
    for (const body of bodies) expect(Array.isArray(mentionList(body))).toBe(true);
  });
});

describe('mentionsMe', () => {
  it.each([
    ['hey @alice', '@alice', true],
    ['hey @Alice', 'alice', true],
    ['hey @alicex', '@alice', false],
    ['ping @here', '@bob', true],
    ['ping @channel', '@bob', true],
    ['`@alice` in code', '@alice', false],
    ['mail alice@example.com', '@alice', false],
    ['nobody', '@alice', false],
    ['@alice', '', false],
  ])('%s for %s: %s', (body, me, expected) => {
    expect(mentionsMe(body, me)).toBe(expected);
  });
});

describe('mentionAt', () => {
  it('reads no further than it is told', () => {
    expect(mentionAt('[@alice]', 1, 4)).toEqual({ handle: '@al', end: 4 });
    expect(mentionAt('x@alice', 1)).toBeUndefined();
  });
});
