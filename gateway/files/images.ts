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
export type CleanedImage = { width: number; height: number; rewritten: boolean } | { unreadable: true };
export type ImageCleaner = (input: string, output: string, type: string) => Promise<CleanedImage | null>;

const FORMATS: Record<string, (s: Sharp) => Sharp> = {
  'image/jpeg': (s) => s.jpeg({ quality: 90 }),
  'image/png': (s) => s.png(),
  'image/webp': (s) => s.webp({ quality: 90 }),
  'image/avif': (s) => s.avif({ quality: 70 }),
  'image/gif': (s) => s.gif(),
};

/**
 * The image's size, and a clean copy at `output` when it needs one. Null when the type is not
 * one shown inline; `unreadable` when it starts like an image but is none (it is then kept
 * as bytes of no known type, an attachment, not shown as a broken image).
 */
export const cleanImage: ImageCleaner = async (input, output, type) => {
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
  if (!carries) return { width, height, rewritten: false };
  // sharp writes no metadata unless asked (withMetadata), so the copy carries none.
  const info = await FORMATS[type](sharp(input, { animated }).rotate()).toFile(output);
  return { width: info.width, height: animated && meta.pages !== undefined && meta.pages > 1 ? info.height / meta.pages : info.height, rewritten: true };
};
