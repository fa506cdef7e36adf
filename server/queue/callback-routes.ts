/**
 * Call-back appointment routes (docs/queue.md "Call-backs"; contract src/shared/queue.ts):
 *
 *   channel | secret   GET  /api/v1/queue/callback-slots?serviceType=&days=   (secret: also requestId=)
 *   customer secret    POST /api/v1/queue/requests/:id/callback  {slotStart}  → CustomerQueueStatus
 *   channel token      POST /api/v1/queue/callbacks   ChannelBookCallbackSchema → {requestId, replayed, callback}
 *
 * and the due sweep's timer (started on ready, stopped on close). The customer's secret travels as
 * `Authorization: Bearer <secret>`, never in a URL, so no access log holds it.
 *
 *   await app.register(registerQueueCallbacks, { db, ...options })
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BookCallbackSchema, ChannelBookCallbackSchema, QUEUE_PATHS, QueueIdSchema, ServiceTypeSchema } from '../../src/shared/queue';
import { requireRole } from '../auth/tokens';
import type { ServerDb } from '../db/database';
import { resolveCallbackConfig, type CallbackOptions } from './callback-config';
import { installQueueErrors, QueueApiError } from './callback-errors';
import { sweepCallbacks } from './callback-sweep';
import { bookForChannel, bookFromQueue, customerRequest, freeSlots } from './callbacks';

export interface QueueCallbackPluginOptions extends CallbackOptions {
  db: ServerDb;
}

/** Bookings are a few fields: anything near this is not one. */
const BODY_LIMIT = 16 * 1024;
const DEFAULT_DAYS = 7;

const SlotsQuerySchema = z
  .object({
    serviceType: ServiceTypeSchema.optional(),
    days: z
      .string()
      .regex(/^\d{1,2}$/, 'days must be a whole number')
      .transform(Number)
      .optional(),
    requestId: QueueIdSchema.optional(),
  })
  .strict();

const BEARER = /^Bearer\s+(\S{8,256})$/;

/** The customer's secret from `Authorization: Bearer`, or 401. */
function customerSecret(request: FastifyRequest): string {
  const m = BEARER.exec(request.headers.authorization ?? '');
  if (!m?.[1]) throw new QueueApiError(401, 'UNAUTHENTICATED', "send the customer's link secret as Authorization: Bearer <secret>");
  return m[1];
}

const invalid = (what: string, error: z.ZodError): QueueApiError => {
  const issue = error.issues[0];
  const where = issue?.path.length ? ` (${issue.path.join('.')})` : '';
  return new QueueApiError(400, 'INVALID_PAYLOAD', `${what}${where}: ${issue?.message ?? 'invalid'}`);
};

export const registerQueueCallbacks: FastifyPluginAsync<QueueCallbackPluginOptions> = async (app, options) => {
  const { db } = options;
  const config = resolveCallbackConfig(options);
  const log = app.log.child({ component: 'queue-callbacks' });
  installQueueErrors(app);
  const channelOnly = requireRole(db, 'channel');
  const publicBase = (request: FastifyRequest) => config.publicUrl ?? `${request.protocol}://${request.host}`;

  app.get(QUEUE_PATHS.callbackSlots, async (request, reply) => {
    const q = SlotsQuerySchema.safeParse(request.query);
    if (!q.success) throw invalid('bad query', q.error);
    const days = q.data.days ?? Math.min(DEFAULT_DAYS, config.calendar.maxDays);
    if (days < 1 || days > config.calendar.maxDays) throw new QueueApiError(400, 'INVALID_PAYLOAD', `days must be 1-${config.calendar.maxDays}`);
    let serviceType = q.data.serviceType;
    if (q.data.requestId !== undefined) {
      // A customer: their request's service type is the one that counts.
      const req = await customerRequest(db, q.data.requestId, customerSecret(request));
      if (serviceType !== undefined && serviceType !== req.service_type) throw new QueueApiError(400, 'INVALID_PAYLOAD', "serviceType differs from the request's");
      serviceType = req.service_type;
    } else {
      await channelOnly(request, reply);
      if (reply.sent) return reply;
      if (serviceType === undefined) throw new QueueApiError(400, 'INVALID_PAYLOAD', 'serviceType is required');
    }
    reply.header('Cache-Control', 'no-store');
    return { serviceType, slots: await freeSlots(db, config, serviceType, days, config.now()) };
  });

  app.post<{ Params: { id: string } }>(`${QUEUE_PATHS.requests}/:id/callback`, { bodyLimit: BODY_LIMIT }, async (request, reply) => {
    const secret = customerSecret(request);
    if (!QueueIdSchema.safeParse(request.params.id).success) throw new QueueApiError(404, 'NOT_FOUND', 'no such request, or the link is not valid for it');
    const body = BookCallbackSchema.safeParse(request.body);
    if (!body.success) throw invalid('bad call-back booking', body.error);
    const status = await bookFromQueue(db, config, request.params.id, secret, body.data.slotStart, publicBase(request));
    log.info({ reqId: request.id, request: request.params.id, callback: status.callback?.callbackId, slotStart: body.data.slotStart }, 'call-back booked by the customer');
    return reply.header('Cache-Control', 'no-store').send(status);
  });

  app.post(QUEUE_PATHS.callbacks, { bodyLimit: BODY_LIMIT, preHandler: channelOnly }, async (request, reply) => {
    const body = ChannelBookCallbackSchema.safeParse(request.body);
    if (!body.success) throw invalid('bad call-back booking', body.error);
    const channel = request.principal!.name;
    const result = await bookForChannel(db, config, channel, body.data, publicBase(request));
    log.info({ reqId: request.id, channel, request: result.requestId, callback: result.callback.callbackId, replayed: result.replayed }, 'call-back booked by a channel');
    return reply
      .code(result.replayed ? 200 : 201)
      .header('Cache-Control', 'no-store')
      .send(result);
  });

  // Every instance sweeps; the sweep's conditional updates make concurrent sweeps harmless.
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  const sweep = () => {
    running ??= (async () => {
      try {
        const r = await sweepCallbacks(db, config.now());
        if (r.queued + r.retried + r.done + r.closed > 0) log.info(r, 'call-back sweep');
      } catch (error) {
        log.warn({ err: error instanceof Error ? error.message : String(error) }, 'call-back sweep failed');
      } finally {
        running = null;
      }
    })();
    return running;
  };
  app.addHook('onReady', async () => {
    if (config.sweepIntervalMs > 0) timer = setInterval(() => void sweep(), config.sweepIntervalMs).unref();
  });
  app.addHook('onClose', async () => {
    if (timer) clearInterval(timer);
    await running;
  });
};
