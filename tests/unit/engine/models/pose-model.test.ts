import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../../src/main/engine/config';
import { decodeImage } from '../../../../src/main/engine/decode';
import type { RawImage } from '../../../../src/main/engine/image';
import { defaultModelsDir, modelsPresent } from '../../../../src/main/engine/manifest';
import { detectStill } from '../../../../src/main/engine/models/detector';
import { poseInput, poseModel, poseOutput } from '../../../../src/main/engine/models/pose-model';
import { createSessions, type ModelSessions } from '../../../../src/main/engine/models/sessions';

/** Logits peaked at one of the 66 bins. */
const peaked = (bin: number) => {
  const v = new Float32Array(66);
  v[bin] = 30;
  return v;
};

describe('pose model pre-processing', () => {
  it('uses RGB planes with ImageNet normalisation', () => {
    const img: RawImage = { width: 300, height: 300, channels: 3, data: new Uint8Array(300 * 300 * 3) };
    for (let i = 0; i < 300 * 300; i++) img.data.set([255, 128, 0], i * 3);
    const { tensor, dims } = poseInput(img, { x: 100, y: 100, width: 100, height: 100 });
    expect(dims).toEqual([1, 3, 224, 224]);
    const plane = 224 * 224;
    expect(tensor[0]).toBeCloseTo((1 - 0.485) / 0.229, 4);
    expect(tensor[plane]).toBeCloseTo((128 / 255 - 0.456) / 0.224, 4);
    expect(tensor[2 * plane]).toBeCloseTo((0 - 0.406) / 0.225, 4);
  });

  it('crops the square box grown ×1.5 about its centre, clipped to the image', () => {
    // R = x / 2: first/last output columns tell the crop's horizontal extent
    const img: RawImage = { width: 500, height: 400, channels: 3, data: new Uint8Array(500 * 400 * 3) };
    for (let y = 0; y < 400; y++) for (let x = 0; x < 500; x++) img.data[(y * 500 + x) * 3] = x >> 1;
    const red = (t: Float32Array, col: number) => (t[112 * 224 + col]! * 0.229 + 0.485) * 255 * 2;
    // box 80×120 centred at x 200 → square 120 → grown 180: x 110..290
    const inside = poseInput(img, { x: 160, y: 100, width: 80, height: 120 }).tensor;
    expect(red(inside, 0)).toBeGreaterThan(108);
    expect(red(inside, 0)).toBeLessThan(114);
    expect(red(inside, 223)).toBeGreaterThan(285);
    expect(red(inside, 223)).toBeLessThan(292);
    // near the left edge the grown square is clipped at x = 0
    expect(red(poseInput(img, { x: 10, y: 100, width: 80, height: 120 }).tensor, 0)).toBeLessThan(2);
  });
});

describe('pose model post-processing', () => {
  it('is the softmax expectation over 66 bins × 3 − 99 for yaw (output), pitch (617), roll (618)', () => {
    const pose = poseOutput({ output: peaked(53), '617': peaked(33), '618': peaked(20) });
    expect(pose.yaw).toBeCloseTo(53 * 3 - 99, 6); // 60°
    expect(pose.pitch).toBeCloseTo(0, 6);
    expect(pose.roll).toBeCloseTo(-39, 6);
    // flat logits: the mean bin 32.5 → −1.5°
    const flat = new Float32Array(66);
    expect(poseOutput({ output: flat, '617': flat, '618': flat }).yaw).toBeCloseTo(-1.5, 6);
  });

  it('averages between two equally likely bins', () => {
    const two = new Float32Array(66);
    two[40] = 20;
    two[42] = 20;
    expect(poseOutput({ output: two, '617': two, '618': two }).yaw).toBeCloseTo(41 * 3 - 99, 5);
  });
});

const testdata = resolve(import.meta.dirname, '../../../../../shared/testdata');
const modelsDir = defaultModelsDir();

describe.skipIf(!modelsPresent(modelsDir))('fr_pose on real turned heads', () => {
  let sessions: ModelSessions;
  beforeAll(async () => {
    sessions = await createSessions({ modelsDir, models: ['fr_detect', 'fr_pose'] });
  });
  afterAll(async () => {
    await sessions?.release();
  });
  const yaw = async (p: string) => {
    const img = await decodeImage(readFileSync(join(testdata, p)), DEFAULT_CONFIG);
    const { detections } = await detectStill(sessions.run, img, DEFAULT_CONFIG);
    const face = detections.reduce((a, b) => (b.box.width * b.box.height * b.score > a.box.width * a.box.height * a.score ? b : a));
    return (await poseModel(sessions.run, img, face.box)).yaw;
  };

  it('gives a large positive yaw for the profile with the nose towards the image left, negative for the opposite turn', async () => {
    expect(await yaw('faces/pose/ham_t1.90s.jpg')).toBeGreaterThan(45);
    expect(await yaw('faces/pose/lp-d3_f0273.jpg')).toBeLessThan(-15);
    expect(Math.abs(await yaw('faces/identities/alex_lacamoire/02.jpg'))).toBeLessThan(15);
  });
});
