/**
 * The queue's HTTP API (src/shared/queue.ts has every path, schema and code; docs/queue.md the behaviour):
 *
 *   channel token      POST /api/v1/queue/requests               hand a customer over
 *   customer secret    GET  /api/v1/queue/requests/:id            position, estimated wait, room once assigned
 *   customer secret    POST /api/v1/queue/requests/:id/leave
 *   workstation token  PUT|GET /api/v1/queue/agent               presence and the pending offer
 *   workstation token  POST /api/v1/queue/offers/:id/accept|decline
 *   workstation token  POST /api/v1/queue/requests/:id/finish
 *
 *   await app.register(registerQueue, { db, signaling, ... })
 *
 * Registered as an encapsulated plugin with its own error handler (answers in the queue's codes). Customer refs,
 * secrets and photos are never logged: log lines name the request id and the workstation.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import {
  AcceptOfferSchema,
  QUEUE_LIMITS,
  QUEUE_JOIN_PATH_PREFIX,
  QUEUE_PATHS,
  QueueIdSchema,
  SetAgentStateSchema,
  type AcceptedOffer,
  type HandoverResponse,
} from '../../src/shared/queue';
import { requireRole } from '../auth/tokens';
import type { ServerDb } from '../db/database';
import { customerRefHash, keySource, openPhoto, ReferencePhotoDecryptError } from '../reference-photos/crypto';
import { resolveReferencePhotoConfig, type ReferencePhotoOptions } from '../reference-photos/routes';
import { isReferencePhotoMime } from '../reference-photos/sniff';
import { findPhoto } from '../reference-photos/store';
import { MAX_AGENT_WAIT_MS } from './agent-wakeups';
import { agentStatus, setAgentState } from './agents';
import { callbackWindow } from './callbacks';
import { customerStatus, HandleTimeCache, leaveQueue, touchRequest } from './customer';
import { queueErrorHandler, sendQueueError } from './errors';
import { storeHandover, validateHandover } from './handover';
import { acceptedOffer, acceptOffer, declineOffer, finishRequest, type RoomMaker } from './offers';
import { QueueService, resolveQueueOptions, type QueueOptions } from './service';

export interface QueuePluginOptions extends QueueOptions {
  db: ServerDb;
  /** Makes the room at accept (the app's SignalingService). */
  signaling: RoomMaker;
  /** Base of join links (SignalingOptions.publicUrl); default: the request's own origin. */
  publicUrl?: string;
  /** The reference-photo settings, so photos are sealed with the same key and TTL as that module's. */
  referencePhotos?: ReferencePhotoOptions;
  /** Told the instance's service once it exists (tests, the benchmark, the call-backs module). */
  onService?: (service: QueueService) => void;
}

const BEARER = /^Bearer\s+(\S{8,256})$/;
const secretOf = (request: FastifyRequest): string | null => BEARER.exec(request.headers.authorization ?? '')?.[1] ?? null;

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

export const registerQueue: FastifyPluginAsync<QueuePluginOptions> = async (app, options) => {
  const { db } = options;
  const o = resolveQueueOptions(options);
  const service = new QueueService(db, app.log.child({ component: 'queue' }), o);
  options.onService?.(service);
  app.addHook('onReady', async () => {
    await service.start();
  });
  // held agent polls answer before the server waits for in-flight requests to end (else close waits up to a hold)
  app.addHook('preClose', async () => service.wakeups.stop());
  app.addHook('onClose', async () => service.stop());
  app.setErrorHandler(queueErrorHandler);
  // leave, decline and finish take no body, and clients commonly send `content-type: application/json` with an
  // empty one anyway: this scope reads that as no body instead of Fastify's 400. Route bodyLimits still apply
  // (the parser reads the body as a string under them). Every body is then checked by a strict zod schema, which
  // refuses unknown keys such as __proto__.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(Object.assign(new Error('the body is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });

  const photoConfig = resolveReferencePhotoConfig(options.referencePhotos ?? {});
  // The same key source as registerReferencePhotos: the key file is created atomically, so either may come first.
  const keys = keySource({ serverKeyHex: photoConfig.serverKeyHex, keyFile: photoConfig.keyFile });
  const photoTtlSeconds = photoConfig.ttlDays * 86_400;
  const handleTimes = new HandleTimeCache();

  const channelOnly = requireRole(db, 'channel');
  const workstationOnly = requireRole(db, 'workstation');
  const validId = async (request: IdRequest, reply: FastifyReply) => {
    if (!QueueIdSchema.safeParse(request.params.id).success) return sendQueueError(reply, 404, 'NOT_FOUND', 'no such request');
  };
  // Customers have no token: their budget is per address, on the rate-limit plugin's counters (absent when limits are off).
  const customerCheck = app.hasDecorator('createRateLimit') ? app.createRateLimit({ max: o.customerPerIpPerMinute, timeWindow: 60_000, keyGenerator: (r) => `queue-customer:${r.ip}` }) : null;
  const customerBudget = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!customerCheck) return;
    const r = await customerCheck(request);
    if (r.isAllowed || !r.isExceeded) return;
    reply.header('retry-after', Math.max(1, r.ttlInSeconds));
    return reply.code(429).type('application/json').send({ error: { code: 'RATE_LIMITED', message: `more than ${r.max} queue requests per minute from this address` } });
  };
  const customer = { config: { rateLimit: false as const }, onRequest: [customerBudget, validId] };

  app.post(QUEUE_PATHS.requests, { bodyLimit: QUEUE_LIMITS.maxBodyBytes, onRequest: [channelOnly] }, async (request, reply) => {
    const valid = validateHandover(request.body);
    if (!valid.ok) {
      request.log.warn({ channel: request.principal?.name, code: valid.code }, 'hand-over refused');
      return sendQueueError(reply, valid.status, valid.code, valid.message);
    }
    const channel = request.principal!.name;
    const now = service.now();
    const result = await storeHandover(db, keys, channel, valid.value, now);
    if (result.kind === 'conflict') return sendQueueError(reply, 409, 'IDEMPOTENCY_CONFLICT', 'channelRequestId was used before with another body');
    if (result.kind === 'replay') {
      const body: HandoverResponse = { requestId: result.requestId, joinUrl: null, state: result.state, replayed: true };
      return reply.code(200).header('cache-control', 'no-store').send(body);
    }
    request.log.info({ channel, request: result.requestId, serviceType: valid.value.body.serviceType, hasPhoto: valid.value.photo !== null }, 'customer handed over');
    void service.kick();
    const base = (options.publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '');
    // The secret rides in the fragment: a browser never sends it in a request line, so no access log has it.
    const body: HandoverResponse = { requestId: result.requestId, joinUrl: `${base}${QUEUE_JOIN_PATH_PREFIX}${result.requestId}#${result.secret}`, state: 'waiting', replayed: false };
    return reply.code(201).header('cache-control', 'no-store').send(body);
  });

  app.get<{ Params: { id: string } }>(`${QUEUE_PATHS.requests}/:id`, customer, async (request, reply) => {
    const secret = secretOf(request);
    const now = service.now();
    const touched = secret ? await touchRequest(db, request.params.id, secret, now) : null;
    if (!touched) return sendQueueError(reply, 404, 'NOT_FOUND', 'no such request');
    const { request: r, previouslySeenAt } = touched;
    // A customer who just arrived (or came back) can be routed now rather than at the next timer round.
    if (r.state === 'waiting' && (previouslySeenAt === null || previouslySeenAt <= now - o.presenceTimeoutMs)) void service.kick();
    const status = await customerStatus(db, r, now, o.presenceTimeoutMs, handleTimes);
    // a booked call-back: its slot, shown by the page in any browser (before the reminder window opens the page
    // shows the booking and waits; from then on the same link queues the customer — server/queue/callbacks.ts)
    const booked = r.callbackId ? await callbackWindow(db, r.requestId, now) : null;
    return reply.header('cache-control', 'no-store').send(booked ? { ...status, callback: booked.callback } : status);
  });

  app.post<{ Params: { id: string } }>(`${QUEUE_PATHS.requests}/:id/leave`, customer, async (request, reply) => {
    const secret = secretOf(request);
    const now = service.now();
    const touched = secret ? await touchRequest(db, request.params.id, secret, now) : null;
    if (!touched) return sendQueueError(reply, 404, 'NOT_FOUND', 'no such request');
    const left = await leaveQueue(db, touched.request, now);
    if (!left.ok) return sendQueueError(reply, 409, 'NOT_WAITING', 'the request is no longer waiting');
    request.log.info({ request: touched.request.requestId, withdrawnFrom: left.withdrawnFrom }, 'customer left the queue');
    if (left.withdrawnFrom) void service.kick();
    return reply.header('cache-control', 'no-store').send(await customerStatus(db, { ...touched.request, state: 'left' }, now, o.presenceTimeoutMs, handleTimes));
  });

  app.put(QUEUE_PATHS.agent, { bodyLimit: 4096, onRequest: [workstationOnly] }, async (request, reply) => {
    const body = SetAgentStateSchema.safeParse(request.body);
    if (!body.success) return sendQueueError(reply, 400, 'INVALID_PAYLOAD', `body must be {state, agentId}: ${body.error.issues[0]?.path.join('.') || 'body'} ${body.error.issues[0]?.message ?? ''}`.trim());
    const workstation = request.principal!.name;
    const now = service.now();
    const { changed } = await setAgentState(db, workstation, body.data.agentId, body.data.state, now);
    if (changed) request.log.info({ workstation, agentId: body.data.agentId, state: body.data.state }, 'agent state set');
    if (body.data.state === 'ready') await service.kick();
    return reply.header('cache-control', 'no-store').send(await agentStatus(db, workstation, service.now()));
  });

  // ?waitMs=N (≤ MAX_AGENT_WAIT_MS): a ready agent without an offer is answered when one is made (or lapses, on any
  // instance), or after N ms — the offer shows as soon as routing made it instead of at the next poll
  app.get<{ Querystring: { waitMs?: string } }>(QUEUE_PATHS.agent, { onRequest: [workstationOnly] }, async (request, reply) => {
    const workstation = request.principal!.name;
    const raw = request.query.waitMs;
    const waitMs = raw === undefined ? 0 : /^\d{1,6}$/.test(raw) ? Math.min(Number(raw), MAX_AGENT_WAIT_MS) : -1;
    if (waitMs < 0) return sendQueueError(reply, 400, 'INVALID_PAYLOAD', `waitMs must be 0-${MAX_AGENT_WAIT_MS} milliseconds`);
    const wait = waitMs > 0 ? service.wakeups.wait(workstation, waitMs) : null;
    let status = await agentStatus(db, workstation, service.now());
    if (wait && status.state === 'ready' && status.offer === null) {
      // the response's 'close' before it was sent = the client went away (the request's own 'close' fires as soon
      // as its empty body was read)
      reply.raw.once('close', wait.cancel);
      await wait.done;
      reply.raw.off('close', wait.cancel);
      if (reply.raw.destroyed) return reply;
      status = await agentStatus(db, workstation, service.now());
    } else {
      wait?.cancel();
    }
    return reply.header('cache-control', 'no-store').send(status);
  });

  app.post<{ Params: { id: string } }>(`${QUEUE_PATHS.offers}/:id/accept`, { bodyLimit: 4096, onRequest: [workstationOnly, validId] }, async (request, reply) => {
    const body = AcceptOfferSchema.safeParse(request.body);
    if (!body.success) return sendQueueError(reply, 400, 'INVALID_PAYLOAD', 'body must be {caseId} with caseId of 1-64 characters A-Z a-z 0-9 . _ : -');
    const workstation = request.principal!.name;
    const result = await acceptOffer(db, options.signaling, workstation, request.params.id, body.data.caseId, service.now());
    if (!result.ok) return sendQueueError(reply, 409, 'OFFER_GONE', 'the offer is no longer open to this workstation (lapsed, withdrawn or taken)');
    request.log.info({ request: request.params.id, workstation, room: result.roomId, replayed: result.replayed }, 'queue offer accepted');
    let photo: AcceptedOffer['referencePhoto'] = null;
    if (result.request.hasPhoto) {
      const k = keys();
      const found = await findPhoto(db, customerRefHash(k, result.request.customerRef), photoTtlSeconds);
      if (found && isReferencePhotoMime(found.mime)) {
        try {
          photo = { type: found.mime, base64: openPhoto(k, result.request.customerRef, found.mime, found.ciphertext).toString('base64') };
        } catch (error) {
          if (!(error instanceof ReferencePhotoDecryptError)) throw error;
          request.log.error({ request: request.params.id }, error.message);
        }
      }
    }
    return reply.header('cache-control', 'no-store').send(acceptedOffer(result, photo));
  });

  app.post<{ Params: { id: string } }>(`${QUEUE_PATHS.offers}/:id/decline`, { bodyLimit: 4096, onRequest: [workstationOnly, validId] }, async (request, reply) => {
    const workstation = request.principal!.name;
    if (!(await declineOffer(db, workstation, request.params.id, service.now()))) return sendQueueError(reply, 409, 'OFFER_GONE', 'the offer is no longer open to this workstation');
    request.log.info({ request: request.params.id, workstation }, 'queue offer declined');
    void service.kick();
    return reply.header('cache-control', 'no-store').send({ requestId: request.params.id, declined: true });
  });

  app.post<{ Params: { id: string } }>(`${QUEUE_PATHS.requests}/:id/finish`, { bodyLimit: 4096, onRequest: [workstationOnly, validId] }, async (request, reply) => {
    const workstation = request.principal!.name;
    const result = await finishRequest(db, workstation, request.params.id, service.now());
    if (result === 'not_found') return sendQueueError(reply, 404, 'NOT_FOUND', 'no request assigned to this workstation with that id');
    if (result === 'finished') {
      request.log.info({ request: request.params.id, workstation }, 'queue request finished');
      void service.kick();
    }
    return reply.header('cache-control', 'no-store').send({ requestId: request.params.id, state: 'finished' });
  });
};
