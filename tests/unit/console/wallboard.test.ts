/**
 * The 坐席看板 in main (console.wallboard → src/main/console/backend-wallboard.ts) against a real backend: buildServer
 * on PGlite with queue rows inserted by hand (each commented with what it counts towards, as in
 * tests/unit/server/queue-wallboard.test.ts), the lead token checked before every request, and a hostile backend
 * whose malformed boards are refused rather than shown.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import { openPglite, type ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import { ConsoleService } from '../../../src/main/console/console-service';
import { silentLogger } from '../../../src/main/log/logger';
import { methods } from '../../../src/shared/contract';
import type { Wallboard } from '../../../src/shared/queue';
import { tempStore, type TempStore } from './fixtures';

const S = 1000;
/** 2026-03-02 06:30 UTC (14:30 in Beijing). */
const NOW = Date.UTC(2026, 2, 2, 6, 30, 0);
const at = (h: number, m = 0) => Date.UTC(2026, 2, 2, h, m, 0);

let db: ServerDb;
let app: FastifyInstance;
let url: string;
let t: TempStore;
let qa: ConsoleService;
let current: string | undefined;
const tokens = { lead: '', ws: '' };
/** Every path main asked the backend, in order. */
const asked: string[] = [];

beforeAll(async () => {
  db = await openPglite();
  await migrateServer(db);
  // no dispatcher or sweeper: the seeded rows stay exactly as inserted
  app = await buildServer({ db, logger: silentLogger, rateLimit: false, now: () => NOW, queue: { dispatchIntervalMs: 3_600_000 }, callbacks: { sweepIntervalMs: 0 } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  tokens.lead = await createToken(db, 'lead-board', 'lead');
  tokens.ws = await createToken(db, 'ws-board');

  let n = 0;
  const request = (state: string, enqueuedAt: number, assignedAfterMs: number | null = null) =>
    db.query(
      `INSERT INTO queue_requests (request_id, channel, channel_request_id, body_hash, origin, service_type, customer_ref, context, secret_hash, state, created_at, enqueued_at, assigned_at)
       VALUES ($1, 'app', $1, 'h', 'handover', 'transact', 'C', '{}', 's', $2, $3, $3, $4)`,
      [`r${++n}`, state, enqueuedAt, assignedAfterMs === null ? null : enqueuedAt + assignedAfterMs],
    );
  // waiting now: 3 (the offered one is not answered yet); the longest has waited 200 s
  await request('waiting', NOW - 90 * S);
  await request('waiting', NOW - 10 * S);
  await request('offered', NOW - 200 * S);
  // today (UTC): answered 2 (1 within 20 s), abandoned 1
  await request('finished', at(1, 0), 10 * S); // hour 1, within
  await request('finished', at(3, 5), 45 * S); // hour 3, not within
  await request('abandoned', at(3, 20)); // hour 3
  // yesterday 23:00 UTC = 07:00 today in Beijing: counted only in the UTC+8 day
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
  await callback('booked', NOW + 2 * 3600 * S); // later: not due

  t = tempStore('vd-wallboard-');
  const recording: typeof fetch = async (input, init) => {
    asked.push(new URL(String(input)).pathname + new URL(String(input)).search);
    return fetch(input, init);
  };
  qa = new ConsoleService({ store: t.store, dataDir: t.dir, backendUrl: () => url, tokenFor: (origin) => (origin === url ? current : undefined), fetchImpl: recording });
});

afterAll(async () => {
  qa?.close();
  t?.cleanup();
  await app?.close();
  await db?.close();
});

describe('console.wallboard against the real backend (PGlite, seeded queue rows)', () => {
  it("a lead gets the server's numbers for the lead's day: the UTC day, then Beijing's (yesterday 23:00 UTC joins)", async () => {
    current = tokens.lead;
    const utc = await qa.wallboard({ tzOffsetMinutes: 0 });
    expect(utc).toMatchObject({ at: NOW, waiting: 3, longestWaitS: 200, agents: { ready: 2, busy: 1, away: 1, offline: 0 }, callbacksDue: 1 });
    expect(utc.today).toEqual({ offered: 3, answered: 2, answeredWithinServiceLevel: 1, serviceLevel: 1 / 3, abandoned: 1 });
    expect(utc.hourly).toHaveLength(7); // hours 0..6 UTC
    expect(utc.hourly[3]).toEqual({ hour: 3, answered: 1, abandoned: 1, medianWaitS: 45 });

    const beijing = await qa.wallboard({ tzOffsetMinutes: 480 });
    expect(beijing.today).toEqual({ offered: 4, answered: 3, answeredWithinServiceLevel: 2, serviceLevel: 0.5, abandoned: 1 });
    expect(beijing.hourly).toHaveLength(15); // 00..14 local
    expect(beijing.hourly[7]).toEqual({ hour: 7, answered: 1, abandoned: 0, medianWaitS: 5 });
    // the zone travelled as the query parameter, and only the lead API was asked
    expect(asked.filter((p) => p.startsWith('/api/v1/lead/wallboard'))).toEqual(['/api/v1/lead/wallboard?tzOffsetMinutes=0', '/api/v1/lead/wallboard?tzOffsetMinutes=480']);
  });

  it('a workstation token, or none, is refused FORBIDDEN like every console call, and the board is never asked for', async () => {
    const before = asked.length;
    current = tokens.ws;
    await expect(qa.wallboard({ tzOffsetMinutes: 480 })).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/team-lead token.*workstation token/) });
    current = undefined;
    await expect(qa.wallboard({ tzOffsetMinutes: 480 })).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/no backend token/) });
    // whoami only (the workstation token); with no token nothing at all went out
    expect(asked.slice(before)).toEqual(['/api/v1/whoami']);
  });

  it("the contract refuses a zone outside ±14 h, a fractional one and an unknown key before main's handler runs", () => {
    const input = methods['console.wallboard'].input;
    expect(input.parse({})).toEqual({ tzOffsetMinutes: 480 });
    for (const bad of [{ tzOffsetMinutes: 900 }, { tzOffsetMinutes: 30.5 }, { tzOffsetMinutes: '480' }, { tzOffsetMinutes: 0, source: 'local' }]) expect(input.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });
});

/** A backend that says the token is a lead's and answers the wallboard with `board` (status 200 unless given). */
function hostile(board: unknown, status = 200, raw = false): ConsoleService {
  const fetchImpl: typeof fetch = async (input) => {
    const path = new URL(String(input)).pathname;
    if (path === '/api/v1/whoami') return Response.json({ role: 'lead', name: 'lead-x' });
    if (raw) return new Response(String(board), { status, headers: { 'content-type': 'text/html' } });
    return new Response(JSON.stringify(board), { status, headers: { 'content-type': 'application/json' } });
  };
  return new ConsoleService({ store: t.store, dataDir: t.dir, backendUrl: () => 'http://127.0.0.1:9', tokenFor: () => 'vd_x', fetchImpl });
}

const GOOD: Wallboard = {
  at: NOW,
  waiting: 1,
  longestWaitS: 12,
  agents: { ready: 1, busy: 0, away: 0, offline: 0 },
  today: { offered: 1, answered: 1, answeredWithinServiceLevel: 1, serviceLevel: 1, abandoned: 0 },
  callbacksDue: 0,
  hourly: [{ hour: 0, answered: 1, abandoned: 0, medianWaitS: 4 }],
};

describe('console.wallboard against a hostile backend', () => {
  it('passes a well-formed board through (the fake is not refusing everything)', async () => {
    const qaX = hostile(GOOD);
    try {
      expect(await qaX.wallboard({ tzOffsetMinutes: 480 })).toEqual(GOOD);
    } finally {
      qaX.close();
    }
  });

  it.each([
    ['an agent state missing', { ...GOOD, agents: { ready: 1, busy: 0, away: 0 } }],
    ['a negative waiting count', { ...GOOD, waiting: -1 }],
    ['a service level above 100 %', { ...GOOD, today: { ...GOOD.today, serviceLevel: 1.5 } }],
    ['a wait as text', { ...GOOD, longestWaitS: '12' }],
    ['an hour 24', { ...GOOD, hourly: [{ hour: 24, answered: 0, abandoned: 0, medianWaitS: null }] }],
    ['an extra field', { ...GOOD, customers: ['C-1'] }],
    ['an array', [GOOD]],
  ])('refuses %s: BACKEND_REFUSED MALFORMED_RESPONSE', async (_what, board) => {
    const qaX = hostile(board);
    try {
      await expect(qaX.wallboard({ tzOffsetMinutes: 480 })).rejects.toMatchObject({ code: 'BACKEND_REFUSED', message: expect.stringMatching(/^MALFORMED_RESPONSE/) });
    } finally {
      qaX.close();
    }
  });

  it('refuses an answer that is not JSON, and says UNAVAILABLE for a server without the wallboard (404)', async () => {
    const html = hostile('<html>proxy</html>', 200, true);
    const old = hostile({ error: { code: 'NOT_FOUND', message: 'Route GET:/api/v1/lead/wallboard not found' } }, 404);
    try {
      await expect(html.wallboard({ tzOffsetMinutes: 480 })).rejects.toMatchObject({ code: 'BACKEND_REFUSED', message: expect.stringMatching(/MALFORMED_RESPONSE/) });
      await expect(old.wallboard({ tzOffsetMinutes: 480 })).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/no queue wallboard/) });
    } finally {
      html.close();
      old.close();
    }
  });
});
