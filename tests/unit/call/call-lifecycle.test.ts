/**
 * CallService's edges against the real backend and a real case store: calls that cannot start, a
 * room the backend closes by itself, and ending a call while the backend is down.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildServer } from '../../../server/app';
import { createToken, revokeToken } from '../../../server/auth/tokens';
import { openPglite, type ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import type { CallState } from '../../../src/shared/call';
import type { EventName } from '../../../src/shared/contract';
import { SIGNAL_LIMITS } from '../../../src/shared/signaling';
import { CallService } from '../../../src/main/call/call-service';
import { createRoom } from '../../../src/main/call/room-client';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { CaseStore } from '../../../src/main/caselog/store';
import { silentLogger } from '../../../src/main/log/logger';

let db: ServerDb;
let app: FastifyInstance;
let backendUrl: string;
let token: string;
let dir: string;
let store: CaseStore;
let serverNow = Date.now();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vd-call-lifecycle-'));
  store = CaseStore.open({ path: join(dir, 'cases.db'), keyProvider: new StaticKeyProvider(Buffer.alloc(32, 3)) });
  db = await openPglite();
  await migrateServer(db);
  token = await createToken(db, 'ws-1');
  // the server's clock is the test's, so a room can be made to expire; the sweep runs often
  app = await buildServer({ db, logger: silentLogger, signaling: { now: () => serverNow, sweepIntervalMs: 100 } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  backendUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app?.close();
  await db?.close();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function service(over: { token?: string; backendUrl?: string; byeTimeoutMs?: number } = {}) {
  const events: Array<{ event: EventName; payload: unknown }> = [];
  const stopRecordings = vi.fn();
  const releaseStream = vi.fn();
  const calls = new CallService({
    store,
    settings: () => ({ agentId: 'agent-9', backendUrl: over.backendUrl ?? backendUrl }),
    token: 'token' in over ? over.token : token,
    log: silentLogger,
    emit: (event, payload) => events.push({ event, payload }),
    stopRecordings,
    releaseStream,
    signaling: { backoff: { baseMs: 50, maxMs: 200 } },
    byeTimeoutMs: over.byeTimeoutMs,
  });
  const states = () => events.filter((e) => e.event === 'call.state').map((e) => e.payload as CallState);
  return { calls, events, states, stopRecordings, releaseStream };
}

const types = (caseId: string) => store.events(caseId).map((e) => e.type);

describe('call.start refusals', () => {
  it('is UNAVAILABLE without a backend token, and opens no case', async () => {
    const before = store.countCases();
    await expect(service({ token: undefined }).calls.start({})).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(store.countCases()).toBe(before);
  });

  it('is UNAVAILABLE when the backend is unreachable, and opens no case', async () => {
    const before = store.countCases();
    await expect(service({ backendUrl: 'http://127.0.0.1:1' }).calls.start({})).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(store.countCases()).toBe(before);
  });

  it('is BACKEND_REFUSED with the backend\'s code for a revoked token', async () => {
    const revoked = await createToken(db, 'ws-revoked');
    await revokeToken(db, 'ws-revoked');
    await expect(service({ token: revoked }).calls.start({})).rejects.toMatchObject({ code: 'BACKEND_REFUSED', message: expect.stringMatching(/^UNAUTHENTICATED: /) });
  });
});

describe('room client error mapping (scripted HTTP backend)', () => {
  let http: Server;
  let url: string;
  let reply: { status: number; body: string };
  beforeAll(async () => {
    http = createServer((_req, res) => res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => http.close(() => r())));

  it.each([
    ['a refusal with the backend\'s code', 403, { error: { code: 'FORBIDDEN', message: 'not yours' } }, 'BACKEND_REFUSED', 'FORBIDDEN: not yours'],
    ['a 503', 503, { error: { code: 'UNAVAILABLE', message: 'retry' } }, 'UNAVAILABLE', 'UNAVAILABLE: retry'],
    ['an error without a body', 500, null, 'BACKEND_REFUSED', 'HTTP_500: HTTP 500'],
    ['a 201 that is not a room', 201, { roomId: 'short', caseId: 'case-1' }, 'BACKEND_REFUSED', expect.stringMatching(/^MALFORMED_RESPONSE/)],
    ['a room for another case', 201, { roomId: 'r'.repeat(20), caseId: 'other', joinUrl: 'http://x/join/r#t', joinExpiresAt: 1, expiresAt: 2 }, 'BACKEND_REFUSED', expect.stringMatching(/^MALFORMED_RESPONSE/)],
  ])('maps %s', async (_what, status, body, code, message) => {
    reply = { status, body: JSON.stringify(body) };
    await expect(createRoom({ backendUrl: url, token: 't', caseId: 'case-1' })).rejects.toMatchObject({ code, message });
  });
});

describe('a call the backend ends', () => {
  it('ends when the room expires: state closed (expired), recordings stopped, call.ended written, stream released', async () => {
    const { calls, states, stopRecordings, releaseStream } = service();
    const info = await calls.start({ serviceType: 'query' });
    await expect.poll(() => states().at(-1)?.signaling).toBe('connected');
    serverNow += SIGNAL_LIMITS.roomTtlMs + 1;
    await expect.poll(() => states().at(-1)?.signaling, { timeout: 10_000 }).toBe('closed');
    expect(states().at(-1)).toMatchObject({ closedReason: 'expired', customerPresent: false });
    expect(stopRecordings).toHaveBeenCalledWith(info.callId);
    expect(releaseStream).toHaveBeenCalledWith(info.streamId);
    await expect.poll(() => types(info.caseId).at(-1)).toBe('call.ended');
    expect(store.events(info.caseId).at(-1)!.payload).toMatchObject({ callId: info.callId, reason: 'expired' });
    // the closed call stays visible until the agent dismisses it, which writes nothing more
    expect(calls.current()).toMatchObject({ signaling: 'closed', closedReason: 'expired' });
    expect(() => calls.signal({ callId: info.callId, gen: 0, data: { renegotiate: true } })).toThrowError(/no active call/);
    await calls.end(info.callId);
    expect(calls.current()).toBeNull();
    expect(types(info.caseId).filter((t) => t === 'call.ended')).toHaveLength(1);
    expect(stopRecordings).toHaveBeenCalledTimes(1);
  });
});

describe('ending a call while the backend is down', () => {
  it('gives up on the bye after its timeout and still ends the call locally', async () => {
    const { calls, states, releaseStream } = service({ byeTimeoutMs: 300 });
    const info = await calls.start({});
    await expect.poll(() => states().at(-1)?.signaling).toBe('connected');
    const port = (app.server.address() as AddressInfo).port;
    await app.close();
    try {
      await expect.poll(() => states().at(-1)?.signaling).toBe('reconnecting');
      const startedAt = Date.now();
      await calls.end(info.callId);
      expect(Date.now() - startedAt).toBeLessThan(2_000);
      expect(states().at(-1)).toMatchObject({ signaling: 'closed', closedReason: 'ended' });
      expect(types(info.caseId).at(-1)).toBe('call.ended');
      expect(releaseStream).toHaveBeenCalledWith(info.streamId);
    } finally {
      app = await buildServer({ db, logger: silentLogger, signaling: { now: () => serverNow, sweepIntervalMs: 100 } });
      await app.listen({ port, host: '127.0.0.1' });
    }
  });
});
