/**
 * Re-analysis of a case's customer recording (issue 11 item 2): the verification service run again, offline, on
 * the recording with the case's own ID photo and recorded events, set beside the report the call produced.
 * Plain data and pure functions (main, the CLI `veridesk review` and the renderer's ReanalysisPanel share them).
 *
 * The comparison rows are defined here once: main lists the differing ones in `differences`, the panel shows all
 * of them in two columns (原始 / 重新分析) and highlights the same ones.
 */
import { z } from 'zod';
import { CaseIdSchema, SERVICE_TYPES } from './cases';
import { DECISIONS } from './desk';
import { BANDS } from './engine';
import { ADVICES, CHECK_IDS, CHECK_STATUSES, VerificationReportSchema, type CheckId, type VerificationReport } from './verification';

export const ReanalyzeRequestSchema = z.object({ caseId: CaseIdSchema }).strict();
export type ReanalyzeRequest = z.infer<typeof ReanalyzeRequestSchema>;

/** A check as both the call's record and the re-analysis can state it. */
export const SideCheckSchema = z.object({
  id: z.enum(CHECK_IDS),
  status: z.enum(CHECK_STATUSES),
  reason: z.string(),
  score: z.number().optional(),
  band: z.enum(BANDS).optional(),
});
export type SideCheck = z.infer<typeof SideCheckSchema>;

export const FaceMatchThresholdsSchema = z.object({ match: z.number(), mismatch: z.number() });

/**
 * The report the call produced, as its case log has it. `source`: the closing summary the desk wrote at the
 * decision (advice, decision, every check's status/reason/band), completed from the verification events (scores,
 * the face-match thresholds, the spoken code); or, for a case closed without a decision, the last verification
 * events alone. A score is the one written when the check's status last changed (the closing summary has none),
 * and only when that status is still the final one. Model versions are null unless the closing summary carries
 * them: the call's case events do not record which model files scored it.
 */
export const OriginalReportSchema = z.object({
  source: z.enum(['closing_summary', 'verification_events']),
  serviceType: z.enum(SERVICE_TYPES),
  advice: z.enum(ADVICES).nullable(),
  decision: z.enum(DECISIONS).nullable(),
  against: z.boolean().nullable(),
  checks: z.array(SideCheckSchema),
  spokenCode: z.object({ status: z.enum(['pass', 'fail', 'pending', 'not_run']), reason: z.string() }),
  modelVersions: z.record(z.string(), z.string()).nullable(),
  thresholds: FaceMatchThresholdsSchema.nullable(),
});
export type OriginalReport = z.infer<typeof OriginalReportSchema>;

/** What the re-analysis ran on (no wall-clock times: the date is the case's opened date). */
export const ReanalysisInputsSchema = z.object({
  serviceType: z.enum(SERVICE_TYPES),
  /** YYYY-MM-DD (local): the case's opened date, the day ages are computed on. */
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  recording: z.object({
    recordingId: z.string(),
    chunks: z.number().int(),
    bytes: z.number().int(),
    /** sha256 of the whole recording when it was sealed (null while it is still being written). */
    sha256: z.string().nullable(),
    /** Customer recordings of the case that were not used (the longest one is; e.g. a renderer reload starts a new one). */
    others: z.number().int(),
  }),
  idPhoto: z.object({ evidenceId: z.string(), sha256: z.string(), faces: z.number().int(), usable: z.boolean() }),
  video: z.object({ frames: z.number().int(), skippedFrames: z.number().int(), fps: z.number(), width: z.number().int(), height: z.number().int() }),
  /** Which of the call's recorded facts went into the session (the ID number itself is never stored). */
  recorded: z.object({
    challenge: z.boolean(),
    spokenCode: z.boolean(),
    device: z.boolean(),
    idNumber: z.boolean(),
    occlusionTests: z.number().int(),
  }),
});
export type ReanalysisInputs = z.infer<typeof ReanalysisInputsSchema>;

export const DIFFERENCE_GROUPS = ['advice', 'check', 'spoken_code', 'threshold', 'model'] as const;
export const DIFFERENCE_FIELDS = ['status', 'reason', 'score', 'band'] as const;
/** same / different: both sides known; not_recorded: the call's case log does not say. */
export const COMPARISONS = ['same', 'different', 'not_recorded'] as const;

const Value = z.union([z.string(), z.number(), z.null()]);
export const ComparisonRowSchema = z.object({
  /** Stable id: 'advice', 'check.face_match.status', 'spoken_code.reason', 'threshold.match', 'model.fr_feature' … */
  key: z.string(),
  group: z.enum(DIFFERENCE_GROUPS),
  check: z.enum(CHECK_IDS).optional(),
  field: z.enum(DIFFERENCE_FIELDS).optional(),
  /** Model file name, for group 'model'. */
  name: z.string().optional(),
  original: Value,
  reanalysis: Value,
  comparison: z.enum(COMPARISONS),
});
export type ComparisonRow = z.infer<typeof ComparisonRowSchema>;

export const ReanalysisResultSchema = z.object({
  caseId: CaseIdSchema,
  inputs: ReanalysisInputsSchema,
  /** null: the case log holds no report of the call (no closing summary, no verification events). */
  original: OriginalReportSchema.nullable(),
  reanalysis: VerificationReportSchema,
  /** The comparison rows that differ (comparisonRows(original, reanalysis) with comparison 'different'). */
  differences: z.array(ComparisonRowSchema),
});
export type ReanalysisResult = z.infer<typeof ReanalysisResultSchema>;

/**
 * Why a re-analysis was refused, as the first word of the error message ("recording_purged: …"), so the UI can say
 * it in the agent's language while the code stays in the closed set (NOT_FOUND, UNAVAILABLE, CORRUPT_INPUT …).
 */
export const REANALYSIS_REFUSALS = ['no_recording', 'recording_purged', 'recording_unreadable', 'no_id_photo', 'id_photo_purged', 'engine_not_ready'] as const;
export type ReanalysisRefusal = (typeof REANALYSIS_REFUSALS)[number];

export const refusalMessage = (refusal: ReanalysisRefusal, text: string): string => `${refusal}: ${text}`;

export function refusalOf(message: string): ReanalysisRefusal | null {
  const word = /^([a-z_]+): /.exec(message)?.[1];
  return word && (REANALYSIS_REFUSALS as readonly string[]).includes(word) ? (word as ReanalysisRefusal) : null;
}

/** Scores are compared (and shown) to this many decimals: float noise below it is not a difference. */
export const SCORE_DECIMALS = 3;

/** The re-analysis' report reduced to what the call's record can state (the same shape on both sides). */
export interface ReportSide {
  advice: string | null;
  checks: SideCheck[];
  spokenCode: { status: string; reason: string };
  modelVersions: Record<string, string> | null;
  thresholds: { match: number; mismatch: number } | null;
}

export function sideOfReport(report: VerificationReport): ReportSide {
  return {
    advice: report.advice,
    checks: report.checks.map((c) => ({ id: c.id, status: c.status, reason: c.reason, ...(c.score === undefined ? {} : { score: c.score }), ...(c.band ? { band: c.band } : {}) })),
    spokenCode: { status: report.spokenCode.status, reason: report.spokenCode.reason },
    modelVersions: report.modelVersions,
    thresholds: { match: report.thresholds.faceMatch.match, mismatch: report.thresholds.faceMatch.mismatch },
  };
}

type V = string | number | null;
const roundScore = (v: number) => Number(v.toFixed(SCORE_DECIMALS));

function row(key: string, group: ComparisonRow['group'], original: V, reanalysis: V, extra: Pick<ComparisonRow, 'check' | 'field' | 'name'> = {}): ComparisonRow {
  // scores to SCORE_DECIMALS; thresholds exactly (a recalibration may move them by less)
  const round = (v: V) => (typeof v === 'number' && extra.field === 'score' ? roundScore(v) : v);
  const a = round(original);
  const b = round(reanalysis);
  const comparison = original === null && reanalysis !== null ? 'not_recorded' : a === b ? 'same' : 'different';
  return { key, group, ...extra, original: a, reanalysis: b, comparison };
}

/**
 * Every compared item, in display order: the advice; per check status, reason, score (and face match's band);
 * the spoken code; the face-match thresholds; each model file's sha256. A score row only where either side has a
 * score. Without an original report there is nothing to compare: [].
 */
export function comparisonRows(original: OriginalReport | null, reanalysis: VerificationReport): ComparisonRow[] {
  if (!original) return [];
  const now = sideOfReport(reanalysis);
  const rows: ComparisonRow[] = [row('advice', 'advice', original.advice, now.advice)];
  for (const id of CHECK_IDS) {
    const a = original.checks.find((c) => c.id === id);
    const b = now.checks.find((c) => c.id === id);
    const check: CheckId = id;
    rows.push(row(`check.${id}.status`, 'check', a?.status ?? null, b?.status ?? null, { check, field: 'status' }));
    rows.push(row(`check.${id}.reason`, 'check', a?.reason ?? null, b?.reason ?? null, { check, field: 'reason' }));
    if (a?.score !== undefined || b?.score !== undefined) rows.push(row(`check.${id}.score`, 'check', a?.score ?? null, b?.score ?? null, { check, field: 'score' }));
    if (id === 'face_match' && (a?.band || b?.band)) rows.push(row(`check.${id}.band`, 'check', a?.band ?? null, b?.band ?? null, { check, field: 'band' }));
  }
  rows.push(row('spoken_code.status', 'spoken_code', original.spokenCode.status, now.spokenCode.status, { field: 'status' }));
  rows.push(row('spoken_code.reason', 'spoken_code', original.spokenCode.reason, now.spokenCode.reason, { field: 'reason' }));
  rows.push(row('threshold.match', 'threshold', original.thresholds?.match ?? null, now.thresholds?.match ?? null));
  rows.push(row('threshold.mismatch', 'threshold', original.thresholds?.mismatch ?? null, now.thresholds?.mismatch ?? null));
  const names = [...new Set([...Object.keys(original.modelVersions ?? {}), ...Object.keys(now.modelVersions ?? {})])].sort();
  for (const name of names) rows.push(row(`model.${name}`, 'model', original.modelVersions?.[name] ?? null, now.modelVersions?.[name] ?? null, { name }));
  return rows;
}

/** The rows that differ (what `differences` holds). */
export const differencesOf = (original: OriginalReport | null, reanalysis: VerificationReport): ComparisonRow[] =>
  comparisonRows(original, reanalysis).filter((r) => r.comparison === 'different');

