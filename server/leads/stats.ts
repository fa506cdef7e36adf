/**
 * GET /api/v1/lead/stats: per day or per agent, and in total, computed in one SQL statement (GROUP BY GROUPING
 * SETS: the groups and the total from one aggregation; the override reasons grouped the same way),
 * so 100,000 cases never cross into JavaScript. The numbers are the console's (src/shared/console.ts
 * ConsoleStatRow), with these definitions:
 * - pass rate = passed / decided: cases whose verdict is `verified` among those with an agent decision;
 * - disagreement rate = disagreements / compared: decisions against the engine's advice among cases that have both;
 * - overrides: decisions against the advice by reason code ('' = none given);
 * - re-verification rate = reverified / cases: a second liveness challenge, or the ID photo set again after the
 *   engine had advised (folded from verification events at ingest; cases from clients that do not send those
 *   events never count as re-verified);
 * - average handle time = mean of (first decision − opened) over decided cases, ms;
 * - failed checks: cases with at least one failed check of each kind.
 */
import { FAILED_CHECK_KINDS, dayKey, type ConsoleStatRow, type FailedCheckKind } from '../../src/shared/console';
import type { Queryable } from '../db/database';
import { leadWhere, type LeadFilter } from './query';

const DAY_MS = 86_400_000;

export type StatsGroup = 'day' | 'agent';

export interface LeadStats {
  groupBy: StatsGroup;
  tzOffsetMinutes: number;
  filter: LeadFilter;
  total: ConsoleStatRow;
  rows: ConsoleStatRow[];
}

interface AggRow {
  g: number;
  k: string | number | null;
  cases: number;
  decided: number;
  passed: number;
  compared: number;
  disagreements: number;
  escalations: number;
  reverified: number;
  avg_handle_ms: string | number | null;
  overrides: Record<string, number> | string | null;
  [failed: `fail_${string}`]: number;
}

const failColumn = (k: FailedCheckKind) => `fail_${k}`;

/** The statement (also what bench/lead-api.ts EXPLAINs); the filter's parameters come first. */
export function statsSql(filter: LeadFilter, groupBy: StatsGroup, tzOffsetMinutes: number): { sql: string; params: unknown[] } {
  const where = leadWhere(filter);
  const params = [...where.params];
  // the day in the lead's zone (bigint division truncates; opening times are after 1970)
  const key = groupBy === 'day' ? `(opened_at + $${params.push(tzOffsetMinutes * 60_000)}::bigint) / ${DAY_MS}` : `COALESCE(agent_id, '')`;
  // Two reads of the matching cases, not one shared CTE: a CTE used twice is materialised, which cost more (on
  // 100,000 cases, ~30 %) than reading again — the override reasons read only the disagreements, from their
  // partial index. `j` joins a group to its reasons (the total's key is NULL, so it gets its own).
  const join = `CASE WHEN GROUPING(k) = 1 THEN 'total' ELSE 'k:' || k::text END`;
  const sql = `
WITH agg AS (
  SELECT ${join} AS j, GROUPING(k) AS g, k,
    count(*)::int AS cases,
    count(*) FILTER (WHERE decision IS NOT NULL)::int AS decided,
    count(*) FILTER (WHERE decision IS NOT NULL AND verdict = 'verified')::int AS passed,
    count(*) FILTER (WHERE advice IS NOT NULL AND decision IS NOT NULL)::int AS compared,
    count(*) FILTER (WHERE disagreement AND advice IS NOT NULL AND decision IS NOT NULL)::int AS disagreements,
    count(*) FILTER (WHERE escalated)::int AS escalations,
    count(*) FILTER (WHERE reverified)::int AS reverified,
    avg(decided_at - opened_at) FILTER (WHERE decided_at IS NOT NULL) AS avg_handle_ms,
    ${FAILED_CHECK_KINDS.map((kind) => `count(*) FILTER (WHERE '${kind}' = ANY (failed_checks))::int AS ${failColumn(kind)}`).join(',\n    ')}
  FROM (SELECT ${key} AS k, opened_at, decided_at, advice, decision, verdict, disagreement, escalated, reverified, failed_checks FROM cases ${where.sql}) c
  GROUP BY GROUPING SETS ((k), ())
),
reasons AS (
  SELECT ${join} AS j, reason, count(*)::int AS n
  FROM (SELECT ${key} AS k, COALESCE(reason_code, '') AS reason FROM cases ${where.sql ? `${where.sql} AND` : 'WHERE'} disagreement) d
  GROUP BY GROUPING SETS ((k, reason), (reason))
),
ovr AS (SELECT j, jsonb_object_agg(reason, n) AS overrides FROM reasons GROUP BY j)
SELECT agg.g, agg.k, agg.cases, agg.decided, agg.passed, agg.compared, agg.disagreements, agg.escalations, agg.reverified, agg.avg_handle_ms,
  ${FAILED_CHECK_KINDS.map((kind) => `agg.${failColumn(kind)}`).join(', ')}, ovr.overrides
FROM agg LEFT JOIN ovr ON ovr.j = agg.j
ORDER BY agg.g, agg.k`;
  return { sql, params };
}

const ratio = (n: number, d: number): number | null => (d > 0 ? n / d : null);

function toStatRow(key: string, r: AggRow | undefined): ConsoleStatRow {
  const n = (v: unknown) => Number(v ?? 0);
  const cases = n(r?.cases);
  const decided = n(r?.decided);
  const passed = n(r?.passed);
  const compared = n(r?.compared);
  const disagreements = n(r?.disagreements);
  const reverified = n(r?.reverified);
  // node-pg leaves jsonb parsed, PGlite too; a text answer is parsed here so both read the same
  const overrides = typeof r?.overrides === 'string' ? (JSON.parse(r.overrides) as Record<string, number>) : (r?.overrides ?? {});
  return {
    key,
    cases,
    decided,
    passed,
    passRate: ratio(passed, decided),
    compared,
    disagreements,
    disagreementRate: ratio(disagreements, compared),
    escalations: n(r?.escalations),
    reverified,
    reverificationRate: ratio(reverified, cases),
    avgHandleMs: r?.avg_handle_ms === null || r?.avg_handle_ms === undefined ? null : Math.round(Number(r.avg_handle_ms)),
    overrides: Object.fromEntries(Object.entries(overrides).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    failedChecks: Object.fromEntries(FAILED_CHECK_KINDS.map((k) => [k, n(r?.[`fail_${k}`])])) as Record<FailedCheckKind, number>,
  };
}

export async function computeStats(db: Queryable, filter: LeadFilter, groupBy: StatsGroup, tzOffsetMinutes: number): Promise<LeadStats> {
  const { sql, params } = statsSql(filter, groupBy, tzOffsetMinutes);
  const { rows } = await db.query<AggRow>(sql, params);
  const total = rows.find((r) => Number(r.g) === 1);
  const keyOf = (k: AggRow['k']) => (groupBy === 'day' ? dayKey(Number(k)) : String(k ?? ''));
  return {
    groupBy,
    tzOffsetMinutes,
    filter,
    // no matching case: still a total, of zeros
    total: toStatRow('total', total),
    rows: rows.filter((r) => Number(r.g) === 0).map((r) => toStatRow(keyOf(r.k), r)),
  };
}
