/**
 * Quality of one face for identity use (DESIGN.md §5: brightness, contrast, blur, size, pose, occlusion),
 * measured on the 112×112 aligned patch the embedder would see, so the gates judge exactly what gets
 * embedded. Pure: no models here, the pose and eye state come in with the face.
 */
import type { Box, Eyes, Pose, Quality, QualityIssue } from '../../shared/engine';
import type { EngineConfig } from './config';
import { laplacianVariance, meanStd, patchToGrey } from './image';

const SIDE = 112;
/** The central face region of the aligned crop (skips the background corners): x 20..91, y 24..103. */
const INNER = { x: 20, y: 24, width: 72, height: 80 } as const;

/** Fraction of the face box that lies outside the image (face cut by the frame edge). */
export function outsideFraction(box: Box, width: number, height: number): number {
  const ix = Math.max(0, Math.min(width, box.x + box.width) - Math.max(0, box.x));
  const iy = Math.max(0, Math.min(height, box.y + box.height) - Math.max(0, box.y));
  return 1 - (ix * iy) / Math.max(1e-9, box.width * box.height);
}

/** Measures and gates; `aligned` is the 112×112 RGB HWC patch from alignedPatch(). */
export function assessQuality(face: { box: Box; pose?: Pose; eyes?: Eyes }, aligned: Float32Array, outsideFraction: number, gates: EngineConfig['quality']): Quality {
  const q = gates;
  const grey = patchToGrey(aligned, SIDE, SIDE);
  const inner = new Float32Array(INNER.width * INNER.height);
  let leftSum = 0, rightSum = 0;
  for (let y = 0; y < INNER.height; y++) {
    for (let x = 0; x < INNER.width; x++) {
      const v = grey[(y + INNER.y) * SIDE + (x + INNER.x)]!;
      inner[y * INNER.width + x] = v;
      if (x < INNER.width / 2) leftSum += v;
      else rightSum += v;
    }
  }
  const { mean, std } = meanStd(inner);
  const brightness = mean / 255;
  const contrast = std / 255;
  const sharpness = laplacianVariance(grey, SIDE, SIDE);
  // a hand, a hard shadow or backlight darkens one half of the aligned face
  const asymmetry = Math.abs(leftSum - rightSum) / Math.max(1, leftSum + rightSum);
  const issues: QualityIssue[] = [];
  if (brightness < q.minBrightness) issues.push('too_dark');
  if (brightness > q.maxBrightness) issues.push('too_bright');
  if (contrast < q.minContrast) issues.push('low_contrast');
  if (sharpness < q.minSharpness) issues.push('blurred');
  if (face.box.height < q.minFaceSize) issues.push('too_small');
  if (face.pose && (Math.abs(face.pose.yaw) > q.maxYaw || Math.abs(face.pose.pitch) > q.maxPitch)) issues.push('turned');
  if (asymmetry > q.maxAsymmetry) issues.push('occluded');
  if (outsideFraction > q.maxOutsideFraction) issues.push('partly_outside');
  if (face.eyes && !face.eyes.open) issues.push('eyes_closed');
  return { brightness, contrast, sharpness, faceSize: face.box.height, asymmetry, outsideFraction, issues, ok: issues.length === 0 };
}

/**
 * Half-saturation points of the key-frame score: a factor is 0.5 at this value and approaches 1 above it.
 * Sharpness (Laplacian variance of the aligned patch) measured here: 200–350 on the 640×480 webcam test
 * video, 180–4400 on the identity photos, the blur gate at 20; the embedder's input is 112 px, so faces
 * much taller than that add little.
 */
const SHARPNESS_HALF = 150;
const FACE_SIZE_HALF = 120;
/** Degrees of combined yaw/pitch at which frontalness falls to 0.5. */
const TURN_HALF = 25;

/**
 * How good a key frame this face is, 0..1: 0 when it fails any gate, otherwise the geometric mean of
 * three saturating factors (sharpness, face size, frontalness), so one weak aspect drags the score down
 * without a single strong one dominating. Only for ranking candidate frames of the same stream before the
 * embedder: it is not a calibrated probability.
 */
export function qualityScore(q: Quality, pose?: Pose): number {
  if (!q.ok) return 0;
  const saturate = (v: number, half: number) => (v > 0 ? v / (v + half) : 0);
  const sharp = saturate(q.sharpness, SHARPNESS_HALF);
  const size = saturate(q.faceSize, FACE_SIZE_HALF);
  const turn = pose ? Math.hypot(pose.yaw, pose.pitch) : 0;
  const frontal = 1 / (1 + (turn / TURN_HALF) ** 2);
  return Math.cbrt(sharp * size * frontal);
}
