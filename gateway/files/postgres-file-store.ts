import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import { redactUrl } from '../store/redact-url.ts';
import { FileTooLarge, MAX_REFERENCES, type FileMeta, type FileStore, type NewFile } from './file-store.ts';
import { FILE_ID } from './disk-file-store.ts';
import { INLINE_TYPES } from './file-names.ts';
import type { ImageCleaner } from './images.ts';
import { migrateFileTables } from './postgres-file-schema.ts';

/** Bytes per row of file_chunks: big enough that a 25 MiB file is 100 round trips, small enough to hold one per upload. */
export const CHUNK_BYTES = 256 * 1024;
const BYTES = 0;
const THUMB = 1;

type FileRow = {
  id: string; name: string; type: string; size: string; uploader: string; created: Date;
  width: number | null; height: number | null; thumb: boolean; conv: string | null; messages: string[] | null;
};
const SELECT_META = `SELECT f.id, f.name, f.type, f.size, f.uploader, f.created, f.width, f.height, f.thumb, f.conv,
  (SELECT array_agg(r.message ORDER BY r.n) FROM file_refs r WHERE r.id = f.id) AS messages FROM files f`;

const toMeta = (r: FileRow): FileMeta => ({
  id: r.id, name: r.name, type: r.type, size: Number(r.size), uploader: r.uploader, created: r.created.toISOString(),
  ...(r.width !== null && { width: r.width, height: r.height! }),
  ...(r.thumb && { thumb: true }),
  ...(r.conv !== null && { shared: { conv: r.conv, messages: (r.messages ?? []).map(Number) } }),
});

const ignore = (): void => {};

/**
 * Files in PostgreSQL, for several nodes: what one node keeps, every node reads. The bytes are
 * rows of `file_chunks` (256 KiB each), the rest a row of `files`, and the messages that carry
 * a file rows of `file_refs` (schema: postgres-file-schema.ts).
 *
 * Chunked rows rather than large objects: they are deleted with their file (ON DELETE CASCADE;
 * a large object outlives the row naming it unless unlinked, and leaks when that is missed),
 * written in the same transaction as the file's row, and plain SQL the `pg` client streams a
 * row at a time. An upload is one transaction, committed before `put` resolves: until then no
 * node sees any of it, and a crash or a cut-off upload rolls it all back, leaving nothing to
 * clean. Reads fetch one chunk per query, as the reader asks for more, so a slow download
 * holds no connection and no more than a chunk in memory.
 *
 * Images go through a spool file first (sharp reads and writes files): the clean copy and its
 * thumbnail are then streamed in like any file.
 */
export class PostgresFileStore implements FileStore {
  readonly description: string;
  /** Uploads: each holds a connection for as long as its transaction (the upload) lasts. */
  private readonly uploads: pg.Pool;
  /** Everything else: short queries (metadata, shares, one chunk of a download). */
  private readonly pool: pg.Pool;
  private spool = '';
  private closed = false;

  constructor(url: string, private readonly opts: { images?: ImageCleaner; uploads?: number } = {}) {
    this.description = `files in postgres ${redactUrl(url)}`;
    // At most this many uploads write at once per node; more wait for a connection (and their
    // senders for the server to read on). A database that stops answering fails them in seconds.
    this.uploads = new pg.Pool({ connectionString: url, max: opts.uploads ?? 8, connectionTimeoutMillis: 30_000, query_timeout: 30_000 });
    this.pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 3_000, query_timeout: 10_000 });
    // An idle connection the server drops (a restart, a failover) must not end the process.
    this.uploads.on('error', ignore);
    this.pool.on('error', ignore);
  }

  async open(): Promise<void> {
    const client = await this.pool.connect();
    client.on('error', ignore);
    try {
      await migrateFileTables(client);
    } finally {
      client.removeListener('error', ignore);
      client.release();
    }
    this.spool = await openSpool();
  }

  async put(data: Readable, file: NewFile, maxBytes: number): Promise<FileMeta> {
    if (this.opts.images !== undefined && INLINE_TYPES.has(file.type)) return this.putImage(data, file, maxBytes);
    return this.write(file, async (write) => write(BYTES, data, maxBytes));
  }

  /** An image: spooled to a file for sharp, cleaned, then the clean copy and its thumbnail written in. */
  private async putImage(data: Readable, file: NewFile, maxBytes: number): Promise<FileMeta> {
    const base = join(this.spool, randomBytes(12).toString('hex'));
    const [input, output, thumbOut] = [base, `${base}.clean`, `${base}.thumb`];
    try {
      const fh = await open(input, 'wx');
      try {
        let size = 0;
        for await (const chunk of data as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (size > maxBytes) throw new FileTooLarge(maxBytes);
          await fh.write(chunk);
        }
      } finally {
        await fh.close();
      }
      const cleaned = await this.opts.images!(input, output, file.type, thumbOut);
      const known = cleaned === null ? {} : 'unreadable' in cleaned ? { type: 'application/octet-stream' }
        : { width: cleaned.width, height: cleaned.height, ...(cleaned.thumb && { thumb: true }) };
      const path = cleaned !== null && !('unreadable' in cleaned) && cleaned.rewritten ? output : input;
      return await this.write({ ...file, ...known }, async (write) => {
        const size = await write(BYTES, createReadStream(path), (await stat(path)).size);
        if ('thumb' in known) await write(THUMB, createReadStream(thumbOut), Number.MAX_SAFE_INTEGER);
        return size;
      });
    } finally {
      await Promise.all([input, output, thumbOut].map((f) => rm(f, { force: true })));
    }
  }

  /**
   * One upload's transaction: the file's row, then its bytes (`body`), then its size, committed
   * before resolving. Anything thrown on the way rolls all of it back.
   */
  private async write(file: NewFile & { thumb?: boolean }, body: (write: (variant: number, data: Readable, maxBytes: number) => Promise<number>) => Promise<number>): Promise<FileMeta> {
    const id = randomBytes(16).toString('base64url');
    const created = new Date();
    const client = await this.uploads.connect();
    // A server gone mid-upload: the query in flight fails, and that is what put reports.
    client.on('error', ignore);
    let ok = false;
    try {
      await client.query('BEGIN');
      await client.query(
        'INSERT INTO files (id, name, type, size, uploader, created, width, height, thumb) VALUES ($1, $2, $3, 0, $4, $5, $6, $7, $8)',
        [id, file.name, file.type, file.uploader, created, file.width ?? null, file.height ?? null, file.thumb === true],
      );
      const size = await body((variant, data, maxBytes) => writeChunks(client, id, variant, data, maxBytes));
      await client.query('UPDATE files SET size = $2 WHERE id = $1', [id, size]);
      await client.query('COMMIT');
      ok = true;
      return toMeta({ ...file, id, size: String(size), created, width: file.width ?? null, height: file.height ?? null, thumb: file.thumb === true, conv: null, messages: null });
    } catch (err) {
      await client.query('ROLLBACK').catch(ignore);
      throw err;
    } finally {
      client.removeListener('error', ignore);
      // A connection that failed mid-transaction is not reused.
      client.release(!ok);
    }
  }

  async meta(id: string): Promise<FileMeta | undefined> {
    if (!FILE_ID.test(id)) return undefined;
    const { rows } = await this.pool.query<FileRow>(`${SELECT_META} WHERE f.id = $1`, [id]);
    return rows[0] && toMeta(rows[0]);
  }

  async read(id: string, variant?: 'thumb'): Promise<Readable | undefined> {
    const m = await this.meta(id);
    if (m === undefined || (variant === 'thumb' && m.thumb !== true)) return undefined;
    return new ChunkReader(this.pool, id, variant === 'thumb' ? THUMB : BYTES, variant === 'thumb' ? undefined : m.size);
  }

  async share(id: string, by: string, conv: string, message: number): Promise<FileMeta | undefined> {
    if (!FILE_ID.test(id)) return undefined;
    return this.tx(async (c) => {
      // The file's row lock orders shares and deletes of one file, whichever node runs them.
      const { rows } = await c.query<{ uploader: string; conv: string | null }>('SELECT uploader, conv FROM files WHERE id = $1 FOR UPDATE', [id]);
      const f = rows[0];
      if (f === undefined || f.uploader !== by || (f.conv !== null && f.conv !== conv)) return undefined;
      if (f.conv === null) await c.query('UPDATE files SET conv = $2 WHERE id = $1', [id, conv]);
      const refs = await c.query<{ message: string }>('SELECT message FROM file_refs WHERE id = $1', [id]);
      if (!refs.rows.some((r) => Number(r.message) === message)) {
        if (refs.rows.length >= MAX_REFERENCES) await c.query('UPDATE files SET pinned = true WHERE id = $1', [id]);
        else await c.query('INSERT INTO file_refs (id, conv, message) VALUES ($1, $2, $3)', [id, conv, message]);
      }
      return toMeta((await c.query<FileRow>(`${SELECT_META} WHERE f.id = $1`, [id])).rows[0]);
    });
  }

  async unshare(conv: string, message: number): Promise<string[]> {
    return this.tx(async (c) => {
      const carried = await c.query<{ id: string }>('SELECT id FROM file_refs WHERE conv = $1 AND message = $2', [conv, message]);
      if (carried.rows.length === 0) return [];
      const ids = carried.rows.map((r) => r.id).sort();
      // Locked first (in id order, so two deletes never wait on each other): a share or another
      // delete of the same file on another node waits, and "no other message" stays true.
      await c.query('SELECT id FROM files WHERE id = ANY($1) ORDER BY id FOR UPDATE', [ids]);
      await c.query('DELETE FROM file_refs WHERE conv = $1 AND message = $2', [conv, message]);
      const { rows } = await c.query<{ id: string }>(
        'DELETE FROM files f WHERE f.id = ANY($1) AND NOT f.pinned AND NOT EXISTS (SELECT 1 FROM file_refs r WHERE r.id = f.id) RETURNING f.id',
        [ids],
      );
      return ids.filter((id) => rows.some((r) => r.id === id));
    });
  }

  async remove(id: string): Promise<boolean> {
    if (!FILE_ID.test(id)) return false;
    // Its chunks and references go with it (ON DELETE CASCADE), in the same statement.
    return ((await this.pool.query('DELETE FROM files WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async usage(uploader: string): Promise<number> {
    const { rows } = await this.pool.query<{ bytes: string }>('SELECT COALESCE(sum(size), 0) AS bytes FROM files WHERE uploader = $1', [uploader]);
    return Number(rows[0].bytes);
  }

  async unsharedBefore(before: Date): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>('SELECT id FROM files WHERE conv IS NULL AND created < $1 ORDER BY created, id', [before]);
    return rows.map((r) => r.id);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.uploads.end(), this.pool.end()]);
    if (this.spool !== '') await rm(this.spool, { recursive: true, force: true });
  }

  private async tx<T>(run: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    client.on('error', ignore);
    let ok = false;
    try {
      await client.query('BEGIN');
      const result = await run(client);
      await client.query('COMMIT');
      ok = true;
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(ignore);
      throw err;
    } finally {
      client.removeListener('error', ignore);
      client.release(!ok);
    }
  }
}

/** `data` as rows of file_chunks, CHUNK_BYTES each (the last may be shorter); its size. */
async function writeChunks(client: pg.PoolClient, id: string, variant: number, data: Readable, maxBytes: number): Promise<number> {
  // One chunk's buffer, reused: the upload holds no more than this, whatever its size.
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  let fill = 0;
  let seq = 0;
  let size = 0;
  const flush = async () => {
    await client.query('INSERT INTO file_chunks (id, variant, seq, bytes) VALUES ($1, $2, $3, $4)', [id, variant, seq++, buf.subarray(0, fill)]);
    fill = 0;
  };
  for await (const chunk of data as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new FileTooLarge(maxBytes);
    for (let off = 0; off < chunk.length;) {
      const n = chunk.copy(buf, fill, off);
      fill += n;
      off += n;
      if (fill === CHUNK_BYTES) await flush();
    }
  }
  if (fill > 0) await flush();
  return size;
}

/** A file's chunks, fetched one query at a time as the reader asks for more. */
class ChunkReader extends Readable {
  private seq = 0;
  private got = 0;

  constructor(private readonly pool: pg.Pool, private readonly id: string, private readonly variant: number, private readonly size?: number) {
    super({ highWaterMark: CHUNK_BYTES });
  }

  override _read(): void {
    this.pool.query<{ bytes: Buffer }>('SELECT bytes FROM file_chunks WHERE id = $1 AND variant = $2 AND seq = $3', [this.id, this.variant, this.seq]).then(({ rows }) => {
      if (rows[0] !== undefined) {
        this.seq++;
        this.got += rows[0].bytes.length;
        this.push(rows[0].bytes);
      } else if (this.size !== undefined && this.got !== this.size) {
        // Removed while it was read: the reader gets an error, not a file cut short.
        this.destroy(new Error(`file ${this.id} is gone`));
      } else this.push(null);
    }, (err: Error) => this.destroy(err));
  }
}

/**
 * This process's spool directory for images (under the system's temp dir); the spools of
 * processes that died (kill -9) are removed first, so nothing they held stays behind.
 */
async function openSpool(): Promise<string> {
  const root = join(tmpdir(), 'slck-file-spool');
  await mkdir(root, { recursive: true });
  for (const name of await readdir(root)) {
    const pid = Number(name.split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) await rm(join(root, name), { recursive: true, force: true });
  }
  const dir = join(root, `${process.pid}-${randomBytes(6).toString('hex')}`);
  await mkdir(dir);
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
