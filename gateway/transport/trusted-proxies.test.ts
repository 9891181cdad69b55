import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { forwardedClient, TrustedProxies } from './trusted-proxies.ts';

const trusted = new TrustedProxies(['10.0.0.0/8', '192.0.2.7', 'fd00::/8', '::1']);

/** Just what forwardedClient reads of a request. */
const req = (peer: string, headers: Record<string, string> = {}, encrypted = false) =>
  ({ socket: { remoteAddress: peer, remotePort: 4000, encrypted }, headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) }) as unknown as IncomingMessage;

describe('trusted proxies', () => {
  it.each([
    ['10.200.3.4', true], ['11.0.0.1', false], ['192.0.2.7', true], ['192.0.2.8', false],
    ['::ffff:10.1.1.1', true], ['fd12:3456::1', true], ['fe80::1', false], ['::1', true], ['::2', false], ['', false],
  ])('%s trusted: %s', (address, yes) => {
    expect(trusted.trusts(address)).toBe(yes);
  });

  it('trusts nobody when the list is empty', () => {
    expect(new TrustedProxies([]).trusts('127.0.0.1')).toBe(false);
  });

  it.each([
    ['an untrusted peer: headers ignored', req('203.0.113.1', { 'X-Forwarded-For': '1.2.3.4', 'X-Forwarded-Proto': 'https' }), { address: '203.0.113.1', remote: '203.0.113.1:4000', proto: null }],
    ['an untrusted TLS peer', req('203.0.113.1', { 'X-Forwarded-Proto': 'http' }, true), { address: '203.0.113.1', remote: '203.0.113.1:4000', proto: 'https' }],
    ['a trusted proxy naming a client', req('10.0.0.2', { 'X-Forwarded-For': '198.51.100.9', 'X-Forwarded-Proto': 'https' }), { address: '198.51.100.9', remote: '198.51.100.9:?', proto: 'https' }],
    ['a chain of trusted proxies: the first untrusted hop from the right', req('10.0.0.2', { 'X-Forwarded-For': '6.6.6.6, 198.51.100.9, 10.9.9.9' }), { address: '198.51.100.9', remote: '198.51.100.9:?', proto: null }],
    ['a trusted proxy without the header: itself', req('::ffff:10.0.0.2'), { address: '10.0.0.2', remote: '::ffff:10.0.0.2:4000', proto: null }],
    ['a hop that is not an address: the last good one', req('10.0.0.2', { 'X-Forwarded-For': 'unknown' }), { address: '10.0.0.2', remote: '10.0.0.2:4000', proto: null }],
    ['an IPv6 client', req('fd00::5', { 'X-Forwarded-For': '2001:db8::1' }), { address: '2001:db8::1', remote: '2001:db8::1:?', proto: null }],
    ['an IPv4-mapped client', req('::1', { 'X-Forwarded-For': '::ffff:198.51.100.3' }), { address: '198.51.100.3', remote: '198.51.100.3:?', proto: null }],
    ['a proto list: the client\'s is first', req('10.0.0.2', { 'X-Forwarded-Proto': 'https, http' }), { address: '10.0.0.2', remote: '10.0.0.2:4000', proto: 'https' }],
    ['a proto that is neither', req('10.0.0.2', { 'X-Forwarded-Proto': 'gopher' }), { address: '10.0.0.2', remote: '10.0.0.2:4000', proto: null }],
  ])('reads %s', (_name, request, expected) => {
    expect(forwardedClient(request, trusted)).toEqual(expected);
  });
});
