/**
 * Refusals of the call-back and wallboard routes: the server's `{ error: { code, message } }` body with the
 * queue's codes (src/shared/queue.ts QUEUE_ERROR_CODES). Thrown by the domain functions, answered by the
 * plugins' error handlers; unexpected errors fall through to the server's handler (server/errors.ts).
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { QueueErrorCode } from '../../src/shared/queue';

export class QueueApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: QueueErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'QueueApiError';
  }
}

export function sendQueueError(reply: FastifyReply, status: number, code: QueueErrorCode, message: string, details: Record<string, unknown> = {}): FastifyReply {
  return reply.code(status).type('application/json').header('Cache-Control', 'no-store').send({ error: { code, message, ...details } });
}

/** In an encapsulated plugin: QueueApiError → its body; other errors go on to the parent's handler. */
export function installQueueErrors(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof QueueApiError) {
      request.log.warn({ code: error.code, principal: request.principal?.name }, 'queue request refused');
      return sendQueueError(reply, error.status, error.code, error.message, error.details);
    }
    // The body parser's refusals, in the queue's codes (the server's own handler would answer sync codes).
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendQueueError(reply, 413, 'PAYLOAD_TOO_LARGE', 'request body is larger than this endpoint accepts');
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) return sendQueueError(reply, 400, 'INVALID_PAYLOAD', 'the body is not valid JSON');
    throw error;
  });
}
