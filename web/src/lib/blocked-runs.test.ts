import { describe, expect, it } from 'vitest';
import type { Row } from './format.ts';
import { blockedLine, gatherBlocked } from './blocked-runs.ts';

const row = (id: number, from: string, day: string | null = null, mine = false): Row => ({
  item: { kind: 'msg', id, from, ts: '2026-12-07T10:00:00.000Z', body: 'x', mine, reactions: [] },
  head: true,
  day,
});
const shape = (rows: Row[]) =>
  gatherBlocked(rows, (n) => n.toLowerCase() === '@troll').map((e) => (e.kind === 'row' ? (e.row.item as { id: number }).id : `${e.key}:${e.rows.length}`));

describe("a blocked user's messages in a channel", () => {
  it('gathers each run of consecutive ones into one entry, keyed by its first message', () => {
    expect(shape([row(1, '@ann'), row(2, '@Troll'), row(3, '@troll'), row(4, '@ann'), row(5, '@troll')])).toEqual([1, 'b2:2', 4, 'b5:1']);
  });

  it('starts a new run on a new day, and leaves everyone else alone', () => {
    expect(shape([row(1, '@troll', 'Yesterday'), row(2, '@troll', 'Today'), row(3, '@troll')])).toEqual(['b1:1', 'b2:2']);
    expect(shape([row(1, '@ann'), row(2, '@bob')])).toEqual([1, 2]);
  });

  it('reads "1 message" and "n messages"', () => {
    expect(blockedLine(1)).toBe('1 message from a blocked user');
    expect(blockedLine(3)).toBe('3 messages from a blocked user');
  });
});
