/**
 * Operating parameters of the verification rules (docs/verification.md gives the reason for each value).
 * These are NOT face-match thresholds: the match / review / mismatch bands come only from
 * models/calibration.json (src/main/engine/calibration.ts), and identity drift uses the same bands.
 */
import { CHALLENGE_ACTIONS, type ChallengeAction } from '../../shared/signaling';

export interface VerificationConfig {
  /** face_match and face_swap need this many key-frame embeddings before they settle. */
  minKeyFrames: number;
  /** |yaw| (landmark pose) at or below which a key frame counts as frontal. */
  frontalMaxYaw: number;
  /** A calm key frame: both eyes open and the inner-lip gap / mouth width at most this. */
  calmMaxMouthOpening: number;
  /** Key frames kept for aggregation (the most recent). */
  maxKeyFrames: number;

  /** Passive liveness: p(live) at or above which a frame counts as live (bench:accuracy's operating point). */
  livenessLive: number;
  /** Fresh liveness values needed before passive_liveness settles. */
  minLivenessFrames: number;
  /** pass needs at least this share of live frames; fail needs fewer than `livenessFailShare`. */
  livenessPassShare: number;
  livenessFailShare: number;

  /** presence: a second face seen for at least this long without a break → warn. */
  secondFaceMinMs: number;
  /** presence settles after this many detection frames with exactly one face. */
  presenceMinDetections: number;

  /** Quality: issues are judged over this window; an issue counts when present in at least `qualityShare` of it. */
  qualityWindowMs: number;
  qualityShare: number;

  /** Challenge: per-step time limit; turn and nod angles; mouth; blink duration; frames in a row that must agree. */
  challengeStepTimeoutMs: number;
  /** The actions a challenge draws from (a center may leave one out, e.g. nod for a neck-injury policy). */
  challengeActions: readonly ChallengeAction[];
  challengeMinSteps: number;
  challengeMaxSteps: number;
  turnMinYaw: number;
  nodMinPitch: number;
  nodReturnPitch: number;
  mouthClosedMax: number;
  mouthOpenMin: number;
  mouthOpenHoldMs: number;
  blinkMinMs: number;
  blinkMaxMs: number;
  /** A gap between two frames longer than this breaks a blink or a hold (the motion was not seen). */
  maxFrameGapMs: number;
  /** Consecutive frames beyond a turn / nod angle before it counts (a single landmark glitch does not). */
  poseHoldFrames: number;
  /** Neutral head pose = median over this long before the challenge started. */
  baselineWindowMs: number;

  /** face_swap: blink statistics. */
  noBlinkWindowMs: number;
  regularBlinkMinBlinks: number;
  regularBlinkMaxCv: number;
  /** face_swap: a run of frames whose landmarks do not move (mean displacement in px) this long = frozen video. */
  frozenMaxDisplacementPx: number;
  frozenMinMs: number;
  frozenMinFrames: number;
  /** face_swap: the face lost right after |yaw| reached this, this many times → warn. */
  profileLossYaw: number;
  profileLossCount: number;
  /** face_swap: an agent-triggered hand-over-face test waits this long for the occlusion. */
  occlusionTimeoutMs: number;

  /** id_consistency: |claimed age − estimated age| above this → warn (never a fail). */
  maxAgeGapYears: number;
  /** id_consistency: estimates needed before age / gender are judged. */
  minAttributeEstimates: number;
  /** id_consistency: mean p(male) below / above which the gender digit disagrees. */
  genderMismatchMale: number;
  genderMismatchFemale: number;
  /** id_consistency: faces seen without any age/gender estimate before those sub-checks count as not available. */
  attributeWaitFrames: number;

  /** Observations kept for key-frame lookup, frozen detection, quality and challenges. */
  historyMs: number;
}

export const DEFAULT_VERIFICATION_CONFIG: VerificationConfig = {
  minKeyFrames: 5,
  frontalMaxYaw: 20,
  calmMaxMouthOpening: 0.15,
  maxKeyFrames: 200,

  livenessLive: 0.5,
  minLivenessFrames: 5,
  livenessPassShare: 0.8,
  livenessFailShare: 0.2,

  secondFaceMinMs: 1000,
  presenceMinDetections: 3,

  qualityWindowMs: 1000,
  qualityShare: 0.5,

  challengeStepTimeoutMs: 5000,
  challengeActions: CHALLENGE_ACTIONS,
  challengeMinSteps: 2,
  challengeMaxSteps: 3,
  turnMinYaw: 20,
  nodMinPitch: 10,
  nodReturnPitch: 5,
  mouthClosedMax: 0.15,
  mouthOpenMin: 0.35,
  mouthOpenHoldMs: 200,
  blinkMinMs: 100,
  blinkMaxMs: 500,
  maxFrameGapMs: 250,
  poseHoldFrames: 2,
  baselineWindowMs: 1000,

  noBlinkWindowMs: 20_000,
  regularBlinkMinBlinks: 5,
  regularBlinkMaxCv: 0.1,
  frozenMaxDisplacementPx: 0.02,
  frozenMinMs: 300,
  frozenMinFrames: 8,
  profileLossYaw: 25,
  profileLossCount: 2,
  occlusionTimeoutMs: 8000,

  maxAgeGapYears: 12,
  minAttributeEstimates: 5,
  genderMismatchMale: 0.2,
  genderMismatchFemale: 0.8,
  attributeWaitFrames: 30,

  historyMs: 3000,
};
