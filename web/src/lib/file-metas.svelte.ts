import type { Session } from './session.svelte.ts';
import type { Uploads } from './uploads.svelte.ts';
import type { FileMeta } from './files.ts';

/** What the page knows of a file a message shares: asking, known, or not to be had (the link is shown). */
export type FileLookup = { state: 'loading' } | { state: 'known'; meta: FileMeta } | { state: 'missing' };

/** Descriptions kept; the oldest go first. A description is small, but a page may show many. */
const KEPT = 2000;

/**
 * The descriptions of files shared in messages (`GET /files/<id>/meta`), asked once per id
 * and kept, so a message that shows a file knows its type and its image's size before the
 * image comes. The cookie (Uploads) opens them, as it opens the images: a request waits for
 * it to be set after signing in. A file this user may not read answers 404: the message then
 * shows its plain link.
 */
export class FileMetas {
  private known = $state<Record<string, FileLookup>>({});
  private order: string[] = [];
  private readonly uploads: Uploads;

  constructor(session: Session, uploads: Uploads) {
    this.uploads = uploads;
    // Another user may not read the same files.
    session.onReset(() => {
      this.known = {};
      this.order = [];
    });
  }

  /** What is known of file `id`; the first look asks the server. */
  lookup(id: string): FileLookup {
    const hit = this.known[id];
    if (hit) return hit;
    // Asked outside the effect that reads it: the answer updates the state later.
    queueMicrotask(() => void this.ask(id));
    return { state: 'loading' };
  }

  /** The page learned a file's description itself (its own upload): no need to ask. */
  learn(meta: FileMeta): void {
    this.keep(meta.id, { state: 'known', meta });
  }

  private async ask(id: string): Promise<void> {
    if (this.known[id]) return;
    this.keep(id, { state: 'loading' });
    await this.uploads.cookieSettled;
    let found: FileLookup = { state: 'missing' };
    try {
      const res = await fetch(`/files/${encodeURIComponent(id)}/meta`, { credentials: 'same-origin' });
      if (res.ok) {
        const meta = (await res.json()) as FileMeta;
        if (typeof meta.type === 'string' && typeof meta.url === 'string') found = { state: 'known', meta };
      }
    } catch {
      // The link is shown instead.
    }
    if (this.known[id]) this.keep(id, found);
  }

  private keep(id: string, lookup: FileLookup): void {
    if (!(id in this.known)) {
      this.order.push(id);
      if (this.order.length > KEPT) delete this.known[this.order.shift() as string];
    }
    this.known[id] = lookup;
  }
}
