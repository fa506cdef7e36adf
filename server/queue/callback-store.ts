/**
 * The SQL shared by call-back booking, the due sweep and the reminder window: the row → wire mapping, the
 * per-slot lock, seat counting and the queue_log writer. Tables: server/queue/migration.ts.
 */
import type { Queryable } from '../db/database';
import type { Callback, CallbackState } from '../../src/shared/queue';
import type { ServiceType } from '../../src/shared/cases';

export interface CallbackRow {
  callback_id: string;
  channel: string;
  channel_request_id: string;
  from_request_id: string | null;
  service_type: ServiceType;
  slot_start: number | string;
  slot_end: number | string;
  state: CallbackState;
  attempts: number;
  due_at: number | string;
  closed_reason: string | null;
}

export const CALLBACK_COLUMNS = 'callback_id, channel, channel_request_id, from_request_id, service_type, slot_start, slot_end, state, attempts, due_at, closed_reason';

/** States that hold a seat of their slot: a booked call-back, one in the queue now, one waiting for its retry. */
export const SEAT_STATES_SQL = "('booked', 'queued', 'retry')";

export function callbackView(row: CallbackRow, reminderUrl: string | null = null): Callback {
  return {
    callbackId: row.callback_id,
    serviceType: row.service_type,
    slotStart: Number(row.slot_start),
    slotEnd: Number(row.slot_end),
    state: row.state,
    closedReason: row.closed_reason,
    reminderUrl,
  };
}

/**
 * Serialises bookings of one slot of one service type until the transaction ends: count-then-insert is safe
 * only when no other booking of the slot counts between the two (READ COMMITTED would let two bookings both
 * see the last free seat). Keyed by a hash, so two slots may share a lock now and then: slower, never wrong.
 */
export async function lockSlot(tx: Queryable, serviceType: ServiceType, slotStart: number): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(8120, hashtext($1))', [`${serviceType}:${slotStart}`]);
}

/** The same for a channel's idempotency key, so a replay racing its original sees it instead of a unique violation. */
export async function lockChannelKey(tx: Queryable, channel: string, channelRequestId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(8121, hashtext($1))', [`${channel}\n${channelRequestId}`]);
}

export async function seatsTaken(q: Queryable, serviceType: ServiceType, slotStart: number): Promise<number> {
  const { rows } = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM queue_callbacks WHERE service_type = $1 AND slot_start = $2 AND state IN ${SEAT_STATES_SQL}`, [
    serviceType,
    slotStart,
  ]);
  return Number(rows[0]?.n ?? 0);
}

/** One line of the queue's audit log. `detail` must carry no customer reference, secret or photo. */
export async function logQueue(q: Queryable, entry: { at: number; kind: string; requestId?: string | null; workstation?: string | null; agentId?: string | null; detail?: Record<string, unknown> }): Promise<void> {
  await q.query('INSERT INTO queue_log (at, kind, workstation, agent_id, request_id, detail) VALUES ($1, $2, $3, $4, $5, $6)', [
    entry.at,
    entry.kind,
    entry.workstation ?? null,
    entry.agentId ?? null,
    entry.requestId ?? null,
    entry.detail ? JSON.stringify(entry.detail) : null,
  ]);
}

const RETRYABLE = new Set(['40P01', '40001']);

/** Runs `fn` again (up to 3 times) when PostgreSQL aborted it for a deadlock or a serialisation failure. */
export async function retryingConflicts<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt >= 3 || typeof code !== 'string' || !RETRYABLE.has(code)) throw error;
    }
  }
}
