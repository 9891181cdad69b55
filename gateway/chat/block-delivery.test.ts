/**
 * A DM committed on a node that had not yet heard of the recipient's BLOCK (the bus's window)
 * reaches the other nodes marked for the hub: not for the recipient (blocks.ts). CI once showed
 * such a DM on the blocker's phone right after its BLOCKED (multi-node.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../core/index.ts';
import { blockAwareDelivery } from './blocks.ts';
import type { ChatHost } from './chat.ts';
import { Directory } from './directory.ts';
import type { MessageEvent } from './events.ts';

describe('delivery with blocks', () => {
  it('marks a DM whose recipient blocks its sender, and nothing else', () => {
    const dir = new Directory();
    dir.apply({ t: 'block', user: '@Ann', blocked: '@Kim', on: true, via: 'n1/c1' });
    const got: string[] = [];
    const host = {
      interested: () => true, isHere: () => true,
      deliver: (m: MessageEvent, recipientBlocks?: boolean) => void got.push(`${m.from}>${m.target} ${recipientBlocks === true}`),
    } as unknown as ChatHost;
    const delivery = blockAwareDelivery(host, dir);
    const msg = (from: string, target: string, conv: string): MessageEvent => ({ t: 'msg', conv, id: 1, target, from, ts: '2026-12-08T00:00:00.000Z', body: utf8('hi') });
    delivery.deliver(msg('@Kim', '@Ann', '@ann @kim'));
    delivery.deliver(msg('@Ann', '@Kim', '@ann @kim'));
    delivery.deliver(msg('@Kim', '#general', '#general'));
    delivery.deliver(msg('@Bob', '@Ann', '@ann @bob'));
    expect(got).toEqual(['@Kim>@Ann true', '@Ann>@Kim false', '@Kim>#general false', '@Bob>@Ann false']);
  });
});
