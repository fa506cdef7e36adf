/**
 * The wallboard (server/queue/wallboard.ts, GET /api/v1/lead/wallboard) against hand counts: queue rows are
 * inserted directly, each with a comment saying what it should count towards.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/main/log/logger';
import { WallboardSchema, type Wallboard } from '../../../src/shared/queue';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import type { ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import { computeWallboard } from '../../../server/queue/wallboard';
import { startPostgres } from '../../../server/testing/pg-harness';
import { dbBackends } from './db-backends';

const pgStart = await startPostgres();
afterAll(async () => {
  if (pgStart.ok) await pgStart.cluster.stop();
});

const S = 1000;
/** 2026-03-02 06:30 UTC (14:30 in Beijing). */
const NOW = Date.UTC(2026, 2, 2, 6, 30, 0);
const at = (h: number, m = 0) => Date.UTC(2026, 2, 2, h, m, 0);

for (const backend of dbBackends(pgStart)) {
  describe.skipIf(backend.skip !== null)(`wallboard on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let db: ServerDb;
    let app: FastifyInstance;
    let lead: string;
    let workstation: string;

    beforeAll(async () => {
      db = await backend.open();
      await migrateServer(db);
      app = await buildServer({ db, logger: silentLogger, rateLimit: false, now: () => NOW, queue: { dispatchIntervalMs: 3_600_000 }, callbacks: { sweepIntervalMs: 0 } });
      const tag = randomBytes(3).toString('hex');
      lead = await createToken(db, `lead-${tag}`, 'lead');
      workstation = await createToken(db, `ws-${tag}`);
      // The board counts every row of these tables: start from none (PostgreSQL's database is shared by the file).
      for (const t of ['queue_requests', 'queue_agents', 'queue_callbacks']) await db.query(`DELETE FROM ${t}`);

      let n = 0;
      const request = (state: string, enqueuedAt: number, assignedAfterMs: number | null = null) =>
        db.query(
          `INSERT INTO queue_requests (request_id, channel, channel_request_id, body_hash, origin, service_type, customer_ref, context, secret_hash, state, created_at, enqueued_at, assigned_at)
           VALUES ($1, 'app', $1, 'h', 'handover', 'transact', 'C', '{}', 's', $2, $3, $3, $4)`,
          [`r${++n}`, state, enqueuedAt, assignedAfterMs === null ? null : enqueuedAt + assignedAfterMs],
        );
      // Waiting now: 4 (an offered customer is not answered yet); the longest has waited 200 s.
      await request('waiting', NOW - 90 * S);
      await request('waiting', NOW - 30 * S);
      await request('waiting', NOW - 10 * S);
      await request('offered', NOW - 200 * S);
      // Today (UTC): 6 offered = answered 3 (2 within 20 s, the boundary included) + gave up 2 + closed 1.
      await request('finished', at(1, 0), 10 * S); // hour 1, within
      await request('assigned', at(1, 10), 20 * S); // hour 1, within (exactly 20 s)
      await request('finished', at(3, 5), 45 * S); // hour 3, not within
      await request('abandoned', at(3, 20)); // hour 3
      await request('left', at(5, 0)); // hour 5
      await request('closed', at(4, 0)); // offered, neither answered nor abandoned
      await request('callback', at(2, 0)); // booked a call-back: counted when the call-back is served
      // Yesterday 23:00 UTC (07:00 today in Beijing): only in the UTC+8 day.
      await request('finished', Date.UTC(2026, 2, 1, 23, 0, 0), 5 * S);

      const agent = (ws: string, state: string) => db.query("INSERT INTO queue_agents (workstation, agent_id, state, updated_at) VALUES ($1, 'a', $2, 0)", [ws, state]);
      await agent('w1', 'ready');
      await agent('w2', 'ready');
      await agent('w3', 'busy');
      await agent('w4', 'away');

      let c = 0;
      const callback = (state: string, dueAt: number) =>
        db.query(
          `INSERT INTO queue_callbacks (callback_id, channel, channel_request_id, service_type, customer_ref, context, secret_hash, slot_start, slot_end, state, due_at, created_at)
           VALUES ($1, 'app', $1, 'transact', 'C', '{}', 's', $2, $2, $3, $2, 0)`,
          [`cb${++c}`, dueAt, state],
        );
      await callback('booked', NOW + 30 * 60 * S); // due within the hour
      await callback('retry', NOW + 10 * 60 * S); // due within the hour
      await callback('booked', NOW - 5 * 60 * S); // overdue, not swept yet
      await callback('booked', NOW + 2 * 3600 * S); // later
      await callback('queued', NOW - 60 * S); // in the queue already
      await callback('done', NOW - 3600 * S);
    });
    afterAll(async () => {
      await app?.close();
      await db?.close();
    });

    it('counts the seeded rows as by hand (UTC day)', async () => {
      const w = await computeWallboard(db, NOW);
      expect(w).toMatchObject({ at: NOW, waiting: 4, longestWaitS: 200, agents: { ready: 2, busy: 1, away: 1, offline: 0 }, callbacksDue: 3 });
      expect(w.today).toEqual({ offered: 6, answered: 3, answeredWithinServiceLevel: 2, serviceLevel: 0.4, abandoned: 2 });
      expect(w.hourly).toHaveLength(7); // hours 0..6 of today
      expect(w.hourly[1]).toEqual({ hour: 1, answered: 2, abandoned: 0, medianWaitS: 15 });
      expect(w.hourly[3]).toEqual({ hour: 3, answered: 1, abandoned: 1, medianWaitS: 45 });
      expect(w.hourly[5]).toEqual({ hour: 5, answered: 0, abandoned: 1, medianWaitS: null });
      expect(w.hourly[0]).toEqual({ hour: 0, answered: 0, abandoned: 0, medianWaitS: null });
    });

    it("the center's local day with tzOffsetMinutes, through the lead route", async () => {
      const r = await app.inject({ method: 'GET', url: '/api/v1/lead/wallboard?tzOffsetMinutes=480', headers: { authorization: `Bearer ${lead}` } });
      expect(r.statusCode).toBe(200);
      expect(r.headers['cache-control']).toBe('no-store');
      const w: Wallboard = WallboardSchema.parse(r.json());
      // Beijing's day began 16:00 UTC yesterday: yesterday's 23:00 call (answered in 5 s) is today's.
      expect(w.today).toEqual({ offered: 7, answered: 4, answeredWithinServiceLevel: 3, serviceLevel: 0.5, abandoned: 2 });
      expect(w.hourly).toHaveLength(15); // 00..14 local
      expect(w.hourly[7]).toMatchObject({ hour: 7, answered: 1, medianWaitS: 5 });
      expect(w.hourly[9]).toMatchObject({ hour: 9, answered: 2, medianWaitS: 15 });
    });

    it('is for leads only and refuses a bad query', async () => {
      expect((await app.inject({ method: 'GET', url: '/api/v1/lead/wallboard', headers: { authorization: `Bearer ${workstation}` } })).statusCode).toBe(403);
      expect((await app.inject({ method: 'GET', url: '/api/v1/lead/wallboard' })).statusCode).toBe(401);
      for (const q of ['tzOffsetMinutes=900', 'tzOffsetMinutes=8h', 'other=1']) {
        const r = await app.inject({ method: 'GET', url: `/api/v1/lead/wallboard?${q}`, headers: { authorization: `Bearer ${lead}` } });
        expect(r.statusCode, q).toBe(400);
        expect(r.json().error.code).toBe('INVALID_PAYLOAD');
      }
    });

    // PGlite only: a second PGlite is a second, empty database; on PostgreSQL the file has one database.
    it.skipIf(backend.name !== 'PGlite')(`an empty queue: zeros, no service level, every agent state present${backend.name === 'PGlite' ? '' : ' (skipped: needs a second, empty database — PGlite only)'}`, async () => {
      const empty = await backend.open();
      try {
        await migrateServer(empty);
        const w = await computeWallboard(empty, NOW);
        expect(w).toMatchObject({ waiting: 0, longestWaitS: 0, agents: { ready: 0, busy: 0, away: 0, offline: 0 }, callbacksDue: 0 });
        expect(w.today).toEqual({ offered: 0, answered: 0, answeredWithinServiceLevel: 0, serviceLevel: null, abandoned: 0 });
      } finally {
        await empty.close();
      }
    });
  });
}
