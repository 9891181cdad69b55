import { describe, expect, it } from 'vitest';
import { preview, titleFor } from './alerts.ts';
import { parseToken } from './storage.ts';

describe('the tab title', () => {
  it('puts what calls for you first, then the unread count', () => {
    expect(titleFor(0, 0)).toBe('SLCK');
    expect(titleFor(3, 0)).toBe('(3) SLCK');
    expect(titleFor(5, 2)).toBe('(@2 · 5) SLCK');
    // Every unread message calls for you (a direct message, say): one number says it all.
    expect(titleFor(1, 1)).toBe('(@1) SLCK');
  });

  it('names the conversation open after the counts', () => {
    expect(titleFor(5, 2, '#general')).toBe('(@2 · 5) #general · SLCK');
    expect(titleFor(0, 0, '@bob')).toBe('@bob · SLCK');
    expect(titleFor(3, 0, '#dev')).toBe('(3) #dev · SLCK');
  });
});

describe('a notification preview', () => {
  it('folds whitespace, shows control characters and cuts long bodies', () => {
    expect(preview('  two\nlines\r\n and\tmore ')).toBe('two lines and more');
    expect(preview('bell \x07')).toBe('bell \u2407');
    expect(preview('\x1b[31mred\x1b[0m')).toBe('red');
    const long = preview('x'.repeat(500));
    expect(long).toHaveLength(160);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('the stored session token', () => {
  it('is read only when well formed', () => {
    expect(parseToken(JSON.stringify({ handle: '@jane', token: 'abc' }))).toEqual({ handle: '@jane', token: 'abc' });
    for (const raw of [null, '', 'not json', '"a string"', '{}', JSON.stringify({ handle: '@jane' }), JSON.stringify({ handle: '', token: 't' })]) {
      expect(parseToken(raw)).toBeNull();
    }
  });
});
