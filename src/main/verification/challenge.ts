/**
 * active_liveness: a random sequence of 2–3 actions, each with a time limit, judged on the every-frame fields
 * (eyes, landmark pose, mouth opening — always fresh on a frame with a face).
 *
 *  - blink: open → closed → open; the closure lasted blinkMinMs..blinkMaxMs (see BlinkJudge for the bounds).
 *  - turn_left / turn_right: the customer's own left / right. Positive yaw = nose towards the image's left =
 *    the subject turned to their own right, so turn_right needs yaw ≥ neutral + turnMinYaw and turn_left
 *    yaw ≤ neutral − turnMinYaw, for poseHoldFrames frames in a row; the same change the other way fails the step
 *    at once ('wrong_direction').
 *  - nod: pitch (positive = chin up) ≤ neutral − nodMinPitch for poseHoldFrames frames, then back to ≥ neutral − nodReturnPitch.
 *  - open_mouth: the mouth seen closed (≤ mouthClosedMax) in the step, then open (≥ mouthOpenMin) for mouthOpenHoldMs.
 *
 * Neutral = the median landmark pose over baselineWindowMs before the challenge (else the first frames of the step).
 * A still photo or a frozen video never changes, so every step ends in 'timeout'.
 */
import { CHALLENGE_ACTIONS, CHALLENGE_INSTRUCTION_KEY, type ChallengeAction, type ChallengeReport, type ChallengeStep, type EvidenceRef, type StepReason } from '../../shared/verification';
import type { VerificationConfig } from './config';
import { median, type Observation } from './observation';

/** A uniform random number in [0, 1). Production: random.ts (crypto); tests may pass a seeded one. */
export type RandomSource = () => number;

export function planChallenge(random: RandomSource, cfg: VerificationConfig): ChallengeAction[] {
  const actions = cfg.challengeActions.length > 0 ? [...new Set(cfg.challengeActions)] : [...CHALLENGE_ACTIONS];
  for (let i = actions.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [actions[i], actions[j]] = [actions[j]!, actions[i]!];
  }
  const span = cfg.challengeMaxSteps - cfg.challengeMinSteps + 1;
  const count = cfg.challengeMinSteps + Math.min(span - 1, Math.floor(random() * span));
  return actions.slice(0, Math.min(count, actions.length));
}

export interface Neutral {
  yaw: number | null;
  pitch: number | null;
}

export function neutralPose(observations: readonly Observation[]): Neutral {
  const faces = observations.filter((o) => o.face);
  return { yaw: median(faces.flatMap((o) => (o.yaw === null ? [] : [o.yaw]))), pitch: median(faces.flatMap((o) => (o.pitch === null ? [] : [o.pitch]))) };
}

export type Verdict = { result: 'pass' | 'wrong_direction'; evidence: Observation[] } | null;

interface Judge {
  feed(o: Observation): Verdict;
}

/** Takes the neutral pose from the challenge's baseline, or from the step's first 3 frames with a pose. */
class LazyNeutral {
  private early: Observation[] = [];
  constructor(private value: Neutral) {}
  get(o: Observation, key: 'yaw' | 'pitch'): number | null {
    if (this.value[key] !== null) return this.value[key];
    if (o[key] !== null && this.early.length < 3) this.early.push(o);
    if (this.early.length < 3) return null;
    this.value = neutralPose(this.early);
    return this.value[key];
  }
}

/**
 * open → closed → open. The true closure d lies between inner (first closed → first open again) and outer (last
 * open before → first open again); pass when outer ≥ blinkMinMs and inner ≤ blinkMaxMs. At 30 frames/s a single
 * closed frame (a glitch, outer ≈ 67 ms) does not count; at 15 frames/s it may (outer ≈ 133 ms).
 */
export class BlinkJudge implements Judge {
  private lastOpen: Observation | null = null;
  private firstClosed: Observation | null = null;
  private lastT: number | null = null;
  constructor(private readonly cfg: VerificationConfig) {}

  feed(o: Observation): Verdict {
    const gap = this.lastT === null ? 0 : o.capturedAt - this.lastT;
    this.lastT = o.capturedAt;
    if (!o.face || o.eyesOpen === null || gap > this.cfg.maxFrameGapMs) {
      this.lastOpen = null;
      this.firstClosed = null;
      if (!o.face || o.eyesOpen === null) return null;
    }
    if (o.eyesOpen) {
      if (this.lastOpen && this.firstClosed) {
        const inner = o.capturedAt - this.firstClosed.capturedAt;
        const outer = o.capturedAt - this.lastOpen.capturedAt;
        const closed = this.firstClosed;
        this.firstClosed = null;
        if (outer >= this.cfg.blinkMinMs && inner <= this.cfg.blinkMaxMs) return { result: 'pass', evidence: [closed, o] };
      }
      this.lastOpen = o;
    } else if (this.lastOpen) {
      if (!this.firstClosed) this.firstClosed = o;
      else if (o.capturedAt - this.firstClosed.capturedAt > this.cfg.blinkMaxMs) {
        // eyes held closed: not a blink; wait for them to open again
        this.lastOpen = null;
        this.firstClosed = null;
      }
    }
    return null;
  }
}

class TurnJudge implements Judge {
  private run = 0;
  private wrong = 0;
  /** -1: turn_left (yaw decreases), +1: turn_right. */
  constructor(
    private readonly direction: -1 | 1,
    private readonly neutral: LazyNeutral,
    private readonly cfg: VerificationConfig,
  ) {}

  feed(o: Observation): Verdict {
    const base = o.face ? this.neutral.get(o, 'yaw') : null;
    if (!o.face || o.yaw === null || base === null) {
      this.run = this.wrong = 0;
      return null;
    }
    const change = (o.yaw - base) * this.direction;
    this.run = change >= this.cfg.turnMinYaw ? this.run + 1 : 0;
    this.wrong = -change >= this.cfg.turnMinYaw ? this.wrong + 1 : 0;
    if (this.run >= this.cfg.poseHoldFrames) return { result: 'pass', evidence: [o] };
    if (this.wrong >= this.cfg.poseHoldFrames) return { result: 'wrong_direction', evidence: [o] };
    return null;
  }
}

class NodJudge implements Judge {
  private run = 0;
  private down: Observation | null = null;
  constructor(
    private readonly neutral: LazyNeutral,
    private readonly cfg: VerificationConfig,
  ) {}

  feed(o: Observation): Verdict {
    const base = o.face ? this.neutral.get(o, 'pitch') : null;
    if (!o.face || o.pitch === null || base === null) {
      this.run = 0;
      return null;
    }
    const change = o.pitch - base;
    if (!this.down) {
      this.run = change <= -this.cfg.nodMinPitch ? this.run + 1 : 0;
      if (this.run >= this.cfg.poseHoldFrames) this.down = o;
      return null;
    }
    return change >= -this.cfg.nodReturnPitch ? { result: 'pass', evidence: [this.down, o] } : null;
  }
}

class MouthJudge implements Judge {
  private closedSeen = false;
  private openSince: Observation | null = null;
  private lastT: number | null = null;
  constructor(private readonly cfg: VerificationConfig) {}

  feed(o: Observation): Verdict {
    const gap = this.lastT === null ? 0 : o.capturedAt - this.lastT;
    this.lastT = o.capturedAt;
    if (!o.face || o.mouthOpening === null || gap > this.cfg.maxFrameGapMs) this.openSince = null;
    if (!o.face || o.mouthOpening === null) return null;
    if (o.mouthOpening <= this.cfg.mouthClosedMax) {
      this.closedSeen = true;
      this.openSince = null;
    } else if (o.mouthOpening >= this.cfg.mouthOpenMin && this.closedSeen) {
      this.openSince ??= o;
      if (o.capturedAt - this.openSince.capturedAt >= this.cfg.mouthOpenHoldMs) return { result: 'pass', evidence: [this.openSince, o] };
    } else this.openSince = null;
    return null;
  }
}

function judgeFor(action: ChallengeAction, neutral: Neutral, cfg: VerificationConfig): Judge {
  const lazy = new LazyNeutral({ ...neutral });
  switch (action) {
    case 'blink':
      return new BlinkJudge(cfg);
    case 'turn_left':
      return new TurnJudge(-1, lazy, cfg);
    case 'turn_right':
      return new TurnJudge(1, lazy, cfg);
    case 'nod':
      return new NodJudge(lazy, cfg);
    case 'open_mouth':
      return new MouthJudge(cfg);
  }
}

export type ChallengeUpdate =
  | { type: 'challenge.step_started'; at: number; index: number; action: ChallengeAction; instructionKey: string; deadline: number }
  | { type: 'challenge.step_passed'; at: number; index: number; action: ChallengeAction; evidence: EvidenceRef[] }
  | { type: 'challenge.step_failed'; at: number; index: number; action: ChallengeAction; reason: StepReason; evidence: EvidenceRef[] }
  | { type: 'challenge.finished'; at: number; status: 'passed' | 'failed'; reason: 'challenge_passed' | 'challenge_timeout' | 'wrong_direction' };

interface RunningStep {
  judge: Judge;
  facesSeen: number;
  lastFace: Observation | null;
}

export class Challenge {
  private readonly steps: ChallengeStep[];
  private current = -1;
  private running: RunningStep | null = null;
  private endedAt: number | undefined;
  private status: ChallengeReport['status'] = 'running';
  private finishReason: 'challenge_passed' | 'challenge_timeout' | 'wrong_direction' | null = null;

  constructor(
    readonly challengeId: string,
    readonly actions: readonly ChallengeAction[],
    private readonly startedAt: number,
    private readonly neutral: Neutral,
    private readonly streamId: string,
    private readonly attempt: number,
    private readonly cfg: VerificationConfig,
  ) {
    this.steps = actions.map((action) => ({ action, instructionKey: CHALLENGE_INSTRUCTION_KEY[action], status: 'waiting' }));
  }

  get finished(): boolean {
    return this.status !== 'running';
  }

  get result(): { status: ChallengeReport['status']; reason: 'challenge_passed' | 'challenge_timeout' | 'wrong_direction' | 'challenge_running' } {
    return { status: this.status, reason: this.finishReason ?? 'challenge_running' };
  }

  /** Starts the first step. */
  start(): ChallengeUpdate[] {
    return this.startStep(0, this.startedAt);
  }

  onObservation(o: Observation): ChallengeUpdate[] {
    const step = this.steps[this.current];
    if (!this.running || !step || this.finished) return [];
    if (o.capturedAt < step.startedAt!) return [];
    if (o.capturedAt > step.deadline!) return this.timeout(step.deadline!);
    if (o.face) {
      this.running.facesSeen++;
      this.running.lastFace = o;
    }
    const verdict = this.running.judge.feed(o);
    if (!verdict) return [];
    const evidence = verdict.evidence.map((e) => this.ref(e));
    if (verdict.result === 'wrong_direction') return this.failStep(o.capturedAt, 'wrong_direction', evidence);
    step.status = 'passed';
    step.reason = 'passed';
    step.endedAt = o.capturedAt;
    step.evidence = evidence;
    const out: ChallengeUpdate[] = [{ type: 'challenge.step_passed', at: o.capturedAt, index: this.current, action: step.action, evidence }];
    if (this.current + 1 < this.steps.length) return [...out, ...this.startStep(this.current + 1, o.capturedAt)];
    this.running = null;
    this.status = 'passed';
    this.finishReason = 'challenge_passed';
    this.endedAt = o.capturedAt;
    return [...out, { type: 'challenge.finished', at: o.capturedAt, status: 'passed', reason: 'challenge_passed' }];
  }

  /** Time passes without frames (the camera froze or stopped): the step times out at its deadline. */
  tick(now: number): ChallengeUpdate[] {
    const step = this.steps[this.current];
    if (!this.running || !step || this.finished || now <= step.deadline!) return [];
    return this.timeout(step.deadline!);
  }

  report(): ChallengeReport {
    return {
      challengeId: this.challengeId,
      status: this.status,
      steps: this.steps.map((s) => ({ ...s, ...(s.evidence ? { evidence: [...s.evidence] } : {}) })),
      current: this.finished ? null : this.current,
      startedAt: this.startedAt,
      ...(this.endedAt === undefined ? {} : { endedAt: this.endedAt }),
      attempt: this.attempt,
    };
  }

  private startStep(index: number, at: number): ChallengeUpdate[] {
    const step = this.steps[index]!;
    this.current = index;
    step.status = 'running';
    step.startedAt = at;
    step.deadline = at + this.cfg.challengeStepTimeoutMs;
    this.running = { judge: judgeFor(step.action, this.neutral, this.cfg), facesSeen: 0, lastFace: null };
    return [{ type: 'challenge.step_started', at, index, action: step.action, instructionKey: step.instructionKey, deadline: step.deadline }];
  }

  private timeout(deadline: number): ChallengeUpdate[] {
    const seen = this.running?.facesSeen ?? 0;
    const last = this.running?.lastFace;
    return this.failStep(deadline, seen === 0 ? 'no_face' : 'timeout', last ? [this.ref(last)] : []);
  }

  private failStep(at: number, reason: StepReason, evidence: EvidenceRef[]): ChallengeUpdate[] {
    const step = this.steps[this.current]!;
    step.status = 'failed';
    step.reason = reason;
    step.endedAt = at;
    step.evidence = evidence;
    this.running = null;
    this.status = 'failed';
    this.finishReason = reason === 'wrong_direction' ? 'wrong_direction' : 'challenge_timeout';
    this.endedAt = at;
    return [
      { type: 'challenge.step_failed', at, index: this.current, action: step.action, reason, evidence },
      { type: 'challenge.finished', at, status: 'failed', reason: this.finishReason },
    ];
  }

  private ref(o: Observation): EvidenceRef {
    return { streamId: o.streamId || this.streamId, capturedAt: o.capturedAt, kind: 'challenge_step' };
  }
}
