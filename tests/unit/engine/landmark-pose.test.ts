import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Point, Pose } from '../../../src/shared/engine';
import { DEFAULT_CONFIG } from '../../../src/main/engine/config';
import { decodeImage } from '../../../src/main/engine/decode';
import type { RawImage } from '../../../src/main/engine/image';
import { estimatePose, poseFeatures, ROLL_PER_EYE_LINE } from '../../../src/main/engine/landmark-pose';
import { defaultModelsDir, modelsPresent } from '../../../src/main/engine/manifest';
import { detectStill } from '../../../src/main/engine/models/detector';
import { landmarks } from '../../../src/main/engine/models/landmarks';
import { poseModel } from '../../../src/main/engine/models/pose-model';
import { createSessions, type ModelSessions } from '../../../src/main/engine/models/sessions';

/** A symmetric frontal 68-point face (iBUG order) about x = 0, eyes at y = 0, face height ≈ 1. */
const frontal = (): Point[] => {
  const lm: Point[] = [];
  for (let i = 0; i <= 16; i++) {
    const a = Math.PI * (i / 16); // jaw from the image-left ear round the chin to the right ear
    lm.push([-0.5 * Math.cos(a), 0.05 + 0.65 * Math.sin(a)]);
  }
  for (let i = 0; i < 5; i++) lm.push([-0.42 + 0.07 * i, -0.15 - 0.02 * Math.sin((Math.PI * i) / 4)]); // brow 17–21
  for (let i = 0; i < 5; i++) lm.push([0.14 + 0.07 * i, -0.15 - 0.02 * Math.sin((Math.PI * (4 - i)) / 4)]); // brow 22–26
  for (let i = 0; i < 4; i++) lm.push([0, 0.05 + 0.08 * i]); // nose bridge 27–30 (30 = tip)
  for (let i = 0; i < 5; i++) lm.push([-0.1 + 0.05 * i, 0.33]); // nostrils 31–35
  const eye = (cx: number): Point[] => [[cx - 0.1, 0], [cx - 0.04, -0.03], [cx + 0.04, -0.03], [cx + 0.1, 0], [cx + 0.04, 0.03], [cx - 0.04, 0.03]];
  lm.push(...eye(-0.22), ...eye(0.22)); // 36–47
  for (let i = 0; i < 20; i++) lm.push([-0.2 + (0.4 * (i % 12)) / 11, 0.5]); // mouth 48–67 (48 and 54 are the corners)
  lm[48] = [-0.2, 0.5];
  lm[54] = [0.2, 0.5];
  return lm;
};

const transform = (lm: Point[], deg: number, scale = 1, dx = 0, dy = 0): Point[] => {
  const c = Math.cos((deg * Math.PI) / 180), s = Math.sin((deg * Math.PI) / 180);
  return lm.map(([x, y]) => [scale * (c * x - s * y) + dx, scale * (s * x + c * y) + dy]);
};

describe('landmark pose: geometry (synthetic landmarks)', () => {
  it('gives near-zero yaw for a symmetric face (fr_pose offsets only)', () => {
    const f = poseFeatures(frontal());
    expect(f.noseInContour).toBeCloseTo(0, 12);
    expect(f.eyeLine).toBeCloseTo(0, 12);
    expect(Math.abs(estimatePose(frontal()).yaw)).toBeLessThan(2);
  });

  it('is invariant to image scale and position', () => {
    const a = estimatePose(frontal());
    const b = estimatePose(transform(frontal(), 0, 250, 400, 300));
    for (const k of ['yaw', 'pitch', 'roll'] as const) expect(b[k]).toBeCloseTo(a[k], 9);
  });

  it('turns roll with the eye line (clockwise in the image = positive) and leaves yaw and pitch alone', () => {
    const a = estimatePose(transform(frontal(), 0, 200, 300, 300));
    for (const deg of [-25, -10, 10, 25]) {
      const b = estimatePose(transform(frontal(), deg, 200, 300, 300));
      expect(b.roll - a.roll).toBeCloseTo(ROLL_PER_EYE_LINE * deg, 6);
      expect(b.yaw).toBeCloseTo(a.yaw, 9);
      expect(b.pitch).toBeCloseTo(a.pitch, 9);
    }
  });

  it('reads a nose shifted towards the image left as positive yaw (fr_pose convention), right as negative', () => {
    const shifted = (dx: number) => {
      const lm = frontal();
      lm[30] = [lm[30]![0] + dx, lm[30]![1]];
      return estimatePose(lm).yaw;
    };
    expect(shifted(-0.15)).toBeGreaterThan(10);
    expect(shifted(0.15)).toBeLessThan(-10);
    expect(shifted(-0.3)).toBeGreaterThan(shifted(-0.15));
  });

  it('reads a nose tip closer to the eye line as chin up (positive pitch)', () => {
    const tipAt = (y: number) => {
      const lm = frontal();
      lm[30] = [0, y];
      return estimatePose(lm).pitch;
    };
    expect(tipAt(0.15)).toBeGreaterThan(tipAt(0.3));
  });
});

const testdata = resolve(import.meta.dirname, '../../../../shared/testdata');
const modelsDir = defaultModelsDir();

describe.skipIf(!modelsPresent(modelsDir))('landmark pose against fr_pose on real photos (pose frames + identities)', () => {
  let sessions: ModelSessions;
  const rows: Array<{ file: string; net: Pose; est: Pose }> = [];
  const measure = async (img: RawImage) => {
    const { detections } = await detectStill(sessions.run, img, DEFAULT_CONFIG);
    // the labelled person is the largest face (as bench:accuracy)
    const face = detections.reduce((a, b) => (b.box.width * b.box.height * b.score > a.box.width * a.box.height * a.score ? b : a));
    return { net: await poseModel(sessions.run, img, face.box), est: estimatePose(await landmarks(sessions.run, img, face.box)) };
  };

  beforeAll(async () => {
    sessions = await createSessions({ modelsDir, models: ['fr_detect', 'fr_landmark', 'fr_pose'] });
    const files = [
      ...readdirSync(join(testdata, 'faces/pose')).filter((f) => f.endsWith('.jpg')).map((f) => `faces/pose/${f}`),
      ...readdirSync(join(testdata, 'faces/identities')).flatMap((p) => readdirSync(join(testdata, 'faces/identities', p)).map((f) => `faces/identities/${p}/${f}`)),
    ];
    for (const file of files.sort()) rows.push({ file, ...(await measure(await decodeImage(readFileSync(join(testdata, file)), DEFAULT_CONFIG))) });
  });
  afterAll(async () => {
    await sessions?.release();
  });
  const mae = (rs: typeof rows, k: keyof Pose) => rs.reduce((a, r) => a + Math.abs(r.est[k] - r.net[k]), 0) / rs.length;

  it('measures all 26 photos', () => {
    expect(rows).toHaveLength(26);
  });

  it('agrees with fr_pose in sign on every clearly turned face (|fr_pose yaw| > 20°)', () => {
    const turned = rows.filter((r) => Math.abs(r.net.yaw) > 20);
    expect(turned.length).toBeGreaterThanOrEqual(5);
    for (const r of turned) expect({ file: r.file, sign: Math.sign(r.est.yaw) }).toEqual({ file: r.file, sign: Math.sign(r.net.yaw) });
  });

  // These 26 photos (and the rotated barack_obama/01 below) are held out of the fit in scripts/fit-landmark-pose.ts.
  // Rule for every tolerance: 1.5 × the leave-one-group-out cross-validated error on the FIT set (never on these
  // photos), rounded up to 0.5°; the 50% margin covers the small sample and these photos being more turned than
  // most of the fit set. Fit-set CV MAE: yaw 8.82° overall → ≤ 13.5°; yaw 6.52° on the east-asian photos (the fit
  // set's still photos, standing in for the identity photos) → ≤ 10°; pitch 3.63° → ≤ 5.5°; roll 2.06° → ≤ 3.5°;
  // rotated copies: 95th percentile of |change of estimated roll − rotation| 3.18° → 15° ± 5°.
  // (Measured once afterwards, as the held-out result, not used to set these: yaw 10.1°, identities 6.4°,
  // pitch 5.0°, roll 2.8°, ±15° → −14.0°/+13.3°.)
  it('stays within the cross-validated yaw error: MAE ≤ 13.5° over all 26, ≤ 10° on the frontal-ish identity photos', () => {
    expect(mae(rows, 'yaw')).toBeLessThanOrEqual(13.5);
    expect(mae(rows.filter((r) => r.file.includes('/identities/')), 'yaw')).toBeLessThanOrEqual(10);
  });

  it('stays within the cross-validated pitch and roll errors (MAE ≤ 5.5° and ≤ 3.5°)', () => {
    expect(mae(rows, 'pitch')).toBeLessThanOrEqual(5.5);
    expect(mae(rows, 'roll')).toBeLessThanOrEqual(3.5);
  });

  it('changes roll by about the rotation angle on a rotated copy of a photo (sharp, ±15°: 15° ± 5°)', async () => {
    const bytes = readFileSync(join(testdata, 'faces/identities/barack_obama/01.jpg'));
    const at = async (deg: number) =>
      (await measure(await decodeImage(deg ? await sharp(bytes).rotate(deg, { background: '#808080' }).jpeg({ quality: 95 }).toBuffer() : bytes, DEFAULT_CONFIG))).est.roll;
    const upright = await at(0);
    expect((await at(15)) - upright).toBeGreaterThan(10);
    expect((await at(15)) - upright).toBeLessThan(20);
    expect((await at(-15)) - upright).toBeLessThan(-10);
    expect((await at(-15)) - upright).toBeGreaterThan(-20);
  });
});
