/**
 * The single source of truth between renderer and main (DESIGN.md §4).
 *
 * - `methods`: request/response calls, named `service.method`; every input is validated in main
 *   against its schema before any handler runs.
 * - `events`: pushed from main to the renderer.
 * - the frame channel (binary, see ./frame.ts) carries video frames renderer → main.
 *
 * Both transports (Electron IPC in src/main/app, WebSocket in src/main/host) and the preload's
 * `window.veridesk` are derived from these tables.
 */
import { DeskCallSchema, DeskChecklistSchema, DeskDecideSchema, DeskEvidenceImageSchema, DeskEvidenceSchema, DeskEscalateSchema, DeskIdInfoSchema, DeskIdPhotoSchema, DeskReferencePhotoSchema, DeskSpokenCodeSchema, DeskStateSchema } from './desk';
import type { Script, ScriptError } from './scripts';
import { ReanalysisResultSchema, ReanalyzeRequestSchema } from './reanalysis';
import { ScriptStepRequestSchema } from './verification';
import { CaseEvidenceImageRequestSchema, CaseEvidenceImageSchema, CaseRecordingSchema, CaseRefSchema, type CaseReview } from './review';
import { z } from 'zod';
import type { Result } from './errors';
import { BackendTokenStateSchema, SetBackendTokenSchema, SettingsPatchSchema, SettingsSchema } from './settings';
import { CASE_STATUSES, VERDICTS, type CaseSummary, type Review, type SyncStatus } from './cases';
import { ERROR_CODES } from './errors';
import {
  ConsoleCaseSchema,
  ConsoleRecordingsSchema,
  ConsoleExportSchema,
  ConsoleImportSchema,
  ConsoleListSchema,
  ConsolePinSchema,
  ConsoleReviewSchema,
  ConsoleSampleSchema,
  ConsoleStatsCsvSchema,
  ConsoleStatsSchema,
  type ConsoleAccess,
  type ConsoleCaseDetail,
  type ConsoleImportResult,
  type ConsolePage,
  type ConsoleSample,
  type ConsoleStats,
  type ConsoleTextFile,
  type PinnedSigner,
} from './console';
import {
  CallCustomerMessageSchema,
  CallInfoSchema,
  CallMediaEventSchema,
  CallSignalSchema,
  CallStartSchema,
  CallStateSchema,
  CallIdSchema,
  LiveAnalysisSchema,
  RecordingChunkSchema,
  RecordingStartSchema,
  RecordingStatusSchema,
  RecordingStopSchema,
} from './call';
import { QueueAcceptResultSchema, QueueRequestRefSchema, QueueSetStateSchema, QueueStatusSchema } from './queue-desk';
import { ShiftCheckRequestSchema, ShiftEnrolmentSchema, ShiftEnrolSchema, ShiftHistoryEntrySchema, ShiftHistoryRequestSchema, ShiftSignInSchema, ShiftStatusSchema } from './shift';

const NoParams = z.object({}).strict();

export const NoticeSchema = z.object({
  level: z.enum(['info', 'warning', 'error']),
  code: z.enum(ERROR_CODES),
  /** i18n key under `notices.` in the renderer. */
  key: z.string(),
  detail: z.string().optional(),
});
export type Notice = z.infer<typeof NoticeSchema>;

export const AppInfoSchema = z.object({
  version: z.string(),
  platform: z.string(),
  transport: z.enum(['electron', 'host']),
  startedAt: z.number(),
  notices: z.array(NoticeSchema),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

export const StreamStatsSchema = z.object({
  streamId: z.string(),
  framesReceived: z.number().int(),
  /** Frames replaced in the latest-frame mailbox before a consumer took them. */
  framesDropped: z.number().int(),
  fps: z.number(),
  bytesPerSecond: z.number(),
  width: z.number().int(),
  height: z.number().int(),
  /** Mean colour of the last frame consumed, proof that real pixels crossed the boundary. */
  meanRgb: z.tuple([z.number(), z.number(), z.number()]),
  lastFrameAt: z.number(),
});
export type StreamStats = z.infer<typeof StreamStatsSchema>;

export const EngineStatusSchema = z.object({
  state: z.enum(['stopped', 'starting', 'ready', 'restarting', 'failed']),
  /** Execution provider in use, e.g. 'cpu', 'dml', 'cuda', 'webgpu', 'coreml'. */
  provider: z.string().nullable(),
  message: z.string().optional(),
  restarts: z.number().int(),
  /** Engine process id while it runs (diagnostics; the crash tests kill it). */
  pid: z.number().int().optional(),
  /**
   * Share of the last second the engine spent analysing frames, 0..1 (1 = it cannot take more). Together with
   * degraded, what the status bar shows as 分析降级.
   */
  load: z.number().min(0).max(1).optional(),
  /** The priority stream (the customer's during a call) is analysed below its target rate, or frames are being dropped. */
  degraded: z.boolean().optional(),
  /** Execution providers tried at start, in order, and why each was or was not used. */
  probes: z.array(z.object({ provider: z.string(), used: z.boolean(), reason: z.string() })).optional(),
});
export type EngineStatus = z.infer<typeof EngineStatusSchema>;

export const BackendStatusSchema = z.object({
  state: z.enum(['unknown', 'connected', 'unreachable']),
  url: z.string(),
  checkedAt: z.number(),
  /** Why the last check failed (HTTP status or network error), for the tooltip and logs. */
  detail: z.string().optional(),
});
export type BackendStatus = z.infer<typeof BackendStatusSchema>;

export const CaseListFilterSchema = z
  .object({
    agentId: z.string().max(64).optional(),
    verdict: z.enum(VERDICTS).optional(),
    status: z.enum(CASE_STATUSES).optional(),
    from: z.number().int().nonnegative().optional(),
    to: z.number().int().nonnegative().optional(),
    limit: z.number().int().min(1).max(500).optional(),
    offset: z.number().int().nonnegative().optional(),
  })
  .strict();

/** Outputs are produced by main's own code, so these two are typed only (inputs are what gets validated). */
const CaseSummaryListSchema = z.array(z.custom<CaseSummary>());
export const SyncStatusSchema = z.custom<SyncStatus>();

function method<I extends z.ZodType, O extends z.ZodType>(input: I, output: O) {
  return { input, output };
}

/** scripts.list: every script that loaded, and every file that did not (with file, line and field). */
export interface ScriptList {
  scripts: Script[];
  errors: ScriptError[];
}

export const methods = {
  'app.info': method(NoParams, AppInfoSchema),
  'settings.get': method(NoParams, SettingsSchema),
  'settings.update': method(SettingsPatchSchema, SettingsSchema),
  'diagnostics.streams': method(NoParams, z.array(StreamStatsSchema)),
  'engine.status': method(NoParams, EngineStatusSchema),
  'backend.status': method(NoParams, BackendStatusSchema),
  'cases.list': method(CaseListFilterSchema, CaseSummaryListSchema),
  'sync.status': method(NoParams, SyncStatusSchema),
  /** Opens a case and a signaling room on the backend; main joins it as the agent. */
  'call.start': method(CallStartSchema, CallInfoSchema),
  /** A simple-peer signal for the customer, relayed by main through the backend. */
  'call.signal': method(CallSignalSchema, z.null()),
  /** What the renderer saw on the media path (connected, reconnecting, …); a case event. */
  'call.mediaEvent': method(CallMediaEventSchema, z.null()),
  'call.end': method(z.object({ callId: CallIdSchema }).strict(), z.null()),
  'call.current': method(NoParams, CallStateSchema.nullable()),
  /** Refused with FORBIDDEN until the customer's recording consent is logged. */
  'recording.start': method(RecordingStartSchema, RecordingStatusSchema),
  'recording.chunk': method(RecordingChunkSchema, RecordingStatusSchema),
  'recording.stop': method(RecordingStopSchema, RecordingStatusSchema),
  // ---- the verification desk (src/shared/desk.ts; main: src/main/desk/) ----
  /** The active call's desk, or null. */
  'desk.current': method(NoParams, DeskStateSchema.nullable()),
  /** An ID photo (JPEG/PNG/WebP by content; CORRUPT_INPUT otherwise, nothing stored). */
  'desk.setIdPhoto': method(DeskIdPhotoSchema, DeskStateSchema),
  /** Name and ID number: a wrong GB 11643 check digit is refused with INVALID_INPUT and nothing is stored. */
  'desk.setIdInfo': method(DeskIdInfoSchema, DeskStateSchema),
  /** The ID card the customer holds up: the portrait is found in the customer's current frame and becomes the ID photo. */
  'desk.captureIdFromCamera': method(DeskCallSchema, DeskStateSchema),
  /** The reference photo a self-service channel stored on the backend for this customer reference, as the ID photo. */
  'desk.fetchReferencePhoto': method(DeskReferencePhotoSchema, DeskStateSchema),
  'desk.startChallenge': method(DeskCallSchema, DeskStateSchema),
  /** The hand-over-face test (face-swap screening); the UI also shows the customer the 'cover_face_briefly' prompt. */
  'desk.startOcclusionTest': method(DeskCallSchema, DeskStateSchema),
  'desk.issueSpokenCode': method(DeskCallSchema, DeskStateSchema),
  'desk.confirmSpokenCode': method(DeskSpokenCodeSchema, DeskStateSchema),
  /** The agent decides; against the advice only with a reason code (FORBIDDEN otherwise). */
  'desk.decide': method(DeskDecideSchema, DeskStateSchema),
  'desk.escalate': method(DeskEscalateSchema, DeskStateSchema),
  /** An evidence frame a check cites, decrypted in main for the screen only (NOT_FOUND when it was not kept). */
  'desk.evidence': method(DeskEvidenceSchema, DeskEvidenceImageSchema),
  /** The ID photo as stored (e.g. the portrait cut from the camera), decrypted for the screen only. */
  'desk.idPhotoImage': method(DeskCallSchema, DeskEvidenceImageSchema),
  /** Ticks or unticks a closing-checklist item; desk.decide refuses (FORBIDDEN) while required items are missing. */
  'desk.checklist': method(DeskChecklistSchema, DeskStateSchema),
  /** The agent moved to another 话术 step: a `script.step` case event (NOT_FOUND: no such step in the case's script; FORBIDDEN: call over, or too many). */
  'desk.scriptStep': method(ScriptStepRequestSchema, z.null()),
  /** The 话术 scripts (resources/scripts/) and the files that failed to load, each with file, line and field. */
  'scripts.list': method(NoParams, z.custom<ScriptList>()),
  // ---- the backend token (main keeps it per backend origin; the renderer only learns whether one is set) ----
  /** Whether a token is set for the origin of the saved backendUrl. */
  'settings.backendToken': method(NoParams, BackendTokenStateSchema),
  /** Binds a token to the origin of the saved backendUrl (null forgets it); UNAVAILABLE when it cannot be stored safely. */
  'settings.setBackendToken': method(SetBackendTokenSchema, BackendTokenStateSchema),
  /** Sync stopped on a refusal (state 'blocked') or waiting in backoff: try again now. */
  'sync.retry': method(NoParams, SyncStatusSchema),
  // ---- case review and replay (src/shared/review.ts; main: src/main/review/) ----
  /** One case for the case page: summary, every event in order, the chain's verdict (verifyCase) and its evidence list. */
  'cases.get': method(CaseRefSchema, z.custom<CaseReview>()),
  /** An evidence image of that case, decrypted for the screen only (NOT_FOUND for an id of another case, an embedding, a purged item). */
  'cases.evidenceImage': method(CaseEvidenceImageRequestSchema, CaseEvidenceImageSchema),
  /** The case's recordings with a short-lived media URL each, for a <video> (decrypted on the fly by main, seekable). */
  'cases.recordings': method(CaseRefSchema, z.array(CaseRecordingSchema)),
  // ---- re-analysis of a recording (src/shared/reanalysis.ts; main: src/main/review/reanalysis*.ts) ----
  /**
   * Re-runs the verification on the case's customer recording with its ID photo and recorded events, beside the call's
   * report (seconds: resolves when done). NOT_FOUND: no customer recording or ID photo, or purged (the message's
   * first word says which: src/shared/reanalysis.ts REANALYSIS_REFUSALS); UNAVAILABLE: the engine is not ready.
   */
  'cases.reanalyze': method(ReanalyzeRequestSchema, ReanalysisResultSchema),
  // ---- 质检 console (src/shared/console.ts; main: src/main/console/) ----
  /** Whether the current backend token is a lead's (GET /api/v1/whoami); every other console.* method is FORBIDDEN without one. */
  'console.access': method(NoParams, z.custom<ConsoleAccess>()),
  /** Case facts, filtered, newest first; keyset pages (pass nextCursor back). The customer reference is matched by keyed hash only. */
  'console.list': method(ConsoleListSchema, z.custom<ConsolePage>()),
  /** Per day and per agent: cases, pass rate, disagreement rate, overrides by reason, escalations, re-verification, handle time, failed checks. */
  'console.stats': method(ConsoleStatsSchema, z.custom<ConsoleStats>()),
  /** One statistics table (what one chart shows) as CSV. */
  'console.statsCsv': method(ConsoleStatsCsvSchema, z.custom<ConsoleTextFile>()),
  /** A reproducible stratified sample (agent × ISO week, seeded) plus every override and escalation, each with why it was drawn. */
  'console.sample': method(ConsoleSampleSchema, z.custom<ConsoleSample>()),
  /** One case for the review panel and the printable report: facts, events, reviews, recording references. */
  'console.case': method(ConsoleCaseSchema, z.custom<ConsoleCaseDetail>()),
  /**
   * A backend case's uploaded recordings (customer and agent) for the ReplayPanel: media URLs on
   * /media/backend-recordings/<id> that main proxies to GET /api/v1/recordings/:id with the lead's token.
   */
  'console.recordings': method(ConsoleRecordingsSchema, z.array(CaseRecordingSchema)),
  /** Posts a review to the backend with the lead's token (FORBIDDEN: the lead's own case; NOT_FOUND: not synced yet). */
  'console.review': method(ConsoleReviewSchema, z.custom<Review>()),
  /** Verifies a signed bundle against a pinned signer and imports it; a refusal says why (nothing is stored). */
  'console.importBundle': method(ConsoleImportSchema, z.custom<ConsoleImportResult>()),
  'console.signers': method(NoParams, z.custom<PinnedSigner[]>()),
  'console.pinSigner': method(ConsolePinSchema, z.custom<PinnedSigner[]>()),
  /** The selected cases as a signed bundle (with reviews and recording references) or CSV. */
  'console.export': method(ConsoleExportSchema, z.custom<ConsoleTextFile>()),
  /** 坐席看板: the queue's numbers for the lead's day (GET /api/v1/lead/wallboard; backend only — UNAVAILABLE on a server without the queue). */
  'console.wallboard': method(z.object({ tzOffsetMinutes: z.number().int().min(-840).max(840).default(480) }).strict(), z.custom<import('./queue').Wallboard>()),
  // ---- the agent's queue (src/shared/queue-desk.ts, wire: src/shared/queue.ts; main: src/main/queue/) ----
  /** The agent's state as the backend last confirmed it, the offer waiting, and the queued call in progress. */
  'queue.status': method(NoParams, QueueStatusSchema),
  /** 在线示闲 / 忙碌 / 小休 / 离线 for the agent id in 设置 (INVALID_INPUT without a usable one; UNAVAILABLE without a token). */
  'queue.setState': method(QueueSetStateSchema, QueueStatusSchema),
  /** Takes the offer: opens the case with the hand-over context, accepts it on the backend and starts the call in its room. */
  'queue.accept': method(QueueRequestRefSchema, QueueAcceptResultSchema),
  /** Passes the offer on at once. */
  'queue.decline': method(QueueRequestRefSchema, QueueStatusSchema),
  // ---- the agent's shift at the seat (src/shared/shift.ts; main: src/main/shift/) ----
  /** The shift in progress, the face-check policy, the agent's enrolment, the last check and a check that is due. */
  'shift.status': method(NoParams, ShiftStatusSchema),
  /** Starts a shift for the agent id (frames of the agent's camera when face checks are on; FORBIDDEN when the check does not pass). */
  'shift.signIn': method(ShiftSignInSchema, ShiftStatusSchema),
  /** Ends the shift (the seat goes offline in the queue first). */
  'shift.signOut': method(NoParams, ShiftStatusSchema),
  /** Frames for the random check that is due, or a retry after a failed one. */
  'shift.check': method(ShiftCheckRequestSchema, ShiftStatusSchema),
  /** The agent's enrolled photo (exactly one face; replaces an earlier one; only the embedding is kept, encrypted). */
  'shift.enrol': method(ShiftEnrolSchema, ShiftEnrolmentSchema),
  /** Recent shifts with their face checks and each shift's chain verdict. */
  'shift.history': method(ShiftHistoryRequestSchema, z.array(ShiftHistoryEntrySchema)),
} as const;

export const events = {
  'settings.changed': SettingsSchema,
  'diagnostics.streams': z.array(StreamStatsSchema),
  'engine.status': EngineStatusSchema,
  'backend.status': BackendStatusSchema,
  'sync.status': SyncStatusSchema,
  'app.notice': NoticeSchema,
  'call.state': CallStateSchema,
  'call.signal': CallSignalSchema,
  'call.customer': CallCustomerMessageSchema,
  'recording.status': RecordingStatusSchema,
  /** The active call's desk after each change (at most a few per second). */
  'desk.state': DeskStateSchema,
  /** Per-frame results for call streams (the overlay); not sent for the agent's own camera. */
  'engine.analysis': LiveAnalysisSchema,
  /** After a token was set or cleared, or backendUrl moved to another origin. */
  'settings.backendToken': BackendTokenStateSchema,
  /** The agent's queue state after each change (a poll that changed something, a state set, an offer, an accept). */
  'queue.status': QueueStatusSchema,
  /** The agent's shift after each change (sign-in/out, a check due, a check's result, a policy change). */
  'shift.status': ShiftStatusSchema,
} as const;

export type MethodName = keyof typeof methods;
export type MethodInput<M extends MethodName> = z.input<(typeof methods)[M]['input']>;
export type MethodParams<M extends MethodName> = z.output<(typeof methods)[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<(typeof methods)[M]['output']>;
export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

export const METHOD_NAMES = Object.keys(methods) as MethodName[];
export const EVENT_NAMES = Object.keys(events) as EventName[];
export const isMethodName = (name: unknown): name is MethodName => typeof name === 'string' && Object.hasOwn(methods, name);

/** What the renderer sees, whichever transport is underneath (`window.veridesk` in Electron). */
export interface VeriDeskApi {
  invoke<M extends MethodName>(method: M, params: MethodInput<M>): Promise<Result<MethodOutput<M>>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  /** Sends one encoded frame (see ./frame.ts); the buffer is transferred, not copied, where possible. */
  sendFrame(frame: ArrayBuffer): void;
}

/** Messages of the WebSocket transport (text frames); binary frames are video frames. */
export const WireRequestSchema = z.object({ id: z.number().int().nonnegative(), method: z.string().max(128), params: z.unknown() }).strict();
export type WireRequest = z.infer<typeof WireRequestSchema>;
export type WireMessage =
  | { kind: 'response'; id: number; result: Result<unknown> }
  | { kind: 'event'; event: EventName; payload: unknown }
  | { kind: 'error'; error: { code: string; message: string } };

/** Largest JSON request either transport accepts. */
export const MAX_REQUEST_BYTES = 1024 * 1024;
