import { isIP } from 'node:net';

/**
 * Which names a WebSocket upgrade may give in its Host header (spec §9). DNS rebinding
 * points an attacker's name at this server: the page's Origin then matches its Host, and the
 * origin check alone lets it in. The Host names what the browser thinks it is talking to, so
 * it must be a name this server answers to: an IP literal (a browser that reached us by IP
 * cannot be rebound), `localhost`, or one the operator listed.
 */

/** The name in a Host header, lower-cased, without its port; null if it is not one. */
export function hostOf(header: string): string | null {
  const h = header.trim().toLowerCase();
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(h);
  if (bracketed !== null) return isIP(bracketed[1]) === 6 ? bracketed[1] : null;
  // An IPv6 literal without brackets is not valid in a Host header, but not a risk either.
  if (isIP(h) === 6) return h;
  const named = /^([^:\s/@]+?)\.?(?::\d{1,5})?$/.exec(h);
  return named === null ? null : named[1];
}

export class HostCheck {
  private readonly names: Set<string>;
  private readonly any: boolean;

  /** `allowedHosts` may carry ports (`chat.example.com:443`): only the names count. */
  constructor(allowedHosts: string[], publicUrl: string | null) {
    this.any = allowedHosts.includes('*');
    const names = allowedHosts.map((h) => hostOf(h)).filter((h): h is string => h !== null);
    if (publicUrl !== null) {
      const name = hostOf(new URL(publicUrl).host);
      if (name !== null) names.push(name);
    }
    this.names = new Set(names);
  }

  /** Whether an upgrade whose Host header is `header` is addressed to this server. */
  allows(header: string): boolean {
    if (this.any) return true;
    const name = hostOf(header);
    if (name === null) return false;
    return isIP(name) !== 0 || name === 'localhost' || this.names.has(name);
  }
}
