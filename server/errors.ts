import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { SyncErrorBody, SyncErrorCode } from '../src/shared/cases';

/** A deliberate API error: status + closed code (src/shared/cases.ts SYNC_ERROR_CODES). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: SyncErrorCode,
    message: string,
    readonly where: { caseId?: string; seq?: number } = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function sendError(reply: FastifyReply, status: number, code: SyncErrorCode, message: string, where: { caseId?: string; seq?: number } = {}): FastifyReply {
  const body: SyncErrorBody = { error: { code, message, ...where } };
  return reply.code(status).type('application/json').send(body);
}

/** Maps every failure to `{ error: { code, message } }`; never echoes bodies or tokens into logs. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiError) {
      request.log.warn({ code: error.code, caseId: error.where.caseId, seq: error.where.seq, principal: request.principal?.name, token: request.principal?.tokenName }, 'request rejected');
      return sendError(reply, error.status, error.code, error.message, error.where);
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, 413, 'PAYLOAD_TOO_LARGE', 'request body is larger than the server accepts');
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendError(reply, 415, 'MALFORMED_BATCH', 'send application/json');
    const status = error.statusCode ?? 500;
    if (status < 500) return sendError(reply, status, 'MALFORMED_BATCH', `malformed request: ${error.message.slice(0, 200)}`);
    request.log.error({ err: { message: error.message, code: error.code, stack: error.stack } }, 'request failed');
    return sendError(reply, 500, 'INTERNAL', 'internal server error');
  });
  app.setNotFoundHandler((_request, reply) => sendError(reply, 404, 'NOT_FOUND', 'no such endpoint'));
}
