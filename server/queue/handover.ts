/**
 * A self-service channel hands a customer over (POST /api/v1/queue/requests): strict validation, the reference
 * photo checked by its real bytes and sealed through the reference-photo store, and one transaction that stores
 * everything or nothing. Idempotent on (channel, channelRequestId): the same body again answers the first
 * request's id; another body under the same id is a conflict.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../src/common/canonical';
import { HandoverRequestSchema, QUEUE_LIMITS, type HandoverRequest, type QueueErrorCode, type RequestState } from '../../src/shared/queue';
import { hashToken } from '../auth/tokens';
import type { ServerDb } from '../db/database';
import { customerRefHash, sealPhoto, type ReferencePhotoKeys } from '../reference-photos/crypto';
import { checkReferencePhoto, type ReferencePhotoMime } from '../reference-photos/sniff';
import { upsertPhoto } from '../reference-photos/store';
import { newSecret } from '../signaling/admission';
import { logQueue } from './queue-log';
import { insertRequest, newRequestId } from './request-row';

export interface ValidHandover {
  body: HandoverRequest;
  photo: { mime: ReferencePhotoMime; bytes: Buffer } | null;
  /** sha256 of the canonical JSON of the validated body: what tells a replay from a conflict. */
  bodyHash: string;
}

export type Refusal = { ok: false; status: number; code: QueueErrorCode; message: string };

/** Strict base64 (RFC 4648 §4, padded): Buffer.from would skip junk characters silently. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Names the first offending field, never its value (it may be a customer ref or photo bytes). */
function describeIssue(issue: { path: readonly PropertyKey[]; message: string }): string {
  const field = issue.path.map(String).join('.') || 'body';
  return `${field}: ${issue.message}`;
}

export function validateHandover(raw: unknown): { ok: true; value: ValidHandover } | Refusal {
  const parsed = HandoverRequestSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, status: 400, code: 'INVALID_PAYLOAD', message: describeIssue(parsed.error.issues[0]!) };
  const body = parsed.data;
  let photo: ValidHandover['photo'] = null;
  if (body.referencePhoto) {
    const { type, base64 } = body.referencePhoto;
    if (base64.length === 0 || !BASE64.test(base64)) return { ok: false, status: 400, code: 'PHOTO_INVALID', message: 'referencePhoto.base64 is not padded base64' };
    const bytes = Buffer.from(base64, 'base64');
    if (bytes.length > QUEUE_LIMITS.maxPhotoBytes) return { ok: false, status: 400, code: 'PHOTO_INVALID', message: `referencePhoto is ${bytes.length} bytes; at most ${QUEUE_LIMITS.maxPhotoBytes}` };
    const check = checkReferencePhoto(bytes, type);
    if (!check.ok) return { ok: false, status: 400, code: 'PHOTO_INVALID', message: `referencePhoto: ${check.message}` };
    photo = { mime: check.mime, bytes };
  }
  const bodyHash = createHash('sha256').update(canonicalJson(body), 'utf8').digest('hex');
  return { ok: true, value: { body, photo, bodyHash } };
}

export type HandoverResult =
  | { kind: 'created'; requestId: string; secret: string }
  | { kind: 'replay'; requestId: string; state: RequestState }
  | { kind: 'conflict'; requestId: string };

/** Stores a validated hand-over: the request row, the sealed photo and the log line commit together or not at all. */
export async function storeHandover(db: ServerDb, keys: () => ReferencePhotoKeys, channel: string, h: ValidHandover, now: number): Promise<HandoverResult> {
  const requestId = newRequestId();
  const secret = newSecret();
  const { body } = h;
  // Sealed before the transaction: AES over 5 MiB should not hold a database connection.
  const sealed = h.photo ? { refHash: customerRefHash(keys(), body.customerRef), blob: sealPhoto(keys(), body.customerRef, h.photo.mime, h.photo.bytes) } : null;
  return db.transaction(async (tx): Promise<HandoverResult> => {
    const inserted = await insertRequest(tx, {
      requestId,
      channel,
      channelRequestId: body.channelRequestId,
      bodyHash: h.bodyHash,
      origin: 'handover',
      serviceType: body.serviceType,
      customerRef: body.customerRef,
      context: { intent: body.intent ?? null, priorChecks: body.priorChecks, scriptStep: body.scriptStep ?? null },
      hasPhoto: h.photo !== null,
      secretHash: hashToken(secret),
      priority: 0,
      now,
    });
    if (!inserted) {
      const { rows } = await tx.query<{ request_id: string; body_hash: string; state: RequestState }>(
        'SELECT request_id, body_hash, state FROM queue_requests WHERE channel = $1 AND channel_request_id = $2',
        [channel, body.channelRequestId],
      );
      const first = rows[0];
      if (!first) throw new Error('hand-over conflicted on its idempotency key but no row holds it');
      return first.body_hash === h.bodyHash ? { kind: 'replay', requestId: first.request_id, state: first.state } : { kind: 'conflict', requestId: first.request_id };
    }
    if (sealed && h.photo) await upsertPhoto(tx, sealed.refHash, h.photo.mime, sealed.blob);
    await logQueue(tx, { at: now, kind: 'enqueued', requestId, detail: { origin: 'handover', serviceType: body.serviceType, priority: 0, hasPhoto: h.photo !== null, priorChecks: body.priorChecks.length } });
    return { kind: 'created', requestId, secret };
  });
}
