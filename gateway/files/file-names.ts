/**
 * File names as people gave them, made safe to keep, put in a URL and send back in a
 * Content-Disposition header (RFC 6266, with RFC 5987's `filename*` for what is not ASCII).
 */

/** UTF-8 bytes a kept name may take: below every file system's 255, with room to spare. */
export const MAX_NAME_BYTES = 200;

/** Types shown inline (`<img>`); everything else is an attachment, never rendered. */
export const INLINE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif']);

/**
 * The name kept: the last path segment (no `/` or `\`), NFC, without control or format
 * characters (a right-to-left override would make `gpj.exe` read as `exe.jpg`), without
 * leading dots or spaces (no hidden files), at most MAX_NAME_BYTES with its extension kept.
 * `meta` and `thumb` would collide with `/files/<id>/meta` and `/thumb`; they get a `_`.
 */
export function sanitiseName(raw: string): string {
  let name = raw.split(/[/\\]/).pop() ?? '';
  name = name.normalize('NFC').replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '');
  name = name.replace(/^[\s.]+/u, '').replace(/[\s.]+$/u, '');
  if (byteLength(name) > MAX_NAME_BYTES) name = shorten(name);
  if (name === '') return 'file';
  return name === 'meta' || name === 'thumb' ? `${name}_` : name;
}

function shorten(name: string): string {
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  const room = MAX_NAME_BYTES - byteLength(ext);
  let stem = '';
  // By code points, so no character is cut in half.
  for (const ch of name.slice(0, name.length - ext.length)) {
    if (byteLength(stem + ch) > room) break;
    stem += ch;
  }
  return stem.replace(/[\s.]+$/u, '') + ext;
}

const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

/** The name's URL path segment. */
export const urlName = (name: string): string => encodeURIComponent(name);

/** `inline` or `attachment`, with an ASCII `filename` for old clients and the exact one in `filename*`. */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${rfc5987(name)}`;
}

/** RFC 5987 ext-value characters: encodeURIComponent leaves `'()*` alone, which attr-char does not allow. */
const rfc5987 = (s: string): string => encodeURIComponent(s).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * The type served: what the content is (sniffed by file-type), or for content it cannot name,
 * plain text when the name says so (`.txt`, `.log`), else bytes of no known kind.
 */
export function servedType(sniffed: string | undefined, name: string): string {
  if (sniffed !== undefined) return sniffed;
  return /\.(txt|log)$/i.test(name) ? 'text/plain; charset=utf-8' : 'application/octet-stream';
}
