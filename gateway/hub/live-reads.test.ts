/**
 * Live reads are batched (live-reads.ts): whatever a person is shown in a second becomes one
 * mark per conversation, the newest id, and a closing connection hands its marks over at once.
 * Over sockets: gateway/test/live-read.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Conn } from './conn.ts';
import { LiveReads } from './live-reads.ts';
import type { Session } from '../transport/session.ts';

function signedIn(handle: string, id: string): Conn {
  const session = { id, remote: '127.0.0.1:1', transport: 'tcp', backlog: 0 } as unknown as Session;
  const c = new Conn(session);
  c.user = { key: handle.toLowerCase(), handle, conns: [c], channels: new Set() };
  return c;
}

describe('LiveReads', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('marks each conversation once a second at most, at the newest id shown', () => {
    const marks: string[] = [];
    const reads = new LiveReads((user, target, id) => void marks.push(`${user.handle} ${target} ${id} via ${user.conn}`), 1000);
    const tess = signedIn('@tess', 'c1');
    const kim = signedIn('@kim', 'c2');
    for (let id = 1; id <= 50; id++) reads.shown(tess, '#dev', id);
    reads.shown(tess, '@bob', 3);
    reads.shown(kim, '#dev', 50);
    reads.shown(tess, '#dev', 20); // out of order: the newest stays
    expect(marks).toEqual([]);
    vi.advanceTimersByTime(999);
    expect(marks).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(marks).toEqual(['@tess #dev 50 via c1', '@tess @bob 3 via c1', '@kim #dev 50 via c2']);
    // Nothing new, nothing marked.
    vi.advanceTimersByTime(5000);
    expect(marks).toHaveLength(3);
  });

  it('hands one user\'s marks over at once when asked (their terminal closed), and only theirs', () => {
    const marks: string[] = [];
    const reads = new LiveReads((user, target, id) => void marks.push(`${user.handle} ${target} ${id}`), 1000);
    reads.shown(signedIn('@tess', 'c1'), '#dev', 4);
    reads.shown(signedIn('@kim', 'c2'), '#dev', 4);
    reads.flushUser('@tess');
    expect(marks).toEqual(['@tess #dev 4']);
    reads.flushUser('@tess');
    vi.advanceTimersByTime(1000);
    expect(marks).toEqual(['@tess #dev 4', '@kim #dev 4']);
  });
});
