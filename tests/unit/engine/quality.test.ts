import { describe, expect, it } from 'vitest';
import type { Quality } from '../../../src/shared/engine';
import { DEFAULT_CONFIG } from '../../../src/main/engine/config';
import { assessQuality, outsideFraction, qualityScore } from '../../../src/main/engine/quality';

const gates = DEFAULT_CONFIG.quality;
const SIDE = 112;

/** An aligned 112×112 RGB patch: `value(x, y)` grey. */
const patch = (value: (x: number, y: number) => number): Float32Array => {
  const p = new Float32Array(SIDE * SIDE * 3);
  for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) p.fill(value(x, y), (y * SIDE + x) * 3, (y * SIDE + x) * 3 + 3);
  return p;
};
/** Mid-grey with a fine checkerboard: bright enough, contrasted, sharp, symmetric. */
const good = patch((x, y) => 128 + ((x + y) % 2 ? 30 : -30));
const box = { x: 100, y: 100, width: 150, height: 180 };
const frontal = { yaw: 2, pitch: -3, roll: 0 };
const openEyes = { leftOpen: 0.9, rightOpen: 0.95, open: true };

describe('quality: outsideFraction', () => {
  it('is 0 inside, the cut-off share at an edge, 1 fully outside', () => {
    expect(outsideFraction({ x: 10, y: 10, width: 50, height: 50 }, 100, 100)).toBe(0);
    expect(outsideFraction({ x: -25, y: 10, width: 50, height: 50 }, 100, 100)).toBeCloseTo(0.5);
    expect(outsideFraction({ x: 75, y: 75, width: 50, height: 50 }, 100, 100)).toBeCloseTo(0.75);
    expect(outsideFraction({ x: 200, y: 10, width: 50, height: 50 }, 100, 100)).toBe(1);
  });
});

describe('quality: assessQuality', () => {
  it('passes a bright, contrasted, sharp, frontal, open-eyed face inside the frame', () => {
    const q = assessQuality({ box, pose: frontal, eyes: openEyes }, good, 0, gates);
    expect(q.issues).toEqual([]);
    expect(q.ok).toBe(true);
    expect(q.brightness).toBeCloseTo(128 / 255, 3);
    expect(q.contrast).toBeCloseTo(30 / 255, 3);
    expect(q.faceSize).toBe(180);
    expect(q.asymmetry).toBeCloseTo(0, 6);
  });

  it('flags a flat patch as low contrast and blurred, dark and bright extremes by brightness', () => {
    expect(assessQuality({ box }, patch(() => 128), 0, gates).issues).toEqual(['low_contrast', 'blurred']);
    expect(assessQuality({ box }, patch((x, y) => 20 + ((x + y) % 2 ? 15 : -15)), 0, gates).issues).toContain('too_dark');
    expect(assessQuality({ box }, patch((x, y) => 240 + ((x + y) % 2 ? 15 : -15)), 0, gates).issues).toContain('too_bright');
  });

  it('measures sharpness as the Laplacian variance of the whole aligned patch', () => {
    const soft = assessQuality({ box }, patch((x) => 128 + 40 * Math.sin(x / 8)), 0, gates);
    const sharp = assessQuality({ box }, good, 0, gates);
    expect(sharp.sharpness).toBeGreaterThan(100 * soft.sharpness);
    expect(soft.issues).toContain('blurred');
  });

  it('flags a half-dark face (hand, hard shadow) as occluded from the left/right imbalance of the inner region', () => {
    // the inner region is x 20..91: its left half is x < 56
    const q = assessQuality({ box }, patch((x, y) => (x < 56 ? 40 : 200) + ((x + y) % 2 ? 10 : -10)), 0, gates);
    expect(q.asymmetry).toBeGreaterThan(gates.maxAsymmetry);
    expect(q.issues).toContain('occluded');
  });

  it('applies the size, pose, frame-edge and eye gates', () => {
    const issues = (face: Parameters<typeof assessQuality>[0], outside = 0) => assessQuality(face, good, outside, gates).issues;
    expect(issues({ box: { ...box, height: 50 } })).toEqual(['too_small']);
    expect(issues({ box, pose: { yaw: 35, pitch: 0, roll: 0 } })).toEqual(['turned']);
    expect(issues({ box, pose: { yaw: 0, pitch: -30, roll: 0 } })).toEqual(['turned']);
    expect(issues({ box, pose: { yaw: 0, pitch: 0, roll: 60 } })).toEqual([]);
    expect(issues({ box }, 0.2)).toEqual(['partly_outside']);
    expect(issues({ box, eyes: { leftOpen: 0.1, rightOpen: 0.2, open: false } })).toEqual(['eyes_closed']);
  });
});

describe('quality: qualityScore (key-frame ranking)', () => {
  const base = assessQuality({ box, pose: frontal, eyes: openEyes }, good, 0, gates);
  const with_ = (q: Partial<Quality>): Quality => ({ ...base, ...q });

  it('is 0 for a face that fails a gate, and in (0, 1) otherwise', () => {
    expect(qualityScore(with_({ ok: false, issues: ['blurred'] }), frontal)).toBe(0);
    const s = qualityScore(base, frontal);
    expect(s).toBeGreaterThan(0);
    expect(s).toBeLessThan(1);
  });

  it('grows with sharpness, with face size and with frontalness', () => {
    const s = (q: Partial<Quality>, pose = frontal) => qualityScore(with_(q), pose);
    expect(s({ sharpness: 400 })).toBeGreaterThan(s({ sharpness: 60 }));
    expect(s({ faceSize: 300 })).toBeGreaterThan(s({ faceSize: 80 }));
    expect(s({}, { yaw: 0, pitch: 0, roll: 0 })).toBeGreaterThan(s({}, { yaw: 25, pitch: 0, roll: 0 }));
    expect(s({}, { yaw: -25, pitch: 0, roll: 0 })).toBeCloseTo(s({}, { yaw: 25, pitch: 0, roll: 0 }));
    expect(s({}, { yaw: 0, pitch: 0, roll: 0 })).toBeGreaterThan(s({}, { yaw: 0, pitch: 20, roll: 0 }));
  });

  it('ranks a sharp, large, frontal face well above a soft, small, turned one', () => {
    const best = qualityScore(with_({ sharpness: 800, faceSize: 300 }), { yaw: 0, pitch: 0, roll: 0 });
    const weak = qualityScore(with_({ sharpness: 30, faceSize: 70 }), { yaw: 28, pitch: 15, roll: 0 });
    expect(best).toBeGreaterThan(0.75);
    expect(weak).toBeLessThan(0.45);
  });
});
