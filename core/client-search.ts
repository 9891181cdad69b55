import type { CommandOf, ServerFrame, ServerFrameOf } from './frames.ts';
import { formatSearch, parseSearch } from './search-query.ts';
import { ServerError, type SearchPage } from './client-types.ts';

/**
 * SlckClient's SEARCH (spec: SEARCH): the command for a query and a page cursor, and the page
 * a reply makes. A query the server would refuse is refused here, with the error it would send.
 */
export function searchCommand(text: string, before?: string): CommandOf<'SEARCH'> {
  const query = parseSearch(text);
  if (query instanceof Error) throw new ServerError(query.code, query.message);
  if (before === undefined) return { type: 'SEARCH', query, text: text.replace(/^[ \t]+|[ \t]+$/g, '') };
  // The next page: the cursor takes the place of any `before:` the query had.
  const paged = { ...query, before };
  return { type: 'SEARCH', query: paged, text: formatSearch(paged) };
}

/** FOUND lines, newest first, and where the next page starts when the END says there may be more. */
export function searchPage(frames: ServerFrame[]): SearchPage {
  const end = frames[frames.length - 1];
  const found = frames.filter((f): f is ServerFrameOf<'FOUND'> => f.type === 'FOUND');
  return end?.type === 'END' && end.more !== undefined ? { found, more: end.more } : { found };
}
