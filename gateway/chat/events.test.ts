import { describe, expect, it } from 'vitest';
import { decodeBatch, encodeBatch, originPrefix, type ChatEvent } from './events.ts';

describe('bus batches', () => {
  it('carry a turn of events, message bodies as raw bytes, and start with their origin', () => {
    const body = new Uint8Array([0, 10, 13, 255, 0x4a]);
    const events: ChatEvent[] = [
      { t: 'msg', conv: '#room', id: 7, target: '#room', from: '@jane', ts: '2026-12-02T10:00:00.000Z', body },
      { t: 'joined', channel: '#room', user: '@john' },
      { t: 'msg', conv: '@jane @john', id: 1, target: '@john', from: '@jane', ts: '2026-12-02T10:00:00.001Z', body: new Uint8Array(), queued: true },
    ];
    const payload = encodeBatch('n"1', 1234, events);
    expect(new TextDecoder().decode(payload.subarray(0, originPrefix('n"1').length))).toBe(originPrefix('n"1'));
    expect(decodeBatch(payload)).toEqual({ origin: 'n"1', at: 1234, events });
  });

  it('are told apart from anything else on the channel', () => {
    expect(decodeBatch(new TextEncoder().encode('hello'))).toBeNull();
    expect(decodeBatch(new TextEncoder().encode('{"x":1}\n'))).toBeNull();
    expect(decodeBatch(new TextEncoder().encode('not json\n'))).toBeNull();
  });
});
