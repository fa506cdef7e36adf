/**
 * console.sample: a reproducible stratified QA sample (issue 11 item 6). Strata are agent × ISO week; from each,
 * ceil(rate × size) cases are drawn — the ones whose sha256(seed, case id) is smallest — plus every override
 * (decision against the advice) and every escalation.
 *
 * Why a keyed hash instead of a PRNG stream: a case's draw depends only on the seed and its own id, not on the
 * order rows come back in or on which other cases exist. The same seed over the same cases gives the same sample on
 * any machine; a case arriving later never changes whether an earlier one was drawn (only the stratum's quota).
 */
import { createHash } from 'node:crypto';
import { isoWeek, type ConsoleFilter, type ConsoleSample, type SamplePick, type SampleReason } from '../../shared/console';
import { factsWhere } from './facts-filter';
import type { FactsDb } from './facts-list';

export interface SampleOptions {
  seed: string;
  rate: number;
  includeOverrides: boolean;
  includeEscalations: boolean;
  tzOffsetMinutes: number;
}

const drawKey = (seed: string, caseId: string): string => createHash('sha256').update(seed).update('\u0000').update(caseId).digest('hex');

export function drawSample(src: FactsDb, filter: ConsoleFilter, options: SampleOptions): ConsoleSample {
  const where = factsWhere(filter, src.idHash);
  const rows = src.db.prepare(`SELECT case_id, agent_id, opened_at, disagreement, escalated FROM case_facts ${where.sql}`).all(...where.params) as {
    case_id: string;
    agent_id: string;
    opened_at: number;
    disagreement: number;
    escalated: number;
  }[];
  const strata = new Map<string, { agentId: string; week: string; members: { caseId: string; openedAt: number; key: string }[] }>();
  const picks = new Map<string, SamplePick>();
  const pick = (caseId: string, agentId: string, week: string, openedAt: number, reason: SampleReason) => {
    const p = picks.get(caseId) ?? { caseId, agentId, week, openedAt, reasons: [] };
    if (!p.reasons.includes(reason)) p.reasons.push(reason);
    picks.set(caseId, p);
  };
  for (const r of rows) {
    const week = isoWeek(r.opened_at, options.tzOffsetMinutes);
    const id = `${r.agent_id}\u0000${week}`;
    const s = strata.get(id) ?? { agentId: r.agent_id, week, members: [] };
    s.members.push({ caseId: r.case_id, openedAt: r.opened_at, key: drawKey(options.seed, r.case_id) });
    strata.set(id, s);
  }
  const summary: ConsoleSample['strata'] = [];
  for (const s of strata.values()) {
    const quota = Math.min(s.members.length, Math.ceil(options.rate * s.members.length - 1e-9));
    // ties cannot decide anything: the case id breaks them
    s.members.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.caseId < b.caseId ? -1 : 1));
    for (const m of s.members.slice(0, quota)) pick(m.caseId, s.agentId, s.week, m.openedAt, 'stratified');
    summary.push({ agentId: s.agentId, week: s.week, cases: s.members.length, drawn: quota });
  }
  for (const r of rows) {
    if (options.includeOverrides && r.disagreement === 1) pick(r.case_id, r.agent_id, isoWeek(r.opened_at, options.tzOffsetMinutes), r.opened_at, 'override');
    if (options.includeEscalations && r.escalated === 1) pick(r.case_id, r.agent_id, isoWeek(r.opened_at, options.tzOffsetMinutes), r.opened_at, 'escalation');
  }
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    seed: options.seed,
    rate: options.rate,
    population: rows.length,
    picks: [...picks.values()].sort((a, b) => byText(a.agentId, b.agentId) || byText(a.week, b.week) || b.openedAt - a.openedAt || byText(a.caseId, b.caseId)),
    strata: summary.sort((a, b) => byText(a.agentId, b.agentId) || byText(a.week, b.week)),
  };
}
