import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computeStats } from '../../../src/main/console/facts-stats';
import { statsCsv } from '../../../src/main/console/csv';
import { tempStore, writeKnownCases, type TempStore } from './fixtures';

let t: TempStore;
beforeEach(() => {
  t = tempStore();
  writeKnownCases(t.store);
});
afterEach(() => t.cleanup());

const none = { quality: 0, liveness: 0, mismatch: 0, presence: 0, face_swap: 0, id_consistency: 0, spoken_code: 0 };

describe('console statistics match a hand count (tests/unit/console/fixtures.ts KNOWN_CASES)', () => {
  it('totals', () => {
    const { total } = computeStats(t.facts, {}, 480);
    expect(total).toEqual({
      key: 'total',
      cases: 9,
      decided: 8,
      passed: 5,
      passRate: 5 / 8,
      compared: 8,
      disagreements: 3,
      disagreementRate: 3 / 8,
      escalations: 2,
      reverified: 1,
      reverificationRate: 1 / 9,
      avgHandleMs: 237_500,
      overrides: { suspected_impostor: 1, id_photo_old: 1, verified_other_means: 1 },
      failedChecks: { ...none, quality: 1, liveness: 1, mismatch: 1, presence: 1, face_swap: 1, spoken_code: 1 },
    });
  });

  it('per day (in UTC+8) and per agent', () => {
    const stats = computeStats(t.facts, {}, 480);
    expect(stats.byDay.map((d) => [d.key, d.cases, d.decided, d.passed, d.disagreements, d.escalations, d.reverified, d.avgHandleMs])).toEqual([
      ['2026-03-02', 5, 5, 4, 3, 0, 1, 200_000],
      ['2026-03-03', 4, 3, 1, 0, 2, 0, 300_000],
    ]);
    expect(stats.byDay[0]!.overrides).toEqual({ suspected_impostor: 1, id_photo_old: 1, verified_other_means: 1 });
    expect(stats.byDay[1]!.failedChecks).toEqual({ ...none, mismatch: 1, face_swap: 1, spoken_code: 1 });
    expect(stats.byAgent.map((a) => [a.key, a.cases, a.decided, a.passed, a.disagreements, a.escalations, a.reverified, a.avgHandleMs])).toEqual([
      ['a1', 3, 3, 1, 1, 1, 0, 200_000],
      ['a2', 3, 2, 2, 1, 0, 1, 250_000],
      ['a3', 3, 3, 2, 1, 1, 0, 266_667],
    ]);
    expect(stats.byAgent[1]!.reverificationRate).toBeCloseTo(1 / 3);
    expect(stats.byAgent[2]!.overrides).toEqual({ verified_other_means: 1 });
  });

  it('a day boundary follows the zone asked for', () => {
    // 10:00 in UTC+8 is 02:00 UTC: the same day; in UTC-3 it is 23:00 the day before
    expect(computeStats(t.facts, {}, -180).byDay.map((d) => d.key)).toEqual(['2026-03-01', '2026-03-02']);
  });

  it('respects the filter', () => {
    const { total } = computeStats(t.facts, { agentId: 'a3', escalated: false }, 480);
    expect([total.cases, total.passed, total.disagreements]).toEqual([2, 2, 1]);
  });

  it('writes the numbers behind each chart as CSV', () => {
    const stats = computeStats(t.facts, {}, 480);
    const day = statsCsv(stats, 'day').replace(/^\uFEFF/, '').split('\r\n');
    expect(day[0]).toMatch(/^day,cases,decided,passed,pass_rate,/);
    expect(day[1]).toMatch(/^2026-03-02,5,5,4,0\.8,5,3,0\.6,0,1,0\.2,200,/);
    const overrides = statsCsv(stats, 'overrides');
    expect(overrides).toContain('total,total,suspected_impostor,1');
    expect(overrides).toContain('agent,a2,id_photo_old,1');
    expect(statsCsv(stats, 'failed_checks')).toContain('agent,a3,spoken_code,1');
    expect(statsCsv(stats, 'agent').split('\r\n')[3]).toMatch(/^a3,3,3,2,/);
  });
});
