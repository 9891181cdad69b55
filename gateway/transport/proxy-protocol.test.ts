import { describe, expect, it } from 'vitest';
import { MAX_V2_BODY, ProxyPreamble, V1_MAX, V2_SIGNATURE, type PreambleResult } from './proxy-protocol.ts';

const text = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));

/** A v2 header: command (0 LOCAL, 1 PROXY), family byte, body. */
function v2(command: number, family: number, body: number[], version = 2): Uint8Array {
  return Uint8Array.from([...V2_SIGNATURE, (version << 4) | command, family, body.length >> 8, body.length & 0xff, ...body]);
}
const port = (p: number) => [p >> 8, p & 0xff];
const tcp4 = (src: number[], sport: number) => [...src, 127, 0, 0, 1, ...port(sport), ...port(8081)];
const ip6 = (groups: number[]) => groups.flatMap((g) => [g >> 8, g & 0xff]);
const tcp6 = (src: number[], sport: number) => [...ip6(src), ...ip6([0, 0, 0, 0, 0, 0, 0, 1]), ...port(sport), ...port(8081)];

/** Fed whole, and fed one byte at a time: the answers must agree. */
function both(bytes: Uint8Array): PreambleResult {
  const whole = new ProxyPreamble().push(bytes);
  const p = new ProxyPreamble();
  let r: PreambleResult = { state: 'more' };
  for (const b of bytes) {
    r = p.push(Uint8Array.of(b));
    if (r.state !== 'more') break;
  }
  if (r.state === 'done') {
    // Byte by byte, what followed the preamble comes in later pushes: compare the source only.
    expect(whole.state).toBe('done');
    expect((whole as { source: unknown }).source).toEqual(r.source);
  } else {
    expect(r).toEqual(whole);
  }
  return whole;
}

describe('PROXY protocol preamble', () => {
  it.each([
    ['v1 TCP4', text('PROXY TCP4 203.0.113.9 127.0.0.1 51234 8081\r\n'), { address: '203.0.113.9', port: 51234 }],
    ['v1 TCP6', text('PROXY TCP6 2001:db8::7 ::1 65535 8081\r\n'), { address: '2001:db8::7', port: 65535 }],
    ['v1 UNKNOWN', text('PROXY UNKNOWN\r\n'), null],
    ['v1 UNKNOWN with addresses', text('PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n'), null],
    ['v2 PROXY TCP4', v2(1, 0x11, tcp4([198, 51, 100, 20], 40000)), { address: '198.51.100.20', port: 40000 }],
    ['v2 PROXY TCP6', v2(1, 0x21, tcp6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x42], 443)), { address: '2001:db8::42', port: 443 }],
    ['v2 PROXY TCP6 holding an IPv4 client', v2(1, 0x21, tcp6([0, 0, 0, 0, 0, 0xffff, 0x7f00, 0x0003], 9)), { address: '127.0.0.3', port: 9 }],
    ['v2 PROXY TCP4 with TLVs', v2(1, 0x11, [...tcp4([10, 1, 2, 3], 5), 0x01, 0x00, 0x02, 0x68, 0x32, 0x04, 0x00, 0x00]), { address: '10.1.2.3', port: 5 }],
    ['v2 LOCAL (a health check)', v2(0, 0x00, []), null],
    ['v2 LOCAL with an address block', v2(0, 0x11, tcp4([1, 2, 3, 4], 5)), null],
    ['v2 PROXY UNSPEC', v2(1, 0x00, []), null],
  ])('reads %s', (_name, bytes, source) => {
    const after = text('REG @ann\r\n');
    const all = new Uint8Array(bytes.length + after.length);
    all.set(bytes);
    all.set(after, bytes.length);
    const r = both(all);
    expect(r).toEqual({ state: 'done', source, rest: after });
  });

  it.each([
    ['no preamble: a command', text('REG @ann\r\n'), 'the connection did not start with a PROXY protocol preamble'],
    ['no preamble: telnet', Uint8Array.of(0xff, 0xfd, 0x03), 'the connection did not start with a PROXY protocol preamble'],
    ['PROXY in lower case', text('proxy TCP4 1.2.3.4 1.2.3.4 1 2\r\n'), 'the connection did not start with a PROXY protocol preamble'],
    ['v1 over 107 bytes', text(`PROXY TCP4 ${'1'.repeat(V1_MAX)}`), `PROXY v1 line longer than ${V1_MAX} bytes`],
    ['v1 LF without CR', text('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n'), 'PROXY v1 line does not end in CRLF'],
    ['v1 UDP', text('PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n'), 'PROXY v1 protocol "UDP4" is not TCP4, TCP6 or UNKNOWN'],
    ['v1 TCP4 with an IPv6 address', text('PROXY TCP4 ::1 5.6.7.8 1 2\r\n'), 'PROXY v1 addresses are not TCP4 addresses'],
    ['v1 TCP4 with a name', text('PROXY TCP4 example.com 5.6.7.8 1 2\r\n'), 'PROXY v1 addresses are not TCP4 addresses'],
    ['v1 port too big', text('PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n'), 'PROXY v1 ports are not 0 to 65535'],
    ['v1 port with a leading zero', text('PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n'), 'PROXY v1 ports are not 0 to 65535'],
    ['v1 two spaces', text('PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n'), 'PROXY v1 line is not "PROXY TCP4|TCP6 src dst sport dport"'],
    ['v1 missing a port', text('PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n'), 'PROXY v1 line is not "PROXY TCP4|TCP6 src dst sport dport"'],
    ['v2 version 1', v2(1, 0x11, tcp4([1, 2, 3, 4], 5), 1), 'PROXY v2 header has version 1'],
    ['v2 command 2', v2(2, 0x11, tcp4([1, 2, 3, 4], 5)), 'PROXY v2 command 2 is neither LOCAL nor PROXY'],
    ['v2 UDP4', v2(1, 0x12, tcp4([1, 2, 3, 4], 5)), 'PROXY v2 address family 0x12 is not TCP over IPv4 or IPv6'],
    ['v2 UNIX stream', v2(1, 0x31, new Array(216).fill(0)), 'PROXY v2 address family 0x31 is not TCP over IPv4 or IPv6'],
    ['v2 TCP4 block short', v2(1, 0x11, [1, 2, 3, 4]), 'PROXY v2 TCP4 address block is short'],
    ['v2 TCP6 block short', v2(1, 0x21, tcp4([1, 2, 3, 4], 5)), 'PROXY v2 TCP6 address block is short'],
    ['v2 body over the bound', v2(1, 0x11, new Array(MAX_V2_BODY + 1).fill(0)), `PROXY v2 body of ${MAX_V2_BODY + 1} bytes is over ${MAX_V2_BODY}`],
    ['v2 signature broken at its last byte', Uint8Array.from([...V2_SIGNATURE.subarray(0, 11), 0x0b, 0x21, 0x11, 0, 12]), 'the connection did not start with a PROXY protocol preamble'],
  ])('refuses %s', (_name, bytes, reason) => {
    expect(both(bytes)).toEqual({ state: 'bad', reason });
  });

  it('waits for the rest of a preamble, and says nothing until it has it', () => {
    const p = new ProxyPreamble();
    expect(p.push(text('PROXY TCP4 1.2.3.4 5.6.7.8 1'))).toEqual({ state: 'more' });
    expect(p.push(V2_SIGNATURE.subarray(0, 0))).toEqual({ state: 'more' });
    expect(p.push(text(' 2\r'))).toEqual({ state: 'more' });
    expect(p.push(text('\nPING\r\n'))).toEqual({ state: 'done', source: { address: '1.2.3.4', port: 1 }, rest: text('PING\r\n') });
    // Once answered, later bytes are the client's, not the preamble's.
    expect(p.push(text('PROXY UNKNOWN\r\n'))).toMatchObject({ state: 'done', source: { address: '1.2.3.4' } });
  });

  it('holds no more than the bound while a v2 body is announced', () => {
    const p = new ProxyPreamble();
    const header = v2(1, 0x11, new Array(MAX_V2_BODY).fill(0)).subarray(0, 16);
    expect(p.push(header)).toEqual({ state: 'more' });
    expect(p.push(new Uint8Array(MAX_V2_BODY - 1))).toEqual({ state: 'more' });
    expect(p.push(new Uint8Array(1)).state).toBe('done');
  });
});
