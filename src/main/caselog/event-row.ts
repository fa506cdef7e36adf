import type { CaseEvent, EventType } from '../../shared/cases';

/** An `events` row as SQLite returns it. gseq, ledger_hash and seal are NULL only before the keyed ledger. */
export interface EventRow {
  case_id: string;
  seq: number;
  type: string;
  at: number;
  actor: string;
  payload: string;
  prev_hash: string;
  hash: string;
  gseq?: number | null;
  ledger_hash?: string | null;
  seal?: string | null;
}

export const rowToEvent = (r: EventRow): CaseEvent => ({
  caseId: r.case_id,
  seq: r.seq,
  type: r.type as EventType,
  at: r.at,
  actor: r.actor,
  payload: JSON.parse(r.payload) as Record<string, unknown>,
  prevHash: r.prev_hash,
  hash: r.hash,
  ...(typeof r.gseq === 'number' ? { gseq: r.gseq } : {}),
  ...(typeof r.seal === 'string' ? { seal: r.seal } : {}),
});
