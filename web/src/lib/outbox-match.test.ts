import { describe, expect, it } from 'vitest';
import { matchStored, type Stored } from './outbox-match.ts';

const isMe = (name: string) => name.toLowerCase() === '@me';
const msg = (id: number, from: string, body: string): Stored => ({ id, from, body });

describe('matchStored: which unanswered sends the server stored', () => {
  it('finds mine with the same body after the point the MSG was written', () => {
    const history = [msg(4, '@me', 'hello'), msg(6, '@kim', 'hello'), msg(7, '@me', 'hello')];
    const found = matchStored([{ id: 1, body: 'hello', after: 5 }], history, isMe);
    expect(found.get(1)?.id).toBe(7);
  });

  it('does not take another person’s message, or mine from before', () => {
    const history = [msg(4, '@me', 'hello'), msg(6, '@kim', 'hello')];
    expect(matchStored([{ id: 1, body: 'hello', after: 5 }], history, isMe).size).toBe(0);
  });

  it('gives one stored message to one send, in the order sent', () => {
    const history = [msg(10, '@me', 'ok'), msg(11, '@me', 'then'), msg(12, '@kim', 'ok')];
    const unsure = [
      { id: 1, body: 'ok', after: 9 },
      { id: 2, body: 'then', after: 9 },
      { id: 3, body: 'ok', after: 9 },
    ];
    const found = matchStored(unsure, history, isMe);
    expect(found.get(1)?.id).toBe(10);
    expect(found.get(2)?.id).toBe(11);
    // Stored once: the second "ok" goes out again.
    expect(found.has(3)).toBe(false);
  });

  it('does not match out of order: a later send cannot be stored before an earlier one', () => {
    const history = [msg(10, '@me', 'second'), msg(11, '@me', 'first')];
    const found = matchStored([{ id: 1, body: 'first', after: 9 }, { id: 2, body: 'second', after: 9 }], history, isMe);
    expect(found.get(1)?.id).toBe(11);
    expect(found.has(2)).toBe(false);
  });
});
