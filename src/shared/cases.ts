/**
 * Case log types shared by main, the renderer and the backend (DESIGN.md §7, §8).
 * Node-free: only types, constants and zod schemas.
 */
import { z } from 'zod';

export const SERVICE_TYPES = ['consult', 'query', 'operate', 'transact'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

/** The agent's final decision for a case. */
export const VERDICTS = ['verified', 'needs_review', 'rejected', 'not_required', 'abandoned'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const CASE_STATUSES = ['open', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

/**
 * A team lead's review outcome. Append only (workstations and stored reviews keep the old values valid):
 * process_not_followed — the decision may stand, but the agent skipped a step of the process (the 质检 console).
 */
export const REVIEW_OUTCOMES = ['confirmed', 'overturned', 'escalated', 'needs_followup', 'process_not_followed'] as const;
export type ReviewOutcome = (typeof REVIEW_OUTCOMES)[number];

/**
 * Event types written to the append-only chain. Payloads never carry biometric data or a raw ID
 * number: evidence is referenced by id + sha256, the ID number only masked + keyed hash.
 */
export const EVENT_TYPES = [
  'case.opened',
  'check.result',
  'evidence.added',
  'recording.added',
  'decision.made',
  'case.escalated',
  'note.added',
  'case.closed',
  'biometric.purged',
  'review.received',
  // live video session (src/shared/call.ts)
  'call.started',
  'call.ended',
  'consent.recorded',
  'device.reported',
  'media.event',
  'recording.started',
  'recording.stopped',
  'recording.failed',
  'recording.recovered',
  // verification desk (src/shared/desk.ts, src/shared/verification.ts)
  'id.recorded',
  'verification.event',
  // customer journey: the hand-over context of a queued call (payload: src/shared/queue-desk.ts HandoverReceivedPayloadSchema)
  'handover.received',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** prev_hash of the first event of every case. */
export const GENESIS_HASH = '0'.repeat(64);

export const HashSchema = z.string().regex(/^[0-9a-f]{64}$/);
export const CaseIdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/);

/** One chained event as stored locally and as sent to the server. */
export const CaseEventSchema = z
  .object({
    caseId: CaseIdSchema,
    seq: z.number().int().min(1).max(1_000_000),
    type: z.enum(EVENT_TYPES),
    /** Epoch milliseconds. */
    at: z.number().int().nonnegative(),
    /** Who wrote it: an agent id, 'system', a reviewer id. */
    actor: z.string().min(1).max(128),
    payload: z.record(z.string(), z.unknown()),
    prevHash: HashSchema,
    hash: HashSchema,
    /**
     * Position in the workstation's one global sequence across all cases (src/common/ledger.ts); absent only
     * from clients older than the keyed ledger. Not part of `hash`: the ledger hash and the seal bind it.
     */
    gseq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    /** HMAC-SHA256 under the workstation's ledger key over (gseq, hash): only the key holder can verify it. */
    seal: HashSchema.optional(),
  })
  .strict();
export type CaseEvent = z.infer<typeof CaseEventSchema>;

/**
 * A workstation's signed statement "my ledger, at global position gseq, has hash ledgerHash" (src/common/ledger.ts).
 * Every sync batch carries one for its last event; the server keeps them and refuses one that goes back or forks.
 */
export const CheckpointSchema = z
  .object({
    gseq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    ledgerHash: HashSchema,
    at: z.number().int().nonnegative(),
    /** Ed25519 over checkpointMessage(), base64. */
    signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/),
    /** The signer's raw 32-byte Ed25519 public key, base64; the server pins the first one it sees per workstation. */
    publicKey: z.string().regex(/^[A-Za-z0-9+/]{43}=$/),
  })
  .strict();
export type Checkpoint = z.infer<typeof CheckpointSchema>;

/** GET /api/v1/sync/checkpoints?after=G&limit=N (workstation token): the checkpoints the server holds for it. */
export interface CheckpointsResponse {
  checkpoints: { gseq: number; ledgerHash: string; at: number; receivedAt: number }[];
  /** The highest gseq the server holds a checkpoint for (null: none yet). */
  head: { gseq: number; ledgerHash: string } | null;
}

/** GET /api/v1/sync/ledger?from=A&to=B (workstation token): the events the server holds at those global positions. */
export interface LedgerResponse {
  events: { gseq: number; caseId: string; seq: number; hash: string }[];
}

/** What the audit list shows (no biometric data; the ID number only masked). */
export interface CaseSummary {
  caseId: string;
  workstationId: string;
  agentId: string;
  serviceType: ServiceType;
  customerRef: string | null;
  idNumberMasked: string | null;
  status: CaseStatus;
  verdict: Verdict | null;
  openedAt: number;
  closedAt: number | null;
  eventCount: number;
  lastHash: string;
  reviewOutcome: ReviewOutcome | null;
  /** The desk's decision at close: the engine's advice, the agent's decision, whether it went against the advice, why. */
  closeSummary?: { advice: string; decision: string; against: boolean; reasonCode: string | null } | null;
}

export interface CaseDetail extends CaseSummary {
  events: CaseEvent[];
}

export interface CaseListFilter {
  agentId?: string;
  verdict?: Verdict;
  status?: CaseStatus;
  /** Inclusive lower bound on openedAt (epoch ms). */
  from?: number;
  /** Exclusive upper bound on openedAt (epoch ms). */
  to?: number;
  limit?: number;
  offset?: number;
}

/** A chain problem, naming the exact case and event. */
export interface ChainBreak {
  /** '' when the break is in the global ledger rather than one case. */
  caseId: string;
  seq: number;
  /** The global positions concerned (ledger breaks). */
  gseqFrom?: number;
  gseqTo?: number;
  reason: ChainErrorCode;
  message: string;
}

export type ChainErrorCode =
  | 'CHAIN_GAP'
  | 'CHAIN_PREV_MISMATCH'
  | 'CHAIN_HASH_MISMATCH'
  | 'CHAIN_FORK'
  | 'CHAIN_TRUNCATED'
  /** The event's keyed seal does not verify: content and hashes were rewritten without the key. */
  | 'SEAL_MISMATCH'
  /** Global positions are missing (a deleted case or run of events); `seq` is 0, `gseqFrom`/`gseqTo` name the range. */
  | 'LEDGER_GAP'
  /** The keyed head record is missing, forged, or ahead of / behind the events (tail truncated). */
  | 'LEDGER_HEAD_MISMATCH'
  /** The log is behind or differs from a checkpoint the server (or an earlier acknowledgement) holds. */
  | 'CHECKPOINT_ROLLBACK'
  | 'CHECKPOINT_FORK';

/** Error codes the sync API answers with (`{ error: { code, message, caseId?, seq? } }`). */
export const SYNC_ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'MALFORMED_BATCH',
  'PAYLOAD_TOO_LARGE',
  'IDEMPOTENCY_KEY_MISSING',
  'IDEMPOTENCY_KEY_REUSED',
  'CHAIN_GAP',
  'CHAIN_PREV_MISMATCH',
  'CHAIN_HASH_MISMATCH',
  'CHAIN_FORK',
  'CASE_OWNED_ELSEWHERE',
  /** A checkpoint below one the server already holds: the workstation's log was rolled back. */
  'CHECKPOINT_ROLLBACK',
  /** A checkpoint whose hash differs from what the server holds or can recompute at that position: rewritten. */
  'CHECKPOINT_FORK',
  /** A checkpoint that is malformed, badly signed, or does not name the batch's last event. */
  'CHECKPOINT_INVALID',
  /** A checkpoint signed by a key other than the one pinned for this workstation. */
  'SIGNER_MISMATCH',
  'TOKEN_EXPIRED',
  'RATE_LIMITED',
  'NOT_FOUND',
  'UNAVAILABLE',
  'INTERNAL',
] as const;
export type SyncErrorCode = (typeof SYNC_ERROR_CODES)[number];

export interface SyncErrorBody {
  error: { code: SyncErrorCode; message: string; caseId?: string; seq?: number };
}

/** Limits shared by client and server. */
export const SYNC_LIMITS = {
  maxEventsPerBatch: 1000,
  maxBodyBytes: 4 * 1024 * 1024,
  maxPayloadBytes: 64 * 1024,
} as const;

export const SyncBatchSchema = z
  .object({
    /** Echoes the workstation's own view; the server trusts only the token's workstation. */
    workstationId: z.string().min(1).max(128),
    events: z.array(CaseEventSchema).min(1).max(SYNC_LIMITS.maxEventsPerBatch),
    /** The ledger at the batch's last event (highest gseq); required once events carry gseq. */
    checkpoint: CheckpointSchema.optional(),
  })
  .strict();
export type SyncBatch = z.infer<typeof SyncBatchSchema>;

export interface SyncBatchResult {
  batchId: string;
  accepted: number;
  duplicates: number;
  cases: { caseId: string; lastSeq: number; lastHash: string }[];
  /** The checkpoint the server stored with this batch (the client keeps it as the acknowledged head). */
  checkpoint?: { gseq: number; ledgerHash: string } | null;
}

export const ReviewSchema = z.object({
  reviewId: z.number().int().positive(),
  caseId: CaseIdSchema,
  outcome: z.enum(REVIEW_OUTCOMES),
  reviewer: z.string().min(1).max(128),
  note: z.string().max(4000).default(''),
  createdAt: z.number().int(),
});
export type Review = z.infer<typeof ReviewSchema>;

export interface ChangesResponse {
  reviews: Review[];
  cursor: number;
}

/** What the status bar shows about sync. */
export interface SyncStatus {
  /**
   * 'backoff': a failure a retry can fix (network, 5xx), retried by itself at nextAttemptAt.
   * 'blocked': a refusal only a person can fix (token refused or expired, checkpoint refused, malformed batch, a
   * redirect): nothing is retried until the token or settings change or the agent presses retry (sync.retry);
   * lastError says why.
   */
  state: 'disabled' | 'idle' | 'syncing' | 'backoff' | 'blocked';
  /** Events waiting to go up (held cases not counted). */
  pending: number;
  lastSuccessAt: number | null;
  lastError: { code: string; message: string; at: number } | null;
  nextAttemptAt: number | null;
  /** Cases the backend refused one by one (chain fork, owned elsewhere, …), set aside until released (`veridesk cases release`). */
  held?: number;
  /** The backend origin this status is about (null: none configured or no token). */
  server?: string | null;
  /** Recordings going up to the backend after their calls (src/main/upload/, docs/recording-upload.md). */
  upload?: UploadStatus;
}

/** What the status bar can show about recording uploads. */
export interface UploadStatus {
  /** Like sync's: 'backoff' retries by itself at nextAttemptAt, 'blocked' waits for a person (token, settings, retry). */
  state: 'disabled' | 'idle' | 'uploading' | 'backoff' | 'blocked';
  /** Sealed recordings not yet complete on the backend (set-aside ones included). */
  pending: number;
  /** Recordings the backend refused one by one in this run of the app (owned elsewhere, digests differ …); retried at the next start. */
  setAside: number;
  /** The recording going up now. */
  current: { recordingId: string; caseId: string; chunksDone: number; chunks: number; bytesDone: number; bytes: number } | null;
  lastSuccessAt: number | null;
  lastError: { code: string; message: string; at: number } | null;
  nextAttemptAt: number | null;
  server: string | null;
}
