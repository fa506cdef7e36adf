/**
 * Verification results (DESIGN.md §6): the report the agent's UI shows, the case log stores and QA scripts
 * against, and the events a verification session emits. Plain data, no Node (main, CLI and renderer share it).
 *
 * Stability: the ids, statuses and reason codes below are a closed set. QA scripts match on them; the UI maps
 * each reason code to a sentence in Chinese or English (`reasonText` is optional and never needed). New codes
 * may be added; existing ones keep their meaning. See docs/verification.md for every rule and threshold.
 */
import { z } from 'zod';
import { SERVICE_TYPES } from './cases';
import { BANDS } from './engine';
import { CHALLENGE_ACTIONS, type ChallengeAction, type GuidanceKey } from './signaling';
import { CallIdSchema } from './call';
import { LocalTextSchema, StepIdSchema } from './scripts';

/** The checks, in the order every report lists them. */
export const CHECK_IDS = ['face_match', 'passive_liveness', 'active_liveness', 'face_swap', 'presence', 'id_consistency', 'quality'] as const;
export type CheckId = (typeof CHECK_IDS)[number];

/**
 * pass / warn (the agent should look) / fail / pending (not enough evidence yet) / not_run (nothing asked for it:
 * no challenge started, no ID number entered, or an offline recording without case events).
 */
export const CHECK_STATUSES = ['pass', 'warn', 'fail', 'pending', 'not_run'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** Stable reason codes, per check (docs/verification.md says when each is given). */
export const REASONS = {
  face_match: ['match_band', 'review_band', 'below_review', 'no_key_frames', 'no_id_photo', 'id_photo_no_face'],
  passive_liveness: ['live', 'liveness_unstable', 'spoof_suspected', 'no_liveness_frames'],
  active_liveness: ['challenge_passed', 'challenge_timeout', 'wrong_direction', 'challenge_running', 'not_started', 'no_case_events'],
  face_swap: [
    'no_signals',
    'identity_drift',
    'identity_unstable',
    'profile_mismatch',
    'profile_face_lost',
    'frozen_video',
    'no_blinks',
    'regular_blinks',
    'virtual_camera',
    'occlusion_not_observed',
    'no_key_frames',
  ],
  presence: ['single_face', 'second_face', 'no_face'],
  id_consistency: ['consistent', 'age_gap', 'gender_mismatch', 'id_format', 'check_digit', 'birth_date_invalid', 'awaiting_estimates', 'no_id_number'],
  quality: ['good', 'no_frames', 'no_face', 'partly_outside', 'too_small', 'too_dark', 'too_bright', 'low_contrast', 'blurred', 'turned', 'occluded', 'eyes_closed'],
} as const satisfies Record<CheckId, readonly string[]>;

export type ReasonCode = (typeof REASONS)[CheckId][number];
export const REASON_CODES = [...new Set(Object.values(REASONS).flat())] as [ReasonCode, ...ReasonCode[]];

/** Quality guidance codes, most important first (the first one present is the check's reason). */
export const GUIDANCE_CODES = ['no_face', 'partly_outside', 'too_small', 'too_dark', 'too_bright', 'low_contrast', 'blurred', 'turned', 'occluded', 'eyes_closed'] as const;
export type GuidanceCode = (typeof GUIDANCE_CODES)[number];

/** What the customer page is asked to show for a guidance code (signaling.ts GUIDANCE_KEYS); null = the agent just says it. */
export const GUIDANCE_CUSTOMER_KEY: Record<GuidanceCode, GuidanceKey | null> = {
  no_face: 'face_camera',
  partly_outside: 'face_camera',
  too_small: 'come_closer',
  too_dark: 'move_to_light',
  too_bright: 'avoid_backlight',
  low_contrast: 'move_to_light',
  blurred: 'hold_still',
  turned: 'face_camera',
  occluded: 'remove_obstruction',
  eyes_closed: null,
};

/** What an evidence frame shows (the frame itself is the stream's frame at capturedAt; main stores it as evidence). */
export const EVIDENCE_KINDS = [
  'key_frame',
  'liveness_frame',
  'challenge_step',
  'second_face',
  'identity_drift',
  'profile',
  'frozen',
  'blink',
  'occlusion',
  'quality',
] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

export const EvidenceRefSchema = z.object({
  streamId: z.string(),
  /** The frame's capturedAt (epoch ms live; ms from the start of the file offline). */
  capturedAt: z.number(),
  kind: z.enum(EVIDENCE_KINDS),
});
export type EvidenceRef = z.infer<typeof EvidenceRefSchema>;

export const CheckSchema = z.object({
  id: z.enum(CHECK_IDS),
  status: z.enum(CHECK_STATUSES),
  reason: z.enum(REASON_CODES),
  /** Optional English explanation for logs and the CLI; the UI uses the reason code. */
  reasonText: z.string().optional(),
  /** The aggregated score the rule decided on (face match: cosine similarity; liveness: median p(live)). */
  score: z.number().optional(),
  /** face_match only: the calibrated band of `score`. */
  band: z.enum(BANDS).optional(),
  /** The frames the result rests on. */
  evidence: z.array(EvidenceRefSchema).optional(),
  /** Per-check numbers (counts, sub-signals, both ages …); documented in docs/verification.md, not a stable contract. */
  details: z.record(z.string(), z.unknown()).optional(),
});
export type Check = z.infer<typeof CheckSchema>;

export const ADVICES = ['pass', 'review', 'fail'] as const;
export type Advice = (typeof ADVICES)[number];

/**
 * awaiting_id: no usable ID photo yet; id_ready: ID photo set, no face seen yet; observing: frames are coming,
 * the passive checks are not settled; challenge: an active challenge runs; verdict: the passive checks have
 * settled (advice available; it still follows new frames, and a challenge may be started).
 */
export const SESSION_STATES = ['awaiting_id', 'id_ready', 'observing', 'challenge', 'verdict'] as const;
export type SessionState = (typeof SESSION_STATES)[number];

// one definition of the actions, in the data-channel protocol the customer page speaks
export { CHALLENGE_ACTIONS, type ChallengeAction };

/** The customer page's instruction for each action (the customer's own left/right). */
export const CHALLENGE_INSTRUCTION_KEY: Record<ChallengeAction, GuidanceKey> = {
  blink: 'blink',
  turn_left: 'turn_left_slowly',
  turn_right: 'turn_right_slowly',
  nod: 'nod',
  open_mouth: 'open_mouth',
};

export const STEP_STATUSES = ['waiting', 'running', 'passed', 'failed'] as const;
export const STEP_REASONS = ['passed', 'timeout', 'wrong_direction', 'no_face'] as const;
export type StepReason = (typeof STEP_REASONS)[number];

export const ChallengeStepSchema = z.object({
  action: z.enum(CHALLENGE_ACTIONS),
  instructionKey: z.string(),
  status: z.enum(STEP_STATUSES),
  reason: z.enum(STEP_REASONS).optional(),
  startedAt: z.number().optional(),
  deadline: z.number().optional(),
  endedAt: z.number().optional(),
  evidence: z.array(EvidenceRefSchema).optional(),
});
export type ChallengeStep = z.infer<typeof ChallengeStepSchema>;

export const ChallengeReportSchema = z.object({
  challengeId: z.string(),
  status: z.enum(['running', 'passed', 'failed']),
  steps: z.array(ChallengeStepSchema),
  /** Index of the running step (null when finished). */
  current: z.number().int().nullable(),
  startedAt: z.number(),
  endedAt: z.number().optional(),
  /** Challenges started in this session, this one included. */
  attempt: z.number().int(),
});
export type ChallengeReport = z.infer<typeof ChallengeReportSchema>;

export const SPOKEN_CODE_REASONS = ['confirmed', 'not_confirmed', 'awaiting_confirmation', 'not_issued', 'no_case_events'] as const;
export const SpokenCodeSchema = z.object({
  status: z.enum(['pass', 'fail', 'pending', 'not_run']),
  reason: z.enum(SPOKEN_CODE_REASONS),
  /** The 4-digit code shown on the customer's page (not secret once said aloud). */
  code: z.string().regex(/^\d{4}$/).optional(),
  issuedAt: z.number().optional(),
  confirmedAt: z.number().optional(),
});
export type SpokenCodeReport = z.infer<typeof SpokenCodeSchema>;

/** A check (or the spoken code) that made the advice what it is. */
export const AdviceReasonSchema = z.object({
  check: z.union([z.enum(CHECK_IDS), z.literal('spoken_code')]),
  status: z.enum(CHECK_STATUSES),
  reason: z.string(),
  required: z.boolean(),
});
export type AdviceReason = z.infer<typeof AdviceReasonSchema>;

export const VerificationReportSchema = z.object({
  /** Report format version (bumped only on an incompatible change). */
  version: z.literal(1),
  serviceType: z.enum(SERVICE_TYPES),
  advice: z.enum(ADVICES),
  adviceReasons: z.array(AdviceReasonSchema),
  /** The checks the service type requires (DESIGN.md §1); the others are advisory. */
  required: z.array(z.union([z.enum(CHECK_IDS), z.literal('spoken_code')])),
  state: z.enum(SESSION_STATES),
  /** Every check of CHECK_IDS, in that order. */
  checks: z.array(CheckSchema),
  challenge: ChallengeReportSchema.optional(),
  spokenCode: SpokenCodeSchema,
  /** Model files the scores came from (name → sha256). */
  modelVersions: z.record(z.string(), z.string()),
  /** Thresholds used: face-match bands from the calibration, the rest from the verification config. */
  thresholds: z.object({
    faceMatch: z.object({ match: z.number(), mismatch: z.number(), modelSha256: z.string(), source: z.string() }),
    config: z.record(z.string(), z.unknown()),
  }),
  frames: z.object({
    analysed: z.number().int(),
    withFace: z.number().int(),
    keyFrames: z.number().int(),
    /** capturedAt of the first frame with a face, and of the first 'verdict' state (same time base as the frames). */
    firstFaceAt: z.number().nullable(),
    verdictAt: z.number().nullable(),
  }),
});
export type VerificationReport = z.infer<typeof VerificationReportSchema>;

// ---- events (each becomes a case event; see docs/verification.md for the mapping) ---------------------

const at = z.number();

/**
 * How the agent reached a 话术 step: 下一步 / 上一步 (Alt+→ / Alt+←, or 返回 out of a detour), a click on a step or a
 * branch, or the step main suggested for what the engine sees. The case log keeps it so a lead can tell a step the
 * agent chose from one the desk led them to.
 */
export const SCRIPT_STEP_VIAS = ['next', 'back', 'jump', 'suggested'] as const;
export type ScriptStepVia = (typeof SCRIPT_STEP_VIAS)[number];

/** The agent moved to another step of the 话术 script (desk.scriptStep). Written by the desk, not by a session. */
export const ScriptStepEventSchema = z.object({
  type: z.literal('script.step'),
  at,
  /** The script's file name in resources/scripts/ (one script per service type), e.g. `operate.yaml`. */
  scriptId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  /** The file's revision the agent saw (absent in hand-made logs). */
  scriptVersion: z.number().int().min(1).optional(),
  stepId: StepIdSchema,
  /** The step's position in the script's step list (0-based, main and prompt steps together). */
  index: z.number().int().min(0).max(99),
  via: z.enum(SCRIPT_STEP_VIAS),
  /** The step's title as the agent saw it, so the case page can name it without the script file of the time. */
  title: LocalTextSchema.optional(),
});

/**
 * desk.scriptStep: the step now on the agent's screen and how it got there. Only the id crosses: main looks the
 * step up in the case's script (index, title, version) rather than believing the renderer.
 */
export const ScriptStepRequestSchema = z.object({ callId: CallIdSchema, stepId: StepIdSchema, via: z.enum(SCRIPT_STEP_VIAS) }).strict();

export const VerificationEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state.changed'), at, from: z.enum(SESSION_STATES), to: z.enum(SESSION_STATES) }),
  /** A check's status or reason changed (not emitted for a score that moves within the same status). */
  z.object({ type: z.literal('check.changed'), at, check: CheckSchema, previous: z.object({ status: z.enum(CHECK_STATUSES), reason: z.string() }) }),
  z.object({ type: z.literal('advice.changed'), at, advice: z.enum(ADVICES), previous: z.enum(ADVICES), reasons: z.array(AdviceReasonSchema) }),
  z.object({ type: z.literal('challenge.started'), at, challengeId: z.string(), actions: z.array(z.enum(CHALLENGE_ACTIONS)), stepTimeoutMs: z.number(), attempt: z.number().int() }),
  z.object({
    type: z.literal('challenge.step_started'),
    at,
    challengeId: z.string(),
    index: z.number().int(),
    action: z.enum(CHALLENGE_ACTIONS),
    instructionKey: z.string(),
    deadline: z.number(),
  }),
  z.object({ type: z.literal('challenge.step_passed'), at, challengeId: z.string(), index: z.number().int(), action: z.enum(CHALLENGE_ACTIONS), evidence: z.array(EvidenceRefSchema) }),
  z.object({
    type: z.literal('challenge.step_failed'),
    at,
    challengeId: z.string(),
    index: z.number().int(),
    action: z.enum(CHALLENGE_ACTIONS),
    reason: z.enum(STEP_REASONS),
    evidence: z.array(EvidenceRefSchema),
  }),
  z.object({ type: z.literal('challenge.finished'), at, challengeId: z.string(), status: z.enum(['passed', 'failed']), reason: z.enum(REASON_CODES) }),
  z.object({ type: z.literal('spoken_code.issued'), at, code: z.string().regex(/^\d{4}$/) }),
  z.object({ type: z.literal('spoken_code.confirmed'), at, ok: z.boolean() }),
  z.object({ type: z.literal('occlusion_test.started'), at, deadline: z.number() }),
  z.object({ type: z.literal('occlusion_test.finished'), at, status: z.enum(['pass', 'warn']), reason: z.string() }),
  ScriptStepEventSchema,
]);
export type VerificationEvent = z.infer<typeof VerificationEventSchema>;
export type ScriptStepEvent = Extract<VerificationEvent, { type: 'script.step' }>;

// ---- the QA summary (`veridesk verify --json`, last line) -------------------------------------------------

export const QaCheckSchema = z.object({
  id: z.enum(CHECK_IDS),
  status: z.enum(CHECK_STATUSES),
  reason: z.enum(REASON_CODES),
  score: z.number().optional(),
  band: z.enum(BANDS).optional(),
  evidence: z.array(EvidenceRefSchema).optional(),
});

/**
 * The one-line JSON QA scripts read. `advice` and `checks` are the contract; `serviceType`, `challenge`,
 * `spokenCode`, `thresholds` and `frames` are documented extras. Scores rounded to 4 decimals, evidence times
 * to 0.1 ms, so the same inputs print the same bytes. No wall-clock or processing times.
 */
export const QaSummarySchema = z.object({
  advice: z.enum(ADVICES),
  checks: z.array(QaCheckSchema),
  serviceType: z.enum(SERVICE_TYPES),
  challenge: z.object({ status: z.enum(CHECK_STATUSES), reason: z.enum(REASON_CODES) }),
  spokenCode: z.object({ status: SpokenCodeSchema.shape.status, reason: z.enum(SPOKEN_CODE_REASONS) }),
  thresholds: z.object({ match: z.number(), mismatch: z.number() }),
  frames: z.object({ analysed: z.number().int(), withFace: z.number().int(), keyFrames: z.number().int() }),
});
export type QaSummary = z.infer<typeof QaSummarySchema>;

const round = (v: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

/** The QA line of a report (key order fixed here, so JSON.stringify of it is stable). */
export function qaSummary(report: VerificationReport): QaSummary {
  const active = report.checks.find((c) => c.id === 'active_liveness');
  return {
    advice: report.advice,
    checks: report.checks.map((c) => ({
      id: c.id,
      status: c.status,
      reason: c.reason,
      ...(c.score === undefined ? {} : { score: round(c.score, 4) }),
      ...(c.band === undefined ? {} : { band: c.band }),
      ...(c.evidence?.length ? { evidence: c.evidence.map((e) => ({ streamId: e.streamId, capturedAt: round(e.capturedAt, 1), kind: e.kind })) } : {}),
    })),
    serviceType: report.serviceType,
    challenge: { status: active?.status ?? 'not_run', reason: active?.reason ?? 'not_started' },
    spokenCode: { status: report.spokenCode.status, reason: report.spokenCode.reason },
    thresholds: { match: report.thresholds.faceMatch.match, mismatch: report.thresholds.faceMatch.mismatch },
    frames: { analysed: report.frames.analysed, withFace: report.frames.withFace, keyFrames: report.frames.keyFrames },
  };
}
