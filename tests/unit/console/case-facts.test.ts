import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { completeCustomerRefHashes, customerRefHash, factsOfCase } from '../../../src/main/caselog/case-facts';
import { SCHEMA_VERSION } from '../../../src/main/caselog/migrations';
import { seedCases } from '../../../src/main/caselog/seed';
import { CaseStore } from '../../../src/main/caselog/store';
import { seedConsoleCases } from '../../../src/main/console/demo-seed';
import { KEY, tempStore, writeKnownCases, type TempStore } from './fixtures';

let t: TempStore;
beforeEach(() => (t = tempStore()));
afterEach(() => t.cleanup());

const snapshot = (store: CaseStore) => store.db.prepare('SELECT * FROM case_facts ORDER BY case_id').all();

describe('case facts', () => {
  it('are kept at append time and equal what migration 5 folds from the events of an older log', () => {
    writeKnownCases(t.store);
    seedConsoleCases(t.store, { count: 300, seed: 3, now: Date.UTC(2026, 3, 1) });
    // the older seed writes the older event shapes (check: 'face_match', verdict-only decisions)
    seedCases(t.store, { count: 50, seed: 5, now: Date.UTC(2026, 3, 1) });
    const live = snapshot(t.store);
    expect(live).toHaveLength(359);
    // make the log look like one from before migration 5, then open it again
    t.store.db.exec('DROP TABLE case_facts');
    t.store.db.pragma('user_version = 4');
    t.store.close();
    const path = join(t.dir, 'cases.db');
    t.store = CaseStore.open({ path, keyProvider: KEY });
    expect(t.store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const migrated = snapshot(t.store) as { customer_ref_hash: string | null }[];
    // migrations get no lookup key: references are hashed when the console first reads the log
    expect(migrated.every((r) => r.customer_ref_hash === null)).toBe(true);
    // every seeded case has a reference, of the known ones only k1
    expect(completeCustomerRefHashes(t.store.db, (x) => t.store.idHash(x))).toBe(351);
    expect(completeCustomerRefHashes(t.store.db, (x) => t.store.idHash(x))).toBe(0);
    expect(snapshot(t.store)).toEqual(live);
    expect(t.store.verify().ok).toBe(true);
  });

  it('read the desk’s close summary: advice, decision, against, reason, failed checks', () => {
    writeKnownCases(t.store);
    const f = factsOfCase(t.store.events('k2'), (x) => t.store.idHash(x));
    expect(f).toMatchObject({ agent_id: 'a1', service_type: 'transact', advice: 'pass', decision: 'fail', disagreement: 1, reason_code: 'suspected_impostor', fail_presence: 1, verdict: 'rejected' });
    expect(factsOfCase(t.store.events('k1'), (x) => t.store.idHash(x))!.customer_ref_hash).toBe(customerRefHash((x) => t.store.idHash(x), 'CUST-0001'));
    const k8 = factsOfCase(t.store.events('k8'))!;
    expect([k8.review_outcome, k8.disagreement]).toEqual(['confirmed', 0]);
  });

  it('count the engine’s quality warnings only for lighting and picture problems, not blinks', () => {
    const c = t.store.openCase({ agentId: 'a', serviceType: 'query' });
    const check = (reason: string) => ({ caseId: c.caseId, type: 'check.result' as const, actor: 'system', payload: { type: 'check.changed', at: 1, check: { id: 'quality', status: 'warn', reason }, previous: { status: 'pass', reason: 'good' } } });
    t.store.append(check('eyes_closed'));
    t.store.append(check('turned'));
    const row = () => t.store.db.prepare('SELECT fail_quality FROM case_facts WHERE case_id = ?').pluck().get(c.caseId);
    expect(row()).toBe(0);
    t.store.append(check('too_dark'));
    expect(row()).toBe(1);
  });
});
