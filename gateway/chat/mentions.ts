/**
 * Whom a message names: `@handle` of users that exist, and in a channel `@channel` or
 * `@here` for everyone in it (stored as `*`). Names inside code (`inline` or fenced) are
 * not mentions, as the web app renders them. Most messages name nobody: a body without an
 * `@` byte is answered without being decoded.
 */

/** At most this many users are named by one message (a list of 500 handles is not 500 pings). */
export const MAX_MENTIONS = 50;
const AT = 64;
const decoder = new TextDecoder();
const NAME = /(^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{1,32})/g;
const CODE = /```[\s\S]*?(```|$)|`[^`\n]*`/g;

export function mentionsIn(body: Uint8Array, inChannel: boolean, userKey: (name: string) => string | undefined): string[] | undefined {
  if (body.indexOf(AT) < 0) return undefined;
  const text = decoder.decode(body).replace(CODE, ' ');
  const out = new Set<string>();
  for (const m of text.matchAll(NAME)) {
    let name = m[2].toLowerCase();
    if (name === 'channel' || name === 'here') {
      if (inChannel) out.add('*');
      continue;
    }
    // "thanks @jane." : the full stop ends the sentence, not the name.
    let key = userKey(`@${name}`);
    while (key === undefined && /[.-]$/.test(name)) {
      name = name.slice(0, -1);
      key = userKey(`@${name}`);
    }
    if (key !== undefined) out.add(key);
    if (out.size >= MAX_MENTIONS) break;
  }
  return out.size > 0 ? [...out] : undefined;
}
