/**
 * GET /api/v1/lead/cases: filtered, newest first, keyset-paginated on (opened_at DESC, case_id). A page is one
 * index range scan from the cursor on, whatever page it is (OFFSET would read and drop every row before it), and
 * a case inserted between two pages can neither push a row into the next page twice nor make one skip a row.
 */
import type { ReviewOutcome, ServiceType, Verdict } from '../../src/shared/cases';
import type { ConsoleCaseRow, FailedCheckKind, LeadCasesResponse } from '../../src/shared/console';
import type { Queryable } from '../db/database';
import { encodeCursor, leadWhere, type Keyset, type LeadFilter } from './query';

/** The columns a row is built from (the detail adds its own). */
export const ROW_COLUMNS =
  'case_id, workstation, agent_id, service_type, opened_at, decided_at, closed_at, advice, decision, verdict, disagreement, reason_code, escalated, reverified, review_outcome, failed_checks';

export interface CaseRowDb {
  case_id: string;
  workstation: string;
  agent_id: string | null;
  service_type: string | null;
  opened_at: number | string;
  decided_at: number | string | null;
  closed_at: number | string | null;
  advice: string | null;
  decision: string | null;
  verdict: string | null;
  disagreement: boolean;
  reason_code: string | null;
  escalated: boolean;
  reverified: boolean;
  review_outcome: string | null;
  failed_checks: string[];
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

/** A stored case as the console lists it (ConsoleCaseRow, source 'backend'): facts only, never biometric data. */
export function toConsoleRow(r: CaseRowDb): ConsoleCaseRow {
  return {
    caseId: r.case_id,
    source: 'backend',
    workstationId: r.workstation,
    agentId: r.agent_id ?? '',
    serviceType: (r.service_type ?? 'consult') as ServiceType,
    openedAt: Number(r.opened_at),
    decidedAt: num(r.decided_at),
    closedAt: num(r.closed_at),
    advice: r.advice as ConsoleCaseRow['advice'],
    decision: r.decision as ConsoleCaseRow['decision'],
    verdict: r.verdict as Verdict | null,
    disagreement: r.disagreement,
    reasonCode: r.reason_code,
    escalated: r.escalated,
    reverified: r.reverified,
    reviewOutcome: r.review_outcome as ReviewOutcome | null,
    failedChecks: r.failed_checks as FailedCheckKind[],
  };
}

/** The SQL of one page (also what bench/lead-api.ts EXPLAINs). */
export function listSql(filter: LeadFilter, keyset: Keyset | null, limit: number): { sql: string; params: unknown[] } {
  const where = leadWhere(filter, keyset);
  // one row more than asked says whether there is a next page
  return { sql: `SELECT ${ROW_COLUMNS} FROM cases ${where.sql} ORDER BY opened_at DESC, case_id LIMIT ${limit + 1}`, params: where.params };
}

export async function listCases(db: Queryable, filter: LeadFilter, keyset: Keyset | null, limit: number): Promise<LeadCasesResponse> {
  const { sql, params } = listSql(filter, keyset, limit);
  const { rows } = await db.query<CaseRowDb>(sql, params);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    rows: page.map(toConsoleRow),
    nextCursor: rows.length > limit && last ? encodeCursor({ openedAt: Number(last.opened_at), caseId: last.case_id }) : null,
  };
}

/**
 * The rows of chosen cases (POST /api/v1/lead/cases/rows, the console's CSV export), in the order asked; unknown
 * ids are left out, as the console's local export does. One primary-key read for all of them.
 */
export async function rowsByIds(db: Queryable, caseIds: readonly string[]): Promise<ConsoleCaseRow[]> {
  const { rows } = await db.query<CaseRowDb>(`SELECT ${ROW_COLUMNS} FROM cases WHERE case_id = ANY ($1::text[])`, [[...new Set(caseIds)]]);
  const byId = new Map(rows.map((r) => [r.case_id, toConsoleRow(r)]));
  return caseIds.flatMap((id) => byId.get(id) ?? []);
}
