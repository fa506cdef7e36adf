/**
 * The verification desk's contract (issue 9): what the agent's session view sends to main and what main pushes
 * back. Main owns the VerificationSession (src/main/verification/) of the active call and writes every state
 * change, check result and decision to the case log; the renderer only shows DeskState and sends the agent's
 * actions. ID numbers travel here once (desk.setIdInfo) and are stored masked + keyed hash only.
 */
import { z } from 'zod';
import { CallIdSchema } from './call';
import { SERVICE_TYPES } from './cases';
import { BoxSchema, QUALITY_ISSUES } from './engine';
import { VerificationReportSchema } from './verification';

/** An ID photo as the agent dropped it: at most 10 MB, base64 (the engine checks the first bytes: JPEG/PNG/WebP). */
export const MAX_ID_PHOTO_BYTES = 10 * 1024 * 1024;

export const DeskIdPhotoSchema = z
  .object({
    callId: CallIdSchema,
    /** base64 of the file's bytes */
    data: z.string().min(1).max(Math.ceil((MAX_ID_PHOTO_BYTES * 4) / 3) + 4),
    source: z.enum(['file', 'camera', 'backend']).default('file'),
  })
  .strict();

export const DeskIdInfoSchema = z
  .object({
    callId: CallIdSchema,
    name: z.string().trim().min(1).max(64),
    idNumber: z.string().trim().min(1).max(32),
  })
  .strict();

/**
 * Why an agent decides against the engine's advice: a closed list, so a lead can report on it (DESIGN.md §6).
 * The texts live in the UI's i18n.
 */
export const OVERRIDE_REASONS = [
  'id_photo_old',
  'appearance_changed',
  'poor_lighting_or_camera',
  'glasses_mask_or_makeup',
  'verified_other_means',
  'suspected_impostor',
  'suspected_coaching',
  'document_doubtful',
  'customer_refused_checks',
  'engine_error',
] as const;
export type OverrideReason = (typeof OVERRIDE_REASONS)[number];

export const DECISIONS = ['pass', 'fail'] as const;
export type Decision = (typeof DECISIONS)[number];

export const DeskDecideSchema = z
  .object({
    callId: CallIdSchema,
    decision: z.enum(DECISIONS),
    /** Required when the decision goes against the advice (main refuses with FORBIDDEN otherwise). */
    reasonCode: z.enum(OVERRIDE_REASONS).optional(),
    note: z.string().max(500).optional(),
  })
  .strict();

/** A reference photo a self-service channel stored for this customer reference (docs/reference-photos.md). */
export const DeskReferencePhotoSchema = z.object({ callId: CallIdSchema, customerRef: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/) }).strict();

export const DeskEscalateSchema = z.object({ callId: CallIdSchema, note: z.string().max(500).optional() }).strict();
export const DeskCallSchema = z.object({ callId: CallIdSchema }).strict();
export const DeskSpokenCodeSchema = z.object({ callId: CallIdSchema, ok: z.boolean() }).strict();
export const DeskChecklistSchema = z.object({ callId: CallIdSchema, item: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/), ticked: z.boolean() }).strict();

/** One evidence frame of the active call's case, by the reference a check gives (streamId + capturedAt). */
export const DeskEvidenceSchema = z.object({ callId: CallIdSchema, streamId: z.string().max(64), capturedAt: z.number() }).strict();
export const DeskEvidenceImageSchema = z.object({ mime: z.enum(['image/jpeg', 'image/png', 'image/webp']), data: z.string() });
export type DeskEvidenceImage = z.infer<typeof DeskEvidenceImageSchema>;

export const DeskStateSchema = z.object({
  callId: CallIdSchema,
  caseId: z.string(),
  serviceType: z.enum(SERVICE_TYPES),
  report: VerificationReportSchema,
  /** The ID photo's analysis, for the side-by-side view (the renderer has the picture itself). */
  idPhoto: z
    .object({
      width: z.number().int(),
      height: z.number().int(),
      face: BoxSchema.nullable(),
      faces: z.number().int(),
      detection: z.enum(['full', 'tiled', 'none']),
      source: z.enum(['file', 'camera', 'backend']),
      /** Estimated age of the ID portrait (fr_age), when the model is present. */
      age: z.number().optional(),
      /** Capture problems of the portrait (a card held up to the camera): glare, blur, too small, … */
      warnings: z.array(z.enum(QUALITY_ISSUES)).default([]),
    })
    .nullable(),
  /** What the case log keeps of the ID information: masked, plus what the check digit and birth date say. */
  idInfo: z
    .object({
      nameMasked: z.string(),
      idNumberMasked: z.string(),
      birthDate: z.string().optional(),
      gender: z.enum(['male', 'female']).optional(),
    })
    .nullable(),
  /** The spoken code while it is on the customer's page (the agent reads it on the desk to compare). */
  spokenCode: z.string().regex(/^\d{4}$/).nullable(),
  decision: z
    .object({
      decision: z.enum(DECISIONS),
      reasonCode: z.enum(OVERRIDE_REASONS).nullable(),
      against: z.boolean(),
      at: z.number(),
    })
    .nullable(),
  escalated: z.boolean(),
  /** The script step the engine's and the checks' events make current (null: follow the script's order). */
  suggestedStep: z.string().nullable(),
  /** Closing checklist (operate/transact): ticked items, and what is still missing before the case may close. */
  checklist: z.object({ ticked: z.array(z.string()), missing: z.array(z.string()) }),
  /** The case is closed (decision recorded, summary written). */
  closed: z.boolean(),
});
export type DeskState = z.infer<typeof DeskStateSchema>;
