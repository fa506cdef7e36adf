import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Point } from '../../../../src/shared/engine';
import { DEFAULT_CONFIG } from '../../../../src/main/engine/config';
import { decodeImage } from '../../../../src/main/engine/decode';
import type { RawImage } from '../../../../src/main/engine/image';
import { defaultModelsDir, modelsPresent } from '../../../../src/main/engine/manifest';
import { detectStill } from '../../../../src/main/engine/models/detector';
import { eyeInput, eyeOutput, eyes } from '../../../../src/main/engine/models/eyes';
import { landmarks } from '../../../../src/main/engine/models/landmarks';
import type { RunModel } from '../../../../src/main/engine/models/run-model';
import { createSessions, type ModelSessions } from '../../../../src/main/engine/models/sessions';

/** 68 points with the two eyes as horizontal 6-point rings (corners 20 px apart) at the given centres. */
const eyeLandmarks = (left: Point, right: Point): Point[] => {
  const lm: Point[] = Array.from({ length: 68 }, () => [0, 0] as Point);
  const ring = (c: Point, base: number) => {
    const [x, y] = c;
    const pts: Point[] = [[x - 10, y], [x - 4, y - 3], [x + 4, y - 3], [x + 10, y], [x + 4, y + 3], [x - 4, y + 3]];
    pts.forEach((p, i) => (lm[base + i] = p));
  };
  ring(left, 36);
  ring(right, 42);
  return lm;
};

/** R = G = B = x / 2: the mean of a sampled patch tells its centre column. */
const ramp = (width: number, height: number): RawImage => {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.fill(x >> 1, (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { width, height, channels: 3, data };
};

describe('eyes pre-processing', () => {
  it('crops a square about each eye (side = corner distance × padding), 24×24 grey, v/255', () => {
    const lm = eyeLandmarks([100, 100], [200, 100]);
    const img = ramp(400, 200);
    for (const [which, cx] of [['left', 100], ['right', 200]] as const) {
      const { tensor, dims } = eyeInput(img, lm, which, 1.6);
      expect(dims).toEqual([1, 1, 24, 24]);
      const mean = tensor.reduce((a, b) => a + b, 0) / tensor.length;
      expect(mean * 255 * 2).toBeCloseTo(cx, -0.5);
      // side 20 × 1.6 = 32 px of source across 24 columns: first and last columns ≈ cx ∓ 16
      expect(tensor[0]! * 255 * 2).toBeGreaterThan(cx - 18);
      expect(tensor[0]! * 255 * 2).toBeLessThan(cx - 13);
      expect(tensor[23]! * 255 * 2).toBeGreaterThan(cx + 12);
    }
  });
});

describe('eyes post-processing', () => {
  it('reads softmax index 1 as open', () => {
    expect(eyeOutput({ output: new Float32Array([0, 3]) })).toBeCloseTo(Math.exp(3) / (1 + Math.exp(3)));
    expect(eyeOutput({ output: new Float32Array([3, 0]) })).toBeLessThan(0.1);
  });

  it('runs left then right, and calls the face open when the mean reaches the cut', async () => {
    const logits = [new Float32Array([0, 4]), new Float32Array([0, -2])];
    const run: RunModel = async (name) => {
      expect(name).toBe('fr_eye');
      return { output: logits.shift()! };
    };
    const e = await eyes(run, ramp(400, 200), eyeLandmarks([100, 100], [200, 100]), { eyePadding: 1.6, eyeOpenProbability: 0.5 });
    expect(e.leftOpen).toBeGreaterThan(0.95);
    expect(e.rightOpen).toBeCloseTo(1 / (1 + Math.exp(2)));
    expect(e.open).toBe(true);
  });
});

const testdata = resolve(import.meta.dirname, '../../../../../shared/testdata');
const modelsDir = defaultModelsDir();

describe.skipIf(!modelsPresent(modelsDir))('fr_eye on real frames', () => {
  let sessions: ModelSessions;
  beforeAll(async () => {
    sessions = await createSessions({ modelsDir, models: ['fr_detect', 'fr_landmark', 'fr_eye'] });
  });
  afterAll(async () => {
    await sessions?.release();
  });
  const eyeState = async (p: string) => {
    const img = await decodeImage(readFileSync(join(testdata, p)), DEFAULT_CONFIG);
    const [det] = (await detectStill(sessions.run, img, DEFAULT_CONFIG)).detections;
    return eyes(sessions.run, img, await landmarks(sessions.run, img, det!.box), DEFAULT_CONFIG);
  };

  it('tells an open-eyed frame from a closed-eyed frame of the same person', async () => {
    const open = await eyeState('faces/open-eyes/lp-d13_f0019.jpg');
    const closed = await eyeState('faces/closed-eyes/lp-d13_f0044.jpg');
    expect(open.open).toBe(true);
    expect(closed.open).toBe(false);
    expect(Math.min(open.leftOpen, open.rightOpen)).toBeGreaterThan(Math.max(closed.leftOpen, closed.rightOpen));
  });
});
