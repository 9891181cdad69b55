import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FileTooLarge, MAX_REFERENCES, type FileMeta, type FileStore, type NewFile } from './file-store.ts';
import type { ImageCleaner } from './images.ts';

/** A file id: 16 random bytes in base64url. Anything else never reaches the disk. */
export const FILE_ID = /^[A-Za-z0-9_-]{22}$/;
const SIDECAR = '.json';
const THUMB = '.thumb';

type KeptImage = { width: number; height: number; thumb?: string; path?: string; size?: number };

async function fsync(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  await fh.sync().finally(() => fh.close());
}

/**
 * Files on local disk, the single-node store: `<dir>/<id>` holds the bytes and `<dir>/<id>.json`
 * what is known of them. Both are written under `<dir>/tmp/`, fsynced, and renamed into
 * place, bytes first: a file exists once its sidecar does, so a crash at any point leaves
 * the whole file or nothing visible; `open` removes what a crash left behind (tmp/, bytes
 * without a sidecar).
 *
 * What is known of every file is also kept in memory (a few hundred bytes a file, loaded at
 * start), so access checks, quotas and the sweep of unshared files never read the disk.
 */
export class DiskFileStore implements FileStore {
  readonly description: string;
  private readonly tmp: string;
  private readonly files = new Map<string, FileMeta>();
  private readonly usageOf = new Map<string, number>();
  /** `<conv>\n<message id>` -> the files that message carries. */
  private readonly byMessage = new Map<string, Set<string>>();
  private readonly unshared = new Set<string>();
  /** Sidecar writes per file, one after another, each writing the latest state. */
  private readonly writing = new Map<string, Promise<void>>();
  /** Files whose references passed MAX_REFERENCES: no delete removes them. */
  private readonly pinned = new Set<string>();

  /** `images`: run on an upload once written (images.ts), before it is renamed into place. */
  constructor(readonly dir: string, private readonly opts: { images?: ImageCleaner } = {}) {
    this.description = `files in ${dir}`;
    this.tmp = join(dir, 'tmp');
  }

  async open(): Promise<void> {
    await mkdir(this.tmp, { recursive: true });
    // An upload cut short (kill -9) left its bytes here; nothing refers to them.
    for (const name of await readdir(this.tmp)) await rm(join(this.tmp, name), { force: true, recursive: true });
    const names = new Set(await readdir(this.dir));
    for (const name of names) {
      if (name === 'tmp') continue;
      if (name.endsWith(SIDECAR)) {
        const id = name.slice(0, -SIDECAR.length);
        if (!FILE_ID.test(id) || !names.has(id)) {
          await rm(join(this.dir, name), { force: true });
          continue;
        }
        const meta = JSON.parse(await readFile(join(this.dir, name), 'utf8')) as FileMeta & { pinned?: boolean };
        if (meta.pinned === true) this.pinned.add(id);
        delete meta.pinned;
        this.index(meta);
      } else if (!names.has((name.endsWith(THUMB) ? name.slice(0, -THUMB.length) : name) + SIDECAR)) {
        // Renamed into place, then the process died before its sidecar was: never visible.
        await rm(join(this.dir, name), { force: true, recursive: true });
      }
    }
    await this.syncDir();
  }

  async put(data: Readable, file: NewFile, maxBytes: number): Promise<FileMeta> {
    const id = randomBytes(16).toString('base64url');
    const tmp = join(this.tmp, randomBytes(12).toString('hex'));
    const fh = await open(tmp, 'wx');
    let size = 0;
    try {
      for await (const chunk of data as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBytes) throw new FileTooLarge(maxBytes);
        let off = 0;
        while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
      }
      await fh.sync();
      await fh.close();
    } catch (err) {
      await fh.close().catch(() => {});
      await rm(tmp, { force: true });
      throw err;
    }
    const image = await this.image(tmp, file.type);
    // The thumbnail first: a crash before the sidecar leaves both to the next open's cleanup.
    if (image !== null && 'thumb' in image && image.thumb !== undefined) await rename(image.thumb, join(this.dir, id + THUMB));
    await rename(image?.path ?? tmp, join(this.dir, id));
    const known = image === null ? {} : 'unreadable' in image ? { type: 'application/octet-stream' }
      : { width: image.width, height: image.height, ...(image.thumb !== undefined && { thumb: true }) };
    const meta: FileMeta = { id, ...file, ...known, size: image?.size ?? size, created: new Date().toISOString() };
    await this.writeSidecar(meta);
    await this.syncDir();
    this.index(meta);
    return meta;
  }

  /** An image's size in pixels; and a clean copy, fsynced, when it carried metadata (the original goes). */
  private async image(tmp: string, type: string): Promise<KeptImage | { unreadable: true; path?: undefined; size?: undefined } | null> {
    if (this.opts.images === undefined) return null;
    const out = `${tmp}.clean`;
    const thumbOut = `${tmp}${THUMB}`;
    try {
      const cleaned = await this.opts.images(tmp, out, type, thumbOut);
      if (cleaned === null || 'unreadable' in cleaned) return cleaned;
      const kept: KeptImage = { width: cleaned.width, height: cleaned.height };
      if (cleaned.thumb) {
        await fsync(thumbOut);
        kept.thumb = thumbOut;
      }
      if (!cleaned.rewritten) return kept;
      await fsync(out);
      await rm(tmp, { force: true });
      return { ...kept, path: out, size: (await stat(out)).size };
    } catch (err) {
      await Promise.all([tmp, out, thumbOut].map((f) => rm(f, { force: true })));
      throw err;
    }
  }

  async meta(id: string): Promise<FileMeta | undefined> {
    return FILE_ID.test(id) ? this.files.get(id) : undefined;
  }

  async read(id: string, variant?: 'thumb'): Promise<Readable | undefined> {
    const m = this.files.get(id);
    if (m === undefined || (variant === 'thumb' && m.thumb !== true)) return undefined;
    const fh = await open(join(this.dir, variant === 'thumb' ? id + THUMB : id), 'r').catch(() => undefined);
    return fh === undefined ? undefined : createReadStream('', { fd: fh, autoClose: true });
  }

  async share(id: string, by: string, conv: string, message: number): Promise<FileMeta | undefined> {
    // Changed in memory before the first await: a reader asking right after sees the share.
    const m = this.files.get(id);
    if (m === undefined || m.uploader !== by) return undefined;
    if (m.shared !== undefined && m.shared.conv !== conv) return undefined;
    if (m.shared === undefined) {
      m.shared = { conv, messages: [] };
      this.unshared.delete(id);
    }
    if (m.shared.messages.includes(message)) return m;
    if (m.shared.messages.length >= MAX_REFERENCES) this.pinned.add(id);
    else {
      m.shared.messages.push(message);
      this.refer(conv, message, id);
    }
    await this.persist(id);
    return m;
  }

  async unshare(conv: string, message: number): Promise<string[]> {
    const key = `${conv}\n${message}`;
    const ids = this.byMessage.get(key);
    if (ids === undefined) return [];
    this.byMessage.delete(key);
    const removed: string[] = [];
    for (const id of ids) {
      const m = this.files.get(id);
      if (m?.shared === undefined) continue;
      m.shared.messages = m.shared.messages.filter((x) => x !== message);
      if (m.shared.messages.length === 0 && !this.pinned.has(id)) {
        if (await this.remove(id)) removed.push(id);
      } else await this.persist(id);
    }
    return removed;
  }

  async remove(id: string): Promise<boolean> {
    const m = this.files.get(id);
    if (m === undefined) return false;
    this.files.delete(id);
    this.unshared.delete(id);
    this.pinned.delete(id);
    this.usageOf.set(m.uploader, (this.usageOf.get(m.uploader) ?? 0) - m.size);
    if (this.usageOf.get(m.uploader)! <= 0) this.usageOf.delete(m.uploader);
    for (const message of m.shared?.messages ?? []) {
      const key = `${m.shared!.conv}\n${message}`;
      const set = this.byMessage.get(key);
      set?.delete(id);
      if (set?.size === 0) this.byMessage.delete(key);
    }
    await this.writing.get(id);
    // The sidecar first: without it the file is gone, whatever happens next.
    await rm(join(this.dir, id + SIDECAR), { force: true });
    await rm(join(this.dir, id), { force: true });
    if (m.thumb === true) await rm(join(this.dir, id + THUMB), { force: true });
    return true;
  }

  async usage(uploader: string): Promise<number> {
    return this.usageOf.get(uploader) ?? 0;
  }

  async unsharedBefore(before: Date): Promise<string[]> {
    const iso = before.toISOString();
    return [...this.unshared].filter((id) => this.files.get(id)!.created < iso);
  }

  async close(): Promise<void> {
    await Promise.all(this.writing.values());
  }

  private index(meta: FileMeta): void {
    this.files.set(meta.id, meta);
    this.usageOf.set(meta.uploader, (this.usageOf.get(meta.uploader) ?? 0) + meta.size);
    if (meta.shared === undefined) this.unshared.add(meta.id);
    else for (const message of meta.shared.messages) this.refer(meta.shared.conv, message, meta.id);
  }

  private refer(conv: string, message: number, id: string): void {
    const key = `${conv}\n${message}`;
    let set = this.byMessage.get(key);
    if (set === undefined) this.byMessage.set(key, (set = new Set()));
    set.add(id);
  }

  /** Write the file's sidecar as it is when the write starts, after any write before it. */
  private persist(id: string): Promise<void> {
    const next = (this.writing.get(id) ?? Promise.resolve()).then(async () => {
      const m = this.files.get(id);
      if (m !== undefined) await this.writeSidecar(this.pinned.has(id) ? { ...m, pinned: true } : m);
    });
    this.writing.set(id, next);
    void next.finally(() => {
      if (this.writing.get(id) === next) this.writing.delete(id);
    }).catch(() => {});
    return next;
  }

  private async writeSidecar(meta: FileMeta & { pinned?: boolean }): Promise<void> {
    const tmp = join(this.tmp, randomBytes(12).toString('hex') + SIDECAR);
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(JSON.stringify(meta));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(this.dir, meta.id + SIDECAR));
  }

  private async syncDir(): Promise<void> {
    const fh = await open(this.dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}
