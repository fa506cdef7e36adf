/**
 * The lead API's query parameters and POST bodies, and the WHERE clause they become (GET /api/v1/lead/cases,
 * /stats, /sample; POST …/search; POST /api/v1/lead/cases/rows).
 *
 * The names and values are the 质检 console's filter (src/shared/console.ts ConsoleFilterSchema) so that the
 * console's local, bundle and backend sources answer the same question in the same words, with two differences a
 * server needs: `workstationId` (a backend holds many workstations' cases), and the customer reference never in a
 * query string — there only `customerRefHash` (a workstation's own keyed hash); the clear `customerRef` only in a
 * search's JSON body, turned at once into the server's lookup (./ref-lookup.ts), so no reference reaches a URL or log.
 * Values travel as bind parameters; only fixed column names and the yes/no literals are written into the SQL —
 * the literals on purpose: PostgreSQL matches a partial index (`WHERE disagreement`) only to a query that says
 * the same predicate, which a bound `= $1` does not prove.
 */
import { z } from 'zod';
import { CaseIdSchema, SERVICE_TYPES } from '../../src/shared/cases';
import { DECISION_FILTERS, FAILED_CHECK_KINDS, REVIEW_STATUSES } from '../../src/shared/console';
import { ADVICES } from '../../src/shared/verification';

export const LEAD_PAGE_MAX = 500;

const EpochMs = z
  .string()
  .regex(/^\d{1,16}$/, 'epoch milliseconds')
  .transform(Number)
  .pipe(z.number().max(Number.MAX_SAFE_INTEGER));
const Bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** The filter fields (each optional; all given are ANDed). */
const filterFields = {
  /** A case id or the start of one (at least 4 characters), as the console searches. */
  caseId: z.string().regex(/^[A-Za-z0-9._:-]{4,64}$/).optional(),
  workstationId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).optional(),
  agentId: z.string().trim().min(1).max(64).optional(),
  /** hex HMAC-SHA256 of the customer reference, computed by the workstation (case.opened customerRefHash). */
  customerRefHash: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** Inclusive lower / exclusive upper bound on the case's opening time (epoch ms). */
  from: EpochMs.optional(),
  to: EpochMs.optional(),
  serviceType: z.enum(SERVICE_TYPES).optional(),
  advice: z.enum(ADVICES).optional(),
  /** pass | fail, or none (no decision yet: open, abandoned, or a service type that needs none). */
  decision: z.enum(DECISION_FILTERS).optional(),
  disagreement: Bool.optional(),
  escalated: Bool.optional(),
  /** unreviewed | reviewed | one review outcome (the latest review of the case). */
  review: z.enum(REVIEW_STATUSES).optional(),
  failedCheck: z.enum(FAILED_CHECK_KINDS).optional(),
  reverified: Bool.optional(),
};

const fromBeforeTo = (q: { from?: number; to?: number }) => q.from === undefined || q.to === undefined || q.from < q.to;
const RANGE = { message: 'from must be before to', path: ['to'] };

export const LeadListQuerySchema = z
  .object({
    ...filterFields,
    cursor: z.string().max(200).optional(),
    limit: z
      .string()
      .regex(/^\d{1,3}$/)
      .transform(Number)
      .pipe(z.number().int().min(1).max(LEAD_PAGE_MAX))
      .default(100),
  })
  .strict()
  .refine(fromBeforeTo, RANGE);
export type LeadListQuery = z.infer<typeof LeadListQuerySchema>;

/** Minutes east of UTC that define a day (the console's TzOffsetSchema, as a query string; China +480). */
const TzOffset = z
  .string()
  .regex(/^-?\d{1,3}$/)
  .transform(Number)
  .pipe(z.number().int().min(-840).max(840))
  .default(480);

export const STATS_GROUPS = ['day', 'agent'] as const;
export const LeadStatsQuerySchema = z
  .object({
    ...filterFields,
    groupBy: z.enum(STATS_GROUPS).default('day'),
    tzOffsetMinutes: TzOffset,
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict()
  .refine(fromBeforeTo, RANGE);
export type LeadStatsQuery = z.infer<typeof LeadStatsQuerySchema>;

/**
 * The filter a search adds: the server's lookup of the lead's customer reference (./ref-lookup.ts), computed from
 * a POST body, never read from a query string.
 */
export type LeadFilter = Partial<{ [K in keyof typeof filterFields]: z.infer<(typeof filterFields)[K]> }> & { customerRefLookup?: string };

// ---- sampling (GET /api/v1/lead/sample) ---------------------------------------------------------------------------

/** A JavaScript number as String() writes one (the console sends String(rate)): 0.05, 1, 1e-7. */
const Decimal = z
  .string()
  .regex(/^(?:\d{1,16}(?:\.\d{1,16})?|\.\d{1,16})(?:e-?\d{1,3})?$/i, 'a decimal number')
  .transform(Number);

/** The sample's own parameters (the console's ConsoleSampleSchema, as strings), shared by the GET and the POST. */
const sampleFields = {
  seed: z.string().trim().min(1).max(64),
  rate: Decimal.pipe(z.number().gt(0).max(1)).default(0.05),
  includeOverrides: Bool.default(true),
  includeEscalations: Bool.default(true),
  tzOffsetMinutes: TzOffset,
};

export const LeadSampleQuerySchema = z
  .object({ ...filterFields, ...sampleFields })
  .strict()
  .refine(fromBeforeTo, RANGE);
export type LeadSampleQuery = z.infer<typeof LeadSampleQuerySchema>;

// ---- POST bodies: the customer-reference searches and the export's rows ------------------------------------------

/**
 * The filter as JSON values (a POST body): the console's own ConsoleFilter types, plus workstationId. The clear
 * reference travels only here: a body reaches no access log, a query string does.
 */
const EpochJson = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const bodyFilterFields = {
  customerRef: z.string().trim().min(1).max(64),
  caseId: filterFields.caseId,
  workstationId: filterFields.workstationId,
  agentId: filterFields.agentId,
  from: EpochJson.optional(),
  to: EpochJson.optional(),
  serviceType: filterFields.serviceType,
  advice: filterFields.advice,
  decision: filterFields.decision,
  disagreement: z.boolean().optional(),
  escalated: z.boolean().optional(),
  review: filterFields.review,
  failedCheck: filterFields.failedCheck,
  reverified: z.boolean().optional(),
};

/** POST /api/v1/lead/cases/search: a list page of the cases of one customer reference (and any other filter). */
export const LeadCasesSearchSchema = z
  .object({ ...bodyFilterFields, cursor: z.string().max(200).optional(), limit: z.number().int().min(1).max(LEAD_PAGE_MAX).default(100) })
  .strict()
  .refine(fromBeforeTo, RANGE);

/** POST /api/v1/lead/stats/search (JSON only: a CSV of one customer's cases is the console's to write). */
export const LeadStatsSearchSchema = z
  .object({ ...bodyFilterFields, groupBy: z.enum(STATS_GROUPS).default('day'), tzOffsetMinutes: z.number().int().min(-840).max(840).default(480) })
  .strict()
  .refine(fromBeforeTo, RANGE);

/** POST /api/v1/lead/sample/search. */
export const LeadSampleSearchSchema = z
  .object({
    ...bodyFilterFields,
    seed: sampleFields.seed,
    rate: z.number().gt(0).max(1).default(0.05),
    includeOverrides: z.boolean().default(true),
    includeEscalations: z.boolean().default(true),
    tzOffsetMinutes: z.number().int().min(-840).max(840).default(480),
  })
  .strict()
  .refine(fromBeforeTo, RANGE);

/**
 * POST /api/v1/lead/cases/rows: the rows of chosen cases (the console's CSV export). At most a page's worth per
 * request: 500 primary-key reads and a ~250 KB answer, the same bound as a list page, so an export of the console's
 * 2,000-case selection is four requests under the global per-token budget rather than one unbounded read.
 */
export const LEAD_ROWS_MAX = LEAD_PAGE_MAX;
export const LeadRowsSchema = z.object({ caseIds: z.array(CaseIdSchema).min(1).max(LEAD_ROWS_MAX) }).strict();

/** A body's filter with the reference replaced by its lookup (the reference goes no further than this). */
export function bodyFilterOf(body: { customerRef: string } & Record<string, unknown>, lookup: (ref: string) => string): LeadFilter {
  const out: LeadFilter = { customerRefLookup: lookup(body.customerRef) };
  for (const k of Object.keys(bodyFilterFields)) {
    if (k !== 'customerRef' && body[k] !== undefined) (out as Record<string, unknown>)[k] = body[k];
  }
  return out;
}

/** The keyset position: the last row of the page before. */
export interface Keyset {
  openedAt: number;
  caseId: string;
}

const KeysetSchema = z.tuple([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), CaseIdSchema]);

/** Opaque to clients (base64url of JSON), so the server may change what a position holds without breaking them. */
export const encodeCursor = (k: Keyset): string => Buffer.from(JSON.stringify([k.openedAt, k.caseId])).toString('base64url');
export function decodeCursor(cursor: string): Keyset | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  try {
    const parsed = KeysetSchema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.success ? { openedAt: parsed.data[0], caseId: parsed.data[1] } : null;
  } catch {
    return null;
  }
}

export interface SqlWhere {
  /** '' or 'WHERE …' */
  sql: string;
  params: unknown[];
}

/** LIKE's own characters in a case id ('_' is allowed in one) are escaped, so the prefix is taken literally. */
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The filter (and the keyset, when paging) as a WHERE clause over `cases`; parameters start at $1. */
export function leadWhere(filter: LeadFilter, keyset: Keyset | null = null): SqlWhere {
  const where: string[] = [];
  const params: unknown[] = [];
  const bind = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const flag = (column: string, value: boolean | undefined) => {
    if (value !== undefined) where.push(value ? column : `NOT ${column}`);
  };
  // text_pattern_ops index (cases_case_id_prefix): a prefix is a range scan in any collation
  if (filter.caseId) where.push(`case_id LIKE ${bind(likePrefix(filter.caseId))}`);
  if (filter.workstationId) where.push(`workstation = ${bind(filter.workstationId)}`);
  if (filter.agentId) where.push(`agent_id = ${bind(filter.agentId)}`);
  if (filter.customerRefHash) where.push(`customer_ref_hash = ${bind(filter.customerRefHash)}`);
  // cases_customer_lookup_keyset (schema version 9): the server's own keyed hash, the same for every workstation
  if (filter.customerRefLookup) where.push(`customer_ref_lookup = ${bind(filter.customerRefLookup)}`);
  if (filter.from !== undefined) where.push(`opened_at >= ${bind(filter.from)}`);
  if (filter.to !== undefined) where.push(`opened_at < ${bind(filter.to)}`);
  if (filter.serviceType) where.push(`service_type = ${bind(filter.serviceType)}`);
  if (filter.advice) where.push(`advice = ${bind(filter.advice)}`);
  if (filter.decision === 'none') where.push('decision IS NULL');
  else if (filter.decision) where.push(`decision = ${bind(filter.decision)}`);
  flag('disagreement', filter.disagreement);
  flag('escalated', filter.escalated);
  flag('reverified', filter.reverified);
  if (filter.review === 'unreviewed') where.push('review_outcome IS NULL');
  else if (filter.review === 'reviewed') where.push('review_outcome IS NOT NULL');
  else if (filter.review) where.push(`review_outcome = ${bind(filter.review)}`);
  // the kind as a literal (the schema allows only FAILED_CHECK_KINDS): each has its partial index, matched by predicate
  if (filter.failedCheck) {
    if (!(FAILED_CHECK_KINDS as readonly string[]).includes(filter.failedCheck)) throw new Error(`not a failed-check kind: ${filter.failedCheck}`);
    where.push(`'${filter.failedCheck}' = ANY (failed_checks)`);
  }
  if (keyset) {
    // (opened_at DESC, case_id ASC) after the last row: mixed directions, so no row comparison; the first
    // conjunct is the index range, the second picks up ties on opened_at
    const t = bind(keyset.openedAt);
    where.push(`opened_at <= ${t} AND (opened_at < ${t} OR case_id > ${bind(keyset.caseId)})`);
  }
  return { sql: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

/** The filter fields of a parsed query (cursor, limit, groupBy … left out). */
export function filterOf(q: LeadFilter & Record<string, unknown>): LeadFilter {
  const out: LeadFilter = {};
  for (const k of Object.keys(filterFields) as (keyof LeadFilter)[]) if (q[k] !== undefined) (out as Record<string, unknown>)[k] = q[k];
  return out;
}
