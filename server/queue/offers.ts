/**
 * The agent's answer to an offer, and the end of the call: accept (atomically, only the offered workstation,
 * only before expiry) makes the signaling room whose join hash is the customer's secret hash; decline passes the
 * offer on at once; finish closes the request and frees the agent. Each transaction locks the agent's row first.
 */
import type { AcceptedOffer, Offer } from '../../src/shared/queue';
import type { Queryable, ServerDb } from '../db/database';
import { findRoom } from '../signaling/rooms';
import { findAgent, withdrawOffer } from './agents';
import { logQueue } from './queue-log';
import { findRequest, toOffer, toRequestRow, type RequestDbRow, type RequestRow } from './request-row';
import { withRetry } from './retry';

/** The part of the signaling service accept needs (SignalingService.createQueuedRoom). */
export interface RoomMaker {
  createQueuedRoom(tx: Queryable, caseId: string, workstation: string, joinHash: string): Promise<{ roomId: string; expiresAt: number; joinExpiresAt: number }>;
}

export type AcceptResult = { ok: true; request: RequestRow; roomId: string; roomExpiresAt: number; offer: Offer; replayed: boolean } | { ok: false };

/**
 * Accepts the offer of `requestId` for `workstation`. An accept repeated with the same caseId after it succeeded
 * (a retry after a lost response) answers the same room; anything else that is not a live offer to this
 * workstation fails.
 */
export async function acceptOffer(db: ServerDb, rooms: RoomMaker, workstation: string, requestId: string, caseId: string, now: number): Promise<AcceptResult> {
  const result = await withRetry(() =>
    db.transaction(async (tx): Promise<AcceptResult> => {
      const agent = await findAgent(tx, workstation, true);
      if (!agent || agent.offer_request_id !== requestId) return { ok: false };
      const { rows } = await tx.query<RequestDbRow>(
        `SELECT * FROM queue_requests WHERE request_id = $1 AND state = 'offered' AND offered_to = $2 AND offer_expires_at > $3 FOR UPDATE`,
        [requestId, workstation, now],
      );
      const row = rows[0];
      if (!row) return { ok: false };
      const request = toRequestRow(row);
      const offer = toOffer(request);
      const room = await rooms.createQueuedRoom(tx, caseId, workstation, request.secretHash);
      await tx.query(`UPDATE queue_requests SET state = 'assigned', assigned_to = $2, assigned_at = $3, case_id = $4, room_id = $5 WHERE request_id = $1`, [requestId, workstation, now, caseId, room.roomId]);
      await tx.query(`UPDATE queue_agents SET state = 'busy', reason = NULL, ready_since = NULL, offer_request_id = NULL, updated_at = $2 WHERE workstation = $1`, [workstation, now]);
      await logQueue(tx, { at: now, kind: 'accepted', workstation, agentId: agent.agent_id, requestId, detail: { waitedMs: now - request.enqueuedAt, origin: request.origin, caseId } });
      await logQueue(tx, { at: now, kind: 'agent_state', workstation, agentId: agent.agent_id, detail: { from: agent.state, to: 'busy', reason: 'accepted' } });
      return { ok: true, request: { ...request, state: 'assigned', assignedTo: workstation, assignedAt: now, caseId, roomId: room.roomId }, roomId: room.roomId, roomExpiresAt: room.expiresAt, offer, replayed: false };
    }),
  );
  if (result.ok) return result;
  const done = await findRequest(db, requestId);
  if (done && done.state === 'assigned' && done.assignedTo === workstation && done.caseId === caseId && done.roomId) {
    const room = await findRoom(db, done.roomId);
    if (room) return { ok: true, request: done, roomId: done.roomId, roomExpiresAt: room.expiresAt, offer: { ...toOffer(done), expiresAt: done.assignedAt ?? 0 }, replayed: true };
  }
  return { ok: false };
}

export function acceptedOffer(r: Extract<AcceptResult, { ok: true }>, photo: AcceptedOffer['referencePhoto']): AcceptedOffer {
  return { requestId: r.request.requestId, roomId: r.roomId, caseId: r.request.caseId!, expiresAt: r.roomExpiresAt, offer: r.offer, referencePhoto: photo };
}

/** Declines a live offer: the request goes back to waiting (its place kept) and is never offered to this workstation again. */
export async function declineOffer(db: ServerDb, workstation: string, requestId: string, now: number): Promise<boolean> {
  return withRetry(() =>
    db.transaction(async (tx) => {
      const agent = await findAgent(tx, workstation, true);
      if (!agent || agent.offer_request_id !== requestId) return false;
      if (!(await withdrawOffer(tx, requestId, workstation))) return false;
      await tx.query('UPDATE queue_agents SET offer_request_id = NULL, updated_at = $2 WHERE workstation = $1', [workstation, now]);
      await tx.query('INSERT INTO queue_declines (request_id, workstation, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [requestId, workstation, now]);
      await logQueue(tx, { at: now, kind: 'declined', workstation, agentId: agent.agent_id, requestId, detail: { reason: 'agent_declined' } });
      return true;
    }),
  );
}

export type FinishResult = 'finished' | 'already' | 'not_found';

/** Ends the assigned request; a busy agent is ready again (an agent who chose another state meanwhile keeps it). */
export async function finishRequest(db: ServerDb, workstation: string, requestId: string, now: number): Promise<FinishResult> {
  return withRetry(() =>
    db.transaction(async (tx): Promise<FinishResult> => {
      const agent = await findAgent(tx, workstation, true);
      const { rows } = await tx.query<{ assigned_at: number | string }>(
        `UPDATE queue_requests SET state = 'finished', ended_at = $3 WHERE request_id = $1 AND state = 'assigned' AND assigned_to = $2 RETURNING assigned_at`,
        [requestId, workstation, now],
      );
      if (rows.length === 0) {
        const r = await findRequest(tx, requestId);
        return r && r.state === 'finished' && r.assignedTo === workstation ? 'already' : 'not_found';
      }
      await logQueue(tx, { at: now, kind: 'finished', workstation, agentId: agent?.agent_id ?? null, requestId, detail: { handledMs: now - Number(rows[0]!.assigned_at) } });
      if (agent?.state === 'busy') {
        await tx.query(`UPDATE queue_agents SET state = 'ready', reason = NULL, ready_since = $2, updated_at = $2 WHERE workstation = $1`, [workstation, now]);
        await logQueue(tx, { at: now, kind: 'agent_state', workstation, agentId: agent.agent_id, detail: { from: 'busy', to: 'ready', reason: 'finished' } });
      }
      return 'finished';
    }),
  );
}
