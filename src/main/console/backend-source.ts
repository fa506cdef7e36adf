/**
 * The 'backend' source: the lead API (server/reviews/routes.ts) with the current origin's token. This is the seam
 * for the server's filters, keyset and statistics in SQL: list() already sends the console's filter as query
 * parameters (filterToQuery) with `cursor` and `limit`, and reads a `{ rows, nextCursor }` answer
 * (LeadCasesResponse) the moment the server gives one. Until then the server answers `{ cases }` with its first page
 * filtered by agent and dates only, and any other filter is refused here rather than silently ignored.
 * Statistics and sampling are not on the backend yet (UNAVAILABLE): the lead imports bundles meanwhile.
 */
import { z } from 'zod';
import { CaseEventSchema, type ServiceType, type Verdict } from '../../shared/cases';
import { filterToQuery, type ConsoleCaseRow, type ConsoleFilter, type ConsolePage, type LeadCasesResponse } from '../../shared/console';
import { AppFailure } from '../../shared/errors';
import { factsOfCase, type KeyedHash } from '../caselog/case-facts';
import type { LeadApi } from './lead-api';
import { toRow } from './facts-list';

/** What the current endpoint can filter by (its `agent`, `from`, `to`). */
const LEGACY_FILTERS = new Set(['agentId', 'from', 'to']);

const LegacyRow = z.object({
  case_id: z.string(),
  workstation: z.string().nullable().optional(),
  agent_id: z.string().nullable(),
  service_type: z.string().nullable(),
  verdict: z.string().nullable(),
  opened_at: z.union([z.number(), z.string()]).nullable(),
  closed_at: z.union([z.number(), z.string()]).nullable(),
});
const LegacyList = z.object({ cases: z.array(LegacyRow) });
const Detail = z.object({ caseId: z.string(), events: z.array(CaseEventSchema) });

const num = (v: number | string | null | undefined): number | null => (v === null || v === undefined ? null : Number(v));

export class BackendSource {
  constructor(
    private readonly api: LeadApi,
    private readonly idHash: KeyedHash,
  ) {}

  async list(filter: ConsoleFilter, cursor: string | null | undefined, limit: number): Promise<ConsolePage> {
    // a URL ends up in access logs: a customer reference never goes into one (the server will need a POST search)
    if (filter.customerRef) throw new AppFailure('UNAVAILABLE', 'the backend cannot search by customer reference yet');
    const query = new URLSearchParams({ ...filterToQuery(filter), limit: String(limit), ...(cursor ? { cursor } : {}) });
    // the current endpoint's own names for the filters it has
    if (filter.agentId) query.set('agent', filter.agentId);
    const body = await this.api.request<unknown>('GET', `api/v1/cases?${query.toString()}`);
    const current = body as Partial<LeadCasesResponse>;
    if (Array.isArray(current.rows)) return { source: 'backend', rows: current.rows, nextCursor: current.nextCursor ?? null };
    const unsupported = Object.keys(filter).filter((k) => filter[k as keyof ConsoleFilter] !== undefined && !LEGACY_FILTERS.has(k));
    if (unsupported.length > 0) throw new AppFailure('UNAVAILABLE', `the backend cannot filter by ${unsupported.join(', ')} yet: import bundles for that`);
    if (cursor) return { source: 'backend', rows: [], nextCursor: null };
    const legacy = LegacyList.safeParse(body);
    if (!legacy.success) throw new AppFailure('BACKEND_REFUSED', 'MALFORMED_RESPONSE: GET /api/v1/cases');
    const rows: ConsoleCaseRow[] = legacy.data.cases.map((c) => ({
      caseId: c.case_id,
      source: 'backend',
      workstationId: c.workstation ?? null,
      agentId: c.agent_id ?? '',
      serviceType: (c.service_type ?? 'consult') as ServiceType,
      openedAt: num(c.opened_at) ?? 0,
      decidedAt: null,
      closedAt: num(c.closed_at),
      advice: null,
      decision: c.verdict === 'verified' ? 'pass' : c.verdict === 'rejected' ? 'fail' : null,
      verdict: c.verdict as Verdict | null,
      disagreement: false,
      reasonCode: null,
      escalated: false,
      reverified: false,
      reviewOutcome: null,
      failedChecks: [],
    }));
    // the first page only: the current endpoint has no cursor
    return { source: 'backend', rows, nextCursor: null };
  }

  /** One case from the backend, its facts folded from its events as the workstation would. */
  async detail(caseId: string): Promise<{ row: ConsoleCaseRow; events: z.infer<typeof Detail>['events'] }> {
    const parsed = Detail.safeParse(await this.api.request('GET', `api/v1/cases/${encodeURIComponent(caseId)}`));
    if (!parsed.success) throw new AppFailure('BACKEND_REFUSED', 'MALFORMED_RESPONSE: GET /api/v1/cases/:id');
    const facts = factsOfCase(parsed.data.events, this.idHash);
    if (!facts) throw new AppFailure('NOT_FOUND', `case ${caseId} has no case.opened event on the backend`);
    return { row: toRow(facts, 'backend', null), events: parsed.data.events };
  }
}
