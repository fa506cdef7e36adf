/**
 * Registers signaling on the backend: POST /api/v1/rooms (workstation creates a room) and the
 * WebSocket /api/v1/signal. @fastify/websocket is registered inside this plugin's own scope with
 * maxPayload = maxMessageBytes, so an oversized frame is refused by ws itself (close 1009) before
 * it is buffered, and no other route of the app is affected.
 */
import fastifyWebsocket from '@fastify/websocket';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { ServerDb } from '../db/database';
import { requireRole } from '../auth/tokens';
import { CreateRoomRequestSchema, ROOMS_PATH, SIGNAL_PATH, type SignalErrorCode } from '../../src/shared/signaling';
import { SignalConnection } from './connection';
import { SignalingService, type SignalingOptions } from './service';

/** `{error:{code,message}}` with a signaling code (server/errors.ts speaks the sync codes). */
export function sendSignalError(reply: FastifyReply, status: number, code: SignalErrorCode, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error: { code, message } });
}

export async function registerSignaling(app: FastifyInstance, db: ServerDb, log: Logger, options: SignalingOptions = {}): Promise<SignalingService> {
  const service = new SignalingService(db, log, options);
  app.addHook('onReady', () => service.start());

  app.post(
    ROOMS_PATH,
    {
      preHandler: requireRole(db, 'workstation'),
      bodyLimit: 4096,
      // Body parser failures on this route answer in the signaling vocabulary.
      errorHandler: (error: FastifyError, request, reply) => {
        if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendSignalError(reply, 413, 'MESSAGE_TOO_LARGE', 'request body too large');
        const status = error.statusCode ?? 500;
        if (status < 500) return sendSignalError(reply, 400, 'MALFORMED_MESSAGE', 'send a JSON body {caseId}');
        request.log.error({ err: { message: error.message, code: error.code } }, 'room creation failed');
        return sendSignalError(reply, 503, 'UNAVAILABLE', 'could not create the room; retry');
      },
    },
    async (request, reply) => {
      const body = CreateRoomRequestSchema.safeParse(request.body);
      if (!body.success) return sendSignalError(reply, 400, 'MALFORMED_MESSAGE', 'body must be {caseId} with caseId of 1-64 characters A-Z a-z 0-9 . _ : -');
      const room = await service.createRoom(body.data.caseId, request.principal!.name, `${request.protocol}://${request.host}`);
      // The response carries the customer's secret: never cache it.
      return reply.code(201).header('cache-control', 'no-store').send(room);
    },
  );

  await app.register(async (scope) => {
    // Runs before @fastify/websocket's own preClose (which closes without a code): 1001 = reconnect.
    scope.addHook('preClose', async () => service.stop());
    await scope.register(fastifyWebsocket, { options: { maxPayload: service.limits.maxMessageBytes } });
    scope.get(SIGNAL_PATH, { websocket: true }, (socket, request) => {
      const authorization = typeof request.headers.authorization === 'string' ? request.headers.authorization : undefined;
      service.track(new SignalConnection(socket, authorization, service, log));
    });
  });
  return service;
}
