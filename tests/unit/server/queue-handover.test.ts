import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import type { ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import type { QueueService } from '../../../server/queue/service';
import { SignalTestClient } from '../../../server/signaling/test-client';
import { startPostgres } from '../../../server/testing/pg-harness';
import { AcceptedOfferSchema, AgentStatusSchema, CustomerQueueStatusSchema, HandoverResponseSchema, QUEUE_LIMITS, QUEUE_PATHS, type AgentStatus } from '../../../src/shared/queue';
import { dbBackends } from './db-backends';

const pgStart = await startPostgres();
afterAll(async () => {
  if (pgStart.ok) await pgStart.cluster.stop();
});

const jpeg = (size = 4096) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(size - 4)]);
const gif = () => Buffer.concat([Buffer.from('GIF89a', 'latin1'), randomBytes(500)]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 5_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const OFFER_TIMEOUT = 15_000;

for (const backend of dbBackends(pgStart)) {
  describe.skipIf(backend.skip !== null)(`queue hand-over, customer status, offers over HTTP on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let db: ServerDb;
    let app: FastifyInstance;
    let base: string;
    let service: QueueService;
    let clock = Date.now();
    let channel: string;
    const ws: Record<string, string> = {};
    const logLines: string[] = [];
    const tag = randomBytes(3).toString('hex');
    let n = 0;
    const secretsSeen: string[] = [];
    const refsSeen: string[] = [];

    beforeAll(async () => {
      db = await backend.open();
      await migrateServer(db);
      if (db.kind === 'postgres') await db.query('TRUNCATE queue_requests, queue_agents, queue_skills, queue_declines, queue_log');
      const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
      app = await buildServer({
        db,
        logger,
        now: () => clock,
        signaling: { publicUrl: 'https://verify.example.test' },
        referencePhotos: { serverKeyHex: randomBytes(32).toString('hex') },
        queue: { dispatchIntervalMs: 25, offerTimeoutMs: OFFER_TIMEOUT, onService: (s) => (service = s) },
      });
      base = await app.listen({ port: 0, host: '127.0.0.1' });
      channel = await createToken(db, `app-${tag}`, 'channel');
      for (const w of ['a', 'b', 'c']) ws[w] = await createToken(db, `qws-${w}-${tag}`);
    });
    afterAll(async () => {
      await app?.close();
      await db?.close();
    });

    const auth = (token: string) => ({ authorization: `Bearer ${token}` });
    const handover = (body: unknown, token = channel) => app.inject({ method: 'POST', url: QUEUE_PATHS.requests, headers: { ...auth(token), 'content-type': 'application/json' }, payload: typeof body === 'string' ? body : JSON.stringify(body) });
    const newBody = (o: Record<string, unknown> = {}) => {
      const customerRef = `CUST-${tag}-${++n}`;
      refsSeen.push(customerRef);
      return { channelRequestId: `cr-${tag}-${n}`, serviceType: 'transact', customerRef, intent: '想办理转账业务', priorChecks: [{ kind: 'sms_otp', result: 'pass', at: clock - 60_000, source: 'app', detail: 'SMS OTP to 138****0000' }], ...o };
    };
    const counts = async () => {
      const q = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM queue_requests');
      const p = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM reference_photos');
      return { requests: Number(q.rows[0]!.n), photos: Number(p.rows[0]!.n) };
    };
    const enqueue = async (o: Record<string, unknown> = {}) => {
      const r = await handover(newBody(o));
      expect(r.statusCode, r.body).toBe(201);
      const res = HandoverResponseSchema.parse(r.json());
      const secret = res.joinUrl!.split('#')[1]!;
      secretsSeen.push(secret);
      // Distinct enqueue times: the queue order is then the order of these calls.
      clock += 1;
      return { ...res, secret };
    };
    const status = async (requestId: string, secret: string | null) => app.inject({ method: 'GET', url: `${QUEUE_PATHS.requests}/${requestId}`, headers: secret === null ? {} : auth(secret) });
    const poll = async (requestId: string, secret: string) => {
      const r = await status(requestId, secret);
      expect(r.statusCode, r.body).toBe(200);
      return CustomerQueueStatusSchema.parse(r.json());
    };
    const setState = async (w: string, state: string) => {
      const r = await app.inject({ method: 'PUT', url: QUEUE_PATHS.agent, headers: { ...auth(ws[w]!), 'content-type': 'application/json' }, payload: { state, agentId: `agent-${w}` } });
      expect(r.statusCode, r.body).toBe(200);
      return AgentStatusSchema.parse(r.json());
    };
    const agent = async (w: string): Promise<AgentStatus> => AgentStatusSchema.parse((await app.inject({ method: 'GET', url: QUEUE_PATHS.agent, headers: auth(ws[w]!) })).json());
    const accept = (w: string, requestId: string, caseId: string) => app.inject({ method: 'POST', url: `${QUEUE_PATHS.offers}/${requestId}/accept`, headers: { ...auth(ws[w]!), 'content-type': 'application/json' }, payload: { caseId } });
    const offline = async () => {
      for (const w of Object.keys(ws)) await setState(w, 'offline');
    };

    it('refuses malformed hand-overs with INVALID_PAYLOAD naming the field, and stores nothing', async () => {
      const before = await counts();
      const cases: [unknown, string][] = [
        [{ ...newBody(), serviceType: 'loan' }, 'serviceType'],
        [{ ...newBody(), extra: 1 }, 'extra'],
        [{ ...newBody(), customerRef: '../etc' }, 'customerRef'],
        [{ ...newBody(), intent: 'x'.repeat(QUEUE_LIMITS.maxIntentChars + 1) }, 'intent'],
        [{ ...newBody(), priorChecks: [{ kind: 'sms_otp', result: 'maybe', at: 1, source: 'app' }] }, 'priorChecks.0.result'],
        [(({ channelRequestId: _c, ...rest }) => rest)(newBody()), 'channelRequestId'],
      ];
      for (const [body, field] of cases) {
        const r = await handover(body);
        expect(r.statusCode, field).toBe(400);
        expect(r.json().error.code).toBe('INVALID_PAYLOAD');
        expect(r.json().error.message).toContain(field);
      }
      const notJson = await handover('{"channelRequestId": ');
      expect([notJson.statusCode, notJson.json().error.code]).toEqual([400, 'INVALID_PAYLOAD']);
      expect(await counts()).toEqual(before);
    });

    it('refuses a body over 8 MiB with 413 PAYLOAD_TOO_LARGE and a bad photo with PHOTO_INVALID, storing nothing', async () => {
      const before = await counts();
      const big = await handover({ ...newBody(), intent: 'x'.repeat(QUEUE_LIMITS.maxBodyBytes + 10) });
      expect([big.statusCode, big.json().error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
      const bad = [
        { type: 'image/jpeg', base64: gif().toString('base64') },
        { type: 'image/png', base64: jpeg().toString('base64') },
        { type: 'image/jpeg', base64: '!!!not base64!!!' },
        { type: 'image/jpeg', base64: jpeg(20).toString('base64') },
        { type: 'image/jpeg', base64: '' },
      ];
      for (const referencePhoto of bad) {
        const r = await handover({ ...newBody(), referencePhoto });
        expect([r.statusCode, r.json().error.code], referencePhoto.base64.slice(0, 12)).toEqual([400, 'PHOTO_INVALID']);
      }
      expect(await counts()).toEqual(before);
    });

    it('only a channel token hands over: none → 401, a workstation token → 403', async () => {
      const none = await app.inject({ method: 'POST', url: QUEUE_PATHS.requests, headers: { 'content-type': 'application/json' }, payload: newBody() });
      expect(none.statusCode).toBe(401);
      expect((await handover(newBody(), ws.a)).statusCode).toBe(403);
    });

    it('is idempotent on channelRequestId: a replay answers the first id without a link, another body conflicts, racing duplicates make one row', async () => {
      const body = newBody();
      const first = HandoverResponseSchema.parse((await handover(body)).json());
      expect(first.joinUrl).toMatch(new RegExp(`^https://verify\\.example\\.test/join/q/${first.requestId}#[A-Za-z0-9_-]{43}$`));
      const replay = await handover({ ...body });
      expect(replay.statusCode).toBe(200);
      expect(replay.json()).toEqual({ requestId: first.requestId, joinUrl: null, state: 'waiting', replayed: true });
      const conflict = await handover({ ...body, intent: 'something else' });
      expect([conflict.statusCode, conflict.json().error.code]).toEqual([409, 'IDEMPOTENCY_CONFLICT']);

      const racing = newBody({ referencePhoto: { type: 'image/jpeg', base64: jpeg().toString('base64') } });
      const answers = await Promise.all(Array.from({ length: 8 }, () => handover(racing)));
      expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
      expect(new Set(answers.map((a) => a.json().requestId)).size).toBe(1);
      const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM queue_requests WHERE channel_request_id = $1', [racing.channelRequestId]);
      expect(rows.rows[0]!.n).toBe(1);
    });

    it("the customer's status needs the request's own secret: missing, wrong or another request's secret → 404 alike", async () => {
      const a = await enqueue();
      const b = await enqueue();
      for (const r of [await status(a.requestId, null), await status(a.requestId, randomBytes(32).toString('base64url')), await status(a.requestId, b.secret), await status('no-such-request', a.secret)]) {
        expect([r.statusCode, r.json().error.code]).toEqual([404, 'NOT_FOUND']);
      }
      const seen = await db.query<{ customer_seen_at: number | null }>('SELECT customer_seen_at FROM queue_requests WHERE request_id = $1', [a.requestId]);
      expect(seen.rows[0]!.customer_seen_at).toBeNull();
      await poll(a.requestId, a.secret);
      const after = await db.query<{ customer_seen_at: number | string }>('SELECT customer_seen_at FROM queue_requests WHERE request_id = $1', [a.requestId]);
      expect(Number(after.rows[0]!.customer_seen_at)).toBe(clock);
      await app.inject({ method: 'POST', url: `${QUEUE_PATHS.requests}/${a.requestId}/leave`, headers: auth(a.secret) });
      await app.inject({ method: 'POST', url: `${QUEUE_PATHS.requests}/${b.requestId}/leave`, headers: auth(b.secret) });
    });

    it('hand-over with a reference photo → the customer waits and sees the position → a ready agent gets the offer, a second agent does not → accept opens the room with the context and the photo, and the customer joins it with the same secret', async () => {
      await offline();
      const photo = jpeg(8192);
      const c1 = await enqueue({ referencePhoto: { type: 'image/jpeg', base64: photo.toString('base64') }, scriptStep: 'identity' });
      const c2 = await enqueue({ serviceType: 'transact' });
      // Encrypted at rest: the stored blob does not contain the image bytes.
      const stored = await db.query<{ ciphertext: Uint8Array }>('SELECT ciphertext FROM reference_photos');
      for (const row of stored.rows) expect(Buffer.from(row.ciphertext).includes(photo.subarray(0, 64))).toBe(false);

      const s1 = await poll(c1.requestId, c1.secret);
      expect(s1).toMatchObject({ state: 'waiting', position: 1, estimatedWaitS: null, roomId: null });
      expect((await poll(c2.requestId, c2.secret)).position).toBe(2);

      const a = await setState('a', 'ready');
      expect(a.state).toBe('ready');
      const offered = await until('the offer to agent a', async () => (await agent('a')).offer);
      expect(offered).toMatchObject({ requestId: c1.requestId, serviceType: 'transact', intent: '想办理转账业务', hasReferencePhoto: true, scriptStep: 'identity', origin: 'handover' });
      expect(offered.priorChecks).toEqual([expect.objectContaining({ kind: 'sms_otp', result: 'pass', source: 'app' })]);
      expect(offered.expiresAt - clock).toBe(OFFER_TIMEOUT);
      expect((await poll(c1.requestId, c1.secret)).state).toBe('offered');

      // A second agent gets the other customer, never the one already offered.
      await setState('b', 'ready');
      const bOffer = await until('the offer to agent b', async () => (await agent('b')).offer);
      expect(bOffer.requestId).toBe(c2.requestId);

      const foreign = await accept('b', c1.requestId, 'case-foreign');
      expect([foreign.statusCode, foreign.json().error.code]).toEqual([409, 'OFFER_GONE']);
      const r = await accept('a', c1.requestId, `case-${tag}-1`);
      expect(r.statusCode, r.body).toBe(200);
      const accepted = AcceptedOfferSchema.parse(r.json());
      expect(accepted.offer.customerRef).toBe(offered.customerRef);
      expect(accepted.referencePhoto?.type).toBe('image/jpeg');
      expect(Buffer.from(accepted.referencePhoto!.base64, 'base64').equals(photo)).toBe(true);
      expect((await agent('a')).state).toBe('busy');
      const assigned = await poll(c1.requestId, c1.secret);
      expect(assigned).toMatchObject({ state: 'assigned', position: null, roomId: accepted.roomId });

      // The real signaling admission takes the customer's hand-over secret as the room's join token.
      const agentWs = await SignalTestClient.connect(base, auth(ws.a!));
      const customerWs = await SignalTestClient.connect(base);
      try {
        expect(await agentWs.hello({ role: 'agent', room: accepted.roomId })).toMatchObject({ t: 'welcome', caseId: `case-${tag}-1` });
        expect(await customerWs.hello({ role: 'customer', room: accepted.roomId, token: c1.secret })).toMatchObject({ t: 'welcome', peerPresent: true });
        expect(await agentWs.next('peer')).toEqual({ t: 'peer', state: 'joined' });
        expect(agentWs.violations.concat(customerWs.violations)).toEqual([]);
      } finally {
        agentWs.close();
        customerWs.close();
      }
      const other = await SignalTestClient.connect(base);
      try {
        expect(await other.hello({ role: 'customer', room: accepted.roomId, token: c2.secret })).toMatchObject({ t: 'error', code: 'TOKEN_INVALID' });
      } finally {
        other.close();
      }

      const fin = await app.inject({ method: 'POST', url: `${QUEUE_PATHS.requests}/${c1.requestId}/finish`, headers: auth(ws.a!) });
      expect(fin.statusCode, fin.body).toBe(200);
      expect((await agent('a')).state).toBe('ready');
      const decline = await app.inject({ method: 'POST', url: `${QUEUE_PATHS.offers}/${c2.requestId}/decline`, headers: auth(ws.b!) });
      expect(decline.statusCode).toBe(200);
      // b declined: a (ready again) gets c2 once the customer polls.
      await poll(c2.requestId, c2.secret);
      expect((await until('c2 offered to a', async () => (await agent('a')).offer)).requestId).toBe(c2.requestId);
      expect((await agent('b')).offer).toBeNull();
      const left = await app.inject({ method: 'POST', url: `${QUEUE_PATHS.requests}/${c2.requestId}/leave`, headers: auth(c2.secret) });
      expect(left.json()).toMatchObject({ state: 'left', position: null });
      expect((await agent('a')).offer).toBeNull();
    });

    it('an offer not accepted within the timeout passes to the next ready agent; the first is set away (missed_offer) and its late accept is OFFER_GONE', async () => {
      await offline();
      const c = await enqueue();
      await poll(c.requestId, c.secret);
      await setState('a', 'ready');
      clock += 1;
      await setState('b', 'ready');
      const first = await until('the offer to a', async () => (await agent('a')).offer);
      expect(first.requestId).toBe(c.requestId);
      expect((await agent('b')).offer).toBeNull();
      clock = first.expiresAt - 1;
      await poll(c.requestId, c.secret);
      await service.kick();
      expect((await agent('a')).offer?.requestId).toBe(c.requestId);
      clock = first.expiresAt;
      await poll(c.requestId, c.secret);
      const moved = await until('the offer to b', async () => (await agent('b')).offer);
      expect(moved.requestId).toBe(c.requestId);
      expect(moved.enqueuedAt).toBe(first.enqueuedAt);
      const a = await agent('a');
      expect([a.state, a.reason, a.offer]).toEqual(['away', 'missed_offer', null]);
      const late = await accept('a', c.requestId, 'case-late');
      expect([late.statusCode, late.json().error.code]).toEqual([409, 'OFFER_GONE']);
      const log = await db.query<{ kind: string }>('SELECT kind FROM queue_log WHERE request_id = $1 ORDER BY log_id', [c.requestId]);
      expect(log.rows.map((r) => r.kind)).toEqual(['enqueued', 'offered', 'offer_timeout', 'offered']);
      await app.inject({ method: 'POST', url: `${QUEUE_PATHS.requests}/${c.requestId}/leave`, headers: auth(c.secret) });
    });

    it('the estimated wait appears once an agent with the skill is signed in, and the agent state body is validated', async () => {
      await offline();
      const c = await enqueue({ serviceType: 'consult' });
      expect((await poll(c.requestId, c.secret)).estimatedWaitS).toBeNull();
      await setState('c', 'busy');
      expect((await poll(c.requestId, c.secret)).estimatedWaitS).toBe(180);
      const bad = await app.inject({ method: 'PUT', url: QUEUE_PATHS.agent, headers: { ...auth(ws.c!), 'content-type': 'application/json' }, payload: { state: 'sleeping', agentId: 'x' } });
      expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'INVALID_PAYLOAD']);
      await app.inject({ method: 'POST', url: `${QUEUE_PATHS.requests}/${c.requestId}/leave`, headers: auth(c.secret) });
    });

    it('never logs a customer reference or a secret', () => {
      const all = logLines.join('\n');
      expect(refsSeen.length).toBeGreaterThan(5);
      for (const ref of refsSeen) expect(all).not.toContain(ref);
      for (const s of secretsSeen) expect(all).not.toContain(s);
    });
  });
}
