import { describe, expect, it } from 'vitest';
import { CHALLENGE_ACTIONS, type ChallengeAction } from '../../../src/shared/verification';
import { Challenge, planChallenge, type ChallengeUpdate } from '../../../src/main/verification/challenge';
import { DEFAULT_VERIFICATION_CONFIG as cfg } from '../../../src/main/verification/config';
import { observe } from '../../../src/main/verification/observation';
import { frames, seededRandom, type FrameSpec } from './builder';

type Spec = Omit<FrameSpec, 't'>;

/** Runs one challenge over frames; returns every update and the final report. */
function run(actions: ChallengeAction[], spec: (t: number) => Spec, until = 20_000, neutral = { yaw: 0, pitch: 0 }) {
  const c = new Challenge('c1', actions, 0, neutral, 'call-test', 1, cfg);
  const updates: ChallengeUpdate[] = [...c.start()];
  for (const f of frames(0, until, (t) => spec(t))) {
    updates.push(...c.onObservation(observe(f)));
    if (c.finished) break;
  }
  return { updates, report: c.report(), result: c.result };
}

/** A blink: eyes closed from `at` for `ms`. */
const blinkAt = (at: number, ms = 200) => (t: number) => ({ eyesOpen: !(t >= at && t < at + ms) });
/** A head turn by `deg` (yaw) starting at `at`, ramping over 300 ms, held. */
const yawAt = (at: number, deg: number) => (t: number) => ({ yaw: t < at ? 0 : deg * Math.min(1, (t - at) / 300) });

describe('challenge plan: 2–3 random distinct actions', () => {
  it('draws 2 or 3 distinct actions, reproducibly for a seed, covering every action over seeds', () => {
    const seen = new Set<string>();
    const counts = new Set<number>();
    for (let seed = 1; seed <= 60; seed++) {
      const plan = planChallenge(seededRandom(seed), cfg);
      expect(new Set(plan).size).toBe(plan.length);
      counts.add(plan.length);
      plan.forEach((a) => seen.add(a));
      expect(planChallenge(seededRandom(seed), cfg)).toEqual(plan);
    }
    expect([...counts].sort()).toEqual([2, 3]);
    expect([...seen].sort()).toEqual([...CHALLENGE_ACTIONS].sort());
  });
});

describe('challenge steps judged on eyes, landmark pose and mouth', () => {
  it('passes a real blink (open → closed 200 ms → open) and moves to the next step', () => {
    const { updates, result, report } = run(['blink', 'turn_left'], (t) => ({ ...blinkAt(1000)(t), ...yawAt(2500, -30)(t) }));
    expect(result).toEqual({ status: 'passed', reason: 'challenge_passed' });
    expect(updates.map((u) => u.type)).toEqual(['challenge.step_started', 'challenge.step_passed', 'challenge.step_started', 'challenge.step_passed', 'challenge.finished']);
    const blink = updates[1] as Extract<ChallengeUpdate, { type: 'challenge.step_passed' }>;
    expect(blink.evidence.map((e) => Math.round(e.capturedAt))).toEqual([1000, 1200]);
    expect(report.steps[1]).toMatchObject({ action: 'turn_left', status: 'passed', instructionKey: 'turn_left_slowly' });
    expect(report.steps[1]!.endedAt!).toBeGreaterThan(2500);
  });

  it('does not count a closure shorter than 100 ms (one glitch frame at 30 fps) or longer than 500 ms', () => {
    expect(run(['blink'], blinkAt(1000, 30)).result).toEqual({ status: 'failed', reason: 'challenge_timeout' });
    expect(run(['blink'], blinkAt(1000, 900)).result).toEqual({ status: 'failed', reason: 'challenge_timeout' });
    // eyes closed at the start of the step (no open frame before): not a blink either
    expect(run(['blink'], (t) => ({ eyesOpen: t >= 300 })).result.status).toBe('failed');
  });

  it('fails a still photo (constant eyes, pose and mouth) on the step time limit', () => {
    const { updates, report, result } = run(['blink', 'nod'], () => ({ moving: false }));
    expect(result).toEqual({ status: 'failed', reason: 'challenge_timeout' });
    const failed = updates.find((u) => u.type === 'challenge.step_failed') as Extract<ChallengeUpdate, { type: 'challenge.step_failed' }>;
    expect(failed).toMatchObject({ index: 0, action: 'blink', reason: 'timeout', at: cfg.challengeStepTimeoutMs });
    expect(report.steps.map((s) => s.status)).toEqual(['failed', 'waiting']);
    expect(report.current).toBeNull();
  });

  it('times out by the clock when frames stop coming (tick)', () => {
    const c = new Challenge('c1', ['nod', 'blink'], 0, { yaw: 0, pitch: 0 }, 's', 1, cfg);
    c.start();
    expect(c.tick(4999)).toEqual([]);
    expect(c.tick(5001).map((u) => u.type)).toEqual(['challenge.step_failed', 'challenge.finished']);
    expect(c.report().steps[0]).toMatchObject({ status: 'failed', reason: 'no_face' });
  });

  it('turn_right needs yaw to grow by ≥ 20° (positive yaw = the subject turns to their own right)', () => {
    expect(run(['turn_right'], yawAt(1000, 28)).result.status).toBe('passed');
    expect(run(['turn_right'], yawAt(1000, 15)).result).toEqual({ status: 'failed', reason: 'challenge_timeout' });
  });

  it('fails a turn in the wrong direction at once', () => {
    const { result, updates } = run(['turn_left', 'blink'], yawAt(1000, 30));
    expect(result).toEqual({ status: 'failed', reason: 'wrong_direction' });
    const failed = updates.find((u) => u.type === 'challenge.step_failed')!;
    expect(failed).toMatchObject({ action: 'turn_left', reason: 'wrong_direction' });
    expect(failed.at).toBeLessThan(1500);
  });

  it('measures turns from the neutral pose before the challenge, so coming back from a turn is not the opposite turn', () => {
    // the head was turned left (−25°) from the start; turning back to 0 must not pass turn_right against neutral 0
    expect(run(['turn_right'], (t) => ({ yaw: t < 1000 ? -25 : 0 })).result.status).toBe('failed');
    // neutral unknown (no frames before): taken from the step's first frames
    expect(run(['turn_right'], (t) => ({ yaw: 10 + (t > 1000 ? 25 : 0) }), 20_000, { yaw: null, pitch: null } as never).result.status).toBe('passed');
  });

  it('passes a nod (pitch down ≥ 10° then back), not a chin lift', () => {
    const nod = (t: number) => ({ pitch: t > 1000 && t < 1600 ? -15 : 0 });
    expect(run(['nod'], nod).result.status).toBe('passed');
    expect(run(['nod'], (t) => ({ pitch: t > 1000 && t < 1600 ? 15 : 0 })).result.status).toBe('failed');
    // down but never back
    expect(run(['nod'], (t) => ({ pitch: t > 1000 ? -15 : 0 })).result.status).toBe('failed');
  });

  it('passes an opened mouth held 200 ms after being seen closed; a mouth open throughout does not', () => {
    expect(run(['open_mouth'], (t) => ({ mouth: t > 1000 && t < 1500 ? 0.5 : 0.05 })).result.status).toBe('passed');
    expect(run(['open_mouth'], () => ({ mouth: 0.6 })).result.status).toBe('failed');
    expect(run(['open_mouth'], (t) => ({ mouth: t > 1000 && t < 1100 ? 0.5 : 0.05 })).result.status).toBe('failed');
  });

  it('reports no_face for a step without any face', () => {
    const { report } = run(['blink'], () => ({ face: false }));
    expect(report.steps[0]).toMatchObject({ status: 'failed', reason: 'no_face' });
  });
});
