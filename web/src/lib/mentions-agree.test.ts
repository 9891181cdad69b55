import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { markup } from './render.ts';
import { findMentions, mentionList } from '../../../core/mentions.ts';
import { MENTION_CASES } from '../../../core/mention-cases.ts';

// The server counts mentions by core/mentions.ts; the page highlights them while rendering
// Markdown (render.ts). Both must find the same ones, or a badge says "@1" where the page
// shows no mention, or the other way round.

/** The mentions the page highlights, in order. */
const highlighted = (body: string): string[] =>
  [...markup(body, '@nobody').html.matchAll(/<span class="mention[^"]*">([^<]*)<\/span>/g)].map((m) => m[1]);

describe('the page highlights what the server counts', () => {
  it.each(MENTION_CASES.map((c) => [c.what, c] as const))('%s', (_what, c) => {
    const shown = highlighted(c.body);
    const all = shown.filter((h) => /^@(channel|here)$/i.test(h));
    const people = shown.filter((h, i) => !all.includes(h) && shown.findIndex((o) => o.toLowerCase() === h.toLowerCase()) === i);
    expect({ handles: people, everyone: all.length > 0 }).toEqual({ handles: c.handles, everyone: c.everyone ?? false });
    expect(findMentions(c.body)).toEqual({ handles: c.handles, everyone: c.everyone ?? false });
  });

  // Bodies made of the pieces that decide where a mention can be: code, fences, quotes,
  // lists, escapes, emphasis, links, URLs. (600,000 of them agreed when this was written.)
  const pieces = [
    '@al', '@bo', '@x.', '@__', '@here', ' ', '\n', '\n\n', '\r\n', '\t', '    ', '`', '``', '```', '```js', '~~~', '~~', '~',
    '> ', '> > ', '- ', '* ', '1. ', '2) ', '   - ', '_', '__', '*', '**', '\\', 'x', '.', '<', '>', '[', ']', '(', ')', '](',
    '{', '"', "'", 'https://h.io/?q=', 'http://', 'h.io', '/', '?', '=', ',', '!', ':', 'mailto:', 'a@', '<a@b.io>', '»', 'é',
    '\x1b[1m', '[x](<https://h.io/?q=', '>)', ' "t"', 'javascript:', '\x07', '\u202e', '\x85', ':smile:', 'bank.io',
  ];
  it('on bodies made of the pieces that decide it', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 30 }), (parts) => {
        const body = parts.join('');
        expect(mentionList(body), JSON.stringify(body)).toEqual(highlighted(body));
      }),
      { numRuns: Number(process.env.AGREE_RUNS ?? 3000) },
    );
  });
});
