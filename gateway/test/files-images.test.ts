import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { PNG, uploaded, useFilesBench } from './support/files.ts';

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
