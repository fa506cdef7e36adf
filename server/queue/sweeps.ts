/**
 * The periodic clean-ups every instance runs before dispatching (each row is acted on once cluster-wide: every
 * change is a conditional UPDATE … RETURNING):
 * - an offer past its expiry lapses: the request goes back to waiting with its original enqueued_at (it keeps its
 *   place), the agent is not offered it again (queue_declines) and is set away with reason 'missed_offer' —
 *   standard ACD practice, so an agent who walked off is not offered customer after customer;
 * - a waiting customer whose page stopped asking for its status is abandoned.
 */
import type { Queryable, ServerDb } from '../db/database';
import { logQueue } from './queue-log';
import { withRetry } from './retry';

export interface Lapsed {
  requestId: string;
  workstation: string;
}

/** Lapses every offer whose expiry is at or before `now`; answers the ones this call lapsed. */
export async function lapseOffers(db: ServerDb, now: number): Promise<Lapsed[]> {
  const { rows } = await db.query<{ request_id: string; offered_to: string }>(
    `SELECT request_id, offered_to FROM queue_requests WHERE state = 'offered' AND offer_expires_at <= $1 ORDER BY offer_expires_at LIMIT 500`,
    [now],
  );
  const lapsed: Lapsed[] = [];
  for (const r of rows) if (await lapseOne(db, r.request_id, r.offered_to, now)) lapsed.push({ requestId: r.request_id, workstation: r.offered_to });
  return lapsed;
}

async function lapseOne(db: ServerDb, requestId: string, workstation: string, now: number): Promise<boolean> {
  return withRetry(() =>
    db.transaction(async (tx) => {
      // Agent row first (the lock order of every queue transaction), then the request, re-checked.
      const agent = await tx.query<{ agent_id: string | null; state: string }>(
        `SELECT agent_id, state FROM queue_agents WHERE workstation = $1 AND offer_request_id = $2 FOR UPDATE`,
        [workstation, requestId],
      );
      const request = await tx.query(
        `UPDATE queue_requests SET state = 'waiting', offered_to = NULL, offer_expires_at = NULL
          WHERE request_id = $1 AND state = 'offered' AND offered_to = $2 AND offer_expires_at <= $3 RETURNING request_id`,
        [requestId, workstation, now],
      );
      if (request.rows.length === 0) return false;
      await tx.query('INSERT INTO queue_declines (request_id, workstation, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [requestId, workstation, now]);
      const agentId = agent.rows[0]?.agent_id ?? null;
      await logQueue(tx, { at: now, kind: 'offer_timeout', workstation, agentId, requestId });
      if (agent.rows[0]) {
        await tx.query(`UPDATE queue_agents SET offer_request_id = NULL, state = 'away', reason = 'missed_offer', ready_since = NULL, updated_at = $2 WHERE workstation = $1`, [workstation, now]);
        await logQueue(tx, { at: now, kind: 'agent_state', workstation, agentId, detail: { from: agent.rows[0].state, to: 'away', reason: 'missed_offer' } });
      }
      return true;
    }),
  );
}

/**
 * Abandons waiting requests whose customer was last seen `presenceTimeoutMs` ago, or has not been seen since the
 * request entered the queue for `firstSeenTimeoutMs` — a hand-over's link takes a while to reach the customer, and
 * a call-back that fell due gives its customer that long to come back to the page (a poll proves presence; polls
 * from before the slot, on the booked-slot screen, do not count).
 */
export async function abandonAbsent(db: Queryable, now: number, o: { presenceTimeoutMs: number; firstSeenTimeoutMs: number }): Promise<string[]> {
  const { rows } = await db.query<{ request_id: string; enqueued_at: number | string; customer_seen_at: number | string | null }>(
    `UPDATE queue_requests SET state = 'abandoned', ended_at = $1
      WHERE state = 'waiting' AND (
        (customer_seen_at >= enqueued_at AND customer_seen_at <= $2)
        OR ((customer_seen_at IS NULL OR customer_seen_at < enqueued_at) AND enqueued_at <= $3))
      RETURNING request_id, enqueued_at, customer_seen_at`,
    [now, now - o.presenceTimeoutMs, now - o.firstSeenTimeoutMs],
  );
  for (const r of rows) {
    await logQueue(db, { at: now, kind: 'abandoned', requestId: r.request_id, detail: { waitedMs: now - Number(r.enqueued_at), reason: r.customer_seen_at === null || Number(r.customer_seen_at) < Number(r.enqueued_at) ? 'never_opened' : 'page_gone' } });
  }
  return rows.map((r) => r.request_id);
}
