/**
 * face_match: the live face's key-frame embeddings against the ID photo's embedding.
 *
 * Rule: cosine similarity per key frame; the score is the median over the calm frontal key frames (eyes open,
 * mouth closed, |yaw| ≤ frontalMaxYaw) when there are at least minKeyFrames of them, else the median over all;
 * the band of that median comes from the calibration (match / review / mismatch). Frontal and turned buckets are
 * reported beside it. Pending until minKeyFrames key frames and an ID photo with a face.
 */
import type { Check, EvidenceRef } from '../../shared/verification';
import { band, type Calibration } from '../engine/calibration';
import { cosine } from '../engine/cosine';
import type { VerificationConfig } from './config';
import { median } from './observation';

export interface KeyFrame {
  streamId: string;
  /** The key frame's own capturedAt (the result it rode on may be later: ages.embedding). */
  capturedAt: number;
  embedding: ArrayLike<number>;
  /** Landmark yaw and calmness on the key frame; null when the key frame was no longer in the history. */
  yaw: number | null;
  calm: boolean | null;
}

export interface Scored extends KeyFrame {
  similarity: number | null;
}

export type Thresholds = Pick<Calibration, 'matchThreshold' | 'mismatchThreshold'>;

export class FaceMatch {
  private id: { state: 'none' } | { state: 'no_face' } | { state: 'ok'; embedding: ArrayLike<number> } = { state: 'none' };
  private frames: Scored[] = [];

  constructor(private readonly cfg: VerificationConfig) {}

  setIdEmbedding(embedding: ArrayLike<number> | null): void {
    this.id = embedding ? { state: 'ok', embedding } : { state: 'no_face' };
    for (const f of this.frames) f.similarity = this.similarity(f.embedding);
  }

  get hasId(): boolean {
    return this.id.state === 'ok';
  }

  add(frame: KeyFrame): void {
    this.frames.push({ ...frame, similarity: this.similarity(frame.embedding) });
    if (this.frames.length > this.cfg.maxKeyFrames) this.frames.shift();
  }

  get count(): number {
    return this.frames.length;
  }

  /** Every kept key frame with its similarity to the ID photo (null without one). */
  scored(): ReadonlyArray<Readonly<Scored>> {
    return this.frames;
  }

  check(cal: Thresholds): Check {
    const n = this.frames.length;
    if (this.id.state === 'none') return { id: 'face_match', status: 'pending', reason: 'no_id_photo', details: { keyFrames: n } };
    if (this.id.state === 'no_face') return { id: 'face_match', status: 'pending', reason: 'id_photo_no_face', details: { keyFrames: n } };
    if (n < this.cfg.minKeyFrames) return { id: 'face_match', status: 'pending', reason: 'no_key_frames', details: { keyFrames: n, needed: this.cfg.minKeyFrames } };

    const scored = this.frames as Array<Scored & { similarity: number }>;
    const frontal = scored.filter((f) => f.yaw !== null && Math.abs(f.yaw) <= this.cfg.frontalMaxYaw);
    const turned = scored.filter((f) => f.yaw !== null && Math.abs(f.yaw) > this.cfg.frontalMaxYaw);
    const calmFrontal = frontal.filter((f) => f.calm === true);
    const used = calmFrontal.length >= this.cfg.minKeyFrames ? calmFrontal : scored;
    const sims = used.map((f) => f.similarity);
    const score = median(sims)!;
    const b = band(score, cal);
    const all = scored.map((f) => f.similarity);
    return {
      id: 'face_match',
      status: b === 'match' ? 'pass' : b === 'review' ? 'warn' : 'fail',
      reason: b === 'match' ? 'match_band' : b === 'review' ? 'review_band' : 'below_review',
      score,
      band: b,
      evidence: evidenceOf(used),
      details: {
        keyFrames: n,
        used: used === calmFrontal ? 'calm_frontal' : 'all',
        usedCount: used.length,
        median: score,
        best: Math.max(...all),
        worst: Math.min(...all),
        frontal: { n: frontal.length, median: median(frontal.map((f) => f.similarity)) },
        turned: { n: turned.length, median: median(turned.map((f) => f.similarity)) },
        calmFrontal: calmFrontal.length,
        thresholds: { match: cal.matchThreshold, mismatch: cal.mismatchThreshold },
      },
    };
  }

  private similarity(e: ArrayLike<number>): number | null {
    return this.id.state === 'ok' ? cosine(e, this.id.embedding) : null;
  }
}

/** The best, the median and the worst frame of those used (distinct, in time order). */
function evidenceOf(used: ReadonlyArray<Scored & { similarity: number }>): EvidenceRef[] {
  const bySim = [...used].sort((a, b) => a.similarity - b.similarity || a.capturedAt - b.capturedAt);
  const picks = new Set([bySim[bySim.length - 1]!, bySim[(bySim.length - 1) >> 1]!, bySim[0]!]);
  return [...picks].sort((a, b) => a.capturedAt - b.capturedAt).map((f) => ({ streamId: f.streamId, capturedAt: f.capturedAt, kind: 'key_frame' as const }));
}
