import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { msg } from './support/client.ts';
import { eventually, PNG, uploaded, useFilesBench } from './support/files.ts';

// Images: their size in pixels for the web's layout, and nothing of a photo's metadata
// (GPS position included) in what is served.

const bench = useFilesBench();

/** A 40×20 JPEG as a phone takes it: EXIF with a GPS position, turned a quarter by its orientation. */
async function phonePhoto(): Promise<Buffer> {
  return sharp({ create: { width: 40, height: 20, channels: 3, background: '#c33' } })
    .jpeg()
    .withExif({ IFD0: { Make: 'PhoneCo', Model: 'Snap 9' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 2643/100', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 3961/100' } })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

describe('files: images', () => {
  it('a photo\'s EXIF (GPS included) is removed from what is served, and it is turned as its orientation said', async () => {
    const b = await bench();
    const { token } = await b.user('@jane s3cret-pass');
    const photo = await phonePhoto();
    const before = await sharp(photo).metadata();
    expect(before.exif?.toString('latin1')).toContain('PhoneCo');
    expect(before.orientation).toBe(6);
    const f = await uploaded(await b.upload(token, 'IMG_0001.jpg', photo));
    expect(f).toMatchObject({ type: 'image/jpeg', width: 20, height: 40 });
    const served = Buffer.from(await (await b.get(f.url, { token })).arrayBuffer());
    expect(served.length).toBe(f.size);
    const after = await sharp(served).metadata();
    expect(after).toMatchObject({ format: 'jpeg', width: 20, height: 40 });
    expect(after.exif).toBeUndefined();
    expect(after.orientation).toBeUndefined();
    expect(served.toString('latin1')).not.toContain('PhoneCo');
    expect(await (await b.get(`/files/${f.id}/meta`, { token })).json()).toEqual(f);
  });

  it('a big image gets a WebP thumbnail within 720×480, read by the same rule, and removed with it', async () => {
    const b = await bench();
    const jane = await b.user('@jane s3cret-pass', '#dev');
    const kim = await b.user('@kim k1m-password', '#dev');
    const bob = await b.user('@bob b0b-password');
    const big = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#36c' } }).png().toBuffer();
    const f = await uploaded(await b.upload(jane.token, 'screen.png', big));
    expect(f).toMatchObject({ type: 'image/png', width: 1600, height: 1200, thumb: `/files/${f.id}/thumb` });
    const id = (await jane.c.ok(msg('#dev', f.url))).split(' ')[1];
    const res = await b.get(`/files/${f.id}/thumb`, { token: kim.token });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/webp');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await sharp(Buffer.from(await res.arrayBuffer())).metadata()).toMatchObject({ format: 'webp', width: 640, height: 480 });
    expect((await b.get(`/files/${f.id}/thumb`, { token: bob.token })).status).toBe(404);
    expect(b.onDisk().files).toContain(`${f.id}.thumb`);
    await jane.c.ok(`DELETE #dev ${id}`);
    await eventually(() => b.onDisk().files.length === 0, 'the file and its thumbnail removed');
  });

  it('a small image is its own thumbnail; a file that is no image has none', async () => {
    const b = await bench();
    const { token } = await b.user('@jane s3cret-pass');
    const f = await uploaded(await b.upload(token, 'dot.png', PNG));
    expect(f.thumb).toBe(f.url);
    expect(Buffer.from(await (await b.get(`/files/${f.id}/thumb`, { token })).arrayBuffer())).toEqual(PNG);
    const text = await uploaded(await b.upload(token, 'a.txt', Buffer.from('words')));
    expect(text.thumb).toBeUndefined();
    expect((await b.get(`/files/${text.id}/thumb`, { token })).status).toBe(404);
  });

  it('an image without metadata is kept byte for byte, with its size in pixels', async () => {
    const b = await bench();
    const { token } = await b.user('@jane s3cret-pass');
    const f = await uploaded(await b.upload(token, 'dot.png', PNG));
    expect(f).toMatchObject({ type: 'image/png', size: PNG.length, width: 1, height: 1 });
    expect(Buffer.from(await (await b.get(f.url, { token })).arrayBuffer())).toEqual(PNG);
  });

  it('a file that only starts like an image is kept as bytes of no known type, an attachment', async () => {
    const b = await bench();
    const { token } = await b.user('@jane s3cret-pass');
    const broken = Buffer.concat([PNG.subarray(0, 16), Buffer.from('<script>alert(1)</script>')]);
    const f = await uploaded(await b.upload(token, 'x.png', broken));
    expect(f).toMatchObject({ type: 'application/octet-stream', size: broken.length });
    expect(f.width).toBeUndefined();
    const res = await b.get(f.url, { token });
    expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
  });
});
