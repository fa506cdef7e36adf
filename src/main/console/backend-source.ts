/**
 * The 'backend' source: the lead API (server/leads/, docs/lead-api.md) with the current origin's token.
 *
 * - list: GET /api/v1/lead/cases with the console's filter as query parameters — the server's names are the
 *   console's (server/leads/query.ts; LEAD_FILTER_PARAMS below is the mapping) — plus `limit` and the server's
 *   opaque `cursor`, passed back exactly as its `nextCursor` came (never built or read here).
 * - stats: GET /api/v1/lead/stats with groupBy=day and groupBy=agent (the same filter and zone), the two answers
 *   making the console's ConsoleStats; the server computes both in SQL.
 * - sample: GET /api/v1/lead/sample: the server draws over its cases with the console's own algorithm
 *   (src/shared/console-sample.ts), so only the sample crosses the network, not every matching case.
 * - rows (the CSV export): POST /api/v1/lead/cases/rows, at most LEAD_ROWS_PER_REQUEST ids a request.
 * - detail: GET /api/v1/lead/cases/:id: the server's summary row, its events, its reviews, and whether its stored
 *   chain re-verified.
 * - the customer reference: the same three questions as POSTs (…/cases/search, …/stats/search, …/sample/search)
 *   with the clear reference in the JSON body — never in a URL, which ends up in access logs. The server hashes it
 *   with its own lookup key, the one it stored every workstation's cases under at ingest, so one search finds the
 *   customer's cases of every workstation (a hash made here, with this workstation's key, would find only ours).
 * Anything the response does not look like is BACKEND_REFUSED MALFORMED_RESPONSE, never passed on half-read.
 */
import { z } from 'zod';
import { CaseEventSchema, CaseIdSchema, REVIEW_OUTCOMES, ReviewSchema, SERVICE_TYPES, VERDICTS, type CaseEvent, type Review } from '../../shared/cases';
import {
  FAILED_CHECK_KINDS,
  filterToQuery,
  SAMPLE_REASONS,
  type ConsoleCaseRow,
  type ConsoleFilter,
  type ConsolePage,
  type ConsoleSample,
  type ConsoleStatRow,
  type ConsoleStats,
  type FailedCheckKind,
} from '../../shared/console';
import type { SampleOptions } from '../../shared/console-sample';
import { DECISIONS } from '../../shared/desk';
import { AppFailure } from '../../shared/errors';
import { ADVICES } from '../../shared/verification';
import { LeadApiError, type LeadApi } from './lead-api';

/**
 * Console filter field → the lead API's query parameter (server/leads/query.ts filterFields). The same names;
 * `customerRef` has no entry on purpose: it goes only in a search's body (leadBody). A field added to
 * ConsoleFilterSchema but not here is refused, never silently dropped from the query.
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

const SampleSchema = z.object({
  seed: z.string(),
  rate: z.number(),
  population: z.number(),
  picks: z.array(z.object({ caseId: CaseIdSchema, agentId: z.string(), week: z.string(), openedAt: z.number(), reasons: z.array(z.enum(SAMPLE_REASONS)) })),
  strata: z.array(z.object({ agentId: z.string(), week: z.string(), cases: z.number(), drawn: z.number() })),
}) satisfies z.ZodType<ConsoleSample, unknown>;

const RowsSchema = z.object({ rows: z.array(RowSchema) });

/** The server's bound on POST /api/v1/lead/cases/rows (server/leads/query.ts LEAD_ROWS_MAX): a list page's worth. */
export const LEAD_ROWS_PER_REQUEST = 500;

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
  // a URL ends up in access logs: a reference goes only in a search's body (leadBody)
  if (filter.customerRef !== undefined) throw new AppFailure('INTERNAL', 'a customer reference is searched with a POST body, never a query string');
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

/** The filter as a search's JSON body (server/leads/query.ts bodyFilterFields): its own values, with the reference. */
export function leadBody(filter: ConsoleFilter & { customerRef: string }): Record<string, unknown> {
  const { customerRef, ...rest } = filter;
  // the same check as leadQuery: a field the server does not know is refused here, not dropped
  leadQuery(rest);
  return { ...rest, customerRef };
}

const hasRef = (filter: ConsoleFilter): filter is ConsoleFilter & { customerRef: string } => filter.customerRef !== undefined;

export class BackendSource {
  constructor(private readonly api: LeadApi) {}

  /** A 404 from a list, statistics, sample, search or rows route means the server lacks it (they never 404 otherwise). */
  private async call(method: 'GET' | 'POST', path: string, what: string, body?: unknown): Promise<unknown> {
    try {
      return await this.api.request<unknown>(method, path, body);
    } catch (error) {
      if (error instanceof LeadApiError && error.status === 404) throw new AppFailure('UNAVAILABLE', `this backend has no lead API (${what}): update the server, or import bundles meanwhile`);
      throw error;
    }
  }

  private get(path: string, what: string): Promise<unknown> {
    return this.call('GET', path, what);
  }

  async list(filter: ConsoleFilter, cursor: string | null | undefined, limit: number): Promise<ConsolePage> {
    let answer: unknown;
    let what: string;
    if (hasRef(filter)) {
      what = 'POST /api/v1/lead/cases/search';
      answer = await this.call('POST', 'api/v1/lead/cases/search', what, { ...leadBody(filter), limit, ...(cursor ? { cursor } : {}) });
    } else {
      const query = leadQuery(filter);
      query.set('limit', String(limit));
      // the server's own cursor, as it came: opaque to the console
      if (cursor) query.set('cursor', cursor);
      what = 'GET /api/v1/lead/cases';
      answer = await this.get(`api/v1/lead/cases?${query.toString()}`, what);
    }
    const page = PageSchema.safeParse(answer);
    if (!page.success) throw malformed(what);
    return { source: 'backend', rows: page.data.rows, nextCursor: page.data.nextCursor };
  }

  /** Per day and per agent from the server's SQL; the total is the same in both answers (the day one is kept). */
  async stats(filter: ConsoleFilter, tzOffsetMinutes: number): Promise<ConsoleStats> {
    const ask = async (groupBy: 'day' | 'agent') => {
      let answer: unknown;
      if (hasRef(filter)) {
        answer = await this.call('POST', 'api/v1/lead/stats/search', 'POST /api/v1/lead/stats/search', { ...leadBody(filter), groupBy, tzOffsetMinutes });
      } else {
        const query = leadQuery(filter);
        query.set('tzOffsetMinutes', String(tzOffsetMinutes));
        query.set('groupBy', groupBy);
        answer = await this.get(`api/v1/lead/stats?${query.toString()}`, 'GET /api/v1/lead/stats');
      }
      const stats = StatsSchema.safeParse(answer);
      if (!stats.success || stats.data.groupBy !== groupBy) throw malformed(`the lead statistics (groupBy=${groupBy})`);
      return stats.data;
    };
    const [byDay, byAgent] = await Promise.all([ask('day'), ask('agent')]);
    return { source: 'backend', tzOffsetMinutes, total: byDay.total, byDay: byDay.rows, byAgent: byAgent.rows };
  }

  /** The server's draw over the cases the filter selects: the same picks as a local draw over the same cases. */
  async sample(filter: ConsoleFilter, options: SampleOptions): Promise<ConsoleSample> {
    const { seed, rate, includeOverrides, includeEscalations, tzOffsetMinutes } = options;
    let answer: unknown;
    if (hasRef(filter)) {
      answer = await this.call('POST', 'api/v1/lead/sample/search', 'POST /api/v1/lead/sample/search', { ...leadBody(filter), seed, rate, includeOverrides, includeEscalations, tzOffsetMinutes });
    } else {
      const query = leadQuery(filter);
      for (const [k, v] of Object.entries({ seed, rate, includeOverrides, includeEscalations, tzOffsetMinutes })) query.set(k, String(v));
      answer = await this.get(`api/v1/lead/sample?${query.toString()}`, 'GET /api/v1/lead/sample');
    }
    const sample = SampleSchema.safeParse(answer);
    if (!sample.success || sample.data.seed !== seed) throw malformed('the lead sample');
    return sample.data;
  }

  /** The rows of chosen cases, in the order asked (unknown ones left out), LEAD_ROWS_PER_REQUEST at a time. */
  async rows(caseIds: readonly string[]): Promise<ConsoleCaseRow[]> {
    const byId = new Map<string, ConsoleCaseRow>();
    const unique = [...new Set(caseIds)];
    for (let i = 0; i < unique.length; i += LEAD_ROWS_PER_REQUEST) {
      const chunk = unique.slice(i, i + LEAD_ROWS_PER_REQUEST);
      const answer = RowsSchema.safeParse(await this.call('POST', 'api/v1/lead/cases/rows', 'POST /api/v1/lead/cases/rows', { caseIds: chunk }));
      if (!answer.success) throw malformed('POST /api/v1/lead/cases/rows');
      for (const r of answer.data.rows) if (chunk.includes(r.caseId)) byId.set(r.caseId, r);
    }
    return caseIds.flatMap((id) => byId.get(id) ?? []);
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
