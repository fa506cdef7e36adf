import { describe, expect, it } from 'vitest';
import type { Point } from '../../shared/engine';
import {
  ARCFACE_TEMPLATE,
  applySimilarity,
  contextCrop,
  decodeDetections,
  estimateSimilarity,
  fivePoints,
  iou,
  nms,
  primaryIndex,
  similarityToSamplingAffine,
  squareBox,
} from './geometry';

describe('iou / nms', () => {
  it('computes intersection over union', () => {
    expect(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 0, y: 0, width: 10, height: 10 })).toBe(1);
    expect(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: 0, width: 10, height: 10 })).toBeCloseTo(50 / 150);
    expect(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 20, y: 20, width: 5, height: 5 })).toBe(0);
  });

  it('keeps the highest-scoring box of each overlapping group, regardless of input order', () => {
    const dets = [
      { box: { x: 1, y: 1, width: 10, height: 10 }, score: 0.8 },
      { box: { x: 50, y: 50, width: 10, height: 10 }, score: 0.7 },
      { box: { x: 0, y: 0, width: 10, height: 10 }, score: 0.95 },
      { box: { x: 2, y: 0, width: 10, height: 10 }, score: 0.9 },
    ];
    const kept = nms(dets, 0.4);
    expect(kept.map((d) => d.score)).toEqual([0.95, 0.7]);
    expect(nms(dets, 0.4, 1)).toHaveLength(1);
    // a permissive threshold keeps overlapping boxes
    expect(nms(dets, 0.99)).toHaveLength(4);
  });
});

describe('detector decoding', () => {
  it('thresholds softmaxed face scores and scales normalised corners', () => {
    const scores = new Float32Array([0.9, 0.1, 0.2, 0.8, 0.01, 0.99]);
    const boxes = new Float32Array([0, 0, 0.5, 0.5, 0.25, 0.5, 0.5, 1, 0.5, 0.5, 0.4, 0.6 /* degenerate */]);
    const dets = decodeDetections(scores, boxes, 320, 240, 0.7);
    expect(dets).toHaveLength(1);
    expect(dets[0]!.score).toBeCloseTo(0.8);
    expect(dets[0]!.box).toEqual({ x: 80, y: 120, width: 80, height: 120 });
  });
});

describe('similarity alignment', () => {
  it('recovers a known rotation + scale + translation exactly', () => {
    const angle = 0.3;
    const s = 2.5;
    const truth = { a: s * Math.cos(angle), b: s * Math.sin(angle), tx: 12, ty: -7 };
    const src: Point[] = ARCFACE_TEMPLATE.map((p) => [p[0], p[1]]);
    const dst = src.map((p) => applySimilarity(truth, p));
    const t = estimateSimilarity(src, dst);
    expect(t.a).toBeCloseTo(truth.a, 9);
    expect(t.b).toBeCloseTo(truth.b, 9);
    expect(t.tx).toBeCloseTo(truth.tx, 9);
    expect(t.ty).toBeCloseTo(truth.ty, 9);
  });

  it('is the least-squares fit for noisy points (residual lower than any perturbed transform)', () => {
    const src: Point[] = [[10, 10], [40, 12], [25, 30], [14, 45], [38, 44]];
    const dst: Point[] = src.map(([x, y], i) => [x * 1.1 + 3 + (i % 2 ? 0.5 : -0.5), y * 1.1 - 2 + (i % 3 ? 0.3 : -0.4)]);
    const t = estimateSimilarity(src, dst);
    const residual = (tt: typeof t) => src.reduce((acc, p, i) => acc + (applySimilarity(tt, p)[0] - dst[i]![0]) ** 2 + (applySimilarity(tt, p)[1] - dst[i]![1]) ** 2, 0);
    const best = residual(t);
    for (const d of [{ a: 0.01 }, { b: 0.01 }, { tx: 0.1 }, { ty: -0.1 }]) expect(residual({ ...t, ...d })).toBeGreaterThan(best);
  });

  it('sampling map is the inverse of the alignment', () => {
    const t = estimateSimilarity([[100, 100], [160, 98], [130, 140]], ARCFACE_TEMPLATE.slice(0, 3));
    const [a, b, c, d, e, f] = similarityToSamplingAffine(t);
    const p: Point = [130, 120];
    const q = applySimilarity(t, p);
    expect(a * q[0] + b * q[1] + c).toBeCloseTo(p[0], 9);
    expect(d * q[0] + e * q[1] + f).toBeCloseTo(p[1], 9);
  });

  it('reduces 68 landmarks to eye centres, nose tip and mouth corners', () => {
    const lm: Point[] = Array.from({ length: 68 }, (_, i) => [i, 2 * i]);
    const p5 = fivePoints(lm);
    expect(p5[0]).toEqual([38.5, 77]); // mean of 36..41
    expect(p5[1]).toEqual([44.5, 89]); // mean of 42..47
    expect(p5[2]).toEqual([30, 60]);
    expect(p5[3]).toEqual([48, 96]);
    expect(p5[4]).toEqual([54, 108]);
  });
});

describe('crops', () => {
  it('squares the detector box about its centre', () => {
    expect(squareBox({ x: 10, y: 20, width: 80, height: 100 })).toEqual({ x: 0, y: 20, width: 100, height: 100 });
  });

  it('liveness context: ×2.7 about the centre, shifted inside the image, shrunk only when larger than it', () => {
    const inside = contextCrop({ x: 300, y: 200, width: 40, height: 40 }, 2.7, 640, 480);
    expect(inside.rect.width).toBeCloseTo(108);
    expect(inside.rect.x + inside.rect.width / 2).toBeCloseTo(320);
    expect(inside.outsideFraction).toBe(0);
    const edge = contextCrop({ x: 0, y: 0, width: 100, height: 100 }, 2.7, 640, 480);
    expect(edge.rect).toMatchObject({ x: 0, y: 0, width: 270, height: 270 });
    expect(edge.outsideFraction).toBeGreaterThan(0.5);
    const big = contextCrop({ x: 100, y: 50, width: 300, height: 300 }, 2.7, 640, 480);
    expect(big.rect.height).toBeLessThanOrEqual(480);
    expect(big.rect.y).toBeGreaterThanOrEqual(0);
  });

  it('prefers the large central face as primary', () => {
    const boxes = [
      { x: 0, y: 0, width: 50, height: 50 },
      { x: 250, y: 180, width: 120, height: 120 },
      { x: 500, y: 300, width: 130, height: 130 },
    ];
    expect(primaryIndex(boxes, 640, 480)).toBe(1);
  });
});
