/**
 * face_swap: signals that the face on camera may be synthetic or injected (DESIGN.md §6). A live swap wears the
 * ID holder's face and passes face_match by construction; these are the things it does badly:
 *
 *  - identity_drift / identity_unstable: a key frame's embedding against the session's own reference (the mean
 *    of its first minKeyFrames key frames) falls in the calibration's *mismatch* band — a different person.
 *    Two such key frames → fail, one → warn. Also: ≥ 2 key frames in the match band and ≥ 2 in the mismatch band
 *    against the ID photo, among the frontal ones, in one session (two people) → identity_drift.
 *  - profile_mismatch: the turned key frames (|yaw| > frontalMaxYaw) are in the mismatch band against the ID photo
 *    while the frontal ones are in the match band (swaps break at profile angles) → warn.
 *  - profile_face_lost: the face was lost right after |yaw| ≥ profileLossYaw, profileLossCount times → warn.
 *  - frozen_video: the landmarks did not move at all (≤ frozenMaxDisplacementPx) for ≥ frozenMinMs and
 *    frozenMinFrames frames — an injected still image or a frozen feed; a camera always jitters → warn.
 *  - no_blinks: no blink for noBlinkWindowMs of face time (clears at the next blink); regular_blinks: ≥ 5 blinks
 *    at machine-regular intervals (coefficient of variation < regularBlinkMaxCv) → warn. Pending until there is
 *    that much face time.
 *  - virtual_camera: the customer page reported a virtual-camera label → warn.
 *  - occlusion_not_observed: the agent asked for a hand over the face and no occlusion was seen in time → warn.
 *
 * Overall: pending until minKeyFrames key frames; the worst signal otherwise ('no_signals' = pass).
 */
import type { Check, CheckStatus, EvidenceRef, ReasonCode } from '../../shared/verification';
import { cosine, l2normalize } from '../engine/cosine';
import { BlinkJudge } from './challenge';
import type { VerificationConfig } from './config';
import type { KeyFrame, Scored, Thresholds } from './face-match';
import { landmarkMotion, median, type Observation } from './observation';

export interface DeviceInfo {
  /** The camera label the customer page reported. */
  videoLabel: string;
  /** The virtual-camera marker its label matched (signaling.ts virtualCameraMarker), or null. */
  virtualCamera: string | null;
  platform?: 'phone' | 'pc';
}

export type SignalId = 'identity' | 'profile' | 'profile_loss' | 'frozen' | 'blinks' | 'virtual_camera' | 'occlusion';

export interface Signal {
  id: SignalId;
  status: CheckStatus;
  reason: string;
  evidence?: EvidenceRef[];
  details?: Record<string, unknown>;
}

/** Which warning names the check when several fire (most telling first). */
const PRIORITY = ['identity_drift', 'frozen_video', 'virtual_camera', 'identity_unstable', 'profile_mismatch', 'profile_face_lost', 'no_blinks', 'regular_blinks', 'occlusion_not_observed'];

const ref = (o: { streamId: string; capturedAt: number }, kind: EvidenceRef['kind']): EvidenceRef => ({ streamId: o.streamId, capturedAt: o.capturedAt, kind });

export class FaceSwapScreen {
  private readonly first: KeyFrame[] = [];
  private reference: Float32Array | null = null;
  private drifted: KeyFrame[] = [];
  private driftMin: number | null = null;
  private keyFrames = 0;

  private previous: Observation | null = null;
  private stillRun: Observation[] = [];
  private frozen: { from: Observation; ms: number; frames: number } | null = null;
  private profileLosses: Observation[] = [];

  private readonly blinkJudge: BlinkJudge;
  private blinks: number[] = [];
  private faceTimeMs = 0;
  private faceTimeSinceBlinkMs = 0;
  private longestWithoutBlinkMs = 0;
  private lastFaceAt: number | null = null;

  private device: DeviceInfo | null = null;
  private occlusion: { state: 'idle' } | { state: 'waiting'; deadline: number; occludedAt: Observation | null } | { state: 'done'; status: 'pass' | 'warn'; reason: string; evidence: EvidenceRef[] } = { state: 'idle' };

  constructor(
    private readonly cfg: VerificationConfig,
    private readonly thresholds: Thresholds,
  ) {
    this.blinkJudge = new BlinkJudge(cfg);
  }

  addKeyFrame(k: KeyFrame): void {
    this.keyFrames++;
    if (!this.reference) {
      this.first.push(k);
      if (this.first.length < this.cfg.minKeyFrames) return;
      const sum = new Float64Array(k.embedding.length);
      for (const f of this.first) for (let i = 0; i < sum.length; i++) sum[i]! += f.embedding[i] ?? 0;
      this.reference = l2normalize(sum);
      for (const f of this.first) this.scoreDrift(f);
      return;
    }
    this.scoreDrift(k);
  }

  addObservation(o: Observation): void {
    const prev = this.previous;
    this.previous = o;
    // profile loss: the face disappears right after a strongly turned frame
    if (!o.face && prev?.face && prev.yaw !== null && Math.abs(prev.yaw) >= this.cfg.profileLossYaw) this.profileLosses.push(prev);
    this.trackFrozen(prev, o);
    this.trackBlinks(o);
    this.trackOcclusion(o);
  }

  setDevice(device: DeviceInfo): void {
    this.device = device;
  }

  /** The agent asks the customer to pass a hand over the face; returns the deadline. */
  startOcclusionTest(now: number): number {
    const deadline = now + this.cfg.occlusionTimeoutMs;
    this.occlusion = { state: 'waiting', deadline, occludedAt: null };
    return deadline;
  }

  /** A finished occlusion test (for the session's event), once. */
  takeOcclusionResult(now: number): { status: 'pass' | 'warn'; reason: string } | null {
    if (this.occlusion.state === 'waiting' && now > this.occlusion.deadline) {
      this.occlusion = { state: 'done', status: 'warn', reason: 'occlusion_not_observed', evidence: [] };
      return { status: 'warn', reason: 'occlusion_not_observed' };
    }
    if (this.occlusion.state === 'done' && !this.occlusionReported) {
      this.occlusionReported = true;
      return { status: this.occlusion.status, reason: this.occlusion.reason };
    }
    return null;
  }
  private occlusionReported = false;

  check(idScores: ReadonlyArray<Readonly<Scored>>): Check {
    const signals = this.signals(idScores);
    const details = { signals, keyFrames: this.keyFrames };
    if (!this.reference) return { id: 'face_swap', status: 'pending', reason: 'no_key_frames', details: { ...details, needed: this.cfg.minKeyFrames } };
    const bad = signals.filter((s) => s.status === 'fail' || s.status === 'warn');
    const status: CheckStatus = bad.some((s) => s.status === 'fail') ? 'fail' : bad.length ? 'warn' : 'pass';
    const reason = (bad.map((s) => s.reason).sort((a, b) => PRIORITY.indexOf(a) - PRIORITY.indexOf(b))[0] ?? 'no_signals') as ReasonCode;
    const evidence = bad.flatMap((s) => s.evidence ?? []).slice(0, 6);
    return { id: 'face_swap', status, reason, ...(this.driftMin === null ? {} : { score: this.driftMin }), ...(evidence.length ? { evidence } : {}), details };
  }

  private signals(idScores: ReadonlyArray<Readonly<Scored>>): Signal[] {
    const out: Signal[] = [];
    const t = this.thresholds;

    // Against the ID photo too: key frames in the match band AND key frames in the mismatch band in one session are
    // two people (a switch, or a swap that breaks now and then), whatever the session's own mean says — with
    // frequent switches that mean lies between the two faces and hides the drift from the session reference.
    // frontal key frames only: a turned face may fall out of the band against a frontal ID photo (the profile signal)
    const scored = idScores.filter((s): s is Scored & { similarity: number } => s.similarity !== null && s.yaw !== null && Math.abs(s.yaw) <= this.cfg.frontalMaxYaw);
    const idMatch = scored.filter((s) => s.similarity >= t.matchThreshold);
    const idMismatch = scored.filter((s) => s.similarity < t.mismatchThreshold);
    const split = idMatch.length >= 2 && idMismatch.length >= 2;
    const drifted = split ? [...this.drifted, ...idMismatch.filter((k) => !this.drifted.includes(k))] : this.drifted;
    const d = drifted.length;
    out.push({
      id: 'identity',
      status: !this.reference ? 'pending' : d >= 2 ? 'fail' : d === 1 ? 'warn' : 'pass',
      reason: !this.reference ? 'no_key_frames' : d >= 2 ? 'identity_drift' : d === 1 ? 'identity_unstable' : 'stable',
      ...(d ? { evidence: drifted.slice(0, 3).map((k) => ref(k, 'identity_drift')) } : {}),
      details: {
        driftedKeyFrames: d,
        minSimilarityToSession: this.driftMin,
        mismatchThreshold: t.mismatchThreshold,
        idMatchKeyFrames: idMatch.length,
        idMismatchKeyFrames: idMismatch.length,
      },
    });

    const withId = idScores.filter((s): s is Scored & { similarity: number } => s.similarity !== null && s.yaw !== null);
    const turned = withId.filter((s) => Math.abs(s.yaw!) > this.cfg.frontalMaxYaw);
    const frontal = withId.filter((s) => Math.abs(s.yaw!) <= this.cfg.frontalMaxYaw);
    const turnedMedian = median(turned.map((s) => s.similarity));
    const frontalMedian = median(frontal.map((s) => s.similarity));
    const profileBad = turned.length >= 2 && turnedMedian! < t.mismatchThreshold && frontalMedian !== null && frontalMedian >= t.matchThreshold;
    out.push({
      id: 'profile',
      status: withId.length === 0 ? 'pending' : profileBad ? 'warn' : turned.length < 2 ? 'pending' : 'pass',
      reason: profileBad ? 'profile_mismatch' : turned.length < 2 ? 'no_turned_key_frames' : 'consistent',
      ...(profileBad ? { evidence: turned.slice(0, 3).map((k) => ref(k, 'profile')) } : {}),
      details: { turned: turned.length, turnedMedian, frontal: frontal.length, frontalMedian },
    });

    const losses = this.profileLosses.length;
    out.push({
      id: 'profile_loss',
      status: losses >= this.cfg.profileLossCount ? 'warn' : 'pass',
      reason: losses >= this.cfg.profileLossCount ? 'profile_face_lost' : 'none',
      ...(losses >= this.cfg.profileLossCount ? { evidence: this.profileLosses.slice(0, 3).map((o) => ref(o, 'profile')) } : {}),
      details: { losses },
    });

    out.push({
      id: 'frozen',
      status: this.frozen ? 'warn' : 'pass',
      reason: this.frozen ? 'frozen_video' : 'moving',
      ...(this.frozen ? { evidence: [ref(this.frozen.from, 'frozen')] } : {}),
      details: this.frozen ? { ms: this.frozen.ms, frames: this.frozen.frames } : {},
    });

    out.push(this.blinkSignal());

    const vc = this.device?.virtualCamera ?? null;
    out.push({
      id: 'virtual_camera',
      status: !this.device ? 'not_run' : vc ? 'warn' : 'pass',
      reason: !this.device ? 'no_device_report' : vc ? 'virtual_camera' : 'none',
      details: this.device ? { marker: vc, platform: this.device.platform ?? null } : {},
    });

    const occ = this.occlusion;
    out.push(
      occ.state === 'idle'
        ? { id: 'occlusion', status: 'not_run', reason: 'not_requested' }
        : occ.state === 'waiting'
          ? { id: 'occlusion', status: 'pending', reason: 'waiting', details: { deadline: occ.deadline } }
          : { id: 'occlusion', status: occ.status, reason: occ.reason, ...(occ.evidence.length ? { evidence: occ.evidence } : {}) },
    );
    return out;
  }

  private blinkSignal(): Signal {
    const n = this.blinks.length;
    const intervals = this.blinks.slice(1).map((t, i) => t - this.blinks[i]!);
    const mean = intervals.length ? intervals.reduce((a, b) => a + b, 0) / intervals.length : 0;
    const cv = intervals.length && mean > 0 ? Math.sqrt(intervals.reduce((a, b) => a + (b - mean) ** 2, 0) / intervals.length) / mean : null;
    const details = { blinks: n, faceTimeMs: Math.round(this.faceTimeMs), sinceLastBlinkMs: Math.round(this.faceTimeSinceBlinkMs), longestWithoutBlinkMs: Math.round(this.longestWithoutBlinkMs), intervalCv: cv };
    if (this.faceTimeSinceBlinkMs >= this.cfg.noBlinkWindowMs) return { id: 'blinks', status: 'warn', reason: 'no_blinks', details };
    if (n >= this.cfg.regularBlinkMinBlinks && cv !== null && cv < this.cfg.regularBlinkMaxCv) return { id: 'blinks', status: 'warn', reason: 'regular_blinks', details };
    if (n === 0 && this.faceTimeMs < this.cfg.noBlinkWindowMs) return { id: 'blinks', status: 'pending', reason: 'observing', details };
    return { id: 'blinks', status: 'pass', reason: 'natural', details };
  }

  private scoreDrift(k: KeyFrame): void {
    const sim = cosine(k.embedding, this.reference!);
    this.driftMin = this.driftMin === null ? sim : Math.min(this.driftMin, sim);
    if (sim < this.thresholds.mismatchThreshold) this.drifted.push(k);
  }

  private trackFrozen(prev: Observation | null, o: Observation): void {
    const motion = prev ? landmarkMotion(prev, o) : null;
    if (motion === null || motion > this.cfg.frozenMaxDisplacementPx || o.capturedAt - prev!.capturedAt > this.cfg.maxFrameGapMs) {
      this.stillRun = o.landmarks ? [o] : [];
      return;
    }
    this.stillRun.push(o);
    const ms = o.capturedAt - this.stillRun[0]!.capturedAt;
    if (ms >= this.cfg.frozenMinMs && this.stillRun.length >= this.cfg.frozenMinFrames) {
      if (!this.frozen || this.frozen.from === this.stillRun[0]) this.frozen = { from: this.stillRun[0]!, ms, frames: this.stillRun.length };
    }
  }

  private trackBlinks(o: Observation): void {
    if (o.face && this.lastFaceAt !== null) {
      const gap = o.capturedAt - this.lastFaceAt;
      if (gap > 0 && gap <= this.cfg.maxFrameGapMs) {
        this.faceTimeMs += gap;
        this.faceTimeSinceBlinkMs += gap;
        this.longestWithoutBlinkMs = Math.max(this.longestWithoutBlinkMs, this.faceTimeSinceBlinkMs);
      }
    }
    this.lastFaceAt = o.face ? o.capturedAt : this.lastFaceAt;
    if (this.blinkJudge.feed(o)?.result === 'pass') {
      this.blinks.push(o.capturedAt);
      this.faceTimeSinceBlinkMs = 0;
    }
  }

  private trackOcclusion(o: Observation): void {
    const occ = this.occlusion;
    if (occ.state !== 'waiting' || o.capturedAt > occ.deadline) return;
    const covered = !o.face || o.qualityIssues.includes('occluded');
    if (covered) occ.occludedAt ??= o;
    else if (occ.occludedAt) {
      this.occlusion = { state: 'done', status: 'pass', reason: 'occlusion_seen', evidence: [ref(occ.occludedAt, 'occlusion'), ref(o, 'occlusion')] };
    }
  }
}
