import net from 'node:net';

/**
 * The PROXY protocol preamble (HAProxy's spec, proxy-protocol.txt), versions 1 and 2: what a
 * trusted proxy in front of the TCP port writes before the client's first byte, naming the
 * client. Read incrementally (any split of the bytes gives the same answer) and bounded: a
 * v1 line is at most 107 bytes, a v2 header 16 bytes and its body at most MAX_V2_BODY.
 *
 * Written here rather than taken from npm: the packages there either wrap net.Server
 * (proxywrap, unmaintained since 2017) or parse a whole buffer with no bound or partial
 * input (proxy-protocol-js); the format is small and fixed.
 */

/** v1's longest line, CRLF included ("PROXY TCP6 <39> <39> 65535 65535\r\n"). */
export const V1_MAX = 107;
/** The v2 signature: no text protocol's first bytes look like it. */
export const V2_SIGNATURE = Uint8Array.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** v2 body past the 16-byte header: the longest address block (UNIX, 216) and a few TLVs. */
export const MAX_V2_BODY = 512;
const V1_PREFIX = Uint8Array.from(Buffer.from('PROXY ', 'latin1'));

/** The client the proxy named; null for LOCAL (v2) or UNKNOWN (v1): the peer is itself. */
export type ProxiedSource = { address: string; port: number } | null;

export type PreambleResult =
  | { state: 'more' }
  | { state: 'done'; source: ProxiedSource; rest: Uint8Array }
  | { state: 'bad'; reason: string };

/** Feed bytes as they come; `done` gives the source and whatever followed the preamble. */
export class ProxyPreamble {
  private buf = new Uint8Array(0);
  private result: PreambleResult = { state: 'more' };

  push(chunk: Uint8Array): PreambleResult {
    if (this.result.state !== 'more') return this.result;
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    this.buf = joined;
    this.result = parse(joined);
    if (this.result.state !== 'more') this.buf = new Uint8Array(0);
    return this.result;
  }
}

/** Whether `bytes` is, so far, a prefix of `expected`. */
function startsLike(bytes: Uint8Array, expected: Uint8Array): boolean {
  const n = Math.min(bytes.length, expected.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== expected[i]) return false;
  return true;
}

function parse(b: Uint8Array): PreambleResult {
  if (startsLike(b, V2_SIGNATURE)) return b.length < V2_SIGNATURE.length ? { state: 'more' } : parseV2(b);
  if (startsLike(b, V1_PREFIX)) return parseV1(b);
  return { state: 'bad', reason: 'the connection did not start with a PROXY protocol preamble' };
}

function parseV1(b: Uint8Array): PreambleResult {
  const lf = b.indexOf(0x0a);
  if (lf === -1) {
    return b.length >= V1_MAX ? { state: 'bad', reason: `PROXY v1 line longer than ${V1_MAX} bytes` } : { state: 'more' };
  }
  if (lf + 1 > V1_MAX) return { state: 'bad', reason: `PROXY v1 line longer than ${V1_MAX} bytes` };
  if (b[lf - 1] !== 0x0d) return { state: 'bad', reason: 'PROXY v1 line does not end in CRLF' };
  const line = Buffer.from(b.subarray(0, lf - 1)).toString('latin1');
  const rest = b.slice(lf + 1);
  const parts = line.split(' ');
  if (parts[1] === 'UNKNOWN') return { state: 'done', source: null, rest };
  if (parts.length !== 6) return { state: 'bad', reason: 'PROXY v1 line is not "PROXY TCP4|TCP6 src dst sport dport"' };
  const [, proto, src, dst, sport, dport] = parts;
  const family = proto === 'TCP4' ? 4 : proto === 'TCP6' ? 6 : 0;
  if (family === 0) return { state: 'bad', reason: `PROXY v1 protocol "${proto}" is not TCP4, TCP6 or UNKNOWN` };
  if (net.isIP(src) !== family || net.isIP(dst) !== family) return { state: 'bad', reason: `PROXY v1 addresses are not ${proto} addresses` };
  const port = (p: string) => (/^(0|[1-9]\d{0,4})$/.test(p) && Number(p) <= 65535 ? Number(p) : null);
  const from = port(sport);
  if (from === null || port(dport) === null) return { state: 'bad', reason: 'PROXY v1 ports are not 0 to 65535' };
  return { state: 'done', source: { address: src, port: from }, rest };
}

const AF_INET_STREAM = 0x11;
const AF_INET6_STREAM = 0x21;

function parseV2(b: Uint8Array): PreambleResult {
  if (b.length < 16) return { state: 'more' };
  const version = b[12] >> 4;
  const command = b[12] & 0x0f;
  if (version !== 2) return { state: 'bad', reason: `PROXY v2 header has version ${version}` };
  if (command > 1) return { state: 'bad', reason: `PROXY v2 command ${command} is neither LOCAL nor PROXY` };
  const length = (b[14] << 8) | b[15];
  if (length > MAX_V2_BODY) return { state: 'bad', reason: `PROXY v2 body of ${length} bytes is over ${MAX_V2_BODY}` };
  if (b.length < 16 + length) return { state: 'more' };
  const body = b.subarray(16, 16 + length);
  const rest = b.slice(16 + length);
  // LOCAL: the proxy speaking for itself (a health check): the peer is the client.
  if (command === 0) return { state: 'done', source: null, rest };
  const family = b[13];
  if (family === AF_INET_STREAM) {
    if (length < 12) return { state: 'bad', reason: 'PROXY v2 TCP4 address block is short' };
    const address = `${body[0]}.${body[1]}.${body[2]}.${body[3]}`;
    return { state: 'done', source: { address, port: (body[8] << 8) | body[9] }, rest };
  }
  if (family === AF_INET6_STREAM) {
    if (length < 36) return { state: 'bad', reason: 'PROXY v2 TCP6 address block is short' };
    // An IPv4 client through an IPv6 proxy (::ffff:a.b.c.d): counted as the IPv4 address it is.
    if (body.subarray(0, 10).every((x) => x === 0) && body[10] === 0xff && body[11] === 0xff) {
      return { state: 'done', source: { address: `${body[12]}.${body[13]}.${body[14]}.${body[15]}`, port: (body[32] << 8) | body[33] }, rest };
    }
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((body[i] << 8) | body[i + 1]).toString(16));
    // Through the URL parser: the canonical short form (`2001:db8::1`), as sockets report it.
    const address = new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
    return { state: 'done', source: { address, port: (body[32] << 8) | body[33] }, rest };
  }
  // UNSPEC: the spec lets the receiver use the real endpoints.
  if (family === 0x00) return { state: 'done', source: null, rest };
  return { state: 'bad', reason: `PROXY v2 address family 0x${family.toString(16).padStart(2, '0')} is not TCP over IPv4 or IPv6` };
}
