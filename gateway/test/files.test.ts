import { describe, expect, it } from 'vitest';
import { msg } from './support/client.ts';
import { PNG, uploaded, useFilesBench } from './support/files.ts';

// Files over real HTTP (fetch) on a real SQLite data dir, shared by telnet users
// (docs/PROTOCOL.md, "Files").

const bench = useFilesBench();
const NOT_FOUND = { code: 'NOT_FOUND', message: 'No such file, or it is not yours to read (fetch it with your session token: Authorization: Bearer <token>)' };

describe('files: upload, share and fetch', () => {
  it('the uploader uploads and fetches a file; its meta describes it', async () => {
    const b = await bench();
    const { token } = await b.user('@jane s3cret-pass');
    const f = await uploaded(await b.upload(token, 'notes.txt', Buffer.from('hello files\n'), 'text/plain'));
    expect(f).toEqual({ id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), name: 'notes.txt', type: 'text/plain; charset=utf-8', size: 12, url: `/files/${f.id}/notes.txt` });
    const res = await b.get(f.url, { token });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello files\n');
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await (await b.get(`/files/${f.id}/meta`, { token })).json()).toEqual(f);
  });

  it('a message with the URL line shares it: a channel member fetches it, a non-member gets 404', async () => {
    const b = await bench();
    const jane = await b.user('@jane s3cret-pass', '#dev');
    const kim = await b.user('@kim k1m-password', '#dev');
    const bob = await b.user('@bob b0b-password');
    const f = await uploaded(await b.upload(jane.token, 'shot.png', PNG));
    // Not shared yet: only its uploader sees it.
    for (const p of [f.url, `/files/${f.id}/meta`]) {
      const res = await b.get(p, { token: kim.token });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual(NOT_FOUND);
    }
    await jane.c.ok(msg('#dev', `look at this\n${b.server.httpUrl}${f.url}`));
    const got = await b.get(f.url, { token: kim.token });
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer())).toEqual(PNG);
    expect(await (await b.get(`/files/${f.id}/meta`, { token: kim.token })).json()).toEqual(f);
    // The same answer for a non-member, no token, a bad token, and an id that does not exist.
    const denied = [
      await b.get(f.url, { token: bob.token }),
      await b.get(f.url),
      await b.get(f.url, { token: 'x'.repeat(43) }),
      await b.get(`/files/${'A'.repeat(22)}/shot.png`, { token: kim.token }),
    ];
    for (const res of denied) {
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual(NOT_FOUND);
    }
    // Sharing it again elsewhere does not widen who may read it.
    await jane.c.ok(msg('@bob', f.url));
    expect((await b.get(f.url, { token: bob.token })).status).toBe(404);
  });

  it('a file shared in a direct message is for the two of them; nobody can share a file they did not upload', async () => {
    const b = await bench();
    const jane = await b.user('@jane s3cret-pass');
    const kim = await b.user('@kim k1m-password');
    const bob = await b.user('@bob b0b-password');
    const f = await uploaded(await b.upload(jane.token, 'a.bin', Buffer.from([1, 2, 3])));
    // Bob pastes Jane's URL to himself and Kim: that gives him nothing.
    await bob.c.ok(msg('@kim', f.url));
    expect((await b.get(f.url, { token: bob.token })).status).toBe(404);
    await jane.c.ok(msg('@kim', `/files/${f.id}/a.bin`));
    expect((await b.get(f.url, { token: kim.token })).status).toBe(200);
    expect((await b.get(f.url, { token: bob.token })).status).toBe(404);
  });

  it('an edit that adds the URL shares it, also inside a sentence', async () => {
    const b = await bench();
    const jane = await b.user('@jane s3cret-pass', '#dev');
    const kim = await b.user('@kim k1m-password', '#dev');
    const f = await uploaded(await b.upload(jane.token, 'a.bin', Buffer.from([1])));
    const id = (await jane.c.ok(msg('#dev', 'forgot the file'))).split(' ')[1];
    expect((await b.get(f.url, { token: kim.token })).status).toBe(404);
    const body = `forgot the file: ${b.server.httpUrl}${f.url} there`;
    await jane.c.ok(`EDIT #dev ${id} ${Buffer.byteLength(body)}\r\n${body}`);
    expect((await b.get(f.url, { token: kim.token })).status).toBe(200);
  });

  it('uploads need a session token: a guest or a stranger is told how', async () => {
    const b = await bench();
    const res = await b.upload(null, 'a.txt', Buffer.from('x'));
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ code: 'NOT_SIGNED_IN', message: expect.stringContaining('set a password first') });
    expect(b.onDisk()).toEqual({ files: [], tmp: [] });
  });

  it('no file field is a clear 400', async () => {
    const b = await bench();
    const { token } = await b.user('@jane s3cret-pass');
    const form = new FormData();
    form.append('other', 'x');
    const res = await fetch(`${b.server.httpUrl}/files`, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 'BAD_UPLOAD', message: 'Send the file as multipart/form-data in a field named "file"' });
    const plain = await fetch(`${b.server.httpUrl}/files`, { method: 'POST', body: 'hi', headers: { authorization: `Bearer ${token}` } });
    expect(plain.status).toBe(400);
  });
});

describe('files: what comes back', () => {
  it('HTML and SVG come back as attachments under CSP sandbox and nosniff; a PNG inline', async () => {
    const b = await bench();
    const { token } = await b.user('@jane s3cret-pass');
    const html = await uploaded(await b.upload(token, 'page.html', Buffer.from('<!doctype html><script>alert(1)</script>'), 'text/html'));
    const svg = await uploaded(await b.upload(token, 'x.svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'image/svg+xml'));
    const png = await uploaded(await b.upload(token, 'p.png', PNG, 'image/png'));
    for (const [f, name] of [[html, 'page.html'], [svg, 'x.svg']] as const) {
      const res = await b.get(f.url, { token });
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${name}"; filename*=UTF-8''${name}`);
      expect(res.headers.get('content-security-policy')).toBe('sandbox');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-type')).not.toMatch(/html|svg/);
    }
    const res = await b.get(png.url, { token });
    expect(png.type).toBe('image/png');
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-disposition')).toBe(`inline; filename="p.png"; filename*=UTF-8''p.png`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('private, no-cache');
    // The browser's copy is checked each time: 304 while the reader may read it, no body.
    const etag = res.headers.get('etag')!;
    expect(etag).toBe(`"${png.id}"`);
    const again = await fetch(`${b.server.httpUrl}${png.url}`, { headers: { authorization: `Bearer ${token}`, 'if-none-match': etag } });
    expect([again.status, (await again.arrayBuffer()).byteLength]).toEqual([304, 0]);
    // Without the session, the same question is a 404: no cached copy outlives access.
    const stranger = await fetch(`${b.server.httpUrl}${png.url}`, { headers: { 'if-none-match': etag } });
    expect(stranger.status).toBe(404);
  });

  it('the type is sniffed from the content: a lying Content-Type or name is ignored', async () => {
    const b = await bench();
    const { token } = await b.user('@jane s3cret-pass');
    const png = await uploaded(await b.upload(token, 'page.html', PNG, 'text/html'));
    expect(png.type).toBe('image/png');
    const html = await uploaded(await b.upload(token, 'cat.png', Buffer.from('<html><script>alert(1)</script>'), 'image/png'));
    expect(html.type).toBe('application/octet-stream');
    const res = await b.get(html.url, { token });
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
  });

  it('names with quotes, slashes, control characters, leading dots and non-ASCII are kept safe and encoded per RFC 6266/5987', async () => {
    const b = await bench();
    const { token } = await b.user('@jane s3cret-pass');
    const cases: Array<[string, string, string]> = [
      // sent, kept, Content-Disposition of it
      ['say "hi".txt', 'say "hi".txt', `attachment; filename="say _hi_.txt"; filename*=UTF-8''say%20%22hi%22.txt`],
      ['../../etc/passwd', 'passwd', `attachment; filename="passwd"; filename*=UTF-8''passwd`],
      ['C:\\Users\\me\\report.pdf', 'report.pdf', `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`],
      ['..hidden', 'hidden', `attachment; filename="hidden"; filename*=UTF-8''hidden`],
      ['café ☕.txt', 'café ☕.txt', `attachment; filename="cafe _.txt"; filename*=UTF-8''caf%C3%A9%20%E2%98%95.txt`],
      ['evil\u202Egpj.exe', 'evilgpj.exe', `attachment; filename="evilgpj.exe"; filename*=UTF-8''evilgpj.exe`],
      ["it's (1).txt", "it's (1).txt", `attachment; filename="it's (1).txt"; filename*=UTF-8''it%27s%20%281%29.txt`],
    ];
    for (const [sent, kept, disposition] of cases) {
      const f = await uploaded(await rawUpload(b.server.httpUrl, token, sent, Buffer.from('x')));
      expect(f.name).toBe(kept);
      expect(f.url).toBe(`/files/${f.id}/${encodeURIComponent(kept)}`);
      expect((await b.get(f.url, { token })).headers.get('content-disposition')).toBe(disposition);
    }
    const long = await uploaded(await rawUpload(b.server.httpUrl, token, `${'é'.repeat(300)}.txt`, Buffer.from('x')));
    expect(long.name).toBe(`${'é'.repeat(98)}.txt`);
  });

  it('POST /files/session sets an HttpOnly SameSite=Strict cookie for /files, with which GET works; DELETE clears it', async () => {
    const b = await bench();
    const { token } = await b.user('@jane s3cret-pass');
    const f = await uploaded(await b.upload(token, 'p.png', PNG));
    expect((await fetch(`${b.server.httpUrl}/files/session`, { method: 'POST' })).status).toBe(401);
    const res = await fetch(`${b.server.httpUrl}/files/session`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(204);
    const set = res.headers.get('set-cookie')!;
    expect(set).toMatch(new RegExp(`^slck_files=${token}; Path=/files; HttpOnly; SameSite=Strict; Max-Age=(\\d+)$`));
    // Until the session ends: thirty days, give or take the test's own time.
    expect(Math.abs(Number(/Max-Age=(\d+)/.exec(set)![1]) - 30 * 86_400)).toBeLessThan(60);
    const cookie = set.split(';')[0];
    const got = await b.get(f.url, { cookie });
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer())).toEqual(PNG);
    const cleared = await fetch(`${b.server.httpUrl}/files/session`, { method: 'DELETE' });
    expect(cleared.status).toBe(204);
    expect(cleared.headers.get('set-cookie')).toBe('slck_files=; Path=/files; HttpOnly; SameSite=Strict; Max-Age=0');
    // Signing out ends what the cookie can do at once.
    const [bye] = await (await b.user('@jane s3cret-pass')).c.cmd('SIGNOUT ALL');
    expect(bye).toBe('OK');
    expect((await b.get(f.url, { cookie })).status).toBe(404);
  });
});

/** An upload built by hand, the name as a client writes it (quoted-string, UTF-8 as is). */
function rawUpload(base: string, token: string, name: string, bytes: Buffer): Promise<Response> {
  const boundary = 'x-slck-boundary';
  const quoted = name.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quoted}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return fetch(`${base}/files`, { method: 'POST', body, headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` } });
}
