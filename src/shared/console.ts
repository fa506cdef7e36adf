/**
 * The 质检 console's contract (issue 11 items 4-7): what a team lead / QA reviewer asks of the case facts — a list
 * with filters and keyset pagination, statistics, a reproducible sample, reviews, bundle imports and exports.
 * Node-free (main, the renderer and the backend share it).
 *
 * ConsoleFilterSchema is THE filter of the console, and the backend's lead API (GET /api/v1/lead/cases and
 * /api/v1/lead/stats, server/leads/query.ts) takes the same names and values (filterToQuery writes them;
 * ConsoleFilterQuerySchema reads them back): the workstation's local and imported sources and the backend answer
 * the same question in the same words. The customer reference is the one filter the backend source never puts in a
 * URL: it goes in a search's POST body (src/main/console/backend-source.ts says why).
 */
import { z } from 'zod';
import { CaseIdSchema, REVIEW_OUTCOMES, SERVICE_TYPES, VERDICTS, type CaseEvent, type Review, type ReviewOutcome, type ServiceType } from './cases';
import { DECISIONS, OVERRIDE_REASONS } from './desk';
import { ADVICES } from './verification';

/** local: this workstation's case log; bundle: signed bundles the lead imported; backend: the lead API (GET /api/v1/lead/*). */
export const CONSOLE_SOURCES = ['local', 'bundle', 'backend'] as const;
export type ConsoleSource = (typeof CONSOLE_SOURCES)[number];

/**
 * Kinds of failed checks a lead reports on. quality: lighting / picture problems (too dark, backlit, blurred, too
 * far); liveness: passive or active liveness failed; mismatch: the face did not match the ID photo; presence: a
 * second face or none; face_swap: face-swap screening failed; id_consistency: the ID number's check digit, age or
 * gender did not fit; spoken_code: the customer could not say the code.
 */
export const FAILED_CHECK_KINDS = ['quality', 'liveness', 'mismatch', 'presence', 'face_swap', 'id_consistency', 'spoken_code'] as const;
export type FailedCheckKind = (typeof FAILED_CHECK_KINDS)[number];

/**
 * The failed-check rule, one copy for the workstation's facts (src/main/caselog/case-facts.ts) and the server's
 * summary columns (server/leads/case-summary.ts), so a local and a backend filter count the same cases.
 */
export const CHECK_KIND: Readonly<Record<string, FailedCheckKind>> = {
  quality: 'quality',
  passive_liveness: 'liveness',
  active_liveness: 'liveness',
  face_match: 'mismatch',
  presence: 'presence',
  face_swap: 'face_swap',
  id_consistency: 'id_consistency',
  spoken_code: 'spoken_code',
};
/**
 * Quality only ever warns, and warns on every blink and head turn (eyes_closed, turned): only lighting and picture
 * problems count as a failed quality check — what a lead would coach an agent about.
 */
export const QUALITY_PROBLEMS = ['too_dark', 'too_bright', 'low_contrast', 'blurred', 'too_small', 'occluded'] as const;
const QUALITY = new Set<unknown>(QUALITY_PROBLEMS);

/** The kind of a failed check, or null when the result is not a failure. */
export function failedKind(check: unknown, status: unknown, reason: unknown): FailedCheckKind | null {
  // own keys only: a plain lookup of 'constructor' would answer Object's
  const kind = typeof check === 'string' && Object.hasOwn(CHECK_KIND, check) ? CHECK_KIND[check] : undefined;
  if (!kind) return null;
  if (kind === 'quality') return (status === 'warn' || status === 'fail') && QUALITY.has(reason) ? kind : null;
  return status === 'fail' ? kind : null;
}

/** check.result payloads: the desk's `{ check: { id, status, reason } }` or the older `{ check: 'face_match', status }`. */
export function checkResultOf(payload: Record<string, unknown>): { id: unknown; status: unknown; reason: unknown } | null {
  const c = payload.check;
  if (typeof c === 'string') return { id: c, status: payload.status, reason: payload.reason };
  if (c && typeof c === 'object') {
    const o = c as Record<string, unknown>;
    return { id: o.id, status: o.status, reason: o.reason };
  }
  return null;
}

/** Older decision.made / case.closed events carry only a verdict. */
export const decisionOfVerdict = (verdict: unknown): string | null => (verdict === 'verified' ? 'pass' : verdict === 'rejected' ? 'fail' : null);

/** unreviewed / reviewed (any outcome), or one outcome. */
export const REVIEW_STATUSES = ['unreviewed', 'reviewed', ...REVIEW_OUTCOMES] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** The agent's decision, or none yet (open, abandoned, or a service type that needs no verification). */
export const DECISION_FILTERS = [...DECISIONS, 'none'] as const;

const EpochMs = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
/** Agent ids and customer references: what the case log accepts (short, printable, no spaces). */
const ShortText = z.string().trim().min(1).max(64);

export const ConsoleFilterSchema = z
  .object({
    /** A case id or the start of one (at least 4 characters). */
    caseId: z.string().regex(/^[A-Za-z0-9._:-]{4,64}$/).optional(),
    agentId: ShortText.optional(),
    /**
     * Compared through a keyed hash only, never stored or logged in clear: main hashes it with the case log's key for
     * the local and bundle sources; the backend source sends it in a POST body and the server hashes it with its own
     * lookup key, which every workstation's cases were stored under (docs/lead-api.md).
     */
    customerRef: ShortText.optional(),
    /** Inclusive lower bound on the case's opening time. */
    from: EpochMs.optional(),
    /** Exclusive upper bound on the case's opening time. */
    to: EpochMs.optional(),
    serviceType: z.enum(SERVICE_TYPES).optional(),
    /** The engine's final advice. */
    advice: z.enum(ADVICES).optional(),
    decision: z.enum(DECISION_FILTERS).optional(),
    /** The agent decided against the engine's advice (an override, with a reason code). */
    disagreement: z.boolean().optional(),
    escalated: z.boolean().optional(),
    review: z.enum(REVIEW_STATUSES).optional(),
    failedCheck: z.enum(FAILED_CHECK_KINDS).optional(),
    /** A second challenge or a re-started verification in the same case. */
    reverified: z.boolean().optional(),
  })
  .strict()
  .refine((f) => f.from === undefined || f.to === undefined || f.from < f.to, { message: 'from must be before to', path: ['to'] });
export type ConsoleFilter = z.infer<typeof ConsoleFilterSchema>;

const boolText = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
/** The same filter read from a URL query string (every value a string): the inverse of filterToQuery. */
export const ConsoleFilterQuerySchema = z
  .object({
    caseId: z.string().optional(),
    agentId: z.string().optional(),
    customerRef: z.string().optional(),
    from: z.coerce.number().optional(),
    to: z.coerce.number().optional(),
    serviceType: z.string().optional(),
    advice: z.string().optional(),
    decision: z.string().optional(),
    disagreement: boolText.optional(),
    escalated: boolText.optional(),
    review: z.string().optional(),
    failedCheck: z.string().optional(),
    reverified: boolText.optional(),
  })
  .strict()
  .pipe(ConsoleFilterSchema);

/** The filter as query parameters (the inverse of ConsoleFilterQuerySchema). */
export function filterToQuery(filter: ConsoleFilter): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(filter)) if (v !== undefined) out[k] = String(v);
  return out;
}

/**
 * Keyset cursor of the local and bundle sources over (opened_at DESC, case_id ASC): `<openedAt>.<caseId>` of the
 * last row of the page before. The next page is `opened_at <= T AND (opened_at < T OR case_id > ID)`, which every
 * SQL engine answers from an index on (opened_at DESC, case_id) — and unlike OFFSET it never skips or repeats a
 * case when new ones arrive meanwhile.
 */
export const CONSOLE_PAGE_MAX = 500;
export const ConsoleCursorSchema = z.string().regex(/^\d{1,16}\.[A-Za-z0-9._:-]{1,64}$/);
export const encodeCursor = (c: { openedAt: number; caseId: string }): string => `${c.openedAt}.${c.caseId}`;
export function decodeCursor(cursor: string): { openedAt: number; caseId: string } {
  const dot = cursor.indexOf('.');
  return { openedAt: Number(cursor.slice(0, dot)), caseId: cursor.slice(dot + 1) };
}

/**
 * The backend source's cursor: the lead API's `nextCursor`, opaque (docs/lead-api.md: clients must not build or
 * parse it), passed back unchanged. Only what can travel as one query value is checked: printable ASCII without
 * spaces, at most the 200 characters the server accepts.
 */
export const BackendCursorSchema = z.string().regex(/^[\x21-\x7e]{1,200}$/);

/** A console.list cursor is a string whose form belongs to its source: ConsoleCursorSchema or BackendCursorSchema. */
export const cursorSchemaFor = (source: ConsoleSource): z.ZodString => (source === 'backend' ? BackendCursorSchema : ConsoleCursorSchema);

export const ConsoleSourceSchema = z.enum(CONSOLE_SOURCES);

export const ConsoleListSchema = z
  .object({
    source: ConsoleSourceSchema.default('local'),
    filter: ConsoleFilterSchema.default({}),
    /** The nextCursor of the page before, from the same source (its form is the source's: cursorSchemaFor). */
    cursor: z.string().max(200).nullable().optional(),
    limit: z.number().int().min(1).max(CONSOLE_PAGE_MAX).default(100),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.cursor && !cursorSchemaFor(v.source).safeParse(v.cursor).success) {
      ctx.addIssue({ code: 'custom', path: ['cursor'], message: `not a cursor of the ${v.source} source: pass back its nextCursor unchanged` });
    }
  });

/** One case as the console lists it: its facts, never biometric data, never the customer reference. */
export interface ConsoleCaseRow {
  caseId: string;
  source: ConsoleSource;
  /** The workstation the case was recorded on (null when the backend did not say). */
  workstationId: string | null;
  agentId: string;
  serviceType: ServiceType;
  openedAt: number;
  decidedAt: number | null;
  closedAt: number | null;
  advice: (typeof ADVICES)[number] | null;
  decision: (typeof DECISIONS)[number] | null;
  verdict: (typeof VERDICTS)[number] | null;
  disagreement: boolean;
  reasonCode: string | null;
  escalated: boolean;
  reverified: boolean;
  reviewOutcome: ReviewOutcome | null;
  failedChecks: FailedCheckKind[];
}

export interface ConsolePage {
  source: ConsoleSource;
  rows: ConsoleCaseRow[];
  /** Pass it back (with the same source and filter) for the next page; null when this was the last one. */
  nextCursor: string | null;
}

/** What GET /api/v1/lead/cases answers (server/leads/list.ts): the console's page, its cursor opaque. */
export interface LeadCasesResponse {
  rows: ConsoleCaseRow[];
  nextCursor: string | null;
}

// ---- statistics ------------------------------------------------------------------------------------------------

/** Minutes east of UTC that define a "day" and an ISO week (China: +480). */
export const TzOffsetSchema = z.number().int().min(-840).max(840).default(480);

export const ConsoleStatsSchema = z.object({ source: ConsoleSourceSchema.default('local'), filter: ConsoleFilterSchema.default({}), tzOffsetMinutes: TzOffsetSchema }).strict();

export interface ConsoleStatRow {
  /** 'YYYY-MM-DD' (byDay), the agent id (byAgent) or 'total'. */
  key: string;
  cases: number;
  /** Cases with an agent decision; passRate = passed / decided. */
  decided: number;
  passed: number;
  passRate: number | null;
  /** Cases with both an engine advice and an agent decision; disagreementRate = disagreements / compared. */
  compared: number;
  disagreements: number;
  disagreementRate: number | null;
  escalations: number;
  /** reverificationRate = reverified / cases. */
  reverified: number;
  reverificationRate: number | null;
  /** Mean of (decided − opened) over decided cases, ms. */
  avgHandleMs: number | null;
  /** Decisions against the advice by reason code ('' = none given). */
  overrides: Record<string, number>;
  /** Cases with at least one failed check of each kind. */
  failedChecks: Record<FailedCheckKind, number>;
}

export interface ConsoleStats {
  source: ConsoleSource;
  tzOffsetMinutes: number;
  total: ConsoleStatRow;
  byDay: ConsoleStatRow[];
  byAgent: ConsoleStatRow[];
}

/** The tables behind the charts; each chart's CSV button downloads one. */
export const STATS_TABLES = ['day', 'agent', 'overrides', 'failed_checks'] as const;
export type StatsTable = (typeof STATS_TABLES)[number];
export const ConsoleStatsCsvSchema = ConsoleStatsSchema.extend({ table: z.enum(STATS_TABLES) }).strict();

export interface ConsoleTextFile {
  filename: string;
  mime: string;
  text: string;
}

// ---- sampling --------------------------------------------------------------------------------------------------

export const ConsoleSampleSchema = z
  .object({
    source: ConsoleSourceSchema.default('local'),
    filter: ConsoleFilterSchema.default({}),
    /** Any text: the same seed over the same cases draws the same sample. */
    seed: z.string().trim().min(1).max(64),
    /** Share drawn from every agent × ISO week stratum (rounded up: every stratum gives at least one case). */
    rate: z.number().gt(0).max(1).default(0.05),
    includeOverrides: z.boolean().default(true),
    includeEscalations: z.boolean().default(true),
    tzOffsetMinutes: TzOffsetSchema,
  })
  .strict();

export const SAMPLE_REASONS = ['stratified', 'override', 'escalation'] as const;
export type SampleReason = (typeof SAMPLE_REASONS)[number];

export interface SamplePick {
  caseId: string;
  agentId: string;
  /** ISO week 'YYYY-Www' of the opening time. */
  week: string;
  openedAt: number;
  reasons: SampleReason[];
}

export interface ConsoleSample {
  seed: string;
  rate: number;
  /** Cases the filter matched. */
  population: number;
  picks: SamplePick[];
  strata: { agentId: string; week: string; cases: number; drawn: number }[];
}

/** ISO 8601 week ('2026-W01') of an instant, in the zone `tzOffsetMinutes` east of UTC. */
export function isoWeek(at: number, tzOffsetMinutes: number): string {
  const local = new Date(at + tzOffsetMinutes * 60_000);
  const day = local.getUTCDay() || 7;
  // the Thursday of this week decides the year
  const thursday = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + 4 - day);
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** 'YYYY-MM-DD' of a day number ((epoch ms + offset) / 1 day), as the statistics group. */
export const dayKey = (dayNumber: number): string => new Date(dayNumber * 86_400_000).toISOString().slice(0, 10);

// ---- reviews ---------------------------------------------------------------------------------------------------

/** What the lead concludes (the console's words) … */
export const QA_OUTCOMES = ['confirmed', 'decision_wrong', 'process_not_followed'] as const;
export type QaOutcome = (typeof QA_OUTCOMES)[number];
/** … and the server's outcome vocabulary (REVIEW_OUTCOMES) it is stored under. */
export const QA_OUTCOME_TO_REVIEW: Record<QaOutcome, ReviewOutcome> = {
  confirmed: 'confirmed',
  decision_wrong: 'overturned',
  process_not_followed: 'process_not_followed',
};

/** What a finding is about: the identity check itself, following the 话术 script, the agent's manner. */
export const QA_CATEGORIES = ['identity_check', 'script_compliance', 'service_manner'] as const;
export type QaCategory = (typeof QA_CATEGORIES)[number];

export const ConsoleReviewSchema = z
  .object({
    source: ConsoleSourceSchema.default('local'),
    caseId: CaseIdSchema,
    outcome: z.enum(QA_OUTCOMES),
    note: z.string().trim().max(3000).default(''),
    categories: z.array(z.enum(QA_CATEGORIES)).max(QA_CATEGORIES.length).default([]),
  })
  .strict();

/**
 * The server's review has an outcome and a free note only, so the QA categories ride in the note's first line
 * (`[qa:identity_check,script_compliance]`). Every workstation gets them back through sync unchanged, and a
 * reader that does not know the prefix still shows a readable note.
 */
const QA_PREFIX = /^\[qa:([a-z_,]*)\]\n?/;
export function encodeReviewNote(categories: readonly QaCategory[], note: string): string {
  const known = QA_CATEGORIES.filter((c) => categories.includes(c));
  return known.length ? `[qa:${known.join(',')}]\n${note}` : note;
}
export function decodeReviewNote(text: string): { categories: QaCategory[]; note: string } {
  const m = QA_PREFIX.exec(text);
  if (!m) return { categories: [], note: text };
  const categories = (m[1] ?? '').split(',').filter((c): c is QaCategory => (QA_CATEGORIES as readonly string[]).includes(c));
  return { categories, note: text.slice(m[0].length) };
}

// ---- case detail, exports ----------------------------------------------------------------------------------------

/** A recording as a bundle and the case report name it: ids and digests, never the media. */
export interface RecordingRef {
  recordingId: string;
  callId: string | null;
  track: string | null;
  mimeType: string | null;
  state: string;
  sha256: string | null;
  bytes: number;
  durationMs: number | null;
  startedAt: number | null;
  stoppedAt: number | null;
  /** Retention destroyed its key and bytes; the reference stays. */
  purged: boolean;
}

export interface ConsoleCaseDetail {
  row: ConsoleCaseRow;
  idNumberMasked: string | null;
  events: CaseEvent[];
  reviews: Review[];
  recordings: RecordingRef[];
  /** Reviews this console posted to the backend for the case. */
  posted: Review[];
  /** backend: whether the server's stored copy of the chain re-verified (GET /api/v1/lead/cases/:id chainValid). */
  chainValid?: boolean;
}

export const ConsoleCaseSchema = z.object({ source: ConsoleSourceSchema.default('local'), caseId: CaseIdSchema }).strict();

/** console.recordings: a backend case's uploaded recordings (the source is 'backend'; others are refused). */
export const ConsoleRecordingsSchema = z.object({ source: ConsoleSourceSchema.default('backend'), caseId: CaseIdSchema }).strict();

export const EXPORT_FORMATS = ['bundle', 'csv'] as const;
export const CONSOLE_EXPORT_MAX = 2000;
export const ConsoleExportSchema = z
  .object({
    source: ConsoleSourceSchema.default('local'),
    format: z.enum(EXPORT_FORMATS),
    caseIds: z.array(CaseIdSchema).min(1).max(CONSOLE_EXPORT_MAX),
  })
  .strict();

// ---- access ----------------------------------------------------------------------------------------------------

/** Why the console is closed: no token for the backend, a token that is not a lead's, the backend said no or is away. */
export const ACCESS_REFUSALS = ['no_token', 'not_lead', 'refused', 'unreachable'] as const;
export interface ConsoleAccess {
  allowed: boolean;
  origin: string;
  role: 'workstation' | 'lead' | 'channel' | null;
  /** The token's principal (a lead's token name: the agent id they must not review). */
  name: string | null;
  reason: (typeof ACCESS_REFUSALS)[number] | null;
  detail?: string;
}

// ---- bundle imports --------------------------------------------------------------------------------------------

/** A signer fingerprint as printed by `cases export` (hex, colons optional). */
export const FingerprintSchema = z
  .string()
  .trim()
  .regex(/^[0-9a-fA-F:\s]{8,96}$/, 'a signer fingerprint is hex (colons allowed)');

/** A bundle through the transport: base64, under the transport's 1 MiB request limit (bigger ones by path). */
export const MAX_IMPORT_BASE64 = 1_000_000;
export const ConsoleImportSchema = z
  .object({
    path: z.string().min(1).max(4096).optional(),
    bytes: z.string().min(1).max(MAX_IMPORT_BASE64).optional(),
    /** The signer the lead expects (given out of band); without it, the signer must be pinned already. */
    fingerprint: FingerprintSchema.optional(),
    /** Pin the fingerprint given, so later bundles from that workstation need no typing. */
    remember: z.boolean().default(false),
  })
  .strict()
  .refine((v) => (v.path === undefined) !== (v.bytes === undefined), { message: 'give exactly one of path or bytes' });

export const IMPORT_REFUSALS = ['unreadable', 'not_a_bundle', 'signature_invalid', 'fingerprint_mismatch', 'signer_not_pinned', 'chain_broken'] as const;
export type ImportRefusal = (typeof IMPORT_REFUSALS)[number];

export type ConsoleImportResult =
  | { ok: true; fingerprint: string; workstationId: string; cases: number; imported: number; updated: number; unchanged: number; conflicts: string[] }
  | { ok: false; reason: ImportRefusal; detail: string; fingerprint: string | null };

export interface PinnedSigner {
  fingerprint: string;
  label: string;
  addedAt: number;
}
export const ConsolePinSchema = z.object({ fingerprint: FingerprintSchema, label: z.string().trim().max(64).default(''), pinned: z.boolean() }).strict();

/** The canonical form fingerprints are compared in (what verifyBundle does). */
export const normaliseFingerprint = (fp: string): string => fp.replace(/[^0-9a-f]/gi, '').toLowerCase();

/** Reason codes an override can carry (the desk's list). */
export { OVERRIDE_REASONS };
