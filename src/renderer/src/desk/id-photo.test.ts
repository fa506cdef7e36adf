import { describe, expect, it } from 'vitest';
import { MAX_ID_PHOTO_BYTES } from '../../../shared/desk';
import { checkIdPhoto, readIdPhoto, sniffImage } from './id-photo';

const bytes = (...values: Array<number | string>) =>
  new Uint8Array(values.flatMap((v) => (typeof v === 'string' ? [...v].map((c) => c.charCodeAt(0)) : [v])));

const JPEG = bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'JFIF');
const PNG = bytes(0x89, 'PNG', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d);
const WEBP = bytes('RIFF', 0x24, 0, 0, 0, 'WEBP', 'VP8 ');

describe('sniffImage', () => {
  it('recognises JPEG, PNG and WebP by their first bytes', () => {
    expect(sniffImage(JPEG)).toBe('jpeg');
    expect(sniffImage(PNG)).toBe('png');
    expect(sniffImage(WEBP)).toBe('webp');
  });

  it.each([
    ['a GIF', bytes('GIF89a', 0, 0, 0, 0, 0, 0)],
    ['a PDF', bytes('%PDF-1.7', 0, 0, 0, 0)],
    ['a RIFF that is not WebP (WAV)', bytes('RIFF', 0x24, 0, 0, 0, 'WAVE', 'fmt ')],
    ['text', bytes('hello world!')],
    ['a truncated JPEG marker', bytes(0xff, 0xd8)],
    ['a PNG signature cut short', bytes(0x89, 'PNG')],
    ['nothing', new Uint8Array(0)],
  ])('refuses %s', (_what, head) => {
    expect(sniffImage(head)).toBeNull();
  });
});

describe('checkIdPhoto', () => {
  it('accepts a small image', () => {
    expect(checkIdPhoto(50_000, JPEG)).toEqual({ ok: true, kind: 'jpeg' });
  });

  it('refuses an empty file, one over 10 MB (whatever its bytes), and a non-image', () => {
    expect(checkIdPhoto(0, JPEG)).toEqual({ ok: false, problem: 'empty' });
    expect(checkIdPhoto(MAX_ID_PHOTO_BYTES + 1, JPEG)).toEqual({ ok: false, problem: 'too_large' });
    expect(checkIdPhoto(MAX_ID_PHOTO_BYTES, JPEG)).toEqual({ ok: true, kind: 'jpeg' });
    expect(checkIdPhoto(1_000, bytes('GIF89a', 0, 0, 0, 0, 0, 0))).toEqual({ ok: false, problem: 'not_image' });
  });
});

describe('readIdPhoto', () => {
  it('reads a dropped file: the content decides, not the name', async () => {
    const file = new Blob([PNG], { type: 'image/jpeg' });
    const read = await readIdPhoto(file);
    expect(read).toMatchObject({ ok: true, kind: 'png' });
    expect(read.ok && [...read.bytes]).toEqual([...PNG]);
  });

  it('refuses a renamed text file', async () => {
    expect(await readIdPhoto(new Blob(['not a photo at all'], { type: 'image/png' }))).toEqual({ ok: false, problem: 'not_image' });
  });

  it('refuses a huge file without reading it', async () => {
    let read = false;
    const huge = { size: MAX_ID_PHOTO_BYTES + 1, slice: () => ((read = true), new Blob()), arrayBuffer: () => ((read = true), Promise.resolve(new ArrayBuffer(0))) } as unknown as Blob;
    expect(await readIdPhoto(huge)).toEqual({ ok: false, problem: 'too_large' });
    expect(read).toBe(false);
  });
});
