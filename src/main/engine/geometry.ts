/**
 * Pure maths of the pipeline: detector post-processing, NMS, landmark reductions, 5-point similarity
 * alignment and the crops each model expects (see models/manifest.json for the models' contracts).
 */
import type { Box, Point } from '../../shared/engine';
import type { Affine, Rect } from './image';

export interface Detection {
  box: Box;
  score: number;
}

export function iou(a: Box, b: Box): number {
  const x1 = Math.max(a.x, b.x);
  const y1 = Math.max(a.y, b.y);
  const x2 = Math.min(a.x + a.width, b.x + b.width);
  const y2 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy non-maximum suppression: highest score first, drop boxes overlapping a kept one by > iouThreshold. */
export function nms(detections: readonly Detection[], iouThreshold: number, maxKeep = Infinity): Detection[] {
  const sorted = [...detections].sort((p, q) => q.score - p.score);
  const kept: Detection[] = [];
  for (const candidate of sorted) {
    if (kept.length >= maxKeep) break;
    if (kept.every((k) => iou(k.box, candidate.box) <= iouThreshold)) kept.push(candidate);
  }
  return kept;
}

/**
 * Detector outputs → candidate boxes in the model's input pixels. `scores` is [N,2] already softmaxed
 * (column 1 = face), `boxes` is [N,4] normalised corners.
 */
export function decodeDetections(scores: Float32Array, boxes: Float32Array, inputW: number, inputH: number, threshold: number): Detection[] {
  const out: Detection[] = [];
  const n = scores.length / 2;
  for (let i = 0; i < n; i++) {
    const score = scores[2 * i + 1]!;
    if (score < threshold) continue;
    const x1 = boxes[4 * i]! * inputW;
    const y1 = boxes[4 * i + 1]! * inputH;
    const x2 = boxes[4 * i + 2]! * inputW;
    const y2 = boxes[4 * i + 3]! * inputH;
    if (x2 - x1 <= 0 || y2 - y1 <= 0) continue;
    out.push({ box: { x: x1, y: y1, width: x2 - x1, height: y2 - y1 }, score });
  }
  return out;
}

/** The square the landmark/liveness/pose models were trained on: side = box height, same centre. */
export function squareBox(box: Box): Box {
  const side = box.height;
  return { x: box.x + box.width / 2 - side / 2, y: box.y, width: side, height: side };
}

export function scaleBox(box: Box, factor: number): Box {
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  return { x: cx - (box.width * factor) / 2, y: cy - (box.height * factor) / 2, width: box.width * factor, height: box.height * factor };
}

/**
 * Liveness context crop: the (square) face box scaled by `factor` about its centre; if that is larger
 * than the image the factor is reduced to fit, then the crop is shifted (not shrunk) to stay inside.
 * Returns the crop and the fraction of the unconstrained crop that lay outside the image.
 */
export function contextCrop(box: Box, factor: number, imageW: number, imageH: number): { rect: Rect; outsideFraction: number } {
  const wanted = scaleBox(box, factor);
  const ix = Math.max(0, Math.min(imageW, wanted.x + wanted.width) - Math.max(0, wanted.x));
  const iy = Math.max(0, Math.min(imageH, wanted.y + wanted.height) - Math.max(0, wanted.y));
  const outsideFraction = 1 - (ix * iy) / (wanted.width * wanted.height);
  const fit = Math.min(factor, imageW / box.width, imageH / box.height);
  const w = box.width * fit;
  const h = box.height * fit;
  let x = box.x + box.width / 2 - w / 2;
  let y = box.y + box.height / 2 - h / 2;
  x = Math.min(Math.max(0, x), imageW - w);
  y = Math.min(Math.max(0, y), imageH - h);
  return { rect: { x, y, width: w, height: h }, outsideFraction };
}

export function clipRect(rect: Rect, imageW: number, imageH: number): Rect {
  const x1 = Math.max(0, rect.x);
  const y1 = Math.max(0, rect.y);
  const x2 = Math.min(imageW, rect.x + rect.width);
  const y2 = Math.min(imageH, rect.y + rect.height);
  return { x: x1, y: y1, width: Math.max(1, x2 - x1), height: Math.max(1, y2 - y1) };
}

const mean = (points: readonly Point[], idx: readonly number[]): Point => {
  let x = 0;
  let y = 0;
  for (const i of idx) {
    x += points[i]![0];
    y += points[i]![1];
  }
  return [x / idx.length, y / idx.length];
};

/** iBUG-68 index groups (0-based). "left" = the eye on the image's left (the subject's right). */
export const LM = {
  leftEye: [36, 37, 38, 39, 40, 41],
  rightEye: [42, 43, 44, 45, 46, 47],
  noseTip: 30,
  mouthLeft: 48,
  mouthRight: 54,
  innerLipTop: [61, 62, 63],
  innerLipBottom: [65, 66, 67],
} as const;

/** 68 landmarks → [left eye centre, right eye centre, nose tip, left mouth corner, right mouth corner]. */
export function fivePoints(lm: readonly Point[]): Point[] {
  return [mean(lm, LM.leftEye), mean(lm, LM.rightEye), lm[LM.noseTip]!, lm[LM.mouthLeft]!, lm[LM.mouthRight]!];
}

/** Inner-lip opening relative to mouth width. */
export function mouthOpening(lm: readonly Point[]): number {
  const top = mean(lm, LM.innerLipTop);
  const bottom = mean(lm, LM.innerLipBottom);
  const width = Math.hypot(lm[LM.mouthRight]![0] - lm[LM.mouthLeft]![0], lm[LM.mouthRight]![1] - lm[LM.mouthLeft]![1]);
  return width > 0 ? Math.max(0, Math.hypot(bottom[0] - top[0], bottom[1] - top[1]) / width) : 0;
}

/** Square crop around one eye for the 24×24 eye-state model: side = corner distance × padding. */
export function eyeCrop(lm: readonly Point[], which: 'left' | 'right', padding: number): Rect {
  const idx = which === 'left' ? LM.leftEye : LM.rightEye;
  const [cx, cy] = mean(lm, [idx[1], idx[2], idx[4], idx[5]]);
  const outer = lm[idx[0]]!;
  const inner = lm[idx[3]]!;
  const side = Math.max(2, Math.hypot(inner[0] - outer[0], inner[1] - outer[1]) * padding);
  return { x: cx - side / 2, y: cy - side / 2, width: side, height: side };
}

/** The standard 112×112 ArcFace 5-point template. */
export const ARCFACE_TEMPLATE: readonly Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/** A similarity transform p' = [a −b; b a]·p + [tx; ty]. */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

/**
 * Least-squares similarity (rotation, uniform scale, translation) mapping `src` onto `dst`
 * (Umeyama 1991 without reflection, closed form for 2-D).
 */
export function estimateSimilarity(src: readonly Point[], dst: readonly Point[]): Similarity {
  const n = Math.min(src.length, dst.length);
  if (n < 2) throw new Error('need at least two point pairs');
  let sx = 0, sy = 0, dx = 0, dy = 0;
  for (let i = 0; i < n; i++) {
    sx += src[i]![0];
    sy += src[i]![1];
    dx += dst[i]![0];
    dy += dst[i]![1];
  }
  sx /= n;
  sy /= n;
  dx /= n;
  dy /= n;
  let dot = 0, cross = 0, norm = 0;
  for (let i = 0; i < n; i++) {
    const px = src[i]![0] - sx;
    const py = src[i]![1] - sy;
    const qx = dst[i]![0] - dx;
    const qy = dst[i]![1] - dy;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
    norm += px * px + py * py;
  }
  if (norm === 0) throw new Error('degenerate source points');
  const a = dot / norm;
  const b = cross / norm;
  return { a, b, tx: dx - (a * sx - b * sy), ty: dy - (b * sx + a * sy) };
}

export function applySimilarity(t: Similarity, p: Point): Point {
  return [t.a * p[0] - t.b * p[1] + t.tx, t.b * p[0] + t.a * p[1] + t.ty];
}

/** The inverse of a similarity as a sampling map (output pixel → source pixel). */
export function similarityToSamplingAffine(t: Similarity): Affine {
  const det = t.a * t.a + t.b * t.b;
  const ia = t.a / det;
  const ib = -t.b / det;
  // inverse: p = [ia −ib; ib ia]·(p' − t)
  return [ia, -ib, -(ia * t.tx - ib * t.ty), ib, ia, -(ib * t.tx + ia * t.ty)];
}

/** Rotation angle (degrees) of the line through the two eye centres. */
export function eyeLineRoll(points5: readonly Point[]): number {
  const l = points5[0]!;
  const r = points5[1]!;
  return (Math.atan2(r[1] - l[1], r[0] - l[0]) * 180) / Math.PI;
}

/** Pick the primary face: large and central (size dominates, centrality breaks ties). */
export function primaryIndex(boxes: readonly Box[], imageW: number, imageH: number): number {
  let best = -1;
  let bestScore = -Infinity;
  boxes.forEach((b, i) => {
    const cx = (b.x + b.width / 2) / imageW - 0.5;
    const cy = (b.y + b.height / 2) / imageH - 0.5;
    const score = b.width * b.height * (1 - 0.5 * Math.min(1, Math.hypot(cx, cy)));
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  });
  return best;
}
