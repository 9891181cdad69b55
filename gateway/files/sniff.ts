import { Readable } from 'node:stream';

/** Enough of a file for file-type to tell every type it knows. */
const SAMPLE_BYTES = 4100;

/**
 * The type the content says it is (file-type on its first bytes), and the whole content
 * again as a stream: the first bytes held while they are looked at, the rest passed through
 * as it comes. An empty or short file ends before the sample fills, and that is fine.
 */
export async function sniff(data: AsyncIterable<Buffer>): Promise<{ mime: string | undefined; stream: Readable }> {
  const it = data[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let got = 0;
  let done = false;
  while (got < SAMPLE_BYTES) {
    const next = await it.next();
    if (next.done === true) {
      done = true;
      break;
    }
    head.push(next.value);
    got += next.value.length;
  }
  const sample = Buffer.concat(head);
  // Loaded with the first upload: file-type and its tokenizers cost a server that is only
  // chatting about 1 MB of heap (issue 16).
  const { fileTypeFromBuffer } = await import('file-type/node');
  const mime = (await fileTypeFromBuffer(sample))?.mime;
  async function* all(): AsyncGenerator<Buffer> {
    try {
      if (sample.length > 0) yield sample;
      if (done) return;
      for (let next = await it.next(); next.done !== true; next = await it.next()) yield next.value;
    } finally {
      // Stopped early (too large, cancelled): the source is let go too.
      if (!done) await it.return?.();
    }
  }
  return { mime, stream: Readable.from(all(), { objectMode: false }) };
}
