import { describe, expect, it } from 'vitest';
import { removalLine, removalNotice } from './moderation.svelte.ts';

// Issue 18 item 8: the other side sees each action with a clear sentence.
describe('what a removal says', () => {
  const kick = { type: 'KICKED' as const, channel: '#dev', user: '@bob', by: '@alice', reason: 'spam' };

  it('tells the removed person who did it and why', () => {
    expect(removalNotice(kick, false)).toBe('You were removed from #dev by @alice: spam');
    expect(removalNotice({ ...kick, type: 'BANNED', reason: '' }, true)).toBe('You were banned from #dev by @alice');
  });

  it('tells the others in the channel', () => {
    expect(removalLine(kick, false)).toBe('@bob was removed from #dev by @alice: spam');
    expect(removalLine({ ...kick, type: 'BANNED' }, true)).toBe('@bob was banned from #dev by @alice: spam');
  });
});
