/**
 * The face check's decision, the desk's face-match rule applied to the agent: cosine similarity of each frame's
 * embedding to the enrolled one, the median over the frames, and the band of that median from the calibration
 * (models/calibration.json) — no threshold of its own. Only the match band passes: at the seat there is no reviewer
 * for the desk's "review" band, and a person who is the agent passes on a retry in better light.
 * Someone else in any frame is several_faces: the point of the check is who is at the seat.
 */
import type { Band } from '../../shared/engine';
import type { ShiftCheckResult } from '../../shared/shift';
import { band } from '../engine/calibration';
import { cosine } from '../engine/cosine';
import type { Thresholds } from '../verification/face-match';
import { median } from '../verification/observation';

export interface FrameFaces {
  /** Faces the engine found in the frame. */
  faces: number;
  /** The embedding of the frame's best face (null: none usable). */
  embedding: ArrayLike<number> | null;
}

export interface PresenceDecision {
  result: Exclude<ShiftCheckResult, 'missed'>;
  score: number | null;
  band: Band | null;
  threshold: number;
}

export function decidePresence(frames: readonly FrameFaces[], enrolled: ArrayLike<number>, cal: Thresholds): PresenceDecision {
  const single = frames.filter((f) => f.faces === 1 && f.embedding !== null);
  const score = median(single.map((f) => cosine(f.embedding!, enrolled)));
  const scored = score === null ? { score: null, band: null } : { score, band: band(score, cal) };
  const threshold = cal.matchThreshold;
  if (frames.some((f) => f.faces > 1)) return { result: 'several_faces', ...scored, threshold };
  if (scored.score === null) return { result: 'no_face', score: null, band: null, threshold };
  return { result: scored.band === 'match' ? 'pass' : 'fail', ...scored, threshold };
}
