import { describe, expect, it } from 'vitest';
import { applyChange, deleted, edited, listNames, reacted, replied, unreacted, whoReacted, withStates, type MessageItem } from './message-state.ts';

const msg = (over: Partial<MessageItem> = {}): MessageItem => ({
  kind: 'msg', id: 5, from: '@alice', ts: '2026-12-07T10:00:00.000Z', body: 'helo', mine: false, reactions: [], ...over,
});

describe('a message as its log changes it', () => {
  it('an edit replaces the text and marks it edited; the same edit again changes nothing', () => {
    const once = edited(msg(), 'hello', '2026-12-07T10:01:00.000Z');
    expect(once).toMatchObject({ body: 'hello', edited: '2026-12-07T10:01:00.000Z' });
    expect(edited(once, 'hello', '2026-12-07T10:01:00.000Z')).toBe(once);
  });

  it('a replayed older edit carries the current text (spec) and keeps the later time', () => {
    const now = edited(msg(), 'final', '2026-12-07T10:05:00.000Z');
    const replayed = edited(now, 'final', '2026-12-07T10:01:00.000Z');
    expect(replayed.edited).toBe('2026-12-07T10:05:00.000Z');
  });

  it('a delete leaves a tombstone: no text, no reactions, the thread kept; nothing edits it back', () => {
    const root = msg({ reactions: [{ reaction: '👍', by: ['@bob'] }], thread: { count: 2, lastId: 9, lastTs: 't', by: ['@bob'] }, edited: 'x' });
    const gone = deleted(root);
    expect(gone).toMatchObject({ body: '', deleted: true, reactions: [], thread: root.thread });
    expect(gone.edited).toBeUndefined();
    expect(deleted(gone)).toBe(gone);
    expect(edited(gone, 'back', 'z')).toBe(gone);
    expect(reacted(gone, '👍', '@bob')).toBe(gone);
  });

  it('reactions: one per user per emoji, in the order first added; taking the last one back removes the pill', () => {
    let m = reacted(msg(), '👍', '@bob');
    m = reacted(m, '🎉', '@carol');
    m = reacted(m, '👍', '@carol');
    expect(reacted(m, '👍', '@Bob')).toBe(m);
    expect(m.reactions).toEqual([
      { reaction: '👍', by: ['@bob', '@carol'] },
      { reaction: '🎉', by: ['@carol'] },
    ]);
    m = unreacted(m, '🎉', '@carol');
    expect(m.reactions).toEqual([{ reaction: '👍', by: ['@bob', '@carol'] }]);
    expect(unreacted(m, '🎉', '@carol')).toBe(m);
    expect(unreacted(m, '👍', '@BOB').reactions).toEqual([{ reaction: '👍', by: ['@carol'] }]);
  });

  it('a reply counts on its root once: a replay of one the summary has is not counted again', () => {
    const root = msg({ thread: { count: 2, lastId: 9, lastTs: 'a', by: ['@bob', '@carol'] } });
    expect(replied(root, 9, '@bob', 'a')).toBe(root);
    expect(replied(root, 7, '@bob', 'a')).toBe(root);
    const more = replied(root, 12, '@carol', 'b');
    expect(more.thread).toEqual({ count: 3, lastId: 12, lastTs: 'b', by: ['@carol', '@bob'] });
    const first = replied(msg(), 6, '@dan', 'c');
    expect(first.thread).toEqual({ count: 1, lastId: 6, lastTs: 'c', by: ['@dan'] });
  });

  it('a summary names the five most recent repliers', () => {
    let m = msg();
    for (const [i, u] of ['@a', '@b', '@c', '@d', '@e', '@f'].entries()) m = replied(m, 10 + i, u, 't');
    expect(m.thread?.by).toEqual(['@f', '@e', '@d', '@c', '@b']);
  });

  it('applyChange routes each kind', () => {
    const m = msg();
    expect(applyChange(m, { type: 'EDIT', from: '@alice', of: 5, ts: 't', body: 'x' }).body).toBe('x');
    expect(applyChange(m, { type: 'DELETE', from: '@alice', of: 5 }).deleted).toBe(true);
    expect(applyChange(m, { type: 'REACT', from: '@bob', of: 5, reaction: '😀' }).reactions).toHaveLength(1);
    expect(applyChange(m, { type: 'UNREACT', from: '@bob', of: 5, reaction: '😀' })).toBe(m);
  });
});

describe('a page with its state lines', () => {
  it('applies EDITED, DELETED, REACTION and REPLIES to the message they name', () => {
    const items = [msg({ id: 1 }), msg({ id: 2 }), msg({ id: 3, body: '' })];
    const out = withStates(items, [
      { type: 'EDITED', id: 1, ts: 'e' },
      { type: 'REACTION', id: 1, reaction: '👍', by: ['@a', '@b'] },
      { type: 'REACTION', id: 1, reaction: '🎉', by: ['@c'] },
      { type: 'REPLIES', id: 1, count: 4, lastId: 20, lastTs: 'r', by: ['@b'] },
      { type: 'DELETED', id: 3 },
    ]);
    expect(out[0]).toMatchObject({ edited: 'e', reactions: [{ reaction: '👍', by: ['@a', '@b'] }, { reaction: '🎉', by: ['@c'] }], thread: { count: 4, lastId: 20 } });
    expect(out[1]).toBe(items[1]);
    expect(out[2]).toMatchObject({ deleted: true, body: '' });
  });
});

describe('words', () => {
  it('who reacted, with "you" for me', () => {
    expect(whoReacted({ reaction: '👍', by: ['@bob', '@me', '@carol'] }, (u) => u === '@me')).toBe('@bob, you and @carol reacted with 👍');
    expect(listNames(['@a'])).toBe('@a');
    expect(listNames(['@a', '@b'])).toBe('@a and @b');
  });
});
