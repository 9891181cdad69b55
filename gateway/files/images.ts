import type { Metadata, Sharp } from 'sharp';
import { INLINE_TYPES } from './file-names.ts';

/**
 * What an uploaded image becomes before it is kept: its size in pixels, and, when it carries
 * EXIF, XMP or IPTC data (a phone's photo: GPS position, camera, time) or an orientation, a
 * copy without it, turned the way the orientation said. Images without any (screenshots,
 * most PNGs) are kept byte for byte: no re-encoding, no quality lost, no time spent.
 * Reads and writes files, not buffers: libvips streams them, so a 25 MiB photo is not held
 * whole in memory.
 */
export type CleanedImage = { width: number; height: number; rewritten: boolean; thumb: boolean } | { unreadable: true };
export type ImageCleaner = (input: string, output: string, type: string, thumb: string) => Promise<CleanedImage | null>;

/**
 * A thumbnail's largest size: twice the 360×240 CSS box the web app shows an image in, for
 * high-density screens. A bigger image gets a WebP thumbnail that fits it; a smaller one is
 * its own thumbnail, and so is an animation (a still would stop it).
 */
export const THUMB_WIDTH = 720;
export const THUMB_HEIGHT = 480;

const FORMATS: Record<string, (s: Sharp) => Sharp> = {
  'image/jpeg': (s) => s.jpeg({ quality: 90 }),
  'image/png': (s) => s.png(),
  'image/webp': (s) => s.webp({ quality: 90 }),
  'image/avif': (s) => s.avif({ quality: 70 }),
  'image/gif': (s) => s.gif(),
};

/**
 * The image's size, a clean copy at `output` when it needs one, and a thumbnail at `thumb`
 * when it is bigger than one. Null when the type is not
 * one shown inline; `unreadable` when it starts like an image but is none (it is then kept
 * as bytes of no known type, an attachment, not shown as a broken image).
 */
export const cleanImage: ImageCleaner = async (input, output, type, thumb) => {
  if (!INLINE_TYPES.has(type)) return null;
  // Loaded with the first image: libvips costs a server that never sees one nothing.
  const sharp = (await import('sharp')).default;
  const animated = type === 'image/gif' || type === 'image/webp';
  let meta: Metadata;
  try {
    meta = await sharp(input, { animated }).metadata();
  } catch {
    return { unreadable: true };
  }
  const orientation = meta.orientation ?? 1;
  const carries = meta.exif !== undefined || meta.xmp !== undefined || meta.iptc !== undefined || orientation !== 1;
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  const pages = meta.pages ?? 1;
  // Turned upright, as served: orientations 5 to 8 swap width and height.
  const size = orientation >= 5 ? { width: height, height: width } : { width, height };
  const thumbed = pages === 1 && (size.width > THUMB_WIDTH || size.height > THUMB_HEIGHT);
  await Promise.all([
    // sharp writes no metadata unless asked (withMetadata), so the copy carries none.
    carries ? FORMATS[type](sharp(input, { animated }).rotate()).toFile(output) : null,
    // From the original, side by side: a JPEG is decoded at a fraction of its size for it.
    thumbed ? sharp(input).rotate().resize(THUMB_WIDTH, THUMB_HEIGHT, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 80 }).toFile(thumb) : null,
  ]);
  return { ...size, rewritten: carries, thumb: thumbed };
};
