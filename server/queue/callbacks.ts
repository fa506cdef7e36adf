/**
 * Call-back appointments (预约回电, docs/queue.md "Call-backs"): free capacity per slot, booking by the waiting
 * customer or directly by a channel, and the reminder window. The due sweep is ./callback-sweep.ts.
 *
 * Every call-back has a queue_requests row (`from_request_id`) that the customer's link names: the customer's
 * own request when they booked from the queue (its secret keeps working), or one made here in state
 * 'callback' when a channel booked. At the slot the sweep puts that row back in the queue.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ServiceType } from '../../src/shared/cases';
import { QUEUE_JOIN_PATH_PREFIX, QUEUE_LIMITS, type Callback, type CallbackSlot, type CustomerQueueStatus, type RequestState } from '../../src/shared/queue';
import { hashToken } from '../auth/tokens';
import type { Queryable, ServerDb } from '../db/database';
import { newSecret, sameHash } from '../signaling/admission';
import type { CallbackConfig } from './callback-config';
import { QueueApiError } from './callback-errors';
import { slotProblem, SLOT_PROBLEM_TEXT, upcomingSlots } from './callback-slots';
import { CALLBACK_COLUMNS, callbackView, lockChannelKey, lockSlot, logQueue, retryingConflicts, SEAT_STATES_SQL, seatsTaken, type CallbackRow } from './callback-store';

const newCallbackId = (): string => `cb_${randomBytes(12).toString('base64url')}`;
const newRequestId = (): string => `q_${randomBytes(12).toString('base64url')}`;

export const reminderUrl = (publicBase: string, requestId: string, secret: string): string =>
  `${publicBase.replace(/\/+$/, '')}${QUEUE_JOIN_PATH_PREFIX}${requestId}#${secret}`;

/**
 * A customer-booked call-back's key in queue_callbacks' (channel, channel_request_id): '/' is outside the
 * channel id alphabet (QueueIdSchema), so it can never meet a channel's own id.
 */
const customerBookingKey = (requestId: string): string => `request/${requestId}`;
/** The queue_requests key of a request pre-made for a channel's booking (same reason for '/'). */
const channelBookingRequestKey = (channelRequestId: string): string => `callback/${channelRequestId}`;

function capacityOf(config: CallbackConfig, serviceType: ServiceType): number {
  return config.capacity[serviceType];
}

function checkSlot(config: CallbackConfig, slotStart: number, now: number): void {
  const problem = slotProblem(config.calendar, slotStart, now);
  if (problem) throw new QueueApiError(400, 'SLOT_INVALID', SLOT_PROBLEM_TEXT[problem], { reason: problem });
}

async function takeSeat(tx: Queryable, config: CallbackConfig, serviceType: ServiceType, slotStart: number): Promise<void> {
  await lockSlot(tx, serviceType, slotStart);
  if ((await seatsTaken(tx, serviceType, slotStart)) >= capacityOf(config, serviceType)) {
    throw new QueueApiError(409, 'SLOT_FULL', 'that call-back slot is fully booked; pick another from callback-slots');
  }
}

/** The free seats of every future slot of the next `days` local days. */
export async function freeSlots(db: Queryable, config: CallbackConfig, serviceType: ServiceType, days: number, now: number): Promise<CallbackSlot[]> {
  const starts = upcomingSlots(config.calendar, now, days);
  if (starts.length === 0) return [];
  const { rows } = await db.query<{ slot_start: number | string; n: number }>(
    `SELECT slot_start, count(*)::int AS n FROM queue_callbacks WHERE service_type = $1 AND slot_start >= $2 AND slot_start <= $3 AND state IN ${SEAT_STATES_SQL} GROUP BY slot_start`,
    [serviceType, starts[0], starts[starts.length - 1]],
  );
  const taken = new Map(rows.map((r) => [Number(r.slot_start), Number(r.n)]));
  const cap = capacityOf(config, serviceType);
  return starts.map((slotStart) => ({ slotStart, slotEnd: slotStart + config.calendar.slotMs, free: Math.max(0, cap - (taken.get(slotStart) ?? 0)) }));
}

interface CustomerRequestRow {
  request_id: string;
  channel: string;
  state: RequestState;
  service_type: ServiceType;
  customer_ref: string;
  context: string;
  has_photo: boolean;
  secret_hash: string;
}

const CUSTOMER_COLUMNS = 'request_id, channel, state, service_type, customer_ref, context, has_photo, secret_hash';

/**
 * The request `requestId` if `secret` is its customer's. Unknown request and wrong secret answer alike, so
 * the endpoint tells nobody which request ids exist.
 */
export async function customerRequest(db: Queryable, requestId: string, secret: string): Promise<CustomerRequestRow> {
  const { rows } = await db.query<CustomerRequestRow>(`SELECT ${CUSTOMER_COLUMNS} FROM queue_requests WHERE request_id = $1`, [requestId]);
  const row = rows[0];
  if (!row || !sameHash(row.secret_hash, hashToken(secret))) throw new QueueApiError(404, 'NOT_FOUND', 'no such request, or the link is not valid for it');
  return row;
}

/**
 * The waiting (or offered) customer leaves the queue for a call-back at `slotStart`: one transaction that
 * takes a seat, moves the request to 'callback', withdraws an offer (the agent is free for the next
 * customer) and makes the call-back with the request's context and the same secret hash.
 */
export async function bookFromQueue(db: ServerDb, config: CallbackConfig, requestId: string, secret: string, slotStart: number, publicBase: string): Promise<CustomerQueueStatus> {
  const now = config.now();
  const known = await customerRequest(db, requestId, secret);
  checkSlot(config, slotStart, now);
  let callback: CallbackRow | 'changed' = 'changed';
  // An offer made or lapsing between our read and our update changes the request under us: read again.
  for (let attempt = 0; attempt < 5 && callback === 'changed'; attempt++) {
    callback = await retryingConflicts(() =>
      db.transaction(async (tx): Promise<CallbackRow | 'changed'> => {
        await takeSeat(tx, config, known.service_type, slotStart);
        const { rows } = await tx.query<CustomerRequestRow & { offered_to: string | null }>(`SELECT ${CUSTOMER_COLUMNS}, offered_to FROM queue_requests WHERE request_id = $1`, [requestId]);
        const req = rows[0]!;
        if (req.state !== 'waiting' && req.state !== 'offered') throw new QueueApiError(409, 'NOT_WAITING', `the request is ${req.state}, not waiting: only a waiting customer can book a call-back`, { state: req.state });
        // The agent's row before the request's: the lock order of every queue transaction (server/queue/retry.ts).
        const agent = req.offered_to
          ? (await tx.query<{ agent_id: string | null }>('SELECT agent_id FROM queue_agents WHERE workstation = $1 FOR UPDATE', [req.offered_to])).rows[0]
          : undefined;
        const callbackId = newCallbackId();
        const moved = await tx.query(
          `UPDATE queue_requests SET state = 'callback', callback_id = $2, offered_to = NULL, offer_expires_at = NULL
            WHERE request_id = $1 AND state = $3 AND offered_to IS NOT DISTINCT FROM $4 RETURNING request_id`,
          [requestId, callbackId, req.state, req.offered_to],
        );
        if (moved.rows.length === 0) return 'changed';
        const { rows: made } = await tx.query<CallbackRow>(
          `INSERT INTO queue_callbacks (callback_id, channel, channel_request_id, from_request_id, service_type, customer_ref, context, has_photo, secret_hash, slot_start, slot_end, state, due_at, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'booked', $10, $12) RETURNING ${CALLBACK_COLUMNS}`,
          [callbackId, req.channel, customerBookingKey(requestId), requestId, req.service_type, req.customer_ref, req.context, req.has_photo, req.secret_hash, slotStart, slotStart + config.calendar.slotMs, now],
        );
        if (req.offered_to) {
          // The agent stays ready and is offered the next customer.
          await tx.query('UPDATE queue_agents SET offer_request_id = NULL, updated_at = $3 WHERE workstation = $1 AND offer_request_id = $2', [req.offered_to, requestId, now]);
          await logQueue(tx, { at: now, kind: 'offer_withdrawn', requestId, workstation: req.offered_to, agentId: agent?.agent_id ?? null, detail: { reason: 'callback_booked' } });
        }
        await logQueue(tx, { at: now, kind: 'callback_booked', requestId, detail: { callbackId, serviceType: req.service_type, slotStart, by: 'customer' } });
        return made[0]!;
      }),
    );
  }
  if (callback === 'changed') throw new QueueApiError(503, 'UNAVAILABLE', 'the request kept changing; retry');
  // The customer sent the secret to book; answering their own link back lets the page offer it to save.
  return { requestId, state: 'callback', position: null, estimatedWaitS: null, roomId: null, callback: callbackView(callback, reminderUrl(publicBase, requestId, secret)) };
}

export interface ChannelBookingInput {
  channelRequestId: string;
  serviceType: ServiceType;
  customerRef: string;
  slotStart: number;
  intent?: string | undefined;
}

export interface ChannelBookingResult {
  requestId: string;
  /** True when this answer is for a channelRequestId seen before; the reminder link is then null (answered once). */
  replayed: boolean;
  callback: Callback;
}

/** What tells a replay from a different booking under the same channelRequestId. */
const bookingHash = (b: ChannelBookingInput): string =>
  createHash('sha256')
    .update(JSON.stringify(['callback', b.channelRequestId, b.serviceType, b.customerRef, b.slotStart, b.intent ?? null]))
    .digest('hex');

async function priorChannelBooking(q: Queryable, channel: string, input: ChannelBookingInput): Promise<ChannelBookingResult | null> {
  const { rows } = await q.query<CallbackRow & { body_hash: string | null }>(
    `SELECT ${CALLBACK_COLUMNS.split(', ').map((c) => `c.${c}`).join(', ')}, r.body_hash FROM queue_callbacks c LEFT JOIN queue_requests r ON r.request_id = c.from_request_id
      WHERE c.channel = $1 AND c.channel_request_id = $2`,
    [channel, input.channelRequestId],
  );
  const row = rows[0];
  if (!row) return null;
  if (row.body_hash !== bookingHash(input)) throw new QueueApiError(409, 'IDEMPOTENCY_CONFLICT', 'this channelRequestId was already used for a different call-back booking');
  return { requestId: row.from_request_id!, replayed: true, callback: callbackView(row) };
}

/**
 * A channel books a call-back directly: a request in state 'callback' with a fresh customer secret, and its
 * call-back. The reminder link (the secret) is answered this once; a replay of the same body answers the
 * booking without it, a different body under the same channelRequestId is a conflict.
 */
export async function bookForChannel(db: ServerDb, config: CallbackConfig, channel: string, input: ChannelBookingInput, publicBase: string): Promise<ChannelBookingResult> {
  const now = config.now();
  const earlier = await priorChannelBooking(db, channel, input);
  if (earlier) return earlier;
  checkSlot(config, input.slotStart, now);
  const secret = newSecret();
  return retryingConflicts(() =>
    db.transaction(async (tx) => {
      await lockChannelKey(tx, channel, input.channelRequestId);
      const raced = await priorChannelBooking(tx, channel, input);
      if (raced) return raced;
      await takeSeat(tx, config, input.serviceType, input.slotStart);
      const requestId = newRequestId();
      const callbackId = newCallbackId();
      const context = JSON.stringify({ intent: input.intent ?? null, priorChecks: [], scriptStep: null });
      const secretHash = hashToken(secret);
      await tx.query(
        `INSERT INTO queue_requests (request_id, channel, channel_request_id, body_hash, origin, service_type, customer_ref, context, has_photo, secret_hash, priority, state, created_at, enqueued_at, callback_id)
         VALUES ($1, $2, $3, $4, 'callback', $5, $6, $7, false, $8, 0, 'callback', $9, $9, $10)`,
        [requestId, channel, channelBookingRequestKey(input.channelRequestId), bookingHash(input), input.serviceType, input.customerRef, context, secretHash, now, callbackId],
      );
      const { rows } = await tx.query<CallbackRow>(
        `INSERT INTO queue_callbacks (callback_id, channel, channel_request_id, from_request_id, service_type, customer_ref, context, has_photo, secret_hash, slot_start, slot_end, state, due_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, false, $8, $9, $10, 'booked', $9, $11) RETURNING ${CALLBACK_COLUMNS}`,
        [callbackId, channel, input.channelRequestId, requestId, input.serviceType, input.customerRef, context, secretHash, input.slotStart, input.slotStart + config.calendar.slotMs, now],
      );
      await logQueue(tx, { at: now, kind: 'callback_booked', requestId, detail: { callbackId, serviceType: input.serviceType, slotStart: input.slotStart, by: 'channel', channel } });
      return { requestId, replayed: false, callback: callbackView(rows[0]!, reminderUrl(publicBase, requestId, secret)) };
    }),
  );
}

export interface CallbackWindow {
  callback: Callback;
  /** The request's state now ('callback' until the sweep queues it). */
  requestState: RequestState;
  /** When the reminder link starts to work: QUEUE_LIMITS.reminderOpensBeforeMs before the slot. */
  opensAt: number;
  /** False while the request waits in state 'callback' and the window has not opened: answer 403 REMINDER_NOT_OPEN. */
  open: boolean;
}

/**
 * For the customer status route (GET /api/v1/queue/requests/:id): the call-back behind `requestId`, if any,
 * and whether its reminder link works yet. Null for a request that never had a call-back.
 */
export async function callbackWindow(db: Queryable, requestId: string, now: number): Promise<CallbackWindow | null> {
  const { rows } = await db.query<CallbackRow & { request_state: RequestState }>(
    `SELECT ${CALLBACK_COLUMNS.split(', ').map((c) => `c.${c}`).join(', ')}, r.state AS request_state
       FROM queue_requests r JOIN queue_callbacks c ON c.callback_id = r.callback_id WHERE r.request_id = $1`,
    [requestId],
  );
  const row = rows[0];
  if (!row) return null;
  const opensAt = Number(row.slot_start) - QUEUE_LIMITS.reminderOpensBeforeMs;
  return { callback: callbackView(row), requestState: row.request_state, opensAt, open: row.request_state !== 'callback' || now >= opensAt };
}
