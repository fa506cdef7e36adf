import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import type { ServerDb } from '../../../server/db/database';
import { openPglite } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import { decodeReviewNote } from '../../../src/shared/console';
import { verifyBundle } from '../../../src/main/caselog/export-bundle';
import { ConsoleService } from '../../../src/main/console/console-service';
import { writeDeskCase } from '../../../src/main/console/demo-seed';
import { silentLogger } from '../../../src/main/log/logger';
import { makeChain } from '../server/fixtures';
import { tempStore, type TempStore } from './fixtures';

let db: ServerDb;
let app: FastifyInstance;
let url: string;
const tokens: Record<'ws' | 'lead' | 'selfLead', string> = { ws: '', lead: '', selfLead: '' };
let t: TempStore;
let current: string | undefined;
let qa: ConsoleService;

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const reviewsOf = async (caseId: string) => Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM reviews WHERE case_id = $1', [caseId])).rows[0]!.n);

beforeAll(async () => {
  db = await openPglite();
  await migrateServer(db);
  app = await buildServer({ db, logger: silentLogger, rateLimit: false, leadApi: { serverKeyHex: 'ab'.repeat(32) } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  tokens.ws = await createToken(db, 'ws-a');
  tokens.lead = await createToken(db, 'lead-qa', 'lead');
  // a lead who also takes calls as agent "agent-self"
  tokens.selfLead = await createToken(db, 'agent-self', 'lead');
  for (const [caseId, agent] of [['case-self', 'agent-self'], ['case-other', 'agent-x']] as const) {
    const r = await app.inject({ method: 'POST', url: '/api/v1/sync/batches', headers: { ...auth(tokens.ws), 'idempotency-key': `k-${caseId}`, 'content-type': 'application/json' }, payload: { workstationId: 'ws-a', events: makeChain(3, caseId, agent) } });
    expect(r.statusCode).toBe(200);
  }
  t = tempStore('vd-lead-ws-');
  writeDeskCase(t.store, { caseId: 'local-self', agentId: 'agent-self', serviceType: 'query', openedAt: 1_000, advice: 'pass', decision: 'pass' });
  qa = new ConsoleService({ store: t.store, dataDir: t.dir, backendUrl: () => url, tokenFor: (origin) => (origin === url ? current : undefined) });
});

afterAll(async () => {
  qa?.close();
  t?.cleanup();
  await app?.close();
  await db?.close();
});

describe('the lead API (server)', () => {
  it('GET /api/v1/whoami tells any valid token its role and name', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v1/whoami', headers: auth(tokens.ws) })).json()).toEqual({ role: 'workstation', name: 'ws-a' });
    expect((await app.inject({ method: 'GET', url: '/api/v1/whoami', headers: auth(tokens.lead) })).json()).toEqual({ role: 'lead', name: 'lead-qa' });
    const none = await app.inject({ method: 'GET', url: '/api/v1/whoami' });
    expect([none.statusCode, none.json().error.code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('a workstation token gets 403 from every lead endpoint', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/cases'],
      ['GET', '/api/v1/cases/case-other'],
      ['POST', '/api/v1/cases/case-other/reviews'],
      ['GET', '/api/v1/lead/cases'],
      ['GET', '/api/v1/lead/cases/case-other'],
      ['GET', '/api/v1/lead/stats?groupBy=agent'],
    ] as const) {
      const r = await app.inject({ method, url: path, headers: auth(tokens.ws), ...(method === 'POST' ? { payload: { outcome: 'confirmed' } } : {}) });
      expect([path, r.statusCode, r.json().error.code]).toEqual([path, 403, 'FORBIDDEN']);
    }
    expect(await reviewsOf('case-other')).toBe(0);
  });

  it('refuses a lead reviewing their own case (403 FORBIDDEN, nothing stored); another lead may', async () => {
    const own = await app.inject({ method: 'POST', url: '/api/v1/cases/case-self/reviews', headers: auth(tokens.selfLead), payload: { outcome: 'confirmed', note: 'fine' } });
    expect(own.statusCode).toBe(403);
    expect(own.json().error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/cannot review their own case/) });
    expect(await reviewsOf('case-self')).toBe(0);
    const other = await app.inject({ method: 'POST', url: '/api/v1/cases/case-self/reviews', headers: auth(tokens.lead), payload: { outcome: 'process_not_followed', note: 'x' } });
    expect([other.statusCode, other.json().outcome]).toEqual([201, 'process_not_followed']);
    // the agent-self lead reviewing someone else's case is fine
    expect((await app.inject({ method: 'POST', url: '/api/v1/cases/case-other/reviews', headers: auth(tokens.selfLead), payload: { outcome: 'confirmed' } })).statusCode).toBe(201);
  });
});

describe('the console in main against the real server', () => {
  it('opens for a lead token only', async () => {
    current = undefined;
    expect(await qa.access()).toMatchObject({ allowed: false, reason: 'no_token', origin: url });
    await expect(qa.list({ source: 'local', filter: {}, limit: 10 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    current = tokens.ws;
    expect(await qa.access()).toMatchObject({ allowed: false, reason: 'not_lead', role: 'workstation', name: 'ws-a' });
    await expect(qa.stats({ source: 'local', filter: {}, tzOffsetMinutes: 480 })).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/team-lead token/) });
    current = 'vd_not-a-token-at-all';
    expect(await qa.access()).toMatchObject({ allowed: false, reason: 'refused' });
    current = tokens.lead;
    expect(await qa.access()).toMatchObject({ allowed: true, role: 'lead', name: 'lead-qa' });
    expect((await qa.list({ source: 'local', filter: {}, limit: 10 })).rows.map((r) => r.caseId)).toEqual(['local-self']);
  });

  it('posts a review with the lead token; the categories reach the agent’s workstation through sync', async () => {
    current = tokens.lead;
    const review = await qa.review({ source: 'backend', caseId: 'case-other', outcome: 'decision_wrong', note: '核验不充分', categories: ['identity_check', 'service_manner'] });
    expect(review).toMatchObject({ caseId: 'case-other', outcome: 'overturned', reviewer: 'lead-qa' });
    const changes = (await app.inject({ method: 'GET', url: '/api/v1/sync/changes?since=0', headers: auth(tokens.ws) })).json() as { reviews: { reviewId: number; note: string }[] };
    const synced = changes.reviews.find((r) => r.reviewId === review.reviewId)!;
    expect(decodeReviewNote(synced.note)).toEqual({ categories: ['identity_check', 'service_manner'], note: '核验不充分' });
    const detail = await qa.caseDetail({ source: 'backend', caseId: 'case-other' });
    expect(detail.posted.map((r) => r.reviewId)).toContain(review.reviewId);
    expect(detail.events).toHaveLength(3);
    await expect(qa.review({ source: 'backend', caseId: 'no-such-case', outcome: 'confirmed', note: '', categories: [] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a lead cannot review their own case: the server refuses, and main refuses first when it knows the agent', async () => {
    current = tokens.selfLead;
    await expect(qa.review({ source: 'backend', caseId: 'case-self', outcome: 'confirmed', note: '', categories: [] })).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/own case/) });
    // local-self is not on the server (it would answer 404): the refusal here is main's own
    await expect(qa.review({ source: 'local', caseId: 'local-self', outcome: 'confirmed', note: '', categories: [] })).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/own case/) });
  });

  it('exports the selected cases as a signed bundle or CSV, and imports a bundle pinning its signer', async () => {
    current = tokens.lead;
    const csv = await qa.export({ source: 'local', format: 'csv', caseIds: ['local-self'] });
    expect(csv.mime).toBe('text/csv');
    expect(csv.text.split('\r\n')[1]).toMatch(/^local-self,ws-[^,]+,agent-self,query,/);
    const exported = await qa.export({ source: 'local', format: 'bundle', caseIds: ['local-self'] });
    const bundle = JSON.parse(exported.text);
    expect(verifyBundle(bundle, { expectFingerprint: bundle.signer.fingerprint })).toMatchObject({ ok: true, casesChecked: 1 });
    const bytes = Buffer.from(exported.text).toString('base64');
    expect(await qa.importBundle({ bytes, remember: false })).toMatchObject({ ok: false, reason: 'signer_not_pinned' });
    expect(await qa.importBundle({ bytes, fingerprint: bundle.signer.fingerprint, remember: true })).toMatchObject({ ok: true, imported: 1 });
    expect((await qa.pinnedSigners()).map((p) => p.fingerprint)).toEqual([bundle.signer.fingerprint]);
    expect((await qa.list({ source: 'bundle', filter: {}, limit: 10 })).rows.map((r) => r.caseId)).toEqual(['local-self']);
    // imported cases passed on: signed by this workstation, their chains still verify
    const passed = JSON.parse((await qa.export({ source: 'bundle', format: 'bundle', caseIds: ['local-self'] })).text);
    expect(verifyBundle(passed, { expectFingerprint: passed.signer.fingerprint }).ok).toBe(true);
  });

  it('the backend source reads the lead API (filters, cases with their reviews, statistics) samples, exports CSV, and refuses a bundle', async () => {
    current = tokens.lead;
    const page = await qa.list({ source: 'backend', filter: { agentId: 'agent-x' }, limit: 10 });
    expect(page.rows.map((r) => r.caseId)).toEqual(['case-other']);
    expect(page.rows[0]).toMatchObject({ source: 'backend', workstationId: 'ws-a', reviewOutcome: 'overturned' });
    expect(page.nextCursor).toBeNull();
    expect((await qa.list({ source: 'backend', filter: { review: 'process_not_followed' }, limit: 10 })).rows.map((r) => r.caseId)).toEqual(['case-self']);
    const detail = await qa.caseDetail({ source: 'backend', caseId: 'case-self' });
    expect(detail).toMatchObject({ chainValid: true, idNumberMasked: '110***********0012', row: { agentId: 'agent-self', reviewOutcome: 'process_not_followed' } });
    expect(detail.reviews.map((r) => [r.outcome, r.reviewer])).toEqual([['process_not_followed', 'lead-qa']]);
    const stats = await qa.stats({ source: 'backend', filter: {}, tzOffsetMinutes: 480 });
    expect(stats).toMatchObject({ source: 'backend', total: { key: 'total', cases: 2 } });
    expect(stats.byAgent.map((r) => [r.key, r.cases])).toEqual([['agent-self', 1], ['agent-x', 1]]);
    expect(stats.byDay.map((r) => r.key)).toEqual(['2024-12-24']);
    // a reference the server holds no case of: searched (a POST body, the server's lookup), found nothing
    expect((await qa.list({ source: 'backend', filter: { customerRef: 'C1' }, limit: 10 })).rows).toEqual([]);
    expect((await qa.stats({ source: 'backend', filter: { customerRef: 'C1' }, tzOffsetMinutes: 480 })).total.cases).toBe(0);
    // the server draws the sample and writes no CSV: the console does, from the rows it lists
    const sample = await qa.sample({ source: 'backend', filter: {}, seed: 's', rate: 0.5, includeOverrides: true, includeEscalations: true, tzOffsetMinutes: 480 });
    expect(sample).toMatchObject({ seed: 's', population: 2 });
    const csv = await qa.export({ source: 'backend', format: 'csv', caseIds: ['case-self'] });
    expect(csv.text.split('\r\n').filter(Boolean).map((l) => l.split(',')[0])).toEqual(['\uFEFFcase_id', 'case-self']);
    // a signed bundle only from the workstation that holds the chain
    await expect(qa.export({ source: 'backend', format: 'bundle', caseIds: ['case-self'] })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(qa.caseDetail({ source: 'backend', caseId: 'no-such-case' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
