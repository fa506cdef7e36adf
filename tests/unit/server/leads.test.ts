/**
 * The lead API (server/leads, docs/lead-api.md) on PGlite and PostgreSQL. Cases are written through the real sync
 * endpoint as a workstation writes them (case.opened, verification events, check results, decision.made, a
 * case.closed summary with advice/decision/against, escalations; some split across batches), and every answer is
 * checked against what the test itself says the cases are — not against the server's own fold.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import { openPglite, type ServerDb } from '../../../server/db/database';
import { migrateServer, SERVER_MIGRATIONS } from '../../../server/db/migrations';
import { LEAD_BACKFILL } from '../../../server/leads/migration';
import { startPostgres } from '../../../server/testing/pg-harness';
import { failedKind } from '../../../src/shared/console';
import { sealEvent } from '../../../src/main/caselog/chain';
import { silentLogger } from '../../../src/main/log/logger';
import { GENESIS_HASH, type CaseEvent, type EventType, type ServiceType } from '../../../src/shared/cases';
import { FAILED_CHECK_KINDS, type ConsoleCaseRow, type ConsoleStatRow, type FailedCheckKind } from '../../../src/shared/console';
import { dbBackends } from './db-backends';

const pgStart = await startPostgres();
afterAll(async () => {
  if (pgStart.ok) await pgStart.cluster.stop();
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 10:00 in China (+08:00) on 2026-03-02: days below are the lead's days at the default tzOffsetMinutes 480. */
const D1 = Date.UTC(2026, 2, 2, 2, 0);
const D2 = D1 + DAY;
const D3 = D2 + DAY;
const H1 = 'a1'.repeat(32);
const H2 = 'b2'.repeat(32);

type Advice = 'pass' | 'review' | 'fail';
type Decision = 'pass' | 'fail';

/** One seeded case as the test knows it. */
interface Spec {
  n: number;
  ws: 'A' | 'B';
  agent: string;
  service: ServiceType;
  openedAt: number;
  advice: Advice | null;
  decision: Decision | null;
  /** A legacy close: only a verdict, no summary, no decision.made. */
  legacy?: boolean;
  reasonCode?: string;
  escalated?: 'before' | 'after';
  failed?: FailedCheckKind[];
  reverified?: 'challenges' | 'photo';
  refHash?: string;
  handleMs?: number;
  /** Send the events in two batches, the second starting at this index. */
  split?: number;
}

/** The desk's rule (src/main/desk/desk-service.ts againstAdvice). */
const against = (d: Decision, a: Advice) => (d === 'pass' ? a !== 'pass' : a === 'pass');

/** Check results that fail each kind, and noise that must not count (quality warns on a blink, a passed match). */
const FAILING: Record<FailedCheckKind, { type: EventType; payload: Record<string, unknown> }> = {
  quality: { type: 'check.result', payload: { type: 'check.changed', check: { id: 'quality', status: 'warn', reason: 'too_dark' } } },
  liveness: { type: 'verification.event', payload: { type: 'challenge.finished', challengeId: 'ch-1', status: 'failed', reason: 'timeout' } },
  mismatch: { type: 'check.result', payload: { check: 'face_match', status: 'fail', score: 0.2 } },
  presence: { type: 'check.result', payload: { type: 'check.changed', check: { id: 'presence', status: 'fail', reason: 'two_faces' } } },
  face_swap: { type: 'check.result', payload: { type: 'check.changed', check: { id: 'face_swap', status: 'fail', reason: 'swap_suspected' } } },
  id_consistency: { type: 'check.result', payload: { type: 'check.changed', check: { id: 'id_consistency', status: 'fail', reason: 'age_mismatch' } } },
  spoken_code: { type: 'verification.event', payload: { type: 'spoken_code.confirmed', ok: false } },
};
const NOISE = [
  { type: 'check.result' as EventType, payload: { type: 'check.changed', check: { id: 'quality', status: 'warn', reason: 'eyes_closed' } } },
  { type: 'check.result' as EventType, payload: { check: 'face_match', status: 'pass', score: 0.91 } },
];

function eventsOf(s: Spec, caseId: string): CaseEvent[] {
  const raw: { type: EventType; at: number; payload: Record<string, unknown> }[] = [];
  let at = s.openedAt;
  const add = (type: EventType, payload: Record<string, unknown>, when = (at += 1)) => raw.push({ type, at: when, payload });
  add('case.opened', { workstationId: `ws-${s.ws}`, agentId: s.agent, serviceType: s.service, customerRef: null, ...(s.refHash ? { customerRefHash: s.refHash } : {}), idNumberMasked: '110***********0012', idNumberHash: 'ab'.repeat(32) }, s.openedAt);
  if (s.advice) add('verification.event', { type: 'advice.changed', advice: s.advice, previous: 'review', reasons: [] });
  if (s.reverified === 'photo') add('verification.event', { type: 'id_photo.set', source: 'file', faces: 1 });
  if (s.reverified === 'challenges') {
    add('verification.event', { type: 'challenge.started', challengeId: 'ch-1', actions: ['blink'], stepTimeoutMs: 5000, attempt: 1 });
    add('verification.event', { type: 'challenge.started', challengeId: 'ch-2', actions: ['nod'], stepTimeoutMs: 5000, attempt: 2 });
  }
  for (const e of NOISE) add(e.type, e.payload);
  for (const k of s.failed ?? []) add(FAILING[k].type, FAILING[k].payload);
  if (s.escalated === 'before') add('case.escalated', { advice: s.advice ?? 'review' });
  if (s.decision && s.legacy) {
    add('case.closed', { verdict: s.decision === 'pass' ? 'verified' : 'rejected', reasonCode: null }, s.openedAt + s.handleMs!);
  } else if (s.decision) {
    const a = against(s.decision, s.advice!);
    const decidedAt = s.openedAt + s.handleMs!;
    add('decision.made', { decision: s.decision, advice: s.advice, against: a, reasonCode: s.reasonCode ?? null, checklist: [] }, decidedAt);
    add(
      'case.closed',
      { verdict: s.decision === 'pass' ? 'verified' : 'rejected', reasonCode: s.reasonCode ?? null, summary: { advice: s.advice, decision: s.decision, against: a, checks: [{ id: 'face_match', status: 'pass', reason: 'match_band' }] } },
      decidedAt + 500,
    );
  }
  if (s.escalated === 'after') add('case.escalated', { advice: s.advice ?? 'review', note: 'after the call' });
  const out: CaseEvent[] = [];
  let prev = GENESIS_HASH;
  raw.forEach((r, i) => {
    const e = sealEvent({ caseId, seq: i + 1, type: r.type, at: r.at, actor: s.agent, payload: r.payload, prevHash: prev });
    out.push(e);
    prev = e.hash;
  });
  return out;
}

/** The seeded cases (hand-counted statistics below rest on exactly these). */
const specs = (self: string): Spec[] => [
  { n: 1, ws: 'A', agent: 'agent-a', service: 'transact', openedAt: D1, advice: 'pass', decision: 'pass', refHash: H1, handleMs: 60_000 },
  { n: 2, ws: 'A', agent: 'agent-a', service: 'transact', openedAt: D1 + HOUR, advice: 'review', decision: 'pass', reasonCode: 'poor_lighting_or_camera', failed: ['quality'], handleMs: 120_000 },
  { n: 3, ws: 'A', agent: 'agent-b', service: 'consult', openedAt: D1 + 2 * HOUR, advice: 'fail', decision: 'fail', escalated: 'before', failed: ['mismatch', 'liveness'], reverified: 'challenges', refHash: H1, handleMs: 90_000 },
  { n: 4, ws: 'B', agent: 'agent-b', service: 'operate', openedAt: D1 + 2 * HOUR, advice: 'pass', decision: 'fail', reasonCode: 'suspected_impostor', reverified: 'photo', handleMs: 30_000, split: 2 },
  { n: 5, ws: 'B', agent: 'agent-a', service: 'query', openedAt: D2, advice: 'review', decision: null, escalated: 'before', failed: ['presence'], refHash: H2 },
  { n: 6, ws: 'B', agent: self, service: 'transact', openedAt: D2 + HOUR, advice: 'pass', decision: 'pass', failed: ['spoken_code'], handleMs: 45_000 },
  { n: 7, ws: 'A', agent: 'agent-b', service: 'transact', openedAt: D2 + 3 * HOUR, advice: 'fail', decision: 'pass', reasonCode: 'verified_other_means', failed: ['face_swap', 'id_consistency'], reverified: 'challenges', handleMs: 300_000, split: 3 },
  { n: 8, ws: 'A', agent: 'agent-a', service: 'consult', openedAt: D3, advice: null, decision: 'pass', legacy: true, handleMs: 40_000 },
  { n: 9, ws: 'B', agent: 'agent-b', service: 'transact', openedAt: D3 + HOUR, advice: 'pass', decision: 'pass', escalated: 'after', handleMs: 50_000, split: -1 },
  { n: 10, ws: 'A', agent: 'agent-a', service: 'operate', openedAt: D3 + 2 * HOUR, advice: 'review', decision: 'fail', refHash: H2, handleMs: 75_000 },
];

for (const backend of dbBackends(pgStart)) {
  describe.skipIf(backend.skip !== null)(`lead API on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let db: ServerDb;
    let app: FastifyInstance;
    const tag = Math.random().toString(36).slice(2, 8);
    const self = `lead-self-${tag}`;
    const tokens: Record<string, string> = {};
    const idOf = (n: number) => `lc-${tag}-${String(n).padStart(2, '0')}`;
    const all = specs(self);
    let keyN = 0;

    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    const post = async (events: CaseEvent[], token: string) => {
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/sync/batches',
        headers: { ...bearer(token), 'idempotency-key': `lead-${tag}-${++keyN}`, 'content-type': 'application/json' },
        payload: { workstationId: 'ws-local', events },
      });
      expect(r.statusCode, r.body).toBe(200);
    };
    const get = (url: string, token = tokens.lead!) => app.inject({ method: 'GET', url, headers: bearer(token) });
    /** Every page of a list query, `limit` rows at a time. */
    const listAll = async (query: Record<string, string>, limit = 3): Promise<ConsoleCaseRow[]> => {
      const out: ConsoleCaseRow[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 100; page++) {
        const qs = new URLSearchParams({ ...query, limit: String(limit), ...(cursor ? { cursor } : {}) });
        const r = await get(`/api/v1/lead/cases?${qs.toString()}`);
        expect(r.statusCode, r.body).toBe(200);
        const body = r.json() as { rows: ConsoleCaseRow[]; nextCursor: string | null };
        expect(body.rows.length).toBeLessThanOrEqual(limit);
        out.push(...body.rows);
        cursor = body.nextCursor;
        if (!cursor) return out;
      }
      throw new Error('pagination did not end');
    };
    const order = (a: { openedAt: number; id: string }, b: { openedAt: number; id: string }) => b.openedAt - a.openedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const expectIds = (pred: (s: Spec) => boolean) =>
      all
        .filter(pred)
        .map((s) => ({ openedAt: s.openedAt, id: idOf(s.n) }))
        .sort(order)
        .map((x) => x.id);

    beforeAll(async () => {
      db = await backend.open();
      await migrateServer(db);
      app = await buildServer({ db, logger: silentLogger, rateLimit: false });
      tokens.A = await createToken(db, `ws-a-${tag}`);
      tokens.B = await createToken(db, `ws-b-${tag}`);
      tokens.C = await createToken(db, `ws-c-${tag}`);
      tokens.channel = await createToken(db, `channel-${tag}`, 'channel');
      tokens.lead = await createToken(db, `lead-${tag}`, 'lead');
      tokens.self = await createToken(db, self, 'lead');
      // one batch per workstation for the cases sent whole, then the second halves of the split ones
      const later: [CaseEvent[], string][] = [];
      for (const ws of ['A', 'B'] as const) {
        const first: CaseEvent[] = [];
        for (const s of all.filter((x) => x.ws === ws)) {
          const events = eventsOf(s, idOf(s.n));
          const at = s.split === undefined ? events.length : s.split < 0 ? events.length + s.split : s.split;
          first.push(...events.slice(0, at));
          if (at < events.length) later.push([events.slice(at), tokens[ws]!]);
        }
        await post(first, tokens[ws]!);
      }
      for (const [events, token] of later) await post(events, token);
      // reviews: one confirmed; one overturned then confirmed (the latest counts)
      for (const [n, outcome] of [
        [1, 'confirmed'],
        [4, 'overturned'],
        [4, 'confirmed'],
        [10, 'overturned'],
      ] as const) {
        const r = await app.inject({ method: 'POST', url: `/api/v1/cases/${idOf(n)}/reviews`, headers: bearer(tokens.lead!), payload: { outcome } });
        expect(r.statusCode, r.body).toBe(201);
      }
    });
    afterAll(async () => {
      await app?.close();
      await db?.close();
    });

    const reviewOf = (n: number) => (n === 1 || n === 4 ? 'confirmed' : n === 10 ? 'overturned' : null);

    it('lists every case with the facts the workstation wrote, newest first', async () => {
      const rows = await listAll({}, 500);
      expect(rows.map((r) => r.caseId)).toEqual(expectIds(() => true));
      for (const s of all) {
        const row = rows.find((r) => r.caseId === idOf(s.n))!;
        expect(row, `case ${s.n}`).toEqual({
          caseId: idOf(s.n),
          source: 'backend',
          workstationId: `ws-${s.ws.toLowerCase()}-${tag}`,
          agentId: s.agent,
          serviceType: s.service,
          openedAt: s.openedAt,
          decidedAt: s.decision ? s.openedAt + s.handleMs! : null,
          closedAt: s.decision ? s.openedAt + s.handleMs! + (s.legacy ? 0 : 500) : null,
          advice: s.advice,
          decision: s.decision,
          verdict: s.decision === 'pass' ? 'verified' : s.decision === 'fail' ? 'rejected' : null,
          disagreement: s.decision !== null && s.advice !== null && against(s.decision, s.advice),
          reasonCode: s.reasonCode ?? null,
          escalated: s.escalated !== undefined,
          reverified: s.reverified !== undefined,
          reviewOutcome: reviewOf(s.n),
          failedChecks: [...(s.failed ?? [])].sort(),
        });
      }
    });

    const filters: [string, Record<string, string>, (s: Spec) => boolean][] = [
      ['case id prefix', { caseId: `lc-${tag}-0` }, (s) => s.n < 10],
      ['case id with LIKE characters taken literally', { caseId: `lc_${tag}` }, () => false],
      ['workstation', { workstationId: `ws-a-${tag}` }, (s) => s.ws === 'A'],
      ['agent', { agentId: 'agent-b' }, (s) => s.agent === 'agent-b'],
      ['customer reference hash', { customerRefHash: H1 }, (s) => s.refHash === H1],
      ['date range', { from: String(D2), to: String(D3) }, (s) => s.openedAt >= D2 && s.openedAt < D3],
      ['service type', { serviceType: 'transact' }, (s) => s.service === 'transact'],
      ['engine advice', { advice: 'review' }, (s) => s.advice === 'review'],
      ['decision pass', { decision: 'pass' }, (s) => s.decision === 'pass'],
      ['decision fail', { decision: 'fail' }, (s) => s.decision === 'fail'],
      ['no decision', { decision: 'none' }, (s) => s.decision === null],
      ['disagreement', { disagreement: 'true' }, (s) => s.decision !== null && s.advice !== null && against(s.decision, s.advice)],
      ['agreement', { disagreement: 'false' }, (s) => !(s.decision !== null && s.advice !== null && against(s.decision, s.advice))],
      ['escalated', { escalated: '1' }, (s) => s.escalated !== undefined],
      ['not escalated', { escalated: '0' }, (s) => s.escalated === undefined],
      ['unreviewed', { review: 'unreviewed' }, (s) => reviewOf(s.n) === null],
      ['reviewed', { review: 'reviewed' }, (s) => reviewOf(s.n) !== null],
      ['review outcome (the latest)', { review: 'confirmed' }, (s) => reviewOf(s.n) === 'confirmed'],
      ['failed check', { failedCheck: 'liveness' }, (s) => (s.failed ?? []).includes('liveness')],
      ['re-verified', { reverified: 'true' }, (s) => s.reverified !== undefined],
      ['combined', { agentId: 'agent-b', disagreement: 'true', from: String(D1), to: String(D3) }, (s) => s.agent === 'agent-b' && s.decision !== null && s.advice !== null && against(s.decision, s.advice) && s.openedAt >= D1 && s.openedAt < D3],
    ];
    for (const [name, query, pred] of filters) {
      it(`filter: ${name} returns exactly the matching cases, page by page`, async () => {
        const expected = expectIds(pred);
        expect((await listAll(query, 3)).map((r) => r.caseId)).toEqual(expected);
        if (name !== 'case id with LIKE characters taken literally') expect(expected.length).toBeGreaterThan(0);
      });
    }

    it('refuses malformed queries with 400', async () => {
      for (const qs of ['limit=0', 'limit=501', 'limit=ten', 'color=red', 'cursor=not*base64', `cursor=${Buffer.from('[1,"x y"]').toString('base64url')}`, `from=${D2}&to=${D1}`, 'decision=maybe', 'customerRefHash=CUSTOMER-1', 'agentId=a&agentId=b']) {
        const r = await get(`/api/v1/lead/cases?${qs}`);
        expect([r.statusCode, r.json().error.code], qs).toEqual([400, 'MALFORMED_BATCH']);
      }
      for (const qs of ['groupBy=week', 'tzOffsetMinutes=900', 'format=xml']) expect((await get(`/api/v1/lead/stats?${qs}`)).statusCode, qs).toBe(400);
    });

    it('keyset pagination returns every case once, stable under inserts between pages', async () => {
      const ws = `ws-c-${tag}`;
      const base = D1 - 30 * DAY;
      const mk = (i: number, openedAt: number, prefix = 'kp') => {
        const s: Spec = { n: 0, ws: 'A', agent: 'agent-k', service: 'consult', openedAt, advice: 'pass', decision: 'pass', handleMs: 1000 };
        return eventsOf(s, `${prefix}-${tag}-${String(i).padStart(3, '0')}`);
      };
      // 25 cases, ties on opening time in threes
      const original: string[] = [];
      const batch: CaseEvent[] = [];
      for (let i = 0; i < 25; i++) {
        const events = mk(i, base + Math.floor(i / 3) * HOUR);
        original.push(events[0]!.caseId);
        batch.push(...events);
      }
      await post(batch, tokens.C!);
      const seen: ConsoleCaseRow[] = [];
      let cursor: string | null = null;
      let page = 0;
      do {
        const qs = new URLSearchParams({ workstationId: ws, limit: '4', ...(cursor ? { cursor } : {}) });
        const body = (await get(`/api/v1/lead/cases?${qs.toString()}`)).json() as { rows: ConsoleCaseRow[]; nextCursor: string | null };
        seen.push(...body.rows);
        cursor = body.nextCursor;
        page++;
        if (page === 1 || page === 3) {
          // newer than everything, older than everything, and ties with the cursor's own time on both sides of its id
          const last = body.rows[body.rows.length - 1]!;
          await post([...mk(100 + page, base + 100 * DAY, 'kq'), ...mk(200 + page, base - DAY, 'kq'), ...mk(300 + page, last.openedAt, 'ka'), ...mk(400 + page, last.openedAt, 'kz')], tokens.C!);
        }
      } while (cursor);
      const ids = seen.map((r) => r.caseId);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of original) expect(ids.filter((x) => x === id), id).toHaveLength(1);
      const sorted = [...seen].sort((a, b) => order({ openedAt: a.openedAt, id: a.caseId }, { openedAt: b.openedAt, id: b.caseId }));
      expect(ids).toEqual(sorted.map((r) => r.caseId));
      // rows behind the cursor when they arrived appear (older, or a tie with a greater id); those ahead do not
      expect(ids).toContain(`kq-${tag}-201`);
      expect(ids).toContain(`kz-${tag}-401`);
      expect(ids).not.toContain(`kq-${tag}-101`);
      expect(ids).not.toContain(`ka-${tag}-301`);
    });

    const zeroFailed = Object.fromEntries(FAILED_CHECK_KINDS.map((k) => [k, 0])) as Record<FailedCheckKind, number>;
    const stat = (key: string, v: Omit<ConsoleStatRow, 'key' | 'passRate' | 'disagreementRate' | 'reverificationRate' | 'failedChecks'> & { failed?: Partial<Record<FailedCheckKind, number>> }): ConsoleStatRow => {
      const { failed, ...rest } = v;
      return {
        key,
        ...rest,
        passRate: v.decided ? v.passed / v.decided : null,
        disagreementRate: v.compared ? v.disagreements / v.compared : null,
        reverificationRate: v.cases ? v.reverified / v.cases : null,
        failedChecks: { ...zeroFailed, ...failed },
      };
    };
    // counted by hand from specs() (the kp/kq cases lie before D1)
    const day1 = stat('2026-03-02', { cases: 4, decided: 4, passed: 2, compared: 4, disagreements: 2, escalations: 1, reverified: 2, avgHandleMs: 75_000, overrides: { poor_lighting_or_camera: 1, suspected_impostor: 1 }, failed: { quality: 1, mismatch: 1, liveness: 1 } });
    const day2 = stat('2026-03-03', { cases: 3, decided: 2, passed: 2, compared: 2, disagreements: 1, escalations: 1, reverified: 1, avgHandleMs: 172_500, overrides: { verified_other_means: 1 }, failed: { presence: 1, spoken_code: 1, face_swap: 1, id_consistency: 1 } });
    const day3 = stat('2026-03-04', { cases: 3, decided: 3, passed: 2, compared: 2, disagreements: 0, escalations: 1, reverified: 0, avgHandleMs: 55_000, overrides: {} });
    const total = stat('total', { cases: 10, decided: 9, passed: 6, compared: 8, disagreements: 3, escalations: 3, reverified: 3, avgHandleMs: 90_000, overrides: { poor_lighting_or_camera: 1, suspected_impostor: 1, verified_other_means: 1 }, failed: Object.fromEntries(FAILED_CHECK_KINDS.map((k) => [k, 1])) });
    const range = `from=${D1 - 2 * HOUR}&to=${D3 + DAY}`;

    it('statistics per day match a hand count', async () => {
      const r = await get(`/api/v1/lead/stats?${range}&groupBy=day`);
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json()).toMatchObject({ groupBy: 'day', tzOffsetMinutes: 480, total, rows: [day1, day2, day3] });
      // in a zone 3 h west of UTC, D1 (02:00 UTC) is still the evening before and D1 + 1 h is the next midnight
      const west = (await get(`/api/v1/lead/stats?${range}&groupBy=day&tzOffsetMinutes=-180`)).json() as { rows: ConsoleStatRow[] };
      expect(west.rows.map((x) => [x.key, x.cases])).toEqual([
        ['2026-03-01', 1],
        ['2026-03-02', 4],
        ['2026-03-03', 3],
        ['2026-03-04', 2],
      ]);
    });

    it('statistics per agent match a hand count, and honour the filters', async () => {
      const body = (await get(`/api/v1/lead/stats?${range}&groupBy=agent`)).json() as { total: ConsoleStatRow; rows: ConsoleStatRow[] };
      expect(body.total).toEqual(total);
      expect(body.rows).toEqual([
        stat('agent-a', { cases: 5, decided: 4, passed: 3, compared: 3, disagreements: 1, escalations: 1, reverified: 0, avgHandleMs: 73_750, overrides: { poor_lighting_or_camera: 1 }, failed: { quality: 1, presence: 1 } }),
        stat('agent-b', { cases: 4, decided: 4, passed: 2, compared: 4, disagreements: 2, escalations: 2, reverified: 3, avgHandleMs: 117_500, overrides: { suspected_impostor: 1, verified_other_means: 1 }, failed: { mismatch: 1, liveness: 1, face_swap: 1, id_consistency: 1 } }),
        stat(self, { cases: 1, decided: 1, passed: 1, compared: 1, disagreements: 0, escalations: 0, reverified: 0, avgHandleMs: 45_000, overrides: {}, failed: { spoken_code: 1 } }),
      ]);
      const filtered = (await get(`/api/v1/lead/stats?${range}&groupBy=agent&workstationId=ws-b-${tag}&escalated=true`)).json() as { total: ConsoleStatRow; rows: ConsoleStatRow[] };
      expect(filtered.rows.map((x) => [x.key, x.cases])).toEqual([
        ['agent-a', 1],
        ['agent-b', 1],
      ]);
      const none = (await get(`/api/v1/lead/stats?from=1&to=2`)).json() as { total: ConsoleStatRow; rows: ConsoleStatRow[] };
      expect(none).toMatchObject({ rows: [], total: stat('total', { cases: 0, decided: 0, passed: 0, compared: 0, disagreements: 0, escalations: 0, reverified: 0, avgHandleMs: null, overrides: {} }) });
    });

    it('CSV gives the same numbers as JSON', async () => {
      for (const groupBy of ['day', 'agent']) {
        const json = (await get(`/api/v1/lead/stats?${range}&groupBy=${groupBy}`)).json() as { total: ConsoleStatRow; rows: ConsoleStatRow[] };
        const r = await get(`/api/v1/lead/stats?${range}&groupBy=${groupBy}&format=csv`);
        expect(r.statusCode).toBe(200);
        expect(r.headers['content-type']).toMatch(/^text\/csv/);
        expect(r.body.startsWith('\uFEFF')).toBe(true);
        const [header, ...lines] = r.body.slice(1).trimEnd().split('\r\n').map((l) => l.split(','));
        const col = (name: string) => header!.indexOf(name);
        expect(lines).toHaveLength(json.rows.length + 1);
        const expected = [...json.rows.map((row) => [groupBy, row] as const), ['total', json.total] as const];
        expected.forEach(([dimension, row], i) => {
          const line = lines[i]!;
          expect([line[0], line[1]]).toEqual([dimension, row.key]);
          const numberAt = (name: string) => (line[col(name)] === '' ? null : Number(line[col(name)]));
          for (const [name, value] of [
            ['cases', row.cases],
            ['decided', row.decided],
            ['passed', row.passed],
            ['pass_rate', row.passRate],
            ['compared', row.compared],
            ['disagreements', row.disagreements],
            ['disagreement_rate', row.disagreementRate],
            ['escalations', row.escalations],
            ['reverified', row.reverified],
            ['reverification_rate', row.reverificationRate],
            ['avg_handle_ms', row.avgHandleMs],
            ...FAILED_CHECK_KINDS.map((k) => [`failed_${k}`, row.failedChecks[k]] as const),
          ] as const) {
            expect(col(name), name).toBeGreaterThan(1);
            expect(numberAt(name), `${row.key} ${name}`).toBe(value);
          }
          for (const reason of ['poor_lighting_or_camera', 'suspected_impostor', 'verified_other_means', 'engine_error']) expect(numberAt(`override_${reason}`)).toBe(row.overrides[reason] ?? 0);
          expect(numberAt('override (none)')).toBe(row.overrides[''] ?? 0);
        });
      }
    });

    it('answers one case with its summary, events (re-verified) and reviews; the older endpoint still answers', async () => {
      const r = await get(`/api/v1/lead/cases/${idOf(4)}`);
      expect(r.statusCode, r.body).toBe(200);
      const body = r.json();
      expect(body).toMatchObject({ caseId: idOf(4), chainValid: true, chainBreak: null, summary: { caseId: idOf(4), advice: 'pass', decision: 'fail', disagreement: true, reviewOutcome: 'confirmed', idNumberMasked: '110***********0012' } });
      expect(body.events.map((e: CaseEvent) => e.seq)).toEqual(eventsOf(all[3]!, idOf(4)).map((e) => e.seq));
      expect(body.reviews.map((x: { outcome: string }) => x.outcome)).toEqual(['overturned', 'confirmed']);
      const legacy = await get(`/api/v1/cases/${idOf(4)}`);
      expect(legacy.json()).toMatchObject({ caseId: idOf(4), chainValid: true });
      expect(legacy.json().events).toHaveLength(body.events.length);
      expect((await get(`/api/v1/lead/cases/no-such-case-${tag}`)).statusCode).toBe(404);
      expect((await get('/api/v1/lead/cases/bad%20id')).statusCode).toBe(400);
    });

    it('refuses workstation and channel tokens (403) and no token (401) on every lead endpoint', async () => {
      const urls = ['/api/v1/lead/cases', `/api/v1/lead/cases?agentId=agent-a`, `/api/v1/lead/cases/${idOf(1)}`, '/api/v1/lead/stats', '/api/v1/lead/stats?groupBy=agent&format=csv'];
      for (const url of urls) {
        for (const token of [tokens.A!, tokens.channel!]) {
          const r = await get(url, token);
          expect([r.statusCode, r.json().error.code], url).toEqual([403, 'FORBIDDEN']);
        }
        const anonymous = await app.inject({ method: 'GET', url });
        expect([anonymous.statusCode, anonymous.json().error.code]).toEqual([401, 'UNAUTHENTICATED']);
      }
    });

    it("refuses a lead's review of their own case, and records nothing", async () => {
      const url = `/api/v1/cases/${idOf(6)}/reviews`;
      const r = await app.inject({ method: 'POST', url, headers: bearer(tokens.self!), payload: { outcome: 'confirmed' } });
      expect([r.statusCode, r.json().error.code]).toEqual([403, 'FORBIDDEN']);
      expect(r.json().error.message).toContain('不能复核自己的案件 / cannot review your own case');
      expect((await get(`/api/v1/lead/cases/${idOf(6)}`)).json()).toMatchObject({ reviews: [], summary: { reviewOutcome: null } });
      // the same lead reviews someone else's case
      expect((await app.inject({ method: 'POST', url: `/api/v1/cases/${idOf(2)}/reviews`, headers: bearer(tokens.self!), payload: { outcome: 'needs_followup' } })).statusCode).toBe(201);
      expect((await listAll({ review: 'needs_followup' })).map((x) => x.caseId)).toEqual([idOf(2)]);
    });

    it('migration 6 backfill computes the same columns as ingest', async () => {
      const columns = 'case_id, customer_ref_hash, advice, decision, against_advice, reason_code, escalated, decided_at, challenges, id_photos, reverified, failed_checks, review_outcome, reviewed_at, disagreement';
      const snapshot = async () => (await db.query(`SELECT ${columns} FROM cases ORDER BY case_id`)).rows;
      const before = await snapshot();
      await db.query(`UPDATE cases SET customer_ref_hash = NULL, advice = NULL, decision = NULL, against_advice = NULL, reason_code = NULL, escalated = false, decided_at = NULL,
        challenges = 0, id_photos = 0, reverified = false, failed_checks = '{}', review_outcome = NULL, reviewed_at = NULL`);
      expect(await snapshot()).not.toEqual(before);
      await db.transaction(async (tx) => {
        for (const stmt of LEAD_BACKFILL.split(/;\s*\n/).map((s) => s.trim()).filter(Boolean)) await tx.query(stmt);
      });
      expect(await snapshot()).toEqual(before);
    });

    it('upgrading a version-5 database gives its stored cases the same summary as ingest', async () => {
      const old = await openPglite();
      try {
        await old.transaction(async (tx) => {
          await tx.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
          for (const m of SERVER_MIGRATIONS.filter((x) => x.version <= 5)) {
            for (const stmt of m.sql.split(/;\s*\n/).map((x) => x.trim()).filter(Boolean)) await tx.query(stmt);
            await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version]);
          }
        });
        // the rows as version 5 stored them: json_populate_recordset keeps the columns the old tables have
        for (const table of ['cases', 'events', 'reviews']) {
          const { rows } = await db.query(`SELECT * FROM ${table}`);
          await old.query(`INSERT INTO ${table} SELECT * FROM json_populate_recordset(NULL::${table}, $1::json)`, [JSON.stringify(rows)]);
        }
        expect((await old.query<{ n: number }>('SELECT count(*)::int AS n FROM cases')).rows[0]!.n).toBeGreaterThan(30);
        await migrateServer(old);
        const columns = 'case_id, customer_ref_hash, advice, decision, against_advice, reason_code, escalated, decided_at, challenges, id_photos, reverified, failed_checks, review_outcome, reviewed_at, disagreement';
        const snapshot = async (d: ServerDb) => (await d.query(`SELECT ${columns} FROM cases ORDER BY case_id`)).rows;
        expect(await snapshot(old)).toEqual(await snapshot(db));
      } finally {
        await old.close();
      }
    });

    it('rate-limits statistics per token more strictly than the rest', async () => {
      const limited = await buildServer({ db, logger: silentLogger, leadApi: { statsPerTokenPerMinute: 2 } });
      try {
        const ask = (url: string, token: string) => limited.inject({ method: 'GET', url, headers: bearer(token) });
        expect((await ask('/api/v1/lead/stats', tokens.lead!)).statusCode).toBe(200);
        expect((await ask('/api/v1/lead/stats?format=csv', tokens.lead!)).statusCode).toBe(200);
        const refused = await ask('/api/v1/lead/stats', tokens.lead!);
        expect([refused.statusCode, refused.json().error.code]).toEqual([429, 'RATE_LIMITED']);
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
        // the list is not under this budget, and another lead has a budget of their own
        expect((await ask('/api/v1/lead/cases?limit=1', tokens.lead!)).statusCode).toBe(200);
        expect((await ask('/api/v1/lead/stats', tokens.self!)).statusCode).toBe(200);
        // refused tokens do not spend it
        for (let i = 0; i < 3; i++) expect((await ask('/api/v1/lead/stats', tokens.A!)).statusCode).toBe(403);
      } finally {
        await limited.close();
      }
    });
  });
}

describe('failed-check kinds', () => {
  // one rule (src/shared/console.ts) for the workstation's facts and the server's columns
  it('count a failure of each check as its kind, and a quality warning only for lighting and picture problems', () => {
    expect(failedKind('face_match', 'fail', 'mismatch_band')).toBe('mismatch');
    expect(failedKind('face_match', 'warn', 'review_band')).toBeNull();
    expect(failedKind('passive_liveness', 'fail', undefined)).toBe('liveness');
    expect(failedKind('active_liveness', 'fail', undefined)).toBe('liveness');
    expect(failedKind('quality', 'warn', 'too_dark')).toBe('quality');
    expect(failedKind('quality', 'fail', 'blurred')).toBe('quality');
    expect(failedKind('quality', 'warn', 'eyes_closed')).toBeNull();
    expect(failedKind('quality', 'pass', 'too_dark')).toBeNull();
    expect(failedKind('spoken_code', 'fail', undefined)).toBe('spoken_code');
    expect(failedKind('unknown', 'fail', undefined)).toBeNull();
    expect(failedKind(42, 'fail', undefined)).toBeNull();
    // a name Object.prototype has is not a check (a plain-object lookup would answer a function)
    expect(failedKind('constructor', 'fail', undefined)).toBeNull();
  });
});
