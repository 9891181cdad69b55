import path from 'node:path';

/**
 * The control socket's protocol, one line each way, ending in `\n`:
 *
 *   BACKUP <absolute path>   ->  OK <bytes>  |  ERR <sentence>
 *
 * Anything else is answered `ERR <sentence>`. A path is taken as it is, spaces included, to
 * the end of the line; it is absolute because the server's working directory is not the
 * caller's.
 */

/** Longest request line: the verb and a path of PATH_MAX (4096) bytes. */
export const MAX_REQUEST_BYTES = 4_200;

export type Request = { file: string };
export type Answer = { ok: boolean; text: string };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
// eslint-disable-next-line no-control-regex -- control characters are what is refused
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** A request line (without its `\n`) as a request, or the sentence that refuses it. */
export function parseRequest(line: Uint8Array): Request | { error: string } {
  let text: string;
  try {
    text = strictUtf8.decode(line).replace(/\r$/, '');
  } catch {
    return { error: 'A request is a line of UTF-8 text.' };
  }
  const match = /^BACKUP (.+)$/.exec(text);
  if (match === null) return { error: 'Unknown request; the one request is BACKUP <absolute path>.' };
  return checkPath(match[1]);
}

/** The path of a BACKUP request, or why it cannot be one. */
export function checkPath(file: string): Request | { error: string } {
  if (CONTROL_CHARS.test(file)) return { error: 'The backup path may not contain control characters.' };
  if (!path.isAbsolute(file)) return { error: `The backup file must be an absolute path, not ${file}.` };
  return { file };
}

export const requestLine = (file: string): string => `BACKUP ${file}\n`;

export const answerLine = (a: Answer): string => `${a.ok ? 'OK' : 'ERR'} ${a.text}\n`;

/** The server's answer line (without its `\n`), or null when it is not one. */
export function parseAnswer(line: string): Answer | null {
  const match = /^(OK|ERR) (.*)$/.exec(line.replace(/\r$/, ''));
  return match === null ? null : { ok: match[1] === 'OK', text: match[2] };
}
