/**
 * Call recordings on the backend (docs/recording-upload.md, DESIGN.md §8): workstations upload a sealed
 * recording after the call, chunk by chunk, resumable; team leads download the playable WebM.
 *
 *   POST /api/v1/recordings/:id/upload        workstation   {caseId} → status (201 begun, 200 already)
 *   GET  /api/v1/recordings/:id/status        owner | lead  → {state, chunks, held[], seekHeader, …}
 *   PUT  /api/v1/recordings/:id/chunks/:seq   workstation   octet-stream, X-Chunk-Sha256 → 201 stored | 200 held
 *   PUT  /api/v1/recordings/:id/seek-header   workstation   octet-stream, X-Chunk-Sha256, X-Replaced-Bytes
 *   POST /api/v1/recordings/:id/complete      workstation   {sha256, chunkListSha256} → status
 *   GET  /api/v1/recordings/:id               lead          the WebM, decrypted on the fly, Range honoured
 *        …?form=original                                   the stream as recorded, whose sha256 is the case log's
 *   GET  /api/v1/recordings?caseId=…          lead          the case's recordings on the server
 *
 * A workstation token reaches only recordings of cases the server holds under its own workstation; it never
 * downloads. Registered as an encapsulated plugin: its binary body parser and error handler are its own.
 */
import { Readable } from 'node:stream';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { MAX_RECORDING_CHUNK_BYTES } from '../../src/shared/call';
import { CaseIdSchema } from '../../src/shared/cases';
import { requireRole } from '../auth/tokens';
import type { ServerDb } from '../db/database';
import { schedulePeriodic } from '../jobs/periodic';
import { resolveRecordingConfig, type RecordingOptions } from './config';
import { recordingKeySource, unwrapRecordingKey } from './crypto';
import { RecordingApiError, sendRecordingError } from './errors';
import { RECORDING_ID_PATTERN } from './object-keys';
import { parseRange } from '../../src/common/byte-range';
import { layoutPlayable, playableRange } from './playable';
import { chunksOf, findRecording, recordingsOfCase, type RecordingRow } from './repo';
import { sweepRecordings } from './retention';
import { HEX64, RecordingUploads, type Caller } from './uploads';

export const RECORDINGS_PATH = '/api/v1/recordings';
export const CHUNK_SHA256_HEADER = 'x-chunk-sha256';
export const REPLACED_BYTES_HEADER = 'x-replaced-bytes';
/** A seek header is a few KiB (cues of a long call: well under 1 MiB); the file format's own record limit. */
export const MAX_SEEK_HEADER_BYTES = 16 * 1024 * 1024;

export interface RecordingPluginOptions extends RecordingOptions {
  db: ServerDb;
}

const BeginBody = z.object({ caseId: CaseIdSchema }).strict();
const CompleteBody = z.object({ sha256: z.string().regex(HEX64), chunkListSha256: z.string().regex(HEX64) }).strict();
const ListQuery = z.object({ caseId: CaseIdSchema });
const DownloadQuery = z.object({ form: z.enum(['playable', 'original']).default('playable') });

type IdRequest = FastifyRequest<{ Params: { recordingId: string; seq?: string } }>;

const caller = (request: FastifyRequest): Caller => ({ name: request.principal!.name, role: request.principal!.role });

function summary(row: RecordingRow) {
  return {
    recordingId: row.recording_id,
    caseId: row.case_id,
    callId: row.call_id,
    track: row.track,
    mimeType: row.mime_type,
    state: row.state,
    chunks: row.chunks,
    bytes: row.bytes,
    sha256: row.sha256,
    durationMs: row.duration_ms,
    seekable: row.seekable,
    recordedAt: row.recorded_at,
    completedAt: row.completed_at,
    purgedAt: row.purged_at,
  };
}

export const registerRecordings: FastifyPluginAsync<RecordingPluginOptions> = async (app, options) => {
  const { db } = options;
  const config = resolveRecordingConfig(options);
  const { storage } = config;
  const now = options.now ?? app.authNow ?? Date.now;
  const log = app.log.child({ component: 'recordings' });
  const keys = recordingKeySource({
    serverKeyHex: config.serverKeyHex,
    keyFile: config.keyFile,
    onKeyFile: ({ path, created, looseMode }) => {
      log.info({ keyFile: path, created }, created ? 'recording key file created' : 'recording key read from key file');
      if (looseMode) log.warn({ keyFile: path }, 'recording key file is readable by other users: chmod 600 it');
      if (db.kind === 'postgres') log.warn({ keyFile: path }, 'recording key comes from a file on this machine: every instance on this database needs the same key, set VERIDESK_SERVER_KEY');
    },
  });
  const uploads = new RecordingUploads({ db, storage, keys, now, retentionMs: config.retentionMs });

  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: MAX_SEEK_HEADER_BYTES }, (_request, body, done) => done(null, body));
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof RecordingApiError) {
      if (error.status >= 500) log.error({ reqId: request.id, code: error.code, err: error.message }, 'recording request failed');
      else log.warn({ reqId: request.id, code: error.code, principal: request.principal?.name, url: request.routeOptions.url }, `recording request refused: ${error.message}`);
      return sendRecordingError(reply, error.status, error.code, error.message, error.details);
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendRecordingError(reply, 413, 'PAYLOAD_TOO_LARGE', `a chunk is at most ${MAX_RECORDING_CHUNK_BYTES} bytes`);
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendRecordingError(reply, 415, 'UNSUPPORTED_MEDIA_TYPE', 'send chunks as application/octet-stream and the rest as application/json');
    if ((error.statusCode ?? 500) < 500) return sendRecordingError(reply, error.statusCode!, 'INVALID_PAYLOAD', `malformed request: ${error.message.slice(0, 200)}`);
    log.error({ reqId: request.id, err: { message: error.message, code: error.code, stack: error.stack } }, 'recording request failed');
    return sendRecordingError(reply, 500, 'INTERNAL', 'internal server error');
  });

  const workstationOnly = requireRole(db, 'workstation');
  const leadOnly = requireRole(db, 'lead');
  const ownerOrLead = requireRole(db, 'workstation', 'lead');
  const validId = async (request: IdRequest, reply: FastifyReply) => {
    if (!RECORDING_ID_PATTERN.test(request.params.recordingId)) return sendRecordingError(reply, 400, 'INVALID_PAYLOAD', 'a recording id is 1-64 characters of A-Z a-z 0-9 _ -');
  };
  // Chunks are the hot path (one request per second of media): their routine lines would drown the rest.
  const quiet = { logLevel: 'warn' as const };

  app.post<{ Params: { recordingId: string } }>(`${RECORDINGS_PATH}/:recordingId/upload`, { onRequest: [workstationOnly, validId] }, async (request, reply) => {
    const body = BeginBody.safeParse(request.body);
    if (!body.success) throw new RecordingApiError(400, 'INVALID_PAYLOAD', 'send {"caseId": "…"}');
    const { status, created } = await uploads.begin(caller(request), request.params.recordingId, body.data.caseId);
    if (created) log.info({ recordingId: status.recordingId, caseId: status.caseId, workstation: request.principal?.name, chunks: status.chunks, bytes: status.bytes, state: status.state }, 'recording upload begun');
    return reply.code(created ? 201 : 200).header('Cache-Control', 'no-store').send(status);
  });

  app.get<{ Params: { recordingId: string } }>(`${RECORDINGS_PATH}/:recordingId/status`, { ...quiet, onRequest: [ownerOrLead, validId] }, async (request, reply) =>
    reply.header('Cache-Control', 'no-store').send(await uploads.status(caller(request), request.params.recordingId)),
  );

  app.put<{ Params: { recordingId: string; seq: string } }>(
    `${RECORDINGS_PATH}/:recordingId/chunks/:seq`,
    { ...quiet, bodyLimit: MAX_RECORDING_CHUNK_BYTES, onRequest: [workstationOnly, validId] },
    async (request, reply) => {
      const seq = /^\d{1,9}$/.test(request.params.seq) ? Number(request.params.seq) : -1;
      const result = await uploads.putChunk(caller(request), request.params.recordingId, seq, binaryBody(request), digestHeader(request));
      return reply.code(result === 'stored' ? 201 : 200).header('Cache-Control', 'no-store').send({ seq, stored: result === 'stored' });
    },
  );

  app.put<{ Params: { recordingId: string } }>(
    `${RECORDINGS_PATH}/:recordingId/seek-header`,
    { ...quiet, bodyLimit: MAX_SEEK_HEADER_BYTES, onRequest: [workstationOnly, validId] },
    async (request, reply) => {
      const raw = request.headers[REPLACED_BYTES_HEADER];
      const replaced = typeof raw === 'string' && /^\d{1,12}$/.test(raw) ? Number(raw) : -1;
      const result = await uploads.putSeekHeader(caller(request), request.params.recordingId, binaryBody(request), digestHeader(request), replaced);
      return reply.code(result === 'stored' ? 201 : 200).header('Cache-Control', 'no-store').send({ stored: result === 'stored' });
    },
  );

  app.post<{ Params: { recordingId: string } }>(`${RECORDINGS_PATH}/:recordingId/complete`, { onRequest: [workstationOnly, validId] }, async (request, reply) => {
    const body = CompleteBody.safeParse(request.body);
    if (!body.success) throw new RecordingApiError(400, 'INVALID_PAYLOAD', 'send {"sha256": "<64 hex>", "chunkListSha256": "<64 hex>"}');
    const started = performance.now();
    const status = await uploads.complete(caller(request), request.params.recordingId, body.data);
    log.info({ recordingId: status.recordingId, caseId: status.caseId, chunks: status.chunks, bytes: status.bytes, verifyMs: Math.round(performance.now() - started) }, 'recording upload complete');
    return reply.header('Cache-Control', 'no-store').send(status);
  });

  app.get(RECORDINGS_PATH, { onRequest: [leadOnly] }, async (request, reply) => {
    const q = ListQuery.safeParse(request.query);
    if (!q.success) throw new RecordingApiError(400, 'INVALID_PAYLOAD', 'give ?caseId=…');
    return reply.header('Cache-Control', 'no-store').send({ recordings: (await recordingsOfCase(db, q.data.caseId)).map(summary) });
  });

  // HEAD declared, not Fastify's automatic one: that would set Content-Length 0 on a body-less reply
  app.route<{ Params: { recordingId: string } }>({
    method: ['GET', 'HEAD'],
    url: `${RECORDINGS_PATH}/:recordingId`,
    onRequest: [leadOnly, validId],
    handler: async (request, reply) => {
      const id = request.params.recordingId;
      const row = await findRecording(db, id);
      if (!row) throw new RecordingApiError(404, 'NOT_FOUND', `the server has no recording ${id}`);
      if (row.state === 'purged' || !row.wrapped_key) throw new RecordingApiError(410, 'PURGED', `recording ${id} was deleted by retention`);
      if (row.state !== 'complete') throw new RecordingApiError(409, 'INCOMPLETE', `recording ${id} is still being uploaded`);
      const q = DownloadQuery.safeParse(request.query);
      if (!q.success) throw new RecordingApiError(400, 'INVALID_PAYLOAD', '?form= is playable (default) or original');
      const original = q.data.form === 'original';
      const key = unwrapRecordingKey(keys(), id, row.wrapped_key);
      const layout = layoutPlayable(row, await chunksOf(db, id), original);
      const range = parseRange(request.headers.range, layout.size);
      reply.header('Cache-Control', 'no-store').header('X-Content-Type-Options', 'nosniff').header('Accept-Ranges', 'bytes').type(row.mime_type);
      // the original stream is what the case log's digest covers: say which digest that is
      if (original) reply.header('X-Recording-Sha256', row.sha256);
      if (range.kind === 'unsatisfiable') {
        return sendRecordingError(reply.header('Content-Range', `bytes */${layout.size}`), 416, 'RANGE_NOT_SATISFIABLE', `the recording has ${layout.size} bytes`);
      }
      const [start, end] = range.kind === 'range' ? [range.start, range.end] : [0, layout.size - 1];
      if (range.kind === 'range') reply.code(206).header('Content-Range', `bytes ${start}-${end}/${layout.size}`);
      reply.header('Content-Length', String(Math.max(0, end - start + 1)));
      log.info({ reqId: request.id, recordingId: id, caseId: row.case_id, lead: request.principal?.name, range: range.kind === 'range' ? `${start}-${end}` : null }, 'recording read');
      if (request.method === 'HEAD' || end < start) return reply.send();
      const stream = Readable.from(playableRange(storage, key, row, layout, start, end));
      // damage found mid-stream cuts the response (Content-Length tells the reader it is short); it is logged here
      stream.on('error', (error) => log.error({ recordingId: id, err: error.message }, 'recording read failed mid-stream'));
      return reply.send(stream);
    },
  });

  // Retention: every instance sweeps; both steps of a purge are idempotent (retention.ts).
  schedulePeriodic(app, log, {
    name: 'recording retention sweep',
    intervalMs: config.sweepIntervalMs,
    run: async () => {
      const r = await sweepRecordings({ db, storage, now, retentionMs: config.retentionMs });
      if (r.purged.length > 0 || r.failed > 0) log.info({ purged: r.purged.length, objectsDeleted: r.deleted, failed: r.failed, retentionDays: config.retentionDays }, 'recording retention sweep');
    },
  });
  // registered after the sweep's own onClose, so it runs after the sweep in progress ended
  app.addHook('onClose', async () => {
    if (config.ownsStorage) await storage.close();
  });
};

function binaryBody(request: FastifyRequest): Buffer {
  if (!Buffer.isBuffer(request.body)) throw new RecordingApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the bytes as application/octet-stream');
  return request.body;
}

function digestHeader(request: FastifyRequest): string {
  const value = request.headers[CHUNK_SHA256_HEADER];
  if (typeof value !== 'string' || !HEX64.test(value)) throw new RecordingApiError(400, 'INVALID_PAYLOAD', `send the sha256 of the bytes (64 lower-case hex) in ${CHUNK_SHA256_HEADER}`);
  return value;
}
