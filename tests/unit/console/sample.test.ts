import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoWeek } from '../../../src/shared/console';
import { seedConsoleCases } from '../../../src/main/console/demo-seed';
import { drawSample, type SampleOptions } from '../../../src/main/console/sample';
import { tempStore, type TempStore } from './fixtures';

let t: TempStore;
beforeAll(() => {
  t = tempStore();
  seedConsoleCases(t.store, { count: 1500, agents: 6, days: 35, seed: 21, now: Date.UTC(2026, 3, 1) });
});
afterAll(() => t.cleanup());

const opts = (seed: string, rate = 0.05): SampleOptions => ({ seed, rate, includeOverrides: true, includeEscalations: true, tzOffsetMinutes: 480 });
const facts = () => t.store.db.prepare('SELECT case_id, agent_id, opened_at, disagreement, escalated FROM case_facts').all() as { case_id: string; agent_id: string; opened_at: number; disagreement: number; escalated: number }[];

describe('console.sample', () => {
  it('is reproducible: the same seed draws the same cases, another seed others', () => {
    const a = drawSample(t.facts, {}, opts('2026-W14'));
    const b = drawSample(t.facts, {}, opts('2026-W14'));
    expect(b).toEqual(a);
    const stratified = (s: typeof a) => s.picks.filter((p) => p.reasons.includes('stratified')).map((p) => p.caseId).sort();
    const c = drawSample(t.facts, {}, opts('another seed'));
    expect(stratified(c)).not.toEqual(stratified(a));
    // overrides and escalations do not depend on the seed
    const forced = (s: typeof a) => s.picks.filter((p) => !p.reasons.includes('stratified')).length;
    expect(forced(a) + stratified(a).length).toBeGreaterThan(0);
    expect(c.picks.filter((p) => p.reasons.includes('override')).length).toBe(a.picks.filter((p) => p.reasons.includes('override')).length);
  });

  it('is stratified: every agent × ISO week gets its share (5 %, rounded up)', () => {
    const sample = drawSample(t.facts, {}, opts('qa'));
    const strata = new Map<string, string[]>();
    for (const f of facts()) {
      const key = `${f.agent_id}|${isoWeek(f.opened_at, 480)}`;
      strata.set(key, [...(strata.get(key) ?? []), f.case_id]);
    }
    expect(sample.strata).toHaveLength(strata.size);
    expect(strata.size).toBeGreaterThan(25);
    for (const [key, members] of strata) {
      const [agent, week] = key.split('|');
      const drawn = sample.picks.filter((p) => p.reasons.includes('stratified') && p.agentId === agent && p.week === week);
      expect(drawn.length, key).toBe(Math.ceil(0.05 * members.length));
      expect(drawn.every((p) => members.includes(p.caseId))).toBe(true);
      expect(sample.strata.find((s) => s.agentId === agent && s.week === week)).toMatchObject({ cases: members.length, drawn: drawn.length });
    }
  });

  it('includes every override and every escalation, saying why', () => {
    const sample = drawSample(t.facts, {}, opts('qa'));
    const byId = new Map(sample.picks.map((p) => [p.caseId, p]));
    const all = facts();
    const overrides = all.filter((f) => f.disagreement === 1);
    const escalations = all.filter((f) => f.escalated === 1);
    expect(overrides.length).toBeGreaterThan(20);
    expect(escalations.length).toBeGreaterThan(10);
    for (const f of overrides) expect(byId.get(f.case_id)?.reasons).toContain('override');
    for (const f of escalations) expect(byId.get(f.case_id)?.reasons).toContain('escalation');
    // and nothing else but the stratified draw
    for (const p of sample.picks) if (!p.reasons.includes('stratified')) expect(overrides.some((f) => f.case_id === p.caseId) || escalations.some((f) => f.case_id === p.caseId)).toBe(true);
    const without = drawSample(t.facts, {}, { ...opts('qa'), includeOverrides: false, includeEscalations: false });
    expect(without.picks.every((p) => p.reasons.join() === 'stratified')).toBe(true);
  });

  it('uses ISO weeks (the Thursday decides the year)', () => {
    expect(isoWeek(Date.UTC(2026, 0, 1, 4), 480)).toBe('2026-W01');
    expect(isoWeek(Date.UTC(2027, 0, 1, 4), 480)).toBe('2026-W53');
    expect(isoWeek(Date.UTC(2025, 11, 29, 4), 480)).toBe('2026-W01');
    // Sunday 20:00 UTC is Monday 04:00 in UTC+8: the next week there
    expect(isoWeek(Date.UTC(2026, 2, 8, 20), 0)).toBe('2026-W10');
    expect(isoWeek(Date.UTC(2026, 2, 8, 20), 480)).toBe('2026-W11');
  });
});
