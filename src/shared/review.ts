/**
 * Case detail and replay (issue 11 item 1): what the case page asks main for. A team lead opens one case from the
 * case log, sees every event with the chain's verdict, the evidence frames and the two recordings on one timeline.
 * Main decrypts evidence for the screen only and streams recordings through a short-lived media URL (see
 * src/main/review/); nothing clear is ever written to disk. Node-free.
 */
import { z } from 'zod';
import { RECORDING_STATES, RECORDING_TRACKS } from './call';
import { CaseIdSchema, type CaseEvent, type CaseSummary, type ChainBreak } from './cases';

export const CaseRefSchema = z.object({ caseId: CaseIdSchema }).strict();

export const EvidenceIdSchema = z.string().regex(/^[0-9a-f-]{36}$/);
export const CaseEvidenceImageRequestSchema = z.object({ caseId: CaseIdSchema, evidenceId: EvidenceIdSchema }).strict();

export const EVIDENCE_ITEM_KINDS = ['frame', 'face_crop', 'embedding', 'id_photo'] as const;

/** One stored piece of evidence of a case (no bytes: those come one at a time through cases.evidenceImage). */
export interface CaseEvidenceItem {
  evidenceId: string;
  kind: (typeof EVIDENCE_ITEM_KINDS)[number];
  bytes: number;
  createdAt: number;
  /** Retention destroyed its key: only the audit event is left. */
  purged: boolean;
}

/** cases.get: the whole case as stored, and whether its chain still proves it. */
export interface CaseReview {
  summary: CaseSummary;
  /** Every event, in chain order. */
  events: CaseEvent[];
  /** store.verifyCase: its chain, seals and head. A break is shown loudly (seq and reason). */
  chain: { ok: boolean; break: ChainBreak | null };
  evidence: CaseEvidenceItem[];
}

/** cases.evidenceImage: decrypted in main for the screen only. */
export const CaseEvidenceImageSchema = z.object({ mime: z.enum(['image/jpeg', 'image/png', 'image/webp']), data: z.string() });
export type CaseEvidenceImage = z.infer<typeof CaseEvidenceImageSchema>;

export const CASE_RECORDING_STATES = [...RECORDING_STATES, 'purged'] as const;

/** cases.recordings: one track of the call as the player needs it. */
export const CaseRecordingSchema = z.object({
  recordingId: z.string(),
  track: z.enum(RECORDING_TRACKS),
  /** Epoch ms when its MediaRecorder started: where its t = 0 falls on the case's timeline. */
  startedAt: z.number(),
  stoppedAt: z.number().nullable(),
  durationMs: z.number().nullable(),
  state: z.enum(CASE_RECORDING_STATES),
  /** It has Duration and Cues (a recording stopped normally); false: it plays but cannot be sought. */
  seekable: z.boolean(),
  chunks: z.number().int(),
  bytes: z.number().int(),
  /** What to give a <video>: bound to this recording, valid until mediaExpiresAt; null when purged. */
  mediaUrl: z.string().nullable(),
  mediaExpiresAt: z.number().nullable(),
});
export type CaseRecording = z.infer<typeof CaseRecordingSchema>;

/** The path of a recording's media on either transport (host: /media/…; Electron: app://veridesk/media/…). */
export const MEDIA_RECORDINGS_PATH = '/media/recordings/';
/** The console's recordings held by the backend, proxied by main with the lead token (src/main/console/backend-recording-media.ts). */
export const MEDIA_BACKEND_RECORDINGS_PATH = '/media/backend-recordings/';
/** Query parameter that carries the media token. */
export const MEDIA_TOKEN_PARAM = 't';
