/**
 * The lead API's customer-reference search, sample and chosen-rows endpoints (server/leads, docs/lead-api.md) on
 * PGlite and PostgreSQL. Two workstations sync cases through the real sync endpoint, some for the same customer;
 * every answer is checked against what the test itself says the cases are. The reference must reach nothing but
 * the server's keyed lookup: not a cases column, not a log line, not an error message.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import { openPglite, type ServerDb } from '../../../server/db/database';
import { migrateServer, SERVER_MIGRATIONS } from '../../../server/db/migrations';
import { deriveLookupKey, REF_LOOKUP_LABEL } from '../../../server/leads/ref-lookup';
import { customerRefHash, deriveKeys } from '../../../server/reference-photos/crypto';
import { storeBatch } from '../../../server/sync/store-batch';
import { startPostgres } from '../../../server/testing/pg-harness';
import { sealEvent } from '../../../src/main/caselog/chain';
import { silentLogger } from '../../../src/main/log/logger';
import { GENESIS_HASH, type CaseEvent, type EventType } from '../../../src/shared/cases';
import type { ConsoleCaseRow, ConsoleSample } from '../../../src/shared/console';
import { drawSampleRows, type SampleRow } from '../../../src/shared/console-sample';
import { dbBackends } from './db-backends';

const pgStart = await startPostgres();
afterAll(async () => {
  if (pgStart.ok) await pgStart.cluster.stop();
});

const HOUR = 3_600_000;
const D1 = Date.UTC(2026, 2, 2, 2, 0);
const REF = 'CUST-42';
const TOO_LONG = `SECRET-${'x'.repeat(70)}`;

interface Spec {
  n: number;
  ws: 'A' | 'B';
  agent: string;
  openedAt: number;
  ref: string | null;
  advice: 'pass' | 'review' | 'fail';
  decision: 'pass' | 'fail';
  escalated?: boolean;
}

/** n 1 and 4 are one customer on two workstations; 5 has a reference written with spaces round it (the same one). */
const SPECS: Spec[] = [
  { n: 1, ws: 'A', agent: 'agent-a', openedAt: D1, ref: REF, advice: 'review', decision: 'pass' },
  { n: 2, ws: 'A', agent: 'agent-b', openedAt: D1 + HOUR, ref: 'CUST-7', advice: 'pass', decision: 'pass', escalated: true },
  { n: 3, ws: 'A', agent: 'agent-b', openedAt: D1 + 2 * HOUR, ref: null, advice: 'pass', decision: 'fail' },
  { n: 4, ws: 'B', agent: 'agent-c', openedAt: D1 + 30 * HOUR, ref: REF, advice: 'pass', decision: 'pass' },
  { n: 5, ws: 'B', agent: 'agent-c', openedAt: D1 + 31 * HOUR, ref: ` ${REF} `, advice: 'fail', decision: 'fail', escalated: true },
  { n: 6, ws: 'B', agent: 'agent-a', openedAt: D1 + 32 * HOUR, ref: TOO_LONG, advice: 'pass', decision: 'pass' },
  { n: 7, ws: 'B', agent: 'agent-a', openedAt: D1 + 33 * HOUR, ref: 'cust-42', advice: 'pass', decision: 'pass' },
];
const disagrees = (s: Spec) => (s.decision === 'pass' ? s.advice !== 'pass' : s.advice === 'pass');

function chain(s: Spec, caseId: string): CaseEvent[] {
  const raw: { type: EventType; at: number; payload: Record<string, unknown> }[] = [
    { type: 'case.opened', at: s.openedAt, payload: { workstationId: `ws-${s.ws}`, agentId: s.agent, serviceType: 'transact', customerRef: s.ref, idNumberMasked: null, idNumberHash: null } },
    { type: 'verification.event', at: s.openedAt + 1000, payload: { type: 'advice.changed', advice: s.advice, previous: 'review', reasons: [] } },
    { type: 'decision.made', at: s.openedAt + 60_000, payload: { decision: s.decision, advice: s.advice, against: disagrees(s), reasonCode: null, checklist: [] } },
    ...(s.escalated ? [{ type: 'case.escalated' as EventType, at: s.openedAt + 61_000, payload: { advice: s.advice } }] : []),
  ];
  let prev = GENESIS_HASH;
  return raw.map((r, i) => {
    const e = sealEvent({ caseId, seq: i + 1, type: r.type, at: r.at, actor: s.agent, payload: r.payload, prevHash: prev });
    prev = e.hash;
    return e;
  });
}

for (const backend of dbBackends(pgStart)) {
  describe.skipIf(backend.skip !== null)(`lead search, sample and rows on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let db: ServerDb;
    let app: FastifyInstance;
    const logLines: string[] = [];
    const serverKeyHex = randomBytes(32).toString('hex');
    const lookupKey = deriveLookupKey(Buffer.from(serverKeyHex, 'hex'));
    const tag = Math.random().toString(36).slice(2, 8);
    const idOf = (n: number) => `ls-${tag}-${n}`;
    const wsName = (ws: 'A' | 'B') => `ws-${ws.toLowerCase()}-${tag}`;
    const tokens: Record<string, string> = {};
    let keyN = 0;
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    const post = (url: string, payload: unknown, token = tokens.lead!) => app.inject({ method: 'POST', url, headers: bearer(token), payload: payload as Record<string, unknown> });
    const get = (url: string, token = tokens.lead!) => app.inject({ method: 'GET', url, headers: bearer(token) });
    const sync = async (events: CaseEvent[], token: string) => {
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/sync/batches',
        headers: { ...bearer(token), 'idempotency-key': `ls-${tag}-${++keyN}`, 'content-type': 'application/json' },
        payload: { workstationId: 'ws-local', events },
      });
      expect(r.statusCode, r.body).toBe(200);
    };
    /** The ids of a search, every page followed. */
    const searchAll = async (body: Record<string, unknown>, limit = 1): Promise<string[]> => {
      const out: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 50; page++) {
        const r = await post('/api/v1/lead/cases/search', { ...body, limit, ...(cursor ? { cursor } : {}) });
        expect(r.statusCode, r.body).toBe(200);
        const b = r.json() as { rows: ConsoleCaseRow[]; nextCursor: string | null };
        out.push(...b.rows.map((x) => x.caseId));
        cursor = b.nextCursor;
        if (!cursor) return out;
      }
      throw new Error('search pagination did not end');
    };
    const mine = (ids: string[]) => ids.filter((id) => id.startsWith(`ls-${tag}-`));

    beforeAll(async () => {
      db = await backend.open();
      await migrateServer(db);
      const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
      app = await buildServer({ db, logger, rateLimit: false, leadApi: { serverKeyHex } });
      tokens.A = await createToken(db, wsName('A'));
      tokens.B = await createToken(db, wsName('B'));
      tokens.lead = await createToken(db, `lead-${tag}`, 'lead');
      for (const ws of ['A', 'B'] as const) await sync(SPECS.filter((s) => s.ws === ws).flatMap((s) => chain(s, idOf(s.n))), tokens[ws]!);
    });
    afterAll(async () => {
      await app?.close();
      await db?.close();
    });

    it('one search finds a customer’s cases from both workstations, newest first; a wrong reference finds none', async () => {
      // 5's reference has spaces round it: the console trims what the lead types, so the server trims too
      expect(mine(await searchAll({ customerRef: REF }))).toEqual([idOf(5), idOf(4), idOf(1)]);
      expect(mine(await searchAll({ customerRef: `  ${REF}` }, 100))).toEqual([idOf(5), idOf(4), idOf(1)]);
      // with the other filters ANDed
      expect(await searchAll({ customerRef: REF, workstationId: wsName('A') })).toEqual([idOf(1)]);
      expect(mine(await searchAll({ customerRef: REF, escalated: true, from: D1 + HOUR }))).toEqual([idOf(5)]);
      expect(mine(await searchAll({ customerRef: 'CUST-7' }))).toEqual([idOf(2)]);
      // references are compared exactly (7 is "cust-42"); another customer, none
      expect(mine(await searchAll({ customerRef: 'cust-42' }))).toEqual([idOf(7)]);
      expect(mine(await searchAll({ customerRef: 'CUST-43' }))).toEqual([]);
      // the rows are the list's rows
      const listed = (await get(`/api/v1/lead/cases?workstationId=${wsName('A')}&limit=10`)).json() as { rows: ConsoleCaseRow[] };
      const found = (await post('/api/v1/lead/cases/search', { customerRef: REF, workstationId: wsName('A') })).json() as { rows: ConsoleCaseRow[] };
      expect(found.rows).toEqual(listed.rows.filter((r) => r.caseId === idOf(1)));
    });

    it('stores only the server’s keyed lookup: HMAC under its own derived key, no cases column holds the reference, no log line carries it', async () => {
      const { rows } = await db.query<Record<string, unknown>>(`SELECT * FROM cases WHERE case_id LIKE $1 ORDER BY case_id`, [`ls-${tag}-%`]);
      const lookup = (ref: string) => createHmac('sha256', lookupKey).update(ref, 'utf8').digest('hex');
      const byId = new Map(rows.map((r) => [r.case_id, r]));
      expect(byId.get(idOf(1))).toMatchObject({ customer_ref_lookup: lookup(REF), ref_lookup_pending: false });
      expect(byId.get(idOf(4))!.customer_ref_lookup).toBe(lookup(REF));
      expect(byId.get(idOf(5))!.customer_ref_lookup).toBe(lookup(REF));
      expect(byId.get(idOf(3))).toMatchObject({ customer_ref_lookup: null, ref_lookup_pending: false });
      // longer than any search can ask for: no lookup, and not left pending either
      expect(byId.get(idOf(6))).toMatchObject({ customer_ref_lookup: null, ref_lookup_pending: false });
      const text = JSON.stringify(rows);
      for (const ref of [REF, 'CUST-7', 'SECRET-']) expect(text).not.toContain(ref);
      // a key of its own: not the reference photos' row key for the same reference, nor the raw server key's HMAC
      const serverKey = Buffer.from(serverKeyHex, 'hex');
      expect(lookup(REF)).not.toBe(customerRefHash(deriveKeys(serverKey), REF));
      expect(lookup(REF)).not.toBe(createHmac('sha256', serverKey).update(REF).digest('hex'));
      expect(REF_LOOKUP_LABEL).toMatch(/lookup/);
      // a refused search does not echo what it was given, into the answer or the log
      const refused = await post('/api/v1/lead/cases/search', { customerRef: TOO_LONG });
      expect(refused.statusCode).toBe(400);
      expect(refused.body).not.toContain('SECRET-');
      await post('/api/v1/lead/stats/search', { customerRef: REF });
      await post('/api/v1/lead/sample/search', { customerRef: REF, seed: 's' });
      expect(logLines.length).toBeGreaterThan(5);
      const logs = logLines.join('');
      expect(logs).toContain('/api/v1/lead/cases/search');
      for (const ref of [REF, 'CUST-7', 'SECRET-']) expect(logs).not.toContain(ref);
    });

    it('statistics and samples by customer reference count exactly that customer’s cases', async () => {
      const r = await post('/api/v1/lead/stats/search', { customerRef: REF, groupBy: 'agent', tzOffsetMinutes: 480 });
      expect(r.statusCode, r.body).toBe(200);
      const stats = r.json() as { groupBy: string; filter: Record<string, unknown>; total: { cases: number; disagreements: number; escalations: number }; rows: { key: string; cases: number }[] };
      expect(stats.groupBy).toBe('agent');
      // the echoed filter does not carry the server's lookup
      expect(stats.filter).toEqual({});
      expect(stats.total).toMatchObject({ cases: 3, disagreements: 1, escalations: 1 });
      expect(stats.rows.map((x) => [x.key, x.cases])).toEqual([
        ['agent-a', 1],
        ['agent-c', 2],
      ]);
      const s = await post('/api/v1/lead/sample/search', { customerRef: REF, seed: 'qa', rate: 0.5, includeOverrides: false, includeEscalations: false });
      expect(s.statusCode, s.body).toBe(200);
      const sample = s.json() as ConsoleSample;
      expect(sample.population).toBe(3);
      const rows: SampleRow[] = [1, 4, 5].map((n) => SPECS.find((x) => x.n === n)!).map((x) => ({ caseId: idOf(x.n), agentId: x.agent, openedAt: x.openedAt, disagreement: disagrees(x), escalated: !!x.escalated }));
      expect(sample).toEqual(drawSampleRows(rows, { seed: 'qa', rate: 0.5, includeOverrides: false, includeEscalations: false, tzOffsetMinutes: 480 }));
    });

    it('GET /api/v1/lead/sample draws the shared algorithm over exactly the filter’s cases, and refuses bad parameters', async () => {
      const expected = (ws: 'A' | 'B', seed: string, rate: number) =>
        drawSampleRows(
          SPECS.filter((x) => x.ws === ws).map((x) => ({ caseId: idOf(x.n), agentId: x.agent, openedAt: x.openedAt, disagreement: disagrees(x), escalated: !!x.escalated })),
          { seed, rate, includeOverrides: true, includeEscalations: true, tzOffsetMinutes: 480 },
        );
      for (const [ws, seed, rate] of [
        ['A', '2026-W10', 0.05],
        ['B', 'another', 0.5],
        ['B', 'x', 1],
      ] as const) {
        const r = await get(`/api/v1/lead/sample?workstationId=${wsName(ws)}&seed=${seed}&rate=${rate}`);
        expect(r.statusCode, r.body).toBe(200);
        expect(r.json()).toEqual(expected(ws, seed, rate));
      }
      // overrides and escalations are in by default and out when asked
      const all = (await get(`/api/v1/lead/sample?workstationId=${wsName('A')}&seed=s&rate=0.0001`)).json() as ConsoleSample;
      expect(all.picks.filter((p) => p.reasons.includes('escalation')).map((p) => p.caseId)).toEqual([idOf(2)]);
      const none = (await get(`/api/v1/lead/sample?workstationId=${wsName('A')}&seed=s&rate=1e-4&includeOverrides=false&includeEscalations=0`)).json() as ConsoleSample;
      expect(none.picks.every((p) => p.reasons.join() === 'stratified')).toBe(true);
      for (const bad of ['rate=0.1', 'seed=s&rate=0', 'seed=s&rate=1.5', 'seed=s&rate=abc', 'seed=&rate=0.1', 'seed=s&includeOverrides=maybe', 'seed=s&tzOffsetMinutes=900', 'seed=s&customerRef=CUST-42', 'seed=s&other=1']) {
        const r = await get(`/api/v1/lead/sample?${bad}`);
        expect([r.statusCode, r.json().error.code], bad).toEqual([400, 'MALFORMED_BATCH']);
      }
    });

    it('refuses malformed searches with 400 naming the field, a reference in a query string, and non-lead tokens', async () => {
      for (const body of [{}, { customerRef: '' }, { customerRef: '   ' }, { customerRef: 42 }, { customerRef: TOO_LONG }, { customerRef: REF, other: 1 }, { customerRef: REF, limit: 0 }, { customerRef: REF, from: 5, to: 5 }, { customerRef: REF, disagreement: 'true' }, { customerRef: REF, cursor: 'nope' }]) {
        const r = await post('/api/v1/lead/cases/search', body);
        expect([r.statusCode, r.json().error.code], JSON.stringify(body)).toEqual([400, 'MALFORMED_BATCH']);
      }
      expect((await post('/api/v1/lead/stats/search', { customerRef: REF, groupBy: 'week' })).statusCode).toBe(400);
      expect((await post('/api/v1/lead/sample/search', { customerRef: REF })).statusCode).toBe(400);
      const q = await get(`/api/v1/lead/cases?customerRef=${REF}`);
      expect([q.statusCode, q.json().error.message]).toEqual([400, expect.stringMatching(/customerRef/)]);
      for (const url of ['/api/v1/lead/cases/search', '/api/v1/lead/stats/search', '/api/v1/lead/sample/search', '/api/v1/lead/cases/rows']) {
        expect((await post(url, { customerRef: REF, seed: 's', caseIds: [idOf(1)] }, tokens.A!)).statusCode, url).toBe(403);
        expect((await app.inject({ method: 'POST', url, payload: { customerRef: REF } })).statusCode, url).toBe(401);
      }
      expect((await get('/api/v1/lead/sample?seed=s', tokens.A!)).statusCode).toBe(403);
    });

    it('POST /api/v1/lead/cases/rows answers chosen cases in the order asked, leaves unknown ones out, and is bounded', async () => {
      const r = await post('/api/v1/lead/cases/rows', { caseIds: [idOf(4), `ls-${tag}-nope`, idOf(1), idOf(4)] });
      expect(r.statusCode, r.body).toBe(200);
      const rows = (r.json() as { rows: ConsoleCaseRow[] }).rows;
      expect(rows.map((x) => x.caseId)).toEqual([idOf(4), idOf(1), idOf(4)]);
      const listed = (await get(`/api/v1/lead/cases?workstationId=${wsName('B')}&limit=10`)).json() as { rows: ConsoleCaseRow[] };
      expect(rows[0]).toEqual(listed.rows.find((x) => x.caseId === idOf(4)));
      for (const body of [{ caseIds: [] }, { caseIds: ['bad id!'] }, { caseIds: Array.from({ length: 501 }, (_, i) => `ls-${tag}-x${i}`) }, { caseIds: [idOf(1)], more: true }, {}]) {
        const refused = await post('/api/v1/lead/cases/rows', body);
        expect([refused.statusCode, refused.json().error.code]).toEqual([400, 'MALFORMED_BATCH']);
      }
      expect((await post('/api/v1/lead/cases/rows', { caseIds: Array.from({ length: 500 }, (_, i) => `ls-${tag}-x${i}`) })).json()).toEqual({ rows: [] });
    });

    it('a case stored without a lookup (an older writer) is completed from its case.opened before a search finds it', async () => {
      const s: Spec = { n: 8, ws: 'A', agent: 'agent-a', openedAt: D1 + 40 * HOUR, ref: REF, advice: 'pass', decision: 'pass' };
      // storeBatch without the server's lookup, as a writer that does not know the column
      await storeBatch(db, wsName('A'), `ls-${tag}-direct`, { workstationId: 'ws-local', events: chain(s, idOf(8)) });
      expect((await db.query<{ p: boolean }>('SELECT ref_lookup_pending AS p FROM cases WHERE case_id = $1', [idOf(8)])).rows[0]!.p).toBe(true);
      expect(mine(await searchAll({ customerRef: REF }, 100))).toEqual([idOf(8), idOf(5), idOf(4), idOf(1)]);
      expect((await db.query<{ p: boolean }>('SELECT ref_lookup_pending AS p FROM cases WHERE case_id = $1', [idOf(8)])).rows[0]!.p).toBe(false);
    });

    it('migration 9 on an upgraded version-8 database gives stored cases the same lookups as ingest, completed at start', async () => {
      const old = await openPglite();
      try {
        await old.transaction(async (tx) => {
          await tx.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
          for (const m of SERVER_MIGRATIONS.filter((x) => x.version <= 8)) {
            for (const stmt of m.sql.split(/;\s*\n/).map((x) => x.trim()).filter(Boolean)) await tx.query(stmt);
            await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version]);
          }
        });
        // the rows as version 8 stored them: the columns the old tables have, less the generated one (disagreement)
        for (const table of ['cases', 'events']) {
          const { rows } = await db.query(`SELECT * FROM ${table} WHERE case_id LIKE $1`, [`ls-${tag}-%`]);
          const cols = (await old.query<{ c: string }>("SELECT column_name AS c FROM information_schema.columns WHERE table_name = $1 AND is_generated = 'NEVER'", [table])).rows.map((r) => r.c).join(', ');
          await old.query(`INSERT INTO ${table} (${cols}) SELECT ${cols} FROM json_populate_recordset(NULL::${table}, $1::json)`, [JSON.stringify(rows)]);
        }
        await migrateServer(old);
        const snapshot = async (d: ServerDb) => (await d.query('SELECT case_id, customer_ref_lookup, ref_lookup_pending FROM cases WHERE case_id LIKE $1 ORDER BY case_id', [`ls-${tag}-%`])).rows;
        const pending = await old.query<{ n: number }>('SELECT count(*)::int AS n FROM cases WHERE ref_lookup_pending');
        // every copied case with a reference string is marked: all but 3, which has none
        const copied = (await old.query<{ n: number }>('SELECT count(*)::int AS n FROM cases')).rows[0]!.n;
        expect(copied).toBeGreaterThanOrEqual(SPECS.length);
        expect(pending.rows[0]!.n).toBe(copied - 1);
        const upgraded = await buildServer({ db: old, logger: silentLogger, rateLimit: false, leadApi: { serverKeyHex } });
        await upgraded.ready();
        await upgraded.close();
        expect(await snapshot(old)).toEqual(await snapshot(db));
      } finally {
        await old.close();
      }
    });
  });
}

describe('the lookup key without VERIDESK_SERVER_KEY', () => {
  it('is a key file of its own, created 0600 on the first reference and the same after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vd-lookup-key-'));
    const db = await openPglite();
    try {
      await migrateServer(db);
      const keyFile = join(dir, 'data', 'lead-lookup.key');
      const ws = await createToken(db, 'ws-key');
      const lead = await createToken(db, 'lead-key', 'lead');
      const s: Spec = { n: 1, ws: 'A', agent: 'agent-a', openedAt: D1, ref: REF, advice: 'pass', decision: 'pass' };
      const first = await buildServer({ db, logger: silentLogger, rateLimit: false, leadApi: { serverKeyHex: '', lookupKeyFile: keyFile } });
      await first.ready();
      expect(() => statSync(keyFile)).toThrow(); // nothing to look up yet: no key file
      const r = await first.inject({ method: 'POST', url: '/api/v1/sync/batches', headers: { authorization: `Bearer ${ws}`, 'idempotency-key': 'lookup-key-1', 'content-type': 'application/json' }, payload: { workstationId: 'x', events: chain(s, 'key-case-1') } });
      expect(r.statusCode, r.body).toBe(200);
      await first.close();
      const hex = readFileSync(keyFile, 'utf8').trim();
      expect(hex).toMatch(/^[0-9a-f]{64}$/);
      if (process.platform !== 'win32') expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      const stored = (await db.query<{ l: string }>('SELECT customer_ref_lookup AS l FROM cases WHERE case_id = $1', ['key-case-1'])).rows[0]!.l;
      expect(stored).toBe(createHmac('sha256', deriveLookupKey(Buffer.from(hex, 'hex'))).update(REF).digest('hex'));
      const second = await buildServer({ db, logger: silentLogger, rateLimit: false, leadApi: { serverKeyHex: '', lookupKeyFile: keyFile } });
      const found = await second.inject({ method: 'POST', url: '/api/v1/lead/cases/search', headers: { authorization: `Bearer ${lead}` }, payload: { customerRef: REF } });
      expect((found.json() as { rows: ConsoleCaseRow[] }).rows.map((x) => x.caseId)).toEqual(['key-case-1']);
      await second.close();
      // another server key: another lookup, so the same reference finds nothing (the key is the lookup)
      const other = await buildServer({ db, logger: silentLogger, rateLimit: false, leadApi: { serverKeyHex: randomBytes(32).toString('hex') } });
      const none = await other.inject({ method: 'POST', url: '/api/v1/lead/cases/search', headers: { authorization: `Bearer ${lead}` }, payload: { customerRef: REF } });
      expect(none.json()).toEqual({ rows: [], nextCursor: null });
      await other.close();
      await expect(buildServer({ db, logger: silentLogger, leadApi: { serverKeyHex: 'abc' } })).rejects.toThrow(/VERIDESK_SERVER_KEY must be 64 hex/);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
