import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../../src/main/engine/config';
import { decodeImage } from '../../../../src/main/engine/decode';
import type { RawImage } from '../../../../src/main/engine/image';
import { defaultModelsDir, modelsPresent } from '../../../../src/main/engine/manifest';
import { detect } from '../../../../src/main/engine/models/detector';
import { landmarkInput, landmarkOutput, landmarks } from '../../../../src/main/engine/models/landmarks';
import { createSessions, type ModelSessions } from '../../../../src/main/engine/models/sessions';

/** R = G = B = x: a horizontal grey ramp, so a sampled value tells the source column. */
const ramp = (width: number, height: number): RawImage => {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.fill(x & 255, (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { width, height, channels: 3, data };
};

describe('landmarks pre-processing', () => {
  it('crops the square of side = box height about the box centre, 64×64 grey, v/256', () => {
    const { tensor, dims, square } = landmarkInput(ramp(200, 200), { x: 30, y: 40, width: 40, height: 64 });
    expect(dims).toEqual([1, 1, 64, 64]);
    expect(square).toEqual({ x: 30 + 20 - 32, y: 40, width: 64, height: 64 });
    // scale 1: column c samples source x = 18 + c; luma of a grey pixel is the grey value
    expect(tensor[5 * 64 + 0]! * 256).toBeCloseTo(18, 3);
    expect(tensor[5 * 64 + 63]! * 256).toBeCloseTo(81, 3);
  });

  it('uses BT.601 luma of colour pixels', () => {
    const img: RawImage = { width: 8, height: 8, channels: 3, data: new Uint8Array(8 * 8 * 3) };
    for (let i = 0; i < 64; i++) img.data.set([100, 150, 200], i * 3);
    const { tensor } = landmarkInput(img, { x: 0, y: 0, width: 8, height: 8 });
    expect(tensor[0]! * 256).toBeCloseTo(0.299 * 100 + 0.587 * 150 + 0.114 * 200, 3);
  });
});

describe('landmarks post-processing', () => {
  it('maps the 68 normalised (x, y) pairs into the square in image pixels', () => {
    const out = new Float32Array(136);
    for (let i = 0; i < 68; i++) {
      out[2 * i] = i / 68;
      out[2 * i + 1] = 0.5;
    }
    const pts = landmarkOutput({ output: out }, { x: 10, y: 20, width: 68, height: 100 });
    expect(pts).toHaveLength(68);
    expect(pts[0]).toEqual([10, 70]);
    expect(pts[34]![0]).toBeCloseTo(10 + 34);
    expect(pts[67]![1]).toBeCloseTo(70);
  });
});

const testdata = resolve(import.meta.dirname, '../../../../../shared/testdata');
const modelsDir = defaultModelsDir();

describe.skipIf(!modelsPresent(modelsDir))('fr_landmark on a real photo', () => {
  let sessions: ModelSessions;
  beforeAll(async () => {
    sessions = await createSessions({ modelsDir, models: ['fr_detect', 'fr_landmark'] });
  });
  afterAll(async () => {
    await sessions?.release();
  });

  it('puts the eyes above the nose above the mouth, image-left eye on the left, all near the face box', async () => {
    const img = await decodeImage(readFileSync(join(testdata, 'faces/identities/barack_obama/01.jpg')), DEFAULT_CONFIG);
    const [det] = await detect(sessions.run, img, DEFAULT_CONFIG);
    const lm = await landmarks(sessions.run, img, det!.box);
    expect(lm).toHaveLength(68);
    const { x, y, width, height } = det!.box;
    for (const [px, py] of lm) {
      expect(px).toBeGreaterThan(x - 0.25 * width);
      expect(px).toBeLessThan(x + 1.25 * width);
      expect(py).toBeGreaterThan(y - 0.25 * height);
      expect(py).toBeLessThan(y + 1.25 * height);
    }
    const leftEye = lm[36]!, rightEye = lm[45]!, nose = lm[30]!, mouth = lm[51]!, chin = lm[8]!;
    expect(leftEye[0]).toBeLessThan(nose[0]);
    expect(rightEye[0]).toBeGreaterThan(nose[0]);
    expect(Math.max(leftEye[1], rightEye[1])).toBeLessThan(nose[1]);
    expect(nose[1]).toBeLessThan(mouth[1]);
    expect(mouth[1]).toBeLessThan(chin[1]);
  });
});
