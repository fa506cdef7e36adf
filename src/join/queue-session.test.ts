import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CustomerQueueStatus } from '../shared/queue';
import { QueueApi, QueueApiError, type FetchLike } from './queue-api';
import { QUEUE_TIMING, QueueSession, queueBackoffDelay, type QueueSnapshot } from './queue-session';

const secret = 'S'.repeat(43);
const room = 'Room_0123456789abcdef';
const NOW = Date.UTC(2025, 5, 3, 6, 0);

interface Call {
  method: string;
  url: string;
  auth: string | null;
  body: unknown;
  credentials: RequestCredentials | undefined;
}

type Reply = { status: number; body: unknown };
/** 'network' throws like a dead network; `after` holds the answer until the promise settles (a poll in flight). */
type Answer = Reply | 'network' | { after: Promise<unknown>; reply: Reply };

/** A scripted queue API: each route answers from its own list (the last answer repeats), and every call is recorded. */
class FakeServer {
  readonly calls: Call[] = [];
  readonly routes = new Map<string, Answer[]>();
  answer(route: string, ...answers: Answer[]): void {
    this.routes.set(route, answers);
  }
  readonly fetch: FetchLike = async (url, init) => {
    const headers = new Headers(init.headers);
    const method = init.method ?? 'GET';
    this.calls.push({ method, url, auth: headers.get('authorization'), body: init.body ? JSON.parse(String(init.body)) : undefined, credentials: init.credentials });
    const route = `${method} ${url.split('?')[0]}`;
    const list = this.routes.get(route);
    if (!list) return new Response(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no route' } }), { status: 404 });
    const next = list.length > 1 ? list.shift()! : list[0]!;
    if (next === 'network') throw new TypeError('Failed to fetch');
    let reply: Reply;
    if ('after' in next) {
      await next.after;
      reply = next.reply;
    } else reply = next;
    return new Response(JSON.stringify(reply.body), { status: reply.status, headers: { 'content-type': 'application/json' } });
  };
  polls(): number {
    return this.calls.filter((call) => call.method === 'GET' && call.url.startsWith('/api/v1/queue/requests/')).length;
  }
}

const STATUS_ROUTE = 'GET /api/v1/queue/requests/r1';

function waiting(patch: Partial<CustomerQueueStatus> = {}): { status: number; body: CustomerQueueStatus } {
  return { status: 200, body: { requestId: 'r1', state: 'waiting', position: 3, estimatedWaitS: 120, roomId: null, callback: null, ...patch } };
}

function setup() {
  const server = new FakeServer();
  const rooms: string[] = [];
  const snapshots: QueueSnapshot[] = [];
  const session = new QueueSession(new QueueApi('r1', secret, server.fetch), { onChange: (s) => snapshots.push(s), onRoom: (r) => rooms.push(r) }, () => Date.now(), () => 0.5);
  return { server, rooms, snapshots, session };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('queue session polling', () => {
  it('polls the status with the secret as bearer about every 2 s and keeps the latest position', async () => {
    const { server, session } = setup();
    server.answer(STATUS_ROUTE, waiting({ position: 3 }), waiting({ position: 2 }));
    session.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(session.current.status?.position).toBe(3);
    await vi.advanceTimersByTimeAsync(QUEUE_TIMING.pollMs);
    expect(session.current.status?.position).toBe(2);
    await vi.advanceTimersByTimeAsync(QUEUE_TIMING.pollMs * 3);
    expect(server.polls()).toBe(5);
    expect(server.calls.every((call) => call.auth === `Bearer ${secret}` && call.credentials === 'omit')).toBe(true);
    session.stop();
  });

  it('on network errors keeps the position, says it retries, backs off, and recovers', async () => {
    const { server, session } = setup();
    server.answer(STATUS_ROUTE, waiting({ position: 5 }), 'network', 'network', 'network', waiting({ position: 4 }));
    session.start();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(QUEUE_TIMING.pollMs); // first failure
    expect(session.current).toMatchObject({ trouble: true, status: { position: 5 } });
    const at = server.polls();
    // retries at 1.5 s (first backoff, jitter 0.5 of 2 s), then 3 s, then 6 s: slower each time
    await vi.advanceTimersByTimeAsync(queueBackoffDelay(1, () => 0.5) - 1);
    expect(server.polls()).toBe(at);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.polls()).toBe(at + 1);
    await vi.advanceTimersByTimeAsync(queueBackoffDelay(2, () => 0.5));
    expect(server.polls()).toBe(at + 2);
    expect(session.current.trouble).toBe(true);
    await vi.advanceTimersByTimeAsync(queueBackoffDelay(3, () => 0.5));
    expect(session.current).toMatchObject({ trouble: false, status: { position: 4 } });
    session.stop();
  });

  it('treats a status that fails the schema or a 503 as trouble, never as data', async () => {
    const { server, session } = setup();
    server.answer(STATUS_ROUTE, waiting({ position: 2 }), { status: 200, body: { ...waiting().body, position: -1 } }, { status: 200, body: { ...waiting().body, extra: '<script>' } }, { status: 503, body: '<html>' });
    session.start();
    for (let i = 0; i < 4; i += 1) await vi.advanceTimersByTimeAsync(QUEUE_TIMING.backoffMaxMs);
    expect(session.current).toMatchObject({ trouble: true, status: { position: 2 }, fatal: null });
    session.stop();
  });

  it('reports the room once when an agent accepted, and stops polling', async () => {
    const { server, session, rooms } = setup();
    server.answer(STATUS_ROUTE, waiting(), waiting({ state: 'offered', position: null, estimatedWaitS: null }), waiting({ state: 'assigned', position: null, estimatedWaitS: null, roomId: room }));
    session.start();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(QUEUE_TIMING.pollMs);
    expect(session.current.status?.state).toBe('offered');
    expect(rooms).toEqual([]);
    await vi.advanceTimersByTimeAsync(QUEUE_TIMING.pollMs);
    expect(rooms).toEqual([room]);
    const polls = server.polls();
    await vi.advanceTimersByTimeAsync(QUEUE_TIMING.pollMs * 5);
    expect(server.polls()).toBe(polls);
    expect(session.current.roomId).toBe(room);
  });

  it('refuses a room id that is not one, and stops on a link the server does not know', async () => {
    const hostile = setup();
    hostile.server.answer(STATUS_ROUTE, waiting({ state: 'assigned', roomId: '../../api' }));
    hostile.session.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(hostile.rooms).toEqual([]);
    expect(hostile.session.current.fatal).toBe('LINK_INVALID');

    for (const [code, http] of [['NOT_FOUND', 404], ['UNAUTHENTICATED', 401]] as const) {
      const { server, session } = setup();
      server.answer(STATUS_ROUTE, { status: http, body: { error: { code, message: 'x' } } });
      session.start();
      await vi.advanceTimersByTimeAsync(QUEUE_TIMING.pollMs * 5);
      expect(session.current.fatal).toBe(code);
      expect(server.polls()).toBe(1);
    }
  });

  it('follows the server to a successor request id with the same secret', async () => {
    const { server, session } = setup();
    server.answer(STATUS_ROUTE, waiting({ requestId: 'r2' }));
    server.answer('GET /api/v1/queue/requests/r2', waiting({ requestId: 'r2', position: 1 }));
    session.start();
    await vi.advanceTimersByTimeAsync(QUEUE_TIMING.pollMs);
    expect(server.calls.at(-1)).toMatchObject({ url: '/api/v1/queue/requests/r2', auth: `Bearer ${secret}` });
    expect(session.current.status?.position).toBe(1);
    session.stop();
  });

  it('ends when the server says the request was abandoned', async () => {
    const { server, session } = setup();
    server.answer(STATUS_ROUTE, waiting({ state: 'abandoned', position: null, estimatedWaitS: null }));
    session.start();
    await vi.advanceTimersByTimeAsync(QUEUE_TIMING.pollMs * 3);
    expect(session.current.ended).toBe('abandoned');
    expect(server.polls()).toBe(1);
  });
});

describe('queue session actions', () => {
  it('leaves the queue: POST …/leave, ended, no more polls even from one in flight', async () => {
    const { server, session } = setup();
    server.answer(STATUS_ROUTE, waiting());
    server.answer('POST /api/v1/queue/requests/r1/leave', { status: 200, body: { ...waiting().body, state: 'left', position: null } });
    session.start();
    await vi.advanceTimersByTimeAsync(0);
    await session.leave();
    expect(session.current.ended).toBe('left');
    const polls = server.polls();
    await vi.advanceTimersByTimeAsync(QUEUE_TIMING.pollMs * 5);
    expect(server.polls()).toBe(polls);
    expect(server.calls.find((c) => c.method === 'POST')).toMatchObject({ url: '/api/v1/queue/requests/r1/leave', auth: `Bearer ${secret}` });
  });

  it('a poll answered "waiting" after the leave went through does not bring the queue back', async () => {
    const { server, session } = setup();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    server.answer(STATUS_ROUTE, waiting(), { after: held, reply: waiting({ position: 1 }) });
    server.answer('POST /api/v1/queue/requests/r1/leave', { status: 200, body: {} });
    session.start();
    await vi.advanceTimersByTimeAsync(QUEUE_TIMING.pollMs); // the second poll is now waiting for its answer
    expect(server.polls()).toBe(2);
    await session.leave();
    release();
    await vi.advanceTimersByTimeAsync(QUEUE_TIMING.pollMs * 3);
    expect(session.current).toMatchObject({ ended: 'left', status: { position: 3 } });
    expect(server.polls()).toBe(2);
  });

  it('a leave that does not get through says so and keeps the customer waiting', async () => {
    const { server, session } = setup();
    server.answer(STATUS_ROUTE, waiting());
    server.answer('POST /api/v1/queue/requests/r1/leave', 'network');
    session.start();
    await vi.advanceTimersByTimeAsync(0);
    await session.leave();
    expect(session.current).toMatchObject({ ended: null, actionFailed: true, busy: false });
    session.stop();
  });

  it('lists free future slots, books one, and shows the booking; the camera-free booked pane polls slowly', async () => {
    const { server, session } = setup();
    const soon = NOW + 60 * 60_000;
    server.answer(STATUS_ROUTE, waiting());
    server.answer('GET /api/v1/queue/callback-slots', {
      status: 200,
      body: { serviceType: 'transact', slots: [{ slotStart: soon + 900_000, slotEnd: soon + 1_800_000, free: 2 }, { slotStart: NOW - 900_000, slotEnd: NOW, free: 5 }, { slotStart: soon, slotEnd: soon + 900_000, free: 0 }] },
    });
    const booked = { callbackId: 'cb1', serviceType: 'transact', slotStart: soon + 900_000, slotEnd: soon + 1_800_000, state: 'booked', closedReason: null, reminderUrl: null };
    server.answer('POST /api/v1/queue/requests/r1/callback', { status: 200, body: { ...waiting().body, state: 'callback', position: null, estimatedWaitS: null, callback: booked } });
    session.start();
    await vi.advanceTimersByTimeAsync(0);
    await session.openSlots();
    expect(session.current.pane).toBe('slots');
    expect(session.current.slots?.map((s) => s.slotStart)).toEqual([soon + 900_000]);
    expect(server.calls.find((c) => c.url.startsWith('/api/v1/queue/callback-slots'))).toMatchObject({ url: '/api/v1/queue/callback-slots?requestId=r1', auth: `Bearer ${secret}` });
    await session.book(soon); // not offered (full): nothing is sent
    expect(server.calls.some((c) => c.method === 'POST')).toBe(false);
    await session.book(soon + 900_000);
    expect(server.calls.find((c) => c.method === 'POST')).toMatchObject({ body: { slotStart: soon + 900_000 } });
    expect(session.current).toMatchObject({ pane: 'booked', booked: { slotStart: soon + 900_000, slotEnd: soon + 1_800_000 } });
    // the slot is an hour away: the next look is in 30 s, not 2 s
    server.answer(STATUS_ROUTE, { status: 200, body: { ...waiting().body, state: 'callback', position: null, estimatedWaitS: null, callback: booked } });
    const polls = server.polls();
    await vi.advanceTimersByTimeAsync(QUEUE_TIMING.bookedPollMs - 1);
    expect(server.polls()).toBe(polls);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.polls()).toBe(polls + 1);
    // a later list asks with the service type the server named
    session.stop();
  });

  it('SLOT_FULL shows the list again, refreshed, with a note; REMINDER_NOT_OPEN shows the booking', async () => {
    const { server, session } = setup();
    const slotStart = NOW + 3_600_000;
    const slot = { slotStart, slotEnd: slotStart + 900_000, free: 1 };
    server.answer(STATUS_ROUTE, waiting());
    server.answer('GET /api/v1/queue/callback-slots', { status: 200, body: { serviceType: 'consult', slots: [slot] } }, { status: 200, body: { serviceType: 'consult', slots: [{ ...slot, slotStart: slotStart + 900_000, slotEnd: slotStart + 1_800_000 }] } });
    server.answer('POST /api/v1/queue/requests/r1/callback', { status: 409, body: { error: { code: 'SLOT_FULL', message: 'x' } } }, { status: 403, body: { error: { code: 'REMINDER_NOT_OPEN', message: 'x' } } });
    session.start();
    await vi.advanceTimersByTimeAsync(0);
    await session.openSlots();
    await session.book(slotStart);
    expect(session.current).toMatchObject({ pane: 'slots', slotNotice: 'full' });
    expect(session.current.slots?.map((s) => s.slotStart)).toEqual([slotStart + 900_000]);
    expect(server.calls.filter((c) => c.url.startsWith('/api/v1/queue/callback-slots')).at(-1)?.url).toBe('/api/v1/queue/callback-slots?serviceType=consult&requestId=r1');
    await session.book(slotStart + 900_000);
    expect(session.current).toMatchObject({ pane: 'booked', booked: { slotStart: slotStart + 900_000 } });
    session.stop();
  });

  it('a booked call-back that falls due is back in the queue, and a page opened early shows the booking', async () => {
    const { server, session } = setup();
    const slotStart = NOW + 5 * 60_000; // inside the reminder window: polled as often as while waiting
    const callback = { callbackId: 'cb1', serviceType: 'query', slotStart, slotEnd: slotStart + 900_000, state: 'booked', closedReason: null, reminderUrl: null };
    server.answer(STATUS_ROUTE, { status: 200, body: { ...waiting().body, state: 'callback', position: null, estimatedWaitS: null, callback } }, waiting({ position: 1 }));
    session.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(session.current).toMatchObject({ pane: 'booked', booked: { slotStart } });
    await vi.advanceTimersByTimeAsync(QUEUE_TIMING.pollMs);
    expect(session.current).toMatchObject({ pane: 'status', status: { state: 'waiting', position: 1 } });
    session.stop();

    const early = setup();
    early.server.answer(STATUS_ROUTE, { status: 403, body: { error: { code: 'REMINDER_NOT_OPEN', message: 'x' } } });
    early.session.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(early.session.current).toMatchObject({ pane: 'booked', fatal: null, trouble: false });
    early.session.stop();

    // the same browser remembers the booking, so the early page can still say when
    const rememberServer = new FakeServer();
    rememberServer.answer(STATUS_ROUTE, { status: 403, body: { error: { code: 'REMINDER_NOT_OPEN', message: 'x' } } });
    const remembered = { slotStart: NOW + 3_600_000, slotEnd: NOW + 4_500_000 };
    const recalled = new QueueSession(new QueueApi('r1', secret, rememberServer.fetch), { onChange: () => undefined, onRoom: () => undefined }, Date.now, () => 0.5, remembered);
    recalled.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(recalled.current).toMatchObject({ pane: 'booked', booked: remembered });
    // an hour away: the next look is the slow one
    await vi.advanceTimersByTimeAsync(QUEUE_TIMING.pollMs * 2);
    expect(rememberServer.polls()).toBe(1);
    recalled.stop();
  });
});

describe('queue API errors and backoff', () => {
  it('maps error bodies to the contract codes, and a proxy page by its status', async () => {
    const server = new FakeServer();
    const api = new QueueApi('r1', secret, server.fetch);
    server.answer(STATUS_ROUTE, { status: 429, body: { error: { code: 'UNAVAILABLE', message: 'slow down' } } }, { status: 502, body: '<html>bad gateway</html>' }, { status: 403, body: { error: { code: 'SOMETHING_NEW' } } });
    for (const code of ['UNAVAILABLE', 'UNAVAILABLE', 'FORBIDDEN']) {
      await expect(api.status()).rejects.toEqual(expect.objectContaining({ code }));
    }
    await expect(api.status()).rejects.toBeInstanceOf(QueueApiError);
  });

  it('a request that hangs counts as a network failure', async () => {
    const hang: FetchLike = (_url, init) => new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    const api = new QueueApi('r1', secret, hang, 1_000);
    const result = api.status().catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await result).toMatchObject({ name: 'QueueNetworkError' });
  });

  it('backs off from about 2 s to at most 15 s, jittered on the upper half', () => {
    expect(queueBackoffDelay(1, () => 0)).toBe(1_000);
    expect(queueBackoffDelay(1, () => 1)).toBe(2_000);
    expect(queueBackoffDelay(2, () => 1)).toBe(4_000);
    expect(queueBackoffDelay(3, () => 1)).toBe(8_000);
    expect(queueBackoffDelay(4, () => 1)).toBe(15_000);
    expect(queueBackoffDelay(50, () => 0)).toBe(7_500);
    // below the presence timeout, so a customer back online is seen before being counted as gone
    expect(queueBackoffDelay(50, () => 1)).toBeLessThan(30_000);
  });
});
