import { describe, expect, it } from 'vitest';
import { contentDisposition, sanitiseName, servedType } from './file-names.ts';
import { fileIdsIn } from './files.ts';

const ID = 'AbCdEfGhIjKlMnOpQrStUv';
const ID2 = 'ZyXwVuTsRqPoNmLkJiHgFe';
const body = (s: string) => new TextEncoder().encode(s);

describe('file URLs in a message', () => {
  it('finds each file URL that is a word of the body, from any origin or none, each once', () => {
    expect(fileIdsIn(body(`look\nhttps://chat.example.com/files/${ID}/a%20b.png\r\n/files/${ID2}/x.txt`))).toEqual([ID, ID2]);
    expect(fileIdsIn(body(`the log: http://10.0.0.5:8080/files/${ID}/crash.log, and again /files/${ID}/crash.log`))).toEqual([ID]);
    expect(fileIdsIn(body('no files here'))).toEqual([]);
  });

  it('ignores what is not a file URL: a path inside another path, a short id, no name', () => {
    expect(fileIdsIn(body(`http://evil.example/x/files/${ID}/a.png`))).toEqual([]);
    expect(fileIdsIn(body('/files/short/a.png'))).toEqual([]);
    expect(fileIdsIn(body(`/files/${ID}/`))).toEqual([]);
  });

  it('takes at most 20 files from one message', () => {
    const many = Array.from({ length: 30 }, (_, i) => `/files/${String(i).padStart(22, 'a')}/f`).join('\n');
    expect(fileIdsIn(body(many))).toHaveLength(20);
  });
});

describe('file names', () => {
  it('keep the last path segment, no control or format characters, no leading dots', () => {
    expect(sanitiseName('a/b\\c.txt')).toBe('c.txt');
    expect(sanitiseName('.env')).toBe('env');
    expect(sanitiseName('a\u0000b\u001b[31mc\u202e.txt')).toBe('ab[31mc.txt');
    expect(sanitiseName('...')).toBe('file');
    expect(sanitiseName('')).toBe('file');
    expect(sanitiseName('meta')).toBe('meta_');
    expect(sanitiseName('thumb')).toBe('thumb_');
  });

  it('are capped at 200 bytes of UTF-8 with the extension kept, never cutting a character', () => {
    const n = sanitiseName(`${'日'.repeat(100)}.jpeg`);
    expect(Buffer.byteLength(n)).toBeLessThanOrEqual(200);
    expect(n).toBe(`${'日'.repeat(65)}.jpeg`);
  });

  it('are sent per RFC 6266 and 5987', () => {
    expect(contentDisposition('attachment', 'naïve "x" 100%.txt')).toBe(`attachment; filename="naive _x_ 100_.txt"; filename*=UTF-8''na%C3%AFve%20%22x%22%20100%25.txt`);
  });

  it('say plain text only for .txt and .log content nothing else recognised', () => {
    expect(servedType(undefined, 'a.LOG')).toBe('text/plain; charset=utf-8');
    expect(servedType(undefined, 'a.html')).toBe('application/octet-stream');
    expect(servedType('image/png', 'a.txt')).toBe('image/png');
  });
});
