/**
 * The console's backend source against the real server: one workstation's cases synced up through the real sync
 * client, then every question asked of both the local source and the backend one — the same cases in the same
 * order page by page, the same statistics — since the server's summary columns and the workstation's case facts
 * are meant to be the same facts.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import { openPglite, type ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import { ConsoleCursorSchema, type ConsoleCaseRow, type ConsoleFilter, type ConsoleSource } from '../../../src/shared/console';
import { BackendSource } from '../../../src/main/console/backend-source';
import { ConsoleService } from '../../../src/main/console/console-service';
import { seedConsoleCases } from '../../../src/main/console/demo-seed';
import { LeadApi } from '../../../src/main/console/lead-api';
import { silentLogger } from '../../../src/main/log/logger';
import { SyncClient } from '../../../src/main/sync/sync-client';
import { DAY_A, DAY_B, tempStore, writeKnownCases, type TempStore } from './fixtures';

let db: ServerDb;
let app: FastifyInstance;
let url: string;
let lead: string;
let workstation: string;
let t: TempStore;
let qa: ConsoleService;
let token: string | undefined;

beforeAll(async () => {
  db = await openPglite();
  await migrateServer(db);
  // a lookup key of its own: the synced cases carry customer references (no key file in the working directory)
  app = await buildServer({ db, logger: silentLogger, rateLimit: false, leadApi: { serverKeyHex: randomBytes(32).toString('hex') } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  workstation = await createToken(db, 'ws-known');
  lead = await createToken(db, 'lead-qa', 'lead');
  t = tempStore('vd-backend-source-');
  writeKnownCases(t.store);
  // enough for several pages, in another period than the known cases
  seedConsoleCases(t.store, { count: 90, agents: 4, days: 10, seed: 11, now: Date.UTC(2025, 5, 1) });
  const sync = await new SyncClient({ store: t.store, serverUrl: url, token: workstation }).syncOnce();
  expect(sync.pending).toBe(0);
  token = lead;
  // the lead's console over the same store: its local source is the agent's own log, its backend the server's copy
  qa = new ConsoleService({ store: t.store, dataDir: t.dir, backendUrl: () => url, tokenFor: (origin) => (origin === url ? token : undefined) });
});

afterAll(async () => {
  qa?.close();
  t?.cleanup();
  await app?.close();
  await db?.close();
});

/** Every page, following nextCursor; the cursors seen along the way. */
async function pages(source: ConsoleSource, filter: ConsoleFilter, limit: number): Promise<{ rows: ConsoleCaseRow[]; cursors: string[] }> {
  const rows: ConsoleCaseRow[] = [];
  const cursors: string[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 100; guard++) {
    const page = await qa.list({ source, filter, cursor, limit });
    expect(page.source).toBe(source);
    rows.push(...page.rows);
    if (!page.nextCursor) return { rows, cursors };
    cursors.push(page.nextCursor);
    cursor = page.nextCursor;
  }
  throw new Error('no last page');
}

/** The facts a row has in both sources (the workstation id is the token's name on the server). */
const facts = ({ source: _s, workstationId: _w, reviewOutcome: _r, ...rest }: ConsoleCaseRow) => rest;

describe('the backend source', () => {
  it('pages through the server with its opaque cursor: the same cases, order and facts as the local source, for every filter', async () => {
    // a seeded case's id (the known ones are too short to search by)
    const someId = (await qa.list({ source: 'local', filter: { agentId: 'agent-01' }, limit: 1 })).rows[0]!.caseId;
    const filters: ConsoleFilter[] = [
      {},
      { agentId: 'a2' },
      { agentId: 'agent-02' },
      { caseId: someId.slice(0, 6) },
      { from: DAY_A - 3_600_000, to: DAY_B + 86_400_000 },
      { serviceType: 'operate' },
      { advice: 'review' },
      { decision: 'none' },
      { decision: 'fail' },
      { disagreement: true },
      { disagreement: false, serviceType: 'transact' },
      { escalated: true },
      { reverified: true },
      { failedCheck: 'liveness' },
      { failedCheck: 'quality' },
      { failedCheck: 'spoken_code' },
    ];
    for (const filter of filters) {
      const local = await pages('local', filter, 7);
      const backend = await pages('backend', filter, 7);
      expect(local.rows.length, JSON.stringify(filter)).toBeGreaterThan(0);
      expect(backend.rows.map(facts), JSON.stringify(filter)).toEqual(local.rows.map(facts));
      expect(backend.rows.every((r) => r.source === 'backend' && r.workstationId === 'ws-known')).toBe(true);
      // the server's own cursor, not the local keyset form
      for (const c of backend.cursors) expect(ConsoleCursorSchema.safeParse(c).success).toBe(false);
    }
    expect((await pages('backend', {}, 7)).cursors.length).toBe(Math.ceil(99 / 7) - 1);
  });

  it('refuses a cursor the server did not give (400 from the server, not a wrong page)', async () => {
    await expect(qa.list({ source: 'backend', filter: {}, cursor: 'not-a-cursor', limit: 5 })).rejects.toMatchObject({ code: 'BACKEND_REFUSED', message: expect.stringMatching(/cursor/) });
  });

  it('computes the same statistics as the local source, per day and per agent, in the server’s SQL', async () => {
    for (const filter of [{}, { agentId: 'a1' }, { from: DAY_A - 3_600_000, to: DAY_B + 86_400_000 }, { disagreement: true }] satisfies ConsoleFilter[]) {
      for (const tzOffsetMinutes of [480, -300]) {
        const local = await qa.stats({ source: 'local', filter, tzOffsetMinutes });
        const backend = await qa.stats({ source: 'backend', filter, tzOffsetMinutes });
        expect(backend, JSON.stringify(filter)).toEqual({ ...local, source: 'backend' });
      }
    }
    const csv = await qa.statsCsv({ source: 'backend', filter: {}, tzOffsetMinutes: 480, table: 'agent' });
    expect(csv.text).toBe((await qa.statsCsv({ source: 'local', filter: {}, tzOffsetMinutes: 480, table: 'agent' })).text);
  });

  it('opens a case from the server (summary, events, reviews, chain) and its review is found by the review filter', async () => {
    const [row] = (await qa.list({ source: 'backend', filter: { disagreement: true, agentId: 'a1' }, limit: 1 })).rows;
    expect(row?.caseId).toBe('k2');
    const before = await qa.caseDetail({ source: 'backend', caseId: 'k2' });
    expect(before).toMatchObject({ row, chainValid: true, reviews: [], recordings: [], posted: [] });
    expect(before.events.map((e) => e.seq)).toEqual(t.store.events('k2').map((e) => e.seq));
    const review = await qa.review({ source: 'backend', caseId: 'k2', outcome: 'decision_wrong', note: 'x', categories: ['identity_check'] });
    const after = await qa.caseDetail({ source: 'backend', caseId: 'k2' });
    expect(after.reviews.map((r) => r.reviewId)).toEqual([review.reviewId]);
    expect(after.posted.map((r) => r.reviewId)).toEqual([review.reviewId]);
    expect(after.row.reviewOutcome).toBe('overturned');
    expect((await qa.list({ source: 'backend', filter: { review: 'overturned', agentId: 'a1' }, limit: 10 })).rows.map((r) => r.caseId)).toEqual(['k2']);
    expect((await qa.list({ source: 'backend', filter: { review: 'unreviewed', agentId: 'a1' }, limit: 10 })).rows.map((r) => r.caseId)).not.toContain('k2');
  });

  it('says so when a backend has no lead API, or answers in another shape', async () => {
    const answering = (status: number, body: unknown) =>
      new BackendSource(new LeadApi({ backendUrl: () => 'http://127.0.0.1:9', tokenFor: () => 'vd_x', fetchImpl: async () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }) }));
    const old = answering(404, { error: { code: 'NOT_FOUND', message: 'no such endpoint' } });
    await expect(old.list({}, null, 10)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/no lead API/) });
    await expect(old.stats({}, 480)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    // the older GET /api/v1/cases shape is not taken for a page
    await expect(answering(200, { cases: [] }).list({}, null, 10)).rejects.toMatchObject({ code: 'BACKEND_REFUSED', message: expect.stringMatching(/MALFORMED_RESPONSE/) });
    await expect(answering(200, { rows: [{ caseId: 'x' }], nextCursor: null }).list({}, null, 10)).rejects.toMatchObject({ code: 'BACKEND_REFUSED' });
  });
});
