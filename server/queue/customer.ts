/**
 * What the waiting customer's page asks (with the secret from its join link): position, estimated wait, the room
 * once an agent accepted; and leaving the queue. A wrong secret and an unknown id answer the same (404), so the
 * API never tells whether a request exists.
 */
import type { CustomerQueueStatus } from '../../src/shared/queue';
import type { ServiceType } from '../../src/shared/cases';
import { hashToken } from '../auth/tokens';
import type { Queryable, ServerDb } from '../db/database';
import { findAgent } from './agents';
import { logQueue } from './queue-log';
import { toRequestRow, type RequestDbRow, type RequestRow } from './request-row';
import { withRetry } from './retry';

/** Used until a service type has HANDLE_TIME_MIN_SAMPLES finished calls in the window: a typical verified video call. */
export const DEFAULT_HANDLE_TIME_S = 180;
export const HANDLE_TIME_MIN_SAMPLES = 5;
export const HANDLE_TIME_WINDOW_MS = 2 * 60 * 60_000;

/**
 * Estimated wait = position × average handle time ÷ agents who take the service type and are working (ready or
 * busy): the queue ahead shared out over the agents serving it. Unknown (null) when no such agent is signed in.
 */
export function estimateWaitS(position: number, handleTimeS: number, workingAgents: number): number | null {
  if (workingAgents <= 0) return null;
  return Math.max(0, Math.round((position * handleTimeS) / workingAgents));
}

/** The request whose id and secret match, stamping customer_seen_at (every poll proves the customer is there). */
export async function touchRequest(db: Queryable, requestId: string, secret: string, now: number): Promise<{ request: RequestRow; previouslySeenAt: number | null } | null> {
  const { rows } = await db.query<RequestDbRow & { prev_seen_at: number | string | null }>(
    `WITH prev AS (SELECT customer_seen_at FROM queue_requests WHERE request_id = $1)
     UPDATE queue_requests SET customer_seen_at = $3 WHERE request_id = $1 AND secret_hash = $2
     RETURNING queue_requests.*, (SELECT customer_seen_at FROM prev) AS prev_seen_at`,
    [requestId, hashToken(secret), now],
  );
  const row = rows[0];
  if (!row) return null;
  return { request: toRequestRow(row), previouslySeenAt: row.prev_seen_at === null ? null : Number(row.prev_seen_at) };
}

/**
 * 1 + the waiting requests of the same service type ahead in routing order (priority DESC, enqueued_at, id) whose
 * customer is present: routing skips the others, so they are not ahead of anyone.
 */
export async function positionOf(db: Queryable, r: RequestRow, now: number, presenceTimeoutMs: number): Promise<number> {
  if (r.state === 'offered') return 1;
  const { rows } = await db.query<{ n: number | string }>(
    `SELECT count(*) AS n FROM queue_requests WHERE state = 'waiting' AND service_type = $1 AND customer_seen_at > $5
        AND (priority > $2 OR (priority = $2 AND (enqueued_at < $3 OR (enqueued_at = $3 AND request_id < $4))))`,
    [r.serviceType, r.priority, r.enqueuedAt, r.requestId, now - presenceTimeoutMs],
  );
  return 1 + Number(rows[0]?.n ?? 0);
}

/** Ready or busy agents whose skills cover `serviceType` (no skills = all). */
export async function workingAgents(db: Queryable, serviceType: ServiceType): Promise<number> {
  const { rows } = await db.query<{ n: number | string }>(
    `SELECT count(*) AS n FROM queue_agents a WHERE a.state IN ('ready', 'busy')
        AND (NOT EXISTS (SELECT 1 FROM queue_skills s WHERE s.workstation = a.workstation)
             OR EXISTS (SELECT 1 FROM queue_skills s WHERE s.workstation = a.workstation AND s.service_type = $1))`,
    [serviceType],
  );
  return Number(rows[0]?.n ?? 0);
}

/** Mean seconds from accept to finish of the service type's calls finished in the last two hours. */
export async function averageHandleTimeS(db: Queryable, serviceType: ServiceType, now: number): Promise<number> {
  const { rows } = await db.query<{ n: number | string; avg_ms: number | string | null }>(
    `SELECT count(*) AS n, avg(ended_at - assigned_at) AS avg_ms FROM queue_requests
      WHERE state = 'finished' AND service_type = $1 AND ended_at > $2 AND assigned_at IS NOT NULL`,
    [serviceType, now - HANDLE_TIME_WINDOW_MS],
  );
  const n = Number(rows[0]?.n ?? 0);
  const avg = rows[0]?.avg_ms;
  return n >= HANDLE_TIME_MIN_SAMPLES && avg !== null && avg !== undefined ? Number(avg) / 1000 : DEFAULT_HANDLE_TIME_S;
}

/** Per instance, the handle time per service type for a minute: every waiting page polls, the average moves slowly. */
export class HandleTimeCache {
  private readonly cache = new Map<ServiceType, { at: number; value: number }>();
  constructor(private readonly ttlMs = 60_000) {}
  async get(db: Queryable, serviceType: ServiceType, now: number): Promise<number> {
    const hit = this.cache.get(serviceType);
    if (hit && now - hit.at < this.ttlMs && now >= hit.at) return hit.value;
    const value = await averageHandleTimeS(db, serviceType, now);
    this.cache.set(serviceType, { at: now, value });
    return value;
  }
}

export async function customerStatus(db: Queryable, r: RequestRow, now: number, presenceTimeoutMs: number, handleTimes: HandleTimeCache): Promise<CustomerQueueStatus> {
  const waiting = r.state === 'waiting' || r.state === 'offered';
  let position: number | null = null;
  let estimatedWaitS: number | null = null;
  if (waiting) {
    position = await positionOf(db, r, now, presenceTimeoutMs);
    estimatedWaitS = estimateWaitS(position, await handleTimes.get(db, r.serviceType, now), await workingAgents(db, r.serviceType));
  }
  // The call-back booked from this request is filled in by the call-backs module (callbacks.ts) when it registers.
  return { requestId: r.requestId, state: r.state, position, estimatedWaitS, roomId: r.state === 'assigned' ? r.roomId : null, callback: null };
}

export type LeaveResult = { ok: true; state: RequestRow['state']; withdrawnFrom: string | null } | { ok: false };

/**
 * The customer gives up: a waiting or offered request becomes 'left' (an offer is withdrawn, the agent stays ready
 * and is offered the next customer). Leaving twice answers the same; an assigned or ended request cannot leave.
 */
export async function leaveQueue(db: ServerDb, r: RequestRow, now: number): Promise<LeaveResult> {
  if (r.state === 'left') return { ok: true, state: 'left', withdrawnFrom: null };
  for (let attempt = 0; attempt < 5; attempt++) {
    const outcome = await withRetry(() =>
      db.transaction(async (tx): Promise<LeaveResult | 'changed'> => {
        const { rows } = await tx.query<{ state: string; offered_to: string | null }>('SELECT state, offered_to FROM queue_requests WHERE request_id = $1', [r.requestId]);
        const current = rows[0];
        if (!current) return { ok: false };
        if (current.state === 'left') return { ok: true, state: 'left', withdrawnFrom: null };
        if (current.state !== 'waiting' && current.state !== 'offered') return { ok: false };
        const agent = current.offered_to ? await findAgent(tx, current.offered_to, true) : null;
        const updated = await tx.query(
          `UPDATE queue_requests SET state = 'left', offered_to = NULL, offer_expires_at = NULL, ended_at = $2
            WHERE request_id = $1 AND state = $3 AND offered_to IS NOT DISTINCT FROM $4 RETURNING request_id`,
          [r.requestId, now, current.state, current.offered_to],
        );
        // Changed between the read and the lock (an offer made or lapsed): read again.
        if (updated.rows.length === 0) return 'changed';
        if (current.offered_to) await tx.query('UPDATE queue_agents SET offer_request_id = NULL, updated_at = $3 WHERE workstation = $1 AND offer_request_id = $2', [current.offered_to, r.requestId, now]);
        await logQueue(tx, { at: now, kind: 'left', workstation: current.offered_to, agentId: agent?.agent_id ?? null, requestId: r.requestId, detail: { waitedMs: now - r.enqueuedAt, wasOffered: current.offered_to !== null } });
        return { ok: true, state: 'left', withdrawnFrom: current.offered_to };
      }),
    );
    if (outcome !== 'changed') return outcome;
  }
  throw new Error('leave did not settle after 5 attempts');
}
