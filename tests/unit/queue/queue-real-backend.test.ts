/**
 * The workstation's queue seat against the real backend (buildServer on PGlite, server/queue): a channel hands a
 * customer over with a reference photo and prior checks; the customer's page polls its status; the agent goes
 * 在线示闲 through QueueService, the offer arrives by the poll, the agent accepts; the case opens with the hand-over
 * context, the call joins the room the backend made, the customer joins it with the secret of their queue link, the
 * photo is the desk's ID photo; ending the call finishes the request on the backend.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import { openPglite, type ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import type { CallState } from '../../../src/shared/call';
import { CustomerQueueStatusSchema, HandoverResponseSchema, QUEUE_PATHS, type CustomerQueueStatus } from '../../../src/shared/queue';
import { HandoverReceivedPayloadSchema } from '../../../src/shared/queue-desk';
import { SIGNAL_PATH } from '../../../src/shared/signaling';
import { CallService } from '../../../src/main/call/call-service';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { CaseStore } from '../../../src/main/caselog/store';
import { DeskService } from '../../../src/main/desk/desk-service';
import { silentLogger } from '../../../src/main/log/logger';
import { QueueService } from '../../../src/main/queue/queue-service';
import { loadScripts } from '../../../src/main/scripts/loader';
import { calibration, identity, idPhoto } from '../verification/builder';

const PHOTO = readFileSync(resolve(import.meta.dirname, '../../../../shared/testdata/faces/identities/barack_obama/01.jpg'));

let db: ServerDb;
let app: FastifyInstance;
let url: string;
let channel: string;
let workstationToken: string;
let dir: string;
let store: CaseStore;
let calls: CallService;
let desk: DeskService;
let queue: QueueService;
const callStates: CallState[] = [];
let analysed = 0;

beforeAll(async () => {
  db = await openPglite();
  await migrateServer(db);
  app = await buildServer({ db, logger: silentLogger, referencePhotos: { serverKeyHex: randomBytes(32).toString('hex') }, queue: { dispatchIntervalMs: 25 } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  channel = await createToken(db, 'app-real', 'channel');
  workstationToken = await createToken(db, 'ws-real');

  dir = mkdtempSync(join(tmpdir(), 'vd-queue-real-'));
  store = CaseStore.open({ path: join(dir, 'cases.db'), keyProvider: new StaticKeyProvider(Buffer.alloc(32, 6)) });
  const settings = { agentId: 'agent-real', backendUrl: url };
  const tokenFor = (origin: string) => (origin === new URL(url).origin ? workstationToken : undefined);
  calls = new CallService({ store, settings: () => settings, tokenFor, log: silentLogger, emit: (event, payload) => event === 'call.state' && callStates.push(payload as CallState), onEnded: (ended) => queue.onCallEnded(ended) });
  desk = new DeskService({
    engine: {
      analyzeImage: async () => {
        analysed++;
        return idPhoto(identity(4));
      },
      getCalibration: () => calibration(),
    },
    store,
    activeCall: () => calls.active(),
    device: () => null,
    scripts: () => loadScripts(resolve(import.meta.dirname, '../../../resources/scripts')).scripts,
    agentId: () => settings.agentId,
    emit: () => undefined,
    log: silentLogger,
  });
  queue = new QueueService({ settings: () => settings, tokenFor, log: silentLogger, emit: () => undefined, store, calls, desk, tuning: { readyIntervalMs: 50, idleIntervalMs: 100 } });
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

describe('the queue seat on the real backend (PGlite)', () => {
  it('hand-over with a photo → ready → offer → accept → call in the backend room with the customer → finish', async () => {
    const at = Date.now() - 60_000;
    const handover = await fetch(`${url}${QUEUE_PATHS.requests}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${channel}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        channelRequestId: 'app-req-1',
        serviceType: 'transact',
        customerRef: 'CUST-REAL-1',
        intent: '修改绑定手机号',
        priorChecks: [{ kind: 'sms_otp', result: 'pass', at, source: 'app' }],
        referencePhoto: { type: 'image/jpeg', base64: PHOTO.toString('base64') },
      }),
    });
    expect(handover.status).toBe(201);
    const { requestId, joinUrl } = HandoverResponseSchema.parse(await handover.json());
    const secret = joinUrl!.split('#')[1]!;

    // the customer's page polls its status: routing offers only customers who are there
    let last: CustomerQueueStatus | null = null;
    const customerPoll = setInterval(() => {
      void fetch(`${url}${QUEUE_PATHS.requests}/${requestId}`, { headers: { authorization: `Bearer ${secret}` } })
        .then((r) => r.json())
        .then((body) => (last = CustomerQueueStatusSchema.parse(body)))
        .catch(() => undefined);
    }, 50);
    try {
      await expect.poll(() => last?.state).toBe('waiting');
      const ready = await queue.setState('ready');
      expect(ready).toMatchObject({ state: 'ready', agentId: 'agent-real' });
      await expect.poll(() => queue.current().offer?.requestId, { timeout: 10_000 }).toBe(requestId);
      expect(queue.current().offer).toMatchObject({ serviceType: 'transact', intent: '修改绑定手机号', hasReferencePhoto: true, origin: 'handover', priorChecks: [{ kind: 'sms_otp', source: 'app', at }] });

      const accepted = await queue.accept(requestId);
      expect(accepted.active).toMatchObject({ requestId, referencePhoto: 'set', origin: 'handover' });
      const events = store.events(accepted.caseId);
      expect(events.slice(0, 3).map((e) => e.type)).toEqual(['case.opened', 'handover.received', 'call.started']);
      expect(events[0]!.payload).toMatchObject({ customerRef: 'CUST-REAL-1', serviceType: 'transact' });
      expect(HandoverReceivedPayloadSchema.parse(events[1]!.payload)).toMatchObject({ requestId, origin: 'handover', hasReferencePhoto: true });
      expect(analysed).toBe(1);
      expect(desk.current()?.idPhoto).toMatchObject({ source: 'backend' });

      // the customer's page learns the room and joins it with the same secret
      await expect.poll(() => last?.roomId).toBe(accepted.roomId);
      await expect.poll(() => callStates.at(-1)?.signaling).toBe('connected');
      const customer = new WebSocket(`${url.replace(/^http/, 'ws')}${SIGNAL_PATH}`);
      await new Promise((r, j) => customer.once('open', r).once('error', j));
      customer.send(JSON.stringify({ t: 'hello', role: 'customer', room: accepted.roomId, token: secret }));
      await expect.poll(() => callStates.at(-1)?.customerPresent).toBe(true);

      await calls.end(accepted.callId);
      await expect.poll(() => last?.state, { timeout: 10_000 }).toBe('finished');
      customer.close();
    } finally {
      clearInterval(customerPoll);
    }
  });
});
