/**
 * Taking a queue offer in main, end to end on the workstation side: a real SQLite case log, the real CallService
 * and DeskService (a synthetic face engine stands in for the ONNX process), the QueueService polling a stand-in
 * queue backend whose accept makes a real room on a real backend (buildServer on PGlite) — so the call runs on real
 * signaling and a test customer joins it with the secret of the room, as the customer page does.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import { openPglite, type ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import type { CallState } from '../../../src/shared/call';
import type { DeskState } from '../../../src/shared/desk';
import type { Offer } from '../../../src/shared/queue';
import { HandoverReceivedPayloadSchema, type QueueStatus } from '../../../src/shared/queue-desk';
import { SIGNAL_PATH } from '../../../src/shared/signaling';
import { CallService } from '../../../src/main/call/call-service';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { CaseStore } from '../../../src/main/caselog/store';
import { DeskService } from '../../../src/main/desk/desk-service';
import { silentLogger } from '../../../src/main/log/logger';
import { QueueService } from '../../../src/main/queue/queue-service';
import { loadScripts } from '../../../src/main/scripts/loader';
import { calibration, identity, idPhoto } from '../verification/builder';
import { startQueueStandIn, type QueueStandIn } from './queue-stand-in';

const PHOTO = readFileSync(resolve(import.meta.dirname, '../../../../shared/testdata/faces/identities/barack_obama/01.jpg'));
const scripts = loadScripts(resolve(import.meta.dirname, '../../../resources/scripts')).scripts;

let db: ServerDb;
let app: FastifyInstance;
let realUrl: string;
let token: string;
let standIn: QueueStandIn;
let dir: string;
let store: CaseStore;
let calls: CallService;
let desk: DeskService;
let queue: QueueService;
let statuses: QueueStatus[];
let callStates: CallState[];
let analysed: number;

const offer = (over: Partial<Offer> = {}): Offer => ({
  requestId: 'req-accept-1',
  serviceType: 'transact',
  customerRef: 'cust-0042',
  intent: '修改绑定手机号',
  priorChecks: [
    { kind: 'sms_otp', result: 'pass', at: Date.parse('2024-05-06T09:12:00+08:00'), source: 'app', detail: 'SMS OTP to 138****0000' },
    { kind: 'id_document', result: 'pass', at: Date.parse('2024-05-06T09:13:00+08:00'), source: 'app' },
  ],
  hasReferencePhoto: true,
  scriptStep: null,
  origin: 'callback',
  enqueuedAt: Date.now() - 30_000,
  expiresAt: Date.now() + 15_000,
  ...over,
});

beforeAll(async () => {
  db = await openPglite();
  await migrateServer(db);
  token = await createToken(db, 'ws-queue');
  app = await buildServer({ db, logger: silentLogger });
  await app.listen({ port: 0, host: '127.0.0.1' });
  realUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

beforeEach(async () => {
  standIn = await startQueueStandIn(realUrl);
  dir = mkdtempSync(join(tmpdir(), 'vd-queue-accept-'));
  store = CaseStore.open({ path: join(dir, 'cases.db'), keyProvider: new StaticKeyProvider(Buffer.alloc(32, 5)) });
  statuses = [];
  callStates = [];
  analysed = 0;
  const settings = { agentId: 'agent-42', backendUrl: standIn.url };
  const tokenFor = (origin: string) => (origin === standIn.origin ? token : undefined);
  calls = new CallService({
    store,
    settings: () => settings,
    tokenFor,
    log: silentLogger,
    emit: (event, payload) => event === 'call.state' && callStates.push(payload as CallState),
    signaling: { backoff: { baseMs: 50, maxMs: 200 } },
    onEnded: (ended) => queue.onCallEnded(ended),
  });
  desk = new DeskService({
    engine: {
      analyzeImage: async () => {
        analysed++;
        return idPhoto(identity(3));
      },
      getCalibration: () => calibration(),
    },
    store,
    activeCall: () => calls.active(),
    device: () => null,
    scripts: () => scripts,
    agentId: () => settings.agentId,
    emit: () => undefined,
    log: silentLogger,
  });
  queue = new QueueService({
    settings: () => settings,
    tokenFor,
    log: silentLogger,
    emit: (s) => statuses.push(s),
    store,
    calls,
    desk,
    tuning: { readyIntervalMs: 25, idleIntervalMs: 50, backoff: { baseMs: 20, maxMs: 100 } },
  });
  await queue.connect(standIn.url);
});
afterEach(async () => {
  await calls.close();
  await queue.close();
  desk.close();
  store.close();
  await standIn.close();
  rmSync(dir, { recursive: true, force: true });
});

const acceptRequests = () => standIn.requests.filter((r) => r.path.endsWith('/accept'));
const finishRequests = () => standIn.requests.filter((r) => r.path.endsWith('/finish'));

async function offered(o: Offer): Promise<void> {
  standIn.offer = o;
  await queue.setState('ready');
  await expect.poll(() => queue.current().offer?.requestId).toBe(o.requestId);
}

function joinAsCustomer(joinUrl: string, roomId: string): Promise<WebSocket> {
  const ws = new WebSocket(`${realUrl.replace(/^http/, 'ws')}${SIGNAL_PATH}`);
  return new Promise((resolveJoin, reject) => {
    ws.once('open', () => {
      ws.send(JSON.stringify({ t: 'hello', role: 'customer', room: roomId, token: joinUrl.split('#')[1] }));
      resolveJoin(ws);
    });
    ws.once('error', reject);
  });
}

describe('accepting a queue offer', () => {
  it('opens the case with the hand-over context, accepts with that case id, starts the call in the given room with the photo as ID photo, and finishes on end', async () => {
    standIn.referencePhoto = { type: 'image/jpeg', base64: PHOTO.toString('base64') };
    await offered(offer());

    const result = await queue.accept('req-accept-1');

    // accept was called once, with the case id of the case now open
    expect(acceptRequests()).toHaveLength(1);
    expect(acceptRequests()[0]!.authorization).toBe(`Bearer ${token}`);
    expect(acceptRequests()[0]!.body).toEqual({ caseId: result.caseId });
    const events = store.events(result.caseId);
    expect(events.map((e) => e.type).slice(0, 3)).toEqual(['case.opened', 'handover.received', 'call.started']);
    expect(events[0]!.payload).toMatchObject({ agentId: 'agent-42', serviceType: 'transact', customerRef: 'cust-0042', context: { channel: 'queue', origin: 'callback', requestId: 'req-accept-1' } });
    const handover = HandoverReceivedPayloadSchema.parse(events[1]!.payload);
    expect(handover).toMatchObject({ requestId: 'req-accept-1', origin: 'callback', intent: '修改绑定手机号', hasReferencePhoto: true, scriptStep: null });
    expect(handover.priorChecks.map((c) => [c.kind, c.result, c.source])).toEqual([
      ['sms_otp', 'pass', 'app'],
      ['id_document', 'pass', 'app'],
    ]);
    // no photo bytes in any event payload
    expect(JSON.stringify(events.map((e) => e.payload))).not.toContain(PHOTO.subarray(0, 48).toString('base64'));

    // the call sits in the room the backend made at accept; no room was made by the workstation
    const room = standIn.rooms.get('req-accept-1')!;
    expect(result).toMatchObject({ roomId: room.roomId, caseId: result.caseId, joinUrl: '' });
    expect(events[2]!.payload).toMatchObject({ roomId: room.roomId, requestId: 'req-accept-1', origin: 'callback' });
    await expect.poll(() => callStates.at(-1)?.signaling).toBe('connected');
    const customer = await joinAsCustomer(room.joinUrl, room.roomId);
    await expect.poll(() => callStates.at(-1)?.customerPresent).toBe(true);

    // the reference photo is the desk's ID photo: analysed, stored as evidence, and the face match has its side
    expect(result.active).toMatchObject({ referencePhoto: 'set', origin: 'callback', priorChecks: [{ kind: 'sms_otp' }, { kind: 'id_document' }] });
    expect(analysed).toBe(1);
    const state = desk.current() as DeskState;
    expect(state.idPhoto).toMatchObject({ source: 'backend', faces: 1 });
    expect(state.report.state).not.toBe('awaiting_id');
    expect(store.events(result.caseId).some((e) => e.type === 'verification.event' && e.payload.type === 'id_photo.set' && e.payload.source === 'backend')).toBe(true);

    // the queue shows the call as active, the offer gone, the seat busy
    expect(queue.current()).toMatchObject({ offer: null, state: 'busy', active: { requestId: 'req-accept-1', caseId: result.caseId, callId: result.callId } });
    expect(finishRequests()).toHaveLength(0);

    await calls.end(result.callId);
    await expect.poll(() => finishRequests().map((r) => r.path)).toEqual(['/api/v1/queue/requests/req-accept-1/finish']);
    expect(queue.current().active).toBeNull();
    customer.close();
  });

  it('an offer that passed on before the accept (409 OFFER_GONE) leaves no case and no call behind', async () => {
    await offered(offer({ requestId: 'req-gone' }));
    standIn.refuseAccept = { status: 409, code: 'OFFER_GONE' };
    const before = store.countCases();
    await expect(queue.accept('req-gone')).rejects.toMatchObject({ code: 'BACKEND_REFUSED', message: expect.stringMatching(/^OFFER_GONE/) });
    expect(store.countCases()).toBe(before);
    expect(calls.active()).toBeNull();
    expect(queue.current()).toMatchObject({ offer: null, accepting: null, active: null });
  });

  it('refuses to accept an offer that is not the one on screen, without asking the backend', async () => {
    await offered(offer({ requestId: 'req-shown' }));
    await expect(queue.accept('req-other')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(acceptRequests()).toHaveLength(0);
  });

  it('a reference photo that is not the image it claims to be is not used; the call starts anyway and the desk says so', async () => {
    // PNG bytes declared as JPEG
    standIn.referencePhoto = { type: 'image/jpeg', base64: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').toString('base64') };
    await offered(offer({ requestId: 'req-bad-photo', scriptStep: 'verify_identity' }));
    const result = await queue.accept('req-bad-photo');
    expect(result.active).toMatchObject({ referencePhoto: 'failed', referencePhotoError: 'CORRUPT_INPUT', scriptStep: 'verify_identity' });
    expect(analysed).toBe(0);
    expect(desk.current()?.idPhoto).toBeNull();
    expect(calls.active()?.caseId).toBe(result.caseId);
  });

  it('declining passes the offer on and the seat stays ready', async () => {
    await offered(offer({ requestId: 'req-decline' }));
    const after = await queue.decline('req-decline');
    expect(standIn.requests.filter((r) => r.path.endsWith('/decline')).map((r) => r.path)).toEqual(['/api/v1/queue/offers/req-decline/decline']);
    expect(after).toMatchObject({ offer: null, state: 'ready' });
  });
});
