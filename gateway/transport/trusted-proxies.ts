import net from 'node:net';
import type { IncomingMessage } from 'node:http';
import { addressKey } from '../limits/admission.ts';

/**
 * The proxies whose word on the client is taken (`--trusted-proxies`). One matcher for every
 * door: Fastify's `trustProxy` (request.ip, request.protocol), the WebSocket upgrade, and the
 * TCP ports' PROXY protocol. Node's BlockList does the CIDR matching (an IPv4 peer a
 * dual-stack socket reports as ::ffff:a.b.c.d matches IPv4 entries).
 */
export class TrustedProxies {
  private readonly list = new net.BlockList();
  readonly any: boolean;

  constructor(entries: string[]) {
    this.any = entries.length > 0;
    for (const entry of entries) {
      const [address, prefix] = entry.split('/');
      const type = net.isIPv6(address) ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.list.addAddress(address, type);
      else this.list.addSubnet(address, Number(prefix), type);
    }
  }

  /** Whether `address` (a socket's remoteAddress) is a trusted proxy. */
  trusts(address: string | undefined): boolean {
    if (!this.any || address === undefined) return false;
    const type = net.isIPv6(address) ? 'ipv6' : net.isIPv4(address) ? 'ipv4' : null;
    return type !== null && this.list.check(address, type);
  }
}

/** Who is at the other end of an HTTP request (a WebSocket upgrade), and over what scheme. */
export type ForwardedClient = {
  /** The client's address: the socket's, or the one a trusted proxy named. */
  address: string;
  /** `ip:port` for logs and the sign-in limits: the port is `?` when a proxy named the address (it is not sent). */
  remote: string;
  /** `https` or `http` when known (a TLS socket, or a trusted proxy's X-Forwarded-Proto); null otherwise. */
  proto: 'http' | 'https' | null;
};

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

/**
 * X-Forwarded-For as Fastify's proxy-addr reads it: from the socket's peer, walk the list
 * right to left while each hop is trusted; the first untrusted one is the client (an address
 * a client wrote itself sits left of it and is never reached). Only the socket's peer being
 * trusted lets X-Forwarded-Proto count; of a list, the first value is the client's scheme.
 */
export function forwardedClient(req: IncomingMessage, trusted: TrustedProxies): ForwardedClient {
  const peer = req.socket.remoteAddress ?? '';
  const socketRemote = `${peer}:${req.socket.remotePort}`;
  const tlsSocket = (req.socket as { encrypted?: boolean }).encrypted === true;
  const own: ForwardedClient = { address: peer, remote: socketRemote, proto: tlsSocket ? 'https' : null };
  if (!trusted.trusts(peer)) return own;
  let address = peer;
  const hops = (header(req, 'x-forwarded-for') ?? '').split(',').map((h) => h.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0 && trusted.trusts(address); i--) {
    // A hop that is not an address (a proxy writing "unknown"): stop at the last one known.
    if (net.isIP(hops[i]) === 0) break;
    address = hops[i];
  }
  const forwardedProto = (header(req, 'x-forwarded-proto') ?? '').split(',')[0].trim().toLowerCase();
  const proto = forwardedProto === 'https' || forwardedProto === 'http' ? forwardedProto : own.proto;
  const key = addressKey(address);
  // As the socket's own (`ip:port`, IPv6 unbracketed): reg.ts takes the address before the last colon.
  return { address: key, remote: address === peer ? socketRemote : `${key}:?`, proto };
}
