/**
 * The recording API's refusals: the server's `{ error: { code, message } }` body, with codes of its own
 * besides the shared ones (UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, PAYLOAD_TOO_LARGE, UNAVAILABLE, INTERNAL).
 * Which are worth retrying is the status's business: 409 NOT_SYNCED and 409 INCOMPLETE go away by
 * themselves (sync, resend), 5xx/429 are transient, the others need a person.
 */
import type { FastifyReply } from 'fastify';
import type { SyncErrorCode } from '../../src/shared/cases';

export type RecordingErrorCode =
  | SyncErrorCode
  /** A chunk whose bytes do not hash to the digest it was sent with, or a complete whose digests are not the case log's. */
  | 'DIGEST_MISMATCH'
  /** The seq (or seek header) is already held with other bytes. */
  | 'CHUNK_CONFLICT'
  /** The case, or the recording's sealing event, is not on the server yet: sync first. */
  | 'NOT_SYNCED'
  /** The case log says the recording failed: there is nothing complete to upload. */
  | 'RECORDING_FAILED'
  /** Complete was asked while chunks (or the seek header) are missing; `missing` lists some. */
  | 'INCOMPLETE'
  /** Retention deleted it. */
  | 'PURGED'
  | 'INVALID_PAYLOAD'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RANGE_NOT_SATISFIABLE';

export class RecordingApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: RecordingErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'RecordingApiError';
  }
}

export function sendRecordingError(reply: FastifyReply, status: number, code: RecordingErrorCode, message: string, details: Record<string, unknown> = {}): FastifyReply {
  return reply.code(status).type('application/json').header('Cache-Control', 'no-store').send({ error: { code, message, ...details } });
}
