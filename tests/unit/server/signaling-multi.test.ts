import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/main/log/logger';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import { openPostgres, type ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import type { SignalingOptions } from '../../../server/signaling/service';
import { SignalTestClient } from '../../../server/signaling/test-client';
import { startPostgres } from '../../../server/testing/pg-harness';
import { CreateRoomResponseSchema, ROOMS_PATH, SIGNAL_CLOSE_CODES, SIGNAL_LIMITS, type CreateRoomResponse } from '../../../src/shared/signaling';

const pgStart = await startPostgres();
afterAll(async () => {
  if (pgStart.ok) await pgStart.cluster.stop();
});

const CANDIDATE = { type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMLineIndex: 0, sdpMid: '0' } } as const;
const bigSdp = (tag: string) => ({ type: 'offer' as const, sdp: `v=0\r\n${`a=${tag}:${'x'.repeat(60)}\r\n`.repeat(400)}` });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!pgStart.ok)(`signaling across server instances on one PostgreSQL${pgStart.ok ? '' : ` (skipped: ${pgStart.reason})`}`, () => {
  const url = pgStart.ok ? pgStart.cluster.url : '';
  const instances: { db: ServerDb; app: FastifyInstance; base: string }[] = [];
  let A: (typeof instances)[number];
  let B: (typeof instances)[number];
  let ws: string;
  const open: SignalTestClient[] = [];

  const startInstance = async (signaling: SignalingOptions = {}) => {
    const db = await openPostgres(url);
    await migrateServer(db);
    const app = await buildServer({ db, logger: silentLogger, signaling: { publicUrl: 'https://verify.example.test', heartbeatIntervalMs: 200, ...signaling } });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const instance = { db, app, base };
    instances.push(instance);
    return instance;
  };

  beforeAll(async () => {
    // Two instances migrating at once: the advisory lock makes one wait for the other.
    [A, B] = await Promise.all([startInstance(), startInstance()]);
    ws = await createToken(A.db, `multi-ws-${randomBytes(3).toString('hex')}`);
  });
  afterEach(() => {
    for (const c of open.splice(0)) {
      expect(c.violations).toEqual([]);
      c.close();
    }
  });
  afterAll(async () => {
    for (const i of instances) {
      await i.app.close();
      await i.db.close();
    }
  });

  const createRoom = async (on: { app: FastifyInstance }): Promise<CreateRoomResponse> => {
    const r = await on.app.inject({ method: 'POST', url: ROOMS_PATH, headers: { authorization: `Bearer ${ws}`, 'content-type': 'application/json' }, payload: { caseId: 'case-multi' } });
    expect(r.statusCode, r.body).toBe(201);
    return CreateRoomResponseSchema.parse(r.json());
  };
  const connect = async (on: { base: string }, headers: Record<string, string> = {}) => {
    const c = await SignalTestClient.connect(on.base, headers);
    open.push(c);
    return c;
  };
  const agentOn = async (on: { base: string }, room: CreateRoomResponse) => {
    const c = await connect(on, { authorization: `Bearer ${ws}` });
    return { c, reply: await c.hello({ role: 'agent', room: room.roomId }) };
  };
  const customerOn = async (on: { base: string }, room: CreateRoomResponse, credential: { token?: string; resume?: string }) => {
    const c = await connect(on);
    return { c, reply: await c.hello({ role: 'customer', room: room.roomId, ...credential }) };
  };
  /** Agent on instance A, customer on instance B. */
  const crossCall = async () => {
    const room = await createRoom(A);
    const agent = await agentOn(A, room);
    expect(agent.reply).toMatchObject({ t: 'welcome', peerPresent: false });
    const customer = await customerOn(B, room, { token: room.joinUrl.split('#')[1]! });
    expect(customer.reply).toMatchObject({ t: 'welcome', peerPresent: true });
    expect(await agent.c.next('peer')).toEqual({ t: 'peer', state: 'joined' });
    return { room, agent: agent.c, customer: customer.c, resume: customer.reply.t === 'welcome' ? customer.reply.resume! : '' };
  };
  const storedCount = async () => Number((await A.db.query<{ n: number }>('SELECT count(*)::int AS n FROM signal_messages')).rows[0]!.n);

  it('agent on instance A and customer on instance B: presence and offer/answer/candidates relayed both ways', async () => {
    const { agent, customer } = await crossCall();
    const offer = { type: 'offer', sdp: 'v=0\r\ns=-\r\n' };
    agent.send({ t: 'signal', gen: 1, data: offer });
    expect(await customer.next('signal')).toEqual({ t: 'signal', gen: 1, data: offer });
    const answer = { type: 'answer', sdp: 'v=0\r\ns=answer\r\n' };
    customer.send({ t: 'signal', gen: 1, data: answer });
    expect(await agent.next('signal')).toEqual({ t: 'signal', gen: 1, data: answer });
    customer.send({ t: 'signal', gen: 1, data: CANDIDATE });
    expect(await agent.next('signal')).toEqual({ t: 'signal', gen: 1, data: CANDIDATE });
    agent.send({ t: 'signal', gen: 1, data: CANDIDATE });
    expect(await customer.next('signal')).toEqual({ t: 'signal', gen: 1, data: CANDIDATE });
    customer.close();
    expect(await agent.next('peer')).toEqual({ t: 'peer', state: 'left' });
  });

  it('messages larger than notifyInlineBytes cross instances through signal_messages both ways, in order', async () => {
    const { agent, customer } = await crossCall();
    const before = await storedCount();
    const offer = bigSdp('offer');
    const answer = { ...bigSdp('answer'), type: 'answer' as const };
    expect(JSON.stringify(offer).length).toBeGreaterThan(SIGNAL_LIMITS.notifyInlineBytes);
    agent.send({ t: 'signal', gen: 4, data: offer });
    agent.send({ t: 'signal', gen: 4, data: CANDIDATE });
    expect(await customer.next('signal')).toEqual({ t: 'signal', gen: 4, data: offer });
    expect(await customer.next('signal')).toEqual({ t: 'signal', gen: 4, data: CANDIDATE });
    customer.send({ t: 'signal', gen: 4, data: answer });
    expect(await agent.next('signal')).toEqual({ t: 'signal', gen: 4, data: answer });
    expect(await storedCount()).toBe(before + 2);
  });

  it('a customer resuming through instance A replaces its old connection on instance B (REPLACED)', async () => {
    const { room, agent, customer, resume } = await crossCall();
    const again = await customerOn(A, room, { resume });
    expect(again.reply).toMatchObject({ t: 'welcome', role: 'customer', peerPresent: true });
    expect(await customer.next('error')).toMatchObject({ code: 'REPLACED' });
    expect((await customer.closed).code).toBe(SIGNAL_CLOSE_CODES.REPLACED);
    expect(await agent.next('peer')).toEqual({ t: 'peer', state: 'joined' });
    agent.send({ t: 'signal', gen: 2, data: CANDIDATE });
    expect(await again.c.next('signal')).toEqual({ t: 'signal', gen: 2, data: CANDIDATE });
  });

  it('the workstation reconnecting through instance B replaces its agent connection on instance A', async () => {
    const { room, agent, customer } = await crossCall();
    const again = await agentOn(B, room);
    expect(again.reply).toMatchObject({ t: 'welcome', role: 'agent', peerPresent: true });
    expect((await agent.closed).code).toBe(SIGNAL_CLOSE_CODES.REPLACED);
    expect(await customer.next('peer')).toEqual({ t: 'peer', state: 'joined' });
    customer.send({ t: 'signal', gen: 3, data: CANDIDATE });
    expect(await again.c.next('signal')).toEqual({ t: 'signal', gen: 3, data: CANDIDATE });
  });

  it('bye on instance A closes the customer on instance B', async () => {
    const { agent, customer } = await crossCall();
    agent.send({ t: 'bye' });
    expect(await customer.next('closed')).toEqual({ t: 'closed', reason: 'ended' });
    expect((await customer.closed).code).toBe(1000);
    expect((await agent.closed).code).toBe(1000);
  });

  it("relaying resumes after an instance's LISTEN connection is killed (it reconnects and re-LISTENs)", async () => {
    const { agent, customer } = await crossCall();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const { rows } = await admin.query(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE query LIKE 'LISTEN %'`);
      // both instances' listener connections (one per instance, LISTENing on signaling's and the queue's
      // channels: its last statement is either LISTEN)
      expect(rows.length).toBeGreaterThanOrEqual(2);
    } finally {
      await admin.end();
    }
    // Messages sent while a listener is down are lost (documented); keep sending until one arrives.
    let gen = 10;
    const arrived = customer.next('signal', 8_000);
    const pump = setInterval(() => agent.send({ t: 'signal', gen: gen++, data: CANDIDATE }), 100);
    try {
      expect((await arrived).data).toEqual(CANDIDATE);
    } finally {
      clearInterval(pump);
    }
    await sleep(200);
    customer.inbox.splice(0);
    customer.send({ t: 'signal', gen: 99, data: CANDIDATE });
    expect(await agent.next('signal')).toEqual({ t: 'signal', gen: 99, data: CANDIDATE });
  });

  // Last: instance D's aggressive stale-seat sweep would otherwise race the other tests.
  it("a seat whose instance stops heartbeating goes stale: another instance's sweep frees it and the agent hears left", async () => {
    const C = await startInstance({ heartbeatIntervalMs: 600_000 }); // stands in for an instance that crashed
    const D = await startInstance({ seatStaleMs: 1_000, sweepIntervalMs: 100 });
    const room = await createRoom(D);
    const agent = await agentOn(D, room);
    const customer = await customerOn(C, room, { token: room.joinUrl.split('#')[1]! });
    expect(customer.reply.t).toBe('welcome');
    expect(await agent.c.next('peer')).toEqual({ t: 'peer', state: 'joined' });
    expect(await agent.c.next('peer', 5_000)).toEqual({ t: 'peer', state: 'left' });
    const { rows } = await D.db.query('SELECT 1 FROM signal_seats WHERE room_id = $1 AND role = $2', [room.roomId, 'customer']);
    expect(rows).toEqual([]);
    const again = await agentOn(D, room);
    expect(again.reply).toMatchObject({ t: 'welcome', peerPresent: false });
  });
});
