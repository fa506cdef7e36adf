/**
 * The call-back due sweep (docs/queue.md "Call-backs"), run on a timer by every server instance:
 *
 *   booked | retry, due_at ≤ now   → queued; its request back to 'waiting' with priority callbackPriority,
 *                                     enqueued_at = now, origin 'callback' (the request no longer in
 *                                     'callback' — the customer left it — closes the call-back 'cancelled')
 *   queued, request finished        → done
 *   queued, request abandoned       → retry at now + callbackRetryAfterMs (request back to 'callback'),
 *                                     once; the second miss → closed 'customer_absent'
 *   queued, request left | closed   → closed 'cancelled' (the customer gave up the call themselves)
 *
 * Every step is one conditional UPDATE … WHERE state = <expected> RETURNING inside a transaction, so two
 * instances sweeping at once move each call-back once: the second sees no row and does nothing.
 */
import { QUEUE_LIMITS, type RequestState } from '../../src/shared/queue';
import type { Queryable, ServerDb } from '../db/database';
import { logQueue, retryingConflicts } from './callback-store';

/** Call-backs moved per sweep and step: a backlog (server down over a slot) drains over a few sweeps. */
const BATCH = 200;
/** Queueings before a miss closes the call-back: the slot itself and one retry. */
const MAX_ATTEMPTS = 2;

export interface SweepResult {
  queued: number;
  retried: number;
  done: number;
  closed: number;
}

async function enqueueDue(db: ServerDb, now: number): Promise<{ queued: number; closed: number }> {
  const { rows: due } = await db.query<{ callback_id: string }>(
    "SELECT callback_id FROM queue_callbacks WHERE state IN ('booked', 'retry') AND due_at <= $1 ORDER BY due_at LIMIT $2",
    [now, BATCH],
  );
  let queued = 0;
  let closed = 0;
  for (const { callback_id } of due) {
    const outcome = await retryingConflicts(() =>
      db.transaction(async (tx) => {
        // FOR UPDATE with the state in the WHERE: a second sweep blocks here, then re-reads the row as the
        // first left it (no longer booked/retry) and gets nothing.
        const { rows: claimed } = await tx.query<{ state: string }>(
          "SELECT state FROM queue_callbacks WHERE callback_id = $1 AND state IN ('booked', 'retry') AND due_at <= $2 FOR UPDATE",
          [callback_id, now],
        );
        const prior = claimed[0]?.state;
        if (!prior) return 'raced' as const;
        const { rows } = await tx.query<{ from_request_id: string | null; attempts: number }>(
          "UPDATE queue_callbacks SET state = 'queued', attempts = attempts + 1 WHERE callback_id = $1 RETURNING from_request_id, attempts",
          [callback_id],
        );
        const cb = rows[0]!;
        const { rows: req } = await tx.query<{ request_id: string }>(
          `UPDATE queue_requests SET state = 'waiting', priority = $2, enqueued_at = $3, origin = 'callback', offered_to = NULL, offer_expires_at = NULL, ended_at = NULL
            WHERE request_id = $1 AND state = 'callback' RETURNING request_id`,
          [cb.from_request_id, QUEUE_LIMITS.callbackPriority, now],
        );
        if (req.length === 0) {
          await tx.query("UPDATE queue_callbacks SET state = 'closed', closed_reason = 'cancelled' WHERE callback_id = $1", [callback_id]);
          await logQueue(tx, { at: now, kind: 'callback_closed', requestId: cb.from_request_id, detail: { callbackId: callback_id, reason: 'cancelled', why: 'request no longer waiting for its call-back' } });
          return 'closed' as const;
        }
        // A decline or lapse hours ago (before the booking, or at the first try) says nothing about now.
        await tx.query('DELETE FROM queue_declines WHERE request_id = $1', [cb.from_request_id]);
        await logQueue(tx, { at: now, kind: 'callback_queued', requestId: cb.from_request_id, detail: { callbackId: callback_id, attempt: Number(cb.attempts), from: prior, priority: QUEUE_LIMITS.callbackPriority } });
        return 'queued' as const;
      }),
    );
    if (outcome === 'queued') queued++;
    if (outcome === 'closed') closed++;
  }
  return { queued, closed };
}

type Ending = { kind: 'done' } | { kind: 'retry' } | { kind: 'closed'; reason: 'customer_absent' | 'cancelled' };

function endingOf(requestState: RequestState, attempts: number): Ending | null {
  switch (requestState) {
    case 'finished':
      return { kind: 'done' };
    case 'abandoned':
      return attempts < MAX_ATTEMPTS ? { kind: 'retry' } : { kind: 'closed', reason: 'customer_absent' };
    case 'left':
    case 'closed':
      return { kind: 'closed', reason: 'cancelled' };
    default:
      // waiting, offered, assigned: the call-back is still being served; 'callback' cannot be seen here.
      return null;
  }
}

async function settle(tx: Queryable, callbackId: string, requestId: string, requestState: RequestState, attempts: number, now: number): Promise<Ending | null> {
  const ending = endingOf(requestState, attempts);
  if (!ending) return null;
  const set =
    ending.kind === 'done'
      ? { sql: "state = 'done'", params: [] as unknown[] }
      : ending.kind === 'retry'
        ? { sql: "state = 'retry', due_at = $3", params: [now + QUEUE_LIMITS.callbackRetryAfterMs] }
        : { sql: "state = 'closed', closed_reason = $3", params: [ending.reason] };
  const { rows } = await tx.query<{ callback_id: string }>(`UPDATE queue_callbacks SET ${set.sql} WHERE callback_id = $1 AND state = 'queued' AND attempts = $2 RETURNING callback_id`, [
    callbackId,
    attempts,
    ...set.params,
  ]);
  if (rows.length === 0) return null;
  if (ending.kind === 'retry') {
    // Back to 'callback' so the customer's link shows the coming retry instead of "abandoned".
    const { rows: back } = await tx.query("UPDATE queue_requests SET state = 'callback', ended_at = NULL WHERE request_id = $1 AND state = 'abandoned' RETURNING request_id", [requestId]);
    if (back.length === 0) throw new Error('request changed state during the call-back sweep');
  }
  const detail: Record<string, unknown> = { callbackId, attempts };
  if (ending.kind === 'retry') detail.dueAt = now + QUEUE_LIMITS.callbackRetryAfterMs;
  if (ending.kind === 'closed') detail.reason = ending.reason;
  await logQueue(tx, { at: now, kind: `callback_${ending.kind}`, requestId, detail });
  return ending;
}

async function settleEnded(db: ServerDb, now: number): Promise<{ retried: number; done: number; closed: number }> {
  const { rows: ended } = await db.query<{ callback_id: string; request_id: string; request_state: RequestState; attempts: number }>(
    `SELECT c.callback_id, r.request_id, r.state AS request_state, c.attempts FROM queue_callbacks c JOIN queue_requests r ON r.request_id = c.from_request_id
      WHERE c.state = 'queued' AND r.state IN ('finished', 'abandoned', 'left', 'closed') LIMIT $1`,
    [BATCH],
  );
  const counts = { retried: 0, done: 0, closed: 0 };
  for (const e of ended) {
    let ending: Ending | null = null;
    try {
      ending = await retryingConflicts(() => db.transaction((tx) => settle(tx, e.callback_id, e.request_id, e.request_state, Number(e.attempts), now)));
    } catch (error) {
      // The request moved between the read and the update (another instance, or the customer came back):
      // the next sweep sees its new state.
      if (!(error instanceof Error && error.message.startsWith('request changed state'))) throw error;
    }
    if (ending?.kind === 'retry') counts.retried++;
    if (ending?.kind === 'done') counts.done++;
    if (ending?.kind === 'closed') counts.closed++;
  }
  return counts;
}

/** One sweep at `now`: due call-backs into the queue, served ones settled. */
export async function sweepCallbacks(db: ServerDb, now: number): Promise<SweepResult> {
  const settled = await settleEnded(db, now);
  const due = await enqueueDue(db, now);
  return { queued: due.queued, retried: settled.retried, done: settled.done, closed: settled.closed + due.closed };
}
