/**
 * console.stats: per day and per agent, computed in SQL over case_facts (one grouped scan per dimension plus one
 * for the override reasons), so 100,000 cases never cross into JavaScript. Definitions (also in the CSV headers):
 * pass rate = passed / decided; disagreement rate = disagreements / compared (cases with both an advice and a
 * decision); re-verification rate = reverified / cases; handle time = decided − opened, over decided cases.
 */
import { FAILED_CHECK_KINDS, dayKey, type ConsoleFilter, type ConsoleStatRow, type ConsoleStats, type FailedCheckKind } from '../../shared/console';
import { FAIL_COLUMN } from '../caselog/case-facts';
import { factsWhere } from './facts-filter';
import type { FactsDb } from './facts-list';

const DAY_MS = 86_400_000;

interface AggRow {
  k: string | number;
  cases: number;
  decided: number;
  passed: number;
  compared: number;
  disagreements: number;
  escalations: number;
  reverified: number;
  avg_handle_ms: number | null;
  [failColumn: string]: number | string | null;
}

const AGGREGATES = `count(*) AS cases,
  sum(decision IS NOT NULL) AS decided,
  sum(decision = 'pass') AS passed,
  sum(advice IS NOT NULL AND decision IS NOT NULL) AS compared,
  sum(disagreement) AS disagreements,
  sum(escalated) AS escalations,
  sum(reverified) AS reverified,
  avg(decided_at - opened_at) AS avg_handle_ms,
  ${FAILED_CHECK_KINDS.map((k) => `sum(${FAIL_COLUMN[k]}) AS ${FAIL_COLUMN[k]}`).join(', ')}`;

const ratio = (n: number, d: number): number | null => (d > 0 ? n / d : null);

function toStatRow(key: string, r: AggRow | undefined, overrides: Record<string, number>): ConsoleStatRow {
  const n = (v: unknown) => Number(v ?? 0);
  const cases = n(r?.cases);
  const decided = n(r?.decided);
  const passed = n(r?.passed);
  const compared = n(r?.compared);
  const disagreements = n(r?.disagreements);
  const reverified = n(r?.reverified);
  const failedChecks = Object.fromEntries(FAILED_CHECK_KINDS.map((k) => [k, n(r?.[FAIL_COLUMN[k]])])) as Record<FailedCheckKind, number>;
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
    avgHandleMs: r?.avg_handle_ms === null || r?.avg_handle_ms === undefined ? null : Math.round(r.avg_handle_ms),
    overrides,
    failedChecks,
  };
}

export function computeStats(src: FactsDb, filter: ConsoleFilter, tzOffsetMinutes: number): ConsoleStats {
  const where = factsWhere(filter, src.idHash);
  const offset = tzOffsetMinutes * 60_000;
  // the day of a case in the lead's zone; integer division of integers in SQLite
  const dayExpr = `(opened_at + ${offset}) / ${DAY_MS}`;
  const grouped = (keyExpr: string) =>
    src.db.prepare(`SELECT ${keyExpr} AS k, ${AGGREGATES} FROM case_facts ${where.sql} GROUP BY k ORDER BY k`).all(...where.params) as AggRow[];
  const reasons = (keyExpr: string) => {
    const rows = src.db
      .prepare(`SELECT ${keyExpr} AS k, coalesce(reason_code, '') AS reason, count(*) AS n FROM case_facts ${where.sql ? `${where.sql} AND` : 'WHERE'} disagreement = 1 GROUP BY k, reason`)
      .all(...where.params) as { k: string | number; reason: string; n: number }[];
    const byKey = new Map<string, Record<string, number>>();
    for (const r of rows) {
      const key = String(r.k);
      const m = byKey.get(key) ?? {};
      m[r.reason] = r.n;
      byKey.set(key, m);
    }
    return byKey;
  };
  const total = src.db.prepare(`SELECT 'total' AS k, ${AGGREGATES} FROM case_facts ${where.sql}`).get(...where.params) as AggRow | undefined;
  const totalReasons = reasons("'total'").get('total') ?? {};
  const dayReasons = reasons(dayExpr);
  const agentReasons = reasons('agent_id');
  return {
    source: src.source,
    tzOffsetMinutes,
    total: toStatRow('total', total, totalReasons),
    byDay: grouped(dayExpr).map((r) => toStatRow(dayKey(Number(r.k)), r, dayReasons.get(String(r.k)) ?? {})),
    byAgent: grouped('agent_id').map((r) => toStatRow(String(r.k), r, agentReasons.get(String(r.k)) ?? {})),
  };
}
