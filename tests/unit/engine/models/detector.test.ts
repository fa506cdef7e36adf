import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../../src/main/engine/config';
import { decodeImage } from '../../../../src/main/engine/decode';
import type { RawImage } from '../../../../src/main/engine/image';
import { defaultModelsDir, modelsPresent } from '../../../../src/main/engine/manifest';
import { DET_H, DET_W, detect, detectStill, detectorInput, detectorOutput } from '../../../../src/main/engine/models/detector';
import type { ModelOutputs, RunModel } from '../../../../src/main/engine/models/run-model';
import { createSessions, type ModelSessions } from '../../../../src/main/engine/models/sessions';

const uniform = (width: number, height: number, rgb: [number, number, number]): RawImage => {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { width, height, channels: 3, data };
};

/** Detector outputs for candidates given in normalised corners [x1, y1, x2, y2] with a face score. */
const outputs = (candidates: Array<{ corners: [number, number, number, number]; score: number }>): ModelOutputs => ({
  scores: new Float32Array(candidates.flatMap((c) => [1 - c.score, c.score])),
  boxes: new Float32Array(candidates.flatMap((c) => c.corners)),
});

const config = { detectThreshold: 0.7, nmsIou: 0.4, maxFaces: 16 };

describe('detector pre-processing', () => {
  it('letterboxes a wide image top-left into 320×240, RGB planes, (v−127)/128, grey padding = 0', () => {
    const input = detectorInput(uniform(640, 240, [255, 127, 0]));
    expect(input.dims).toEqual([1, 3, DET_H, DET_W]);
    expect(input.scale).toBe(0.5);
    expect(input.region).toEqual({ x: 0, y: 0, width: 640, height: 240 });
    const plane = DET_W * DET_H;
    const at = (c: number, x: number, y: number) => input.tensor[c * plane + y * DET_W + x]!;
    // image rows 0..119 of the input (640×240 → 320×120)
    expect(at(0, 10, 10)).toBeCloseTo(128 / 128);
    expect(at(1, 10, 10)).toBeCloseTo(0);
    expect(at(2, 10, 10)).toBeCloseTo(-127 / 128);
    // letterbox rows below
    for (const c of [0, 1, 2]) expect(at(c, 10, 200)).toBeCloseTo(0);
  });

  it('samples the requested region at the scale that fits it (pixel-exact at scale 1)', () => {
    const img: RawImage = { width: 600, height: 600, channels: 3, data: new Uint8Array(600 * 600 * 3) };
    for (let y = 0; y < 600; y++) for (let x = 0; x < 600; x++) img.data.set([x & 255, y & 255, 0], (y * 600 + x) * 3);
    const input = detectorInput(img, { x: 100, y: 20, width: 160, height: 240 });
    expect(input.scale).toBe(1);
    expect(input.region).toEqual({ x: 100, y: 20, width: 160, height: 240 });
    const plane = DET_W * DET_H;
    // R = source x, G = source y: output (5, 7) comes from source (105, 27)
    expect(input.tensor[7 * DET_W + 5]! * 128 + 127).toBeCloseTo(105, 3);
    expect(input.tensor[plane + 7 * DET_W + 5]! * 128 + 127).toBeCloseTo(27, 3);
    expect(detectorInput(img, { x: 0, y: 0, width: 640, height: 960 }).scale).toBe(0.25);
  });
});

describe('detector post-processing', () => {
  it('maps boxes back to image pixels through the letterbox scale and region offset', () => {
    const dets = detectorOutput(outputs([{ corners: [0.25, 0.25, 0.5, 0.5], score: 0.9 }]), { scale: 0.5, region: { x: 100, y: 40, width: 640, height: 480 } }, config);
    expect(dets).toHaveLength(1);
    // 0.25·320 = 80 detector px → 160 image px, + region offset
    expect(dets[0]!.box.x).toBeCloseTo(100 + 160);
    expect(dets[0]!.box.y).toBeCloseTo(40 + 120);
    expect(dets[0]!.box.width).toBeCloseTo(160);
    expect(dets[0]!.box.height).toBeCloseTo(120);
    expect(dets[0]!.score).toBeCloseTo(0.9);
  });

  it('drops low scores and boxes centred in the letterbox padding, then suppresses overlaps highest first', () => {
    const region = { x: 0, y: 0, width: 640, height: 240 }; // scale 0.5 → image covers detector rows 0..119
    const dets = detectorOutput(
      outputs([
        { corners: [0.1, 0.1, 0.3, 0.4], score: 0.8 },
        { corners: [0.11, 0.1, 0.31, 0.4], score: 0.95 }, // same face, better score
        { corners: [0.6, 0.1, 0.8, 0.4], score: 0.75 },
        { corners: [0.6, 0.6, 0.8, 0.9], score: 0.99 }, // centre at row 180 of 240: padding
        { corners: [0.4, 0.1, 0.5, 0.3], score: 0.5 }, // below threshold
      ]),
      { scale: 0.5, region },
      config,
    );
    expect(dets.map((d) => d.score)).toEqual([expect.closeTo(0.95, 5), expect.closeTo(0.75, 5)]);
    expect(detectorOutput(outputs([{ corners: [0.1, 0.1, 0.3, 0.4], score: 0.8 }, { corners: [0.6, 0.1, 0.8, 0.4], score: 0.75 }]), { scale: 0.5, region }, { ...config, maxFaces: 1 })).toHaveLength(1);
  });
});

describe('detect / detectStill with a fake model', () => {
  it('detect runs fr_detect on the letterboxed tensor', async () => {
    const calls: Array<{ name: string; dims: readonly number[]; length: number }> = [];
    const run: RunModel = async (name, input, dims) => {
      calls.push({ name, dims, length: input.length });
      return outputs([{ corners: [0.25, 0.25, 0.5, 0.5], score: 0.9 }]);
    };
    const dets = await detect(run, uniform(320, 240, [0, 0, 0]), config);
    expect(calls).toEqual([{ name: 'fr_detect', dims: [1, 3, 240, 320], length: 3 * 240 * 320 }]);
    expect(dets[0]!.box).toEqual({ x: 80, y: 60, width: 80, height: 60 });
  });

  it('falls back to 2×2-grid tiles (3×3 overlapping) and maps a tile detection into the image', async () => {
    let call = 0;
    const run: RunModel = async () => {
      call++;
      // full image (call 1) finds nothing; the 5th tile (centre of the 3×3 overlapping tiles) finds a face
      return call === 6 ? outputs([{ corners: [0, 0, 0.25, 0.25], score: 0.9 }]) : outputs([]);
    };
    const img = uniform(1280, 960, [0, 0, 0]);
    const r = await detectStill(run, img, { ...DEFAULT_CONFIG });
    expect(call).toBe(1 + 9);
    expect(r.mode).toBe('tiled');
    // centre tile: x 320..960, y 240..720 (640×480 → scale 0.5)
    expect(r.detections[0]!.box).toEqual({ x: 320, y: 240, width: 160, height: 120 });
  });

  it('reports none after the 2×2 and 3×3 grids (1 + 9 + 25 runs) find nothing', async () => {
    let call = 0;
    const run: RunModel = async () => {
      call++;
      return outputs([]);
    };
    expect(await detectStill(run, uniform(640, 480, [0, 0, 0]), DEFAULT_CONFIG)).toEqual({ detections: [], mode: 'none' });
    expect(call).toBe(35);
  });
});

const testdata = resolve(import.meta.dirname, '../../../../../shared/testdata');
const modelsDir = defaultModelsDir();

describe.skipIf(!modelsPresent(modelsDir))('fr_detect on real photos', () => {
  let sessions: ModelSessions;
  beforeAll(async () => {
    sessions = await createSessions({ modelsDir, models: ['fr_detect'] });
  });
  afterAll(async () => {
    await sessions?.release();
  });
  const load = async (p: string) => decodeImage(readFileSync(join(testdata, p)), DEFAULT_CONFIG);

  it('finds the one face of a portrait, inside the image, confidently', async () => {
    const img = await load('faces/identities/barack_obama/01.jpg');
    const dets = await detect(sessions.run, img, DEFAULT_CONFIG);
    expect(dets).toHaveLength(1);
    const { box, score } = dets[0]!;
    expect(score).toBeGreaterThan(0.9);
    expect(box.height).toBeGreaterThan(img.height / 5);
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(img.width);
  });

  it('finds the small portrait on an ID document (left third of the data page)', async () => {
    const img = await load('documents/100_pass-chn.jpg');
    const r = await detectStill(sessions.run, img, DEFAULT_CONFIG);
    expect(r.mode).not.toBe('none');
    const largest = r.detections.reduce((a, b) => (b.box.width * b.box.height > a.box.width * a.box.height ? b : a));
    expect(largest.box.x + largest.box.width / 2).toBeLessThan(img.width / 3);
  });
});
