/**
 * Answers in the queue API's own vocabulary (src/shared/queue.ts QUEUE_ERROR_CODES): server/errors.ts speaks the
 * sync codes, so queue routes send their errors through here and install `queueErrorHandler` on their scope.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { QueueErrorCode } from '../../src/shared/queue';

export function sendQueueError(reply: FastifyReply, status: number, code: QueueErrorCode, message: string): FastifyReply {
  return reply.code(status).type('application/json').header('cache-control', 'no-store').send({ error: { code, message } });
}

/** Body-parser and unexpected failures of queue routes: never echoes the body (it may carry a photo or a customer ref). */
export function queueErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendQueueError(reply, 413, 'PAYLOAD_TOO_LARGE', 'request body is larger than the queue API accepts');
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendQueueError(reply, 415, 'INVALID_PAYLOAD', 'send application/json');
  const status = error.statusCode ?? 500;
  if (status < 500) return sendQueueError(reply, 400, 'INVALID_PAYLOAD', 'the body is not valid JSON');
  request.log.error({ err: { message: error.message, code: error.code } }, 'queue request failed');
  return sendQueueError(reply, 503, 'UNAVAILABLE', 'the queue could not handle the request; retry');
}
