/**
 * queue_requests rows as the queue modules read them, the context JSON stored with each, and the insert every
 * way into the queue shares (a channel's hand-over here, a due call-back in callbacks.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/database';
import type { Offer, PriorCheck, RequestOrigin, RequestState } from '../../src/shared/queue';
import type { ServiceType } from '../../src/shared/cases';

/** What travels with a request besides its columns: validated at hand-over, shown to the agent as is. */
export interface RequestContext {
  intent: string | null;
  priorChecks: PriorCheck[];
  scriptStep: string | null;
}

export interface RequestRow {
  requestId: string;
  channel: string;
  origin: RequestOrigin;
  serviceType: ServiceType;
  customerRef: string;
  context: RequestContext;
  hasPhoto: boolean;
  secretHash: string;
  priority: number;
  state: RequestState;
  createdAt: number;
  enqueuedAt: number;
  customerSeenAt: number | null;
  offeredTo: string | null;
  offerExpiresAt: number | null;
  assignedTo: string | null;
  assignedAt: number | null;
  caseId: string | null;
  roomId: string | null;
  endedAt: number | null;
  callbackId: string | null;
}

type Num = number | string | null;
export interface RequestDbRow {
  request_id: string;
  channel: string;
  origin: RequestOrigin;
  service_type: ServiceType;
  customer_ref: string;
  context: string;
  has_photo: boolean;
  secret_hash: string;
  priority: number;
  state: RequestState;
  created_at: Num;
  enqueued_at: Num;
  customer_seen_at: Num;
  offered_to: string | null;
  offer_expires_at: Num;
  assigned_to: string | null;
  assigned_at: Num;
  case_id: string | null;
  room_id: string | null;
  ended_at: Num;
  callback_id: string | null;
}

const num = (v: Num): number | null => (v === null ? null : Number(v));

/** The stored context; a row written by an older or foreign writer that is not an object reads as empty. */
export function parseContext(text: string): RequestContext {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = null;
  }
  const o = (raw && typeof raw === 'object' ? raw : {}) as Partial<RequestContext>;
  return { intent: typeof o.intent === 'string' ? o.intent : null, priorChecks: Array.isArray(o.priorChecks) ? o.priorChecks : [], scriptStep: typeof o.scriptStep === 'string' ? o.scriptStep : null };
}

export function toRequestRow(r: RequestDbRow): RequestRow {
  return {
    requestId: r.request_id,
    channel: r.channel,
    origin: r.origin,
    serviceType: r.service_type,
    customerRef: r.customer_ref,
    context: parseContext(r.context),
    hasPhoto: Boolean(r.has_photo),
    secretHash: r.secret_hash,
    priority: Number(r.priority),
    state: r.state,
    createdAt: Number(r.created_at),
    enqueuedAt: Number(r.enqueued_at),
    customerSeenAt: num(r.customer_seen_at),
    offeredTo: r.offered_to,
    offerExpiresAt: num(r.offer_expires_at),
    assignedTo: r.assigned_to,
    assignedAt: num(r.assigned_at),
    caseId: r.case_id,
    roomId: r.room_id,
    endedAt: num(r.ended_at),
    callbackId: r.callback_id,
  };
}

export async function findRequest(db: Queryable, requestId: string): Promise<RequestRow | null> {
  const { rows } = await db.query<RequestDbRow>('SELECT * FROM queue_requests WHERE request_id = $1', [requestId]);
  return rows[0] ? toRequestRow(rows[0]) : null;
}

/** What the agent is offered (OfferSchema). */
export function toOffer(r: RequestRow): Offer {
  return {
    requestId: r.requestId,
    serviceType: r.serviceType,
    customerRef: r.customerRef,
    intent: r.context.intent,
    priorChecks: r.context.priorChecks,
    hasReferencePhoto: r.hasPhoto,
    scriptStep: r.context.scriptStep,
    origin: r.origin,
    enqueuedAt: r.enqueuedAt,
    expiresAt: r.offerExpiresAt ?? 0,
  };
}

/** 128-bit request ids, base64url (matches QueueIdSchema). */
export const newRequestId = (): string => randomBytes(16).toString('base64url');

export interface NewRequest {
  requestId: string;
  channel: string;
  channelRequestId: string;
  bodyHash: string;
  origin: RequestOrigin;
  serviceType: ServiceType;
  customerRef: string;
  context: RequestContext;
  hasPhoto: boolean;
  secretHash: string;
  priority: number;
  now: number;
  callbackId?: string | null;
}

/**
 * Inserts a waiting request unless (channel, channelRequestId) is taken: true when this call inserted it. On
 * PostgreSQL a concurrent insert of the same key waits for the other transaction and then inserts nothing, so two
 * identical hand-overs racing make one row.
 */
export async function insertRequest(db: Queryable, r: NewRequest): Promise<boolean> {
  const { rows } = await db.query(
    `INSERT INTO queue_requests (request_id, channel, channel_request_id, body_hash, origin, service_type, customer_ref, context, has_photo,
                                 secret_hash, priority, state, created_at, enqueued_at, callback_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'waiting', $12, $12, $13)
     ON CONFLICT (channel, channel_request_id) DO NOTHING RETURNING request_id`,
    [r.requestId, r.channel, r.channelRequestId, r.bodyHash, r.origin, r.serviceType, r.customerRef, JSON.stringify(r.context), r.hasPhoto, r.secretHash, r.priority, r.now, r.callbackId ?? null],
  );
  return rows.length === 1;
}
