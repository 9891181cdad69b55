import { LIMITS, type SearchQuery } from '../../core/index.ts';
import { refuse, type Refusal } from '../sentences.ts';
import { nameKey } from '../store/keys.ts';
import type { KeptMessage, Store } from '../store/store.ts';
import { isRefusal, placeOf, type AccessDeps } from './access.ts';
import type { Caller } from './chat.ts';
import type { GroupCommit } from './group-commit.ts';

/**
 * SEARCH over what the user may read (spec: SEARCH): the channels they are in and their own
 * direct conversations, the same rule HISTORY asks (access.ts), so every result opens. The
 * store matches (SQLite FTS5, PostgreSQL full-text search, or a scan in memory); this picks
 * the conversations, and cuts the page so that it never splits a millisecond: the next page
 * asks `before:<the oldest time>`, which would skip the rest of a millisecond it split.
 */
export type SearchDeps = AccessDeps & {
  readonly store: Store;
  readonly commits: GroupCommit;
  channelKeys(userKey: string): string[];
};

export type Found = { found: KeptMessage[]; more?: string };

export async function search(chat: SearchDeps, user: Caller, q: SearchQuery): Promise<Found | Refusal> {
  let conversations: string[];
  if (q.in !== undefined) {
    const place = await placeOf(chat, user, q.in, 'read');
    if (isRefusal(place)) return place;
    conversations = [place.conv];
  } else {
    // What this user has just posted is committed first, so a search finds it.
    await chat.commits.settled();
    const direct = (await chat.store.conversationsOf(user.handle, [])).map((c) => c.conversation);
    conversations = [...chat.channelKeys(user.key), ...direct];
  }
  let from: string | undefined;
  if (q.from !== undefined) {
    const known = chat.directory.user(q.from)?.handle ?? (await chat.refreshUser(q.from));
    if (known === undefined) return refuse.noSuchUser(q.from);
    from = nameKey(known);
  }
  if (conversations.length === 0) return { found: [] };
  const page: number = LIMITS.searchPage;
  const rows = await chat.store.search({
    conversations, words: q.words, phrases: q.phrases, excluded: q.excluded, from, before: q.before, after: q.after, limit: page + 1,
  });
  if (rows.length <= page) return { found: rows };
  // One more than a page came: there is more. The page ends before a millisecond it would split.
  let end = page;
  while (end > 0 && rows[end - 1].ts === rows[page].ts) end--;
  const found = rows.slice(0, end === 0 ? page : end);
  return { found, more: found[found.length - 1].ts };
}
