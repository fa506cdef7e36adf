/**
 * Routing: which ready agent is offered which waiting customer. The decision is a pure function over a snapshot
 * (planOffers); each planned pair is then claimed in its own short transaction whose UPDATEs re-check every
 * condition (agent still ready and without an offer, request still waiting, not declined, customer present), so
 * several instances dispatching at once on one database never offer one request twice or give an agent two
 * offers: the second claim of a row waits for the first to commit, finds the row changed and rolls back.
 * Every transaction takes the agent's row before the request's (see retry.ts).
 */
import { SERVICE_TYPES, type ServiceType } from '../../src/shared/cases';
import type { Queryable, ServerDb } from '../db/database';
import { logQueue } from './queue-log';
import { withRetry } from './retry';

export interface ReadyAgent {
  workstation: string;
  agentId: string | null;
  readySince: number;
  /** The service types this workstation takes; empty = every type. */
  skills: readonly ServiceType[];
}

export interface WaitingRequest {
  requestId: string;
  serviceType: ServiceType;
  priority: number;
  enqueuedAt: number;
  customerSeenAt: number | null;
}

export interface PlannedOffer {
  workstation: string;
  agentId: string | null;
  requestId: string;
}

/** No configured skills means the workstation takes every service type. */
export const canServe = (skills: readonly ServiceType[], serviceType: ServiceType): boolean => skills.length === 0 || skills.includes(serviceType);

/** The skills an agent effectively has (what AgentStatus shows). */
export const effectiveSkills = (skills: readonly ServiceType[]): ServiceType[] => (skills.length === 0 ? [...SERVICE_TYPES] : [...skills]);

/** Queue order: higher priority first (due call-backs), then first come first served; the id breaks exact ties. */
export function compareRequests(a: WaitingRequest, b: WaitingRequest): number {
  return b.priority - a.priority || a.enqueuedAt - b.enqueuedAt || (a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0);
}

/** Agent order: the one ready longest first (fair share of the work). */
export function compareAgents(a: ReadyAgent, b: ReadyAgent): number {
  return a.readySince - b.readySince || (a.workstation < b.workstation ? -1 : a.workstation > b.workstation ? 1 : 0);
}

/** A customer is there when their page asked for its status within the presence timeout. */
export const isPresent = (seenAt: number | null, now: number, presenceTimeoutMs: number): boolean => seenAt !== null && seenAt > now - presenceTimeoutMs;

export const declineKey = (requestId: string, workstation: string): string => `${requestId}\n${workstation}`;

/**
 * The offers to make now: agents in order (longest ready first) each take the first request in queue order they
 * have the skill for, that nobody took in this plan, that they have not declined or let lapse, and whose
 * customer is present.
 */
export function planOffers(agents: readonly ReadyAgent[], requests: readonly WaitingRequest[], declined: ReadonlySet<string>, now: number, presenceTimeoutMs: number): PlannedOffer[] {
  const queue = requests.filter((r) => isPresent(r.customerSeenAt, now, presenceTimeoutMs)).sort(compareRequests);
  const taken = new Set<string>();
  const plan: PlannedOffer[] = [];
  for (const agent of [...agents].sort(compareAgents)) {
    const pick = queue.find((r) => !taken.has(r.requestId) && canServe(agent.skills, r.serviceType) && !declined.has(declineKey(r.requestId, agent.workstation)));
    if (!pick) continue;
    taken.add(pick.requestId);
    plan.push({ workstation: agent.workstation, agentId: agent.agentId, requestId: pick.requestId });
  }
  return plan;
}

/** Snapshot bounds: one dispatch looks at the head of the queue; the next round sees what is left. */
const MAX_AGENTS = 1000;
const MAX_REQUESTS = 2000;

/** Reads the snapshot planOffers decides on. */
export async function loadSnapshot(db: Queryable, now: number, presenceTimeoutMs: number): Promise<{ agents: ReadyAgent[]; requests: WaitingRequest[]; declined: Set<string> }> {
  const { rows: agentRows } = await db.query<{ workstation: string; agent_id: string | null; ready_since: number | string | null }>(
    `SELECT workstation, agent_id, ready_since FROM queue_agents WHERE state = 'ready' AND offer_request_id IS NULL ORDER BY ready_since, workstation LIMIT ${MAX_AGENTS}`,
  );
  if (agentRows.length === 0) return { agents: [], requests: [], declined: new Set() };
  const { rows: skillRows } = await db.query<{ workstation: string; service_type: ServiceType }>(
    `SELECT s.workstation, s.service_type FROM queue_skills s JOIN queue_agents a ON a.workstation = s.workstation WHERE a.state = 'ready' AND a.offer_request_id IS NULL`,
  );
  const skills = new Map<string, ServiceType[]>();
  for (const s of skillRows) skills.set(s.workstation, [...(skills.get(s.workstation) ?? []), s.service_type]);
  const { rows: requestRows } = await db.query<{ request_id: string; service_type: ServiceType; priority: number; enqueued_at: number | string; customer_seen_at: number | string | null }>(
    `SELECT request_id, service_type, priority, enqueued_at, customer_seen_at FROM queue_requests
      WHERE state = 'waiting' AND customer_seen_at > $1 ORDER BY priority DESC, enqueued_at, request_id LIMIT ${MAX_REQUESTS}`,
    [now - presenceTimeoutMs],
  );
  const { rows: declineRows } = await db.query<{ request_id: string; workstation: string }>(
    `SELECT d.request_id, d.workstation FROM queue_declines d JOIN queue_requests r ON r.request_id = d.request_id WHERE r.state = 'waiting'`,
  );
  return {
    agents: agentRows.map((a) => ({ workstation: a.workstation, agentId: a.agent_id, readySince: Number(a.ready_since ?? 0), skills: skills.get(a.workstation) ?? [] })),
    requests: requestRows.map((r) => ({ requestId: r.request_id, serviceType: r.service_type, priority: Number(r.priority), enqueuedAt: Number(r.enqueued_at), customerSeenAt: r.customer_seen_at === null ? null : Number(r.customer_seen_at) })),
    declined: new Set(declineRows.map((d) => declineKey(d.request_id, d.workstation))),
  };
}

class ClaimLost extends Error {}

/**
 * Makes one planned offer, or nothing when another instance (or a leave, a decline, a state change) got there
 * first: both UPDATEs must hit their row, else the transaction rolls back.
 */
export async function claimOffer(db: ServerDb, p: PlannedOffer, now: number, o: { offerTimeoutMs: number; presenceTimeoutMs: number }): Promise<boolean> {
  try {
    return await withRetry(() =>
      db.transaction(async (tx) => {
        const agent = await tx.query(
          `UPDATE queue_agents SET offer_request_id = $2, updated_at = $3 WHERE workstation = $1 AND state = 'ready' AND offer_request_id IS NULL RETURNING workstation`,
          [p.workstation, p.requestId, now],
        );
        if (agent.rows.length === 0) throw new ClaimLost();
        const expiresAt = now + o.offerTimeoutMs;
        const request = await tx.query<{ enqueued_at: number | string; priority: number }>(
          `UPDATE queue_requests SET state = 'offered', offered_to = $2, offer_expires_at = $3
            WHERE request_id = $1 AND state = 'waiting' AND customer_seen_at > $4
              AND NOT EXISTS (SELECT 1 FROM queue_declines d WHERE d.request_id = $1 AND d.workstation = $2)
            RETURNING enqueued_at, priority`,
          [p.requestId, p.workstation, expiresAt, now - o.presenceTimeoutMs],
        );
        const row = request.rows[0];
        if (!row) throw new ClaimLost();
        await logQueue(tx, { at: now, kind: 'offered', workstation: p.workstation, agentId: p.agentId, requestId: p.requestId, detail: { waitedMs: now - Number(row.enqueued_at), priority: Number(row.priority), expiresAt } });
        return true;
      }),
    );
  } catch (error) {
    if (error instanceof ClaimLost) return false;
    throw error;
  }
}

export interface DispatchResult {
  offered: PlannedOffer[];
  /** Planned pairs another writer changed first (they are re-planned, up to `rounds`). */
  lost: number;
}

/** Matches ready agents to waiting customers until nothing more fits (or `rounds` snapshots were lost to races). */
export async function dispatch(db: ServerDb, now: number, o: { offerTimeoutMs: number; presenceTimeoutMs: number; rounds?: number }): Promise<DispatchResult> {
  const result: DispatchResult = { offered: [], lost: 0 };
  for (let round = 0; round < (o.rounds ?? 5); round++) {
    const snap = await loadSnapshot(db, now, o.presenceTimeoutMs);
    const plan = planOffers(snap.agents, snap.requests, snap.declined, now, o.presenceTimeoutMs);
    if (plan.length === 0) break;
    let lostThisRound = 0;
    for (const p of plan) {
      if (await claimOffer(db, p, now, o)) result.offered.push(p);
      else lostThisRound++;
    }
    result.lost += lostThisRound;
    if (lostThisRound === 0) break;
  }
  return result;
}
