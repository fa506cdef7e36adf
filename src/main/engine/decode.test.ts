import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { deflateSync, crc32 } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { AppFailure } from '../../shared/errors';
import { DEFAULT_CONFIG } from './config';
import { decodeImage } from './decode';

const testdata = resolve(import.meta.dirname, '../../../../shared/testdata');
const limits = DEFAULT_CONFIG;

async function expectCode(p: Promise<unknown>, code: string, message?: RegExp) {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppFailure);
  expect((error as AppFailure).code).toBe(code);
  if (message) expect((error as AppFailure).message).toMatch(message);
}

/** A valid PNG header claiming width × height, with a tiny IDAT: decoding would need width·height·3 bytes. */
function pngHeader(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(16))), chunk('IEND', Buffer.alloc(0))]);
}

describe('decodeImage', () => {
  const red = () => sharp({ create: { width: 40, height: 20, channels: 3, background: { r: 255, g: 0, b: 0 } } });

  it.each(['jpeg', 'png', 'webp'] as const)('decodes %s to RGB', async (format) => {
    const bytes = await red().toFormat(format).toBuffer();
    const img = await decodeImage(bytes, limits);
    expect(img).toMatchObject({ width: 40, height: 20, channels: 3, format });
    expect(img.data.length).toBe(40 * 20 * 3);
    expect(img.data[0]).toBeGreaterThan(200);
    expect(img.data[1]).toBeLessThan(40);
  });

  it('applies EXIF orientation (6 = rotate 90° clockwise)', async () => {
    const bytes = await red().jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeImage(bytes, limits);
    expect([img.width, img.height]).toEqual([20, 40]);
  });

  it('flattens alpha on white', async () => {
    const bytes = await sharp({ create: { width: 4, height: 4, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    const img = await decodeImage(bytes, limits);
    expect(img.data[0]).toBe(255);
  });

  it('downscales large images for analysis', async () => {
    const bytes = await sharp({ create: { width: 3000, height: 1000, channels: 3, background: '#808080' } }).jpeg().toBuffer();
    const img = await decodeImage(bytes, limits);
    expect(img.width).toBe(limits.maxAnalysisSide);
    expect(img.originalWidth).toBe(3000);
  });

  it('decodes a real test photo', async () => {
    const img = await decodeImage(readFileSync(resolve(testdata, 'documents/62_pass-pol.png')), limits);
    expect(img.width).toBeGreaterThan(100);
  });

  it('rejects a 0-byte file', async () => {
    await expectCode(decodeImage(new Uint8Array(0), limits), 'CORRUPT_INPUT', /empty/);
  });

  it('rejects a non-image', async () => {
    await expectCode(decodeImage(Buffer.from('%PDF-1.4 this is not an image at all'), limits), 'CORRUPT_INPUT', /not a JPEG, PNG or WebP image \(it looks like a PDF document\)/);
  });

  it.each(['gif', 'tiff'] as const)('refuses %s, which libvips could read, before it sees it', async (format) => {
    const bytes = await red().toFormat(format).toBuffer();
    await expectCode(decodeImage(bytes, limits), 'CORRUPT_INPUT', new RegExp(`not a JPEG, PNG or WebP image \\(it looks like a ${format.toUpperCase()} image\\)`));
  });

  it('rejects a truncated JPEG', async () => {
    const full = readFileSync(resolve(testdata, 'faces/identities/barack_obama/01.jpg'));
    await expectCode(decodeImage(full.subarray(0, Math.floor(full.length / 3)), limits), 'CORRUPT_INPUT');
  });

  it('rejects a 50-megapixel image from its header, without decoding it', async () => {
    const before = process.memoryUsage().rss;
    await expectCode(decodeImage(pngHeader(10_000, 5_000), limits), 'CORRUPT_INPUT', /too large|megapixels|not a readable/);
    // decoding would have needed 150 MB
    expect(process.memoryUsage().rss - before).toBeLessThan(60 * 1024 * 1024);
  });

  it('rejects an oversized file before looking at it', async () => {
    await expectCode(decodeImage(new Uint8Array(1024), { ...limits, maxBytes: 100 }), 'CORRUPT_INPUT', /too large/);
  });

  it("refuses a file whose content libvips reads as another format than its signature says", async () => {
    // libvips sniffs by content as well, so a real file cannot show this today; the check is what keeps a loader
    // we did not choose (tiff here) from ever decoding it if that changes.
    vi.resetModules();
    vi.doMock('sharp', () => ({ default: () => ({ metadata: async () => ({ format: 'tiff', width: 10, height: 10 }) }) }));
    try {
      const { decodeImage: decodeMocked } = await import('./decode');
      const bytes = await red().png().toBuffer();
      // a fresh module graph: its AppFailure is another class object than the one imported above
      await expect(decodeMocked(bytes, limits)).rejects.toMatchObject({
        name: 'AppFailure',
        code: 'CORRUPT_INPUT',
        message: expect.stringMatching(/starts like a PNG image but its content reads as tiff/),
      });
    } finally {
      vi.doUnmock('sharp');
      vi.resetModules();
    }
  });
});
