import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../logger.ts';
import { isRefusal, placeOf, type AccessDeps } from '../chat/access.ts';
import type { Caller } from '../chat/chat.ts';
import type { ChatEvent } from '../chat/events.ts';
import { nameKey } from '../store/keys.ts';
import { DiskFileStore } from './disk-file-store.ts';
import { cleanImage } from './images.ts';
import type { FileMeta, FileStore } from './file-store.ts';

export type FileLimits = {
  /** Bytes one file may have. */
  maxFileSize: number;
  /** Bytes one user's files may have in all. */
  fileQuota: number;
  /** Uploads one user may start per minute; 0: no limit. */
  uploadsPerMinute: number;
  /** An upload that sends nothing for this long is cut off, its partial file removed; 0: never. */
  idleMs?: number;
};

export type FilesOptions = FileLimits & {
  log: Logger;
  /** A file no message shared within this long is removed (10 minutes; tests shorten it). */
  unsharedTtlMs?: number;
  /** How often the unshared are looked for (default: a tenth of the TTL, at most a minute). */
  sweepEveryMs?: number;
  /**
   * With a store several nodes share: how long a file not yet shared is waited for before a
   * reader other than its uploader is refused. The node that committed the message records the
   * share as it publishes the message, so a member on another node can ask for the file a
   * moment before the share has committed.
   */
  shareSettleMs?: number;
};

/**
 * A file's URL, from any origin (or none), as a word of the text: `<base>/files/<id>/<name>`.
 * The web app shows a line that is only the URL as the file; a URL inside a sentence shares
 * it just the same, as whoever pastes one would expect.
 */
const FILE_URL = /(?:^|\s)(?:https?:\/\/[^\s/]+)?\/files\/([A-Za-z0-9_-]{22})\/\S+/g;
/** A message shares at most this many files: the rest of its lines are only text. */
export const MAX_FILES_PER_MESSAGE = 20;

/**
 * Files beside the chat: who may read one (whoever may read the conversation it was shared
 * in, and its uploader), what sharing and deleting messages do to them, the removal of files
 * nobody shared, and the per-user limits.
 */
export class Files {
  readonly limits: FileLimits;
  private readonly log: Logger;
  private readonly ttlMs: number;
  private readonly sweepMs: number;
  private timer: NodeJS.Timeout | null = null;
  /** Upload start times in the last minute, per user. */
  private readonly recent = new Map<string, number[]>();
  /** The chain of share and delete work, in commit order. */
  private work: Promise<unknown> = Promise.resolve();
  private readonly shareSettleMs: number;

  constructor(readonly store: FileStore, opts: FilesOptions, private readonly cleanup?: () => Promise<void>) {
    this.limits = { maxFileSize: opts.maxFileSize, fileQuota: opts.fileQuota, uploadsPerMinute: opts.uploadsPerMinute, idleMs: opts.idleMs ?? 0 };
    this.log = opts.log;
    this.ttlMs = opts.unsharedTtlMs ?? 10 * 60_000;
    this.sweepMs = opts.sweepEveryMs ?? Math.min(60_000, Math.max(100, this.ttlMs / 10));
    this.shareSettleMs = opts.shareSettleMs ?? 0;
  }

  /** In PostgreSQL with `--database-url` (every node reads what any node kept), else on disk. */
  static async open(where: { dataDir: string | null; databaseUrl: string | null }, opts: FilesOptions): Promise<Files> {
    return where.databaseUrl === null ? Files.onDisk(where.dataDir, opts) : Files.onPostgres(where.databaseUrl, opts);
  }

  /**
   * Files in the PostgreSQL database the store uses (the same URL, pools of their own). The
   * PostgreSQL client is loaded here, by the nodes that use it: a single node on SQLite does
   * not carry its code (issue 16).
   */
  static async onPostgres(url: string, opts: FilesOptions): Promise<Files> {
    const { PostgresFileStore } = await import('./postgres-file-store.ts');
    return new Files(new PostgresFileStore(url, { images: cleanImage }), { shareSettleMs: 250, ...opts });
  }

  /** Files on disk under the data dir, or in a temporary directory removed at close (`--memory`). */
  static async onDisk(dataDir: string | null, opts: FilesOptions): Promise<Files> {
    const dir = dataDir === null ? await mkdtemp(join(tmpdir(), 'slck-files-')) : join(dataDir, 'files');
    const cleanup = dataDir === null ? () => rm(dir, { recursive: true, force: true }) : undefined;
    return new Files(new DiskFileStore(dir, { images: cleanImage }), opts, cleanup);
  }

  async start(): Promise<void> {
    await this.store.open();
    await this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.sweepMs).unref();
  }

  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    await this.work.catch(() => {});
    await this.store.close();
    await this.cleanup?.();
  }

  /** Remove the files nobody shared in time. */
  async sweep(): Promise<void> {
    try {
      for (const id of await this.store.unsharedBefore(new Date(Date.now() - this.ttlMs))) {
        if (await this.store.remove(id)) this.log.info({ file: id }, 'removed a file no message shared');
      }
    } catch (err) {
      this.log.warn({ err }, 'files: the sweep of unshared files failed');
    }
  }

  /** An upload may start now (and is counted), or the user has started too many this minute. */
  mayUpload(userKey: string, now = Date.now()): boolean {
    if (this.limits.uploadsPerMinute === 0) return true;
    const times = (this.recent.get(userKey) ?? []).filter((t) => t > now - 60_000);
    if (this.recent.size > 10_000) for (const [k, v] of this.recent) if (v.every((t) => t <= now - 60_000)) this.recent.delete(k);
    if (times.length >= this.limits.uploadsPerMinute) return false;
    times.push(now);
    this.recent.set(userKey, times);
    return true;
  }

  /**
   * A change has committed (ChatService's `committed` hook, before anyone is told): a message
   * or an edit by a file's uploader that carries its URL shares it there; a delete removes
   * the files only the deleted message shared.
   */
  committed(event: ChatEvent): void {
    if (event.t !== 'msg') return;
    const { kind, conv } = event;
    if (kind === 'delete') {
      this.chain(async () => {
        for (const id of await this.store.unshare(conv, event.of!)) this.log.info({ file: id }, 'removed a file with its deleted message');
      });
      return;
    }
    if (kind !== undefined && kind !== 'edit') return;
    const ids = fileIdsIn(event.body);
    if (ids.length === 0) return;
    const message = kind === 'edit' ? event.of! : event.id;
    const by = nameKey(event.from);
    // Started now, in order: a local store records the share before the message is delivered.
    for (const id of ids) this.chain(() => this.store.share(id, by, conv, message));
  }

  /**
   * Where a file not yet shared is shared once the shares under way have committed: this
   * node's at once, another node's within shareSettleMs (asked again once, then refused).
   */
  private async sharedSoon(id: string): Promise<FileMeta['shared']> {
    await this.work.catch(() => {});
    const now = await this.store.meta(id);
    if (now?.shared !== undefined || this.shareSettleMs === 0) return now?.shared;
    await new Promise((r) => setTimeout(r, this.shareSettleMs));
    return (await this.store.meta(id))?.shared;
  }

  private chain(run: () => Promise<unknown>): void {
    const next = run().catch((err) => this.log.warn({ err }, 'files: could not record a share or a delete'));
    this.work = Promise.all([this.work, next]);
  }

  /** Whether `user` may read the file: its uploader, or whoever may read the conversation it was shared in. */
  async mayRead(chat: AccessDeps, user: Caller, meta: FileMeta): Promise<boolean> {
    if (meta.uploader === user.key) return true;
    const shared = meta.shared ?? (await this.sharedSoon(meta.id));
    if (shared === undefined) return false;
    const conv = shared.conv;
    if (conv.startsWith('#')) return !isRefusal(await placeOf(chat, user, conv, 'read'));
    return conv.split(' ').includes(user.key);
  }
}

/** The file ids of the file URLs in a body, each once. */
export function fileIdsIn(body: Uint8Array): string[] {
  const ids = new Set<string>();
  // A cheap test first, on the bytes: most messages share nothing, and are not decoded.
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (bytes.indexOf('/files/') === -1) return [];
  for (const m of bytes.toString('utf8').matchAll(FILE_URL)) {
    ids.add(m[1]);
    if (ids.size >= MAX_FILES_PER_MESSAGE) break;
  }
  return [...ids];
}
