import { describe, expect, it } from 'vitest';
import type { FrameAnalysis } from '../../../src/shared/engine';
import { DEFAULT_VERIFICATION_CONFIG as cfg } from '../../../src/main/verification/config';
import type { Scored } from '../../../src/main/verification/face-match';
import { FaceSwapScreen, type Signal } from '../../../src/main/verification/face-swap';
import { observe } from '../../../src/main/verification/observation';
import { calibration, frames, identity, sample } from './builder';

const A = identity(11);
const B = identity(12);

/** Feeds frames; every 100 ms frame with an embedding is a key frame. */
function screen(list: FrameAnalysis[], idScores: Scored[] = []) {
  const s = new FaceSwapScreen(cfg, calibration());
  for (const f of list) {
    s.addObservation(observe(f));
    if (f.embedding) s.addKeyFrame({ streamId: f.streamId, capturedAt: f.capturedAt, embedding: f.embedding, yaw: f.primary?.pose?.yaw ?? null, calm: true });
  }
  return { s, check: s.check(idScores) };
}
const signal = (check: ReturnType<FaceSwapScreen['check']>, id: string) => (check.details!.signals as Signal[]).find((x) => x.id === id)!;
/** Key frames every 3rd frame (≈ 10/s) of the person `who(t)`. */
const keyed = (who: (t: number) => number[]) => (t: number, i: number) => (i % 3 === 0 ? { embedding: sample(who(t), i) } : {});

describe('face_swap screening signals', () => {
  it('is pending until minKeyFrames key frames, then passes a stable, moving, blinking face', () => {
    expect(screen(frames(0, 300, keyed(() => A))).check).toMatchObject({ status: 'pending', reason: 'no_key_frames' });
    const { check } = screen(frames(0, 3000, (t, i) => ({ ...keyed(() => A)(t, i), eyesOpen: !(t > 1000 && t < 1200) })));
    expect(check).toMatchObject({ status: 'pass', reason: 'no_signals' });
    expect(signal(check, 'identity')).toMatchObject({ status: 'pass' });
    expect(signal(check, 'blinks')).toMatchObject({ status: 'pass', details: { blinks: 1 } });
    expect(check.score!).toBeGreaterThan(0.7); // the lowest similarity of a key frame to the session's own reference
  });

  it('fails identity_drift when person A is replaced by person B, with the drifted key frames as evidence', () => {
    const { check } = screen(frames(0, 3000, keyed((t) => (t < 1500 ? A : B))));
    expect(check).toMatchObject({ status: 'fail', reason: 'identity_drift' });
    expect(check.evidence!.length).toBeGreaterThan(0);
    expect(check.evidence!.every((e) => e.kind === 'identity_drift' && e.capturedAt >= 1500)).toBe(true);
  });

  it('fails identity_drift when two people alternate every few frames (the session mean hides it; the ID photo does not)', () => {
    const list = frames(0, 3000, (t, i) => (i % 3 === 0 ? { embedding: sample(i % 2 === 0 ? A : B, i, 0.9) } : {}));
    const scores: Scored[] = list
      .filter((f) => f.embedding)
      .map((f) => ({ streamId: f.streamId, capturedAt: f.capturedAt, embedding: f.embedding!, yaw: 0, calm: true, similarity: f.embedding!.reduce((a, x, k) => a + x * A[k]!, 0) }));
    const { check } = screen(list, scores);
    expect(check).toMatchObject({ status: 'fail', reason: 'identity_drift' });
    expect(signal(check, 'identity').details).toMatchObject({ idMatchKeyFrames: expect.any(Number), idMismatchKeyFrames: expect.any(Number) });
    expect((signal(check, 'identity').details as { idMismatchKeyFrames: number }).idMismatchKeyFrames).toBeGreaterThanOrEqual(2);
  });

  it('warns identity_unstable for a single key frame of another identity', () => {
    const { check } = screen(frames(0, 3000, (t, i) => (i % 3 ? {} : { embedding: i === 45 ? B : sample(A, i) })));
    expect(check).toMatchObject({ status: 'warn', reason: 'identity_unstable' });
  });

  it('warns frozen_video when the landmarks do not move at all (an injected still image)', () => {
    const { check } = screen(frames(0, 1000, (t, i) => ({ ...keyed(() => A)(t, i), moving: false })));
    expect(check).toMatchObject({ status: 'warn', reason: 'frozen_video' });
    expect(check.evidence).toEqual([{ streamId: 'call-test', capturedAt: 0, kind: 'frozen' }]);
    // one repeated frame (a frame-rate conversion) is not frozen
    const { check: dup } = screen(frames(0, 1000, (t, i) => ({ ...keyed(() => A)(t, i), moving: i % 6 !== 0 })));
    expect(signal(dup, 'frozen').status).toBe('pass');
  });

  it('warns no_blinks after 20 s of face without a blink, and regular_blinks for machine-regular blinking', () => {
    const none = screen(frames(0, 21_000, keyed(() => A), 100)).check;
    expect(none).toMatchObject({ status: 'warn', reason: 'no_blinks' });
    const regular = screen(frames(0, 21_000, (t, i) => ({ ...keyed(() => A)(t, i), eyesOpen: t % 3000 >= 200 || t < 1000 }), 50)).check;
    expect(regular).toMatchObject({ status: 'warn', reason: 'regular_blinks' });
    // irregular intervals (2.1, 4.7, 1.3, 6.2, 3.1 s …) are natural
    const at = [1000, 3100, 7800, 9100, 15300, 18400];
    const natural = screen(frames(0, 21_000, (t, i) => ({ ...keyed(() => A)(t, i), eyesOpen: !at.some((b) => t >= b && t < b + 200) }), 50)).check;
    expect(signal(natural, 'blinks')).toMatchObject({ status: 'pass', details: { blinks: 6 } });
    expect(natural.status).toBe('pass');
  });

  it('warns virtual_camera from the device report', () => {
    const { s } = screen(frames(0, 1000, keyed(() => A)));
    expect(signal(s.check([]), 'virtual_camera').status).toBe('not_run');
    s.setDevice({ videoLabel: 'OBS Virtual Camera', virtualCamera: 'obs virtual' });
    expect(s.check([])).toMatchObject({ status: 'warn', reason: 'virtual_camera' });
    s.setDevice({ videoLabel: 'FaceTime HD Camera', virtualCamera: null });
    expect(s.check([])).toMatchObject({ status: 'pass' });
  });

  it('warns profile_face_lost when the face vanishes at profile angles twice', () => {
    const lost = (t: number) => (t > 1000 && t < 1200) || (t > 2000 && t < 2200);
    const turning = (t: number) => (t > 800 && t <= 1000) || (t > 1800 && t <= 2000);
    const { check } = screen(frames(0, 3000, (t, i) => ({ ...keyed(() => A)(t, i), face: !lost(t), yaw: turning(t) ? 35 : 0 })));
    expect(check).toMatchObject({ status: 'warn', reason: 'profile_face_lost' });
  });

  it('warns profile_mismatch when turned key frames mismatch the ID photo while frontal ones match', () => {
    const { s } = screen(frames(0, 1000, keyed(() => A)));
    const score = (yaw: number, similarity: number, i: number): Scored => ({ streamId: 's', capturedAt: i, embedding: A, yaw, calm: true, similarity });
    const frontal = [0, 1, 2, 3, 4].map((i) => score(0, 0.8, i));
    expect(s.check([...frontal, score(40, 0.05, 5), score(-40, 0.1, 6)])).toMatchObject({ status: 'warn', reason: 'profile_mismatch' });
    expect(s.check([...frontal, score(40, 0.45, 5), score(-40, 0.5, 6)])).toMatchObject({ status: 'pass' });
  });

  it('judges the agent-triggered hand-over-face test: occlusion seen then cleared → pass; nothing seen → warn', () => {
    const s = new FaceSwapScreen(cfg, calibration());
    for (const f of frames(0, 1000, keyed(() => A))) {
      s.addObservation(observe(f));
      if (f.embedding) s.addKeyFrame({ streamId: f.streamId, capturedAt: f.capturedAt, embedding: f.embedding, yaw: 0, calm: true });
    }
    s.startOcclusionTest(1000);
    expect(signal(s.check([]), 'occlusion').status).toBe('pending');
    for (const f of frames(1000, 3000, (t) => ({ issues: t > 1500 && t < 2000 ? ['occluded'] : [] }))) s.addObservation(observe(f));
    expect(s.takeOcclusionResult(3000)).toEqual({ status: 'pass', reason: 'occlusion_seen' });
    expect(s.takeOcclusionResult(3000)).toBeNull();

    s.startOcclusionTest(3000);
    for (const f of frames(3000, 12_000)) s.addObservation(observe(f));
    expect(s.takeOcclusionResult(12_000)).toEqual({ status: 'warn', reason: 'occlusion_not_observed' });
    expect(s.check([])).toMatchObject({ status: 'warn', reason: 'occlusion_not_observed' });
  });
});
