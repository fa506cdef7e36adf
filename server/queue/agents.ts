/**
 * Agent presence at a workstation (queue_agents, keyed by the workstation id of the token): 在线/示闲 ready,
 * 忙碌 busy, 小休 away, 离线 offline. Every change is logged; leaving 'ready' with an offer pending withdraws
 * the offer (the customer goes straight back to the queue, with their place).
 */
import type { ServiceType } from '../../src/shared/cases';
import type { AgentState, AgentStatus } from '../../src/shared/queue';
import type { Queryable, ServerDb } from '../db/database';
import { logQueue } from './queue-log';
import { findRequest, toOffer } from './request-row';
import { withRetry } from './retry';
import { canServe, effectiveSkills } from './routing';
import { skillsOf } from './skills';

interface AgentDbRow {
  workstation: string;
  agent_id: string | null;
  state: AgentState;
  reason: string | null;
  ready_since: number | string | null;
  offer_request_id: string | null;
}

export async function findAgent(db: Queryable, workstation: string, lock = false): Promise<AgentDbRow | null> {
  const { rows } = await db.query<AgentDbRow>(`SELECT workstation, agent_id, state, reason, ready_since, offer_request_id FROM queue_agents WHERE workstation = $1${lock ? ' FOR UPDATE' : ''}`, [workstation]);
  return rows[0] ?? null;
}

/** Puts a request offered to `workstation` back in the queue (inside the caller's transaction, agent row already locked). */
export async function withdrawOffer(tx: Queryable, requestId: string, workstation: string): Promise<boolean> {
  const { rows } = await tx.query(
    `UPDATE queue_requests SET state = 'waiting', offered_to = NULL, offer_expires_at = NULL WHERE request_id = $1 AND state = 'offered' AND offered_to = $2 RETURNING request_id`,
    [requestId, workstation],
  );
  return rows.length === 1;
}

/**
 * Sets the agent's state. 'ready' keeps ready_since when already ready (the agent keeps their turn), any other
 * state clears it and withdraws a pending offer. The server's own reason (e.g. missed_offer) is cleared.
 */
export async function setAgentState(db: ServerDb, workstation: string, agentId: string, state: AgentState, now: number): Promise<{ changed: boolean }> {
  return withRetry(() =>
    db.transaction(async (tx) => {
      await tx.query(`INSERT INTO queue_agents (workstation, state, updated_at) VALUES ($1, 'offline', $2) ON CONFLICT (workstation) DO NOTHING`, [workstation, now]);
      const before = (await findAgent(tx, workstation, true))!;
      if (before.offer_request_id && state !== 'ready') {
        if (await withdrawOffer(tx, before.offer_request_id, workstation)) {
          await logQueue(tx, { at: now, kind: 'declined', workstation, agentId, requestId: before.offer_request_id, detail: { reason: 'agent_state', to: state } });
        }
      }
      const readySince = state === 'ready' ? (before.state === 'ready' && before.ready_since !== null ? Number(before.ready_since) : now) : null;
      await tx.query(
        `UPDATE queue_agents SET agent_id = $2, state = $3, reason = NULL, ready_since = $4, offer_request_id = CASE WHEN $3 = 'ready' THEN offer_request_id ELSE NULL END, updated_at = $5 WHERE workstation = $1`,
        [workstation, agentId, state, readySince, now],
      );
      const changed = before.state !== state || before.agent_id !== agentId;
      if (changed) await logQueue(tx, { at: now, kind: 'agent_state', workstation, agentId, detail: { from: before.state, to: state, previousAgent: before.agent_id !== agentId ? before.agent_id : null } });
      return { changed };
    }),
  );
}

/** What the workstation's status bar shows: state, skills, the pending offer and how many customers it could take. */
export async function agentStatus(db: Queryable, workstation: string, now: number): Promise<AgentStatus> {
  const agent = await findAgent(db, workstation);
  const skills = await skillsOf(db, workstation);
  const offerRow = agent?.offer_request_id ? await findRequest(db, agent.offer_request_id) : null;
  const offer = offerRow && offerRow.state === 'offered' && offerRow.offeredTo === workstation ? toOffer(offerRow) : null;
  const { rows } = await db.query<{ service_type: ServiceType; n: number | string }>(
    `SELECT service_type, count(*) AS n FROM queue_requests r WHERE state = 'waiting'
       AND NOT EXISTS (SELECT 1 FROM queue_declines d WHERE d.request_id = r.request_id AND d.workstation = $1) GROUP BY service_type`,
    [workstation],
  );
  const waiting = rows.filter((r) => canServe(skills, r.service_type)).reduce((sum, r) => sum + Number(r.n), 0);
  return { agentId: agent?.agent_id ?? null, state: agent?.state ?? 'offline', reason: agent?.reason ?? null, skills: effectiveSkills(skills), offer, waiting, serverTime: now };
}
