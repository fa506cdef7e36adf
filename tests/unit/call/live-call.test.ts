/**
 * The main side of a live call, end to end with real parts: the real backend (Fastify + signaling on
 * an in-memory PGlite), the real workstation (createWorkstation: case store in a temp dir, recording
 * service, call service) driven through its dispatcher as the renderer would, and a `ws` client
 * acting as the customer's join page. No peer connection: only what main does.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import { openPglite, type ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import type { CallInfo, CallState, RecordingStatus } from '../../../src/shared/call';
import type { EventName } from '../../../src/shared/contract';
import { encodeFrame, STREAM_ID_PATTERN } from '../../../src/shared/frame';
import { ServerMessageSchema, SIGNAL_PATH, type ServerMessage } from '../../../src/shared/signaling';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { CaseStore } from '../../../src/main/caselog/store';
import { silentLogger } from '../../../src/main/log/logger';
import { createWorkstation, type Workstation } from '../../../src/main/workstation';

const KEY = Buffer.alloc(32, 7);
const OFFER = { type: 'offer' as const, sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n' };
const ANSWER = { type: 'answer' as const, sdp: 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\n' };

let db: ServerDb;
let app: FastifyInstance;
let port: number;
let backendUrl: string;
let dir: string;
let workstation: Workstation;
let token: string;
const events: Array<{ event: EventName; payload: unknown }> = [];

async function startBackend(listenPort: number): Promise<FastifyInstance> {
  const server = await buildServer({
    db,
    logger: silentLogger,
    signaling: { ice: { stunUrls: ['stun:127.0.0.1:3478'], turnUrls: [], turnTtlS: 3600, iceTransportPolicy: 'all' } },
  });
  await server.listen({ port: listenPort, host: '127.0.0.1' });
  return server;
}

const eventsOf = <T>(name: EventName): T[] => events.filter((e) => e.event === name).map((e) => e.payload as T);
const lastState = (): CallState | undefined => eventsOf<CallState>('call.state').at(-1);

async function invoke<T>(method: string, params: unknown): Promise<T> {
  const result = await workstation.dispatch(method, params);
  if (!result.ok) throw Object.assign(new Error(`${method}: ${result.error.code} ${result.error.message}`), { code: result.error.code });
  return result.value as T;
}
async function invokeError(method: string, params: unknown): Promise<{ code: string; message: string }> {
  const result = await workstation.dispatch(method, params);
  if (result.ok) throw new Error(`${method} unexpectedly succeeded`);
  return result.error;
}

/** The case's events as stored (a read-only look at the workstation's own SQLite file). */
function caseEvents(caseId: string): Array<{ type: string; actor: string; payload: Record<string, unknown> }> {
  const file = new Database(join(dir, 'cases.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = file.prepare('SELECT type, actor, payload FROM events WHERE case_id = ? ORDER BY seq').all(caseId) as Array<{ type: string; actor: string; payload: string }>;
    return rows.map((r) => ({ type: r.type, actor: r.actor, payload: JSON.parse(r.payload) as Record<string, unknown> }));
  } finally {
    file.close();
  }
}

/** The customer's join page, as far as signaling goes: every server message is validated. */
class Customer {
  readonly received: ServerMessage[] = [];
  readonly invalid: string[] = [];
  closed: { code: number } | null = null;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const parsed = ServerMessageSchema.safeParse(JSON.parse(data.toString()));
      if (parsed.success) this.received.push(parsed.data);
      else this.invalid.push(data.toString().slice(0, 200));
    });
    ws.on('close', (code) => (this.closed = { code }));
    ws.on('error', () => undefined);
  }

  static async join(roomId: string, secret: { token: string } | { resume: string }): Promise<Customer> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${SIGNAL_PATH}`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const customer = new Customer(ws);
    ws.send(JSON.stringify({ t: 'hello', role: 'customer', room: roomId, ...secret }));
    return customer;
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  async next<T extends ServerMessage['t']>(t: T, after = 0): Promise<Extract<ServerMessage, { t: T }>> {
    await expect.poll(() => this.received.slice(after).find((m) => m.t === t), { timeout: 10_000 }).toBeTruthy();
    return this.received.slice(after).find((m) => m.t === t) as Extract<ServerMessage, { t: T }>;
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vd-live-call-'));
  db = await openPglite();
  await migrateServer(db);
  token = await createToken(db, 'ws-1');
  app = await startBackend(0);
  port = (app.server.address() as AddressInfo).port;
  backendUrl = `http://127.0.0.1:${port}`;
  workstation = await createWorkstation({
    dataDir: dir,
    transport: 'host',
    version: 'test',
    log: silentLogger,
    modelsDir: null,
    keyProvider: new StaticKeyProvider(KEY),
    backendToken: token,
    callSignaling: { backoff: { baseMs: 100, maxMs: 500 } },
  });
  workstation.bus.subscribe((event, payload) => events.push({ event, payload }));
  await invoke('settings.update', { backendUrl, agentId: 'agent-007' });
  // the launch token was bound to the default backend's origin: the test's backend gets its own (as in 设置)
  await invoke('settings.setBackendToken', { token });
});

afterAll(async () => {
  await workstation?.close();
  await app?.close();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('live call, main side, against the real backend', () => {
  let info: CallInfo;
  let customer: Customer;
  let resume: string;

  it('call.start opens a case, creates the room on the backend and joins it as the agent', async () => {
    info = await invoke<CallInfo>('call.start', { serviceType: 'operate', customerRef: 'cust-42' });
    expect(info.streamId).toBe(`call-${info.callId}`);
    expect(info.streamId).toMatch(STREAM_ID_PATTERN);
    expect(info.joinUrl).toMatch(new RegExp(`^${backendUrl}/join/${info.roomId}#[A-Za-z0-9_-]{32,}$`));
    const rooms = await db.query<{ case_id: string; closed_at: unknown }>('SELECT case_id, closed_at FROM signal_rooms WHERE room_id = $1', [info.roomId]);
    expect(rooms.rows).toEqual([{ case_id: info.caseId, closed_at: null }]);

    await expect.poll(() => lastState()?.signaling).toBe('connected');
    expect(eventsOf<CallState>('call.state')[0]).toMatchObject({ callId: info.callId, signaling: 'connecting', customerPresent: false });
    expect(lastState()).toMatchObject({ iceServers: [{ urls: ['stun:127.0.0.1:3478'] }], iceTransportPolicy: 'all', consent: { camera: null, recording: null } });
    expect(await invoke('call.current', {})).toMatchObject({ callId: info.callId, signaling: 'connected' });

    const stored = caseEvents(info.caseId);
    expect(stored.map((e) => e.type)).toEqual(['case.opened', 'call.started']);
    expect(stored[0]!.payload).toMatchObject({ agentId: 'agent-007', serviceType: 'operate', customerRef: 'cust-42' });
    expect(stored[1]!.payload).toMatchObject({ callId: info.callId, roomId: info.roomId, joinExpiresAt: info.joinExpiresAt });
    const token = info.joinUrl.split('#')[1]!;
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  it('a second call.start while the call is active is refused (one call at a time)', async () => {
    expect(await invokeError('call.start', {})).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('the customer joins with the token from the join URL fragment → call.state customerPresent true', async () => {
    customer = await Customer.join(info.roomId, { token: info.joinUrl.split('#')[1]! });
    const welcome = await customer.next('welcome');
    expect(welcome).toMatchObject({ role: 'customer', peerPresent: true });
    resume = welcome.resume!;
    await expect.poll(() => lastState()?.customerPresent).toBe(true);
  });

  it('relays signals both ways: call.signal (renderer → customer) and the call.signal event (customer → renderer)', async () => {
    expect(await invoke('call.signal', { callId: info.callId, gen: 0, data: OFFER })).toBeNull();
    expect(await customer.next('signal')).toEqual({ t: 'signal', gen: 0, data: OFFER });
    customer.send({ t: 'signal', gen: 0, data: ANSWER });
    await expect.poll(() => eventsOf('call.signal')).toEqual([{ callId: info.callId, gen: 0, data: ANSWER }]);
    expect(await invokeError('call.signal', { callId: 'ffffffffffffffff', gen: 0, data: OFFER })).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('recording.start is refused with FORBIDDEN before the customer consents to recording', async () => {
    const error = await invokeError('recording.start', { callId: info.callId, track: 'customer', mimeType: 'video/webm;codecs=vp8', startedAt: Date.now() });
    expect(error.code).toBe('FORBIDDEN');
    expect(eventsOf('recording.status')).toEqual([]);
  });

  it('consent and a device report become case events; the device report reaches the renderer with the virtual-camera marker', async () => {
    customer.send({ t: 'app', data: { kind: 'consent', subject: 'camera', granted: true, language: 'zh-CN' } });
    customer.send({ t: 'app', data: { kind: 'consent', subject: 'recording', granted: true, language: 'zh-CN' } });
    customer.send({ t: 'app', data: { kind: 'consent', subject: 'recording', granted: true, language: 'zh-CN' } }); // a resend after a reload
    customer.send({
      t: 'app',
      data: { kind: 'device', videoLabel: 'OBS Virtual Camera', audioLabel: 'Default mic', settings: { width: 1280, height: 720, frameRate: 30 }, userAgent: 'Mozilla/5.0 test' },
    });
    customer.send({ t: 'app', data: { kind: 'media', state: 'live' } });
    await expect.poll(() => eventsOf('call.customer').length).toBe(4);
    expect(eventsOf('call.customer')[2]).toMatchObject({ callId: info.callId, message: { kind: 'device', videoLabel: 'OBS Virtual Camera' }, virtualCamera: 'obs virtual' });
    expect(lastState()?.consent).toEqual({ camera: true, recording: true });
    // a reloaded workstation page gets the device report back from call.current
    expect((await invoke<CallState>('call.current', {}))?.device).toMatchObject({ videoLabel: 'OBS Virtual Camera', virtualCamera: 'obs virtual', platform: 'pc' });

    const stored = caseEvents(info.caseId).filter((e) => e.type !== 'media.event' || e.payload.source === 'customer');
    expect(stored.slice(2)).toEqual([
      { type: 'consent.recorded', actor: 'customer', payload: { subject: 'camera', granted: true, language: 'zh-CN' } },
      { type: 'consent.recorded', actor: 'customer', payload: { subject: 'recording', granted: true, language: 'zh-CN' } },
      {
        type: 'device.reported',
        actor: 'customer',
        payload: { videoLabel: 'OBS Virtual Camera', audioLabel: 'Default mic', settings: { width: 1280, height: 720, frameRate: 30 }, virtualCamera: 'obs virtual', platform: 'pc' },
      },
      { type: 'media.event', actor: 'customer', payload: { source: 'customer', state: 'live' } },
    ]);
  });

  it('recording.start is accepted after consent; chunks are stored and recording.status is emitted', async () => {
    const started = await invoke<RecordingStatus>('recording.start', { callId: info.callId, track: 'customer', mimeType: 'video/webm;codecs=vp8', startedAt: Date.now() });
    expect(started).toMatchObject({ callId: info.callId, caseId: info.caseId, track: 'customer', state: 'recording' });
    const chunk = await invoke<RecordingStatus>('recording.chunk', { recordingId: started.recordingId, seq: 0, data: Buffer.from('webm bytes').toString('base64') });
    expect(chunk).toMatchObject({ chunks: 1, bytes: 10 });
    await invoke('recording.start', { callId: info.callId, track: 'agent', mimeType: 'video/webm', startedAt: Date.now() });
    expect(eventsOf<RecordingStatus>('recording.status').map((s) => [s.track, s.state])).toContainEqual(['customer', 'recording']);
  });

  it('call.mediaEvent from the renderer becomes a media.event case event', async () => {
    await invoke('call.mediaEvent', { callId: info.callId, event: 'connected', gen: 0, path: 'direct' });
    expect(caseEvents(info.caseId).at(-1)).toEqual({ type: 'media.event', actor: 'agent-007', payload: { source: 'agent', event: 'connected', gen: 0, path: 'direct' } });
  });

  it('survives a backend restart: signaling goes reconnecting → connected with nothing from the renderer, and relays again', async () => {
    const before = eventsOf<CallState>('call.state').length;
    await app.close();
    await expect.poll(() => lastState()?.signaling).toBe('reconnecting');
    await new Promise((r) => setTimeout(r, 700)); // a few refused attempts while nothing listens
    app = await startBackend(port);
    await expect.poll(() => lastState()?.signaling, { timeout: 15_000 }).toBe('connected');
    const states = eventsOf<CallState>('call.state').slice(before).map((s) => s.signaling);
    expect(states[0]).toBe('reconnecting');
    expect(states).not.toContain('closed');

    // the join page resumes with its secret; the agent hears it join again
    const back = await Customer.join(info.roomId, { resume });
    await back.next('welcome');
    customer = back;
    await expect.poll(() => lastState()?.customerPresent, { timeout: 10_000 }).toBe(true);
    await invoke('call.signal', { callId: info.callId, gen: 1, data: OFFER });
    expect(await customer.next('signal')).toEqual({ t: 'signal', gen: 1, data: OFFER });
    const signaling = caseEvents(info.caseId).filter((e) => e.payload.source === 'signaling').map((e) => e.payload.state);
    expect(signaling).toContain('reconnecting');
    expect(signaling).toContain('recovered');
  });

  it('call.end sends bye: the room closes for the customer, recordings stop, call.ended is written, the state is closed, the stream is released', async () => {
    expect(workstation.acceptFrame(encodeFrame({ streamId: info.streamId, width: 2, height: 2, capturedAt: Date.now() }, new Uint8Array(16)))).toBe(true);
    expect((await invoke<Array<{ streamId: string }>>('diagnostics.streams', {})).map((s) => s.streamId)).toContain(info.streamId);
    const seen = customer.received.length;
    expect(await invoke('call.end', { callId: info.callId })).toBeNull();
    expect(await customer.next('closed', seen)).toEqual({ t: 'closed', reason: 'ended' });
    expect(customer.received.slice(seen)).toContainEqual({ t: 'app', data: { kind: 'end', reason: 'completed' } });
    expect(lastState()).toMatchObject({ callId: info.callId, signaling: 'closed', closedReason: 'ended' });
    expect(await invoke('call.current', {})).toBeNull();
    expect((await invoke<Array<{ streamId: string }>>('diagnostics.streams', {})).map((s) => s.streamId)).not.toContain(info.streamId);

    const stored = caseEvents(info.caseId);
    const types = stored.map((e) => e.type);
    expect(types.filter((t) => t === 'recording.stopped')).toHaveLength(2);
    expect(types.at(-1)).toBe('call.ended');
    expect(types.indexOf('recording.stopped')).toBeLessThan(types.indexOf('call.ended'));
    expect(stored.at(-1)!.payload).toMatchObject({ callId: info.callId, reason: 'completed' });
    const rooms = await db.query<{ closed_reason: string }>('SELECT closed_reason FROM signal_rooms WHERE room_id = $1', [info.roomId]);
    expect(rooms.rows[0]!.closed_reason).toBe('ended');

    // the customer cannot get back in
    const again = await Customer.join(info.roomId, { resume });
    await expect.poll(() => again.received.find((m) => m.t === 'error')).toMatchObject({ code: 'ROOM_CLOSED' });
    expect(await invokeError('call.signal', { callId: info.callId, gen: 0, data: OFFER })).toMatchObject({ code: 'NOT_FOUND' });
    expect(customer.invalid).toEqual([]);
  });

  it('a new call can start after the last one ended, with a fresh stream id', async () => {
    const next = await invoke<CallInfo>('call.start', {});
    expect(next.callId).not.toBe(info.callId);
    expect(next.streamId).toMatch(STREAM_ID_PATTERN);
    await expect.poll(() => lastState()?.signaling).toBe('connected');
    await invoke('call.end', { callId: next.callId });
    expect(caseEvents(next.caseId).map((e) => e.type)).toEqual(['case.opened', 'call.started', 'call.ended']);
  });

  it('the case log still verifies after the calls', () => {
    const store = CaseStore.open({ path: join(dir, 'cases.db'), keyProvider: new StaticKeyProvider(KEY) });
    try {
      expect(store.verify()).toMatchObject({ ok: true, breaks: [] });
    } finally {
      store.close();
    }
  });
});
