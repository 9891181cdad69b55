/**
 * Showing files, the pure parts: which types show inline, sizes for people, and the box a
 * thumbnail is given so the list does not move when the image arrives.
 */

/** Types the browser may show inline: the server serves these `inline`, everything else as an attachment. */
export const INLINE_IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif']);

/** The largest thumbnail, in CSS pixels. */
export const THUMB_MAX = { width: 360, height: 240 } as const;

/** Whether a name looks like an image, to reserve an image's box before its description comes (layout only). */
export const looksLikeImage = (name: string): boolean => /\.(png|jpe?g|gif|webp|avif)$/i.test(name);

/** A size as people read it: `512 bytes`, `1.5 KB`, `25 MB` (1 KB = 1,024 bytes). */
export function humanSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1024) return bytes === 1 ? '1 byte' : `${Math.round(bytes)} bytes`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  // One decimal below 10 (1.5 MB), none above (25 MB); never "1024 KB".
  let shown = value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
  if (shown >= 1024 && unit < units.length - 1) {
    shown = 1;
    unit++;
  }
  return `${shown} ${units[unit]}`;
}

/**
 * The thumbnail's box: the image scaled down (never up) to fit `max`, keeping its shape,
 * whole pixels, at least 1×1. Without dimensions, the default box (16:9 at full width).
 */
export function fitBox(width: number | undefined, height: number | undefined, max: { width: number; height: number } = THUMB_MAX): { width: number; height: number } {
  if (!width || !height || width <= 0 || height <= 0) return { width: max.width, height: Math.round((max.width * 9) / 16) };
  const scale = Math.min(1, max.width / width, max.height / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
