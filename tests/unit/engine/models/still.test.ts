/** The still-image orchestrator (src/main/engine/still.ts) with a fake RunModel: which face is embedded, what is timed. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../../src/main/engine/config';
import type { RawImage } from '../../../../src/main/engine/image';
import type { ModelOutputs, RunModel } from '../../../../src/main/engine/models/run-model';
import { analyzeFace, analyzeStill } from '../../../../src/main/engine/still';

/** Normalised landmarks of a frontal face in the landmark square (only the points the pipeline reads). */
const LANDMARKS = (() => {
  const out = new Float32Array(136).fill(0.5);
  const set = (i: number, x: number, y: number) => {
    out[2 * i] = x;
    out[2 * i + 1] = y;
  };
  [[36, 0.25], [39, 0.4], [42, 0.6], [45, 0.75]].forEach(([i, x]) => set(i!, x!, 0.4));
  [37, 38, 40, 41].forEach((i, k) => set(i, 0.29 + 0.07 * (k % 2), k < 2 ? 0.38 : 0.42));
  [43, 44, 46, 47].forEach((i, k) => set(i, 0.64 + 0.07 * (k % 2), k < 2 ? 0.38 : 0.42));
  set(30, 0.5, 0.6);
  set(48, 0.35, 0.78);
  set(54, 0.65, 0.78);
  return out;
})();

const peaked = (bin: number) => {
  const v = new Float32Array(66);
  v[bin] = 30;
  return v;
};

/** fr_detect finds a small face (left) and a large one (right); the other models give fixed answers. */
const fakeRun = (faces: Array<[number, number, number, number, number]>): { run: RunModel; calls: string[] } => {
  const calls: string[] = [];
  const run: RunModel = async (name): Promise<ModelOutputs> => {
    calls.push(name);
    switch (name) {
      case 'fr_detect':
        return { scores: new Float32Array(faces.flatMap((f) => [1 - f[4], f[4]])), boxes: new Float32Array(faces.flatMap((f) => f.slice(0, 4))) };
      case 'fr_landmark':
        return { output: LANDMARKS };
      case 'fr_liveness':
        return { output: new Float32Array([3, 0, 0]) };
      case 'fr_eye':
        return { output: new Float32Array([0, 3]) };
      case 'fr_pose':
        return { output: peaked(33), '617': peaked(33), '618': peaked(33) };
      default:
        throw new Error(`unexpected model ${name}`);
    }
  };
  return { run, calls };
};

const textured = (width: number, height: number): RawImage => {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = 60 + ((i * 2654435761) >>> 24) / 2;
  return { width, height, channels: 3, data };
};

describe('still: analyzeFace', () => {
  it('runs landmarks, liveness, eyes (×2) and pose, never the embedder, and times each stage', async () => {
    const { run, calls } = fakeRun([]);
    const timings: Record<string, number> = {};
    const face = await analyzeFace(run, textured(640, 480), { box: { x: 200, y: 100, width: 160, height: 200 }, score: 0.99 }, DEFAULT_CONFIG, timings);
    expect(calls).toEqual(['fr_landmark', 'fr_liveness', 'fr_eye', 'fr_eye', 'fr_pose']);
    expect(Object.keys(timings).sort()).toEqual(['eyes', 'landmarks', 'liveness', 'pose', 'quality']);
    expect(face.landmarks).toHaveLength(68);
    expect(face.points5).toHaveLength(5);
    expect(face.liveness).toBeCloseTo(Math.exp(3) / (Math.exp(3) + 2));
    expect(face.eyes!.open).toBe(true);
    expect(face.pose).toEqual({ yaw: expect.closeTo(0, 6), pitch: expect.closeTo(0, 6), roll: expect.closeTo(0, 6) });
    expect(face.quality).toBeDefined();
  });
});

describe('still: analyzeStill', () => {
  it('analyses every face and embeds only the largest (best) one, once', async () => {
    // normalised corners in the 320×240 detector input; a 640×480 image has scale 0.5
    const { run } = fakeRun([
      [0.05, 0.1, 0.2, 0.4, 0.95],
      [0.5, 0.1, 0.85, 0.7, 0.9],
    ]);
    const embedded: Float32Array[] = [];
    const r = await analyzeStill(run, textured(640, 480), DEFAULT_CONFIG, async (aligned) => {
      embedded.push(aligned);
      return new Float32Array([0.6, 0.8]);
    });
    expect(r.detection).toBe('full');
    expect(r.faces).toHaveLength(2);
    expect(r.faces[r.best]!.box.x).toBeCloseTo(0.5 * 640);
    expect(embedded).toHaveLength(1);
    expect(embedded[0]).toHaveLength(112 * 112 * 3);
    expect(r.embedding).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]);
    expect(Array.from(r.embeddingF32!)).toEqual(Array.from(new Float32Array([0.6, 0.8])));
    expect(Object.keys(r.timingsMs).sort()).toEqual(['detect', 'embedding', 'total']);
    expect(r.width).toBe(640);
  });

  it('returns no embedding (and never calls the embedder) when no face is found', async () => {
    const { run, calls } = fakeRun([]);
    let embeds = 0;
    const r = await analyzeStill(run, textured(320, 240), DEFAULT_CONFIG, async () => {
      embeds++;
      return new Float32Array(512);
    });
    expect(r).toMatchObject({ faces: [], best: -1, embedding: null, embeddingF32: null, detection: 'none' });
    expect(embeds).toBe(0);
    expect(calls.every((c) => c === 'fr_detect')).toBe(true);
  });
});
