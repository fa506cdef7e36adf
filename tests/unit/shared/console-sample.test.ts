/**
 * The one sampling draw the workstation and the backend share (src/shared/console-sample.ts), on plain rows: its
 * draw key is the one the console used before it moved here (so an earlier seed still picks the same cases), and
 * the draw depends on the seed and the cases only — not on their order, nor on which hash implementation runs.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nobleHashes, setHashImplementation } from '../../../src/common/hash';
import { nodeHashes } from '../../../src/common/node-hash';
import { isoWeek } from '../../../src/shared/console';
import { drawSampleRows, sampleDrawKey, type SampleOptions, type SampleRow } from '../../../src/shared/console-sample';

const WEEK = 7 * 86_400_000;
const MONDAY = Date.UTC(2026, 2, 2, 2, 0);
const opts = (seed: string, rate: number, include = false): SampleOptions => ({ seed, rate, includeOverrides: include, includeEscalations: include, tzOffsetMinutes: 480 });

/** 3 agents × 2 weeks, 20 cases each; every 10th an override, every 15th an escalation. */
const ROWS: SampleRow[] = Array.from({ length: 120 }, (_, i) => ({
  caseId: `case-${String(i).padStart(3, '0')}`,
  agentId: `agent-${i % 3}`,
  openedAt: MONDAY + (i % 2) * WEEK + i * 60_000,
  disagreement: i % 10 === 0,
  escalated: i % 15 === 0,
}));

describe('the shared sampling draw', () => {
  it('keys each case as the console always did: sha256(seed ‖ NUL ‖ case id)', () => {
    for (const [seed, id] of [
      ['2026-W14', 'case-001'],
      ['种子', '3f2a9c1e-0000-4000-8000-000000000000'],
    ] as const) {
      expect(sampleDrawKey(seed, id)).toBe(createHash('sha256').update(seed).update('\u0000').update(id).digest('hex'));
    }
  });

  it('draws ceil(rate × size) from each agent × ISO week, the smallest keys, whatever the rows’ order', () => {
    const sample = drawSampleRows(ROWS, opts('qa', 0.07));
    expect(sample.population).toBe(120);
    expect(sample.strata).toHaveLength(6);
    // 0.07 × 20 = 1.4: two per stratum
    expect(sample.strata.every((s) => s.cases === 20 && s.drawn === 2)).toBe(true);
    for (const s of sample.strata) {
      const members = ROWS.filter((r) => r.agentId === s.agentId && isoWeek(r.openedAt, 480) === s.week).map((r) => r.caseId);
      const smallest = [...members].sort((x, y) => (sampleDrawKey('qa', x) < sampleDrawKey('qa', y) ? -1 : 1)).slice(0, 2);
      const drawn = sample.picks.filter((p) => p.agentId === s.agentId && p.week === s.week).map((p) => p.caseId);
      expect(drawn.sort()).toEqual(smallest.sort());
    }
    expect(drawSampleRows([...ROWS].reverse(), opts('qa', 0.07))).toEqual(sample);
    expect(drawSampleRows(ROWS, opts('other', 0.07)).picks).not.toEqual(sample.picks);
  });

  it('adds every override and escalation only when asked, with the reason', () => {
    const without = drawSampleRows(ROWS, opts('qa', 0.05));
    expect(without.picks.every((p) => p.reasons.join() === 'stratified')).toBe(true);
    const withAll = drawSampleRows(ROWS, opts('qa', 0.05, true));
    const byId = new Map(withAll.picks.map((p) => [p.caseId, p.reasons]));
    for (const r of ROWS) {
      if (r.disagreement) expect(byId.get(r.caseId)).toContain('override');
      if (r.escalated) expect(byId.get(r.caseId)).toContain('escalation');
    }
    expect(withAll.picks.length).toBeGreaterThan(without.picks.length);
  });

  it('gives the same sample under node:crypto and @noble/hashes (the server and a browser-side reader agree)', () => {
    try {
      setHashImplementation(nobleHashes);
      const noble = drawSampleRows(ROWS, opts('qa', 0.1, true));
      setHashImplementation(nodeHashes);
      expect(drawSampleRows(ROWS, opts('qa', 0.1, true))).toEqual(noble);
    } finally {
      // importing node-hash switched this process to node:crypto: leave it so
      setHashImplementation(nodeHashes);
    }
  });
});
