import { describe, expect, it } from 'vitest';
import type { FrameAnalysis } from '../../../src/shared/engine';
import { AppFailure } from '../../../src/shared/errors';
import { idCheckDigit } from '../../../src/shared/id-number';
import { VerificationEventSchema, VerificationReportSchema, qaSummary, type ChallengeAction, type VerificationEvent } from '../../../src/shared/verification';
import { VerificationSession, type VerificationSessionOptions } from '../../../src/main/verification/session';
import { TestClock, calibration, frame, frames, idPhoto, identity, sample, seededRandom, type FrameSpec } from './builder';

const A = identity(21);
const B = identity(22);
const first17 = '11010519900307123';
const ID_NUMBER = first17 + idCheckDigit(first17);

function setup(options: Partial<VerificationSessionOptions> = {}) {
  const clock = new TestClock(0);
  const session = new VerificationSession({ serviceType: 'transact', calibration: calibration(), clock, random: seededRandom(7), date: () => new Date(2026, 5, 1), ...options });
  const events: VerificationEvent[] = [];
  session.onEvent((e) => events.push(e));
  const feed = (list: FrameAnalysis[]) => {
    for (const f of list) {
      clock.t = f.capturedAt;
      session.onFrame(f);
    }
  };
  return { clock, session, events, feed };
}

/** A cooperative live face of `who`: moving landmarks, a key frame every 100 ms, blinking every ~3.7 s. */
const live = (who: number[], extra: (t: number) => Omit<FrameSpec, 't'> = () => ({})) => (t: number, i: number) => ({
  ...(i % 3 === 0 ? { embedding: sample(who, i) } : {}),
  live: i % 6 === 0 ? 0.97 : undefined,
  eyesOpen: !(t % 3700 > 3500),
  ...extra(t),
});

/** What a cooperative customer does for each challenge action, `ms` after the step started. */
function perform(action: ChallengeAction, ms: number): Omit<FrameSpec, 't'> {
  const during = ms > 600 && ms < 900;
  switch (action) {
    case 'blink':
      return { eyesOpen: !during };
    case 'turn_left':
      return { yaw: ms > 600 && ms < 1300 ? -30 : 0 };
    case 'turn_right':
      return { yaw: ms > 600 && ms < 1300 ? 30 : 0 };
    case 'nod':
      return { pitch: during ? -15 : 0 };
    case 'open_mouth':
      return { mouth: ms > 600 && ms < 1100 ? 0.5 : 0.05 };
  }
}

const states = (events: VerificationEvent[]) => events.filter((e) => e.type === 'state.changed').map((e) => (e as { to: string }).to);

describe('verification session: the state machine', () => {
  it('goes awaiting_id → id_ready → observing → verdict → challenge → verdict, and a cooperative customer passes transact', () => {
    const { session, events, feed, clock } = setup();
    expect(session.state).toBe('awaiting_id');
    session.setIdPhoto(idPhoto(A));
    session.setIdNumber(ID_NUMBER);
    expect(session.state).toBe('id_ready');
    feed(frames(0, 3000, live(A)));
    expect(session.state).toBe('verdict');
    expect(session.report()).toMatchObject({ advice: 'review', state: 'verdict' });

    const plan = session.startChallenge();
    expect(session.state).toBe('challenge');
    expect(plan.steps.length).toBeGreaterThanOrEqual(2);
    const started = events.find((e) => e.type === 'challenge.started')!;
    expect(started).toMatchObject({ challengeId: 'challenge-1', attempt: 1 });
    // the customer follows each instruction as it appears
    for (let t = clock.t + 33; session.state === 'challenge' && t < clock.t + 20_000; t += 1000 / 30) {
      const c = session.report().challenge!;
      const step = c.steps[c.current!]!;
      clock.t = t;
      session.onFrame(frame({ t, ...live(A, () => perform(step.action, t - step.startedAt!))(t, Math.round(t / 33.3)), ...perform(step.action, t - step.startedAt!) }));
    }
    expect(session.report().checks.find((c) => c.id === 'active_liveness')).toMatchObject({ status: 'pass', reason: 'challenge_passed' });
    const code = session.issueSpokenCode();
    expect(code).toMatch(/^\d{4}$/);
    expect(session.report().spokenCode).toMatchObject({ status: 'pending', reason: 'awaiting_confirmation', code });
    session.confirmSpokenCode(true);
    feed(frames(clock.t + 33, clock.t + 1000, live(A)));

    const report = session.report();
    expect(VerificationReportSchema.parse(report)).toEqual(report);
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['face_match', 'pass'],
      ['passive_liveness', 'pass'],
      ['active_liveness', 'pass'],
      ['face_swap', 'pass'],
      ['presence', 'pass'],
      ['id_consistency', 'pass'],
      ['quality', 'pass'],
    ]);
    expect(report).toMatchObject({ advice: 'pass', state: 'verdict', spokenCode: { status: 'pass', reason: 'confirmed' } });
    expect(states(events)).toEqual(['id_ready', 'observing', 'verdict', 'challenge', 'verdict']);
    expect(report.frames.verdictAt! - report.frames.firstFaceAt!).toBeLessThan(5000);

    // every event is valid as a case-event payload, and the step events tell the story in order
    for (const e of events) expect(VerificationEventSchema.safeParse(e).success).toBe(true);
    const challengeEvents = events.filter((e) => e.type.startsWith('challenge.')).map((e) => e.type);
    expect(challengeEvents[0]).toBe('challenge.started');
    expect(challengeEvents.at(-1)).toBe('challenge.finished');
    expect(challengeEvents.filter((t) => t === 'challenge.step_passed')).toHaveLength(plan.steps.length);
    expect(events.map((e) => e.type)).toContain('advice.changed');
    expect(events.find((e) => e.type === 'advice.changed' && e.advice === 'pass')).toBeDefined();
    expect(JSON.stringify(events)).not.toContain(ID_NUMBER);
  });

  it('fails an impostor (advice fail, with the face match as the reason)', () => {
    const { session, feed, events } = setup({ serviceType: 'query' });
    session.setIdPhoto(idPhoto(A));
    feed(frames(0, 2000, live(B)));
    const report = session.report();
    expect(report.checks[0]).toMatchObject({ id: 'face_match', status: 'fail', reason: 'below_review', band: 'mismatch' });
    expect(report).toMatchObject({ advice: 'fail', adviceReasons: [{ check: 'face_match', status: 'fail', required: true }] });
    const changed = events.find((e) => e.type === 'check.changed' && e.check.id === 'face_match' && e.check.status === 'fail');
    expect(changed).toMatchObject({ previous: { status: 'pending', reason: 'no_key_frames' } });
  });

  it('a still photo stays short of pass: frozen video flagged, the challenge times out', () => {
    const { session, feed, clock } = setup();
    session.setIdPhoto(idPhoto(A));
    const still = sample(A, 1);
    feed(frames(0, 2000, (_t, i) => ({ moving: false, live: i % 3 === 0 ? 0.99 : undefined, ...(i % 3 === 0 ? { embedding: still } : {}) })));
    expect(session.report().checks.find((c) => c.id === 'face_swap')).toMatchObject({ status: 'warn', reason: 'frozen_video' });
    session.startChallenge();
    feed(frames(clock.t + 33, clock.t + 6000, () => ({ moving: false })));
    const report = session.report();
    expect(report.checks.find((c) => c.id === 'active_liveness')).toMatchObject({ status: 'fail', reason: 'challenge_timeout' });
    expect(report.advice).toBe('fail');
    expect(report.state).toBe('verdict');
  });

  it('times a challenge step out by the clock when no frames arrive (tick)', () => {
    const { session, events, clock, feed } = setup();
    session.setIdPhoto(idPhoto(A));
    feed(frames(0, 1000, live(A)));
    session.startChallenge();
    clock.t += 4000;
    session.tick();
    expect(session.state).toBe('challenge');
    clock.t += 2000;
    session.tick();
    expect(session.state).toBe('verdict');
    expect(events.filter((e) => e.type === 'challenge.step_failed')).toMatchObject([{ reason: 'no_face' }]);
    // a second attempt starts fresh, and the latest attempt decides
    expect(session.startChallenge()).toMatchObject({ challengeId: 'challenge-2', attempt: 2, status: 'running' });
    expect(session.report().checks.find((c) => c.id === 'active_liveness')).toMatchObject({ status: 'pending', reason: 'challenge_running' });
  });

  it('looks up the pose of the key frame an embedding belongs to (it arrives on a later result)', () => {
    const { session, feed } = setup();
    session.setIdPhoto(idPhoto(A));
    // key frames at every 6th frame while the head is turned; the embedding rides on the result 2 frames later
    feed(frames(0, 3000, (t, i) => ({ yaw: i % 6 === 0 ? 35 : 0, ...(i % 6 === 2 ? { embedding: sample(A, i), embeddingAge: 2000 / 30 } : {}) })));
    const fm = session.report().checks[0]!;
    expect(fm.details).toMatchObject({ turned: { n: 15 }, frontal: { n: 0 } });
    expect(fm.evidence!.every((e) => Math.round(e.capturedAt / (1000 / 30)) % 6 === 0)).toBe(true);
  });

  it('counts the ID photo whenever it arrives; a photo without a face keeps face_match pending', () => {
    const { session, feed } = setup({ serviceType: 'query' });
    feed(frames(0, 1000, live(A)));
    expect(session.state).toBe('awaiting_id');
    session.setIdPhoto(idPhoto(null));
    expect(session.report().checks[0]).toMatchObject({ status: 'pending', reason: 'id_photo_no_face' });
    session.setIdPhoto(idPhoto(A));
    expect(session.report()).toMatchObject({ advice: 'pass', state: 'verdict' });
  });

  it('ignores other streams and out-of-order results', () => {
    const { session } = setup({ streamId: 'call-1' });
    session.onFrame(frame({ t: 100, streamId: 'agent-cam' }));
    session.onFrame(frame({ t: 100, streamId: 'call-1' }));
    session.onFrame(frame({ t: 50, streamId: 'call-1' }));
    expect(session.report().frames).toMatchObject({ analysed: 1, firstFaceAt: 100 });
  });

  it('takes the virtual-camera marker from the device label when none is given', () => {
    const { session, feed } = setup();
    session.setIdPhoto(idPhoto(A));
    feed(frames(0, 1000, live(A)));
    session.setDevice({ videoLabel: 'OBS Virtual Camera' });
    expect(session.report().checks.find((c) => c.id === 'face_swap')).toMatchObject({ status: 'warn', reason: 'virtual_camera' });
  });

  it('refuses to confirm a spoken code that was never issued', () => {
    const { session } = setup();
    expect(() => session.confirmSpokenCode(true)).toThrow(AppFailure);
  });

  it('offline (a recording without case events): challenge and spoken code are not_run, and the same input gives the same report', () => {
    const run = () => {
      const { session, feed } = setup({ mode: 'offline', serviceType: 'query' });
      session.setIdPhoto(idPhoto(A));
      feed(frames(0, 2000, live(A)));
      return session;
    };
    const s = run();
    const report = s.report();
    expect(report.checks.find((c) => c.id === 'active_liveness')).toMatchObject({ status: 'not_run', reason: 'no_case_events' });
    expect(report.spokenCode).toEqual({ status: 'not_run', reason: 'no_case_events' });
    expect(report.advice).toBe('pass');
    expect(() => s.startChallenge()).toThrow(/offline/);
    expect(() => s.issueSpokenCode()).toThrow(/offline/);
    expect(JSON.stringify(run().report())).toBe(JSON.stringify(report));
    const qa = qaSummary(report);
    expect(Object.keys(qa)).toEqual(['advice', 'checks', 'serviceType', 'challenge', 'spokenCode', 'thresholds', 'frames']);
    expect(qa.checks[0]).toEqual({ id: 'face_match', status: 'pass', reason: 'match_band', score: expect.any(Number), band: 'match', evidence: expect.any(Array) });
  });

  it('a listener that throws does not break the session', () => {
    const { session, feed } = setup();
    session.onEvent(() => {
      throw new Error('boom');
    });
    session.setIdPhoto(idPhoto(A));
    feed(frames(0, 1000, live(A)));
    expect(session.state).toBe('verdict');
  });
});
