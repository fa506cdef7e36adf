/**
 * The workstation's queue client and poll against local stand-in backends (node:http on 127.0.0.1, real sockets;
 * another port is another origin): the token follows the origin, hostile answers are refused, failures back off,
 * a refused token stops the poll until someone acts, and a move to another backend signs the seat out at the old
 * one and asks nothing more there.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentStatus, Offer } from '../../../src/shared/queue';
import type { QueueStatus } from '../../../src/shared/queue-desk';
import { AppFailure } from '../../../src/shared/errors';
import { silentLogger } from '../../../src/main/log/logger';
import { QueueClient, QueueError } from '../../../src/main/queue/queue-client';
import { NO_AGENT_ID_MESSAGE, QueueService } from '../../../src/main/queue/queue-service';
import { json, startFakeBackend, type FakeBackend, type Handler } from '../sync/fake-backend';

const TOKEN_A = 'vd_token-of-a';
const TOKEN_B = 'vd_token-of-b';

let a: FakeBackend;
let b: FakeBackend;
let tokens: Map<string, string>;
const tokenFor = (origin: string) => tokens.get(origin);

const offer = (over: Partial<Offer> = {}): Offer => ({
  requestId: 'req-1',
  serviceType: 'transact',
  customerRef: 'cust-1',
  intent: '开通网银',
  priorChecks: [{ kind: 'sms_otp', result: 'pass', at: 1_700_000_000_000, source: 'app' }],
  hasReferencePhoto: false,
  scriptStep: null,
  origin: 'handover',
  enqueuedAt: 1_700_000_000_000,
  expiresAt: Date.now() + 15_000,
  ...over,
});

const status = (over: Partial<AgentStatus> = {}): AgentStatus => ({ agentId: 'agent-7', state: 'ready', reason: null, skills: ['transact'], offer: null, waiting: 0, serverTime: Date.now(), ...over });

/** A queue backend that keeps the seat's state: PUT sets it, GET answers it (with `offerFor()` while ready). */
function queueBackend(options: { offerFor?: () => Offer | null } = {}): Handler {
  let state: AgentStatus['state'] = 'offline';
  return (request, response) => {
    if (request.path === '/api/v1/queue/agent' && request.method === 'PUT') {
      state = (request.body as { state: AgentStatus['state'] }).state;
      return json(response, 200, status({ state }));
    }
    if (request.path === '/api/v1/queue/agent' && request.method === 'GET') return json(response, 200, status({ state, offer: state === 'ready' ? (options.offerFor?.() ?? null) : null }));
    return json(response, 404, { error: { code: 'NOT_FOUND', message: 'no such endpoint' } });
  };
}

const queuePaths = (backend: FakeBackend) => backend.requests.filter((r) => r.path.startsWith('/api/v1/queue'));

function service(over: { agentId?: string; url?: string; tuning?: ConstructorParameters<typeof QueueService>[0]['tuning'] } = {}) {
  const emitted: QueueStatus[] = [];
  const settings = { agentId: over.agentId ?? 'agent-7', backendUrl: over.url ?? a.url };
  const queue = new QueueService({
    settings: () => settings,
    tokenFor,
    log: silentLogger,
    emit: (s) => emitted.push(s),
    store: { openCase: () => { throw new Error('not in this test'); }, append: () => { throw new Error('not in this test'); } },
    calls: { startInRoom: () => { throw new Error('not in this test'); }, active: () => null },
    desk: null,
    tuning: { readyIntervalMs: 30, idleIntervalMs: 60, backoff: { baseMs: 40, maxMs: 400 }, requestTimeoutMs: 2_000, random: () => 1, ...over.tuning },
  });
  return { queue, emitted, settings };
}

beforeEach(async () => {
  a = await startFakeBackend(queueBackend());
  b = await startFakeBackend(queueBackend());
  tokens = new Map([
    [a.origin, TOKEN_A],
    [b.origin, TOKEN_B],
  ]);
});
afterEach(async () => {
  await a.close();
  await b.close();
});

async function refusal(p: Promise<unknown>): Promise<QueueError> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(QueueError);
  return error as QueueError;
}

describe('QueueClient', () => {
  it('sends each backend only its own token, asked for its origin at the request', async () => {
    await new QueueClient({ backendUrl: a.url, tokenFor }).getAgent();
    await new QueueClient({ backendUrl: b.url, tokenFor }).setAgent('ready', 'agent-7');
    expect(a.requests.map((r) => r.authorization)).toEqual([`Bearer ${TOKEN_A}`]);
    expect(b.requests.map((r) => [r.method, r.path, r.authorization, r.body])).toEqual([['PUT', '/api/v1/queue/agent', `Bearer ${TOKEN_B}`, { state: 'ready', agentId: 'agent-7' }]]);
  });

  it('sends nothing without a token for the origin (NO_TOKEN, not retried by itself)', async () => {
    tokens.delete(a.origin);
    const error = await refusal(new QueueClient({ backendUrl: a.url, tokenFor }).getAgent());
    expect(error).toMatchObject({ backendCode: 'NO_TOKEN', retryable: false, code: 'UNAVAILABLE' });
    expect(a.requests).toHaveLength(0);
  });

  it('never follows a redirect: the token stays with the backend it was entered for', async () => {
    a.handle((_request, response) => {
      response.writeHead(307, { location: `${b.url}/api/v1/queue/agent` });
      response.end();
    });
    const error = await refusal(new QueueClient({ backendUrl: a.url, tokenFor }).getAgent());
    expect(error).toMatchObject({ backendCode: 'REDIRECT_REFUSED', retryable: false });
    expect(b.requests).toHaveLength(0);
  });

  it.each([
    ['an extra field', { ...status(), secret: 'x' }],
    ['a state that is not one', { ...status(), state: 'sleeping' }],
    ['an offer with a hostile customer reference', status({ offer: { ...offer(), customerRef: '../../etc' } })],
    ['an offer with too long an id', status({ offer: { ...offer(), requestId: 'r'.repeat(65) } })],
    ['an array', [status()]],
  ])('refuses a status with %s (MALFORMED_RESPONSE)', async (_what, body) => {
    a.handle((_request, response) => json(response, 200, body));
    expect(await refusal(new QueueClient({ backendUrl: a.url, tokenFor }).getAgent())).toMatchObject({ code: 'BACKEND_REFUSED', backendCode: 'MALFORMED_RESPONSE' });
  });

  it('refuses an answer that is not JSON, and one larger than any queue answer can be', async () => {
    a.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end('<html>proxy</html>');
    });
    expect(await refusal(new QueueClient({ backendUrl: a.url, tokenFor }).getAgent())).toMatchObject({ backendCode: 'MALFORMED_RESPONSE' });
    a.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      // no content-length: the cap holds while reading
      response.end(`{"pad":"${'x'.repeat(9 * 1024 * 1024)}"}`);
    });
    expect(await refusal(new QueueClient({ backendUrl: a.url, tokenFor }).getAgent())).toMatchObject({ backendCode: 'MALFORMED_RESPONSE', message: expect.stringMatching(/larger than/) });
  });

  it('refuses an accept answered for another case or request', async () => {
    a.handle((_request, response) => json(response, 200, { requestId: 'req-1', roomId: 'room-1', caseId: 'someone-elses', expiresAt: 1, offer: offer(), referencePhoto: null }));
    expect(await refusal(new QueueClient({ backendUrl: a.url, tokenFor }).accept('req-1', 'case-1'))).toMatchObject({ backendCode: 'MALFORMED_RESPONSE' });
  });

  it('checks a request id before it goes into a path: nothing is sent for a hostile one', async () => {
    const client = new QueueClient({ backendUrl: a.url, tokenFor });
    for (const id of ['../agent', 'a/b', '', 'x'.repeat(65)]) await expect(client.decline(id)).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
    expect(a.requests).toHaveLength(0);
  });

  it.each([
    [409, 'OFFER_GONE', 'BACKEND_REFUSED', true],
    [401, 'UNAUTHENTICATED', 'BACKEND_REFUSED', false],
    [403, 'FORBIDDEN', 'BACKEND_REFUSED', false],
    [503, 'UNAVAILABLE', 'UNAVAILABLE', true],
    [429, 'RATE_LIMITED', 'UNAVAILABLE', true],
  ])('maps HTTP %i %s to %s (retryable %s)', async (httpStatus, backendCode, code, retryable) => {
    a.handle((_request, response) => json(response, httpStatus, { error: { code: backendCode, message: 'said the backend' } }));
    expect(await refusal(new QueueClient({ backendUrl: a.url, tokenFor }).accept('req-1', 'case-1'))).toMatchObject({ code, backendCode, retryable, message: `${backendCode}: said the backend` });
  });

  it('stop() aborts the request in flight', async () => {
    a.handle(() => undefined); // never answers
    const client = new QueueClient({ backendUrl: a.url, tokenFor });
    const pending = client.getAgent();
    await expect.poll(() => a.requests.length).toBe(1);
    client.stop();
    expect(await refusal(pending)).toMatchObject({ backendCode: 'STOPPED' });
  });
});

describe('QueueService: the poll', () => {
  it('refuses to go online without a usable agent id, in Chinese, and sends nothing', async () => {
    const { queue } = service({ agentId: '坐席 7' });
    await queue.connect(a.url);
    const error = await queue.setState('ready').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppFailure);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', message: NO_AGENT_ID_MESSAGE });
    expect(queuePaths(a)).toHaveLength(0);
    await queue.close();
  });

  it('polls about every interval while ready and shows the offer the backend gives; stops polling once offline', async () => {
    let offered: Offer | null = null;
    a.handle(queueBackend({ offerFor: () => offered }));
    const issued: { path: string; at: number }[] = [];
    const tracing: typeof fetch = (input, init) => {
      issued.push({ path: new URL(String(input)).pathname, at: performance.now() });
      return fetch(input, init);
    };
    const { queue, emitted } = service({ tuning: { fetch: tracing } });
    await queue.connect(a.url);
    const ready = await queue.setState('ready');
    expect(ready).toMatchObject({ state: 'ready', link: 'polling', agentId: 'agent-7' });
    await expect.poll(() => queuePaths(a).filter((r) => r.method === 'GET').length).toBeGreaterThanOrEqual(3);
    offered = offer({ requestId: 'req-9' });
    await expect.poll(() => emitted.at(-1)?.offer?.requestId).toBe('req-9');
    expect(queue.current().offer).toMatchObject({ requestId: 'req-9', priorChecks: [{ kind: 'sms_otp', source: 'app' }] });
    await queue.setState('offline');
    // judged on when requests were issued: a poll sent just before going offline may reach the stand-in (in this
    // same process) a moment later
    const offlineAt = performance.now();
    await new Promise((r) => setTimeout(r, 200));
    expect(issued.filter((r) => r.at > offlineAt)).toEqual([]);
    expect(queue.current()).toMatchObject({ state: 'offline', link: 'off' });
    await queue.close();
  });

  it('backs off with growing gaps while the backend fails, and polls normally again once it answers', async () => {
    let failing = false;
    const healthy = queueBackend();
    a.handle((request, response, raw) => (failing && request.method === 'GET' ? json(response, 503, { error: { code: 'UNAVAILABLE', message: 'down' } }) : healthy(request, response, raw)));
    const { queue } = service();
    await queue.connect(a.url);
    await queue.setState('ready');
    failing = true;
    await expect.poll(() => queue.current().link).toBe('backoff');
    await expect.poll(() => queuePaths(a).filter((r) => r.method === 'GET').length, { timeout: 5_000 }).toBeGreaterThanOrEqual(4);
    const times = queuePaths(a).filter((r) => r.method === 'GET').map((r) => r.at);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // 40, 80, 160 ms (random() = 1: the cap itself), each clearly longer than the 30 ms poll interval
    expect(gaps.at(-1)!).toBeGreaterThan(gaps[0]! + 40);
    expect(queue.current().lastError).toMatchObject({ code: 'UNAVAILABLE' });
    failing = false;
    await expect.poll(() => queue.current().link, { timeout: 5_000 }).toBe('polling');
    expect(queue.current().lastError).toBeNull();
    await queue.close();
  });

  it('stops asking when the backend refuses the token, until the token changes', async () => {
    let refused = false;
    const healthy = queueBackend();
    a.handle((request, response, raw) => (refused ? json(response, 401, { error: { code: 'UNAUTHENTICATED', message: 'revoked' } }) : healthy(request, response, raw)));
    const { queue } = service();
    await queue.connect(a.url);
    await queue.setState('ready');
    refused = true;
    await expect.poll(() => queue.current().link).toBe('blocked');
    const asked = queuePaths(a).length;
    await new Promise((r) => setTimeout(r, 250));
    expect(queuePaths(a).length).toBe(asked);
    refused = false;
    tokens.set(a.origin, 'vd_new-token');
    queue.refresh();
    await expect.poll(() => queuePaths(a).at(-1)?.authorization).toBe('Bearer vd_new-token');
    await expect.poll(() => queue.current()).toMatchObject({ link: 'polling', state: 'ready', lastError: null });
    await queue.close();
  });

  it('on a backend move: signs out at the old backend, asks it nothing more, and waits for the agent at the new one', async () => {
    const { queue, settings } = service();
    await queue.connect(a.url);
    await queue.setState('ready');
    await expect.poll(() => queuePaths(a).filter((r) => r.method === 'GET').length).toBeGreaterThanOrEqual(2);
    settings.backendUrl = b.url;
    await queue.connect(b.url);
    const last = queuePaths(a).at(-1)!;
    expect([last.method, last.body, last.authorization]).toEqual(['PUT', { state: 'offline', agentId: 'agent-7' }, `Bearer ${TOKEN_A}`]);
    const askedA = queuePaths(a).length;
    await new Promise((r) => setTimeout(r, 200));
    expect(queuePaths(a).length).toBe(askedA);
    expect(queuePaths(b)).toHaveLength(0);
    expect(queue.current()).toMatchObject({ state: 'offline', reason: 'backend_changed', server: b.origin, link: 'off' });
    await queue.setState('ready');
    await expect.poll(() => queuePaths(b).filter((r) => r.method === 'GET').length).toBeGreaterThanOrEqual(1);
    expect(new Set(queuePaths(b).map((r) => r.authorization))).toEqual(new Set([`Bearer ${TOKEN_B}`]));
    await queue.close();
    // closing signs the seat out where it is
    expect(queuePaths(b).at(-1)).toMatchObject({ method: 'PUT', body: { state: 'offline', agentId: 'agent-7' } });
  });
});
