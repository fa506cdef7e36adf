/**
 * The 'backend' source: the lead API (server/leads/, docs/lead-api.md) with the current origin's token.
 *
 * - list: GET /api/v1/lead/cases with the console's filter as query parameters — the server's names are the
 *   console's (server/leads/query.ts; LEAD_FILTER_PARAMS below is the mapping) — plus `limit` and the server's
 *   opaque `cursor`, passed back exactly as its `nextCursor` came (never built or read here).
 * - stats: GET /api/v1/lead/stats with groupBy=day and groupBy=agent (the same filter and zone), the two answers
 *   making the console's ConsoleStats; the server computes both in SQL.
 * - detail: GET /api/v1/lead/cases/:id: the server's summary row, its events, its reviews, and whether its stored
 *   chain re-verified.
 *
 * Still refused (UNAVAILABLE):
 * - the customer reference (list and stats): the server matches `customerRefHash`, the keyed hash each
 *   workstation writes with its own case-log key, so a hash computed here would only find this workstation's
 *   cases — the documented gap of docs/lead-api.md (one organisation-wide lookup key needed); and a query string
 *   ends up in access logs.
 * - sampling and export (ConsoleService says why).
 * Anything the response does not look like is BACKEND_REFUSED MALFORMED_RESPONSE, never passed on half-read.
 */
import { z } from 'zod';
import { CaseEventSchema, CaseIdSchema, REVIEW_OUTCOMES, ReviewSchema, SERVICE_TYPES, VERDICTS, type CaseEvent, type Review } from '../../shared/cases';
import {
  FAILED_CHECK_KINDS,
  filterToQuery,
  type ConsoleCaseRow,
  type ConsoleFilter,
  type ConsolePage,
  type ConsoleStatRow,
  type ConsoleStats,
  type FailedCheckKind,
} from '../../shared/console';
import { DECISIONS } from '../../shared/desk';
import { AppFailure } from '../../shared/errors';
import { ADVICES } from '../../shared/verification';
import { LeadApiError, type LeadApi } from './lead-api';

/**
 * Console filter field → the lead API's query parameter (server/leads/query.ts filterFields). The same names;
 * `customerRef` has no entry on purpose (see above). A field added to ConsoleFilterSchema but not here is refused,
 * never silently dropped from the query.
 */
export const LEAD_FILTER_PARAMS = {
  caseId: 'caseId',
  agentId: 'agentId',
  from: 'from',
  to: 'to',
  serviceType: 'serviceType',
  advice: 'advice',
  decision: 'decision',
  disagreement: 'disagreement',
  escalated: 'escalated',
  review: 'review',
  failedCheck: 'failedCheck',
  reverified: 'reverified',
} as const satisfies Partial<Record<keyof ConsoleFilter, string>>;

/** A row as the server sends it (server/leads/list.ts toConsoleRow). */
const RowFields = z.object({
  caseId: CaseIdSchema,
  workstationId: z.string().nullable(),
  agentId: z.string(),
  serviceType: z.enum(SERVICE_TYPES),
  openedAt: z.number(),
  decidedAt: z.number().nullable(),
  closedAt: z.number().nullable(),
  advice: z.enum(ADVICES).nullable(),
  decision: z.enum(DECISIONS).nullable(),
  verdict: z.enum(VERDICTS).nullable(),
  disagreement: z.boolean(),
  reasonCode: z.string().nullable(),
  escalated: z.boolean(),
  reverified: z.boolean(),
  reviewOutcome: z.enum(REVIEW_OUTCOMES).nullable(),
  // in the console's order of kinds (the server keeps the order it met them in); a kind this build does not know is left out
  failedChecks: z.array(z.string()).transform((ks) => FAILED_CHECK_KINDS.filter((k) => ks.includes(k))),
});
const toRow = (r: z.infer<typeof RowFields>): ConsoleCaseRow => ({ ...r, source: 'backend' });
const RowSchema = RowFields.transform(toRow);
/** The detail's summary: the row plus the ID number's mask (and the chain head, not used here). */
const SummarySchema = RowFields.extend({ idNumberMasked: z.string().nullable().optional() }).transform(({ idNumberMasked, ...r }) => ({
  row: toRow(r),
  idNumberMasked: idNumberMasked ?? null,
}));

const PageSchema = z.object({ rows: z.array(RowSchema), nextCursor: z.string().nullable() });

const Rate = z.number().nullable();
const StatRowSchema = z.object({
  key: z.string(),
  cases: z.number(),
  decided: z.number(),
  passed: z.number(),
  passRate: Rate,
  compared: z.number(),
  disagreements: z.number(),
  disagreementRate: Rate,
  escalations: z.number(),
  reverified: z.number(),
  reverificationRate: Rate,
  avgHandleMs: z.number().nullable(),
  overrides: z.record(z.string(), z.number()),
  failedChecks: z.record(z.string(), z.number()).transform((m) => Object.fromEntries(FAILED_CHECK_KINDS.map((k) => [k, m[k] ?? 0])) as Record<FailedCheckKind, number>),
}) satisfies z.ZodType<ConsoleStatRow, unknown>;
const StatsSchema = z.object({ groupBy: z.enum(['day', 'agent']), tzOffsetMinutes: z.number(), total: StatRowSchema, rows: z.array(StatRowSchema) });

const DetailSchema = z.object({
  caseId: CaseIdSchema,
  summary: SummarySchema,
  chainValid: z.boolean(),
  events: z.array(CaseEventSchema),
  reviews: z.array(ReviewSchema),
});

export interface BackendCase {
  row: ConsoleCaseRow;
  idNumberMasked: string | null;
  events: CaseEvent[];
  reviews: Review[];
  chainValid: boolean;
}

function malformed(what: string): AppFailure {
  return new AppFailure('BACKEND_REFUSED', `MALFORMED_RESPONSE: ${what} did not answer as the lead API does`);
}

/** The filter as the lead API's query parameters (UNAVAILABLE for what it cannot be asked). */
export function leadQuery(filter: ConsoleFilter): URLSearchParams {
  // a URL ends up in access logs, and the server's hash of a reference is per workstation: never sent
  if (filter.customerRef !== undefined) {
    throw new AppFailure('UNAVAILABLE', 'the backend cannot search by customer reference: each workstation hashes references with its own key (search the local case log, or import bundles)');
  }
  const query = new URLSearchParams();
  const unknown: string[] = [];
  for (const [field, value] of Object.entries(filterToQuery(filter))) {
    const param = (LEAD_FILTER_PARAMS as Record<string, string | undefined>)[field];
    if (param) query.set(param, value);
    else unknown.push(field);
  }
  if (unknown.length > 0) throw new AppFailure('UNAVAILABLE', `the backend cannot filter by ${unknown.join(', ')}: import bundles for that`);
  return query;
}

export class BackendSource {
  constructor(private readonly api: LeadApi) {}

  /** A 404 from a list or statistics route means the server has no lead API (they never 404 otherwise). */
  private async get(path: string, what: string): Promise<unknown> {
    try {
      return await this.api.request<unknown>('GET', path);
    } catch (error) {
      if (error instanceof LeadApiError && error.status === 404) throw new AppFailure('UNAVAILABLE', `this backend has no lead API (${what}): update the server, or import bundles meanwhile`);
      throw error;
    }
  }

  async list(filter: ConsoleFilter, cursor: string | null | undefined, limit: number): Promise<ConsolePage> {
    const query = leadQuery(filter);
    query.set('limit', String(limit));
    // the server's own cursor, as it came: opaque to the console
    if (cursor) query.set('cursor', cursor);
    const page = PageSchema.safeParse(await this.get(`api/v1/lead/cases?${query.toString()}`, 'GET /api/v1/lead/cases'));
    if (!page.success) throw malformed('GET /api/v1/lead/cases');
    return { source: 'backend', rows: page.data.rows, nextCursor: page.data.nextCursor };
  }

  /** Per day and per agent from the server's SQL; the total is the same in both answers (the day one is kept). */
  async stats(filter: ConsoleFilter, tzOffsetMinutes: number): Promise<ConsoleStats> {
    const base = leadQuery(filter);
    base.set('tzOffsetMinutes', String(tzOffsetMinutes));
    const ask = async (groupBy: 'day' | 'agent') => {
      const query = new URLSearchParams(base);
      query.set('groupBy', groupBy);
      const stats = StatsSchema.safeParse(await this.get(`api/v1/lead/stats?${query.toString()}`, 'GET /api/v1/lead/stats'));
      if (!stats.success || stats.data.groupBy !== groupBy) throw malformed(`GET /api/v1/lead/stats?groupBy=${groupBy}`);
      return stats.data;
    };
    const [byDay, byAgent] = await Promise.all([ask('day'), ask('agent')]);
    return { source: 'backend', tzOffsetMinutes, total: byDay.total, byDay: byDay.rows, byAgent: byAgent.rows };
  }

  /** One case as the server holds it. NOT_FOUND when the agent's workstation has not synced it (yet). */
  async detail(caseId: string): Promise<BackendCase> {
    let body: unknown;
    try {
      body = await this.api.request<unknown>('GET', `api/v1/lead/cases/${encodeURIComponent(caseId)}`);
    } catch (error) {
      if (error instanceof LeadApiError && error.status === 404) throw new AppFailure('NOT_FOUND', `the backend has no case ${caseId} (the agent's workstation may not have synced it yet)`);
      throw error;
    }
    const parsed = DetailSchema.safeParse(body);
    if (!parsed.success || parsed.data.caseId !== caseId) throw malformed('GET /api/v1/lead/cases/:id');
    const { summary, events, reviews, chainValid } = parsed.data;
    return { ...summary, events: events as CaseEvent[], reviews, chainValid };
  }
}
