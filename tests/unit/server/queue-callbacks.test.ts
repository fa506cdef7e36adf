/**
 * Call-back appointments (server/queue/callback*.ts, docs/queue.md "Call-backs") on PGlite and PostgreSQL,
 * through the real routes (buildServer + inject) with an injected clock. Waiting requests are seeded in SQL so
 * these tests do not depend on the hand-over route; the sweep is called directly (the timer is off) except
 * in the test of the timer itself.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/main/log/logger';
import { ChannelCallbackResponseSchema, QUEUE_LIMITS, type CustomerQueueStatus } from '../../../src/shared/queue';
import { buildServer } from '../../../server/app';
import { createToken, hashToken } from '../../../server/auth/tokens';
import type { ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import { parseCapacity, resolveCallbackConfig } from '../../../server/queue/callback-config';
import { checkCalendar, DEFAULT_CALENDAR, parseOpeningHours, parseTzOffset, slotProblem, upcomingSlots } from '../../../server/queue/callback-slots';
import { sweepCallbacks } from '../../../server/queue/callback-sweep';
import { callbackWindow } from '../../../server/queue/callbacks';
import { startPostgres } from '../../../server/testing/pg-harness';
import { dbBackends } from './db-backends';

const pgStart = await startPostgres();
afterAll(async () => {
  if (pgStart.ok) await pgStart.cluster.stop();
});

const MIN = 60_000;
const SLOT = QUEUE_LIMITS.slotMs;
/** 2026-03-02 10:03 in Beijing (UTC+8) = 02:03 UTC: the centre is open, the next slot starts at 10:15. */
const T0 = Date.UTC(2026, 2, 2, 2, 3, 0);
const FIRST_SLOT = Date.UTC(2026, 2, 2, 2, 15, 0);

describe('call-back slot calendar (pure)', () => {
  const c = DEFAULT_CALENDAR;
  it('takes 09:00-18:00 at UTC+8 by default and lists the rest of today from the next slot on', () => {
    const today = upcomingSlots(c, T0, 1);
    expect(today[0]).toBe(FIRST_SLOT);
    // 10:15 … 17:45 local: 31 slots of 15 min.
    expect(today).toHaveLength(31);
    expect(today[today.length - 1]).toBe(Date.UTC(2026, 2, 2, 9, 45, 0));
    const two = upcomingSlots(c, T0, 2);
    expect(two[31]).toBe(Date.UTC(2026, 2, 3, 1, 0, 0)); // tomorrow 09:00 local
    expect(two).toHaveLength(31 + 36);
  });

  it('names why a slot start cannot be booked', () => {
    expect(slotProblem(c, FIRST_SLOT, T0)).toBeNull();
    expect(slotProblem(c, FIRST_SLOT + 5 * MIN, T0)).toBe('misaligned');
    expect(slotProblem(c, FIRST_SLOT - SLOT, T0)).toBe('past'); // 10:00, begun 3 minutes ago
    expect(slotProblem(c, Date.UTC(2026, 2, 3, 0, 45, 0), T0)).toBe('outside_hours'); // 08:45 tomorrow
    expect(slotProblem(c, Date.UTC(2026, 2, 2, 10, 0, 0), T0)).toBe('outside_hours'); // 18:00 today
    expect(slotProblem(c, FIRST_SLOT + 14 * 86_400_000, T0)).toBe('too_far');
    expect(slotProblem(c, FIRST_SLOT + 13 * 86_400_000, T0)).toBeNull();
    expect(slotProblem(c, 1.5, T0)).toBe('not_integer');
  });

  it('parses the settings and refuses impossible ones', () => {
    expect(parseOpeningHours('08:30-20:00')).toEqual({ openMinute: 510, closeMinute: 1200 });
    expect(parseTzOffset('+08:00')).toBe(480);
    expect(parseTzOffset('-05:30')).toBe(-330);
    expect(() => parseOpeningHours('9-18')).toThrow(/HH:MM/);
    expect(() => checkCalendar({ ...c, openMinute: 9 * 60 + 10 })).toThrow(/slot grid/);
    expect(() => checkCalendar({ ...c, openMinute: 18 * 60, closeMinute: 9 * 60 })).toThrow(/opening before the closing/);
    expect(parseCapacity('transact=3,consult=0')).toEqual({ consult: 0, query: 2, operate: 2, transact: 3 });
    expect(() => parseCapacity('teller=3')).toThrow(/types/);
    expect(resolveCallbackConfig({}, { VERIDESK_CALLBACK_HOURS: '10:00-12:00', VERIDESK_CALLBACK_TZ_OFFSET: '+00:00', VERIDESK_CALLBACK_CAPACITY: '5' })).toMatchObject({
      calendar: { openMinute: 600, closeMinute: 720, tzOffsetMinutes: 0 },
      capacity: { transact: 5, consult: 5 },
    });
  });
});

for (const backend of dbBackends(pgStart)) {
  describe.skipIf(backend.skip !== null)(`call-backs on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let db: ServerDb;
    let app: FastifyInstance;
    const clock = T0;
    let channel: string;
    let channelName: string;
    let workstation: string;
    let slotIndex = 0;
    /** Every test books its own slots, so counts of one test never see another's bookings. */
    const freshSlot = () => FIRST_SLOT + SLOT * slotIndex++;

    beforeAll(async () => {
      db = await backend.open();
      await migrateServer(db);
      app = await buildServer({
        db,
        logger: silentLogger,
        rateLimit: false,
        now: () => clock,
        signaling: { publicUrl: 'https://vd.example.cn' },
        // The queue's own dispatcher would abandon the seeded requests (never polled): keep it out of the way.
        queue: { dispatchIntervalMs: 3_600_000 },
        callbacks: { sweepIntervalMs: 0 },
      });
      const tag = randomBytes(3).toString('hex');
      channelName = `app-${tag}`;
      channel = await createToken(db, channelName, 'channel');
      workstation = await createToken(db, `ws-${tag}`);
    });
    afterAll(async () => {
      await app?.close();
      await db?.close();
    });

    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    let n = 0;
    /** A request as the hand-over leaves it (state waiting, seen by its page), with a known secret. */
    async function seedRequest(o: { state?: string; serviceType?: string; offeredTo?: string; hasPhoto?: boolean } = {}) {
      const requestId = `req-${backend.name}-${++n}-${randomBytes(3).toString('hex')}`;
      const secret = randomBytes(32).toString('base64url');
      const context = JSON.stringify({ intent: '挂失银行卡', priorChecks: [{ kind: 'sms_otp', result: 'pass', at: T0 - 5 * MIN, source: 'app' }], scriptStep: 'identity' });
      await db.query(
        `INSERT INTO queue_requests (request_id, channel, channel_request_id, body_hash, origin, service_type, customer_ref, context, has_photo, secret_hash, priority, state,
                                     created_at, enqueued_at, customer_seen_at, offered_to, offer_expires_at)
         VALUES ($1, $2, $3, 'h', 'handover', $4, $5, $6, $7, $8, 0, $9, $10, $10, $10, $11, $12)`,
        [requestId, channelName, `c-${requestId}`, o.serviceType ?? 'transact', `CUST-${n}`, context, o.hasPhoto ?? false, hashToken(secret), o.state ?? 'waiting', clock - MIN, o.offeredTo ?? null, o.offeredTo ? clock + 10_000 : null],
      );
      if (o.offeredTo) {
        await db.query(
          `INSERT INTO queue_agents (workstation, agent_id, state, ready_since, offer_request_id, updated_at) VALUES ($1, 'agent-7', 'ready', $2, $3, $2)
           ON CONFLICT (workstation) DO UPDATE SET offer_request_id = EXCLUDED.offer_request_id, state = 'ready'`,
          [o.offeredTo, clock - MIN, requestId],
        );
      }
      return { requestId, secret };
    }
    const book = (requestId: string, secret: string, slotStart: unknown) =>
      app.inject({ method: 'POST', url: `/api/v1/queue/requests/${requestId}/callback`, headers: bearer(secret), payload: { slotStart } });
    const channelBook = (body: Record<string, unknown>, token = channel) => app.inject({ method: 'POST', url: '/api/v1/queue/callbacks', headers: bearer(token), payload: body });
    const slots = (query: string, token: string | null = channel) =>
      app.inject({ method: 'GET', url: `/api/v1/queue/callback-slots?${query}`, headers: token ? bearer(token) : {} });
    const callbacksOf = async (requestId: string) =>
      (await db.query<Record<string, unknown>>('SELECT * FROM queue_callbacks WHERE from_request_id = $1', [requestId])).rows;
    const requestRow = async (requestId: string) => (await db.query<Record<string, unknown>>('SELECT * FROM queue_requests WHERE request_id = $1', [requestId])).rows[0]!;
    const logKinds = async (requestId: string) => (await db.query<{ kind: string }>('SELECT kind FROM queue_log WHERE request_id = $1 ORDER BY log_id', [requestId])).rows.map((r) => r.kind);

    it('a waiting customer books a slot: the request leaves the queue, the call-back keeps its context and secret', async () => {
      const slot = freshSlot();
      const { requestId, secret } = await seedRequest({ hasPhoto: true });
      const r = await book(requestId, secret, slot);
      expect(r.statusCode).toBe(200);
      const status = r.json<CustomerQueueStatus>();
      expect(status).toMatchObject({ requestId, state: 'callback', position: null, estimatedWaitS: null, roomId: null });
      expect(status.callback).toMatchObject({ serviceType: 'transact', slotStart: slot, slotEnd: slot + SLOT, state: 'booked', closedReason: null });
      expect(status.callback!.reminderUrl).toBe(`https://vd.example.cn/join/q/${requestId}#${secret}`);
      expect(await requestRow(requestId)).toMatchObject({ state: 'callback', callback_id: status.callback!.callbackId });
      const [cb] = await callbacksOf(requestId);
      const source = await requestRow(requestId);
      expect(cb).toMatchObject({ callback_id: status.callback!.callbackId, state: 'booked', has_photo: true, customer_ref: source.customer_ref, context: source.context, secret_hash: hashToken(secret), attempts: 0 });
      expect(Number(cb!.due_at)).toBe(slot);
      expect(await logKinds(requestId)).toEqual(['callback_booked']);
      // The audit line names ids and the slot, never the customer reference.
      const { rows } = await db.query<{ detail: string }>('SELECT detail FROM queue_log WHERE request_id = $1', [requestId]);
      expect(rows[0]!.detail).not.toContain(String(source.customer_ref));
      // the customer's page, polling with the same secret (any browser), is told the booked slot
      const polled = await app.inject({ method: 'GET', url: `/api/v1/queue/requests/${requestId}`, headers: bearer(secret) });
      expect(polled.statusCode).toBe(200);
      expect(polled.json<CustomerQueueStatus>()).toMatchObject({ state: 'callback', position: null, callback: { callbackId: status.callback!.callbackId, slotStart: slot, slotEnd: slot + SLOT, state: 'booked' } });
    });

    it('booking while offered withdraws the offer and frees the agent', async () => {
      const ws = `ws-offer-${backend.name}-${n}`;
      const { requestId, secret } = await seedRequest({ state: 'offered', offeredTo: ws });
      const r = await book(requestId, secret, freshSlot());
      expect(r.statusCode).toBe(200);
      expect(await requestRow(requestId)).toMatchObject({ state: 'callback', offered_to: null, offer_expires_at: null });
      const agent = (await db.query<{ offer_request_id: string | null; state: string }>('SELECT offer_request_id, state FROM queue_agents WHERE workstation = $1', [ws])).rows[0];
      expect(agent).toEqual({ offer_request_id: null, state: 'ready' });
      expect(await logKinds(requestId)).toEqual(['offer_withdrawn', 'callback_booked']);
    });

    it('refuses a request that is not waiting, a bad slot, a bad body and a wrong secret, storing nothing', async () => {
      const assigned = await seedRequest({ state: 'assigned' });
      const a = await book(assigned.requestId, assigned.secret, freshSlot());
      expect(a.statusCode).toBe(409);
      expect(a.json().error.code).toBe('NOT_WAITING');

      const { requestId, secret } = await seedRequest();
      const cases: [unknown, number, string][] = [
        [FIRST_SLOT - SLOT, 400, 'SLOT_INVALID'], // begun
        [FIRST_SLOT + 7 * MIN, 400, 'SLOT_INVALID'], // not on the grid
        [Date.UTC(2026, 2, 2, 11, 0, 0), 400, 'SLOT_INVALID'], // 19:00 local
        [FIRST_SLOT + 30 * 86_400_000, 400, 'SLOT_INVALID'], // beyond the horizon
        ['soon', 400, 'INVALID_PAYLOAD'],
      ];
      for (const [slotStart, status, code] of cases) {
        const r = await book(requestId, secret, slotStart);
        expect(r.statusCode, String(slotStart)).toBe(status);
        expect(r.json().error.code).toBe(code);
      }
      const extra = await app.inject({ method: 'POST', url: `/api/v1/queue/requests/${requestId}/callback`, headers: bearer(secret), payload: { slotStart: freshSlot(), note: 'x' } });
      expect(extra.json().error.code).toBe('INVALID_PAYLOAD');
      const notJson = await app.inject({ method: 'POST', url: `/api/v1/queue/requests/${requestId}/callback`, headers: { ...bearer(secret), 'content-type': 'application/json' }, payload: '{"slotStart":' });
      expect(notJson.json().error.code).toBe('INVALID_PAYLOAD');
      const huge = await channelBook({ channelRequestId: 'big', serviceType: 'consult', customerRef: 'C', slotStart: freshSlot(), intent: 'x'.repeat(20_000) });
      expect(huge.statusCode).toBe(413);
      expect(huge.json().error.code).toBe('PAYLOAD_TOO_LARGE');
      const wrong = await book(requestId, randomBytes(32).toString('base64url'), freshSlot());
      expect(wrong.statusCode).toBe(404);
      expect(wrong.json().error.code).toBe('NOT_FOUND');
      const unknown = await book('no-such-request', secret, freshSlot());
      expect(unknown.statusCode).toBe(404);
      const noAuth = await app.inject({ method: 'POST', url: `/api/v1/queue/requests/${requestId}/callback`, payload: { slotStart: freshSlot() } });
      expect(noAuth.statusCode).toBe(401);
      expect(await callbacksOf(requestId)).toEqual([]);
      expect(await callbacksOf(assigned.requestId)).toEqual([]);
      expect(await requestRow(requestId)).toMatchObject({ state: 'waiting' });
    });

    it('lists free seats per slot: bookings of every holding state count, closed and done ones do not', async () => {
      const before = await slots('serviceType=operate&days=1');
      expect(before.statusCode).toBe(200);
      const all = before.json<{ serviceType: string; slots: { slotStart: number; free: number }[] }>();
      expect(all.serviceType).toBe('operate');
      expect(all.slots).toHaveLength(31);
      const target = all.slots[20]!.slotStart;
      expect(all.slots[20]!.free).toBe(2);
      const a = await seedRequest({ serviceType: 'operate' });
      expect((await book(a.requestId, a.secret, target)).statusCode).toBe(200);
      // Another service type's booking of the same slot takes none of operate's seats.
      const other = await seedRequest({ serviceType: 'consult' });
      expect((await book(other.requestId, other.secret, target)).statusCode).toBe(200);
      const after = (await slots('serviceType=operate&days=1')).json<{ slots: { slotStart: number; free: number }[] }>();
      expect(after.slots.find((s) => s.slotStart === target)!.free).toBe(1);
      await db.query("UPDATE queue_callbacks SET state = 'closed', closed_reason = 'cancelled' WHERE from_request_id = $1", [a.requestId]);
      const freed = (await slots('serviceType=operate&days=1')).json<{ slots: { slotStart: number; free: number }[] }>();
      expect(freed.slots.find((s) => s.slotStart === target)!.free).toBe(2);

      // The customer asks with their secret and request id; the request's service type counts.
      const c = await seedRequest({ serviceType: 'operate' });
      const mine = await slots(`requestId=${c.requestId}&days=2`, c.secret);
      expect(mine.statusCode).toBe(200);
      expect(mine.json().serviceType).toBe('operate');
      expect(mine.json().slots).toHaveLength(31 + 36);
      expect((await slots(`requestId=${c.requestId}&serviceType=consult`, c.secret)).json().error.code).toBe('INVALID_PAYLOAD');
      expect((await slots(`requestId=${c.requestId}`, 'x'.repeat(43))).statusCode).toBe(404);
      expect((await slots('serviceType=operate', workstation)).statusCode).toBe(403);
      expect((await slots('serviceType=operate', null)).statusCode).toBe(401);
      expect((await slots('serviceType=teller')).json().error.code).toBe('INVALID_PAYLOAD');
      expect((await slots('serviceType=operate&days=15')).json().error.code).toBe('INVALID_PAYLOAD');
      expect((await slots('days=1')).json().error.code).toBe('INVALID_PAYLOAD');
    });

    it('ten customers racing for the last seat: one gets it, nine get SLOT_FULL, the slot holds its capacity', async () => {
      const slot = freshSlot();
      const first = await seedRequest();
      expect((await book(first.requestId, first.secret, slot)).statusCode).toBe(200);
      const racers = await Promise.all(Array.from({ length: 10 }, () => seedRequest()));
      const results = await Promise.all(racers.map((r) => book(r.requestId, r.secret, slot)));
      const codes = results.map((r) => (r.statusCode === 200 ? 'ok' : r.json().error.code)).sort();
      expect(codes).toEqual(['SLOT_FULL', 'SLOT_FULL', 'SLOT_FULL', 'SLOT_FULL', 'SLOT_FULL', 'SLOT_FULL', 'SLOT_FULL', 'SLOT_FULL', 'SLOT_FULL', 'ok']);
      const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM queue_callbacks WHERE service_type = 'transact' AND slot_start = $1", [slot]);
      expect(rows[0]!.n).toBe(2);
      // The losers are still waiting in the queue.
      const states = await Promise.all(racers.map(async (r) => (await requestRow(r.requestId)).state));
      expect(states.filter((s) => s === 'waiting')).toHaveLength(9);
    });

    it('a channel books directly: the reminder link once, a replay without it, a different body under the same id refused', async () => {
      const slot = freshSlot();
      const body = { channelRequestId: `ivr-${n}-${backend.name}`, serviceType: 'consult', customerRef: 'CUST-IVR-1', slotStart: slot, intent: '咨询理财' };
      const r = await channelBook(body);
      expect(r.statusCode).toBe(201);
      const made = ChannelCallbackResponseSchema.parse(r.json());
      expect(made.replayed).toBe(false);
      expect(made.callback.state).toBe('booked');
      const m = new RegExp(`^https://vd\\.example\\.cn/join/q/${made.requestId}#([A-Za-z0-9_-]{43})$`).exec(made.callback.reminderUrl ?? '');
      expect(m).not.toBeNull();
      const secret = m![1]!;
      expect(await requestRow(made.requestId)).toMatchObject({ state: 'callback', origin: 'callback', channel: channelName, service_type: 'consult', secret_hash: hashToken(secret), callback_id: made.callback.callbackId });
      expect(JSON.parse(String((await requestRow(made.requestId)).context))).toEqual({ intent: '咨询理财', priorChecks: [], scriptStep: null });

      const again = await channelBook(body);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ requestId: made.requestId, replayed: true, callback: { callbackId: made.callback.callbackId, reminderUrl: null } });
      const conflict = await channelBook({ ...body, slotStart: freshSlot() });
      expect(conflict.statusCode).toBe(409);
      expect(conflict.json().error.code).toBe('IDEMPOTENCY_CONFLICT');
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM queue_callbacks WHERE channel = $1 AND channel_request_id = $2', [channelName, body.channelRequestId]);
      expect(rows[0]!.n).toBe(1);

      // The link's secret works for the customer's own requests.
      expect((await slots(`requestId=${made.requestId}&days=1`, secret)).statusCode).toBe(200);
      // Bad input: nothing stored.
      const count = async () => Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM queue_callbacks')).rows[0]!.n);
      const before = await count();
      for (const bad of [{ ...body, channelRequestId: 'has space' }, { ...body, channelRequestId: 'x1', customerRef: '..' }, { ...body, channelRequestId: 'x2', intent: 'x'.repeat(501) }, { ...body, channelRequestId: 'x3', photo: 'y' }]) {
        const res = await channelBook(bad);
        expect(res.statusCode).toBe(400);
        expect(res.json().error.code).toBe('INVALID_PAYLOAD');
      }
      expect((await channelBook({ ...body, channelRequestId: 'x4', slotStart: slot + 60_000 })).json().error.code).toBe('SLOT_INVALID');
      expect((await channelBook({ ...body, channelRequestId: 'x5' }, workstation)).statusCode).toBe(403);
      expect(await count()).toBe(before);
    });

    it('concurrent channel bookings of the last seat and concurrent replays: capacity held, one row per channel id', async () => {
      const slot = freshSlot();
      const ids = Array.from({ length: 6 }, (_, i) => `race-${backend.name}-${n}-${i}`);
      const results = await Promise.all(ids.map((id) => channelBook({ channelRequestId: id, serviceType: 'query', customerRef: `C-${id}`, slotStart: slot })));
      expect(results.filter((r) => r.statusCode === 201)).toHaveLength(2);
      expect(results.filter((r) => r.statusCode === 409 && r.json().error.code === 'SLOT_FULL')).toHaveLength(4);
      const same = { channelRequestId: `replay-${backend.name}-${n}`, serviceType: 'query', customerRef: 'C-R', slotStart: freshSlot() };
      const replays = await Promise.all(Array.from({ length: 5 }, () => channelBook(same)));
      expect(replays.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 201]);
      expect(new Set(replays.map((r) => r.json().requestId)).size).toBe(1);
      // The pre-made requests of refused bookings were rolled back with them.
      const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM queue_requests WHERE channel = $1 AND channel_request_id LIKE 'callback/race-%'", [channelName]);
      expect(rows[0]!.n).toBe(2);
    });

    it('the reminder window: closed until 10 minutes before the slot, open from then and once in the queue', async () => {
      const slot = freshSlot() + 86_400_000; // tomorrow
      const { requestId, secret } = await seedRequest();
      expect((await book(requestId, secret, slot)).statusCode).toBe(200);
      const w = await callbackWindow(db, requestId, clock);
      expect(w).toMatchObject({ requestState: 'callback', opensAt: slot - QUEUE_LIMITS.reminderOpensBeforeMs, open: false, callback: { slotStart: slot, state: 'booked', reminderUrl: null } });
      expect((await callbackWindow(db, requestId, slot - QUEUE_LIMITS.reminderOpensBeforeMs - 1))!.open).toBe(false);
      expect((await callbackWindow(db, requestId, slot - QUEUE_LIMITS.reminderOpensBeforeMs))!.open).toBe(true);
      const plain = await seedRequest();
      expect(await callbackWindow(db, plain.requestId, clock)).toBeNull();
    });

    it('the due sweep: a booked call-back enters the queue at its slot with priority, once across two sweepers', async () => {
      const slot = freshSlot();
      const early = await seedRequest();
      const late = await seedRequest();
      expect((await book(early.requestId, early.secret, slot)).statusCode).toBe(200);
      expect((await book(late.requestId, late.secret, slot + 86_400_000)).statusCode).toBe(200);
      await db.query("INSERT INTO queue_declines (request_id, workstation, at) VALUES ($1, 'ws-old', $2)", [early.requestId, clock]);
      await sweepCallbacks(db, slot - 1);
      expect((await requestRow(early.requestId)).state).toBe('callback');

      // Two instances sweep at the same moment (on PostgreSQL through two connection pools).
      const second = backend.name === 'PostgreSQL' && pgStart.ok ? await backend.open() : db;
      try {
        await Promise.all([sweepCallbacks(db, slot), sweepCallbacks(second, slot), sweepCallbacks(db, slot)]);
      } finally {
        if (second !== db) await second.close();
      }
      const req = await requestRow(early.requestId);
      expect(req).toMatchObject({ state: 'waiting', origin: 'callback', priority: QUEUE_LIMITS.callbackPriority });
      expect(Number(req.enqueued_at)).toBe(slot);
      expect((await callbacksOf(early.requestId))[0]).toMatchObject({ state: 'queued', attempts: 1 });
      expect((await logKinds(early.requestId)).filter((k) => k === 'callback_queued')).toHaveLength(1);
      expect((await db.query('SELECT 1 FROM queue_declines WHERE request_id = $1', [early.requestId])).rows).toHaveLength(0);
      expect((await requestRow(late.requestId)).state).toBe('callback');
      expect((await callbackWindow(db, early.requestId, slot))!.open).toBe(true);
    });

    it('a missed call-back is retried once, then closed customer_absent; a served one is done; one left is cancelled', async () => {
      const slot = freshSlot();
      const absent = await seedRequest();
      const served = await seedRequest();
      const gone = await seedRequest({ serviceType: 'consult' });
      for (const r of [absent, served, gone]) expect((await book(r.requestId, r.secret, slot)).statusCode).toBe(200);
      await sweepCallbacks(db, slot);
      // What the queue does meanwhile: nobody came for `absent`, `served` was answered, `gone` pressed leave.
      await db.query("UPDATE queue_requests SET state = 'abandoned', ended_at = $2 WHERE request_id = $1", [absent.requestId, slot + 30_000]);
      await db.query("UPDATE queue_requests SET state = 'finished', assigned_at = $2, ended_at = $2 WHERE request_id = $1", [served.requestId, slot + 5_000]);
      await db.query("UPDATE queue_requests SET state = 'left', ended_at = $2 WHERE request_id = $1", [gone.requestId, slot + 5_000]);

      const t1 = slot + 60_000;
      await sweepCallbacks(db, t1);
      expect((await callbacksOf(served.requestId))[0]).toMatchObject({ state: 'done' });
      expect((await callbacksOf(gone.requestId))[0]).toMatchObject({ state: 'closed', closed_reason: 'cancelled' });
      const retry = (await callbacksOf(absent.requestId))[0]!;
      expect(retry).toMatchObject({ state: 'retry', attempts: 1 });
      expect(Number(retry.due_at)).toBe(t1 + QUEUE_LIMITS.callbackRetryAfterMs);
      expect((await requestRow(absent.requestId)).state).toBe('callback');
      // The seat stays taken while the retry is pending.
      expect((await slots('serviceType=transact&days=1')).json().slots.find((s: { slotStart: number }) => s.slotStart === slot).free).toBe(1);

      await sweepCallbacks(db, t1 + QUEUE_LIMITS.callbackRetryAfterMs - 1);
      expect((await callbacksOf(absent.requestId))[0]).toMatchObject({ state: 'retry' });
      const t2 = t1 + QUEUE_LIMITS.callbackRetryAfterMs;
      await sweepCallbacks(db, t2);
      expect((await callbacksOf(absent.requestId))[0]).toMatchObject({ state: 'queued', attempts: 2 });
      expect(await requestRow(absent.requestId)).toMatchObject({ state: 'waiting', priority: QUEUE_LIMITS.callbackPriority });
      await db.query("UPDATE queue_requests SET state = 'abandoned', ended_at = $2 WHERE request_id = $1", [absent.requestId, t2 + 30_000]);
      await sweepCallbacks(db, t2 + 60_000);
      expect((await callbacksOf(absent.requestId))[0]).toMatchObject({ state: 'closed', closed_reason: 'customer_absent', attempts: 2 });
      expect((await requestRow(absent.requestId)).state).toBe('abandoned');
      expect(await logKinds(absent.requestId)).toEqual(['callback_booked', 'callback_queued', 'callback_retry', 'callback_queued', 'callback_closed']);
      expect(await logKinds(served.requestId)).toEqual(['callback_booked', 'callback_queued', 'callback_done']);
    });

    it('a call-back whose request was closed before its slot is closed cancelled, not queued', async () => {
      const slot = freshSlot();
      const r = await seedRequest();
      expect((await book(r.requestId, r.secret, slot)).statusCode).toBe(200);
      await db.query("UPDATE queue_requests SET state = 'left' WHERE request_id = $1", [r.requestId]);
      await sweepCallbacks(db, slot);
      expect((await callbacksOf(r.requestId))[0]).toMatchObject({ state: 'closed', closed_reason: 'cancelled' });
      expect((await requestRow(r.requestId)).state).toBe('left');
    });
  });
}

describe('call-back sweep timer (PGlite)', () => {
  it('the plugin sweeps on its interval once ready and stops on close', async () => {
    const backend = dbBackends(pgStart)[0]!;
    const db = await backend.open();
    await migrateServer(db);
    let clock = T0;
    const app = await buildServer({ db, logger: silentLogger, rateLimit: false, now: () => clock, queue: { dispatchIntervalMs: 3_600_000 }, callbacks: { sweepIntervalMs: 20 } });
    try {
      const channel = await createToken(db, 'app-timer', 'channel');
      const r = await app.inject({ method: 'POST', url: '/api/v1/queue/callbacks', headers: { authorization: `Bearer ${channel}` }, payload: { channelRequestId: 't1', serviceType: 'consult', customerRef: 'C1', slotStart: FIRST_SLOT } });
      expect(r.statusCode).toBe(201);
      const requestId = r.json().requestId as string;
      await app.ready();
      clock = FIRST_SLOT;
      const deadline = Date.now() + 5_000;
      let state = '';
      while (Date.now() < deadline && state !== 'waiting') {
        await new Promise((res) => setTimeout(res, 20));
        state = (await db.query<{ state: string }>('SELECT state FROM queue_requests WHERE request_id = $1', [requestId])).rows[0]!.state;
      }
      expect(state).toBe('waiting');
    } finally {
      await app.close();
      await db.close();
    }
  });
});
