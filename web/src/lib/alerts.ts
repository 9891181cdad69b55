import { cleanControls } from './render.ts';

/** What the tab title, the favicon and a desktop notification say: pure, so unit-tested. */

/** The longest body a desktop notification shows; the rest is in the app. */
const PREVIEW_CHARS = 160;

/**
 * The tab title: `(@2 · 5) #general · SLCK` when 2 of 5 unread messages call for you (they
 * mention you, @channel or @here, or are direct messages), `(@2) …` when all of them do,
 * `(5) …` when none do, and no count when nothing is unread; then the conversation open, if
 * any. Mentions come first: a narrow tab shows only its start. Muted conversations do not count.
 */
export function titleFor(unread: number, calls: number, open?: string): string {
  const name = open ? `${open} · SLCK` : 'SLCK';
  if (calls > 0) return calls >= unread ? `(@${calls}) ${name}` : `(@${calls} · ${unread}) ${name}`;
  return unread > 0 ? `(${unread}) ${name}` : name;
}

/** A message's text for a notification: controls made visible, whitespace folded, cut short. */
export function preview(body: string): string {
  const flat = cleanControls(body).replace(/\s+/g, ' ').trim();
  return flat.length > PREVIEW_CHARS ? `${flat.slice(0, PREVIEW_CHARS - 1)}…` : flat;
}

/**
 * The favicon with a badge, drawn on a canvas, as a data: URL (the CSP's img-src allows
 * data:). Calls for you: a red disc with their count; only plain unread: a white dot.
 * Nothing unread: null, and the page keeps its own icon.
 */
export function faviconUrl(unread: number, calls: number): string | null {
  if (unread === 0 && calls === 0) return null;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 64;
  const g = canvas.getContext('2d');
  if (!g) return null;
  // The app's icon, as web/public/favicon.svg draws it.
  g.fillStyle = '#4a154b';
  g.beginPath();
  g.roundRect(0, 0, 64, 64, 14);
  g.fill();
  g.fillStyle = '#ffffff';
  g.font = 'bold 40px sans-serif';
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillText('#', 26, 36);
  g.beginPath();
  g.arc(46, 18, calls > 0 ? 18 : 11, 0, Math.PI * 2);
  g.fillStyle = calls > 0 ? '#e01e5a' : '#ffffff';
  g.fill();
  g.lineWidth = 4;
  g.strokeStyle = '#4a154b';
  g.stroke();
  if (calls > 0) {
    g.fillStyle = '#ffffff';
    g.font = 'bold 26px sans-serif';
    g.fillText(calls > 9 ? '9+' : String(calls), 46, 20);
  }
  return canvas.toDataURL('image/png');
}
