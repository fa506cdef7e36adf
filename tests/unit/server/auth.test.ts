/**
 * Tokens, workstations, rotation, expiry, rate limits, proxies and timeouts (docs/server-security.md),
 * on PGlite and on a throwaway PostgreSQL cluster when one can be started.
 */
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/main/log/logger';
import { buildServer, DEFAULT_TIMEOUTS, parseTrustProxy, type ServerOptions } from '../../../server/app';
import { DEFAULT_RATE_LIMITS } from '../../../server/auth/rate-limit';
import { createToken, hashToken, listTokens, parseDuration, revokeToken, rotateToken } from '../../../server/auth/tokens';
import { openPglite, openPostgres, type ServerDb } from '../../../server/db/database';
import { migrateServer, SERVER_MIGRATIONS } from '../../../server/db/migrations';
import { SignalTestClient } from '../../../server/signaling/test-client';
import { startPostgres } from '../../../server/testing/pg-harness';
import { canonicalJson } from '../../../src/common/canonical';
import { CreateRoomResponseSchema, ROOMS_PATH } from '../../../src/shared/signaling';
import type { CaseEvent } from '../../../src/shared/cases';
import { dbBackends, type DbBackend } from './db-backends';
import { makeChain, resealFrom } from './fixtures';

const pgStart = await startPostgres();
afterAll(async () => {
  if (pgStart.ok) await pgStart.cluster.stop();
});
const backends = dbBackends(pgStart);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tag = () => randomBytes(3).toString('hex');
/** `chain` continued by `n` note events (seq chain.length+1 …), resealed so it links. */
const extend = (chain: CaseEvent[], n: number): CaseEvent[] =>
  resealFrom([...chain, ...Array.from({ length: n }, (_, i) => ({ ...chain[chain.length - 1]!, seq: chain.length + 1 + i, type: 'note.added' as const, payload: { text: `note ${i}` } }))], chain.length);

for (const backend of backends) {
  describe.skipIf(backend.skip !== null)(`auth, rate limits, proxies and timeouts on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let db: ServerDb;
    const apps: FastifyInstance[] = [];
    const sockets: SignalTestClient[] = [];
    let clock = Date.now();

    beforeAll(async () => {
      db = await backend.open();
      await migrateServer(db);
    });
    afterEach(async () => {
      for (const s of sockets.splice(0)) s.close();
      for (const a of apps.splice(0)) await a.close();
    });
    afterAll(async () => {
      await db?.close();
    });

    const server = async (options: Partial<ServerOptions> = {}) => {
      const app = await buildServer({ db, logger: silentLogger, now: () => clock, ...options });
      apps.push(app);
      return app;
    };
    const bearer = (token: string | null): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
    const changes = (app: FastifyInstance, token: string | null, extra: { remoteAddress?: string; headers?: Record<string, string> } = {}) =>
      app.inject({ method: 'GET', url: '/api/v1/sync/changes?since=0', headers: { ...bearer(token), ...extra.headers }, remoteAddress: extra.remoteAddress });
    let keyN = 0;
    const push = (app: FastifyInstance, token: string, events: CaseEvent[], key = `auth-key-${tag()}-${++keyN}`) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/sync/batches',
        headers: { ...bearer(token), 'idempotency-key': key, 'content-type': 'application/json' },
        payload: JSON.stringify({ workstationId: 'ws-local', events }),
      });

    it('answers 429 RATE_LIMITED with Retry-After once a token has spent its budget; another token and /health are not affected', async () => {
      const app = await server({ rateLimit: { perTokenPerMinute: 3, perIpPerMinute: 100 } });
      const a = await createToken(db, `rl-a-${tag()}`);
      const b = await createToken(db, `rl-b-${tag()}`);
      for (let i = 0; i < 3; i++) {
        const r = await changes(app, a);
        expect(r.statusCode).toBe(200);
        expect(r.headers['x-ratelimit-remaining']).toBe(String(2 - i));
      }
      const limited = await changes(app, a);
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringMatching(/3 requests per minute from this token/) } });
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      // Every route answers in the sync vocabulary, even signaling's, whose own error handler maps 4xx to MALFORMED_MESSAGE.
      const room = await app.inject({ method: 'POST', url: ROOMS_PATH, headers: { ...bearer(a), 'content-type': 'application/json' }, payload: { caseId: 'c-1' } });
      expect([room.statusCode, room.json().error.code]).toEqual([429, 'RATE_LIMITED']);
      // The same address, another token: its own budget.
      expect((await changes(app, b)).statusCode).toBe(200);
      for (let i = 0; i < 10; i++) expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    });

    it('limits callers without a valid token per address; made-up tokens do not buy fresh budgets, a valid token from the same address is not limited', async () => {
      const app = await server({ rateLimit: { perTokenPerMinute: 100, perIpPerMinute: 3 } });
      const ws = await createToken(db, `rl-ip-${tag()}`);
      const from = { remoteAddress: '198.51.100.7' };
      expect((await changes(app, null, from)).statusCode).toBe(401);
      expect((await changes(app, 'vd_made-up-token-0001', from)).statusCode).toBe(401);
      expect((await changes(app, 'vd_made-up-token-0002', from)).statusCode).toBe(401);
      const limited = await changes(app, 'vd_made-up-token-0003', from);
      expect([limited.statusCode, limited.json().error.code]).toEqual([429, 'RATE_LIMITED']);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect((await app.inject({ method: 'GET', url: '/no-such-endpoint', remoteAddress: from.remoteAddress })).statusCode).toBe(429);
      expect((await changes(app, null, { remoteAddress: '198.51.100.8' })).statusCode).toBe(401);
      expect((await changes(app, ws, from)).statusCode).toBe(200);
      // IPv6 clients count per /64: another address in the same /64 shares the budget.
      for (let i = 0; i < 3; i++) expect((await changes(app, null, { remoteAddress: `2001:db8:1:2::${i + 1}` })).statusCode).toBe(401);
      expect((await changes(app, null, { remoteAddress: '2001:db8:1:2::ffff' })).statusCode).toBe(429);
      expect((await changes(app, null, { remoteAddress: '2001:db8:1:3::1' })).statusCode).toBe(401);
    });

    it('the default limits let a 10,000-case drain through (hundreds of requests in a burst from one token)', async () => {
      const app = await server();
      const ws = await createToken(db, `rl-drain-${tag()}`);
      // ~63,000 events of seeded cases / 200 per batch ≈ 315 batches, plus the pulls that follow.
      for (let i = 0; i < 600; i++) {
        const r = await changes(app, ws);
        if (r.statusCode !== 200) throw new Error(`request ${i + 1}: ${r.statusCode} ${r.body}`);
      }
      expect(Number((await changes(app, ws)).headers['x-ratelimit-remaining'])).toBeGreaterThan(500);
    });

    it('ignores X-Forwarded-For unless the peer is a configured proxy, and then limits the forwarded client', async () => {
      const direct = await server({ rateLimit: { perTokenPerMinute: 100, perIpPerMinute: 2 } });
      for (let i = 0; i < 2; i++) expect((await changes(direct, null, { remoteAddress: '10.0.0.9', headers: { 'x-forwarded-for': `203.0.113.${i + 1}` } })).statusCode).toBe(401);
      // A fresh X-Forwarded-For per request does not help: the peer address is what counts.
      expect((await changes(direct, null, { remoteAddress: '10.0.0.9', headers: { 'x-forwarded-for': '203.0.113.99' } })).statusCode).toBe(429);

      const proxied = await server({ rateLimit: { perTokenPerMinute: 100, perIpPerMinute: 2 }, trustProxy: '10.0.0.0/24, 192.0.2.1' });
      const via = (client: string, proxy = '10.0.0.9') => changes(proxied, null, { remoteAddress: proxy, headers: { 'x-forwarded-for': client } });
      expect((await via('203.0.113.1')).statusCode).toBe(401);
      expect((await via('203.0.113.1', '192.0.2.1')).statusCode).toBe(401);
      expect((await via('203.0.113.1')).statusCode).toBe(429);
      // Another client behind the same proxy has its own budget…
      expect((await via('203.0.113.2')).statusCode).toBe(401);
      // …and a peer outside the list is not believed: counted as itself, whatever it forwards.
      expect((await via('203.0.113.3', '10.0.1.1')).statusCode).toBe(401);
      expect((await via('203.0.113.4', '10.0.1.1')).statusCode).toBe(401);
      expect((await via('203.0.113.5', '10.0.1.1')).statusCode).toBe(429);

      expect(parseTrustProxy(['10.0.0.1', 'fd00::/8'])).toEqual(['10.0.0.1', 'fd00::/8']);
      expect(parseTrustProxy(undefined)).toEqual([]);
      for (const bad of ['true', 'loopback', '1', '10.0.0.0/33', 'fd00::/129', '10.0.0.1/8/1', 'proxy.example']) expect(() => parseTrustProxy(bad), bad).toThrow(/not an IP address or CIDR/);
      await expect(buildServer({ db, logger: silentLogger, trustProxy: 'uniquelocal' })).rejects.toThrow(/not an IP address or CIDR/);
    });

    it('refuses an expired token with 401 TOKEN_EXPIRED (and a revoked one with UNAUTHENTICATED), on HTTP and at the signaling agent seat', async () => {
      const app = await server({ rateLimit: false });
      clock = Date.now();
      const name = `exp-${tag()}`;
      const token = await createToken(db, name, 'workstation', { expiresAt: clock + 60_000 });
      expect((await changes(app, token)).statusCode).toBe(200);
      const room = await app.inject({ method: 'POST', url: ROOMS_PATH, headers: { ...bearer(token), 'content-type': 'application/json' }, payload: { caseId: 'c-exp' } });
      expect(room.statusCode).toBe(201);
      const roomId = CreateRoomResponseSchema.parse(room.json()).roomId;

      clock += 60_000;
      const r = await changes(app, token);
      expect(r.statusCode).toBe(401);
      expect(r.json().error).toMatchObject({ code: 'TOKEN_EXPIRED', message: expect.stringMatching(/expired at/) });
      expect((await push(app, token, makeChain(2))).json().error.code).toBe('TOKEN_EXPIRED');
      const base = await app.listen({ port: 0, host: '127.0.0.1' });
      const agent = await SignalTestClient.connect(base, bearer(token));
      sockets.push(agent);
      expect(await agent.hello({ role: 'agent', room: roomId })).toMatchObject({ t: 'error', code: 'UNAUTHENTICATED' });

      const revokedName = `rev-${tag()}`;
      const other = await createToken(db, revokedName);
      expect(await revokeToken(db, revokedName)).toBe(true);
      expect((await changes(app, other)).json().error.code).toBe('UNAUTHENTICATED');
    });

    it('rotation keeps the workstation: cases, idempotency keys, reviews and rooms carry over; the old token stops after the grace period', async () => {
      const app = await server({ rateLimit: false });
      clock = Date.now();
      const ws = `rot-${tag()}`;
      const lead = await createToken(db, `rot-lead-${tag()}`, 'lead');
      const a = await createToken(db, ws, 'workstation', { expiresAt: clock + 90 * 86_400_000 });
      const chain = makeChain(2);
      const caseId = chain[0]!.caseId;
      const first = await push(app, a, chain, `rot-key-${ws}-1`);
      expect(first.statusCode, first.body).toBe(200);

      const rotation = await rotateToken(db, ws, { graceMs: 3_600_000, now: clock });
      expect(rotation.name).toMatch(new RegExp(`^${ws}\\.\\d{8}T\\d{6}Z\\.[0-9a-f]{4}$`));
      expect(rotation.retired).toEqual([{ name: ws, expiresAt: new Date(clock + 3_600_000) }]);
      const b = rotation.token;
      const more = extend(chain, 2);
      const second = await push(app, b, more.slice(2, 3));
      expect(second.statusCode, second.body).toBe(200);
      expect(second.json()).toMatchObject({ accepted: 1, cases: [{ caseId, lastSeq: 3 }] });
      // The idempotency key space is the workstation's: token B replays what token A stored.
      expect((await push(app, b, chain, `rot-key-${ws}-1`)).json()).toMatchObject({ replayed: true, batchId: first.json().batchId });

      // During the grace period both work (the workstation picks up its new token).
      clock += 3_600_000 - 1;
      expect((await changes(app, a)).statusCode).toBe(200);
      clock += 1;
      const old = await changes(app, a);
      expect([old.statusCode, old.json().error.code]).toEqual([401, 'TOKEN_EXPIRED']);
      const third = await push(app, b, more.slice(3));
      expect(third.json()).toMatchObject({ accepted: 1, cases: [{ caseId, lastSeq: 4 }] });

      // The lead sees the case once, under the workstation; a review reaches the workstation's new token.
      const list = await app.inject({ method: 'GET', url: '/api/v1/cases?limit=500', headers: bearer(lead) });
      const mine = (list.json().cases as { case_id: string; workstation: string; last_seq: number }[]).filter((c) => c.case_id === caseId);
      expect(mine).toEqual([expect.objectContaining({ workstation: ws, last_seq: 4 })]);
      expect((await app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/reviews`, headers: bearer(lead), payload: { outcome: 'confirmed' } })).statusCode).toBe(201);
      expect((await changes(app, b)).json().reviews).toEqual([expect.objectContaining({ caseId, outcome: 'confirmed' })]);

      // Signaling keys rooms by the workstation too: B creates a room and takes its agent seat.
      const created = await app.inject({ method: 'POST', url: ROOMS_PATH, headers: { ...bearer(b), 'content-type': 'application/json' }, payload: { caseId } });
      expect(created.statusCode).toBe(201);
      const room = CreateRoomResponseSchema.parse(created.json());
      expect((await db.query<{ workstation: string }>('SELECT workstation FROM signal_rooms WHERE room_id = $1', [room.roomId])).rows[0]!.workstation).toBe(ws);
      const base = await app.listen({ port: 0, host: '127.0.0.1' });
      const agent = await SignalTestClient.connect(base, bearer(b));
      sockets.push(agent);
      expect(await agent.hello({ role: 'agent', room: room.roomId })).toMatchObject({ t: 'welcome', role: 'agent' });

      // `token list` material: three tokens of one workstation would show; here two, one expired.
      const rows = (await listTokens(db)).filter((t) => t.workstation_id === ws);
      expect(rows.map((t) => t.name).sort()).toEqual([ws, rotation.name].sort());
      expect(rows.every((t) => t.last_used_at !== null)).toBe(true);
      await expect(rotateToken(db, `nope-${tag()}`)).rejects.toThrow(/no workstation/);
    });

    it('rotation without a grace period stops the old tokens at once; a token created for an existing workstation shares it', async () => {
      const app = await server({ rateLimit: false });
      clock = Date.now();
      const ws = `rot0-${tag()}`;
      const a = await createToken(db, ws);
      const spare = await createToken(db, `${ws}-spare`, 'workstation', { workstation: ws });
      const chain = makeChain(2);
      expect((await push(app, spare, chain)).statusCode).toBe(200);
      expect((await push(app, a, extend(chain, 1).slice(2))).json()).toMatchObject({ accepted: 1 });
      await expect(createToken(db, `lead-${tag()}`, 'lead', { workstation: ws })).rejects.toThrow(/only workstation tokens/);
      const { token: b, retired } = await rotateToken(db, ws, { now: clock });
      expect(retired.map((r) => r.name).sort()).toEqual([ws, `${ws}-spare`].sort());
      for (const old of [a, spare]) expect((await changes(app, old)).json().error.code).toBe('TOKEN_EXPIRED');
      expect((await push(app, b, extend(chain, 2).slice(3))).json()).toMatchObject({ accepted: 1 });
      expect(parseDuration('90d')).toBe(90 * 86_400_000);
      expect(parseDuration('1h')).toBe(3_600_000);
      expect(parseDuration('0')).toBe(0);
      expect(() => parseDuration('1y')).toThrow(/not a duration/);
    });

    it('counts a signaling WebSocket once per connection, not per message', async () => {
      const app = await server({ rateLimit: { perTokenPerMinute: 3, perIpPerMinute: 100 } });
      const ws = await createToken(db, `rl-ws-${tag()}`);
      const created = await app.inject({ method: 'POST', url: ROOMS_PATH, headers: { ...bearer(ws), 'content-type': 'application/json' }, payload: { caseId: 'c-ws' } }); // 1
      const room = CreateRoomResponseSchema.parse(created.json());
      const base = await app.listen({ port: 0, host: '127.0.0.1' });
      const agent = await SignalTestClient.connect(base, bearer(ws)); // 2
      sockets.push(agent);
      expect(await agent.hello({ role: 'agent', room: room.roomId })).toMatchObject({ t: 'welcome' });
      for (let i = 0; i < 5; i++) {
        agent.send({ t: 'ping' });
        expect(await agent.next('pong')).toEqual({ t: 'pong' });
      }
      expect((await changes(app, ws)).statusCode).toBe(200); // 3
      expect((await changes(app, ws)).statusCode).toBe(429);
      await expect(SignalTestClient.connect(base, bearer(ws))).rejects.toThrow(/429/);
      agent.send({ t: 'ping' });
      expect(await agent.next('pong')).toEqual({ t: 'pong' });
    });

    it('sets the HTTP timeouts explicitly; requestTimeout cuts a slow request but not an open signaling WebSocket', async () => {
      // Fields given as undefined (what `serve` passes for unset flags and variables) keep their defaults.
      const defaults = await server({ timeouts: { connectionMs: undefined, requestMs: undefined }, rateLimit: { perTokenPerMinute: undefined, perIpPerMinute: undefined } });
      expect([defaults.server.timeout, defaults.server.requestTimeout, defaults.server.keepAliveTimeout]).toEqual([DEFAULT_TIMEOUTS.connectionMs, DEFAULT_TIMEOUTS.requestMs, DEFAULT_TIMEOUTS.keepAliveMs]);
      expect((await defaults.inject({ method: 'GET', url: '/api/v1/sync/changes' })).headers['x-ratelimit-limit']).toBe(String(DEFAULT_RATE_LIMITS.perIpPerMinute));

      const app = await server({ rateLimit: false, timeouts: { requestMs: 400, connectionMs: 400, keepAliveMs: 400 } });
      const ws = await createToken(db, `to-${tag()}`);
      const base = await app.listen({ port: 0, host: '127.0.0.1' });
      const port = Number(new URL(base).port);
      // A client that never finishes its headers is cut (408 or a close) soon after requestMs.
      const cut = await new Promise<{ ms: number; data: string }>((resolve) => {
        const t0 = Date.now();
        let data = '';
        const s = tcpConnect(port, '127.0.0.1', () => s.write('GET /health HTTP/1.1\r\nHost: x\r\n'));
        s.on('data', (d) => (data += d.toString()));
        s.on('close', () => resolve({ ms: Date.now() - t0, data }));
        s.on('error', () => undefined);
        setTimeout(() => s.destroy(), 5_000);
      });
      expect(cut.ms).toBeLessThan(3_000);
      expect(cut.data === '' || /^HTTP\/1\.1 408/.test(cut.data)).toBe(true);

      const created = await app.inject({ method: 'POST', url: ROOMS_PATH, headers: { ...bearer(ws), 'content-type': 'application/json' }, payload: { caseId: 'c-to' } });
      const room = CreateRoomResponseSchema.parse(created.json());
      const agent = await SignalTestClient.connect(base, bearer(ws));
      sockets.push(agent);
      expect(await agent.hello({ role: 'agent', room: room.roomId })).toMatchObject({ t: 'welcome' });
      let closed = false;
      void agent.closed.then(() => (closed = true));
      await sleep(2_000); // five request timeouts, five connection timeouts, idle
      expect(closed).toBe(false);
      agent.send({ t: 'ping' });
      expect(await agent.next('pong')).toEqual({ t: 'pong' });
    });

    it('migrating from version 3 keeps every workstation token and the cases stored under its name', async () => {
      const fresh = await freshDatabase(backend);
      try {
        const mdb = fresh.db;
        // Schema as a version-3 server left it.
        await mdb.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
        for (const m of SERVER_MIGRATIONS.filter((x) => x.version <= 3)) {
          for (const stmt of m.sql.split(/;\s*\n/).map((s) => s.trim()).filter(Boolean)) await mdb.query(stmt);
          await mdb.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version]);
        }
        // Tokens and a case as a version-3 server stored them: the case under the token's name.
        const oldWs = `vd_${randomBytes(32).toString('base64url')}`;
        const oldLead = `vd_${randomBytes(32).toString('base64url')}`;
        const retiredWs = `vd_${randomBytes(32).toString('base64url')}`;
        await mdb.query("INSERT INTO api_tokens (name, role, token_hash) VALUES ('ws-old', 'workstation', $1), ('lead-old', 'lead', $2), ('ws-gone', 'workstation', $3)", [hashToken(oldWs), hashToken(oldLead), hashToken(retiredWs)]);
        await mdb.query("UPDATE api_tokens SET revoked_at = now() WHERE name = 'ws-gone'");
        const chain = makeChain(2);
        const caseId = chain[0]!.caseId;
        await mdb.query("INSERT INTO cases (case_id, workstation, agent_id, opened_at, last_seq, last_hash) VALUES ($1, 'ws-old', 'agent-1', $2, 2, $3)", [caseId, chain[0]!.at, chain[1]!.hash]);
        for (const e of chain) {
          await mdb.query("INSERT INTO events (case_id, seq, type, at, actor, payload, prev_hash, hash, batch_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'v3-batch')", [e.caseId, e.seq, e.type, e.at, e.actor, canonicalJson(e.payload), e.prevHash, e.hash]);
        }

        await migrateServer(mdb);
        const { rows: versions } = await mdb.query<{ v: number }>('SELECT max(version) AS v FROM schema_migrations');
        expect(Number(versions[0]!.v)).toBe(SERVER_MIGRATIONS[SERVER_MIGRATIONS.length - 1]!.version);
        const { rows: wss } = await mdb.query<{ workstation_id: string }>('SELECT workstation_id FROM workstations ORDER BY workstation_id');
        expect(wss.map((w) => w.workstation_id)).toEqual(['ws-gone', 'ws-old']);
        const tokens = await listTokens(mdb);
        expect(tokens.map((t) => [t.name, t.workstation_id])).toEqual(
          expect.arrayContaining([
            ['ws-old', 'ws-old'],
            ['ws-gone', 'ws-gone'],
            ['lead-old', null],
          ]),
        );
        await expect(mdb.query("UPDATE api_tokens SET workstation_id = NULL WHERE name = 'ws-old'")).rejects.toThrow();
        await expect(mdb.query("UPDATE api_tokens SET workstation_id = 'ws-old' WHERE name = 'lead-old'")).rejects.toThrow();

        const app = await buildServer({ db: mdb, logger: silentLogger, rateLimit: false });
        apps.push(app);
        const more = extend(chain, 2);
        const r = await push(app, oldWs, more.slice(2, 3));
        expect(r.statusCode, r.body).toBe(200);
        expect(r.json()).toMatchObject({ accepted: 1, cases: [{ caseId, lastSeq: 3 }] });
        expect((await push(app, retiredWs, more.slice(3))).json().error.code).toBe('UNAUTHENTICATED');
        const list = await app.inject({ method: 'GET', url: '/api/v1/cases', headers: bearer(oldLead) });
        expect(list.json().cases).toEqual([expect.objectContaining({ case_id: caseId, workstation: 'ws-old', last_seq: 3 })]);
        const { token } = await rotateToken(mdb, 'ws-old');
        expect((await push(app, token, more.slice(3))).json()).toMatchObject({ accepted: 1, cases: [{ caseId, lastSeq: 4 }] });
        expect((await push(app, oldWs, more.slice(3))).json().error.code).toBe('TOKEN_EXPIRED');
      } finally {
        for (const a of apps.splice(0)) await a.close();
        await fresh.close();
      }
    });
  });
}

/** An empty database: PGlite in memory, or a new database on the suite's PostgreSQL cluster. */
async function freshDatabase(backend: DbBackend): Promise<{ db: ServerDb; close: () => Promise<void> }> {
  if (backend.name === 'PGlite') {
    const db = await openPglite();
    return { db, close: () => db.close() };
  }
  if (!pgStart.ok) throw new Error('no postgres');
  const name = `vd_auth_mig_${tag()}`;
  const admin = new pg.Client({ connectionString: pgStart.cluster.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(pgStart.cluster.url);
  url.pathname = `/${name}`;
  const db = await openPostgres(url.toString());
  return {
    db,
    close: async () => {
      await db.close();
      const c = new pg.Client({ connectionString: pgStart.cluster.url });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await c.end();
    },
  };
}
