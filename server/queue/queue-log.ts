/**
 * queue_log: every agent state change and routing decision, for the audit and the wallboard. Details are small
 * JSON objects of ids, states and durations: never a secret, a customer reference or a photo.
 */
import type { Queryable } from '../db/database';

export const QUEUE_LOG_KINDS = ['enqueued', 'agent_state', 'offered', 'accepted', 'declined', 'offer_timeout', 'abandoned', 'left', 'finished'] as const;
export type QueueLogKind = (typeof QUEUE_LOG_KINDS)[number];

export interface QueueLogEntry {
  at: number;
  kind: QueueLogKind;
  workstation?: string | null;
  agentId?: string | null;
  requestId?: string | null;
  detail?: Record<string, string | number | boolean | null>;
}

export async function logQueue(db: Queryable, e: QueueLogEntry): Promise<void> {
  await db.query('INSERT INTO queue_log (at, kind, workstation, agent_id, request_id, detail) VALUES ($1, $2, $3, $4, $5, $6)', [
    e.at,
    e.kind,
    e.workstation ?? null,
    e.agentId ?? null,
    e.requestId ?? null,
    e.detail ? JSON.stringify(e.detail) : null,
  ]);
}
