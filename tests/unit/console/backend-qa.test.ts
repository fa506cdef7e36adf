/**
 * The console's backend source for QA sampling, CSV export and the customer-reference search, against the real
 * server: two workstations — each with its own case-log key, so each hashes a customer reference differently —
 * sync their cases through the real sync client, and a lead's console on the first one asks the backend.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import { openPglite, type ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { CaseStore } from '../../../src/main/caselog/store';
import { BACKEND_BUNDLE_REFUSAL, ConsoleService } from '../../../src/main/console/console-service';
import { seedConsoleCases, writeDeskCase } from '../../../src/main/console/demo-seed';
import { silentLogger } from '../../../src/main/log/logger';
import { SyncClient } from '../../../src/main/sync/sync-client';
import type { ConsoleFilter } from '../../../src/shared/console';
import { tempStore, type TempStore } from './fixtures';

const DAY = 86_400_000;
/** Workstation A's seeded cases are the 60 days before this; B's cases are all after it. */
const SEED_END = Date.UTC(2025, 8, 1);
const PERIOD: ConsoleFilter = { from: SEED_END - 61 * DAY, to: SEED_END };
const CUSTOMER = 'CUST-9000';

let db: ServerDb;
let app: FastifyInstance;
let url: string;
let a: TempStore;
let bDir: string;
let b: CaseStore;
let qa: ConsoleService;
const requests: { method: string; url: string; body: string }[] = [];

beforeAll(async () => {
  db = await openPglite();
  await migrateServer(db);
  app = await buildServer({ db, logger: silentLogger, rateLimit: false, leadApi: { serverKeyHex: randomBytes(32).toString('hex') } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  a = tempStore('vd-backend-qa-a-');
  bDir = mkdtempSync(join(tmpdir(), 'vd-backend-qa-b-'));
  // another workstation, another case-log key: its hash of a reference is not A's
  b = CaseStore.open({ path: join(bDir, 'cases.db'), keyProvider: new StaticKeyProvider(Buffer.alloc(32, 9)) });
  seedConsoleCases(a.store, { count: 1300, agents: 5, days: 60, seed: 17, now: SEED_END });
  writeDeskCase(a.store, { caseId: 'cust-a-1', agentId: 'agent-01', serviceType: 'transact', openedAt: SEED_END + 2 * DAY, customerRef: CUSTOMER, advice: 'pass', decision: 'pass' });
  writeDeskCase(b, { caseId: 'cust-b-1', agentId: 'west-1', serviceType: 'operate', openedAt: SEED_END + 3 * DAY, customerRef: CUSTOMER, advice: 'review', decision: 'pass', reasonCode: 'verified_other_means' });
  writeDeskCase(b, { caseId: 'cust-b-2', agentId: 'west-2', serviceType: 'query', openedAt: SEED_END + 4 * DAY, customerRef: 'CUST-9001', advice: 'pass', decision: 'pass' });
  // the workstations' own ids as their token names: the server's workstation column then is the store's id
  for (const store of [a.store, b]) {
    const token = await createToken(db, store.workstationId);
    expect((await new SyncClient({ store, serverUrl: url, token }).syncOnce()).pending).toBe(0);
  }
  const lead = await createToken(db, 'lead-qa', 'lead');
  const recording: typeof fetch = async (input, init) => {
    requests.push({ method: init?.method ?? 'GET', url: String(input), body: typeof init?.body === 'string' ? init.body : '' });
    return fetch(input, init);
  };
  qa = new ConsoleService({ store: a.store, dataDir: a.dir, backendUrl: () => url, tokenFor: (origin) => (origin === url ? lead : undefined), fetchImpl: recording });
});

afterAll(async () => {
  qa?.close();
  a?.cleanup();
  b?.close();
  if (bDir) rmSync(bDir, { recursive: true, force: true });
  await app?.close();
  await db?.close();
});

describe('the backend source for QA', () => {
  it('draws on the server the same sample as the local draw over the same cases with the same seed', async () => {
    const cases: [ConsoleFilter, string, number, boolean, number][] = [
      [PERIOD, '2025-W30', 0.05, true, 480],
      [PERIOD, 'another seed', 0.2, false, 480],
      [{ ...PERIOD, agentId: 'agent-03' }, 'qa', 0.1, true, -300],
      [{ ...PERIOD, serviceType: 'transact', disagreement: false }, 'qa', 0.5, true, 0],
      [{ ...PERIOD, failedCheck: 'liveness' }, 'x', 1, true, 480],
    ];
    for (const [filter, seed, rate, include, tzOffsetMinutes] of cases) {
      const p = { filter, seed, rate, includeOverrides: include, includeEscalations: include, tzOffsetMinutes };
      const local = await qa.sample({ source: 'local', ...p });
      const backend = await qa.sample({ source: 'backend', ...p });
      expect(local.population, JSON.stringify(p)).toBeGreaterThan(0);
      expect(backend, JSON.stringify(p)).toEqual(local);
    }
    // a different seed is a different draw (the equality above is not two empty answers)
    const one = await qa.sample({ source: 'backend', filter: PERIOD, seed: 's1', rate: 0.05, includeOverrides: false, includeEscalations: false, tzOffsetMinutes: 480 });
    const two = await qa.sample({ source: 'backend', filter: PERIOD, seed: 's2', rate: 0.05, includeOverrides: false, includeEscalations: false, tzOffsetMinutes: 480 });
    expect(one.population).toBe(1300);
    expect(one.picks.map((x) => x.caseId)).not.toEqual(two.picks.map((x) => x.caseId));
    // the server drew it: one request, not a page walk
    expect(requests.filter((r) => r.url.includes('/api/v1/lead/sample')).length).toBeGreaterThanOrEqual(cases.length + 2);
  });

  it('exports a CSV of chosen backend cases: the local export’s bytes, 500 ids a request', async () => {
    // unreviewed locally: the seed's local reviews never reached the server, so the review column agrees
    const filter: ConsoleFilter = { ...PERIOD, review: 'unreviewed' };
    const ids: string[] = [];
    for (let cursor: string | null = null; ids.length < 1100; ) {
      const page = await qa.list({ source: 'local', filter, cursor, limit: 500 });
      ids.push(...page.rows.map((r) => r.caseId));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    const chosen = ids.slice(0, 1100).reverse();
    expect(chosen.length).toBe(1100);
    const before = requests.length;
    const backend = await qa.export({ source: 'backend', format: 'csv', caseIds: [...chosen, 'not-a-case'] });
    const local = await qa.export({ source: 'local', format: 'csv', caseIds: [...chosen, 'not-a-case'] });
    expect(backend.mime).toBe('text/csv');
    expect(backend.text.split('\r\n').length).toBe(1100 + 2);
    expect(backend.text).toBe(local.text);
    expect(requests.slice(before).filter((r) => r.url.endsWith('/api/v1/lead/cases/rows')).map((r) => (JSON.parse(r.body) as { caseIds: string[] }).caseIds.length)).toEqual([500, 500, 101]);
  });

  it('refuses a signed bundle of backend cases, saying why in Chinese first', async () => {
    const [row] = (await qa.list({ source: 'backend', filter: PERIOD, limit: 1 })).rows;
    await expect(qa.export({ source: 'backend', format: 'bundle', caseIds: [row!.caseId] })).rejects.toMatchObject({ code: 'UNAVAILABLE', message: BACKEND_BUNDLE_REFUSAL });
    expect(BACKEND_BUNDLE_REFUSAL).toMatch(/^签名包/);
  });

  it('finds one customer’s cases of both workstations by reference, sent only in POST bodies; a wrong reference finds none', async () => {
    const before = requests.length;
    const found = await qa.list({ source: 'backend', filter: { customerRef: CUSTOMER }, limit: 10 });
    expect(found.rows.map((r) => [r.caseId, r.workstationId])).toEqual([
      ['cust-b-1', b.workstationId],
      ['cust-a-1', a.store.workstationId],
    ]);
    // the local source knows only this workstation's; each workstation's own hash differs
    expect((await qa.list({ source: 'local', filter: { customerRef: CUSTOMER }, limit: 10 })).rows.map((r) => r.caseId)).toEqual(['cust-a-1']);
    expect(b.db.prepare('SELECT customer_ref_hash FROM case_facts WHERE case_id = ?').pluck().get('cust-b-1')).not.toBe(a.store.db.prepare('SELECT customer_ref_hash FROM case_facts WHERE case_id = ?').pluck().get('cust-a-1'));
    // one page at a time with the server's cursor, and with other filters
    const first = await qa.list({ source: 'backend', filter: { customerRef: CUSTOMER }, limit: 1 });
    const second = await qa.list({ source: 'backend', filter: { customerRef: CUSTOMER }, cursor: first.nextCursor, limit: 1 });
    expect([...first.rows, ...second.rows].map((r) => r.caseId)).toEqual(['cust-b-1', 'cust-a-1']);
    expect(second.nextCursor).toBeNull();
    expect((await qa.list({ source: 'backend', filter: { customerRef: CUSTOMER, disagreement: true }, limit: 10 })).rows.map((r) => r.caseId)).toEqual(['cust-b-1']);
    expect((await qa.list({ source: 'backend', filter: { customerRef: 'CUST-9002' }, limit: 10 })).rows).toEqual([]);
    // statistics and the sample by reference too
    const stats = await qa.stats({ source: 'backend', filter: { customerRef: CUSTOMER }, tzOffsetMinutes: 480 });
    expect(stats.total).toMatchObject({ cases: 2, disagreements: 1 });
    expect(stats.byAgent.map((r) => r.key)).toEqual(['agent-01', 'west-1']);
    const sample = await qa.sample({ source: 'backend', filter: { customerRef: CUSTOMER }, seed: 's', rate: 1, includeOverrides: true, includeEscalations: true, tzOffsetMinutes: 480 });
    expect(sample.picks.map((p) => p.caseId).sort()).toEqual(['cust-a-1', 'cust-b-1']);
    // the reference never went into a URL; it went in POST bodies only
    const mine = requests.slice(before);
    expect(mine.length).toBeGreaterThan(5);
    expect(mine.some((r) => r.url.includes(CUSTOMER) || r.url.includes('customerRef'))).toBe(false);
    expect(mine.filter((r) => r.body.includes(CUSTOMER)).every((r) => r.method === 'POST' && r.url.includes('/search'))).toBe(true);
  });
});
