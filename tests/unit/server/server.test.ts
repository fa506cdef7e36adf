import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/main/log/logger';
import { buildServer } from '../../../server/app';
import { createToken, revokeToken } from '../../../server/auth/tokens';
import type { ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import { startPostgres } from '../../../server/testing/pg-harness';
import { dbBackends } from './db-backends';
import { makeChain, resealFrom } from './fixtures';
import pg from 'pg';
import { REVIEW_ORDER_LOCK } from '../../../server/reviews/routes';
import type { CaseEvent } from '../../../src/shared/cases';

const pgStart = await startPostgres();

const backends = dbBackends(pgStart);

afterAll(async () => {
  if (pgStart.ok) await pgStart.cluster.stop();
});

for (const backend of backends) {
  describe.skipIf(backend.skip !== null)(`sync server on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let db: ServerDb;
    let app: FastifyInstance;
    let ws1: string;
    let ws2: string;
    let lead: string;
    let keyN = 0;

    beforeAll(async () => {
      db = await backend.open();
      await migrateServer(db);
      await migrateServer(db); // idempotent
      app = await buildServer({ db, logger: silentLogger });
      const tag = Math.random().toString(36).slice(2, 8);
      ws1 = await createToken(db, `ws-1-${tag}`);
      ws2 = await createToken(db, `ws-2-${tag}`);
      lead = await createToken(db, `lead-${tag}`, 'lead');
    });
    afterAll(async () => {
      await app?.close();
      await db?.close();
    });

    const post = (events: unknown, token: string | null = ws1, key: string | null = `key-${backend.name}-${++keyN}-${Date.now()}`, extra: Record<string, string> = {}) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/sync/batches',
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(key ? { 'idempotency-key': key } : {}), 'content-type': 'application/json', ...extra },
        payload: typeof events === 'string' ? events : JSON.stringify({ workstationId: 'ws-local', events }),
      });
    const countEvents = async (caseId: string) => Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE case_id = $1', [caseId])).rows[0]?.n);

    it('answers health with the database kind', async () => {
      const r = await app.inject({ method: 'GET', url: '/health' });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toEqual({ status: 'ok', database: backend.name === 'PGlite' ? 'pglite' : 'postgres' });
    });

    it('stores only token hashes', async () => {
      const { rows } = await db.query<{ token_hash: string }>('SELECT token_hash FROM api_tokens');
      expect(rows.some((r) => r.token_hash === ws1)).toBe(false);
      expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.token_hash))).toBe(true);
    });

    it('refuses missing, wrong, revoked and wrong-role tokens with 401/403 and stores nothing', async () => {
      const chain = makeChain(3);
      for (const [token, status] of [
        [null, 401],
        ['vd_not-a-real-token-at-all', 401],
        [lead, 403],
      ] as const) {
        const r = await post(chain, token);
        expect(r.statusCode).toBe(status);
        expect(r.json().error.code).toBe(status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN');
      }
      const tmp = await createToken(db, `tmp-${Date.now()}`);
      const name = (await db.query<{ name: string }>("SELECT name FROM api_tokens WHERE name LIKE 'tmp-%' ORDER BY token_id DESC LIMIT 1")).rows[0]!.name;
      await revokeToken(db, name);
      expect((await post(chain, tmp)).statusCode).toBe(401);
      expect(await countEvents(chain[0]!.caseId)).toBe(0);
    });

    it('accepts a batch, and a replay (same key or same events) stores nothing twice', async () => {
      const chain = makeChain(5);
      const r1 = await post(chain, ws1, 'replay-key-0001');
      expect(r1.statusCode).toBe(200);
      expect(r1.json()).toMatchObject({ accepted: 5, duplicates: 0, replayed: false, cases: [{ caseId: chain[0]!.caseId, lastSeq: 5, lastHash: chain[4]!.hash }] });
      const r2 = await post(chain, ws1, 'replay-key-0001');
      expect(r2.json()).toMatchObject({ accepted: 5, replayed: true, batchId: r1.json().batchId });
      const r3 = await post(chain, ws1, 'replay-key-0002');
      expect(r3.json()).toMatchObject({ accepted: 0, duplicates: 5, replayed: false });
      // Overlapping resend after a crash: 3..5 already stored, 6..7 new.
      const longer = makeChain(7, chain[0]!.caseId);
      // makeChain closes at n; rebuild so 1..5 equal the stored ones.
      const extended = resealFrom([...chain, { ...longer[5]!, type: 'note.added' }, { ...longer[6]!, type: 'note.added' }] as CaseEvent[], 5);
      const r4 = await post(extended.slice(2), ws1, 'replay-key-0003');
      expect(r4.json()).toMatchObject({ accepted: 2, duplicates: 3 });
      expect(await countEvents(chain[0]!.caseId)).toBe(7);
      const r5 = await post(makeChain(2), ws1, 'replay-key-0001');
      expect(r5.statusCode).toBe(409);
      expect(r5.json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    });

    it('rejects malformed, oversize and key-less batches with 4xx codes and stores nothing', async () => {
      const chain = makeChain(3);
      const cases: [unknown, number, string, Record<string, string>?][] = [
        ['{"workstationId": "x", "events": [', 400, 'MALFORMED_BATCH'],
        ['[]', 400, 'MALFORMED_BATCH'],
        [JSON.stringify({ workstationId: 'x', events: [] }), 400, 'MALFORMED_BATCH'],
        [JSON.stringify({ workstationId: 'x', events: [{ ...chain[0], seq: -1 }] }), 400, 'MALFORMED_BATCH'],
        [JSON.stringify({ workstationId: 'x', events: [{ ...chain[0], hash: 'zz' }] }), 400, 'MALFORMED_BATCH'],
        [JSON.stringify({ workstationId: 'x', events: chain, extra: 1 }), 400, 'MALFORMED_BATCH'],
        [JSON.stringify({ workstationId: 'x', events: [chain[1], chain[0]] }), 400, 'MALFORMED_BATCH'],
        [JSON.stringify({ workstationId: 'x', events: chain }), 415, 'MALFORMED_BATCH', { 'content-type': 'text/plain' }],
      ];
      for (const [body, status, code, headers] of cases) {
        const r = await post(body, ws1, undefined, headers);
        expect(r.statusCode, String(body).slice(0, 60)).toBe(status);
        expect(r.json().error.code).toBe(code);
      }
      const noKey = await post(chain, ws1, null);
      expect([noKey.statusCode, noKey.json().error.code]).toEqual([400, 'IDEMPOTENCY_KEY_MISSING']);
      const huge = await post(JSON.stringify({ workstationId: 'x', events: chain, pad: 'x'.repeat(5 * 1024 * 1024) }));
      expect([huge.statusCode, huge.json().error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
      const bigPayload = resealFrom([chain[0]!, { ...chain[1]!, payload: { blob: 'x'.repeat(70_000) } }], 1);
      const big = await post(bigPayload);
      expect([big.statusCode, big.json().error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
      expect(await countEvents(chain[0]!.caseId)).toBe(0);
    });

    it('re-verifies chains: gap, edited content, broken link, fork; the whole batch is refused', async () => {
      const good = makeChain(3);
      const chain = makeChain(5);
      const gap = await post([...good, chain[0], chain[1], chain[3]]);
      expect(gap.statusCode).toBe(422);
      expect(gap.json().error).toMatchObject({ code: 'CHAIN_GAP', caseId: chain[0]!.caseId, seq: 3 });

      const edited = chain.map((e) => (e.seq === 4 ? { ...e, payload: { ...e.payload, score: 0.99 } } : e));
      const r = await post([...good, ...edited]);
      expect(r.statusCode).toBe(422);
      expect(r.json().error).toMatchObject({ code: 'CHAIN_HASH_MISMATCH', caseId: chain[0]!.caseId, seq: 4 });

      const relinked = chain.map((e) => (e.seq === 3 ? { ...e, prevHash: 'f'.repeat(64) } : e));
      expect((await post(relinked)).json().error).toMatchObject({ code: 'CHAIN_PREV_MISMATCH', seq: 3 });
      expect(await countEvents(good[0]!.caseId)).toBe(0); // atomic: the good case was not stored either

      expect((await post(chain)).statusCode).toBe(200);
      // A forger rewrites seq 2 and recomputes every later hash: consistent chain, but it forks.
      const forged = resealFrom(chain.map((e) => (e.seq === 2 ? { ...e, payload: { check: 'face_match', status: 'pass', score: 0.99 } } : e)), 1);
      const fork = await post(forged);
      expect(fork.statusCode).toBe(409);
      expect(fork.json().error).toMatchObject({ code: 'CHAIN_FORK', caseId: chain[0]!.caseId, seq: 2 });
      const stored = await db.query<{ hash: string }>('SELECT hash FROM events WHERE case_id = $1 ORDER BY seq', [chain[0]!.caseId]);
      expect(stored.rows.map((x) => x.hash)).toEqual(chain.map((e) => e.hash));
    });

    it('refuses another workstation writing into a case it does not own', async () => {
      const chain = makeChain(2);
      expect((await post(chain, ws1)).statusCode).toBe(200);
      const next = resealFrom([...chain, { ...chain[1]!, seq: 3, type: 'note.added' }], 2);
      const r = await post(next.slice(2), ws2);
      expect([r.statusCode, r.json().error.code]).toEqual([403, 'CASE_OWNED_ELSEWHERE']);
    });

    it('sends team-lead review outcomes back to the owning workstation since a cursor', async () => {
      const chain = makeChain(4);
      await post(chain, ws1);
      const caseId = chain[0]!.caseId;
      const auth = (t: string) => ({ authorization: `Bearer ${t}` });
      const before = (await app.inject({ method: 'GET', url: '/api/v1/sync/changes?since=0', headers: auth(ws1) })).json();
      const created = await app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/reviews`, headers: auth(lead), payload: { outcome: 'confirmed', note: 'ok' } });
      expect(created.statusCode).toBe(201);
      expect((await app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/reviews`, headers: auth(ws1), payload: { outcome: 'confirmed' } })).statusCode).toBe(403);
      const changes = (await app.inject({ method: 'GET', url: `/api/v1/sync/changes?since=${before.cursor}`, headers: auth(ws1) })).json();
      expect(changes.reviews).toEqual([expect.objectContaining({ caseId, outcome: 'confirmed', note: 'ok' })]);
      expect(changes.cursor).toBe(created.json().reviewId);
      expect((await app.inject({ method: 'GET', url: `/api/v1/sync/changes?since=${changes.cursor}`, headers: auth(ws1) })).json().reviews).toEqual([]);
      const other = (await app.inject({ method: 'GET', url: '/api/v1/sync/changes?since=0', headers: auth(ws2) })).json();
      expect(other.reviews.some((x: { caseId: string }) => x.caseId === caseId)).toBe(false);
      const detail = (await app.inject({ method: 'GET', url: `/api/v1/cases/${caseId}`, headers: auth(lead) })).json();
      expect(detail).toMatchObject({ chainValid: true });
      expect(detail.events).toHaveLength(4);
    });

    // Only a real server has concurrent transactions (PGlite has one connection), so only its suite has this test.
    if (backend.name === 'PostgreSQL')
      it('never lets a review committed out of id order be skipped by the cursor (two server instances)', async () => {
      const chain = makeChain(2);
      await post(chain, ws1);
      const caseId = chain[0]!.caseId;
      const auth = { authorization: `Bearer ${ws1}` };
      const changesSince = async (since: number) => (await app.inject({ method: 'GET', url: `/api/v1/sync/changes?since=${since}`, headers: auth })).json();
      const start = (await changesSince(0)).cursor as number;

      // "instance B" is mid-transaction: it holds the ordering lock and has taken the next review id.
      const instanceB = new pg.Client({ connectionString: pgStart.ok ? pgStart.cluster.url : '' });
      await instanceB.connect();
      try {
        await instanceB.query('BEGIN');
        await instanceB.query('SELECT pg_advisory_xact_lock($1)', [REVIEW_ORDER_LOCK]);
        await instanceB.query("INSERT INTO reviews (case_id, workstation, outcome, reviewer, created_at) SELECT $1, workstation, 'escalated', 'lead-b', $2 FROM cases WHERE case_id = $1", [caseId, Date.now()]);
        const instanceA = app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/reviews`, headers: { authorization: `Bearer ${lead}` }, payload: { outcome: 'confirmed' } });
        await new Promise((resolve) => setTimeout(resolve, 300));
        // Were A's later id visible now, a workstation would move its cursor past B's earlier one for good.
        expect((await changesSince(start)).reviews).toEqual([]);
        await instanceB.query('COMMIT');
        expect((await instanceA).statusCode).toBe(201);
      } finally {
        await instanceB.end();
      }
      const after = await changesSince(start);
      expect(after.reviews.map((r: { outcome: string }) => r.outcome)).toEqual(['escalated', 'confirmed']);
    });
  });
}
