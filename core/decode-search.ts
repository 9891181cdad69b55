import { ErrorCode, ProtocolError } from './errors.ts';
import type { Command } from './frames.ts';
import { parseSearch } from './search-query.ts';
import { skipSpaces, tokenEnd } from './tokens.ts';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `SEARCH <query>`: the query is the rest of the line after the verb and the spaces after it
 * (trailing spaces already dropped by the caller), spaces between words kept, read by
 * parseSearch. `text` keeps it as typed, for a log or an echo.
 */
export function decodeSearch(buf: Uint8Array, start: number, end: number): Command | ProtocolError {
  const at = skipSpaces(buf, tokenEnd(buf, start, end), end);
  let text: string;
  try {
    text = strictUtf8.decode(buf.subarray(at, end));
  } catch {
    return new ProtocolError(ErrorCode.BAD_SYNTAX, 'A search must be UTF-8 text');
  }
  const query = parseSearch(text);
  return query instanceof ProtocolError ? query : { type: 'SEARCH', query, text };
}
