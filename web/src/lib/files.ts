/**
 * Files shared in messages: which line of a body is a file of this server (spec: Files,
 * docs/PROTOCOL.md: the file's URL on a line of its own). Showing them is file-display.ts,
 * sending them upload-request.ts: both load only when a file is on screen or on its way.
 */

/** What `POST /files` answers and `GET /files/<id>/meta` returns (files-19 contract). */
export type FileMeta = {
  id: string;
  name: string;
  type: string;
  size: number;
  url: string;
  width?: number;
  height?: number;
  /** For an image: what to show in a small box (its thumbnail, or itself when small). */
  thumb?: string;
};

/**
 * A file line of a message: the file's id, its name as people read it, the URL to fetch (as
 * sent, without its fragment), and an image's size when the line carries it (`#800x600`).
 */
export type FileRef = { id: string; name: string; url: string; width?: number; height?: number };

/** A body cut at its file lines: text to render as Markdown, and the files between. */
export type BodyPart = { kind: 'text'; text: string } | { kind: 'file'; file: FileRef };

/**
 * The path part `/files/<id>/<url-encoded name>`. The id is the server's random base64url
 * (22 characters today; a little room either way). The name has no `/` once encoded.
 */
const FILE_PATH = /^\/files\/([A-Za-z0-9_-]{16,64})\/([^/?#\s]+)(?:#(\d{1,5})x(\d{1,5}))?$/;

/**
 * An image's size as its line carries it, `#<width>x<height>` (spec section 11): its box is
 * reserved from the first paint, before the file's description comes, so the list does not
 * move. The fragment never reaches the server.
 */
export const sizeHint = (width: number | undefined, height: number | undefined): string =>
  width !== undefined && height !== undefined && width > 0 && height > 0 ? `#${width}x${height}` : '';

/**
 * The file a line refers to, when the whole line (spaces around aside) is a URL of
 * `origin` (this page's) naming a file; otherwise null. Only this origin: the page's cookie
 * opens this server's files, and an address elsewhere is an ordinary link.
 */
export function parseFileLine(line: string, origin: string): FileRef | null {
  const url = line.trim();
  if (!url.startsWith(`${origin}/files/`)) return null;
  const m = FILE_PATH.exec(url.slice(origin.length));
  if (!m) return null;
  let name: string;
  try {
    name = decodeURIComponent(m[2]);
  } catch {
    return null;
  }
  // `meta` is the route of the file's description, not a file name.
  if (name === '' || m[2] === 'meta') return null;
  const ref: FileRef = { id: m[1], name, url: url.split('#')[0] };
  const [width, height] = [Number(m[3]), Number(m[4])];
  if (width > 0 && height > 0) Object.assign(ref, { width, height });
  return ref;
}

/** A line that opens or closes a fenced code block (markdown-it: up to 3 spaces, ``` or ~~~). */
const FENCE = /^ {0,3}(```|~~~)/;

/**
 * The body as text and file lines, in order. A file URL inside a fenced code block stays
 * text (it was quoted, not shared). Runs of text keep their line breaks; null when the body
 * has no file line, so the common message renders as one piece, as before.
 */
export function splitFileLines(body: string, origin: string): BodyPart[] | null {
  if (!body.includes('/files/')) return null;
  const lines = body.split(/\r?\n/);
  const parts: BodyPart[] = [];
  let text: string[] = [];
  let fence = '';
  let found = false;
  const flush = () => {
    const joined = text.join('\n');
    if (joined.trim() !== '') parts.push({ kind: 'text', text: joined });
    text = [];
  };
  for (const line of lines) {
    const f = FENCE.exec(line);
    if (f) {
      if (fence === '') fence = f[1];
      else if (f[1] === fence) fence = '';
    }
    const file = fence === '' && !f ? parseFileLine(line, origin) : null;
    if (!file) {
      text.push(line);
      continue;
    }
    found = true;
    flush();
    parts.push({ kind: 'file', file });
  }
  flush();
  return found ? parts : null;
}
