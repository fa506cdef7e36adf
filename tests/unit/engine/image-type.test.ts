/**
 * Still images are JPEG, PNG or WebP, decided from their first bytes before libvips sees them; everything else
 * is CORRUPT_INPUT with a message that says what the file looks like. Real photos from ../shared/testdata, the
 * other formats made from them at test time (sharp, ffmpeg) in a temp folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/main/engine/config';
import { decodeImage } from '../../../src/main/engine/decode';
import { assertStillImage, sniffImageType } from '../../../src/main/engine/image-type';
import { AppFailure } from '../../../src/shared/errors';
import { testdata } from '../../support/testdata';

const photoPath = testdata('faces/identities/barack_obama/01.jpg');
const pngPath = testdata('documents/62_pass-pol.png');
let dir: string;
let photo: Buffer;

const hasFfmpeg = (() => {
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Writes `bytes` under a name (e.g. a .jpg that is not one) and reads it back, the way a picked file arrives. */
function asFile(name: string, bytes: Uint8Array | string): Buffer {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return readFileSync(path);
}

function ffmpeg(args: string[], out: string): Buffer {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args, join(dir, out)], { stdio: 'ignore' });
  return readFileSync(join(dir, out));
}

function failureOf(run: () => unknown): AppFailure {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AppFailure);
    return error as AppFailure;
  }
  throw new Error('expected an AppFailure');
}

async function decodeFailure(bytes: Uint8Array): Promise<AppFailure> {
  const error = await decodeImage(bytes, DEFAULT_CONFIG).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppFailure);
  return error as AppFailure;
}

const chunkTag = (webp: Uint8Array) => String.fromCharCode(...webp.subarray(12, 16));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'veridesk-image-type-'));
  photo = readFileSync(photoPath);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('accepted: JPEG, PNG, WebP', () => {
  it('a real JPEG photo', async () => {
    expect(sniffImageType(photo)).toBe('jpeg');
    expect(assertStillImage(photo)).toBe('jpeg');
    const img = await decodeImage(photo, DEFAULT_CONFIG);
    expect(img.format).toBe('jpeg');
    expect(img.width).toBeGreaterThan(100);
  });

  it('a real PNG document scan', async () => {
    const png = readFileSync(pngPath);
    expect(assertStillImage(png)).toBe('png');
    expect((await decodeImage(png, DEFAULT_CONFIG)).format).toBe('png');
  });

  it('the photo re-encoded as PNG with sharp', async () => {
    const png = asFile('photo.png', await sharp(photo).png().toBuffer());
    expect(assertStillImage(png)).toBe('png');
    expect((await decodeImage(png, DEFAULT_CONFIG)).format).toBe('png');
  });

  it.each([
    ['lossy (VP8)', { quality: 80 }, 'VP8 ', false],
    ['lossless (VP8L)', { lossless: true }, 'VP8L', false],
    ['lossy with alpha (VP8X)', { quality: 80 }, 'VP8X', true],
  ] as const)('the photo as WebP, %s', async (_label, options, tag, alpha) => {
    let pipeline = sharp(photo).resize(320);
    if (alpha) pipeline = pipeline.ensureAlpha(0.5);
    const webp = asFile(`photo-${tag.trim()}.webp`, await pipeline.webp(options).toBuffer());
    expect(chunkTag(webp)).toBe(tag);
    expect(sniffImageType(webp)).toBe('webp');
    expect(assertStillImage(webp)).toBe('webp');
    const img = await decodeImage(webp, DEFAULT_CONFIG);
    expect(img).toMatchObject({ format: 'webp', width: 320, channels: 3 });
  });

  it.skipIf(!hasFfmpeg)('the photo as WebP written by ffmpeg', async () => {
    const webp = ffmpeg(['-i', photoPath, '-vf', 'scale=200:-2', '-c:v', 'libwebp', '-frames:v', '1'], 'ffmpeg.webp');
    expect(assertStillImage(webp)).toBe('webp');
    expect((await decodeImage(webp, DEFAULT_CONFIG)).format).toBe('webp');
  });

  it('tiny but complete images (1×1) are not mistaken for truncated ones', async () => {
    const one = sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } });
    for (const format of ['jpeg', 'png', 'webp'] as const) {
      const bytes = await one.clone().toFormat(format).toBuffer();
      expect(assertStillImage(bytes)).toBe(format);
      expect((await decodeImage(bytes, DEFAULT_CONFIG)).format).toBe(format);
    }
  });

  it('sniffs a subarray view at its own offset (a Uint8Array slice of a bigger buffer)', () => {
    const big = new Uint8Array(photo.length + 7);
    big.set(photo, 7);
    expect(sniffImageType(big.subarray(7))).toBe('jpeg');
    expect(sniffImageType(big)).toBeNull();
  });
});

describe('refused before libvips sees them, with a message naming what was found', () => {
  const refusals: [string, () => Promise<Buffer> | Buffer, RegExp][] = [
    ['GIF', async () => asFile('photo.gif', await sharp(photo).resize(120).gif().toBuffer()), /looks like a GIF image/],
    ['GIF renamed .jpg', async () => asFile('gif.jpg', await sharp(photo).resize(120).gif().toBuffer()), /looks like a GIF image/],
    ['TIFF (little-endian)', async () => asFile('photo.tif', await sharp(photo).resize(120).tiff().toBuffer()), /looks like a TIFF image/],
    ['AVIF', async () => asFile('photo.avif', await sharp(photo).resize(64).avif({ effort: 0 }).toBuffer()), /looks like an AVIF image/],
    ['SVG renamed .jpg', () => asFile('drawing.jpg', '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'), /looks like an SVG drawing/],
    ['bare SVG', () => asFile('bare.jpg', '  <svg xmlns="http://www.w3.org/2000/svg"></svg>'), /looks like an SVG drawing/],
    ['HTML renamed .jpg', () => asFile('page.jpg', '<!DOCTYPE html>\n<html><body><img src="x.jpg"></body></html>'), /looks like an HTML page/],
    ['text renamed .jpg', () => asFile('notes.jpg', 'this is not a photo, just some notes\n'), /looks like a text file/],
    ['UTF-8 text with a BOM', () => asFile('bom.jpg', '\ufeff客户照片稍后补充\n'), /looks like a text file/],
    ['PDF', () => asFile('doc.jpg', '%PDF-1.4\n%âãÏÓ\n1 0 obj\n'), /looks like a PDF document/],
    ['ZIP', () => asFile('archive.jpg', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0])), /looks like a ZIP archive/],
    ['random binary', () => asFile('noise.jpg', Buffer.from([0x13, 0x37, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x00, 0x00, 0x05, 0x06, 0x07, 0x08])), /looks like unknown content starting 13 37 00 01 DE AD BE EF/],
    ['0 bytes', () => asFile('empty.jpg', ''), /empty \(0 bytes\)/],
    ['a 2-byte JPEG SOI only', () => asFile('soi.jpg', Buffer.from([0xff, 0xd8])), /too short .* \(2 bytes\)/],
    ['a truncated 3-byte JPEG prefix', () => asFile('prefix.jpg', photo.subarray(0, 3)), /JPEG image is truncated \(only 3 bytes\)/],
    ['a PNG signature alone', () => asFile('sig.png', readFileSync(pngPath).subarray(0, 8)), /PNG image is truncated/],
    ['RIFF WEBP without an image chunk', () => asFile('odd.webp', Buffer.concat([Buffer.from('RIFF'), Buffer.from([20, 0, 0, 0]), Buffer.from('WEBPJUNK'), Buffer.alloc(12)])), /WebP file without an image chunk/],
  ];
  if (hasFfmpeg) {
    refusals.push(
      ['BMP (ffmpeg)', () => ffmpeg(['-i', photoPath, '-vf', 'scale=120:-2', '-frames:v', '1'], 'photo.bmp'), /looks like a BMP image/],
      ['BMP renamed .jpg (ffmpeg)', () => asFile('bmp.jpg', ffmpeg(['-i', photoPath, '-vf', 'scale=64:-2', '-frames:v', '1'], 'small.bmp')), /looks like a BMP image/],
      ['TIFF (ffmpeg)', () => ffmpeg(['-i', photoPath, '-vf', 'scale=120:-2', '-frames:v', '1'], 'ffmpeg.tiff'), /looks like a TIFF image/],
      ['RIFF/WAVE audio (ffmpeg)', () => ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.1'], 'tone.wav'), /looks like a RIFF WAVE audio file/],
      ['MP4 video (testdata)', () => readFileSync(testdata('faces/video/live_blink_talk.mp4')), /looks like an MP4/],
    );
  }

  it.each(refusals)('%s', async (_label, make, message) => {
    const bytes = await make();
    const sync = failureOf(() => assertStillImage(bytes));
    expect(sync.code).toBe('CORRUPT_INPUT');
    expect(sync.message).toMatch(message);
    if (bytes.length > 3 && !/truncated|empty|too short/.test(sync.message)) expect(sync.message).toMatch(/^the file is not a JPEG, PNG or WebP image \(it looks like /);
    const decoded = await decodeFailure(bytes);
    expect(decoded.code).toBe('CORRUPT_INPUT');
    expect(decoded.message).toBe(sync.message);
  });
});

describe('the right signature on the wrong content: decode gives CORRUPT_INPUT, never a crash', () => {
  it('PNG magic followed by garbage', async () => {
    const bytes = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('garbage '.repeat(64))]);
    expect(assertStillImage(bytes)).toBe('png');
    const error = await decodeFailure(bytes);
    expect(error.code).toBe('CORRUPT_INPUT');
    expect(error.message).toMatch(/PNG/);
  });

  it('a PNG header glued to a TIFF body', async () => {
    const tiff = await sharp(photo).resize(120).tiff().toBuffer();
    const png = await sharp(photo).resize(120).png().toBuffer();
    // signature + IHDR chunk (8 + 25 bytes) of a real PNG, then the whole TIFF
    const bytes = Buffer.concat([png.subarray(0, 33), tiff]);
    expect(assertStillImage(bytes)).toBe('png');
    const error = await decodeFailure(bytes);
    expect(error.code).toBe('CORRUPT_INPUT');
    expect(error.message).toMatch(/PNG/);
  });

  it('a JPEG signature in front of a PNG', async () => {
    const png = await sharp(photo).resize(120).png().toBuffer();
    const bytes = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), png]);
    expect(assertStillImage(bytes)).toBe('jpeg');
    expect((await decodeFailure(bytes)).code).toBe('CORRUPT_INPUT');
  });

  it('a WebP RIFF header around a JPEG body', async () => {
    const body = photo.subarray(0, 4096);
    const header = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 '), Buffer.alloc(4)]);
    header.writeUInt32LE(body.length + 12, 4);
    header.writeUInt32LE(body.length, 16);
    const bytes = Buffer.concat([header, body]);
    expect(assertStillImage(bytes)).toBe('webp');
    expect((await decodeFailure(bytes)).code).toBe('CORRUPT_INPUT');
  });

  it('a real JPEG cut to 200 bytes', async () => {
    const bytes = photo.subarray(0, 200);
    expect(assertStillImage(bytes)).toBe('jpeg');
    const error = await decodeFailure(bytes);
    expect(error.code).toBe('CORRUPT_INPUT');
    expect(error.message).toMatch(/JPEG/);
  });
});
