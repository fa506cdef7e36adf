import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/main/log/logger';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import type { ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import { SignalTestClient } from '../../../server/signaling/test-client';
import { startPostgres } from '../../../server/testing/pg-harness';
import { dbBackends } from './db-backends';
import type { IceConfig } from '../../../server/turn/credentials';
import {
  CreateRoomResponseSchema,
  ROOM_ID_PATTERN,
  ROOMS_PATH,
  SIGNAL_CLOSE_CODES,
  SIGNAL_LIMITS,
  type CreateRoomResponse,
  type SignalErrorCode,
} from '../../../src/shared/signaling';

const pgStart = await startPostgres();
afterAll(async () => {
  if (pgStart.ok) await pgStart.cluster.stop();
});

const backends = dbBackends(pgStart);

const T0 = 1_800_000_000_000;
const PUBLIC_URL = 'https://verify.example.test';
const TURN_SECRET = 'unit-test-turn-secret';
const ICE: IceConfig = {
  turnUrls: ['turn:127.0.0.1:3478?transport=udp'],
  turnSecret: TURN_SECRET,
  turnTtlS: 3600,
  stunUrls: ['stun:127.0.0.1:3478'],
  iceTransportPolicy: 'all',
};
const OFFER = { type: 'offer', sdp: 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' } as const;
const ANSWER = { type: 'answer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' } as const;
const CANDIDATE = { type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMLineIndex: 0, sdpMid: '0' } } as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const backend of backends) {
  describe.skipIf(backend.skip !== null)(`signaling on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let db: ServerDb;
    let app: FastifyInstance;
    let base: string;
    let clock = T0;
    let wsA: string;
    let wsB: string;
    let lead: string;
    const open: SignalTestClient[] = [];

    beforeAll(async () => {
      db = await backend.open();
      await migrateServer(db);
      await migrateServer(db); // idempotent with version 2
      app = await buildServer({
        db,
        logger: silentLogger,
        signaling: { publicUrl: `${PUBLIC_URL}/`, ice: ICE, now: () => clock, limits: { helloTimeoutMs: 300 }, sweepIntervalMs: 50 },
      });
      base = await app.listen({ port: 0, host: '127.0.0.1' });
      const tag = randomBytes(3).toString('hex');
      wsA = await createToken(db, `sig-ws-a-${tag}`);
      wsB = await createToken(db, `sig-ws-b-${tag}`);
      lead = await createToken(db, `sig-lead-${tag}`, 'lead');
    });
    afterEach(() => {
      for (const c of open.splice(0)) {
        expect(c.violations).toEqual([]);
        c.close();
      }
    });
    afterAll(async () => {
      await app?.close();
      await db?.close();
    });

    const postRoom = (token: string | null, body: unknown = { caseId: 'case-0001' }) =>
      app.inject({
        method: 'POST',
        url: ROOMS_PATH,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
        payload: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const createRoom = async (token = wsA, caseId = 'case-0001'): Promise<CreateRoomResponse> => {
      const r = await postRoom(token, { caseId });
      expect(r.statusCode, r.body).toBe(201);
      return CreateRoomResponseSchema.parse(r.json());
    };
    const joinToken = (room: CreateRoomResponse) => room.joinUrl.split('#')[1]!;
    const connect = async (headers: Record<string, string> = {}) => {
      const c = await SignalTestClient.connect(base, headers);
      open.push(c);
      return c;
    };
    const asAgent = async (room: CreateRoomResponse | string, token: string | null = wsA) => {
      const c = await connect(token ? { authorization: `Bearer ${token}` } : {});
      const reply = await c.hello({ role: 'agent', room: typeof room === 'string' ? room : room.roomId });
      return { c, reply };
    };
    const asCustomer = async (room: CreateRoomResponse | string, credential: { token?: string; resume?: string }) => {
      const c = await connect();
      const reply = await c.hello({ role: 'customer', room: typeof room === 'string' ? room : room.roomId, ...credential });
      return { c, reply };
    };
    /** A room with both seats taken. */
    const call = async () => {
      const room = await createRoom();
      const agent = await asAgent(room);
      expect(agent.reply.t).toBe('welcome');
      const customer = await asCustomer(room, { token: joinToken(room) });
      expect(customer.reply.t).toBe('welcome');
      expect(await agent.c.next('peer')).toEqual({ t: 'peer', state: 'joined' });
      return { room, agent: agent.c, customer: customer.c, resume: customer.reply.t === 'welcome' ? customer.reply.resume! : '' };
    };
    const expectRefused = async (c: SignalTestClient, reply: { t: string; code?: string } | null, code: SignalErrorCode) => {
      if (reply) expect(reply).toMatchObject({ t: 'error', code });
      else expect(await c.next('error')).toMatchObject({ t: 'error', code });
      expect((await c.closed).code).toBe(SIGNAL_CLOSE_CODES[code]);
    };
    const relays = async (from: SignalTestClient, to: SignalTestClient, gen = 1) => {
      from.send({ t: 'signal', gen, data: CANDIDATE });
      expect(await to.next('signal')).toEqual({ t: 'signal', gen, data: CANDIDATE });
    };

    it('ServerDb listen/notify delivers payloads to a handler until it unlistens', async () => {
      const got: string[] = [];
      const stop = await db.listen('vd_unit_chan', (p) => got.push(p));
      await db.notify('vd_unit_chan', 'first');
      for (let i = 0; i < 100 && got.length === 0; i++) await sleep(10);
      expect(got).toEqual(['first']);
      await stop();
      await db.notify('vd_unit_chan', 'second');
      await sleep(100);
      expect(got).toEqual(['first']);
      await expect(db.listen('bad channel; DROP TABLE x', () => undefined)).rejects.toThrow(/invalid notification channel/);
    });

    it('POST /api/v1/rooms: a workstation creates a room with a single-use join link; the token is stored only as sha256', async () => {
      const r = await postRoom(wsA, { caseId: 'case-abc.1' });
      expect(r.statusCode).toBe(201);
      expect(r.headers['cache-control']).toBe('no-store');
      const room = CreateRoomResponseSchema.parse(r.json());
      expect(room.roomId).toMatch(ROOM_ID_PATTERN);
      expect(room.roomId.length).toBeGreaterThanOrEqual(22); // 128 bits of base64url
      expect(room.caseId).toBe('case-abc.1');
      expect(room.joinUrl).toMatch(new RegExp(`^${PUBLIC_URL.replace(/\./g, '\\.')}/join/${room.roomId}#[A-Za-z0-9_-]{43}$`));
      expect(room.joinExpiresAt).toBe(clock + SIGNAL_LIMITS.joinTokenTtlMs);
      expect(room.expiresAt).toBe(clock + SIGNAL_LIMITS.roomTtlMs);
      const { rows } = await db.query<{ join_hash: string; workstation: string }>('SELECT join_hash, workstation FROM signal_rooms WHERE room_id = $1', [room.roomId]);
      expect(rows[0]!.join_hash).toBe(createHash('sha256').update(joinToken(room)).digest('hex'));
      expect(rows[0]!.workstation).toMatch(/^sig-ws-a-/);
      const other = await createRoom();
      expect(other.roomId).not.toBe(room.roomId);
      expect(joinToken(other)).not.toBe(joinToken(room));
    });

    it('POST /api/v1/rooms refuses no token (401), an unknown token (401), a lead token (403), a bad body (400) and a big one (413)', async () => {
      const before = Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM signal_rooms')).rows[0]!.n);
      for (const [token, body, status, code] of [
        [null, { caseId: 'c1' }, 401, 'UNAUTHENTICATED'],
        ['vd_not-a-real-token-at-all', { caseId: 'c1' }, 401, 'UNAUTHENTICATED'],
        [lead, { caseId: 'c1' }, 403, 'FORBIDDEN'],
        [wsA, { caseId: 'bad case id!' }, 400, 'MALFORMED_MESSAGE'],
        [wsA, { caseId: 'c1', extra: 1 }, 400, 'MALFORMED_MESSAGE'],
        [wsA, '{"caseId":', 400, 'MALFORMED_MESSAGE'],
        [wsA, { caseId: 'c1', pad: 'x'.repeat(5_000) }, 413, 'MESSAGE_TOO_LARGE'],
      ] as const) {
        const r = await postRoom(token, body);
        expect([r.statusCode, r.json().error.code], JSON.stringify(body)).toEqual([status, code]);
      }
      expect(Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM signal_rooms')).rows[0]!.n)).toBe(before);
    });

    it('agent then customer join: welcome carries caseId, resume, TURN REST credentials and presence; peer joined/left are announced', async () => {
      const room = await createRoom(wsA, 'case-welcome');
      const agent = await asAgent(room);
      expect(agent.reply).toMatchObject({ t: 'welcome', role: 'agent', room: room.roomId, caseId: 'case-welcome', peerPresent: false, iceTransportPolicy: 'all', roomExpiresAt: room.expiresAt });
      expect(agent.reply).not.toHaveProperty('resume');
      const customer = await asCustomer(room, { token: joinToken(room) });
      expect(customer.reply).toMatchObject({ t: 'welcome', role: 'customer', peerPresent: true });
      if (customer.reply.t !== 'welcome') throw new Error('no welcome');
      expect(customer.reply.resume).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(customer.reply.iceExpiresAt).toBe(clock + 3600_000);
      const username = `${Math.floor(customer.reply.iceExpiresAt / 1000)}:${room.roomId}`;
      expect(customer.reply.iceServers).toEqual([
        { urls: ['stun:127.0.0.1:3478'] },
        { urls: ['turn:127.0.0.1:3478?transport=udp'], username, credential: createHmac('sha1', TURN_SECRET).update(username).digest('base64') },
      ]);
      expect(await agent.c.next('peer')).toEqual({ t: 'peer', state: 'joined' });
      // Only hashes in the database.
      const { rows } = await db.query<{ resume_hash: string; join_used_at: number }>('SELECT resume_hash, join_used_at FROM signal_rooms WHERE room_id = $1', [room.roomId]);
      expect(rows[0]!.resume_hash).toBe(createHash('sha256').update(customer.reply.resume!).digest('hex'));
      expect(Number(rows[0]!.join_used_at)).toBe(clock);
      customer.c.close();
      expect(await agent.c.next('peer')).toEqual({ t: 'peer', state: 'left' });
    });

    it('relays offer, answer and candidates both ways, and app messages of the right side; ping gets pong', async () => {
      const { agent, customer } = await call();
      agent.send({ t: 'signal', gen: 1, data: OFFER });
      expect(await customer.next('signal')).toEqual({ t: 'signal', gen: 1, data: OFFER });
      customer.send({ t: 'signal', gen: 1, data: ANSWER });
      expect(await agent.next('signal')).toEqual({ t: 'signal', gen: 1, data: ANSWER });
      await relays(agent, customer);
      await relays(customer, agent);
      const device = { kind: 'device', videoLabel: 'FaceTime HD Camera', audioLabel: 'Built-in Microphone', settings: { width: 1280, height: 720, frameRate: 30 }, userAgent: 'test' };
      customer.send({ t: 'app', data: device });
      expect(await agent.next('app')).toEqual({ t: 'app', data: device });
      agent.send({ t: 'app', data: { kind: 'end', reason: 'completed' } });
      expect(await customer.next('app')).toEqual({ t: 'app', data: { kind: 'end', reason: 'completed' } });
      agent.send({ t: 'ping' });
      expect(await agent.next('pong')).toEqual({ t: 'pong' });
      // Many messages in a row arrive in order.
      for (let i = 0; i < 30; i++) agent.send({ t: 'signal', gen: i, data: CANDIDATE });
      const gens: number[] = [];
      for (let i = 0; i < 30; i++) gens.push((await customer.next('signal')).gen);
      expect(gens).toEqual([...Array(30).keys()]);
    });

    it('relays a message larger than notifyInlineBytes through signal_messages', async () => {
      const { agent, customer } = await call();
      const before = Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM signal_messages')).rows[0]!.n);
      const big = { type: 'offer', sdp: `v=0\r\n${'a=candidate:x\r\n'.repeat(2_000)}`.slice(0, 40_000) };
      expect(JSON.stringify(big).length).toBeGreaterThan(SIGNAL_LIMITS.notifyInlineBytes);
      agent.send({ t: 'signal', gen: 2, data: big });
      agent.send({ t: 'signal', gen: 2, data: CANDIDATE }); // small, sent after: must not overtake
      expect(await customer.next('signal')).toEqual({ t: 'signal', gen: 2, data: big });
      expect(await customer.next('signal')).toEqual({ t: 'signal', gen: 2, data: CANDIDATE });
      const after = Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM signal_messages')).rows[0]!.n);
      expect(after).toBe(before + 1);
    });

    it('refuses the agent seat without a token (UNAUTHENTICATED), with a lead or another workstation token (FORBIDDEN), for an unknown room (ROOM_NOT_FOUND)', async () => {
      const room = await createRoom(wsA);
      let r = await asAgent(room, null);
      await expectRefused(r.c, r.reply, 'UNAUTHENTICATED');
      r = await asAgent(room, 'vd_not-a-real-token-at-all');
      await expectRefused(r.c, r.reply, 'UNAUTHENTICATED');
      r = await asAgent(room, lead);
      await expectRefused(r.c, r.reply, 'FORBIDDEN');
      r = await asAgent(room, wsB);
      await expectRefused(r.c, r.reply, 'FORBIDDEN');
      r = await asAgent('AAAAAAAAAAAAAAAAAAAAAA', wsA);
      await expectRefused(r.c, r.reply, 'ROOM_NOT_FOUND');
      const c = await asCustomer('AAAAAAAAAAAAAAAAAAAAAA', { token: joinToken(room) });
      await expectRefused(c.c, c.reply, 'ROOM_NOT_FOUND');
      // The right workstation still gets in.
      expect((await asAgent(room, wsA)).reply.t).toBe('welcome');
    });

    it('refuses a wrong join token, a token of another room (TOKEN_INVALID) and a reused token (TOKEN_USED)', async () => {
      const roomA = await createRoom();
      const roomB = await createRoom();
      let r = await asCustomer(roomA, { token: randomBytes(32).toString('base64url') });
      await expectRefused(r.c, r.reply, 'TOKEN_INVALID');
      r = await asCustomer(roomB, { token: joinToken(roomA) });
      await expectRefused(r.c, r.reply, 'TOKEN_INVALID');
      const first = await asCustomer(roomA, { token: joinToken(roomA) });
      expect(first.reply.t).toBe('welcome');
      r = await asCustomer(roomA, { token: joinToken(roomA) });
      await expectRefused(r.c, r.reply, 'TOKEN_USED');
      // Room B's own token was not burnt by the attempt with room A's.
      expect((await asCustomer(roomB, { token: joinToken(roomB) })).reply.t).toBe('welcome');
      // A malformed hello (both token and resume) is not a valid hello.
      const both = await connect();
      both.send({ t: 'hello', role: 'customer', room: roomA.roomId, token: joinToken(roomA), resume: joinToken(roomA) });
      await expectRefused(both, null, 'MALFORMED_MESSAGE');
    });

    it('refuses a join token once joinTokenTtlMs has passed (TOKEN_EXPIRED), on the injected clock', async () => {
      const room = await createRoom();
      clock += SIGNAL_LIMITS.joinTokenTtlMs - 1;
      const fresh = await createRoom();
      clock += 1;
      const r = await asCustomer(room, { token: joinToken(room) });
      await expectRefused(r.c, r.reply, 'TOKEN_EXPIRED');
      // A room created later is still joinable; the expired room's agent seat still works.
      expect((await asCustomer(fresh, { token: joinToken(fresh) })).reply.t).toBe('welcome');
      expect((await asAgent(room)).reply.t).toBe('welcome');
    });

    it('a customer resume takes over the seat: the old connection gets REPLACED, the agent sees joined, relay goes to the new one', async () => {
      const { room, agent, customer, resume } = await call();
      const again = await asCustomer(room, { resume });
      expect(again.reply).toMatchObject({ t: 'welcome', role: 'customer', peerPresent: true });
      expect(again.reply).not.toHaveProperty('resume');
      await expectRefused(customer, null, 'REPLACED');
      expect(await agent.next('peer')).toEqual({ t: 'peer', state: 'joined' });
      await relays(agent, again.c, 2);
      await relays(again.c, agent, 2);
      // The replaced socket's close did not announce `left`: the seat is held.
      expect((await agent.idle(100)).filter((m) => m.t === 'peer')).toEqual([]);
      // Resume secrets are bound to their room and must match.
      const other = await createRoom();
      let r = await asCustomer(other, { resume });
      await expectRefused(r.c, r.reply, 'TOKEN_INVALID');
      r = await asCustomer(room, { resume: randomBytes(32).toString('base64url') });
      await expectRefused(r.c, r.reply, 'TOKEN_INVALID');
    });

    it('a second agent connection for the room replaces the first (the workstation reconnecting)', async () => {
      const { room, agent, customer } = await call();
      const again = await asAgent(room);
      expect(again.reply).toMatchObject({ t: 'welcome', role: 'agent', peerPresent: true });
      await expectRefused(agent, null, 'REPLACED');
      expect(await customer.next('peer')).toEqual({ t: 'peer', state: 'joined' });
      await relays(customer, again.c, 3);
      await relays(again.c, customer, 3);
    });

    it('hostile clients are closed with their code while another room keeps relaying', async () => {
      const steady = await call();
      const cases: { name: string; code: SignalErrorCode; closeCode?: number; act: (c: SignalTestClient, victim: CreateRoomResponse) => void }[] = [
        { name: 'bad JSON', code: 'MALFORMED_MESSAGE', act: (c) => c.send('{"t":"signal","gen":1,') },
        { name: 'naming another room', code: 'MALFORMED_MESSAGE', act: (c) => c.send({ t: 'signal', gen: 1, data: OFFER, room: steady.room.roomId }) },
        { name: 'a second hello for another room', code: 'MALFORMED_MESSAGE', act: (c) => c.send({ t: 'hello', role: 'customer', room: steady.room.roomId, resume: steady.resume }) },
        { name: "the agent's app message from the customer", code: 'MALFORMED_MESSAGE', act: (c) => c.send({ t: 'app', data: { kind: 'end', reason: 'completed' } }) },
        { name: 'unknown message type', code: 'MALFORMED_MESSAGE', act: (c) => c.send({ t: 'join', room: steady.room.roomId }) },
        { name: 'binary frame', code: 'MALFORMED_MESSAGE', act: (c) => c.send(Buffer.from([1, 2, 3])) },
        {
          name: 'oversize (> 64 KiB)',
          code: 'MESSAGE_TOO_LARGE',
          act: (c) => c.send(JSON.stringify({ t: 'signal', gen: 1, data: { type: 'offer', sdp: 'x'.repeat(SIGNAL_LIMITS.maxMessageBytes + 1) } })),
        },
        {
          name: 'flood',
          code: 'RATE_LIMITED',
          act: (c) => {
            for (let i = 0; i < SIGNAL_LIMITS.burst * 3; i++) c.send({ t: 'ping' });
          },
        },
      ];
      for (const hostile of cases) {
        const victim = await call();
        hostile.act(victim.customer, victim.room);
        if (hostile.code === 'MESSAGE_TOO_LARGE') expect((await victim.customer.closed).code, hostile.name).toBe(1009);
        else await expectRefused(victim.customer, null, hostile.code);
        // The flood was answered up to the bucket's burst (plus what refilled meanwhile), then cut.
        if (hostile.code === 'RATE_LIMITED') expect(victim.customer.log.filter((m) => m.t === 'pong').length).toBeLessThanOrEqual(SIGNAL_LIMITS.burst + 5);
        // Its peer sees it leave; the other room's call is untouched and still relays both ways.
        expect(await victim.agent.next('peer'), hostile.name).toEqual({ t: 'peer', state: 'left' });
        await relays(steady.agent, steady.customer);
        await relays(steady.customer, steady.agent);
        expect(steady.customer.inbox.filter((m) => m.t !== 'pong'), hostile.name).toEqual([]);
      }
      expect(steady.agent.log.some((m) => m.t === 'error' || m.t === 'closed')).toBe(false);
    });

    it('closes a connection that sends no hello within the hello timeout (HELLO_TIMEOUT) or something else first', async () => {
      const silent = await connect();
      await expectRefused(silent, null, 'HELLO_TIMEOUT');
      const rude = await connect();
      rude.send({ t: 'ping' });
      await expectRefused(rude, null, 'MALFORMED_MESSAGE');
    });

    it('bye from the agent closes the room for both; rejoining it is refused with ROOM_CLOSED; a customer bye only leaves', async () => {
      const { room, agent, customer, resume } = await call();
      agent.send({ t: 'bye' });
      expect(await agent.next('closed')).toEqual({ t: 'closed', reason: 'ended' });
      expect(await customer.next('closed')).toEqual({ t: 'closed', reason: 'ended' });
      expect((await agent.closed).code).toBe(1000);
      expect((await customer.closed).code).toBe(1000);
      let r = await asAgent(room);
      await expectRefused(r.c, r.reply, 'ROOM_CLOSED');
      r = await asCustomer(room, { resume });
      await expectRefused(r.c, r.reply, 'ROOM_CLOSED');
      expect(Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM signal_seats WHERE room_id = $1', [room.roomId])).rows[0]!.n)).toBe(0);

      const second = await call();
      second.customer.send({ t: 'bye' });
      expect((await second.customer.closed).code).toBe(1000);
      expect(await second.agent.next('peer')).toEqual({ t: 'peer', state: 'left' });
      expect(second.agent.log.some((m) => m.t === 'closed')).toBe(false);
    });

    // Last: it moves the shared clock past every room's lifetime.
    it('the expiry sweep closes a room past roomTtlMs for both (closed: expired); later hellos get ROOM_EXPIRED', async () => {
      const { room, agent, customer, resume } = await call();
      const idle = await createRoom();
      clock += SIGNAL_LIMITS.roomTtlMs;
      expect(await agent.next('closed')).toEqual({ t: 'closed', reason: 'expired' });
      expect(await customer.next('closed')).toEqual({ t: 'closed', reason: 'expired' });
      let r = await asCustomer(room, { resume });
      await expectRefused(r.c, r.reply, 'ROOM_EXPIRED');
      r = await asAgent(idle);
      await expectRefused(r.c, r.reply, 'ROOM_EXPIRED');
    });
  });
}
