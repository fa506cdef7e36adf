/**
 * Face-match bands from models/calibration.json (written by scripts/calibrate.ts). The thresholds are
 * tied to fr_feature's sha256: a calibration made for another model is refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Band, CalibrationSummary, Comparison } from '../../shared/engine';
import { AppFailure } from '../../shared/errors';

/** Cross-validated outcomes of one group of pairs (e.g. one data set) at the thresholds. */
export const GroupRatesSchema = z.object({
  /** test counts: genuine pairs once, impostor pairs once per identity fold (twice) */
  genuine: z.number().int(),
  impostor: z.number().int(),
  falseMatches: z.number().int(),
  falseNonMatches: z.number().int(),
  genuineReview: z.number().int(),
  impostorReview: z.number().int(),
  fmr: z.number().min(0).max(1),
  fnmr: z.number().min(0).max(1),
  upper95: z.object({ fmr: z.number(), fnmr: z.number() }),
  reviewRate: z.object({ genuine: z.number(), impostor: z.number() }),
});
export type GroupRates = z.infer<typeof GroupRatesSchema>;

export const CalibrationSchema = z.object({
  model: z.literal('fr_feature'),
  modelSha256: z.string().regex(/^[0-9a-f]{64}$/),
  metric: z.literal('cosine'),
  /** similarity ≥ matchThreshold → match */
  matchThreshold: z.number().min(-1).max(1),
  /** similarity < mismatchThreshold → mismatch; in between → review */
  mismatchThreshold: z.number().min(-1).max(1),
  /** Cross-validated estimates at the thresholds (see method). */
  estimatedFmrAtMatch: z.number().min(0).max(1),
  estimatedFnmrAtMismatch: z.number().min(0).max(1),
  /** One-sided 95 % upper bounds of those rates (Wilson; exact for zero errors), from the distinct pairs. */
  upper95: z.object({ fmr: z.number(), fnmr: z.number() }).optional(),
  estimatedReviewRate: z.object({ genuine: z.number(), impostor: z.number() }).optional(),
  targets: z.object({ fmr: z.number(), fnmr: z.number() }),
  counts: z.object({ identities: z.number().int(), images: z.number().int(), genuine: z.number().int(), impostor: z.number().int() }),
  method: z.string(),
  createdAt: z.string(),
  /**
   * The cross-validated rates per group of pairs: `overall` (the pairs the thresholds were fitted on), each
   * data set, its subsets, `cross` (impostor pairs between sets, tested only). Optional: older files lack it.
   */
  groups: z.record(z.string(), GroupRatesSchema).optional(),
  crossValidation: z.array(z.record(z.string(), z.unknown())).optional(),
});
export type Calibration = z.infer<typeof CalibrationSchema>;

export function loadCalibration(modelsDir: string, featureSha256: string, file = 'calibration.json'): Calibration {
  const path = join(modelsDir, file);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new AppFailure('UNAVAILABLE', `face-match calibration ${path} is missing or not JSON (run \`npx tsx scripts/calibrate.ts\`)`);
  }
  const parsed = CalibrationSchema.safeParse(json);
  if (!parsed.success) throw new AppFailure('CORRUPT_INPUT', `face-match calibration ${path} is malformed: ${parsed.error.issues[0]?.message ?? ''}`);
  const cal = parsed.data;
  if (cal.modelSha256 !== featureSha256) {
    throw new AppFailure('UNAVAILABLE', `face-match calibration ${path} was made for another fr_feature model (sha256 ${cal.modelSha256.slice(0, 12)}…); recalibrate`);
  }
  if (cal.mismatchThreshold > cal.matchThreshold) throw new AppFailure('CORRUPT_INPUT', `face-match calibration ${path}: mismatchThreshold > matchThreshold`);
  return cal;
}

export function band(similarity: number, cal: Pick<Calibration, 'matchThreshold' | 'mismatchThreshold'>): Band {
  if (similarity >= cal.matchThreshold) return 'match';
  if (similarity < cal.mismatchThreshold) return 'mismatch';
  return 'review';
}

export function summary(cal: Calibration): CalibrationSummary {
  return {
    matchThreshold: cal.matchThreshold,
    mismatchThreshold: cal.mismatchThreshold,
    modelSha256: cal.modelSha256,
    estimatedFmrAtMatch: cal.estimatedFmrAtMatch,
    estimatedFnmrAtMismatch: cal.estimatedFnmrAtMismatch,
    method: cal.method,
  };
}

export function compareWith(similarity: number, cal: Calibration): Comparison {
  return { similarity, band: band(similarity, cal), calibration: summary(cal) };
}

/**
 * Thresholds from labelled scores:
 *  - match: the lowest threshold at which at most `targetFmr` of impostor scores are ≥ it;
 *  - mismatch: the highest threshold at which at most `targetFnmr` of genuine scores are < it;
 *  - when the classes are separated (the FNMR point lies above the FMR point) the two are swapped: a match
 *    then needs a score typical of genuine pairs and a mismatch one typical of impostors, and the gap that
 *    neither class occupied is 'review'. Both targets hold either way; the review band is never inverted.
 */
export function deriveThresholds(genuine: readonly number[], impostor: readonly number[], targetFmr: number, targetFnmr: number): { match: number; mismatch: number } {
  if (genuine.length === 0 || impostor.length === 0) throw new Error('need genuine and impostor scores');
  const imp = [...impostor].sort((a, b) => b - a);
  const gen = [...genuine].sort((a, b) => a - b);
  const allowedFalseMatches = Math.floor(targetFmr * imp.length);
  // strictly above the (allowed+1)-th highest impostor score
  const match = Math.min(1, imp[allowedFalseMatches]! + 1e-6);
  const allowedFalseNonMatches = Math.floor(targetFnmr * gen.length);
  const mismatch = gen[allowedFalseNonMatches]!;
  return { match: Math.max(match, mismatch), mismatch: Math.min(match, mismatch) };
}

export function rates(genuine: readonly number[], impostor: readonly number[], t: { match: number; mismatch: number }) {
  const fm = impostor.filter((s) => s >= t.match).length;
  const fnm = genuine.filter((s) => s < t.mismatch).length;
  const genReview = genuine.filter((s) => s >= t.mismatch && s < t.match).length;
  const impReview = impostor.filter((s) => s >= t.mismatch && s < t.match).length;
  return { falseMatches: fm, falseNonMatches: fnm, genuineReview: genReview, impostorReview: impReview };
}

/** One-sided 95 % upper confidence bound of a rate k/n (exact 1 − 0.05^(1/n) when k = 0, else Wilson). */
export function upperBound95(k: number, n: number): number {
  if (n <= 0) return 1;
  if (k === 0) return 1 - Math.pow(0.05, 1 / n);
  const z = 1.645;
  const p = k / n;
  const denom = 1 + (z * z) / n;
  const centre = p + (z * z) / (2 * n);
  const margin = z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return Math.min(1, (centre + margin) / denom);
}
