/**
 * The QA sample's draw (issue 11 item 6), one copy for the workstation (src/main/console/sample.ts, over its
 * case_facts) and the backend (GET /api/v1/lead/sample, server/leads/sample.ts, over its cases table), so a sample
 * drawn on the server and one drawn locally over the same cases with the same seed are the same sample.
 *
 * Strata are agent × ISO week; from each, ceil(rate × size) cases are drawn — the ones whose sha256(seed, case id)
 * is smallest — plus every override (decision against the advice) and every escalation.
 *
 * Why a keyed hash instead of a PRNG stream: a case's draw depends only on the seed and its own id, not on the
 * order rows come back in or on which other cases exist. The same seed over the same cases gives the same sample on
 * any machine; a case arriving later never changes whether an earlier one was drawn (only the stratum's quota).
 * sha256 comes from src/common/hash.ts (node:crypto where a Node process switched to it, @noble/hashes otherwise):
 * the same bytes either way, and no Node import here.
 */
import { sha256Hex } from '../common/hash';
import { isoWeek, type ConsoleSample, type SamplePick, type SampleReason } from './console';

export interface SampleOptions {
  seed: string;
  rate: number;
  includeOverrides: boolean;
  includeEscalations: boolean;
  tzOffsetMinutes: number;
}

/** The five facts a draw needs of a case (whatever store they come from). */
export interface SampleRow {
  caseId: string;
  agentId: string;
  openedAt: number;
  disagreement: boolean;
  escalated: boolean;
}

/** sha256 over seed ‖ NUL ‖ case id (UTF-8), hex: a NUL cannot occur in either, so no two pairs share an input. */
export const sampleDrawKey = (seed: string, caseId: string): string => sha256Hex(`${seed}\u0000${caseId}`);

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The sample of `rows` (the cases a filter selected, in any order). */
export function drawSampleRows(rows: readonly SampleRow[], options: SampleOptions): ConsoleSample {
  // a week depends only on the local day: one isoWeek per day, not per case (a year's 100,000 cases span 366 days)
  const weeks = new Map<number, string>();
  const weekOf = (at: number): string => {
    const day = Math.floor((at + options.tzOffsetMinutes * 60_000) / 86_400_000);
    let week = weeks.get(day);
    if (week === undefined) weeks.set(day, (week = isoWeek(at, options.tzOffsetMinutes)));
    return week;
  };
  const strata = new Map<string, { agentId: string; week: string; members: { caseId: string; openedAt: number; key: string }[] }>();
  const picks = new Map<string, SamplePick>();
  const pick = (caseId: string, agentId: string, week: string, openedAt: number, reason: SampleReason) => {
    const p = picks.get(caseId) ?? { caseId, agentId, week, openedAt, reasons: [] };
    if (!p.reasons.includes(reason)) p.reasons.push(reason);
    picks.set(caseId, p);
  };
  for (const r of rows) {
    const week = weekOf(r.openedAt);
    const id = `${r.agentId}\u0000${week}`;
    const s = strata.get(id) ?? { agentId: r.agentId, week, members: [] };
    s.members.push({ caseId: r.caseId, openedAt: r.openedAt, key: sampleDrawKey(options.seed, r.caseId) });
    strata.set(id, s);
  }
  const summary: ConsoleSample['strata'] = [];
  for (const s of strata.values()) {
    // the epsilon keeps 0.07 × 100 at 7 (floating point gives 7.000000000000001, which would round up to 8)
    const quota = Math.min(s.members.length, Math.ceil(options.rate * s.members.length - 1e-9));
    // ties cannot decide anything: the case id breaks them
    s.members.sort((a, b) => byText(a.key, b.key) || byText(a.caseId, b.caseId));
    for (const m of s.members.slice(0, quota)) pick(m.caseId, s.agentId, s.week, m.openedAt, 'stratified');
    summary.push({ agentId: s.agentId, week: s.week, cases: s.members.length, drawn: quota });
  }
  for (const r of rows) {
    if (options.includeOverrides && r.disagreement) pick(r.caseId, r.agentId, weekOf(r.openedAt), r.openedAt, 'override');
    if (options.includeEscalations && r.escalated) pick(r.caseId, r.agentId, weekOf(r.openedAt), r.openedAt, 'escalation');
  }
  return {
    seed: options.seed,
    rate: options.rate,
    population: rows.length,
    picks: [...picks.values()].sort((a, b) => byText(a.agentId, b.agentId) || byText(a.week, b.week) || b.openedAt - a.openedAt || byText(a.caseId, b.caseId)),
    strata: summary.sort((a, b) => byText(a.agentId, b.agentId) || byText(a.week, b.week)),
  };
}
