/**
 * console.stats: per day and per agent, computed in SQL over case_facts (one grouped scan, plus one small query for
 * the override reasons), so 100,000 cases never cross into JavaScript — only their few thousand (day, agent) sums
 * do. Definitions (also the CSV columns):
 * pass rate = passed / decided; disagreement rate = disagreements / compared (cases with both an advice and a
 * decision); re-verification rate = reverified / cases; handle time = decided − opened, over decided cases.
 */
import { FAILED_CHECK_KINDS, dayKey, type ConsoleFilter, type ConsoleStatRow, type ConsoleStats, type FailedCheckKind } from '../../shared/console';
import { FAIL_COLUMN } from '../caselog/case-facts';
import { factsWhere } from './facts-filter';
import type { FactsDb } from './facts-list';

const DAY_MS = 86_400_000;

/** The sums of one (day, agent) group; rates and means are derived after merging. */
interface Sums {
  cases: number;
  decided: number;
  passed: number;
  compared: number;
  disagreements: number;
  escalations: number;
  reverified: number;
  handleSum: number;
  handleN: number;
  failed: Record<FailedCheckKind, number>;
  overrides: Record<string, number>;
}

const SUMS = `count(*) AS cases,
  sum(decision IS NOT NULL) AS decided,
  sum(decision = 'pass') AS passed,
  sum(advice IS NOT NULL AND decision IS NOT NULL) AS compared,
  sum(disagreement) AS disagreements,
  sum(escalated) AS escalations,
  sum(reverified) AS reverified,
  sum(decided_at - opened_at) AS handle_sum,
  count(decided_at) AS handle_n,
  ${FAILED_CHECK_KINDS.map((k) => `sum(${FAIL_COLUMN[k]}) AS ${FAIL_COLUMN[k]}`).join(', ')}`;

const emptySums = (): Sums => ({
  cases: 0,
  decided: 0,
  passed: 0,
  compared: 0,
  disagreements: 0,
  escalations: 0,
  reverified: 0,
  handleSum: 0,
  handleN: 0,
  failed: Object.fromEntries(FAILED_CHECK_KINDS.map((k) => [k, 0])) as Record<FailedCheckKind, number>,
  overrides: {},
});

function add(into: Sums, r: Record<string, unknown>): void {
  const n = (v: unknown) => Number(v ?? 0);
  into.cases += n(r.cases);
  into.decided += n(r.decided);
  into.passed += n(r.passed);
  into.compared += n(r.compared);
  into.disagreements += n(r.disagreements);
  into.escalations += n(r.escalations);
  into.reverified += n(r.reverified);
  into.handleSum += n(r.handle_sum);
  into.handleN += n(r.handle_n);
  for (const k of FAILED_CHECK_KINDS) into.failed[k] += n(r[FAIL_COLUMN[k]]);
}

const ratio = (n: number, d: number): number | null => (d > 0 ? n / d : null);

function toStatRow(key: string, s: Sums): ConsoleStatRow {
  return {
    key,
    cases: s.cases,
    decided: s.decided,
    passed: s.passed,
    passRate: ratio(s.passed, s.decided),
    compared: s.compared,
    disagreements: s.disagreements,
    disagreementRate: ratio(s.disagreements, s.compared),
    escalations: s.escalations,
    reverified: s.reverified,
    reverificationRate: ratio(s.reverified, s.cases),
    avgHandleMs: s.handleN > 0 ? Math.round(s.handleSum / s.handleN) : null,
    overrides: s.overrides,
    failedChecks: s.failed,
  };
}

/**
 * One grouped scan by (day, agent) gives every statistic: the day rows, the agent rows and the total are sums of
 * those few thousand groups — rather than a scan per dimension. `+agent_id` keeps SQLite on the table scan (through
 * the agent index it would fetch every row by key, three times slower). Override reasons come from the partial
 * index of disagreements in a second, small query.
 */
export function computeStats(src: FactsDb, filter: ConsoleFilter, tzOffsetMinutes: number): ConsoleStats {
  const where = factsWhere(filter, src.idHash);
  // the day of a case in the lead's zone; integer division of integers in SQLite
  const day = `(opened_at + ${tzOffsetMinutes * 60_000}) / ${DAY_MS}`;
  const groups = src.db.prepare(`SELECT ${day} AS d, +agent_id AS a, ${SUMS} FROM case_facts ${where.sql} GROUP BY d, a`).all(...where.params) as Record<string, unknown>[];
  const reasons = src.db
    .prepare(`SELECT ${day} AS d, +agent_id AS a, coalesce(reason_code, '') AS reason, count(*) AS n FROM case_facts ${where.sql ? `${where.sql} AND` : 'WHERE'} disagreement = 1 GROUP BY d, a, reason`)
    .all(...where.params) as { d: number; a: string; reason: string; n: number }[];
  const total = emptySums();
  const byDay = new Map<number, Sums>();
  const byAgent = new Map<string, Sums>();
  const at = <K>(m: Map<K, Sums>, k: K) => {
    let s = m.get(k);
    if (!s) m.set(k, (s = emptySums()));
    return s;
  };
  for (const g of groups) {
    add(total, g);
    add(at(byDay, Number(g.d)), g);
    add(at(byAgent, String(g.a)), g);
  }
  for (const r of reasons) {
    for (const s of [total, at(byDay, Number(r.d)), at(byAgent, String(r.a))]) s.overrides[r.reason] = (s.overrides[r.reason] ?? 0) + r.n;
  }
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    source: src.source,
    tzOffsetMinutes,
    total: toStatRow('total', total),
    byDay: [...byDay].sort((a, b) => a[0] - b[0]).map(([d, s]) => toStatRow(dayKey(d), s)),
    byAgent: [...byAgent].sort((a, b) => byText(a[0], b[0])).map(([a, s]) => toStatRow(a, s)),
  };
}
