import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../../src/main/engine/config';
import { decodeImage } from '../../../../src/main/engine/decode';
import { contextCrop, squareBox } from '../../../../src/main/engine/geometry';
import type { RawImage } from '../../../../src/main/engine/image';
import { defaultModelsDir, modelsPresent } from '../../../../src/main/engine/manifest';
import { detectStill } from '../../../../src/main/engine/models/detector';
import { liveness, livenessInput, livenessOutput } from '../../../../src/main/engine/models/liveness';
import { createSessions, type ModelSessions } from '../../../../src/main/engine/models/sessions';

const uniform = (width: number, height: number, rgb: [number, number, number]): RawImage => {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { width, height, channels: 3, data };
};

describe('liveness pre-processing', () => {
  it('writes BGR planes of raw 0..255 values (OpenCV order, no normalisation)', () => {
    const { tensor, dims } = livenessInput(uniform(400, 400, [200, 100, 50]), { x: 150, y: 150, width: 100, height: 100 }, 2.7);
    expect(dims).toEqual([1, 3, 128, 128]);
    const plane = 128 * 128;
    expect(tensor[0]).toBeCloseTo(50); // B
    expect(tensor[plane]).toBeCloseTo(100); // G
    expect(tensor[2 * plane]).toBeCloseTo(200); // R
  });

  it('crops the square box ×scale about its centre, reporting how much of it fell outside the image', () => {
    // R = x: the first and last output columns tell where the crop starts and ends
    const img: RawImage = { width: 1000, height: 600, channels: 3, data: new Uint8Array(1000 * 600 * 3) };
    for (let y = 0; y < 600; y++) for (let x = 0; x < 1000; x++) img.data[(y * 1000 + x) * 3] = Math.floor(x / 4);
    const box = { x: 450, y: 250, width: 80, height: 100 };
    const centred = livenessInput(img, box, 2.7);
    expect(centred.contextOutsideFraction).toBe(0);
    const expected = contextCrop(squareBox(box), 2.7, img.width, img.height).rect; // 270 px square about (490, 300)
    expect(expected.width).toBeCloseTo(270);
    const plane = 128 * 128;
    const red = (col: number) => centred.tensor[2 * plane + 64 * 128 + col]! * 4;
    expect(red(0)).toBeGreaterThan(expected.x - 6);
    expect(red(0)).toBeLessThan(expected.x + 6);
    expect(red(127)).toBeGreaterThan(expected.x + expected.width - 8);
    expect(red(127)).toBeLessThan(expected.x + expected.width + 4);
    expect(livenessInput(img, { x: 0, y: 250, width: 100, height: 100 }, 2.7).contextOutsideFraction).toBeGreaterThan(0.3);
  });
});

describe('liveness post-processing', () => {
  it('is the softmax probability of class 0 (live)', () => {
    expect(livenessOutput({ output: new Float32Array([2, 0, 0]) })).toBeCloseTo(Math.exp(2) / (Math.exp(2) + 2));
    expect(livenessOutput({ output: new Float32Array([0, 5, 0]) })).toBeLessThan(0.01);
  });
});

const testdata = resolve(import.meta.dirname, '../../../../../shared/testdata');
const modelsDir = defaultModelsDir();

describe.skipIf(!modelsPresent(modelsDir))('fr_liveness on real captures and attacks', () => {
  let sessions: ModelSessions;
  beforeAll(async () => {
    sessions = await createSessions({ modelsDir, models: ['fr_detect', 'fr_liveness'] });
  });
  afterAll(async () => {
    await sessions?.release();
  });
  const live = async (p: string) => {
    const img = await decodeImage(readFileSync(join(testdata, p)), DEFAULT_CONFIG);
    const { detections } = await detectStill(sessions.run, img, DEFAULT_CONFIG);
    const face = detections.reduce((a, b) => (b.box.width * b.box.height * b.score > a.box.width * a.box.height * a.score ? b : a));
    return (await liveness(sessions.run, img, face.box, DEFAULT_CONFIG.livenessScale)).live;
  };

  it('scores a real capture live and a printed photo as an attack', async () => {
    const real = await live('spoof/real/sfas_image_T1_2020-06-17.jpg');
    const print = await live('spoof/fake/sfas_image_F1_2020-06-16.jpg');
    expect(real).toBeGreaterThan(0.9);
    expect(print).toBeLessThan(0.1);
  });
});
