import { describe, expect, it } from 'vitest';
import { followed, sortThreads, typingLine, withRead, withReply, type FollowedThread } from './thread-list.ts';

const t = (over: Partial<FollowedThread>): FollowedThread => ({
  target: '#dev', key: '#dev', root: 1, replies: 1, unread: 0, mentions: 0, lastId: 2, lastTs: '2026-12-07T10:00:00.000Z', ...over,
});

describe('the threads I follow', () => {
  it('unread first, then the most recent reply first', () => {
    const list = [t({ root: 1, lastTs: '2026-12-07T10:05:00.000Z' }), t({ root: 2, unread: 1, lastTs: '2026-12-07T09:00:00.000Z' }), t({ root: 3, lastTs: '2026-12-07T10:09:00.000Z' })];
    expect(sortThreads(list).map((x) => x.root)).toEqual([2, 3, 1]);
  });

  it('two last replies of one millisecond in one conversation: the later id first', () => {
    // Seen in CI: two replies sent back to back shared a timestamp and the list came out either way.
    const list = [t({ root: 8, unread: 1, lastId: 9 }), t({ root: 7, unread: 1, lastId: 10 })];
    expect(sortThreads(list).map((x) => x.root)).toEqual([7, 8]);
    expect(sortThreads([...list].reverse()).map((x) => x.root)).toEqual([7, 8]);
  });

  it('a reply counts once, goes to the top, and is unread unless read as it came', () => {
    const list = [t({ root: 1, lastTs: '2026-12-07T10:05:00.000Z' }), t({ root: 2, lastId: 7, lastTs: '2026-12-07T09:00:00.000Z' })];
    const after = withReply(list, '#dev', 2, { id: 9, ts: '2026-12-07T11:00:00.000Z', unread: true, mentionsMe: true })!;
    expect(after[0]).toMatchObject({ root: 2, replies: 2, unread: 1, mentions: 1, lastId: 9 });
    expect(withReply(after, '#dev', 2, { id: 9, ts: 'x', unread: true, mentionsMe: false })![0].unread).toBe(1);
    expect(withReply(after, '#dev', 1, { id: 10, ts: '2026-12-07T12:00:00.000Z', unread: false, mentionsMe: false })!.find((x) => x.root === 1)).toMatchObject({ replies: 2, unread: 0 });
    expect(withReply(list, '#dev', 99, { id: 10, ts: 'x', unread: true, mentionsMe: false })).toBeUndefined();
  });

  it('read: no unread left', () => {
    expect(withRead([t({ unread: 3, mentions: 1 })], '#dev', 1)[0]).toMatchObject({ unread: 0, mentions: 0 });
  });

  it('reads a FOLLOWING line, keyed by the conversation', () => {
    expect(followed({ target: '@Bob', root: 4, replies: 2, unread: 1, mentions: 0, lastId: 8, lastTs: 'x' })).toMatchObject({ key: '@bob', root: 4 });
  });
});

describe('who is typing', () => {
  it('one, two, several', () => {
    expect(typingLine([])).toBe('');
    expect(typingLine(['@alice'])).toBe('@alice is typing…');
    expect(typingLine(['@alice', '@bob'])).toBe('@alice and @bob are typing…');
    expect(typingLine(['@alice', '@bob', '@carol'])).toBe('Several people are typing…');
  });
});
