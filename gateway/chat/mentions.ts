import { findMentions } from '../../core/mentions.ts';

/**
 * Whom a message names, for the mention counts of UNREAD: the users that exist among the
 * handles it mentions, and in a channel `*` for `@channel` or `@here` (everyone in it). What
 * counts as a mention is the one rule the web app highlights by (core/mentions.ts: not in
 * code, not in a link's address). Most messages name nobody: a body without an `@` byte is
 * answered without being decoded.
 */

/** At most this many users are named by one message (a list of 500 handles is not 500 pings). */
export const MAX_MENTIONS = 50;
const AT = 64;
const decoder = new TextDecoder();

export function mentionsIn(body: Uint8Array, inChannel: boolean, userKey: (name: string) => string | undefined): string[] | undefined {
  if (body.indexOf(AT) < 0) return undefined;
  const { handles, everyone } = findMentions(decoder.decode(body));
  const out = new Set<string>();
  if (everyone && inChannel) out.add('*');
  for (const handle of handles) {
    if (out.size >= MAX_MENTIONS) break;
    const key = userKey(handle);
    if (key !== undefined) out.add(key);
  }
  return out.size > 0 ? [...out] : undefined;
}
