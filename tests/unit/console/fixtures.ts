import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { CaseStore } from '../../../src/main/caselog/store';
import type { FactsDb } from '../../../src/main/console/facts-list';
import { writeDeskCase, type DeskCaseSpec } from '../../../src/main/console/demo-seed';

export const KEY = new StaticKeyProvider(Buffer.alloc(32, 3));

export interface TempStore {
  dir: string;
  store: CaseStore;
  facts: FactsDb;
  cleanup(): void;
}

export function tempStore(prefix = 'vd-console-'): TempStore {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const store = CaseStore.open({ path: join(dir, 'cases.db'), keyProvider: KEY });
  return {
    dir,
    store,
    facts: { db: store.db, source: 'local', idHash: (t) => store.idHash(t), workstationOf: (ids) => new Map(ids.map((id) => [id, store.workstationId])) },
    cleanup: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** 10:00 in UTC+8 on 2 and 3 March 2026 (a Monday and a Tuesday). */
export const DAY_A = Date.UTC(2026, 2, 2, 2, 0);
export const DAY_B = Date.UTC(2026, 2, 3, 2, 0);
const s = 1000;

/**
 * Nine cases whose statistics are counted by hand in stats.test.ts. Overrides: #2, #4, #9; escalations: #3, #7;
 * re-verification: #4; no decision: #6.
 */
export const KNOWN_CASES: DeskCaseSpec[] = [
  { caseId: 'k1', agentId: 'a1', serviceType: 'transact', openedAt: DAY_A + 1 * 60_000, customerRef: 'CUST-0001', advice: 'pass', decision: 'pass', handleMs: 100 * s },
  { caseId: 'k2', agentId: 'a1', serviceType: 'transact', openedAt: DAY_A + 2 * 60_000, advice: 'pass', decision: 'fail', reasonCode: 'suspected_impostor', handleMs: 200 * s, failed: ['presence'] },
  { caseId: 'k3', agentId: 'a1', serviceType: 'query', openedAt: DAY_B + 3 * 60_000, advice: 'review', decision: 'fail', handleMs: 300 * s, escalated: true, failed: ['mismatch'] },
  { caseId: 'k4', agentId: 'a2', serviceType: 'operate', openedAt: DAY_A + 4 * 60_000, advice: 'fail', decision: 'pass', reasonCode: 'id_photo_old', handleMs: 400 * s, challenges: 2, failed: ['liveness', 'quality'] },
  { caseId: 'k5', agentId: 'a2', serviceType: 'operate', openedAt: DAY_B + 5 * 60_000, advice: 'pass', decision: 'pass', handleMs: 100 * s, challenges: 1 },
  { caseId: 'k6', agentId: 'a2', serviceType: 'consult', openedAt: DAY_B + 6 * 60_000, handleMs: 30 * s },
  { caseId: 'k7', agentId: 'a3', serviceType: 'transact', openedAt: DAY_B + 7 * 60_000, advice: 'fail', decision: 'fail', handleMs: 500 * s, escalated: true, failed: ['face_swap', 'spoken_code'] },
  { caseId: 'k8', agentId: 'a3', serviceType: 'query', openedAt: DAY_A + 8 * 60_000, advice: 'pass', decision: 'pass', handleMs: 50 * s, review: { outcome: 'confirmed', reviewer: 'lead-01', reviewId: 1 } },
  { caseId: 'k9', agentId: 'a3', serviceType: 'transact', openedAt: DAY_A + 9 * 60_000, advice: 'review', decision: 'pass', reasonCode: 'verified_other_means', handleMs: 250 * s },
];

export function writeKnownCases(store: CaseStore): void {
  for (const spec of KNOWN_CASES) writeDeskCase(store, spec);
}
