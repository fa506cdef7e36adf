/**
 * VerificationSession: one customer's verification in one call (or one recording), as a pure state machine fed by
 * the engine's results. No timers, no I/O: time comes from an injected clock (and the frames' capturedAt, which
 * must share its time base: epoch ms live, ms from the file's start offline), randomness from an injected source.
 *
 *   awaiting_id ─setIdPhoto→ id_ready ─first face→ observing ─passive checks settled→ verdict
 *                                                      ▲  │startChallenge()        │startChallenge()
 *                                                      └──┴──── challenge ◀────────┘  (back when it ends)
 *
 * Inputs: setIdPhoto(ImageAnalysis), onFrame(FrameAnalysis), setIdNumber(raw), setDevice(report),
 * startChallenge(), issueSpokenCode() / confirmSpokenCode(ok), startOcclusionTest(), setServiceType(t), tick().
 * Outputs: report() (src/shared/verification.ts) and events (onEvent) — every status change, to be stored as case events.
 */
import type { ServiceType } from '../../shared/cases';
import type { FrameAnalysis, ImageAnalysis } from '../../shared/engine';
import { AppFailure } from '../../shared/errors';
import { virtualCameraMarker } from '../../shared/signaling';
import {
  CHECK_IDS,
  type Advice,
  type AdviceReason,
  type ChallengeReport,
  type Check,
  type CheckId,
  type SessionState,
  type VerificationEvent,
  type VerificationReport,
} from '../../shared/verification';
import type { Logger } from '../log/logger';
import type { Calibration } from '../engine/calibration';
import { REQUIRED_CHECKS, advise } from './advice';
import { Challenge, neutralPose, planChallenge, type ChallengeUpdate, type RandomSource } from './challenge';
import { DEFAULT_VERIFICATION_CONFIG, type VerificationConfig } from './config';
import { FaceMatch, type KeyFrame } from './face-match';
import { FaceSwapScreen, type DeviceInfo } from './face-swap';
import { IdConsistency } from './id-consistency';
import { History, observe, type Observation } from './observation';
import { PassiveLiveness } from './passive-liveness';
import { Presence } from './presence';
import { qualityCheck } from './quality';
import { secureRandom } from './random';
import { SpokenCode } from './spoken-code';

export interface Clock {
  /** Milliseconds in the frames' time base. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface VerificationSessionOptions {
  serviceType: ServiceType;
  /** The face-match bands (EngineService.getCalibration()). */
  calibration: Calibration;
  clock?: Clock;
  /** Default: the OS CSPRNG. A seeded source belongs in tests only. */
  random?: RandomSource;
  config?: Partial<VerificationConfig>;
  /** Only this stream's frames count (default: the first stream that sends one). */
  streamId?: string;
  /** 'offline': a recording without case events — the challenge and the spoken code are not_run ('no_case_events'). */
  mode?: 'live' | 'offline';
  /** Model name → sha256 for the report (default: fr_feature's, from the calibration). */
  modelVersions?: Record<string, string>;
  /** The date ages are computed on for id_consistency (default: the clock's now as epoch ms). */
  date?: () => Date;
  logger?: Logger;
}

/** What setDevice accepts: the call's device state (CallState.device) or the customer page's report. */
export interface DeviceInput {
  videoLabel: string;
  virtualCamera?: string | null;
  platform?: 'phone' | 'pc';
}

type Listener = (event: VerificationEvent) => void;

/** The checks whose settling makes the passive verdict (DESIGN.md §10: within 5 s of the face appearing). */
const PASSIVE: readonly CheckId[] = ['face_match', 'passive_liveness', 'presence', 'face_swap'];

export class VerificationSession {
  private readonly cfg: VerificationConfig;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly offline: boolean;
  private serviceType: ServiceType;
  private streamId: string | null;

  private readonly history: History;
  private readonly faceMatch: FaceMatch;
  private readonly liveness: PassiveLiveness;
  private readonly faceSwap: FaceSwapScreen;
  private readonly presence: Presence;
  private readonly idConsistency: IdConsistency;
  private readonly spoken: SpokenCode;
  private challenge: Challenge | null = null;
  private attempts = 0;

  private readonly listeners = new Set<Listener>();
  private checks: Check[] = [];
  private advice: { advice: Advice; reasons: AdviceReason[] } = { advice: 'pass', reasons: [] };
  private current: SessionState = 'awaiting_id';

  private frames = { analysed: 0, withFace: 0, keyFrames: 0, firstFaceAt: null as number | null, verdictAt: null as number | null };
  private lastCapturedAt = -Infinity;

  constructor(private readonly options: VerificationSessionOptions) {
    this.cfg = { ...DEFAULT_VERIFICATION_CONFIG, ...options.config };
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? secureRandom;
    this.offline = options.mode === 'offline';
    this.serviceType = options.serviceType;
    this.streamId = options.streamId ?? null;
    this.history = new History(this.cfg.historyMs);
    this.faceMatch = new FaceMatch(this.cfg);
    this.liveness = new PassiveLiveness(this.cfg);
    this.faceSwap = new FaceSwapScreen(this.cfg, options.calibration);
    this.presence = new Presence(this.cfg);
    this.idConsistency = new IdConsistency(this.cfg);
    this.spoken = new SpokenCode(this.offline);
    this.refresh(this.clock.now(), false);
  }

  get state(): SessionState {
    return this.current;
  }

  onEvent(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setServiceType(serviceType: ServiceType): void {
    this.serviceType = serviceType;
    this.refresh(this.clock.now());
  }

  /** The ID photo (or the document portrait): its best face's embedding is what face_match compares with. */
  setIdPhoto(image: ImageAnalysis): void {
    const e = image.embedding;
    this.faceMatch.setIdEmbedding(e && e.length > 0 && e.every(Number.isFinite) ? e : null);
    this.refresh(this.clock.now());
  }

  /** The claimed ID number (never stored in the report; null clears it). */
  setIdNumber(raw: string | null): void {
    this.idConsistency.setIdNumber(raw);
    this.refresh(this.clock.now());
  }

  /** The customer page's camera report (virtual-camera marker). */
  setDevice(device: DeviceInput): void {
    const info: DeviceInfo = { videoLabel: device.videoLabel, virtualCamera: device.virtualCamera === undefined ? virtualCameraMarker(device.videoLabel) : device.virtualCamera, platform: device.platform };
    this.faceSwap.setDevice(info);
    this.refresh(this.clock.now());
  }

  /** One engine result of the customer's stream (other streams and out-of-order results are ignored). */
  onFrame(analysis: FrameAnalysis): void {
    if (this.streamId === null) this.streamId = analysis.streamId;
    if (analysis.streamId !== this.streamId || !(analysis.capturedAt > this.lastCapturedAt)) return;
    this.lastCapturedAt = analysis.capturedAt;
    const o = observe(analysis);
    this.frames.analysed++;
    if (o.face) {
      this.frames.withFace++;
      this.frames.firstFaceAt ??= o.capturedAt;
    }
    this.history.push(o);
    this.liveness.add(o);
    this.presence.add(o);
    this.faceSwap.addObservation(o);
    this.idConsistency.add(o);
    const key = this.keyFrameOf(analysis, o);
    if (key) {
      this.frames.keyFrames++;
      this.faceMatch.add(key);
      this.faceSwap.addKeyFrame(key);
    }
    if (this.challenge) this.emitChallenge(this.challenge, this.challenge.onObservation(o));
    this.takeOcclusion(o.capturedAt);
    this.refresh(this.clock.now(), true, o.capturedAt);
  }

  /**
   * Starts an active challenge (2–3 random actions). While one runs it is returned as is; after one ended a new
   * attempt starts (the latest attempt decides active_liveness). The UI shows step.instructionKey to the customer.
   */
  startChallenge(): ChallengeReport {
    if (this.offline) throw new AppFailure('FORBIDDEN', 'an offline recording has no active challenge');
    if (this.challenge && !this.challenge.finished) return this.challenge.report();
    const now = this.clock.now();
    this.attempts++;
    const actions = planChallenge(this.random, this.cfg);
    const neutral = neutralPose(this.history.between(now - this.cfg.baselineWindowMs, now));
    const challenge = new Challenge(`challenge-${this.attempts}`, actions, now, neutral, this.streamId ?? '', this.attempts, this.cfg);
    this.challenge = challenge;
    this.emit({ type: 'challenge.started', at: now, challengeId: challenge.challengeId, actions: [...actions], stepTimeoutMs: this.cfg.challengeStepTimeoutMs, attempt: this.attempts });
    this.emitChallenge(challenge, challenge.start());
    this.refresh(now);
    return challenge.report();
  }

  /** A new random 4-digit code for the customer's page (replaces an earlier one). */
  issueSpokenCode(): string {
    if (this.offline) throw new AppFailure('FORBIDDEN', 'an offline recording has no spoken code');
    const now = this.clock.now();
    const code = this.spoken.issue(this.random, now);
    this.emit({ type: 'spoken_code.issued', at: now, code });
    this.refresh(now);
    return code;
  }

  /** The agent heard the code right (true) or not (false). Refused when no code was issued. */
  confirmSpokenCode(ok: boolean): void {
    const now = this.clock.now();
    if (!this.spoken.confirm(ok, now)) throw new AppFailure('FORBIDDEN', 'no spoken code was issued');
    this.emit({ type: 'spoken_code.confirmed', at: now, ok });
    this.refresh(now);
  }

  /** The agent asks for a hand over the face (face_swap sub-signal); returns the deadline. */
  startOcclusionTest(): number {
    const now = this.clock.now();
    const deadline = this.faceSwap.startOcclusionTest(now);
    this.emit({ type: 'occlusion_test.started', at: now, deadline });
    this.refresh(now);
    return deadline;
  }

  /** Lets time pass without frames (a frozen camera still times a challenge step out). Call it e.g. every 250 ms. */
  tick(): void {
    const now = this.clock.now();
    if (this.challenge) this.emitChallenge(this.challenge, this.challenge.tick(now));
    this.takeOcclusion(now);
    this.refresh(now);
  }

  report(): VerificationReport {
    const cal = this.options.calibration;
    return {
      version: 1,
      serviceType: this.serviceType,
      advice: this.advice.advice,
      adviceReasons: this.advice.reasons.map((r) => ({ ...r })),
      required: [...REQUIRED_CHECKS[this.serviceType]],
      state: this.current,
      checks: this.checks.map((c) => structuredClone(c)),
      ...(this.challenge ? { challenge: this.challenge.report() } : {}),
      spokenCode: this.spoken.report(),
      modelVersions: { ...(this.options.modelVersions ?? { fr_feature: cal.modelSha256 }) },
      thresholds: {
        faceMatch: { match: cal.matchThreshold, mismatch: cal.mismatchThreshold, modelSha256: cal.modelSha256, source: `models/calibration.json (${cal.createdAt})` },
        config: { ...this.cfg },
      },
      frames: { ...this.frames },
    };
  }

  private keyFrameOf(a: FrameAnalysis, o: Observation): KeyFrame | null {
    const e = a.embedding;
    if (!a.primary || !e || e.length === 0 || !e.every(Number.isFinite)) return null;
    const at = a.capturedAt - (a.ages.embedding ?? 0);
    const k = this.history.at(at) ?? (a.ages.embedding ? undefined : o);
    return {
      streamId: a.streamId,
      capturedAt: at,
      embedding: e,
      yaw: k?.yaw ?? null,
      calm: k ? k.eyesOpen === true && k.mouthOpening !== null && k.mouthOpening <= this.cfg.calmMaxMouthOpening : null,
    };
  }

  private computeChecks(): Check[] {
    const now = this.clock.now();
    const last = this.history.last();
    const window = last ? this.history.between(last.capturedAt - this.cfg.qualityWindowMs, last.capturedAt) : [];
    const byId: Record<CheckId, Check> = {
      face_match: this.faceMatch.check(this.options.calibration),
      passive_liveness: this.liveness.check(),
      active_liveness: this.activeCheck(),
      face_swap: this.faceSwap.check(this.faceMatch.scored()),
      presence: this.presence.check(),
      id_consistency: this.idConsistency.check(this.options.date ? this.options.date() : new Date(now)),
      quality: qualityCheck(window, this.cfg),
    };
    return CHECK_IDS.map((id) => byId[id]);
  }

  private activeCheck(): Check {
    const c = this.challenge;
    if (!c) return { id: 'active_liveness', status: 'not_run', reason: this.offline ? 'no_case_events' : 'not_started' };
    const r = c.report();
    const details = { attempt: r.attempt, actions: r.steps.map((s) => s.action), steps: r.steps.map((s) => ({ action: s.action, status: s.status, reason: s.reason ?? null })) };
    const evidence = r.steps.flatMap((s) => s.evidence ?? []);
    const { status, reason } = c.result;
    return {
      id: 'active_liveness',
      status: status === 'running' ? 'pending' : status === 'passed' ? 'pass' : 'fail',
      reason,
      ...(evidence.length ? { evidence } : {}),
      details,
    };
  }

  private deriveState(): SessionState {
    if (this.challenge && !this.challenge.finished) return 'challenge';
    if (!this.faceMatch.hasId) return 'awaiting_id';
    if (this.frames.firstFaceAt === null) return 'id_ready';
    const settled = PASSIVE.every((id) => this.checks.find((c) => c.id === id)?.status !== 'pending');
    return settled ? 'verdict' : 'observing';
  }

  /** Recomputes every check, the advice and the state; emits what changed. */
  private refresh(at: number, emit = true, frameAt?: number): void {
    const before = this.checks;
    this.checks = this.computeChecks();
    const previousAdvice = this.advice.advice;
    this.advice = advise(this.serviceType, this.checks, this.spoken.report());
    const previousState = this.current;
    this.current = this.deriveState();
    if (this.current === 'verdict' && this.frames.verdictAt === null) this.frames.verdictAt = frameAt ?? at;
    if (!emit) return;
    for (const c of this.checks) {
      const old = before.find((b) => b.id === c.id);
      if (old && (old.status !== c.status || old.reason !== c.reason)) this.emit({ type: 'check.changed', at, check: structuredClone(c), previous: { status: old.status, reason: old.reason } });
    }
    if (this.advice.advice !== previousAdvice) this.emit({ type: 'advice.changed', at, advice: this.advice.advice, previous: previousAdvice, reasons: this.advice.reasons.map((r) => ({ ...r })) });
    if (this.current !== previousState) this.emit({ type: 'state.changed', at, from: previousState, to: this.current });
  }

  private emitChallenge(c: Challenge, updates: ChallengeUpdate[]): void {
    for (const u of updates) this.emit({ ...u, challengeId: c.challengeId });
  }

  private takeOcclusion(now: number): void {
    const r = this.faceSwap.takeOcclusionResult(now);
    if (r) this.emit({ type: 'occlusion_test.finished', at: now, status: r.status, reason: r.reason });
  }

  private emit(event: VerificationEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (error) {
        this.options.logger?.warn({ err: error, event: event.type }, 'verification listener failed');
      }
    }
  }
}
