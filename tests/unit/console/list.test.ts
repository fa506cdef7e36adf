import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bodyFilterOf, filterOf, LeadCasesSearchSchema, LeadListQuerySchema, LeadStatsQuerySchema } from '../../../server/leads/query';
import { LEAD_FILTER_PARAMS, leadBody, leadQuery } from '../../../src/main/console/backend-source';
import { ConsoleFilterQuerySchema, ConsoleFilterSchema, ConsoleListSchema, filterToQuery, type ConsoleFilter } from '../../../src/shared/console';
import { listFacts } from '../../../src/main/console/facts-list';
import { seedConsoleCases, writeDeskCase } from '../../../src/main/console/demo-seed';
import { tempStore, writeKnownCases, type TempStore } from './fixtures';

let t: TempStore;
beforeEach(() => (t = tempStore()));
afterEach(() => t.cleanup());

/** Every page of a filter, following the cursor. */
function all(filter: ConsoleFilter, limit = 50): string[] {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 10_000; guard++) {
    const page = listFacts(t.facts, filter, cursor, limit);
    ids.push(...page.rows.map((r) => r.caseId));
    if (!page.nextCursor) return ids;
    cursor = page.nextCursor;
  }
  throw new Error('no last page');
}

/** The overrides, read from the chained events themselves rather than the facts. */
function overriddenFromEvents(): string[] {
  const rows = t.store.db.prepare("SELECT case_id, payload FROM events WHERE type = 'decision.made'").all() as { case_id: string; payload: string }[];
  return rows.filter((r) => (JSON.parse(r.payload) as { against?: boolean }).against === true).map((r) => r.case_id);
}

describe('console.list over case facts', () => {
  it('the disagreement filter finds exactly the overridden cases', () => {
    seedConsoleCases(t.store, { count: 800, seed: 11, now: Date.UTC(2026, 3, 1) });
    const expected = overriddenFromEvents().sort();
    expect(expected.length).toBeGreaterThan(10);
    expect(all({ disagreement: true }).sort()).toEqual(expected);
    const agreed = all({ disagreement: false }, 200);
    expect(agreed.length + expected.length).toBe(800);
    expect(agreed.some((id) => expected.includes(id))).toBe(false);
  });

  it('keyset pagination returns every case exactly once, newest first, even with equal opening times and cases added meanwhile', () => {
    const base = Date.UTC(2026, 1, 1);
    // 300 cases on 60 distinct instants: ties that only the case id orders
    for (let i = 0; i < 300; i++) writeDeskCase(t.store, { caseId: `c-${String(i).padStart(4, '0')}`, agentId: 'a', serviceType: 'consult', openedAt: base + (i % 60) * 1000 });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = listFacts(t.facts, {}, cursor, 37);
      seen.push(...page.rows.map((r) => r.caseId));
      cursor = page.nextCursor;
      // a new case arriving between pages (newer than all) must not shift or repeat anything
      if (pages++ === 2) writeDeskCase(t.store, { caseId: 'late', agentId: 'a', serviceType: 'consult', openedAt: base + 10 * 60_000 });
    } while (cursor);
    expect(seen).toHaveLength(300);
    expect(new Set(seen).size).toBe(300);
    const rows = t.store.db.prepare("SELECT case_id, opened_at FROM case_facts WHERE case_id <> 'late' ORDER BY opened_at DESC, case_id").all() as { case_id: string }[];
    expect(seen).toEqual(rows.map((r) => r.case_id));
  });

  it('searches by customer reference through the keyed hash only', () => {
    writeKnownCases(t.store);
    expect(listFacts(t.facts, { customerRef: 'CUST-0001' }, null, 10).rows.map((r) => r.caseId)).toEqual(['k1']);
    expect(listFacts(t.facts, { customerRef: 'CUST-0002' }, null, 10).rows).toEqual([]);
    const stored = JSON.stringify(t.store.db.prepare('SELECT * FROM case_facts').all());
    expect(stored).not.toContain('CUST-0001');
  });

  it('applies every filter', () => {
    writeKnownCases(t.store);
    const ids = (filter: ConsoleFilter) => listFacts(t.facts, filter, null, 100).rows.map((r) => r.caseId).sort();
    expect(ids({ agentId: 'a2' })).toEqual(['k4', 'k5', 'k6']);
    expect(ids({ caseId: 'k7' })).toEqual(['k7']);
    expect(ids({ serviceType: 'query' })).toEqual(['k3', 'k8']);
    expect(ids({ advice: 'review' })).toEqual(['k3', 'k9']);
    expect(ids({ decision: 'none' })).toEqual(['k6']);
    expect(ids({ decision: 'fail' })).toEqual(['k2', 'k3', 'k7']);
    expect(ids({ escalated: true })).toEqual(['k3', 'k7']);
    expect(ids({ review: 'confirmed' })).toEqual(['k8']);
    expect(ids({ review: 'unreviewed' })).toHaveLength(8);
    expect(ids({ failedCheck: 'liveness' })).toEqual(['k4']);
    expect(ids({ reverified: true })).toEqual(['k4']);
    expect(ids({ from: Date.UTC(2026, 2, 3), to: Date.UTC(2026, 2, 4) })).toEqual(['k3', 'k5', 'k6', 'k7']);
    const k4 = listFacts(t.facts, { caseId: 'k4' }, null, 1).rows[0]!;
    expect(k4).toMatchObject({ advice: 'fail', decision: 'pass', disagreement: true, reasonCode: 'id_photo_old', reverified: true, failedChecks: ['quality', 'liveness'], verdict: 'verified' });
  });

  it('the filter schema round-trips through a query string (what the backend will read)', () => {
    const filter = ConsoleFilterSchema.parse({ agentId: 'a1', disagreement: true, from: 5, to: 9, review: 'unreviewed' });
    expect(ConsoleFilterQuerySchema.parse(filterToQuery(filter))).toEqual(filter);
    expect(ConsoleFilterSchema.safeParse({ from: 9, to: 5 }).success).toBe(false);
    expect(ConsoleFilterSchema.safeParse({ advice: 'maybe' }).success).toBe(false);
    expect(ConsoleFilterSchema.safeParse({ sql: '1=1' }).success).toBe(false);
    // what the backend source sends is what the lead API parses, every filter field included
    const full = ConsoleFilterSchema.parse({
      caseId: 'case-1',
      agentId: 'a1',
      from: 5,
      to: 9,
      serviceType: 'transact',
      advice: 'review',
      decision: 'none',
      disagreement: true,
      escalated: false,
      review: 'overturned',
      failedCheck: 'face_swap',
      reverified: true,
    });
    const sent = Object.fromEntries(leadQuery(full));
    const parsed = LeadListQuerySchema.safeParse({ ...sent, limit: '100', cursor: 'WzE3MzUwMDAwMDAwMDAsImNhc2UtMSJd' });
    expect(parsed.success).toBe(true);
    expect(filterOf(parsed.data!)).toEqual(full);
    expect(LeadStatsQuerySchema.safeParse({ ...sent, groupBy: 'agent', tzOffsetMinutes: '480' }).success).toBe(true);
    // every console filter field is either mapped or refused by name
    const shape = Object.keys((ConsoleFilterSchema as unknown as { shape: Record<string, unknown> }).shape);
    expect(shape.filter((k) => !(k in LEAD_FILTER_PARAMS)).sort()).toEqual(['customerRef']);
    // the reference never goes in a query string: only in a search's body, which the server reads back as the same filter
    expect(() => leadQuery({ customerRef: 'C1' })).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    const body = LeadCasesSearchSchema.safeParse({ ...leadBody({ ...full, customerRef: ' C1 ' }), limit: 10 });
    expect(body.success).toBe(true);
    expect(bodyFilterOf(body.data!, (ref) => `lookup(${ref})`)).toEqual({ ...full, customerRefLookup: 'lookup(C1)' });
  });

  it('a cursor belongs to its source: the local keyset form, or the backend’s opaque string passed back as is', () => {
    const ok = (source: string, cursor: string) => ConsoleListSchema.safeParse({ source, cursor }).success;
    const opaque = 'WzE3MzUwMDAwMDAwMDAsImNhc2UtMSJd';
    expect(ok('local', '1735000000000.case-1')).toBe(true);
    expect(ok('bundle', '1735000000000.case-1')).toBe(true);
    expect(ok('local', opaque)).toBe(false);
    expect(ok('backend', opaque)).toBe(true);
    // opaque, but still one printable query value within the server's 200 characters
    expect(ok('backend', '1735000000000.case-1')).toBe(true);
    expect(ok('backend', 'two words')).toBe(false);
    expect(ok('backend', 'x'.repeat(201))).toBe(false);
    expect(ok('local', "1' OR 1=1")).toBe(false);
    expect(ConsoleListSchema.safeParse({ source: 'backend', cursor: null }).success).toBe(true);
  });
});
