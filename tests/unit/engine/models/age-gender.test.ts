import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../../src/main/engine/config';
import { decodeImage } from '../../../../src/main/engine/decode';
import type { RawImage } from '../../../../src/main/engine/image';
import { ENGINE_MODELS, defaultModelsDir, loadManifest, loadableModels, modelsPresent } from '../../../../src/main/engine/manifest';
import { AGE_GENDER_SIDE, SSR_STAGES, ageGender, ageGenderInput, ageOutput, genderOutput, ssrNetMerge } from '../../../../src/main/engine/models/age-gender';
import type { ModelOutputs, RunModel } from '../../../../src/main/engine/models/run-model';
import { createSessions, type ModelSessions } from '../../../../src/main/engine/models/sessions';
import { analyzeStill } from '../../../../src/main/engine/still';

const PLANE = AGE_GENDER_SIDE * AGE_GENDER_SIDE;

/** The package's reference merge (lib/fr_age.js mergeAge) on its flat layout, to check ours against. */
function referenceMerge(x: number[], V: number): number {
  const [s1, s2, s3] = [3, 3, 3];
  let a = 0, b = 0, c = 0;
  for (let i = 0; i < s1; i++) a += (i + x[12 + i]!) * x[i]!;
  a = a / (s1 * (1 + x[9]!));
  for (let i = 0; i < s2; i++) b += (i + x[15 + i]!) * x[3 + i]!;
  b = b / (s1 * (1 + x[9]!)) / (s2 * (1 + x[10]!));
  for (let i = 0; i < s3; i++) c += (i + x[18 + i]!) * x[6 + i]!;
  c = c / (s1 * (1 + x[9]!)) / (s2 * (1 + x[10]!)) / (s3 * (1 + x[11]!));
  return (a + b + c) * V;
}

/** Named outputs from the reference's flat order (p1, p2, p3, Δ1, Δ2, Δ3, η1, η2, η3). */
function named(x: number[]): ModelOutputs {
  const out: ModelOutputs = {};
  SSR_STAGES.forEach((s, k) => {
    out[s.p] = new Float32Array(x.slice(3 * k, 3 * k + 3));
    out[s.delta] = new Float32Array([x[9 + k]!]);
    out[s.eta] = new Float32Array(x.slice(12 + 3 * k, 15 + 3 * k));
  });
  return out;
}

describe('age/gender pre-processing', () => {
  it('feeds BGR planes, each with the ImageNet statistics of its position', () => {
    const img: RawImage = { width: 200, height: 200, channels: 3, data: new Uint8Array(200 * 200 * 3) };
    for (let i = 0; i < 200 * 200; i++) img.data.set([255, 128, 0], i * 3);
    const { tensor, dims } = ageGenderInput(img, { x: 50, y: 50, width: 60, height: 80 });
    expect(dims).toEqual([1, 3, 64, 64]);
    expect(tensor).toHaveLength(3 * PLANE);
    expect(tensor[0]).toBeCloseTo((0 - 0.485) / 0.229, 4); // B
    expect(tensor[PLANE]).toBeCloseTo((128 / 255 - 0.456) / 0.224, 4); // G
    expect(tensor[2 * PLANE]).toBeCloseTo((1 - 0.406) / 0.225, 4); // R
  });

  it('crops the detector box (not squared) scaled ×1.4 about its centre, shifted to stay inside', () => {
    // R = x, G = y: the first/last output pixels tell the crop's extent
    const img: RawImage = { width: 250, height: 250, channels: 3, data: new Uint8Array(250 * 250 * 3) };
    for (let y = 0; y < 250; y++) for (let x = 0; x < 250; x++) img.data.set([x, y, 0], (y * 250 + x) * 3);
    const r = (t: Float32Array, i: number) => (t[2 * PLANE + i]! * 0.225 + 0.406) * 255;
    const g = (t: Float32Array, i: number) => (t[PLANE + i]! * 0.224 + 0.456) * 255;
    // box 60×80 centred at (100, 120) → 84×112: x 58..142, y 64..176
    const t = ageGenderInput(img, { x: 70, y: 80, width: 60, height: 80 }).tensor;
    expect(r(t, 0)).toBeCloseTo(58 + 84 / 128 - 0.5, 0);
    expect(r(t, 63)).toBeCloseTo(142 - 84 / 128 - 0.5, 0);
    expect(g(t, 0)).toBeCloseTo(64 + 112 / 128 - 0.5, 0);
    expect(g(t, 63 * 64)).toBeCloseTo(176 - 112 / 128 - 0.5, 0);
    // at the left edge the crop keeps its size and is shifted: x 0..84
    const edge = ageGenderInput(img, { x: 0, y: 80, width: 60, height: 80 }).tensor;
    expect(r(edge, 0)).toBeLessThan(1);
    expect(r(edge, 63)).toBeCloseTo(84 - 84 / 128 - 0.5, 0);
  });
});

describe('age/gender post-processing (SSR-Net merge)', () => {
  it('is V · Σ_k Σ_i (i + η) p / Π s(1 + Δ) on a hand-computed case', () => {
    // stage 1 all on bin 2, no shifts, Δ = 0: 2 / 3 of the range; stages 2 and 3 silent
    const x = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(ssrNetMerge(named(x), 101)).toBeCloseTo((2 / 3) * 101, 6);
    expect(ageOutput(named(x))).toBeCloseTo(67.333, 3);
    // add stage 2 on bin 1 with Δ2 = 0: + 1 / (3 · 3)
    x[4] = 1;
    expect(ssrNetMerge(named(x), 1)).toBeCloseTo(2 / 3 + 1 / 9, 6);
  });

  it('matches the reference merge of the model package for arbitrary stage outputs', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let n = 0; n < 50; n++) {
      // float32 values, as the model gives them
      const x = [...Array.from({ length: 9 }, () => rand()), ...Array.from({ length: 12 }, () => rand() * 2 - 1)].map(Math.fround);
      expect(ssrNetMerge(named(x), 101)).toBeCloseTo(referenceMerge(x, 101), 4);
      expect(ssrNetMerge(named(x), 1)).toBeCloseTo(referenceMerge(x, 1), 6);
    }
  });

  it('clamps the gender score to 0..1 and the age to ≥ 0', () => {
    const high = [0, 0, 3, 0, 0, 3, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(genderOutput(named(high))).toBe(1);
    const negative = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -5, 0, 0, 0, 0, 0, 0];
    expect(genderOutput(named(negative))).toBe(0);
    expect(ageOutput(named(negative))).toBe(0);
  });

  it('fails INTERNAL when an output is missing', () => {
    const outputs = named(new Array(21).fill(0.1));
    delete outputs.stage2_delta_k;
    expect(() => ageOutput(outputs)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });

  it('runs fr_age and fr_gender once each on the same input', async () => {
    const calls: Array<{ name: string; input: Float32Array; dims: readonly number[] }> = [];
    const age = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const male = [0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const run: RunModel = async (name, input, dims) => {
      calls.push({ name, input, dims });
      return named(name === 'fr_age' ? age : male);
    };
    const img: RawImage = { width: 100, height: 100, channels: 3, data: new Uint8Array(100 * 100 * 3).fill(90) };
    const r = await ageGender(run, img, { x: 20, y: 20, width: 40, height: 50 });
    expect(calls.map((c) => c.name)).toEqual(['fr_age', 'fr_gender']);
    expect(calls[0]!.input).toBe(calls[1]!.input);
    expect(calls[0]!.dims).toEqual([1, 3, 64, 64]);
    expect(r.age).toBeCloseTo(67.333, 3);
    expect(r.male).toBeCloseTo(1 / 3 + 1 / 9, 6);
  });
});

const modelsDir = defaultModelsDir();

describe('optional models (required: false in the manifest)', () => {
  it('loadableModels keeps required models and drops optional ones whose file is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'veridesk-models-'));
    copyFileSync(join(modelsDir, 'manifest.json'), join(dir, 'manifest.json'));
    writeFileSync(join(dir, 'fr_gender.onnx'), 'x'); // present (would still be verified when loaded)
    expect(loadManifest(dir).models.fr_age!.required).toBe(false);
    expect(loadableModels(dir, ENGINE_MODELS)).toEqual(ENGINE_MODELS.filter((m) => m !== 'fr_age'));
    // modelsPresent: the required ones decide by default; listed names must all exist
    expect(modelsPresent(dir)).toBe(false);
    expect(modelsPresent(dir, ['fr_gender'])).toBe(true);
    expect(modelsPresent(dir, ['fr_age'])).toBe(false);
  });
});

const testdata = resolve(import.meta.dirname, '../../../../../shared/testdata');
const PEOPLE: Record<string, 'male' | 'female'> = {
  barack_obama: 'male',
  joe_biden: 'male',
  kit_harington: 'male',
  alex_lacamoire: 'male',
  rose_leslie: 'female',
};
/** Specimen documents: the printed sex field is the label. */
const DOCUMENTS: Record<string, 'male' | 'female'> = {
  '100_id-rou.jpg': 'male',
  '100_pass-bdr.jpg': 'female',
  '100_pass-chn.jpg': 'female',
  '100_pass-hrv.jpg': 'female',
  '100_pass-ltu.jpg': 'female',
  '100_visa-usa.jpg': 'female',
  '62_pass-pol.png': 'female',
  'passport-td2.jpg': 'female',
  'passport-td3.jpg': 'female',
};

describe.skipIf(!modelsPresent(modelsDir, [...ENGINE_MODELS]))('fr_age / fr_gender on real photos (through the still pipeline)', () => {
  let sessions: ModelSessions;
  const still = async (path: string, run = sessions.run) => {
    const r = await analyzeStill(run, await decodeImage(readFileSync(path), DEFAULT_CONFIG), DEFAULT_CONFIG, async () => new Float32Array(512));
    return r.faces[r.best]!;
  };
  beforeAll(async () => {
    sessions = await createSessions({ modelsDir, models: ENGINE_MODELS.filter((m) => m !== 'fr_feature') });
  });
  afterAll(async () => {
    await sessions?.release();
  });

  it('gives plausible adult ages and the right gender direction on the labelled identities', async () => {
    let right = 0;
    let total = 0;
    for (const [person, gender] of Object.entries(PEOPLE)) {
      const dir = join(testdata, 'faces/identities', person);
      const scores: number[] = [];
      for (const file of ['01.jpg', '02.jpg', '03.jpg']) {
        const face = await still(join(dir, file));
        expect(face.age).toBeGreaterThan(18);
        expect(face.age).toBeLessThan(95);
        scores.push(face.gender!.male);
        right += (face.gender!.male >= 0.5) === (gender === 'male') ? 1 : 0;
        total++;
      }
      const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
      // every person's mean score is on the right side (measured: men ≥ 0.84, rose_leslie 0.13)
      if (gender === 'male') expect(mean, person).toBeGreaterThan(0.6);
      else expect(mean, person).toBeLessThan(0.4);
    }
    expect(right).toBeGreaterThanOrEqual(total - 1); // measured 15/15 on these photos
  });

  it('reads the gender of most specimen documents right (printed sex field as the label)', async () => {
    let right = 0;
    for (const [file, gender] of Object.entries(DOCUMENTS)) {
      const face = await still(join(testdata, 'documents', file));
      expect(face.age).toBeGreaterThan(15);
      right += (face.gender!.male >= 0.5) === (gender === 'male') ? 1 : 0;
    }
    expect(right).toBeGreaterThanOrEqual(6); // measured 7/9 (bdr 0.63 and the visa 0.58 read as male)
  });

  it('leaves age and gender out, without failing, when the optional models are not loaded', async () => {
    const without = await createSessions({ modelsDir, models: ENGINE_MODELS.filter((m) => m !== 'fr_feature' && m !== 'fr_age' && m !== 'fr_gender') });
    try {
      const face = await still(join(testdata, 'faces/identities/barack_obama/01.jpg'), without.run);
      expect(face.liveness).toBeGreaterThan(0);
      expect(face.age).toBeUndefined();
      expect(face.gender).toBeUndefined();
    } finally {
      await without.release();
    }
  });
});
