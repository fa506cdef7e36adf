import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { laplacianVariance, patchToChw, patchToGrey, rectToAffine, samplePatch, type RawImage } from './image';
import { i420ToRgba, parseY4mHeader, readY4m } from './video';
import { countBlinks } from './timeline';

const gradient = (w: number, h: number, channels: 3 | 4): RawImage => {
  const data = new Uint8Array(w * h * channels);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x, y, 7, 255].slice(0, channels), (y * w + x) * channels);
  return { width: w, height: h, channels, data };
};

describe('samplePatch', () => {
  it('is the identity for a same-size crop', () => {
    const img = gradient(8, 6, 4);
    const p = samplePatch(img, rectToAffine({ x: 0, y: 0, width: 8, height: 6 }, 8, 6), 8, 6);
    expect(p[(2 * 8 + 5) * 3]).toBeCloseTo(5);
    expect(p[(2 * 8 + 5) * 3 + 1]).toBeCloseTo(2);
    expect(p[(2 * 8 + 5) * 3 + 2]).toBeCloseTo(7);
  });

  it('downscales 2× by sampling between source pixels', () => {
    const img = gradient(8, 8, 3);
    const p = samplePatch(img, rectToAffine({ x: 0, y: 0, width: 8, height: 8 }, 4, 4), 4, 4);
    expect(p[0]).toBeCloseTo(0.5);
    expect(p[3]).toBeCloseTo(2.5);
  });

  it('fills outside the image when asked (letterbox) and replicates edges otherwise', () => {
    const img = gradient(4, 4, 3);
    const filled = samplePatch(img, rectToAffine({ x: 0, y: 0, width: 8, height: 4 }, 8, 4), 8, 4, 127);
    expect(filled[7 * 3]).toBe(127);
    const clamped = samplePatch(img, rectToAffine({ x: 0, y: 0, width: 8, height: 4 }, 8, 4), 8, 4);
    expect(clamped[7 * 3]).toBe(3);
  });

  it('handles rotations (general affine path)', () => {
    const img = gradient(10, 10, 3);
    // 90° rotation: output (u, v) samples source (v, u)
    const p = samplePatch(img, [0, 1, 0, 1, 0, 0], 10, 10);
    expect(p[(2 * 10 + 7) * 3]).toBeCloseTo(2);
    expect(p[(2 * 10 + 7) * 3 + 1]).toBeCloseTo(7);
  });
});

describe('tensor conversion', () => {
  it('normalises into planar channels, optionally in BGR order', () => {
    const patch = new Float32Array([255, 127, 0, 255, 127, 0]);
    const rgb = patchToChw(patch, 2, 1, [127, 127, 127], [128, 128, 128]);
    expect(Array.from(rgb)).toEqual([1, 1, 0, 0, -127 / 128, -127 / 128]);
    const bgr = patchToChw(patch, 2, 1, [0, 0, 0], [1, 1, 1], 1, true);
    expect(Array.from(bgr)).toEqual([0, 0, 127, 127, 255, 255]);
    expect(patchToGrey(new Float32Array([255, 255, 255]), 1, 1)[0]).toBeCloseTo(255);
  });

  it('measures sharpness: a flat image has no Laplacian variance, a checkerboard a lot', () => {
    expect(laplacianVariance(new Float32Array(100).fill(9), 10, 10)).toBe(0);
    const checker = new Float32Array(100).map((_, i) => ((i % 10) + Math.floor(i / 10)) % 2 ? 255 : 0);
    expect(laplacianVariance(checker, 10, 10)).toBeGreaterThan(1000);
  });
});

describe('y4m', () => {
  it('parses headers and rejects other streams', () => {
    expect(parseY4mHeader('YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg XYSCSS=420JPEG')).toMatchObject({ width: 640, height: 480, fps: 30 });
    expect(() => parseY4mHeader('RIFF....')).toThrow(/YUV4MPEG2/);
    expect(() => parseY4mHeader('YUV4MPEG2 W640 H480 C444')).toThrow(/4:2:0/);
  });

  it('converts I420 grey and colour', () => {
    const grey = i420ToRgba(new Uint8Array(4).fill(126), new Uint8Array(1).fill(128), new Uint8Array(1).fill(128), 2, 2);
    expect(Array.from(grey.subarray(0, 4))).toEqual([128, 128, 128, 255]);
    const red = i420ToRgba(new Uint8Array(4).fill(81), new Uint8Array(1).fill(90), new Uint8Array(1).fill(240), 2, 2);
    expect(red[0]).toBeGreaterThan(240);
    expect(red[2]).toBeLessThan(15);
  });

  it('streams frames split across chunks', async () => {
    const frame = Buffer.concat([Buffer.from('FRAME\n'), Buffer.alloc(4, 126), Buffer.alloc(2, 128)]);
    const all = Buffer.concat([Buffer.from('YUV4MPEG2 W2 H2 F10:1 C420\n'), frame, frame, frame]);
    const chunks = [all.subarray(0, 5), all.subarray(5, 40), all.subarray(40)];
    const frames = [];
    for await (const f of readY4m(Readable.from(chunks))) frames.push(f);
    expect(frames.map((f) => f.time)).toEqual([0, 0.1, 0.2]);
  });

  it('counts blinks as open → closed → open', () => {
    expect(countBlinks([true, true, false, false, true, true, false, true])).toEqual([4, 7]);
    expect(countBlinks([false, false, true, null, true])).toEqual([]);
  });
});
