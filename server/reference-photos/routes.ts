/**
 * Reference photos by customer reference (docs/reference-photos.md): a self-service channel (app,
 * IVR, chatbot) stores the customer's reference photo; the agent's workstation fetches it when the
 * call starts, as the ID photo source.
 *
 *   PUT    /api/v1/reference-photos/:customerRef   channel token; body = image/jpeg|png|webp bytes, ≤ 10 MiB
 *   GET    /api/v1/reference-photos/:customerRef   workstation or lead token → the bytes, Cache-Control: no-store
 *   DELETE /api/v1/reference-photos/:customerRef   channel token
 *
 * Encrypted at rest (crypto.ts), rows keyed by an HMAC of the reference (store.ts), swept after
 * `ttlDays`. The customer reference is pseudonymous but still personal data: it is never logged in
 * clear (only a prefix of its keyed hash), and neither are the bytes. Fastify's own per-request
 * lines carry the URL, so these routes log at warn and above only; this module writes its own.
 *
 *   await app.register(registerReferencePhotos, { db, ...options })
 *
 * Registered as an encapsulated plugin: its catch-all binary body parser applies to its routes only.
 */
import { join, resolve } from 'node:path';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { SyncErrorCode } from '../../src/shared/cases';
import { requireRole } from '../auth/tokens';
import { schedulePeriodic } from '../jobs/periodic';
import type { ServerDb } from '../db/database';
import { customerRefHash, keySource, openPhoto, ReferencePhotoDecryptError, sealPhoto } from './crypto';
import { checkReferencePhoto, isReferencePhotoMime, REFERENCE_PHOTO_MIME_TYPES, type ReferencePhotoMime } from './sniff';
import { deletePhoto, findPhoto, sweepExpiredPhotos, upsertPhoto } from './store';

export const REFERENCE_PHOTOS_PATH = '/api/v1/reference-photos';

/** A customer reference: a pseudonymous id from the channel. `.` and `..` are refused (URL dot segments). */
export const CUSTOMER_REF_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
export const isCustomerRef = (value: string): boolean => CUSTOMER_REF_PATTERN.test(value) && value !== '.' && value !== '..';

export const REFERENCE_PHOTO_LIMITS = {
  /** Largest accepted photo: 10 MiB. */
  maxBytes: 10 * 1024 * 1024,
  defaultTtlDays: 30,
  defaultSweepIntervalMs: 60 * 60 * 1000,
} as const;

/** Error codes these routes answer with, besides the auth helper's UNAUTHENTICATED / FORBIDDEN. */
export type ReferencePhotoErrorCode = SyncErrorCode | 'CORRUPT_INPUT' | 'INVALID_PAYLOAD' | 'UNSUPPORTED_MEDIA_TYPE';

export interface ReferencePhotoOptions {
  /** 64 hex characters; default `VERIDESK_SERVER_KEY`. */
  serverKeyHex?: string;
  /** Key file used when there is no server key; default `<VERIDESK_SERVER_DATA or .data/server>/reference-photo.key`. */
  keyFile?: string;
  /** Photos older than this (since stored or last replaced) are gone; default `VERIDESK_REFERENCE_PHOTO_TTL_DAYS` or 30. */
  ttlDays?: number;
  /** How often the sweep deletes expired rows (default 1 h; the first sweep runs a few seconds after start). */
  sweepIntervalMs?: number;
}

export interface ReferencePhotoPluginOptions extends ReferencePhotoOptions {
  db: ServerDb;
}

interface ResolvedConfig {
  serverKeyHex: string | undefined;
  keyFile: string;
  ttlDays: number;
  sweepIntervalMs: number;
}

/** Options over environment over defaults; a malformed value throws, so the server does not start. */
export function resolveReferencePhotoConfig(options: ReferencePhotoOptions, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const ttlRaw = env.VERIDESK_REFERENCE_PHOTO_TTL_DAYS;
  const ttlDays = options.ttlDays ?? (ttlRaw ? Number(ttlRaw) : REFERENCE_PHOTO_LIMITS.defaultTtlDays);
  if (!Number.isFinite(ttlDays) || ttlDays <= 0) throw new Error('VERIDESK_REFERENCE_PHOTO_TTL_DAYS must be a positive number of days');
  const sweepIntervalMs = options.sweepIntervalMs ?? REFERENCE_PHOTO_LIMITS.defaultSweepIntervalMs;
  if (!Number.isFinite(sweepIntervalMs) || sweepIntervalMs <= 0) throw new Error('reference photo sweep interval must be positive');
  return {
    serverKeyHex: options.serverKeyHex ?? (env.VERIDESK_SERVER_KEY || undefined),
    keyFile: options.keyFile ?? join(resolve(env.VERIDESK_SERVER_DATA ?? '.data/server'), 'reference-photo.key'),
    ttlDays,
    sweepIntervalMs,
  };
}

function sendPhotoError(reply: FastifyReply, status: number, code: ReferencePhotoErrorCode, message: string): FastifyReply {
  return reply.code(status).type('application/json').header('Cache-Control', 'no-store').send({ error: { code, message } });
}

/** The media type of a Content-Type header, lower-case, without parameters. */
function declaredMime(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/** What log lines carry instead of a reference: a prefix of its keyed hash (correlates lines, reveals nothing). */
const logRef = (refHash: string): string => refHash.slice(0, 16);

type RefRequest = FastifyRequest<{ Params: { customerRef: string } }>;

export const registerReferencePhotos: FastifyPluginAsync<ReferencePhotoPluginOptions> = async (app, options) => {
  const { db } = options;
  const config = resolveReferencePhotoConfig(options);
  const ttlSeconds = config.ttlDays * 86_400;
  const log = app.log.child({ component: 'reference-photos' });
  const keys = keySource({
    serverKeyHex: config.serverKeyHex,
    keyFile: config.keyFile,
    onKeyFile: ({ path, created, looseMode }) => {
      log.info({ keyFile: path, created }, created ? 'reference-photo key file created' : 'reference-photo key read from key file');
      if (looseMode) log.warn({ keyFile: path }, 'reference-photo key file is readable by other users: chmod 600 it');
      if (db.kind === 'postgres') log.warn({ keyFile: path }, 'reference-photo key comes from a file on this machine: every instance on this database needs the same key, set VERIDESK_SERVER_KEY');
    },
  });

  // Only these routes take binary bodies; the limit is enforced while reading (413 PAYLOAD_TOO_LARGE).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: REFERENCE_PHOTO_LIMITS.maxBytes }, (_request, body, done) => done(null, body));

  const channelOnly = requireRole(db, 'channel');
  const readers = requireRole(db, 'workstation', 'lead');
  const validRef = async (request: RefRequest, reply: FastifyReply) => {
    if (!isCustomerRef(request.params.customerRef)) {
      return sendPhotoError(reply, 400, 'INVALID_PAYLOAD', 'customer reference must be 1-64 characters of A-Z a-z 0-9 . _ : - (and not . or ..)');
    }
  };
  // Checked before the body is read: a wrong type is refused without buffering up to 10 MiB.
  const imageType = async (request: RefRequest, reply: FastifyReply) => {
    if (!isReferencePhotoMime(declaredMime(request.headers['content-type']))) {
      return sendPhotoError(reply, 415, 'UNSUPPORTED_MEDIA_TYPE', `send the photo as ${REFERENCE_PHOTO_MIME_TYPES.join(', ')}`);
    }
  };
  const url = `${REFERENCE_PHOTOS_PATH}/:customerRef`;
  // 'warn': Fastify's "incoming request" / "request completed" lines would carry the URL, hence the reference.
  const quiet = { logLevel: 'warn' as const };

  app.put<{ Params: { customerRef: string } }>(
    url,
    { ...quiet, bodyLimit: REFERENCE_PHOTO_LIMITS.maxBytes, onRequest: [channelOnly, validRef, imageType] },
    async (request, reply) => {
      const ref = request.params.customerRef;
      const bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const declared = declaredMime(request.headers['content-type']) as ReferencePhotoMime;
      const check = checkReferencePhoto(bytes, declared);
      const k = keys();
      const refHash = customerRefHash(k, ref);
      if (!check.ok) {
        log.warn({ reqId: request.id, ref: logRef(refHash), channel: request.principal?.name, bytes: bytes.length, code: 'CORRUPT_INPUT' }, 'reference photo refused');
        return sendPhotoError(reply, 400, 'CORRUPT_INPUT', check.message);
      }
      const { replaced, updatedAt } = await upsertPhoto(db, refHash, check.mime, sealPhoto(k, ref, check.mime, bytes));
      log.info({ reqId: request.id, ref: logRef(refHash), channel: request.principal?.name, mime: check.mime, bytes: bytes.length, replaced }, 'reference photo stored');
      return reply
        .code(replaced ? 200 : 201)
        .header('Cache-Control', 'no-store')
        .send({ mime: check.mime, bytes: bytes.length, replaced, expiresAt: new Date(updatedAt.getTime() + ttlSeconds * 1000).toISOString() });
    },
  );

  app.get<{ Params: { customerRef: string } }>(url, { ...quiet, onRequest: [readers, validRef] }, async (request, reply) => {
    const ref = request.params.customerRef;
    const k = keys();
    const refHash = customerRefHash(k, ref);
    const photo = await findPhoto(db, refHash, ttlSeconds);
    if (!photo || !isReferencePhotoMime(photo.mime)) return sendPhotoError(reply, 404, 'NOT_FOUND', 'no reference photo for this customer reference');
    let bytes: Buffer;
    try {
      bytes = openPhoto(k, ref, photo.mime, photo.ciphertext);
    } catch (error) {
      if (!(error instanceof ReferencePhotoDecryptError)) throw error;
      log.error({ reqId: request.id, ref: logRef(refHash) }, error.message);
      return sendPhotoError(reply, 500, 'INTERNAL', 'the stored reference photo could not be decrypted');
    }
    log.info({ reqId: request.id, ref: logRef(refHash), principal: request.principal?.name, mime: photo.mime, bytes: bytes.length }, 'reference photo read');
    return reply.header('Cache-Control', 'no-store').header('X-Content-Type-Options', 'nosniff').type(photo.mime).send(bytes);
  });

  app.delete<{ Params: { customerRef: string } }>(url, { ...quiet, onRequest: [channelOnly, validRef] }, async (request, reply) => {
    const refHash = customerRefHash(keys(), request.params.customerRef);
    const deleted = await deletePhoto(db, refHash);
    log.info({ reqId: request.id, ref: logRef(refHash), channel: request.principal?.name, deleted }, 'reference photo delete');
    if (!deleted) return sendPhotoError(reply, 404, 'NOT_FOUND', 'no reference photo for this customer reference');
    return reply.code(204).header('Cache-Control', 'no-store').send();
  });

  // Retention: every instance sweeps; the DELETE is idempotent, so concurrent sweeps are harmless.
  schedulePeriodic(app, log, {
    name: 'reference photo sweep',
    intervalMs: config.sweepIntervalMs,
    run: async () => {
      const deleted = await sweepExpiredPhotos(db, ttlSeconds);
      if (deleted > 0) log.info({ deleted, ttlDays: config.ttlDays }, 'expired reference photos deleted');
    },
  });
};
