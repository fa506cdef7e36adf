/**
 * The workstation's seat uses the backend's held polls: with a plain-poll interval of a minute, an offer made for
 * a ready agent still shows within a moment — only the held poll (GET /api/v1/queue/agent?waitMs=…) can explain
 * that. A stand-in backend that answers at once (no holds) is polled at the interval instead (queue-client tests).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import { openPglite, type ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import type { QueueService as ServerQueue } from '../../../server/queue/service';
import { HandoverResponseSchema, QUEUE_PATHS } from '../../../src/shared/queue';
import { CallService } from '../../../src/main/call/call-service';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { CaseStore } from '../../../src/main/caselog/store';
import { DeskService } from '../../../src/main/desk/desk-service';
import { silentLogger } from '../../../src/main/log/logger';
import { QueueService } from '../../../src/main/queue/queue-service';
import { loadScripts } from '../../../src/main/scripts/loader';
import { calibration, identity, idPhoto } from '../verification/builder';

let db: ServerDb;
let app: FastifyInstance;
let server!: ServerQueue;
let url: string;
let dir: string;
let store: CaseStore;
let calls: CallService;
let desk: DeskService;
let queue: QueueService;
let channel: string;

beforeAll(async () => {
  db = await openPglite();
  await migrateServer(db);
  // the server's timer never routes: only kicks (a customer's poll) do
  app = await buildServer({ db, logger: silentLogger, rateLimit: false, queue: { dispatchIntervalMs: 3_600_000, onService: (s) => (server = s) } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  channel = await createToken(db, `app-held-${randomBytes(2).toString('hex')}`, 'channel');
  const token = await createToken(db, 'ws-held');
  dir = mkdtempSync(join(tmpdir(), 'vd-queue-held-'));
  store = CaseStore.open({ path: join(dir, 'cases.db'), keyProvider: new StaticKeyProvider(Buffer.alloc(32, 8)) });
  const settings = { agentId: 'agent-held', backendUrl: url };
  const tokenFor = (origin: string) => (origin === new URL(url).origin ? token : undefined);
  calls = new CallService({ store, settings: () => settings, tokenFor, log: silentLogger, emit: () => undefined });
  desk = new DeskService({
    engine: { analyzeImage: async () => idPhoto(identity(4)), getCalibration: () => calibration() },
    store,
    activeCall: () => calls.active(),
    device: () => null,
    scripts: () => loadScripts(resolve(import.meta.dirname, '../../../resources/scripts')).scripts,
    agentId: () => settings.agentId,
    emit: () => undefined,
    log: silentLogger,
  });
  // a minute between plain polls: an offer seen within seconds came through a held poll
  queue = new QueueService({ settings: () => settings, tokenFor, log: silentLogger, emit: () => undefined, store, calls, desk, tuning: { readyIntervalMs: 60_000, idleIntervalMs: 60_000, holdMs: 20_000 } });
  await queue.connect(url);
});

afterAll(async () => {
  await calls?.close();
  await queue?.close();
  desk?.close();
  store?.close();
  await app?.close();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the seat on held polls (real backend, PGlite)', () => {
  it('a ready agent sees an offer made after it went ready within a moment, though plain polls are a minute apart', async () => {
    await queue.setState('ready');
    // the seat's poll is being held on the backend
    await expect.poll(() => server.wakeups.held, { timeout: 5_000 }).toBe(1);
    const handed = HandoverResponseSchema.parse(
      await (
        await fetch(`${url}${QUEUE_PATHS.requests}`, { method: 'POST', headers: { authorization: `Bearer ${channel}`, 'content-type': 'application/json' }, body: JSON.stringify({ channelRequestId: 'held-1', serviceType: 'transact', customerRef: 'HELD-1' }) })
      ).json(),
    );
    const arrived = Date.now();
    await fetch(`${url}${QUEUE_PATHS.requests}/${handed.requestId}`, { headers: { authorization: `Bearer ${handed.joinUrl!.split('#')[1]}` } });
    await expect.poll(() => queue.current().offer?.requestId, { timeout: 5_000 }).toBe(handed.requestId);
    expect(Date.now() - arrived).toBeLessThan(5_000);
  });
});
