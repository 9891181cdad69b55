import type { Readable } from 'node:stream';

/**
 * Files shared in conversations (docs/PROTOCOL.md, "Files"): the bytes and what is known of
 * them. Local disk is the single-node store (disk-file-store.ts); a store for several nodes
 * (PostgreSQL) implements the same interface and passes the same contract suite
 * (file-store-contract.test.ts). Nothing is held whole in memory: bytes go in and out as
 * streams.
 */
export type FileMeta = {
  /** 22 characters of base64url: 128 random bits, so an id cannot be guessed. */
  id: string;
  /** Sanitised (file-names.ts). */
  name: string;
  /** Sniffed from the content, never the client's word. */
  type: string;
  size: number;
  /** The uploader's handle key. */
  uploader: string;
  /** ISO 8601. */
  created: string;
  width?: number;
  height?: number;
  /** A smaller copy of a big image was kept (images.ts): `read(id, 'thumb')`. */
  thumb?: boolean;
  /**
   * Where it was shared: the conversation of the first message by its uploader that carried
   * its URL (that decides who may read it), and the ids of that conversation's messages that
   * carry it now. Absent until then.
   */
  shared?: { conv: string; messages: number[] };
};

/** What the uploader's side says of a file; the store adds the id, size and times. */
export type NewFile = { name: string; type: string; uploader: string; width?: number; height?: number };

/** The upload passed `maxBytes`: nothing of it is kept. */
export class FileTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`the file is larger than ${maxBytes} bytes`);
  }
}

/** A file is kept for at most this many messages referring to it; past it, it stays until removed by hand. */
export const MAX_REFERENCES = 100;

export interface FileStore {
  readonly description: string;
  /** Ready to use: the leftovers of uploads cut short by a crash (kill -9) are removed first. */
  open(): Promise<void>;
  /**
   * Keep the bytes of `data` durably (on disk, or committed) before resolving: a crash at any
   * point leaves either the whole file, visible, or nothing. Past `maxBytes` it stops reading,
   * removes what it wrote and rejects with FileTooLarge.
   */
  put(data: Readable, file: NewFile, maxBytes: number): Promise<FileMeta>;
  meta(id: string): Promise<FileMeta | undefined>;
  /** The bytes, or its thumbnail's, streamed; undefined for an unknown id or a file without one. */
  read(id: string, variant?: 'thumb'): Promise<Readable | undefined>;
  /**
   * Message `message` of `conv`, by the user `by` (a handle key), carries the file's URL. Only the
   * uploader shares a file (nobody pulls another's file into their conversation). The first share decides the file's
   * conversation; a message elsewhere adds nothing. Resolves with the file as it now is, or
   * undefined when it was not attached (unknown, or shared in another conversation).
   */
  share(id: string, by: string, conv: string, message: number): Promise<FileMeta | undefined>;
  /** Message `message` of `conv` was deleted: the files no other message refers to are removed; their ids. */
  unshare(conv: string, message: number): Promise<string[]>;
  remove(id: string): Promise<boolean>;
  /** Bytes kept for this uploader, in all. */
  usage(uploader: string): Promise<number>;
  /** Files never shared that were made before `before`. */
  unsharedBefore(before: Date): Promise<string[]>;
  close(): Promise<void>;
}
