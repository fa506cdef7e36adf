/**
 * The agent's shift at the seat (issue 12 item 5): sign-in with the agent id, an enrolled photo of the agent, and —
 * when the center enables it in 设置 — a face check of the person at the seat against that photo at sign-in and at
 * random times during the shift. Everything here is about the AGENT's shift, never a customer case: the shift log
 * lives in its own tables (src/main/shift/), is not part of the case ledger and is not synced (yet).
 *
 * The renderer sends the agent's own camera frames as JPEG stills (a few per check, small: they must fit the
 * transport's MAX_REQUEST_BYTES together); main runs the face engine and decides.
 */
import { z } from 'zod';
import { MAX_ID_PHOTO_BYTES } from './desk';
import { QueueIdSchema } from './queue';

/** The enrolled photo: validated like an ID photo (JPEG/PNG/WebP by content, at most 10 MB), exactly one face. */
export const MAX_ENROL_PHOTO_BYTES = MAX_ID_PHOTO_BYTES;

/** Frames of one check: a few, so one blink or a turned head does not decide alone. */
export const MAX_CHECK_FRAMES = 4;
/** One frame's JPEG; 4 × 160 KiB in base64 stays under the 1 MiB request limit of both transports. */
export const MAX_CHECK_FRAME_BYTES = 160 * 1024;

/** Limits of the random interval (minutes); the defaults leave the feature off. */
export const FACE_CHECK_INTERVAL_LIMITS = { min: 5, max: 480 } as const;

const base64Of = (maxBytes: number) =>
  z
    .string()
    .min(1)
    .max(Math.ceil((maxBytes * 4) / 3) + 4)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64');

/** Settings → shiftFaceCheck: whether the center wants the face check, and the random interval in minutes. */
export const ShiftFaceCheckSettingsSchema = z
  .object({
    enabled: z.boolean(),
    minIntervalMin: z.number().int().min(FACE_CHECK_INTERVAL_LIMITS.min).max(FACE_CHECK_INTERVAL_LIMITS.max),
    maxIntervalMin: z.number().int().min(FACE_CHECK_INTERVAL_LIMITS.min).max(FACE_CHECK_INTERVAL_LIMITS.max),
  })
  .strict()
  .refine((v) => v.minIntervalMin <= v.maxIntervalMin, { message: 'minIntervalMin must not exceed maxIntervalMin' });
export type ShiftFaceCheckSettings = z.infer<typeof ShiftFaceCheckSettingsSchema>;

export const DEFAULT_SHIFT_FACE_CHECK: ShiftFaceCheckSettings = { enabled: false, minIntervalMin: 30, maxIntervalMin: 90 };

/**
 * What one check found: pass (the calibrated match band), fail (below it), no_face, several_faces (someone else in
 * the picture), missed (a random check the seat did not answer in time: no camera, page closed — treated as failed).
 */
export const SHIFT_CHECK_RESULTS = ['pass', 'fail', 'no_face', 'several_faces', 'missed'] as const;
export type ShiftCheckResult = (typeof SHIFT_CHECK_RESULTS)[number];

/** When a check ran: at sign-in, at a random time of the shift, or because the agent asked again after a failure. */
export const SHIFT_CHECK_KINDS = ['sign_in', 'random', 'retry'] as const;
export type ShiftCheckKind = (typeof SHIFT_CHECK_KINDS)[number];

/** Why a shift ended. sign_in_refused: the face check at sign-in did not pass, so the shift never started. */
export const SHIFT_END_REASONS = ['signed_out', 'sign_in_refused', 'agent_changed', 'app_closed', 'not_closed'] as const;
export type ShiftEndReason = (typeof SHIFT_END_REASONS)[number];

export const ShiftCheckSchema = z.object({
  checkId: z.string(),
  kind: z.enum(SHIFT_CHECK_KINDS),
  result: z.enum(SHIFT_CHECK_RESULTS),
  /** Median cosine similarity of the frames with one face (null: none had one). */
  score: z.number().nullable(),
  /** The calibrated match threshold the score was held against (models/calibration.json), and the band. */
  threshold: z.number().nullable(),
  band: z.enum(['match', 'review', 'mismatch']).nullable(),
  /** The face feature model's sha256 the embeddings and the threshold belong to. */
  modelSha256: z.string().nullable(),
  /** Faces found per frame, in order. */
  facesPerFrame: z.array(z.number().int().nonnegative()),
  at: z.number().int(),
});
export type ShiftCheck = z.infer<typeof ShiftCheckSchema>;

export const ShiftSchema = z.object({ shiftId: z.string(), agentId: z.string(), startedAt: z.number().int() });
export type Shift = z.infer<typeof ShiftSchema>;

export const ShiftEnrolmentSchema = z.object({ agentId: z.string(), enrolledAt: z.number().int(), modelSha256: z.string() });
export type ShiftEnrolment = z.infer<typeof ShiftEnrolmentSchema>;

export const ShiftStatusSchema = z.object({
  /** The shift in progress (null: signed out). */
  shift: ShiftSchema.nullable(),
  faceCheck: z.object({ enabled: z.boolean(), minIntervalMin: z.number(), maxIntervalMin: z.number() }),
  /** The enrolment of the agent id in 设置 (null: none, or made with another face model). */
  enrolment: ShiftEnrolmentSchema.nullable(),
  lastCheck: ShiftCheckSchema.nullable(),
  /** False after a failed or missed check until one passes: the seat cannot be set ready meanwhile. */
  presenceOk: z.boolean(),
  /** A random check main is waiting for frames for (the renderer answers it with shift.check). */
  checkDue: z.object({ checkId: z.string(), dueAt: z.number().int(), answerBy: z.number().int() }).nullable(),
  /** Whether a random check is scheduled; never when: the agent must not be able to tell (main keeps the time). */
  nextCheckScheduled: z.boolean(),
});
export type ShiftStatus = z.infer<typeof ShiftStatusSchema>;

const FramesSchema = z.array(base64Of(MAX_CHECK_FRAME_BYTES)).min(1).max(MAX_CHECK_FRAMES);

/** shift.signIn: the agent id confirmed for this shift, and the camera frames when the face check is on. */
export const ShiftSignInSchema = z.object({ agentId: QueueIdSchema, frames: FramesSchema.optional() }).strict();

/** shift.check: frames for the random check that is due (its checkId), or for a retry (no checkId). */
export const ShiftCheckRequestSchema = z.object({ checkId: z.string().max(64).optional(), frames: FramesSchema }).strict();

/** shift.enrol: the agent's photo for the agent id (replaces an earlier enrolment). */
export const ShiftEnrolSchema = z.object({ agentId: QueueIdSchema, data: base64Of(MAX_ENROL_PHOTO_BYTES) }).strict();

export const ShiftHistoryRequestSchema = z.object({ limit: z.number().int().min(1).max(50).optional() }).strict();

export const ShiftHistoryEntrySchema = z.object({
  shiftId: z.string(),
  agentId: z.string(),
  startedAt: z.number().int(),
  endedAt: z.number().int().nullable(),
  endReason: z.enum(SHIFT_END_REASONS).nullable(),
  checks: z.array(ShiftCheckSchema),
  /** The shift's own chain and seals (src/main/shift/shift-chain.ts): ok, or the first row that does not verify. */
  chain: z.object({ ok: z.boolean(), brokenAt: z.number().int().nullable(), reason: z.string().nullable() }),
});
export type ShiftHistoryEntry = z.infer<typeof ShiftHistoryEntrySchema>;
