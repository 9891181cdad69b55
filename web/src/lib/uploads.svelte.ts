import type { Session } from './session.svelte.ts';
import { sizeHint, type FileMeta } from './files.ts';

/** Files waiting in one message box at once: each is a request and a row on screen. */
export const MAX_PENDING = 10;

export const GUEST_CANNOT_UPLOAD = 'Set a password to share files.';

export type UploadState = 'uploading' | 'done' | 'failed';

/** One file on its way to the server (`POST /files`), shown as a row above its message box. */
export class Upload {
  private static next = 1;
  /** For the list's keys: two files may share a name. */
  readonly key = Upload.next++;
  readonly name: string;
  readonly size: number;
  /** 0 to 1: the share of the file sent (XMLHttpRequest's upload progress; fetch has none). */
  progress = $state(0);
  state = $state<UploadState>('uploading');
  /** Why it failed, in the server's words where it gave some. */
  error = $state('');
  /** The server's description, once stored. */
  meta = $state<FileMeta | undefined>();
  request: XMLHttpRequest | undefined;
  /** Taken off its box (×, sent, signed out): nothing more is to be done for it. */
  cancelled = false;

  constructor(file: File) {
    this.name = file.name || 'file';
    this.size = file.size;
  }
}

/**
 * Uploads, per message box (`place`: a conversation's key, or its thread's), and the cookie
 * that lets this browser's `<img>` tags and download links fetch files. A file goes up as
 * soon as it is chosen, pasted or dropped; the message that shares it is sent from the box,
 * with one URL line per finished file (`lines`). Uploads need a session token, which only a
 * claimed handle has: a guest is told to set a password.
 */
export class Uploads {
  /** The session token, while signed in with one (a claimed handle). */
  token = $state<string | undefined>();
  /** A sentence for a message box about its files (a guest's, too many at once). */
  notes = $state<Record<string, string>>({});
  private lists = $state<Record<string, Upload[]>>({});
  /** Set once this tab asked for the files cookie: sign-out then clears it. */
  private cookieAsked = false;
  /**
   * Settles when the cookie asked at the last sign-in is set (or could not be): file
   * descriptions wait for it, so the images they lead to are asked with the cookie.
   */
  cookieSettled: Promise<void> = Promise.resolve();

  /** `uploaded` hears of each stored file (the descriptions need not ask for it). */
  constructor(
    session: Session,
    private readonly uploaded: (meta: FileMeta) => void = () => {},
  ) {
    session.onToken((token) => {
      this.token = token;
      this.askCookie(token);
    });
    session.onReset(() => this.reset());
  }

  get canUpload(): boolean {
    return this.token !== undefined;
  }

  list(place: string): Upload[] {
    return this.lists[place] ?? [];
  }

  /** Files still going up in this box: the message waits for them (Send is disabled). */
  uploading(place: string): number {
    return this.list(place).filter((u) => u.state === 'uploading').length;
  }

  /** Finished files in this box, to go in the next message. */
  done(place: string): Upload[] {
    return this.list(place).filter((u) => u.state === 'done');
  }

  note(place: string): string {
    return this.notes[place] ?? '';
  }

  clearNote(place: string): void {
    if (this.notes[place]) delete this.notes[place];
  }

  /** Start uploading `files` into the box `place`; false (and a note there) if they cannot go. */
  add(place: string, files: Iterable<File>): boolean {
    const chosen = [...files];
    if (chosen.length === 0) return true;
    const token = this.token;
    if (token === undefined) {
      this.notes[place] = GUEST_CANNOT_UPLOAD;
      return false;
    }
    const room = MAX_PENDING - this.list(place).length;
    this.clearNote(place);
    if (chosen.length > room) this.notes[place] = `At most ${MAX_PENDING} files at a time: send or remove some first.`;
    this.lists[place] ??= [];
    // Read back: the state's own (proxied) array, whose changes show on screen.
    const list = this.lists[place];
    for (const file of chosen.slice(0, Math.max(0, room))) {
      const upload = new Upload(file);
      list.push(upload);
      this.start(upload, file, token);
    }
    return chosen.length <= room;
  }

  /** × on a row: stop its upload (the server removes the partial file), or take a finished or failed one off. */
  remove(place: string, upload: Upload): void {
    upload.cancelled = true;
    upload.request?.abort();
    upload.request = undefined;
    const list = this.lists[place];
    if (!list) return;
    const at = list.findIndex((u) => u.key === upload.key);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) delete this.lists[place];
    this.clearNote(place);
  }

  /**
   * The message lines of the finished files: their URLs as this page sees them, an image's
   * with its size (`#800x600`), so every reader's list keeps its box from the start.
   */
  lines(place: string): string[] {
    return this.done(place).map((u) => `${location.origin}${u.meta?.url ?? ''}${sizeHint(u.meta?.width, u.meta?.height)}`);
  }

  /** The lines of the finished files, taken off the box. */
  take(place: string): string[] {
    const lines = this.lines(place);
    for (const u of this.done(place)) this.remove(place, u);
    return lines;
  }

  private start(upload: Upload, file: File, token: string): void {
    // The request's code loads with the first file (a chunk of its own).
    import('./upload-request.ts').then(
      ({ sendFile }) => {
        // Cancelled, or signed out, while the code was loading.
        if (upload.cancelled) return;
        sendFile(upload, file, upload.name, token, this.uploaded);
      },
      () => {
        upload.state = 'failed';
        upload.error = 'The page could not load what uploads files: reload it and try again.';
      },
    );
  }

  /** `POST /files/session`: the HttpOnly cookie that `<img>` tags and links carry (they send no header). */
  private askCookie(token: string): void {
    this.cookieAsked = true;
    this.cookieSettled = fetch('/files/session', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      credentials: 'same-origin',
    }).then(
      () => undefined,
      () => undefined,
    );
  }

  private reset(): void {
    for (const list of Object.values(this.lists))
      for (const u of list) {
        u.cancelled = true;
        u.request?.abort();
      }
    this.lists = {};
    this.notes = {};
    this.token = undefined;
    if (this.cookieAsked) {
      this.cookieAsked = false;
      // Files stop opening in this browser at once, not when the cookie would expire.
      this.cookieSettled = fetch('/files/session', { method: 'DELETE', credentials: 'same-origin' }).then(
        () => undefined,
        () => undefined,
      );
    }
  }
}
