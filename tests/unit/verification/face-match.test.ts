import { describe, expect, it } from 'vitest';
import { DEFAULT_VERIFICATION_CONFIG as cfg } from '../../../src/main/verification/config';
import { FaceMatch, type KeyFrame } from '../../../src/main/verification/face-match';
import { calibration, identity, sample } from './builder';

const A = identity(1);
const B = identity(2);
const key = (i: number, embedding: number[], extra: Partial<KeyFrame> = {}): KeyFrame => ({ streamId: 's', capturedAt: i * 100, embedding, yaw: 0, calm: true, ...extra });

function matcher(id: number[] | null, live: number[][], extra: (i: number) => Partial<KeyFrame> = () => ({})): FaceMatch {
  const m = new FaceMatch(cfg);
  if (id !== undefined) m.setIdEmbedding(id);
  live.forEach((e, i) => m.add(key(i, e, extra(i))));
  return m;
}

describe('face_match: key-frame embeddings vs the ID photo, bands from the calibration', () => {
  it('is pending without an ID photo, with an ID photo without a face, and before minKeyFrames key frames', () => {
    const none = new FaceMatch(cfg);
    for (let i = 0; i < 6; i++) none.add(key(i, sample(A, i)));
    expect(none.check(calibration())).toMatchObject({ status: 'pending', reason: 'no_id_photo' });
    expect(matcher(null, [A]).check(calibration())).toMatchObject({ status: 'pending', reason: 'id_photo_no_face' });
    const few = matcher(A, [0, 1, 2, 3].map((i) => sample(A, i)));
    expect(few.check(calibration())).toMatchObject({ status: 'pending', reason: 'no_key_frames', details: { keyFrames: 4, needed: 5 } });
  });

  it('passes the same person in the match band with the median similarity as its score', () => {
    const m = matcher(A, [0, 1, 2, 3, 4, 5].map((i) => sample(A, i, 0.7 + i * 0.02)));
    const c = m.check(calibration());
    expect(c).toMatchObject({ status: 'pass', reason: 'match_band', band: 'match' });
    expect(c.score).toBeCloseTo(0.75, 6); // median of 0.70 … 0.80
    expect(c.evidence!.map((e) => e.capturedAt)).toEqual([0, 200, 500]); // worst, median, best, in time order
  });

  it('fails another person below the review band (impostor)', () => {
    const c = matcher(A, [0, 1, 2, 3, 4].map((i) => sample(B, i))).check(calibration());
    expect(c).toMatchObject({ status: 'fail', reason: 'below_review', band: 'mismatch' });
    expect(c.score!).toBeLessThan(0.2);
  });

  it('warns in the review band, and the band follows the calibration, not a constant', () => {
    const m = matcher(A, [0, 1, 2, 3, 4].map((i) => sample(A, i, 0.35)));
    expect(m.check(calibration(0.5, 0.2))).toMatchObject({ status: 'warn', reason: 'review_band', band: 'review' });
    expect(m.check(calibration(0.3, 0.1))).toMatchObject({ status: 'pass', band: 'match' });
    expect(m.check(calibration(0.6, 0.4))).toMatchObject({ status: 'fail', band: 'mismatch' });
  });

  it('prefers calm frontal key frames when there are enough of them, and reports the buckets', () => {
    // 5 calm frontal frames at 0.8, 6 talking or turned frames at 0.3
    const live = [...[0, 1, 2, 3, 4].map((i) => sample(A, i, 0.8)), ...[5, 6, 7, 8, 9, 10].map((i) => sample(A, i, 0.3))];
    const m = matcher(A, live, (i) => (i < 5 ? {} : i < 8 ? { calm: false } : { yaw: 35 }));
    const c = m.check(calibration());
    expect(c).toMatchObject({ status: 'pass', band: 'match', details: { used: 'calm_frontal', usedCount: 5, calmFrontal: 5 } });
    expect(c.score).toBeCloseTo(0.8, 6);
    expect(c.details).toMatchObject({ frontal: { n: 8 }, turned: { n: 3 } });
    expect((c.details!.turned as { median: number }).median).toBeCloseTo(0.3, 6);
    // with only 4 calm frontal frames the median over all decides
    const m2 = matcher(A, live.slice(1), (i) => (i < 4 ? {} : i < 7 ? { calm: false } : { yaw: 35 }));
    expect(m2.check(calibration())).toMatchObject({ status: 'warn', band: 'review', details: { used: 'all' } });
  });

  it('re-scores the kept key frames when the ID photo arrives later', () => {
    const m = new FaceMatch(cfg);
    for (let i = 0; i < 5; i++) m.add(key(i, sample(A, i)));
    m.setIdEmbedding(A);
    expect(m.check(calibration())).toMatchObject({ status: 'pass' });
    m.setIdEmbedding(B);
    expect(m.check(calibration())).toMatchObject({ status: 'fail' });
  });
});
