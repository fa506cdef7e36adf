import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Point } from '../../../../src/shared/engine';
import { DEFAULT_CONFIG } from '../../../../src/main/engine/config';
import { cosine } from '../../../../src/main/engine/cosine';
import { decodeImage } from '../../../../src/main/engine/decode';
import { ARCFACE_TEMPLATE, fivePoints } from '../../../../src/main/engine/geometry';
import type { RawImage } from '../../../../src/main/engine/image';
import { defaultModelsDir, modelsPresent } from '../../../../src/main/engine/manifest';
import { detect } from '../../../../src/main/engine/models/detector';
import { EMBEDDER_DIMS, alignedPatch, embed, embedderInput, embedderOutput } from '../../../../src/main/engine/models/embedder';
import { landmarks } from '../../../../src/main/engine/models/landmarks';
import { createSessions, type ModelSessions } from '../../../../src/main/engine/models/sessions';

/** R = x, G = y, B = 7. */
const coords = (width: number, height: number): RawImage => {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x & 255, y & 255, 7], (y * width + x) * 3);
  return { width, height, channels: 3, data };
};

describe('embedder alignment', () => {
  it('is the identity when the five points already sit on the ArcFace template (HWC RGB)', () => {
    const patch = alignedPatch(coords(200, 200), ARCFACE_TEMPLATE);
    expect(patch).toHaveLength(112 * 112 * 3);
    const px = (u: number, v: number) => Array.from(patch.subarray((v * 112 + u) * 3, (v * 112 + u) * 3 + 3));
    for (const [u, v] of [[0, 0], [50, 60], [111, 111]] as const) {
      const [r, g, b] = px(u, v);
      expect(r).toBeCloseTo(u, 2);
      expect(g).toBeCloseTo(v, 2);
      expect(b).toBeCloseTo(7, 4);
    }
  });

  it('undoes a translation and a 2× scale of the face', () => {
    const points = ARCFACE_TEMPLATE.map(([x, y]): Point => [2 * x + 10, 2 * y + 20]);
    const patch = alignedPatch(coords(256, 256), points);
    // output (u, v) samples the source at (2u + 10, 2v + 20) (+ half-pixel centring)
    const at = (u: number, v: number) => [patch[(v * 112 + u) * 3]!, patch[(v * 112 + u) * 3 + 1]!];
    const [r, g] = at(40, 30);
    expect(r).toBeGreaterThan(2 * 40 + 10 - 1);
    expect(r).toBeLessThan(2 * 40 + 10 + 2);
    expect(g).toBeGreaterThan(2 * 30 + 20 - 1);
    expect(g).toBeLessThan(2 * 30 + 20 + 2);
  });
});

describe('embedder tensors', () => {
  it('writes RGB planes, (v − 127)/128', () => {
    const aligned = new Float32Array(112 * 112 * 3);
    for (let i = 0; i < 112 * 112; i++) aligned.set([255, 127, 0], i * 3);
    const t = embedderInput(aligned);
    expect(EMBEDDER_DIMS).toEqual([1, 3, 112, 112]);
    const plane = 112 * 112;
    expect(t[0]).toBeCloseTo(1);
    expect(t[plane]).toBeCloseTo(0);
    expect(t[2 * plane]).toBeCloseTo(-127 / 128);
  });

  it('L2-normalises the output', () => {
    const e = embedderOutput({ output: new Float32Array([3, 4, 0]) });
    expect(Array.from(e)).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6), 0]);
  });
});

const testdata = resolve(import.meta.dirname, '../../../../../shared/testdata');
const modelsDir = defaultModelsDir();

describe.skipIf(!modelsPresent(modelsDir))('fr_feature on real photos', () => {
  let sessions: ModelSessions;
  beforeAll(async () => {
    sessions = await createSessions({ modelsDir, models: ['fr_detect', 'fr_landmark', 'fr_feature'] });
  });
  afterAll(async () => {
    await sessions?.release();
  });
  const embedding = async (p: string) => {
    const img = await decodeImage(readFileSync(join(testdata, p)), DEFAULT_CONFIG);
    const [det] = await detect(sessions.run, img, DEFAULT_CONFIG);
    const lm = await landmarks(sessions.run, img, det!.box);
    return embed(sessions.run, alignedPatch(img, fivePoints(lm)));
  };

  it('gives unit 512-d embeddings, the same person far more similar than different people', async () => {
    const a = await embedding('faces/identities/barack_obama/01.jpg');
    const b = await embedding('faces/identities/barack_obama/04.jpg');
    const c = await embedding('faces/identities/joe_biden/02.jpg');
    expect(a).toHaveLength(512);
    expect(Math.hypot(...a)).toBeCloseTo(1, 5);
    expect(cosine(a, b)).toBeGreaterThan(0.5);
    expect(cosine(a, c)).toBeLessThan(0.2);
  });
});
